// A database and a queue prefix of the test file's own (made by tests/setup-file.ts, the setup file of
// every tier but unit): cloned from the run's template before the file is loaded (tens of
// milliseconds), dropped after its last hook. No file sees another's rows or jobs, so files run in
// parallel and in any order.
import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import pg from 'pg';

const BASE = process.env.TEST_DATABASE_BASE_URL ?? 'postgres://postgres@127.0.0.1:5432';

interface FileDatabase {
  /** The file's own database, a clone of the run's migrated and seeded template. */
  databaseUrl: string;
  /** The file's own queue prefix (and the start of any side database's name it makes). */
  queuePrefix: string;
}

const KEY = Symbol.for('ocpizza.fileDatabase');
type Holder = { [KEY]?: FileDatabase };

async function admin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: `${BASE}/postgres` });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/** The test file's database and queue prefix (set up before the file is loaded). */
export function fileDatabase(): FileDatabase {
  const db = (globalThis as Holder)[KEY];
  if (!db) throw new Error('no database of the file: tests/setup-file.ts is the setup file of every tier but unit');
  return db;
}

/** Creates the file's database from the template; `afterAll` drops it with the file's queue keys. */
export async function setUpFileDatabase(): Promise<FileDatabase> {
  const name = `${inject('runPrefix')}_f${randomBytes(4).toString('hex')}`;
  // a clone reads the template while nobody is connected to it: another file's clone at the same
  // moment is fine, Postgres takes the template in share mode
  await admin((c) => c.query(`CREATE DATABASE "${name}" TEMPLATE "${inject('templateDatabase')}"`));
  const db = { databaseUrl: `${BASE}/${name}`, queuePrefix: name };
  (globalThis as Holder)[KEY] = db;
  return db;
}

export async function dropFileDatabase(db: FileDatabase): Promise<void> {
  // what the file's servers still hold goes with it (a browser test's app may be exiting)
  // (FORCE ends its sessions in the same statement; a process still reconnecting gets another try).
  // A pool's end() resolves before its sockets have closed: the file's own connections get up to 2 s
  // to leave by themselves first, as one ended by force raises an error in the process that held it
  await admin(async (c) => {
    for (const until = Date.now() + 2000; Date.now() < until; ) {
      const { rows } = await c.query('SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1', [db.queuePrefix]);
      if (rows[0].n === 0) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    for (let attempt = 1; ; attempt++) {
      try {
        await c.query(`DROP DATABASE IF EXISTS "${db.queuePrefix}" WITH (FORCE)`);
        return;
      } catch (err) {
        if (attempt >= 5) throw err;
        await new Promise((r) => setTimeout(r, 200 * attempt));
      }
    }
  });
  const { Redis } = await import('ioredis');
  const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${db.queuePrefix}*`, 'COUNT', 1000);
      if (keys.length) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}
