// Redis with Sentinel on this machine, from Debian's redis-server and redis-sentinel: a master, one
// replica and three sentinels (quorum 2) watching it, as production runs them on three machines.
// The failover tests and the drill start it, kill its master, and stop it.
//
//   const ha = await startRedisSentinel({ dir: '/tmp/x', basePort: 16000 });
//   // REDIS_SENTINELS=ha.sentinels REDIS_SENTINEL_NAME=ha.name
//   await ha.killMaster(); // kill -9; a sentinel quorum promotes the replica within seconds
//
// Ports: basePort (first master), basePort+1 (replica), basePort+10..12 (sentinels).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';

export interface RedisSentinelCluster {
  /** host:port of each sentinel, comma separated: REDIS_SENTINELS. */
  sentinels: string;
  /** The master's name the sentinels watch: REDIS_SENTINEL_NAME. */
  name: string;
  /** host:port of the master the sentinels name now. */
  master(): Promise<string>;
  /** kill -9 the master the sentinels name now; when it died. */
  killMaster(): Promise<{ killedAt: number; address: string }>;
  /** kill -9 one sentinel (0, 1 or 2). */
  killSentinel(i: number): void;
  /** Sentinel i's machine hangs (SIGSTOP): it takes connections and never answers, nor tells the others anything. */
  freezeSentinel(i: number): void;
  /** Sentinel i goes on (SIGCONT). */
  thawSentinel(i: number): void;
  /** Waits until the sentinels name another master than `address`, and says when they did and who. */
  promoted(address: string, timeoutMs?: number): Promise<{ at: number; address: string }>;
  /** Starts again a Redis node killed earlier (host:port), as a replica of the master named now: how a dead master comes back. */
  restartNode(address: string): Promise<void>;
  /** Starts again a sentinel killed earlier, from its configuration (which it rewrote as it learnt). */
  restartSentinel(i: number): void;
  /** Replicas the master has now (connected, in sync or not), as the master says. */
  replicas(): Promise<number>;
  /** Stops everything it started and removes its directory. */
  stop(): Promise<void>;
}

const HOST = '127.0.0.1';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function startRedisSentinel(opts: { dir: string; basePort: number; name?: string; downAfterMs?: number }): Promise<RedisSentinelCluster> {
  rmSync(opts.dir, { recursive: true, force: true });
  const h = new Harness(opts.dir, opts.name ?? 'ocpizza', opts.basePort);
  h.startNode(opts.basePort);
  h.startNode(opts.basePort + 1, opts.basePort);
  await h.waitFor('the master answering', () => h.ask(opts.basePort, (c) => c.ping()));
  await h.waitFor('the replica in sync', () => h.ask(opts.basePort + 1, async (c) => /master_link_status:up/.test(await c.info('replication'))));
  h.startSentinels(opts.basePort, opts.downAfterMs ?? 1000);
  await h.sentinelsReady();
  return h.cluster();
}

/** The processes it started and the connections it opened, and how to reach and wait for them. */
class Harness {
  readonly dir: string;
  readonly name: string;
  readonly nodes = new Map<number, ChildProcess>();
  readonly sentinelPorts: number[];
  readonly sentinelProcs: ChildProcess[] = [];
  readonly sentinelConfs: string[] = [];
  readonly clients: Redis[] = [];
  readonly started: ChildProcess[] = [];

  constructor(dir: string, name: string, basePort: number) {
    this.dir = dir;
    this.name = name;
    this.sentinelPorts = [10, 11, 12].map((d) => basePort + d);
  }

  client(port: number) {
    const c = new Redis({ host: HOST, port, lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null, connectTimeout: 500 });
    c.on('error', () => {});
    this.clients.push(c);
    return c;
  }

