// The lease that gives one workers process the following of the order events (workers/reactor-lease.ts),
// on real Postgres: a holder that stops hands over within a second; a holder whose machine vanished
// (its connection open but silent, as after a power cut) is cut off and the lease taken.
import { afterAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { silentLog, waitUntil } from '../helpers.ts';
import { LEASE_RETRY_MS, LEASE_STALE_MS, startLease } from '../../workers/reactor-lease.ts';
import { fileDatabase } from '../file-database.ts';

const url = fileDatabase().databaseUrl;
const run = `lease-test-${process.pid}-${Date.now()}`;
const opened: { close(): Promise<unknown> }[] = [];
afterAll(async () => {
  for (const o of opened) await o.close();
});

function member(name: string, tag: string, log: string[], healthy?: () => boolean) {
  return startLease({
    databaseUrl: url,
    name,
    log: silentLog,
    onAcquired: async () => void log.push(`${tag} follows`),
    onLost: async () => void log.push(`${tag} stops`),
    healthy,
  });
}

describe('the following lease', () => {
  it('one process holds it, the other waits; when the holder stops, the other takes over within a second, after the holder stopped its work', async () => {
    const log: string[] = [];
    const name = `${run}-handover`;
    const a = await member(name, 'A', log);
    const b = await member(name, 'B', log);
    opened.push(a, b);
    expect([a.holding, b.holding]).toEqual([true, false]);
    const t0 = Date.now();
    await a.close();
    await waitUntil(() => b.holding, 3000, 'B to take over');
    expect(Date.now() - t0).toBeLessThan(LEASE_RETRY_MS + 500);
    expect(log).toEqual(['A follows', 'A stops', 'B follows']);
  });

  it('a holder whose connection stays open but silent (its machine gone) is cut off, and the lease taken', async () => {
    // a holder that took the lock and then went silent, as a machine that lost its power keeps its connection open for Postgres
    const name = `${run}-silent`;
    const silent = new pg.Client({ connectionString: url });
    await silent.connect();
    silent.on('error', () => undefined);
    expect((await silent.query('SELECT pg_try_advisory_lock(7242010, hashtext($1)) AS got', [name])).rows[0].got).toBe(true);
    const log: string[] = [];
    const t0 = Date.now();
    const b = await member(name, 'B', log);
    opened.push(b, { close: () => silent.end().catch(() => undefined) });
    expect(b.holding).toBe(false);
    await waitUntil(() => b.holding, LEASE_STALE_MS + 5000, 'B to cut the silent holder off and take over');
    const ms = Date.now() - t0;
    expect(ms).toBeGreaterThanOrEqual(LEASE_STALE_MS - 1000);
    expect(log).toEqual(['B follows']);
  }, LEASE_STALE_MS + 10_000);

  it("a holder whose Redis is away steps down within half the stale time, and one whose Redis answers takes over; a process without Redis does not take it", async () => {
    const log: string[] = [];
    const name = `${run}-redis-away`;
    let aRedis = true;
    const a = await member(name, 'A', log, () => aRedis);
    const b = await member(name, 'B', log, () => true);
    opened.push(a, b);
    expect([a.holding, b.holding]).toEqual([true, false]);
    const t0 = Date.now();
    aRedis = false;
    await waitUntil(() => b.holding, LEASE_STALE_MS, 'B to take over from A, whose Redis is away');
    expect(Date.now() - t0).toBeLessThan(LEASE_STALE_MS / 2 + 2 * LEASE_RETRY_MS + 1000);
    expect(a.holding).toBe(false);
    expect(log).toEqual(['A follows', 'A stops', 'B follows']);
    // B goes: A, its Redis still away, does not take the lease; once its Redis answers, it does
    await b.close();
    await new Promise((r) => setTimeout(r, 3 * LEASE_RETRY_MS));
    expect(a.holding).toBe(false);
    aRedis = true;
    await waitUntil(() => a.holding, 3 * LEASE_RETRY_MS + 1000, 'A to take it once its Redis answers');
  }, LEASE_STALE_MS + 15_000);
});
