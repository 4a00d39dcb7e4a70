// A process that stops mid-transaction (its event loop wedged, its machine frozen) must not hold its
// locks for as long as its connection lives: Postgres ends a session idle in its transaction after
// IDLE_IN_TRANSACTION_MS (src/lib/server/kernel/db.ts), its locks go with it, and the process, when
// it turns again, finds the connection gone (a lost connection: not given back to the pool) rather
// than a transaction it believes open. Shortened here to 800 ms.
import { afterAll, describe, expect, it } from 'vitest';
import { createPool, IDLE_IN_TRANSACTION_MS, isDatabaseUnavailable, STATEMENT_TIMEOUT_MS, transaction } from '../../src/lib/server/kernel/db.ts';

const url = `${process.env.TEST_DATABASE_BASE_URL ?? 'postgres://postgres@127.0.0.1:5432'}/postgres`;
const stalled = createPool(url, 2, { idleInTransactionMs: 800 });
const other = createPool(url, 1);
const timed = createPool(url, 1, { statementTimeoutMs: 400 });
afterAll(async () => {
  await Promise.all([stalled.end(), other.end(), timed.end()]);
});
const lockKey = 700_000 + Math.floor(Math.random() * 100_000);

describe('a transaction left idle', () => {
  it('is ended by Postgres after the timeout: its advisory lock is free for others, and its process sees a lost connection', async () => {
    expect(IDLE_IN_TRANSACTION_MS).toBeGreaterThanOrEqual(30_000);
    const setting = (await stalled.query<{ v: string }>("SELECT current_setting('idle_in_transaction_session_timeout') AS v")).rows[0].v;
    expect(setting).toBe('800ms');
    await other.query('SELECT 1'); // its connection open before the clock matters
    let locked = false;
    let resumed = false;
    const held = transaction(stalled, async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1)', [lockKey]);
      locked = true;
      // the process stops turning for this transaction (a wedged loop, a frozen machine): far longer
      // than the timeout, so that a loaded machine's slowness cannot pass for Postgres ending it
      await new Promise((r) => setTimeout(r, 4_000));
      resumed = true;
      await tx.query('SELECT 1');
    });
    held.catch(() => {});
    // (a loaded machine may take a while to open the connection and take the lock)
    await expect.poll(() => locked, { timeout: 10_000, interval: 20 }).toBe(true);
    expect((await other.query<{ got: boolean }>('SELECT pg_try_advisory_xact_lock($1) AS got', [lockKey])).rows[0].got).toBe(false);
    // free once Postgres has ended the idle session, while its process is still stalled
    await expect.poll(async () => (await other.query<{ got: boolean }>('SELECT pg_try_advisory_xact_lock($1) AS got', [lockKey])).rows[0].got, { timeout: 3_500, interval: 50 }).toBe(true);
    expect(resumed).toBe(false);
    const err = await held.then(() => null, (e: unknown) => e);
    expect(err).toBeTruthy();
    expect(isDatabaseUnavailable(err)).toBe(true);
    // the pool still serves: the lost connection was not given back
    expect((await stalled.query<{ n: number }>('SELECT 1 AS n')).rows[0].n).toBe(1);
  });
});

describe('a statement that waits for ever', () => {
  it('behind a lock never let go, ends at the pool\'s statement timeout, and the pool serves the next request', async () => {
    expect(STATEMENT_TIMEOUT_MS.server).toBeGreaterThanOrEqual(10_000);
    const key = lockKey + 1;
    const holder = await other.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT pg_advisory_xact_lock($1)', [key]);
      const t0 = Date.now();
      const err = await timed.query('SELECT pg_advisory_xact_lock($1)', [key]).then(() => null, (e: { code?: string }) => e);
      expect(err?.code).toBe('57014');
      expect(Date.now() - t0).toBeLessThan(3_000);
      expect((await timed.query<{ n: number }>('SELECT 1 AS n')).rows[0].n).toBe(1);
    } finally {
      await holder.query('ROLLBACK');
      holder.release();
    }
  });
});
