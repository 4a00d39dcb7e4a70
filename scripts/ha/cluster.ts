// The whole system as production runs it, on one machine (the failover drill: scripts/drill.ts):
// Postgres as a Patroni cluster behind HAProxy (pg-cluster.ts), Redis with a replica and three
// sentinels (redis-sentinel.ts), two servers behind Nginx and two workers processes (fleet.ts), the
// database migrated and seeded. Each machine can be killed and brought back.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { appendFileSync, chmodSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { migrate } from '../../db/migrate-runner.ts';
import { seed } from '../../db/seed-data.ts';
import { startFleet, type Fleet } from './fleet.ts';
import { startPgCluster, type LeaderLoss, type PgCluster } from './pg-cluster.ts';
import { startRedisSentinel, type RedisSentinelCluster } from './redis-sentinel.ts';

export interface ClusterOptions {
  /** Where the engines keep their data and logs. */
  dir: string;
  /** Ports from this one up: Postgres' (20), Redis' (10), then the fleet's. */
  basePort?: number;
  /** Settings of the servers and workers over the cluster's own (payments, mail, limits). */
  env: Record<string, string>;
  /** false: Postgres' standby follows asynchronously (what a failover then loses is what the drill measures). */
  synchronous?: boolean;
  /** Told what the cluster does, a line at a time. */
  log?: (line: string) => void;
}

export interface Cluster {
  /** The site, through Nginx (https, a throwaway certificate). */
  readonly base: string;
  /** The database through HAProxy: the leader, whichever node it is. */
  readonly databaseUrl: string;
  /** The key the workers sign the fiscal journal with (PEM, made for this cluster). */
  readonly fiscalKeyPem: string;
  describe(): string;
  /**
   * The Postgres leader's machine lost (`how`: gone at once, hung, or its processes dying one after
   * another: pg-cluster.ts); with `standbyBehindMs`, the leader's WAL sender is held still (SIGSTOP)
   * that long first, so that the standby is that far behind when the leader dies.
   */
  killPostgresLeader(opts?: { standbyBehindMs?: number; how?: LeaderLoss }): Promise<void>;
  /** The lost node back, as the new leader's synchronous standby (resolves once it is in sync, or after a minute). */
  restorePostgres(): Promise<void>;
  /** kill -9 of the Redis master: resolves once the sentinels have promoted its replica, with when they did. */
  killRedisMaster(): Promise<{ killedAt: number; promotedAt: number | null }>;
  restoreRedis(): Promise<void>;
  /** Whether each server answers its own /readyz (not through Nginx) 200, within a second. */
  readyz(): Promise<boolean[]>;
  /** Whether each server and workers process is running. */
  alive(): { servers: boolean[]; workers: boolean[] };
  killServer(i: number): Promise<void>;
  restartServer(i: number): Promise<void>;
  killWorkers(i: number): Promise<void>;
  restartWorkers(i: number): Promise<void>;
  stop(): Promise<void>;
}

export async function startCluster(o: ClusterOptions): Promise<Cluster> {
  const log = o.log ?? (() => undefined);
  const basePort = o.basePort ?? 18_000;
  const fiscalKeyPem = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  let postgres: PgCluster | null = null;
  let redis: RedisSentinelCluster | null = null;
  let fleet: Fleet | null = null;
  const stop = async () => {
    await fleet?.stop().catch(() => undefined);
    await redis?.stop().catch(() => undefined);
    await postgres?.stop().catch(() => undefined);
  };
  // Patroni and Postgres run as the postgres user when this runs as root: they must reach their folders
  mkdirSync(o.dir, { recursive: true });
  chmodSync(o.dir, 0o755);
  try {
    postgres = await startPgCluster({ dir: join(o.dir, 'postgres'), basePort, synchronous: o.synchronous });
    log(`Postgres: leader ${await postgres.leader()}, ${o.synchronous === false ? 'standby asynchronous' : `synchronous standby ${await postgres.syncStandby()}`}`);
    const databaseUrl = await demoDatabase(postgres, o.env.DEMO_PASSWORD);
    log('database migrated and seeded');

    redis = await startRedisSentinel({ dir: join(o.dir, 'redis'), basePort: basePort + 20 });
    log(`Redis: master ${await redis.master()}, sentinels ${redis.sentinels}`);

    fleet = await startFleet({
      servers: 2,
      workers: 2,
      basePort: basePort + 30,
      compiled: true,
      // each process's output in a file of its own beside the engines' logs
      onLine: (name, line) => appendFileSync(join(o.dir, `${name.replace(' ', '-')}.log`), `${line}\n`),
      env: {
        NODE_ENV: 'production',
        // the fleet knows a workers process started from its log line
        LOG_LEVEL: 'info',
        DATABASE_URL: databaseUrl,
        REDIS_SENTINELS: redis.sentinels,
        REDIS_SENTINEL_NAME: redis.name,
        QUEUE_PREFIX: `drill${randomBytes(3).toString('hex')}`,
        FISCAL_SIGNING_KEY: fiscalKeyPem,
        ...o.env,
      },
    });
    log(`two servers behind Nginx at ${fleet.origin}, two workers processes`);
  } catch (err) {
    await stop();
    throw err;
  }
  return clusterOf(postgres, redis, fleet, fiscalKeyPem, stop);
}

