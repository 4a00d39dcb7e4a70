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
 * How long Postgres lets a session sit idle inside a transaction before it ends the session (and so
 * the transaction, its row and advisory locks with it). A process that stops turning mid-transaction
 * (an event loop wedged, a machine frozen) otherwise holds its locks for as long as its connection
 * lives: minutes, while every placement of the shop queues behind them. No transaction of the product
 * waits this long between two of its statements.
 */
export const IDLE_IN_TRANSACTION_MS = 60_000;

/**
 * How long one statement may run (its lock waits included) on the server's pool: no request's
 * statement needs more, and one stuck behind a lock that is never let go ends instead of holding its
 * connection, and its request, for ever. The workers' pool allows more (their batches and archives).
 */
export const STATEMENT_TIMEOUT_MS = { server: 30_000, workers: 300_000 } as const;

/** How long a request waits for a connection (a free one of the pool, or a new one) before it is answered 503. */
export const CONNECT_TIMEOUT_MS = 10_000;

/**
 * `durable: false`: its commits do not wait for their WAL flush (synchronous_commit off). For
 * bookkeeping whose loss in a crash of Postgres itself (the last fraction of a second) costs at
 * most a repeat, never an order or money: which customer messages went out, which labels printed.
 */
export function createPool(url: string, max = 10, opts: { durable?: boolean; idleInTransactionMs?: number; statementTimeoutMs?: number } = {}): pg.Pool {
  const idle = [
    `-c idle_in_transaction_session_timeout=${Math.round(opts.idleInTransactionMs ?? IDLE_IN_TRANSACTION_MS)}`,
    ...(opts.statementTimeoutMs ? [`-c statement_timeout=${Math.round(opts.statementTimeoutMs)}`] : []),
  ].join(' ');
  const p = new pg.Pool({
    connectionString: url,
    max,
    application_name: 'ocpizza',
    options: [PLAN_ONCE, idle, ...(opts.durable === false ? ['-c synchronous_commit=off'] : [])].join(' '),
    // a connection whose far end vanished (a machine gone, not a process) is found out by TCP itself
    keepAlive: true,
    // while no Postgres answers (a failover), a request fails in seconds instead of waiting for ever
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
  });
  p.on('error', () => {
    /* an idle client lost its connection (a failover, a restart): the pool drops it and opens a new one when asked */
  });
  // a client lent out (inside a transaction, between two of its queries) has no listener of the
  // pool's: its connection lost would be an uncaught 'error' that ends the process. The query under
  // way (or the next) fails instead, and the client is not given back (transaction() below)
  p.on('connect', (client) => client.on('error', () => {}));
  return p;
}

/**
 * Whether an error says the database went away (its connection lost, or no Postgres to connect to:
 * a failover under way, a restart), rather than something about the request. Such a transaction
 * never committed half: Postgres rolled it back. Whether it committed at all is unknown only when the
 * connection was lost during COMMIT itself: a client repeats the request with its Idempotency-Key.
 */
export function isDatabaseUnavailable(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown } | null;
  if (!e) return false;
  const code = typeof e.code === 'string' ? e.code : '';
  // 08: connection exception; 57P01-57P03: admin shutdown, crash shutdown, cannot connect now;
  // 25006: read-only transaction (a standby reached while the leader moves); 25P03: the session
  // ended by Postgres after sitting idle in its transaction (IDLE_IN_TRANSACTION_MS)
  if (/^08[0-9A-Z]{3}$/.test(code) || /^57P0[123]$/.test(code) || code === '25006' || code === '25P03') return true;
  if (['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH'].includes(code)) return true;
  const message = typeof e.message === 'string' ? e.message : '';
  return /Connection terminated|connection error and is not queryable|timeout exceeded when trying to connect|Client was closed and is not queryable|the database system is (starting up|shutting down|in recovery mode)/i.test(message);
}

/** The process-wide pool (SvelteKit pages and the server share it when in one process). */
export function db(): pg.Pool {
  return (pool ??= createPool(config().DATABASE_URL));
}

export function setDb(p: pg.Pool): void {
  pool = p;
}

/**
 * What a transaction may be asked to end with: statements sent with its COMMIT, in one round trip
 * (the fiscal journal's seal: src/lib/server/fiscal/seal.ts). A hook reads what it needs in the
 * transaction, then gives its last statements; if one of them fails, nothing commits.
 */
