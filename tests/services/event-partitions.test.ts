// The leases of the shops' event partitions (workers/event-partitions.ts), on real Postgres: the
// first process takes them all, a second makes it hand half over (its work stopped first), a process
// that leaves hands its partitions to the one still there, and a holder whose machine vanished (its
// connection open but silent) is cut off and its partitions taken.
import { afterAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { silentLog, waitUntil } from '../helpers.ts';
import { LEASE_RETRY_MS, LEASE_STALE_MS } from '../../workers/reactor-lease.ts';
import { startPartitionLeases } from '../../workers/event-partitions.ts';
import { fileDatabase } from '../file-database.ts';

const url = fileDatabase().databaseUrl;
const run = `parts-test-${process.pid}-${Date.now()}`;
const opened: { close(): Promise<unknown> }[] = [];
afterAll(async () => {
  for (const o of opened) await o.close();
});

function member(name: string, tag: string, log: string[], healthy?: () => boolean) {
  return startPartitionLeases({
    databaseUrl: url,
    name,
    log: silentLog,
    partitions: 4,
    healthy,
    onTaken: async (p) => void log.push(`${tag} takes ${p}`),
    onGiven: async (p) => void log.push(`${tag} gives ${p}`),
    onLost: async (p) => void log.push(`${tag} loses ${p}`),
  }).then((m) => (opened.push(m), m));
}
const sorted = (s: ReadonlySet<number>) => [...s].sort((a, b) => a - b);

describe("the shops' event partitions", () => {
  it('the first process takes every partition; a second makes it hand half over, each handed partition stopped before it is taken; the one left takes them all back', async () => {
    const log: string[] = [];
    const name = `${run}-share`;
    const a = await member(name, 'A', log);
    expect(sorted(a.held)).toEqual([0, 1, 2, 3]);
    const b = await member(name, 'B', log);
    await waitUntil(() => a.held.size === 2 && b.held.size === 2, 5000, 'the partitions shared');
    expect([...sorted(a.held), ...sorted(b.held)].sort()).toEqual([0, 1, 2, 3]);
    // each partition B took, A had given up first
    for (const p of b.held) expect(log.indexOf(`A gives ${p}`)).toBeLessThan(log.indexOf(`B takes ${p}`));
    const t0 = Date.now();
    await a.close();
    await waitUntil(() => b.held.size === 4, 5000, 'B to take every partition');
    expect(Date.now() - t0).toBeLessThan(2 * LEASE_RETRY_MS + 1000);
    expect(log.filter((l) => l.startsWith('A loses'))).toEqual([]);
    await b.close();
  });

  it("a holder whose connection stays open but silent (its machine gone) is cut off, and its partitions taken", async () => {
    const name = `${run}-silent`;
    // a holder that took two partitions and went silent, as a machine that lost its power keeps its connection open for Postgres
    const silent = new pg.Client({ connectionString: url });
    await silent.connect();
    silent.on('error', () => undefined);
    opened.push({ close: () => silent.end().catch(() => undefined) });
    for (const p of [0, 1]) expect((await silent.query('SELECT pg_try_advisory_lock(7242011, hashtext($1)) AS got', [`${name}:${p}`])).rows[0].got).toBe(true);
    const log: string[] = [];
    const t0 = Date.now();
    const b = await member(name, 'B', log);
    expect(sorted(b.held)).toEqual([2, 3]);
    await waitUntil(() => b.held.size === 4, LEASE_STALE_MS + 5000, 'B to cut the silent holder off and take its partitions');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(LEASE_STALE_MS - 1000);
    await b.close();
  }, LEASE_STALE_MS + 10_000);

  it('a holder whose Redis is away lets its partitions go within half the stale time and is not counted; the other takes them all', async () => {
    const log: string[] = [];
    const name = `${run}-redis`;
    let redis = true;
    const a = await member(name, 'A', log, () => redis);
    const b = await member(name, 'B', log);
    await waitUntil(() => a.held.size === 2 && b.held.size === 2, 5000, 'the partitions shared');
    const t0 = Date.now();
    redis = false;
    await waitUntil(() => b.held.size === 4, LEASE_STALE_MS + 3000, 'B to take every partition');
    const ms = Date.now() - t0;
    expect(ms).toBeGreaterThanOrEqual(LEASE_STALE_MS / 2 - 500);
    expect(ms).toBeLessThan(LEASE_STALE_MS / 2 + 3 * LEASE_RETRY_MS);
    expect(a.held.size).toBe(0);
    expect(log.filter((l) => l.startsWith('A loses')).length).toBe(2);
    // its Redis back: it is counted again and takes its share
    redis = true;
    await waitUntil(() => a.held.size === 2 && b.held.size === 2, 8000, 'the partitions shared again');
    await a.close();
    await b.close();
  }, LEASE_STALE_MS + 20_000);
});
