// A screen that worked offline says so once it is back (src/lib/shared/staff-actions.ts), and the
// technical events journal keeps it: who, which screen, from when to when, what it queued. The same
// report twice is written once; a report that is malformed, out of order, in the future, too old,
// too long, empty, too large or from no one is refused and writes nothing.
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { Client, createShop } from '../helpers.ts';
import { useStack } from '../services.ts';

const stack = useStack();
let shop: Awaited<ReturnType<typeof createShop>>;
let counter: Client;
let counterId: number;
const jetCount = async () => (await stack.pool.query(`SELECT count(*)::int AS n FROM fiscal_entries WHERE chain = 'jet' AND kind = 'offline_period'`)).rows[0].n;
const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000).toISOString();

beforeAll(async () => {
  shop = await createShop(stack.pool, 'offline');
  counter = await new Client(stack.base).login(shop.email('counter'));
  counterId = (await stack.pool.query('SELECT id FROM users WHERE email = $1', [shop.email('counter')])).rows[0].id;
});

describe('a spell offline', () => {
  it('is a JET offline_period naming the cashier, the screen, the spell and what it queued; the same report again writes nothing', async () => {
    const report = { id: randomUUID(), screen: 'counter', from: minutesAgo(12), to: minutesAgo(1), taps: { place: 2, advance: 3 } };
    const first = await counter.post('/api/till/offline-periods', report);
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    expect(first.body).toMatchObject({ recorded: true, seq: expect.any(Number) });
    const again = await counter.post('/api/till/offline-periods', report);
    expect(again.body).toEqual({ recorded: false, seq: null });
    const { rows } = await stack.pool.query(`SELECT operator, body FROM fiscal_entries WHERE chain = 'jet' AND seq = $1`, [first.body.seq]);
    expect(rows[0]).toEqual({
      operator: `counter:${counterId}`,
      body: { screen: 'counter', shop: shop.id, from: report.from, to: report.to, seconds: 660, taps: { place: 2, advance: 3 } },
    });
  });

  it('refuses what is malformed, out of order, in the future, too old, too long, empty or too large, and anyone signed out', async () => {
    const before = await jetCount();
    const ok = { id: randomUUID(), screen: 'counter', from: minutesAgo(12), to: minutesAgo(1), taps: { place: 1 } };
    const bad: Record<string, unknown>[] = [
      { ...ok, to: minutesAgo(20) },
      { ...ok, to: new Date(Date.now() + 3_600_000).toISOString() },
      { ...ok, from: new Date(Date.now() - 8 * 86_400_000).toISOString(), to: new Date(Date.now() - 7.9 * 86_400_000).toISOString() },
      { ...ok, from: new Date(Date.now() - 4 * 86_400_000).toISOString() },
      { ...ok, taps: {} },
      { ...ok, taps: { place: 0 } },
      { ...ok, taps: { place: 1e6 } },
      { ...ok, taps: { dance: 1 } },
      { ...ok, screen: 'toaster' },
      { ...ok, id: 'x' },
      { ...ok, id: 'a'.repeat(65) },
      { ...ok, id: 'évident-id-123' },
      { ...ok, from: 'yesterday' },
      { ...ok, extra: true },
    ];
    for (const body of bad) {
      const r = await counter.post('/api/till/offline-periods', body);
      expect([400, 422], JSON.stringify(body)).toContain(r.status);
    }
    expect((await new Client(stack.base).post('/api/till/offline-periods', ok)).status).toBe(401);
    expect(await jetCount()).toBe(before);
  });
});
