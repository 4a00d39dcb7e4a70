// Two servers publishing at once, each its own moves, for shops spread over the event partitions
// (db/migrations/0114: no chain-wide lock): every kitchen screen gets its shop's events once, in id
// order, each order's versions in order; head office's screen, on the other server, gets every shop's
// events once and in id order; and the ids of each shop follow the order its changes committed in.
import { afterEach, describe, expect, it } from 'vitest';
import { Client, collect, connectSocket, createShop, placeThroughApi, seededProduct, subscribe, waitUntil, type TestSocket } from '../helpers.ts';
import { useStack } from '../services.ts';
import { partitionOf } from '../../src/lib/server/events/events.ts';
import type { OrderUpdated } from '../../src/lib/realtime/contract.ts';

const stack = useStack({ hubs: 2 });
const margherita = seededProduct('margherita');
const opened: TestSocket[] = [];
afterEach(() => {
  for (const s of opened.splice(0)) s.disconnect();
});

async function screen(base: string, cookie: string, sub: Parameters<typeof subscribe>[1]) {
  const s = await connectSocket(base, { cookie });
  opened.push(s);
  const seen = collect(s);
  await subscribe(s, sub);
  return seen;
}

/** Each order's events in the order a screen got them: their versions only go up, and no event comes twice. */
function checkOrder(events: OrderUpdated[]) {
  const ids = events.map((e) => e.eventId);
  expect(ids, 'in id order, once each').toEqual([...new Set(ids)].sort((a, b) => a - b));
  const versions = new Map<string, number>();
  for (const e of events) {
    expect(e.order.version, `order ${e.order.id}`).toBeGreaterThan(versions.get(e.order.id) ?? 0);
    versions.set(e.order.id, e.order.version);
  }
}

describe('publishing from two servers at once, by shop', () => {
  it("every screen gets its shops' events once and in order while both servers publish moves of shops in different partitions", async () => {
    const shops = await Promise.all([0, 1, 2, 3].map((i) => createShop(stack.pool, `two-hubs-${i}`)));
    expect(new Set(shops.map((s) => partitionOf(s.id))).size).toBeGreaterThan(1);
    const [one, two] = stack.hubs.map((h) => h.base);
    // each shop's kitchen on the first server, head office on the second
    const kitchens = await Promise.all(
      shops.map(async (s) => {
        const c = await new Client(one).login(s.email('kitchen'));
        return screen(one, c.cookie, { scope: 'kitchen', pizzeriaId: s.id });
      }),
    );
    const admin = await new Client(two).login('admin@ocpizza.test');
    const hq = await screen(two, admin.cookie, { scope: 'hq' });
    // each shop's kitchen staff on both servers: their taps reach one server or the other
    const hands = await Promise.all(shops.map(async (s) => [await new Client(one).login(s.email('kitchen')), await new Client(two).login(s.email('kitchen'))]));

    // orders placed through both servers, then moved through both at once, each order by turns
    const orders = await Promise.all(
      shops.flatMap((s, i) => [0, 1, 2].map(async (k) => ({ shop: i, id: (await placeThroughApi(k % 2 ? two : one, { pizzeriaId: s.id, productId: margherita, fulfilment: 'pickup' })).id as string }))),
    );
    await Promise.all(
      orders.map(async (o, k) => {
        for (const [step, to] of ['preparing', 'ready'].entries()) {
          const r = await hands[o.shop][(k + step) % 2].post(`/api/orders/${o.id}/status`, { to });
          expect(r.status, `${to}: ${JSON.stringify(r.body)}`).toBe(200);
        }
      }),
    );

    const { rows } = await stack.pool.query<{ id: number; order_id: string; pizzeria_id: number; version: number }>(
      `SELECT id, order_id, pizzeria_id, (payload->>'version')::int AS version FROM order_events WHERE order_id = ANY($1) ORDER BY id`,
      [orders.map((o) => o.id)],
    );
    expect(rows).toHaveLength(orders.length * 3);
    // each order's events numbered in the order of its versions
    for (const o of orders) {
      const mine = rows.filter((r) => r.order_id === o.id).map((r) => r.version);
      expect(mine).toEqual([...mine].sort((a, b) => a - b));
    }
    // every screen: all it should get, once, in id order
    for (const [i, s] of shops.entries()) {
      const want = rows.filter((r) => r.pizzeria_id === s.id).map((r) => r.id);
      await waitUntil(() => want.every((id) => kitchens[i].events.some((e) => e.eventId === id)), 10_000, `kitchen ${i} to get its shop's events`);
      const got = kitchens[i].events.filter((e) => want.includes(e.eventId));
      expect(got.map((e) => e.eventId)).toEqual(want);
      checkOrder(kitchens[i].events);
      expect(kitchens[i].events.every((e) => e.order.pizzeriaId === s.id)).toBe(true);
    }
    const all = rows.map((r) => r.id);
    await waitUntil(() => all.every((id) => hq.events.some((e) => e.eventId === id)), 10_000, "head office's screen to get every event");
    expect(hq.events.filter((e) => all.includes(e.eventId)).map((e) => e.eventId)).toEqual(all);
    checkOrder(hq.events);
  });
});
