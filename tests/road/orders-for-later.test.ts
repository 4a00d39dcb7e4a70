// Orders for later, on real Postgres, Redis, BullMQ and Socket.io: a shop offers the 15-minute
// slots it has room for in its oven; a full slot is not offered and an order for it is refused
// with a clear message; a cancelled order frees its slot and its stock; an order for later waits
// as coming and is fired into the make line at its fire time, not before (the kitchen cannot start
// it earlier), or at once by a manager. A shop of each test's own, with a small oven.
import { describe, expect, it } from 'vitest';
import type { OrderUpdated } from '../../src/lib/realtime/contract.ts';
import type { ShopStatus } from '../../src/lib/shapes/views.ts';
import { jobId } from '../../src/lib/server/kernel/queues.ts';
import { Client, collect, connectSocket, createShop, customer, move, seededProduct, subscribe, waitUntil } from '../helpers.ts';
import { useStack } from '../services.ts';

const stack = useStack({ workers: true, env: { LOG_LEVEL: 'error' } });

interface Slots { capacity: number; slots: { start: string; end: string; freeMinutes: number }[] }

/** A shop whose oven makes `ovenMinutes` per slot (a margherita takes 9), with its staff signed in. */
async function smallShop(tag: string, ovenMinutes = 20) {
  const shop = await createShop(stack.pool, tag);
  await stack.pool.query('UPDATE pizzerias SET oven_minutes_per_slot = $2 WHERE id = $1', [shop.id, ovenMinutes]);
  const [kitchen, manager] = await Promise.all([shop.email('kitchen'), shop.email('manager')].map((e) => new Client(stack.base).login(e)));
  return { shop, kitchen, manager };
}

const slotsOf = async (shop: number, pizzas = 1): Promise<Slots> => {
  const r = await new Client(stack.base).get(`/api/pizzerias/${shop}/slots?fulfilment=pickup&pizzas=${pizzas}`);
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body;
};

const orderFor = (shop: number, slot: string | undefined, pizzas: number, extra: Record<string, unknown> = {}) =>
  new Client(stack.base).post('/api/orders', {
    pizzeriaId: shop, fulfilment: 'pickup', customer, payment: 'on_delivery',
    items: [{ productId: seededProduct('margherita'), quantity: pizzas }],
    ...(slot ? { slot } : {}),
    ...extra,
  });

const reservedAt = async (shop: number) =>
  Number((await stack.pool.query('SELECT coalesce(sum(reserved), 0) AS n FROM stock WHERE pizzeria_id = $1', [shop])).rows[0].n);