export interface CommitHook {
  lastStatements(tx: Tx): Promise<pg.QueryConfig[]>;
  /**
   * Once the last statements and the COMMIT are written to Postgres, before their answer: from there
   * Postgres commits (or refuses) without this process, whatever its event loop does meanwhile.
   */
  sent?(): void;
  /** Once the transaction has ended, whichever way (called once, also when lastStatements was not). */
  ended?(committed: boolean): void;
}

/** A transaction() under way on a client: which attempt it is (2 and on: after a serialization failure), and its hooks. */
export interface RunningTransaction {
  attempt: number;
  hooks: Map<symbol, CommitHook>;
}

const running = new WeakMap<pg.ClientBase, RunningTransaction>();

/** The transaction() under way on this client, if it is one (not a pool, not a client used otherwise). */
export function runningTransaction(q: Queryable): RunningTransaction | undefined {
  return running.get(q as pg.ClientBase);
}

/** node-postgres' pipelining (https://node-postgres.com/features/pipelining): queries sent without waiting for the one before. */
const pipelined = (client: pg.ClientBase, on: boolean) => {
  (client as unknown as { pipeline: boolean }).pipeline = on;
};

/**
 * The client's socket held (corked) while `send` queues its queries, then let go: the queries
 * pipelined go out in one write, which wakes Postgres once (a write is a system call, and waking
 * the backend is most of its cost). With `untilNextTick`, let go once what runs now has run: the
 * first statement of a transaction goes out with its BEGIN when the caller asks it at once.
 */
function inOneWrite<T>(client: pg.ClientBase, send: () => T, untilNextTick = false): T {
  const stream = (client as unknown as { connection?: { stream?: { cork?: () => void; uncork?: () => void } } }).connection?.stream;
  if (!stream?.cork || !stream.uncork) return send();
  stream.cork();
  if (untilNextTick) {
    process.nextTick(() => stream.uncork!());
    return send();
  }
  try {
    return send();
  } finally {
    stream.uncork();
  }
}

/**
 * Runs `fn` in one transaction, retrying on serialization failures and deadlocks. A lost connection
 * is not retried here (`fn` may have asked something of the outside world): the error goes up, and
 * the API answers 503 (see isDatabaseUnavailable); the client repeats with its Idempotency-Key.
 *
 * BEGIN goes out with the transaction's first statement, and COMMIT with its hooks' last ones
 * (CommitHook), pipelined: no round trip of their own. A failed last statement leaves the
 * transaction aborted, and its COMMIT then answers ROLLBACK: nothing committed, the error goes up
 * (and a serialization failure has `fn` done again, as any other).
 */
export async function transaction<T>(dbp: pg.Pool, fn: (tx: Tx) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const client = await dbp.connect();
    const run: RunningTransaction = { attempt, hooks: new Map() };
    let lost = false;
    let committed = false;
    try {
      running.set(client, run);
      pipelined(client, true);
      let begun!: Promise<unknown>;
      const result = await inOneWrite(client, () => {
        begun = client.query('BEGIN');
        begun.catch(() => {});
        return fn(client);
      }, true);
      await begun;
      const last: pg.QueryConfig[] = [];
      for (const hook of run.hooks.values()) last.push(...(await hook.lastStatements(client)));
      await commitWith(client, last, () => {
        for (const hook of run.hooks.values()) hook.sent?.();
      });
      committed = true;
      return result;
    } catch (err) {
      // a connection lost mid-transaction (a failover) is not given back to the pool
      lost = isDatabaseUnavailable(err);
      if (!lost) await client.query('ROLLBACK').catch(() => {});
      const code = (err as { code?: string }).code;
      if ((code === '40001' || code === '40P01') && attempt < 5 && !(err as { noRetry?: boolean }).noRetry) continue;
      throw err;
    } finally {
      for (const hook of run.hooks.values()) hook.ended?.(committed);
      running.delete(client);
      pipelined(client, false);
      client.release(lost || undefined);
    }
  }
}

/** The last statements and COMMIT, sent at once (then `onSent`); throws the first failure (then nothing committed). */
async function commitWith(client: pg.PoolClient, last: pg.QueryConfig[], onSent: () => void): Promise<void> {
  const sent = inOneWrite(client, () => [...last.map((q) => client.query(q)), client.query('COMMIT')]);
  onSent();
  const settled = await Promise.allSettled(sent);
  const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  const committed = (settled.at(-1) as PromiseFulfilledResult<pg.QueryResult>).value;
  // a COMMIT in a transaction that failed is a ROLLBACK (and no error): the hooks' statements did not commit
  if (last.length && committed.command !== 'COMMIT') throw new Error('the transaction was rolled back at its commit');
}
