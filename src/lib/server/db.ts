import pg from 'pg';
import { config } from './config.ts';

export type Db = pg.Pool;
export type Tx = pg.PoolClient;
export type Queryable = pg.Pool | pg.ClientBase;

// bigint (event ids) and counts come back as numbers: they stay far below 2^53
pg.types.setTypeParser(20, (v) => Number(v));

let pool: pg.Pool | undefined;

/**
 * A named statement (`{ name, text }`) is planned once per connection and its plan reused. Left to
 * itself (plan_cache_mode = auto), Postgres plans it afresh for each call whenever it guesses that
 * the parameters' values could give a cheaper plan, which it did for every call of the rush's
 * placement statements: a quarter of Postgres' CPU in a rush went to planning (the shop and menu read
 * alone 0.66 ms of planning against 0.52 ms of execution). Every hot query of the system is keyed
 * on ids and indexed columns, so one plan serves every call.
 */
const PLAN_ONCE = '-c plan_cache_mode=force_generic_plan';

/**
 * `durable: false`: its commits do not wait for their WAL flush (synchronous_commit off). For
 * bookkeeping whose loss in a crash of Postgres itself (the last fraction of a second) costs at
 * most a repeat, never an order or money: which customer messages went out, which labels printed.
 */
export function createPool(url: string, max = 10, opts: { durable?: boolean } = {}): pg.Pool {
  const p = new pg.Pool({
    connectionString: url,
    max,
    application_name: 'ocpizza',
    options: [PLAN_ONCE, ...(opts.durable === false ? ['-c synchronous_commit=off'] : [])].join(' '),
  });
  p.on('error', () => {
    /* an idle client lost its connection; the pool replaces it */
  });
  return p;
}

/** The process-wide pool (SvelteKit pages and the server share it when in one process). */
export function db(): pg.Pool {
  return (pool ??= createPool(config().DATABASE_URL));
}

export function setDb(p: pg.Pool): void {
  pool = p;
}

/** Runs `fn` in one transaction, retrying on serialization failures and deadlocks. */
export async function transaction<T>(dbp: pg.Pool, fn: (tx: Tx) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const client = await dbp.connect();
    try {
      await client.query('BEGIN');
      const result = await fn(client);
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      const code = (err as { code?: string }).code;
      if ((code === '40001' || code === '40P01') && attempt < 5 && !(err as { noRetry?: boolean }).noRetry) continue;
      throw err;
    } finally {
      client.release();
    }
  }
}