describe('orders for later', () => {
  it('a full slot is not offered and an order for it is refused; a cancel frees the slot and the stock', async () => {
    const { shop } = await smallShop('later-full');
    const offered = await slotsOf(shop.id);
    expect(offered.capacity).toBe(20);
    // a week of slots at a shop open at all hours, each 15 minutes, all empty
    expect(offered.slots.length).toBeGreaterThan(600);
    expect(offered.slots.every((s) => Date.parse(s.end) - Date.parse(s.start) === 15 * 60_000 && s.freeMinutes === 20)).toBe(true);
    const slot = offered.slots[4].start;

    const first = await orderFor(shop.id, slot, 2);
    expect(first.status, JSON.stringify(first.body)).toBe(201);
    const order = (await new Client(stack.base).get(`/api/track/${first.body.trackingToken}`)).body;
    expect(order).toMatchObject({ status: 'received', scheduled: { slotAt: new Date(slot).toISOString(), fired: false } });
    // promised by the end of its slot, fired before it
    expect(Date.parse(order.promisedAt)).toBe(Date.parse(slot) + 15 * 60_000);
    expect(Date.parse(order.scheduled.fireAt)).toBeLessThan(Date.parse(slot));
    expect(await reservedAt(shop.id)).toBeGreaterThan(0);

    // 18 of its 20 oven minutes taken: no room for one more pizza, so not offered; the next slot is
    const after = await slotsOf(shop.id);
    expect(after.slots.map((s) => s.start)).not.toContain(offered.slots[4].start);
    expect(after.slots.find((s) => s.start === offered.slots[5].start)?.freeMinutes).toBe(20);
    // drinks take no oven time: a slot with no room for a pizza still takes an order of drinks
    expect((await slotsOf(shop.id, 0)).slots.map((s) => s.start)).toContain(offered.slots[4].start);

    const refused = await orderFor(shop.id, slot, 1);
    expect(refused.status, JSON.stringify(refused.body)).toBe(409);
    expect(refused.body.error).toMatchObject({ code: 'slot_full', message: 'this slot is full: choose another one', fields: { slot: expect.any(String) } });
    const count = async () => Number((await stack.pool.query('SELECT count(*) AS n FROM orders WHERE pizzeria_id = $1', [shop.id])).rows[0].n);
    expect(await count()).toBe(1);

    // the customer cancels: the slot is offered again and the stock is the shop's again
    const cancelled = await new Client(stack.base).post(`/api/track/${first.body.trackingToken}/cancel`, {});
    expect(cancelled.status, JSON.stringify(cancelled.body)).toBe(200);
    expect((await slotsOf(shop.id)).slots.find((s) => s.start === offered.slots[4].start)?.freeMinutes).toBe(20);
    expect(await reservedAt(shop.id)).toBe(0);
    const second = await orderFor(shop.id, slot, 1);
    expect(second.status, JSON.stringify(second.body)).toBe(201);
  });

  it('refuses a slot off the quarter, too soon or more than a week ahead, saying why; a slot six and a half days ahead is taken, paid at the door or online', async () => {
    const { shop } = await smallShop('later-refused', 200);
    const quarter = 15 * 60_000;
    const nextQuarter = Math.ceil(Date.now() / quarter) * quarter;
    const cases: [string, string | undefined, string, RegExp][] = [
      ['off the quarter', new Date(nextQuarter + 4 * quarter + 7 * 60_000).toISOString(), 'slot_unavailable', /quarter hour/],
      ['too soon (the quarter hour under way)', new Date(nextQuarter - quarter).toISOString(), 'slot_unavailable', /too soon/],
      ['eight days ahead', new Date(nextQuarter + 8 * 96 * quarter).toISOString(), 'slot_unavailable', /7 days/],
      ['not a date', 'tomorrow at eight', 'invalid', /slot/],
    ];
    for (const [what, slot, code, message] of cases) {
      const r = await orderFor(shop.id, slot, 1);
      expect(r.status, `${what}: ${JSON.stringify(r.body)}`).toBe(422);
      expect(r.body.error.code, what).toBe(code);
      expect(JSON.stringify(r.body.error), what).toMatch(message);
    }
    expect(Number((await stack.pool.query('SELECT count(*) AS n FROM orders WHERE pizzeria_id = $1', [shop.id])).rows[0].n)).toBe(0);
    // six and a half days ahead, paid at the door, is taken
    const slot = new Date(nextQuarter + 6.5 * 96 * quarter);
    const atTheDoor = await orderFor(shop.id, slot.toISOString(), 1);
    expect(atTheDoor.status, JSON.stringify(atTheDoor.body)).toBe(201);
    // and paid online too: the card is saved now and held the day before (tests/road/card-saved-then-held.test.ts)
    const online = await orderFor(shop.id, new Date(slot.getTime() + quarter).toISOString(), 1, { payment: 'online' });
    expect(online.status, JSON.stringify(online.body)).toBe(201);
    expect(online.body).toMatchObject({ status: 'pending_payment' });
    // numbered among the orders of its slot's day (the kitchen reads that day's numbers), the first of that day
    const { rows } = await stack.pool.query(`SELECT business_day::text AS day, number FROM orders WHERE id = $1`, [atTheDoor.body.id]);
    expect(rows[0]).toEqual({ day: new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Paris' }).format(slot), number: 1 });
  });

  it('waits as coming until its fire time, then enters the make line, not before; a manager can fire one now', async () => {
    const { shop, kitchen, manager } = await smallShop('later-fired', 200);
    const socket = await connectSocket(stack.base, { cookie: kitchen.cookie });
    stack.sockets.push(socket);
    const seen = collect(socket);
    expect(await subscribe(socket, { scope: 'kitchen', pizzeriaId: shop.id })).not.toHaveProperty('error');

    const { slots } = await slotsOf(shop.id);
    const placed = await orderFor(shop.id, slots[0].start, 1);
    expect(placed.status, JSON.stringify(placed.body)).toBe(201);
    const id = placed.body.id as string;
    const view = (await kitchen.get(`/api/orders/${id}`)).body;
    expect(view.scheduled).toMatchObject({ fired: false });

    // the workers hold its firing for its fire time
    const job = (await waitUntil(() => stack.workers.queues.prep.getJob(jobId.fire(id)), 10_000, 'the fire job'))!;
    expect(Math.abs(job.timestamp + (job.opts.delay ?? 0) - Date.parse(view.scheduled.fireAt))).toBeLessThan(2000);
    // the kitchen cannot start it before
    const early = await kitchen.post(`/api/orders/${id}/status`, { to: 'preparing' });
    expect(early.status).toBe(409);
    expect(early.body.error).toMatchObject({ code: 'not_fired', message: expect.stringMatching(/for later/) });

    // its fire time brought to three seconds from now (its job lost with it: the reconciler queues it again)
    await stack.pool.query(`UPDATE orders SET fire_at = now() + interval '3 seconds', version = version + 1 WHERE id = $1`, [id]);
    await job.remove();
    expect((await stack.workers.reconcile()).fires).toBeGreaterThanOrEqual(1);
    const fired = await seen.waitFor((e: OrderUpdated) => e.order.id === id && e.type === 'order.fired', 15_000);
    expect(fired.order.scheduled).toMatchObject({ fired: true });
    const { rows } = await stack.pool.query('SELECT fired_at >= fire_at AS on_time FROM orders WHERE id = $1', [id]);
    expect(rows[0].on_time).toBe(true);
    await move(kitchen, id, 'preparing');

    // a manager fires another one now; the kitchen may not; twice is refused
    const other = await orderFor(shop.id, slots[8].start, 1);
    expect((await kitchen.post(`/api/orders/${other.body.id}/fire`, {})).status).toBe(403);
    const now = await manager.post(`/api/orders/${other.body.id}/fire`, {});
    expect(now.status, JSON.stringify(now.body)).toBe(200);
    expect(now.body.scheduled).toMatchObject({ fired: true });
    await seen.waitFor((e: OrderUpdated) => e.order.id === other.body.id && e.type === 'order.fired');
    expect((await manager.post(`/api/orders/${other.body.id}/fire`, {})).status).toBe(409);
    await move(kitchen, other.body.id, 'preparing');
  });
});

describe('capacity and pacing', () => {
  const promiseOf = async (body: { trackingToken: string }) => {
    const o = (await new Client(stack.base).get(`/api/track/${body.trackingToken}`)).body;
    return (Date.parse(o.promisedAt) - Date.parse(o.timestamps.created)) / 60_000;
  };

  it('in a rush the promise grows by itself: an order the oven has no room for soon is promised the first slot that has', async () => {
    // an oven of 20 minutes a quarter hour: two pizzas fill a slot
    const { shop } = await smallShop('pacing', 20);
    const first = await orderFor(shop.id, undefined, 2);
    expect(first.status, JSON.stringify(first.body)).toBe(201);
    const second = await orderFor(shop.id, undefined, 2);
    const third = await orderFor(shop.id, undefined, 2);
    const [p1, p2, p3] = [await promiseOf(first.body), await promiseOf(second.body), await promiseOf(third.body)];
    // each one a slot later than the one before (the queue ahead grows too)
    expect(p2).toBeGreaterThanOrEqual(p1 + 10);
    expect(p3).toBeGreaterThanOrEqual(p2 + 10);
    const slots = (await stack.pool.query<{ slot: Date }>('SELECT slot_at AS slot FROM orders WHERE pizzeria_id = $1 ORDER BY created_at', [shop.id])).rows.map((r) => r.slot.getTime());
    expect(new Set(slots).size).toBe(3);
    // drinks take no oven time: not pushed back
    const drinks = await new Client(stack.base).post('/api/orders', {
      pizzeriaId: shop.id, fulfilment: 'pickup', customer, payment: 'on_delivery', items: [{ productId: seededProduct('coca-cola'), quantity: 2 }],
    });
    expect(await promiseOf(drinks.body)).toBeLessThan(p2);
  });

  it("the manager's +10 and +20 move the promises of new orders, every open storefront hears it, and back to normal", async () => {
    const { shop, manager } = await smallShop('busy', 500);
    const visitor = await connectSocket(stack.base);
    stack.sockets.push(visitor);
    const told: ShopStatus[] = [];
    visitor.on('shop:status', (e) => told.push(e));
    expect(await subscribe(visitor, { scope: 'menu', pizzeriaId: shop.id })).toMatchObject({ data: {} });
    const where = async () => {
      // a spot next to the test shop's door (tests/helpers.ts createShop)
      const r = await new Client(stack.base).get(`/api/delivery/where?lat=48.861&lng=2.371&pizzas=1`);
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      return r.body.shops.find((s: { id: number }) => s.id === shop.id).promiseMinutes as number;
    };
    const before = await orderFor(shop.id, undefined, 1);
    const normal = await promiseOf(before.body);
    const shownBefore = await where();

    const busy = await manager.post(`/api/shops/${shop.id}/busy`, { minutes: 20 });
    expect(busy.status, JSON.stringify(busy.body)).toBe(200);
    expect(busy.body).toMatchObject({ id: shop.id, busyMinutes: 20 });
    await waitUntil(() => told.some((e) => e.pizzeriaId === shop.id && e.busyMinutes === 20), 5000, 'the storefront told');
    const during = await orderFor(shop.id, undefined, 1);
    expect(await promiseOf(during.body)).toBeGreaterThanOrEqual(normal + 19);
    expect(await where()).toBe(shownBefore + 20);
    // the order taken before keeps its promise
    expect(await promiseOf(before.body)).toBe(normal);

    expect((await manager.post(`/api/shops/${shop.id}/busy`, { minutes: 0 })).body.busyMinutes).toBe(0);
    await waitUntil(() => told.some((e) => e.pizzeriaId === shop.id && e.busyMinutes === 0), 5000, 'back to normal, told');
    expect(await where()).toBe(shownBefore);
    const { rows } = await stack.pool.query(`SELECT action, after FROM audit_log WHERE entity = 'shop' AND entity_id = $1 ORDER BY id`, [String(shop.id)]);
    expect(rows.map((r) => [r.action, r.after.busyMinutes])).toEqual([['shop.busy', 20], ['shop.busy', 0]]);

    // not 15, not the kitchen, not another shop's manager
    expect((await manager.post(`/api/shops/${shop.id}/busy`, { minutes: 15 })).status).toBe(422);
    expect((await (await new Client(stack.base).login(shop.email('kitchen'))).post(`/api/shops/${shop.id}/busy`, { minutes: 10 })).status).toBe(403);
    const other = await createShop(stack.pool, 'busy-other');
    expect((await (await new Client(stack.base).login(other.email('manager'))).post(`/api/shops/${shop.id}/busy`, { minutes: 10 })).status).toBe(403);
  });
});
