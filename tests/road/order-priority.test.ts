// Priority, on real Postgres, Redis and Socket.io: the manager or the counter marks an order
// urgent (a customer waiting at the counter, a remake after a mistake) and every screen sees it
// (the kitchen sorts it first); the same mark twice is harmless; the kitchen, a driver, another
// shop and the customer may not mark it, nor may anyone once the order is over. A shop of each
// test's own.
import { describe, expect, it } from 'vitest';
import type { OrderUpdated } from '../../src/lib/realtime/contract.ts';
import { seededProduct, Client, collect, connectSocket, createShop, move, placeThroughApi, subscribe } from '../helpers.ts';
import { useStack } from '../services.ts';

const stack = useStack({ env: { LOG_LEVEL: 'error' } });

async function shopWithStaff(tag: string) {
  const shop = await createShop(stack.pool, tag);
  const [kitchen, manager, counter, driver] = await Promise.all(
    [shop.email('kitchen'), shop.email('manager'), shop.email('counter'), shop.email('driver1')].map((e) => new Client(stack.base).login(e)),
  );
  return { shop, kitchen, manager, counter, driver };
}

/** A screen: a socket with a cookie (staff) or the tracking link (the customer), subscribed, and what it sees. */
async function screen(opts: { cookie?: string; trackingToken?: string }, req: Parameters<typeof subscribe>[1]) {
  const socket = await connectSocket(stack.base, opts);
  stack.sockets.push(socket);
  const seen = collect(socket);
  const ack = await subscribe(socket, req);
  expect(ack, JSON.stringify(ack)).not.toHaveProperty('error');
  return seen;
}

const place = async (shop: number, fulfilment: 'delivery' | 'pickup' = 'pickup') =>
  placeThroughApi(stack.base, { pizzeriaId: shop, productId: seededProduct('margherita'), fulfilment });
const urgentEvents = async (orderId: string) =>
  (await stack.pool.query(`SELECT count(*)::int AS n FROM order_events WHERE order_id = $1 AND type = 'order.urgent'`, [orderId])).rows[0].n as number;

describe('an urgent order', () => {
  it('the counter marks it urgent and the kitchen, the shop and the customer all see it; the manager takes the mark off', async () => {
    const { shop, kitchen, manager, counter } = await shopWithStaff('urgent-seen');
    const o = await place(shop.id, 'delivery');
    expect((await counter.get(`/api/orders/${o.id}`)).body.urgent).toBe(false);
    const kitchenSeen = await screen({ cookie: kitchen.cookie }, { scope: 'kitchen', pizzeriaId: shop.id });
    const shopSeen = await screen({ cookie: manager.cookie }, { scope: 'shop', pizzeriaId: shop.id });
    const customerSeen = await screen({ trackingToken: o.trackingToken }, { scope: 'order' });

    const marked = await counter.post(`/api/orders/${o.id}/urgent`, { urgent: true });
    expect(marked.status, JSON.stringify(marked.body)).toBe(200);
    expect(marked.body).toMatchObject({ urgent: true, version: o.version + 1 });
    const isUrgent = (e: OrderUpdated) => e.order.id === o.id && e.type === 'order.urgent' && e.order.urgent === true;
    const seen = await Promise.all([kitchenSeen, shopSeen, customerSeen].map((s) => s.waitFor(isUrgent)));
    // the kitchen's cut of the order carries the mark too (and still no address)
    expect(seen[0].order).toMatchObject({ urgent: true, address: null });

    // it stays urgent through the kitchen's moves
    await move(kitchen, o.id, 'preparing');
    expect((await kitchen.get(`/api/orders/${o.id}`)).body.urgent).toBe(true);

    const unmarked = await manager.post(`/api/orders/${o.id}/urgent`, { urgent: false });
    expect(unmarked.status, JSON.stringify(unmarked.body)).toBe(200);
    expect(unmarked.body.urgent).toBe(false);
    await kitchenSeen.waitFor((e) => e.order.id === o.id && e.type === 'order.urgent' && e.order.urgent === false);
  });

  it('head office marks any shop\'s order; the same mark twice changes nothing and tells no screen again', async () => {
    const { shop, manager } = await shopWithStaff('urgent-twice');
    const admin = await new Client(stack.base).login('admin@ocpizza.test');
    const o = await place(shop.id);
    const first = await admin.post(`/api/orders/${o.id}/urgent`, { urgent: true });
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    const twice = await manager.post(`/api/orders/${o.id}/urgent`, { urgent: true });
    expect(twice.status).toBe(200);
    expect(twice.body).toMatchObject({ urgent: true, version: first.body.version });
    expect(await urgentEvents(o.id)).toBe(1);
    // not urgent and told so again: nothing either
    const fresh = await place(shop.id);
    expect((await manager.post(`/api/orders/${fresh.id}/urgent`, { urgent: false })).body.version).toBe(fresh.version);
    expect(await urgentEvents(fresh.id)).toBe(0);
  });

  it('the kitchen, a driver, the customer and another shop may not mark it; a bad body is refused; nothing changes', async () => {
    const { shop, kitchen, driver } = await shopWithStaff('urgent-refused');
    const other = await shopWithStaff('urgent-other');
    const o = await place(shop.id);
    const kitchenTry = await kitchen.post(`/api/orders/${o.id}/urgent`, { urgent: true });
    expect(kitchenTry.status).toBe(403);
    expect(kitchenTry.body.error.message).toMatch(/manager, counter, admin/);
    expect((await driver.post(`/api/orders/${o.id}/urgent`, { urgent: true })).status).toBe(403);
    expect((await new Client(stack.base).post(`/api/orders/${o.id}/urgent`, { urgent: true })).status).toBe(401);
    expect((await other.manager.post(`/api/orders/${o.id}/urgent`, { urgent: true })).status).toBe(404);
    expect((await other.counter.post(`/api/orders/${o.id}/urgent`, { urgent: true })).status).toBe(404);
    const bad = await other.manager.post(`/api/orders/${o.id}/urgent`, { urgent: 'yes' });
    expect(bad.status).toBe(422);
    expect(bad.body.error.fields).toHaveProperty('urgent');
    expect((await other.manager.post('/api/orders/not-an-order/urgent', { urgent: true })).status).toBe(404);
    const { rows } = await stack.pool.query('SELECT urgent, version FROM orders WHERE id = $1', [o.id]);
    expect(rows[0]).toEqual({ urgent: false, version: o.version });
  });

  it('an order handed over or cancelled is over: marking it is refused with the reason', async () => {
    const { shop, kitchen, manager, counter } = await shopWithStaff('urgent-closed');
    const collected = await place(shop.id);
    await move(kitchen, collected.id, 'preparing');
    await move(kitchen, collected.id, 'ready');
    await move(counter, collected.id, 'collected');
    const late = await manager.post(`/api/orders/${collected.id}/urgent`, { urgent: true });
    expect(late.status).toBe(409);
    expect(late.body.error).toMatchObject({ code: 'closed', message: expect.stringMatching(/is collected: nothing to hurry/) });

    const cancelled = await place(shop.id);
    await move(counter, cancelled.id, 'cancelled');
    const gone = await counter.post(`/api/orders/${cancelled.id}/urgent`, { urgent: true });
    expect(gone.status).toBe(409);
    expect(gone.body.error.code).toBe('closed');
    expect(await urgentEvents(collected.id)).toBe(0);
  });
});