  run(cmd: string, args: string[]) {
    const p = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'inherit'] });
    this.started.push(p);
    return p;
  }

  async ask<T>(port: number, f: (c: Redis) => Promise<T>): Promise<T> {
    const c = this.client(port);
    try {
      await c.connect();
      return await f(c);
    } finally {
      c.disconnect();
      this.clients.splice(this.clients.indexOf(c), 1);
    }
  }

  async waitFor<T>(what: string, f: () => Promise<T | false | null | undefined>, timeoutMs = 20_000): Promise<T> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const v = await f().catch(() => null);
      if (v) return v;
      if (Date.now() > until) throw new Error(`redis-sentinel harness: ${what} not within ${timeoutMs} ms`);
      await sleep(100);
    }
  }

  startNode(port: number, replicaOf?: number) {
    const dir = join(this.dir, `redis-${port}`);
    mkdirSync(dir, { recursive: true });
    const args = ['--port', String(port), '--bind', HOST, '--dir', dir, '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--loglevel', 'warning'];
    if (replicaOf) args.push('--replicaof', HOST, String(replicaOf));
    this.nodes.set(port, this.run('redis-server', args));
  }

  /** Three sentinels watching the master at `masterPort` (quorum 2). */
  startSentinels(masterPort: number, downAfter: number) {
    const { name } = this;
    for (const port of this.sentinelPorts) {
      const dir = join(this.dir, `sentinel-${port}`);
      mkdirSync(dir, { recursive: true });
      const conf = join(dir, 'sentinel.conf');
      writeFileSync(conf, [
        `port ${port}`,
        `bind ${HOST}`,
        `dir ${dir}`,
        'daemonize no',
        'loglevel warning',
        `sentinel monitor ${name} ${HOST} ${masterPort} 2`,
        `sentinel down-after-milliseconds ${name} ${downAfter}`,
        `sentinel failover-timeout ${name} 5000`,
        `sentinel parallel-syncs ${name} 1`,
        '',
      ].join('\n'));
      this.sentinelConfs.push(conf);
      this.sentinelProcs.push(this.run('redis-sentinel', [conf]));
    }
  }

  /** Ready when every sentinel knows the replica and the two other sentinels (they find each other through the master). */
  async sentinelsReady() {
    for (const port of this.sentinelPorts) {
      await this.waitFor(`sentinel ${port} seeing the replica and its peers`, () =>
        this.ask(port, async (c) => {
          const [m] = (await c.call('SENTINEL', 'MASTERS')) as string[][];
          const field = (k: string) => Number(m[m.indexOf(k) + 1]);
          return field('num-slaves') >= 1 && field('num-other-sentinels') >= 2;
        }),
      );
    }
  }

  async masterFrom(): Promise<string> {
    for (const port of this.sentinelPorts) {
      const addr = await this.ask(port, (c) => c.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', this.name) as Promise<[string, string]>).catch(() => null);
      if (addr) return `${addr[0]}:${addr[1]}`;
    }
    throw new Error('no sentinel answers');
  }

  /** What the tests and the drill hold. */
  cluster(): RedisSentinelCluster {
    const { nodes, sentinelProcs, sentinelConfs, clients, started } = this;
    const masterFrom = () => this.masterFrom();
    return {
      sentinels: this.sentinelPorts.map((p) => `${HOST}:${p}`).join(','),
      name: this.name,
      master: masterFrom,
      async killMaster() {
        const address = await masterFrom();
        const proc = nodes.get(Number(address.split(':').pop()));
        if (!proc) throw new Error(`the master ${address} is not one of ours`);
        proc.kill('SIGKILL');
        const killedAt = Date.now();
        await new Promise((r) => (proc.exitCode !== null || proc.signalCode ? r(null) : proc.once('exit', r)));
        return { killedAt, address };
      },
      killSentinel(i: number) {
        sentinelProcs[i].kill('SIGKILL');
      },
      freezeSentinel(i: number) {
        sentinelProcs[i].kill('SIGSTOP');
      },
      thawSentinel(i: number) {
        sentinelProcs[i].kill('SIGCONT');
      },
      restartNode: async (address: string) => {
        const master = await masterFrom();
        this.startNode(Number(address.split(':').pop()), Number(master.split(':').pop()));
        await this.waitFor('the restarted node answering', () => this.ask(Number(address.split(':').pop()), (c) => c.ping()));
      },
      restartSentinel: (i: number) => {
        sentinelProcs[i] = this.run('redis-sentinel', [sentinelConfs[i]]);
      },
      promoted: (address, timeoutMs = 30_000) =>
        this.waitFor('a new master', async () => {
          const now = await masterFrom();
          return now !== address && { at: Date.now(), address: now };
        }, timeoutMs),
      replicas: async () => {
        const address = await masterFrom();
        return this.ask(Number(address.split(':').pop()), async (c) => Number(/connected_slaves:(\d+)/.exec(await c.info('replication'))?.[1] ?? 0));
      },
      stop: async () => {
        for (const c of clients.splice(0)) c.disconnect();
        await Promise.all(
          started.map((p) => {
            if (p.exitCode !== null || p.signalCode) return;
            const exited = new Promise((r) => p.once('exit', r));
            p.kill('SIGKILL');
            return exited;
          }),
        );
        rmSync(this.dir, { recursive: true, force: true });
      },
    };
  }
}

// `npx tsx scripts/ha/redis-sentinel.ts [basePort]`: a cluster to try by hand, until Ctrl-C
if (import.meta.url === `file://${process.argv[1]}`) {
  const basePort = Number(process.argv[2] ?? 16000);
  const ha = await startRedisSentinel({ dir: join(process.env.TMPDIR ?? '/tmp', `redis-sentinel-${basePort}`), basePort });
  console.log(`REDIS_SENTINELS=${ha.sentinels} REDIS_SENTINEL_NAME=${ha.name}  (master ${await ha.master()})`);
  process.once('SIGINT', () => void ha.stop().then(() => process.exit(0)));
}