/** The database `ocpizza` on the cluster, migrated and seeded: its address as the product's own role. */
async function demoDatabase(postgres: PgCluster, password: string | undefined): Promise<string> {
  const admin = new pg.Client({ connectionString: postgres.url });
  await admin.connect();
  await admin.query('CREATE DATABASE ocpizza');
  await admin.end();
  const databaseUrl = postgres.urlFor('ocpizza');
  await migrate(databaseUrl);
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 2 });
  await seed(pool, password ?? randomBytes(12).toString('base64url'));
  // the product's own role, as production runs it: a member of ocpizza_app (the migrations made it),
  // which may read and add to the fiscal journal, nothing more (the cluster trusts local connections)
  await pool.query(`DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'ocpizza') THEN CREATE ROLE ocpizza LOGIN IN ROLE ocpizza_app; END IF; END $$`);
  await pool.end();
  const app = new URL(databaseUrl);
  app.username = 'ocpizza';
  app.password = '';
  return app.toString();
}

/** What the drill holds: each machine, to kill and bring back. */
function clusterOf(pgc: PgCluster, rs: RedisSentinelCluster, fl: Fleet, fiscalKeyPem: string, stop: () => Promise<void>): Cluster {
  let killedNode: string | null = null;
  let killedRedis: string | null = null;
  return {
    base: fl.origin,
    databaseUrl: pgc.urlFor('ocpizza'),
    fiscalKeyPem,
    describe: () => `site ${fl.origin}, database ${pgc.urlFor('ocpizza')}, sentinels ${rs.sentinels} (${rs.name})`,
    async killPostgresLeader(opts = {}) {
      // the leader's WAL sender held still: what the leader commits meanwhile never leaves its machine
      // (the dead machine takes its stopped sender with it)
      if (opts.standbyBehindMs) {
        await pgc.holdWalSenders();
        await new Promise((r) => setTimeout(r, opts.standbyBehindMs));
      }
      killedNode = (await pgc.killLeader(opts.how)).killed;
    },
    async restorePostgres() {
      if (!killedNode) return;
      const node = killedNode;
      await pgc.restartNode(node);
      killedNode = null;
      // the next loss must find it in sync: a failover back is a failover onto it
      for (const until = Date.now() + 60_000; Date.now() < until && (await pgc.syncStandby().catch(() => null)) !== node; ) await new Promise((r) => setTimeout(r, 500));
    },
    async killRedisMaster() {
      const { killedAt, address } = await rs.killMaster();
      killedRedis = address;
      const promoted = await rs.promoted(address).catch(() => null);
      return { killedAt, promotedAt: promoted?.at ?? null };
    },
    readyz: () =>
      Promise.all(fl.servers.map((m) =>
        fetch(`http://127.0.0.1:${m.port}/readyz`, { signal: AbortSignal.timeout(1000) }).then((r) => r.status === 200, () => false),
      )),
    async restoreRedis() {
      if (killedRedis) await rs.restartNode(killedRedis);
      killedRedis = null;
    },
    alive: () => ({ servers: fl.servers.map((m) => m.alive), workers: fl.workers.map((m) => m.alive) }),
    killServer: async (i) => void (await fl.killServer(i)),
    restartServer: (i) => fl.startServer(i),
    killWorkers: async (i) => void (await fl.killWorkers(i)),
    restartWorkers: (i) => fl.startWorkers(i),
    stop,
  };
}
