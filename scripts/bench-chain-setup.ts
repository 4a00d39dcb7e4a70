// The chain benchmark's set-up (scripts/bench-chain.ts): its database (migrated, seeded, the demo
// shop cloned into N shops in a few statements, staff signed in by sessions written directly), its
// processes (two built servers and two built workers on the same database and queue prefix), and
// the readings it takes of them (CPU of each process kind from /proc, Postgres transactions).
import type { ChildProcess } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import pg from 'pg';
import { BASE_DB, REDIS_URL, cpuSeconds, dropBenchData, say, sleep } from './bench-common.ts';
import { freePort, projectEnv, startNode, stop, waitReady } from './bench-rush-common.ts';

/** Drivers per shop: the two seeded ones and a third cloned from them; all on shift. */
export const DRIVERS_PER_SHOP = 3;

export interface ChainShop {
  id: number;
  slug: string;
  lat: number;
  lng: number;
  kitchen: string;
  counter: string;
  manager: string;
  drivers: { id: number; cookie: string }[];
}

/** One N: its database, its queue prefix, its processes and its signed-in staff. */
export class ChainSetup {
  readonly suffix = `${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  readonly dbName = `ocpizza_chain_${this.suffix}`;
  readonly dbUrl = `${BASE_DB}/${this.dbName}`;
  readonly queuePrefix = `ocpizza_chain_${this.suffix}`;
  readonly password = randomBytes(12).toString('base64url');
  readonly sessionSecret = randomBytes(48).toString('base64url');
  /** On the `postgres` database: the readings of pg_stat_* are not counted as this database's transactions. */
  readonly admin = new pg.Client({ connectionString: `${BASE_DB}/postgres` });
  readonly pool = new pg.Pool({ connectionString: this.dbUrl, max: 4 });
  readonly servers: ChildProcess[] = [];
  readonly workers: ChildProcess[] = [];
  readonly bases: string[] = [];
  shops: ChainShop[] = [];
  adminCookie = '';
  pizzas: number[] = [];

  constructor(readonly n: number) {
    this.pool.on('error', () => {}); // a client the clean-up terminates while it is idle
  }

  async create() {
    await this.admin.connect();
    await this.admin.query(`CREATE DATABASE ${this.dbName}`);
    const { migrate } = await import('../db/migrate-runner.ts');
    const { seed } = await import('../db/seed-data.ts');
    await migrate(this.dbUrl);
    await seed(this.pool, this.password);
    const t0 = Date.now();
    await this.cloneShops();
    await this.signIn();
    this.pizzas = (await this.pool.query<{ id: number }>(`SELECT id FROM products WHERE category = 'pizza' ORDER BY id`)).rows.map((r) => r.id);
    await this.pool.query('VACUUM ANALYZE');
    say(`  ${this.n} shops (${this.shops.length * DRIVERS_PER_SHOP} drivers on shift) ready in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  }

  /** The columns of a table that an INSERT … SELECT copies (not its serial id, not generated ones). */
  async columns(table: string): Promise<string[]> {
    const { rows } = await this.pool.query<{ column_name: string }>(
      `SELECT column_name FROM information_schema.columns
        WHERE table_schema = 'public' AND table_name = $1 AND is_generated = 'NEVER' AND is_identity = 'NO' AND coalesce(column_default, '') NOT LIKE 'nextval%'
        ORDER BY ordinal_position`, [table]);
    return rows.map((r) => r.column_name);
  }

  /** Copies `table`'s rows of the demo shop to every cloned shop (`s`), with some columns rewritten. */
  async cloneRows(table: string, demo: number, overrides: Record<string, string> = {}, where = 'true') {
    const cols = await this.columns(table);
    const values = cols.map((c) => overrides[c] ?? (c === 'pizzeria_id' ? 's.id' : `t.${c}`));
    await this.pool.query(
      `INSERT INTO ${table} (${cols.join(', ')}) SELECT ${values.join(', ')} FROM ${table} t, pizzerias s
        WHERE t.pizzeria_id = $1 AND s.slug LIKE 'chain-%' AND ${where}`, [demo]);
  }

  /**
   * N shops: the five seeded ones first (fewer when N < 5), then clones of the first (its menu
   * settings, stock, stations and staff), each a little way off so that maps differ. Every
   * driver on shift; stock raised so nothing runs out.
   */
  async cloneShops() {
    const seeded = (await this.pool.query<{ id: number; slug: string }>('SELECT id, slug FROM pizzerias ORDER BY id')).rows;
    const demo = seeded[0];
    if (this.n < seeded.length) {
      const drop = seeded.slice(this.n).map((s) => s.id);
      await this.pool.query(`UPDATE users SET active = false WHERE pizzeria_id = ANY($1)`, [drop]);
    }
    const extra = Math.max(0, this.n - seeded.length);
    if (extra) {
      const cols = await this.columns('pizzerias');
      const over: Record<string, string> = {
        slug: `'chain-' || g`, name: `t.name || ' ' || g`, lat: `t.lat + ((g % 40) - 20) * 0.01`, lng: `t.lng + ((g / 40) - 6) * 0.01`,
      };
      await this.pool.query(
        `INSERT INTO pizzerias (${cols.join(', ')}) SELECT ${cols.map((c) => over[c] ?? `t.${c}`).join(', ')}
           FROM pizzerias t, generate_series(1, $2::int) g WHERE t.id = $1`, [demo.id, extra]);
      for (const table of ['stock', 'kitchen_stations', 'product_unavailable']) await this.cloneRows(table, demo.id);
      await this.cloneRows('users', demo.id, { email: `replace(t.email, '.${demo.slug}@', '.' || s.slug || '@')`, name: `t.name || ' ' || s.slug` }, 't.lent_to IS NULL');
    }
    // a third driver per shop, like the second
    const cols = await this.columns('users');
    await this.pool.query(
      `INSERT INTO users (${cols.join(', ')}) SELECT ${cols.map((c) => (c === 'email' ? `replace(u.email, 'driver2.', 'driver3.')` : `u.${c}`)).join(', ')}
         FROM users u WHERE u.email LIKE 'driver2.%' AND u.active`);
    await this.pool.query('UPDATE stock SET on_hand = 1000000');
    await this.pool.query(`UPDATE users SET on_shift = true WHERE role = 'driver' AND active`);
    await this.pool.query(`INSERT INTO driver_shifts (driver_id, pizzeria_id) SELECT id, pizzeria_id FROM users u WHERE role = 'driver' AND active
         AND NOT EXISTS (SELECT 1 FROM driver_shifts d WHERE d.driver_id = u.id AND d.ended_at IS NULL)`);
  }

  /** Every active account with a session of its own, written as a login writes it (one statement): cookies by role. */
  async signIn() {
    const users = (await this.pool.query<{ id: number; email: string; drives: boolean; pizzeria_id: number | null }>(
      `SELECT id, email, role = 'driver' AS drives, pizzeria_id FROM users WHERE active ORDER BY id`)).rows;
    const tokens = users.map(() => randomBytes(32).toString('base64url'));
    const ids = tokens.map((t) => createHmac('sha256', this.sessionSecret).update(t).digest('hex'));
    await this.pool.query(`INSERT INTO sessions (id, user_id, expires_at) SELECT unnest($1::text[]), unnest($2::int[]), now() + interval '1 day'`, [ids, users.map((u) => u.id)]);
    const cookieOf = new Map(users.map((u, i) => [u.email, `ocp_session=${tokens[i]}`]));
    const shops = (await this.pool.query<{ id: number; slug: string; lat: number; lng: number }>('SELECT id, slug, lat, lng FROM pizzerias ORDER BY id LIMIT $1', [this.n])).rows;
    this.shops = shops.map((s) => ({
      ...s,
      kitchen: cookieOf.get(`kitchen.${s.slug}@ocpizza.test`)!,
      counter: cookieOf.get(`counter.${s.slug}@ocpizza.test`)!,
      manager: cookieOf.get(`manager.${s.slug}@ocpizza.test`)!,
      drivers: users.filter((u) => u.drives && u.pizzeria_id === s.id).map((u) => ({ id: u.id, cookie: cookieOf.get(u.email)! })),
    }));
    this.adminCookie = cookieOf.get('admin@ocpizza.test')!;
  }

  /** Two built servers and two built workers, same database and queue prefix, each server ready. */
  async start(workersEnv: Record<string, string> = {}) {
    const env = { ...projectEnv({ dbUrl: this.dbUrl, queuePrefix: this.queuePrefix, password: this.password, redisUrl: REDIS_URL }), SESSION_SECRET: this.sessionSecret, LOG_LEVEL: 'error', GEOCODER_URL: 'none', MAP_TILE_URL: 'none' };
    for (let i = 0; i < 2; i++) {
      const port = await freePort();
      this.bases.push(`http://127.0.0.1:${port}`);
      this.servers.push(startNode(['dist/server/index.js'], { ...env, PORT: String(port) }, `server ${i + 1}`));
      this.workers.push(startNode(['dist/workers/index.js'], { ...env, ...workersEnv }, `workers ${i + 1}`));
    }
    await waitReady(this.bases, this.servers);
  }

  async stopProject() {
    clearInterval(this.sampler);
    await Promise.all([...this.servers, ...this.workers].map(stop));
  }

  async cleanup() {
    await this.stopProject();
    await this.pool.end().catch(() => {});
    await dropBenchData(this.admin, this.dbName, this.queuePrefix);
    await this.admin.end();
  }

  /** The CPU seconds of each backend of this database, last read (a backend that has ended keeps its last reading). */
  readonly backendCpu = new Map<number, number>();
  sampler: NodeJS.Timeout | undefined;

  /** Reads the CPU of this database's backends (their pids from pg_stat_activity) now. */
  async sampleBackends() {
    const { rows } = await this.admin.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = $1', [this.dbName]);
    for (const { pid } of rows) {
      try {
        this.backendCpu.set(pid, cpuSeconds(pid));
      } catch {
        /* ended meanwhile: its last reading stays */
      }
    }
  }

  /** Reads them every 500 ms, so that a backend a pool closes is counted up to its last half-second. */
  watchBackends() {
    this.sampler = setInterval(() => void this.sampleBackends().catch(() => {}), 500);
  }

  /** This database's transactions so far (committed and rolled back), after the backends' statistics are flushed. */
  async transactions(): Promise<number> {
    await this.admin.query('SELECT pg_stat_force_next_flush()');
    await sleep(1500); // an active backend flushes its counts at most once a second
    const { rows } = await this.admin.query<{ n: string }>('SELECT xact_commit + xact_rollback AS n FROM pg_stat_database WHERE datname = $1', [this.dbName]);
    return Number(rows[0].n);
  }

  /** Rows this database's backends have read so far (returned by scans and fetched by index), after their statistics are flushed. */
  async rowsRead(): Promise<number> {
    await this.admin.query('SELECT pg_stat_force_next_flush()');
    await sleep(1500);
    const { rows } = await this.admin.query<{ n: string }>('SELECT tup_returned + tup_fetched AS n FROM pg_stat_database WHERE datname = $1', [this.dbName]);
    return Number(rows[0].n);
  }

  /**
   * Where the transactions go (`--statements`): pg_stat_statements, when the server has it loaded
   * (shared_preload_libraries), is emptied at the start of the orders and read at their end; each
   * top-level statement of this database with its calls. Null when it is not loaded.
   */
  async resetStatements(): Promise<boolean> {
    try {
      await this.admin.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
      await this.admin.query('SELECT pg_stat_statements_reset()');
      return true;
    } catch {
      return false;
    }
  }

  async statements(limit = 25): Promise<{ calls: number; ms: number; query: string }[]> {
    const { rows } = await this.admin.query<{ calls: string; ms: number; query: string }>(
      `SELECT s.calls, s.total_exec_time AS ms, left(regexp_replace(s.query, '\\s+', ' ', 'g'), 110) AS query
       FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid WHERE d.datname = $1 AND s.toplevel ORDER BY s.calls DESC LIMIT $2`,
      [this.dbName, limit],
    );
    return rows.map((r) => ({ calls: Number(r.calls), ms: r.ms, query: r.query }));
  }

  /** The order events written so far (their highest id). */
  async lastEventId(): Promise<number> {
    const { rows } = await this.pool.query<{ id: string }>('SELECT coalesce(max(id), 0) AS id FROM order_events');
    return Number(rows[0].id);
  }

  async eventsSince(id: number): Promise<number> {
    const { rows } = await this.pool.query<{ n: string }>('SELECT count(*) AS n FROM order_events WHERE id > $1', [id]);
    return Number(rows[0].n);
  }
}

/** The Redis server's pid (the one this machine runs), or null. */
export function redisPid(): number | null {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() === 'redis-server') return Number(entry);
    } catch {
      /* gone meanwhile */
    }
  }
  return null;
}

/** CPU seconds by process kind, read now. */
export interface CpuReading {
  servers: number;
  workers: number;
  postgres: Map<number, number>;
  redis: number;
  at: number;
}
/** Each process's last reading: one that exited (a workers process killed) counts up to it. */
const lastCpu = new Map<number, number>();
const cpuOr0 = (pid: number) => {
  try {
    const secs = cpuSeconds(pid);
    lastCpu.set(pid, secs);
    return secs;
  } catch {
    return lastCpu.get(pid) ?? 0; // exited meanwhile
  }
};
export async function readCpu(setup: ChainSetup, redis: number | null): Promise<CpuReading> {
  await setup.sampleBackends();
  return {
    servers: setup.servers.reduce((a, s) => a + cpuOr0(s.pid!), 0),
    workers: setup.workers.reduce((a, s) => a + cpuOr0(s.pid!), 0),
    postgres: new Map(setup.backendCpu),
    redis: redis ? cpuOr0(redis) : 0,
    at: performance.now(),
  };
}
/** CPU seconds used between two readings, by kind (a backend is counted up to its last reading). */
export function cpuBetween(a: CpuReading, b: CpuReading) {
  let postgres = 0;
  for (const [pid, secs] of b.postgres) postgres += secs - (a.postgres.get(pid) ?? 0);
  return { servers: b.servers - a.servers, workers: b.workers - a.workers, postgres, redis: b.redis - a.redis, seconds: (b.at - a.at) / 1000 };
}
export type CpuUsed = ReturnType<typeof cpuBetween>;
