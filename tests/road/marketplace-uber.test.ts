// The whole road with Uber Eats as its local fake plays it (tests/uber-eats-server.ts): its signed
// orders.notification names an order, the workers fetch it, place it on the make line and accept it
// at Uber with the ready time (Uber's courier comes for it: the order API's generation has no "ready"
// call, and none of another generation is made); Uber's courier ETA reaches the
// order; Uber cancelling an order in the oven cancels ours as Uber's; a sold-out pizza is suspended
// at Uber and +20 min sets Uber's busy time.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, collect, connectSocket, createShop, move, seededProduct, subscribe, waitUntil } from '../helpers.ts';
import { cartItem, FakeUberEats } from '../uber-eats-server.ts';
import { queueMenuPush, useMarketplaceQueue, useMarketplaces } from '../../src/lib/server/flows/platform-decisions.ts';
import { parseConfig } from '../../src/lib/server/kernel/config.ts';
import { marketplacesFor } from '../../src/lib/server/marketplaces/registry.ts';
import { useStack } from '../services.ts';

const fake = new FakeUberEats();
beforeAll(async () => {
  await fake.start();
});
afterAll(() => fake.stop());
const stack = useStack({ workers: true, env: () => ({ LOG_LEVEL: 'error', ...fake.env() }) });
const LIVE = 15_000;

/** A shop with its Uber store connected; `activated`: Uber integrated it with us during onboarding (we are its order manager). */
async function uberShop(tag: string, activated = true) {
  const shop = await createShop(stack.pool, tag);
  const storeId = `uber-${shop.slug}`;
  await stack.pool.query(`INSERT INTO marketplace_stores (marketplace, store_id, pizzeria_id) VALUES ('uber_eats', $1, $2)`, [storeId, shop.id]);
  if (activated) fake.provision(storeId);
  fake.webhooks.target = `${stack.base}/api/marketplaces/uber_eats/webhook`;
  const kitchen = await new Client(stack.base).login(shop.email('kitchen'));
  const manager = await new Client(stack.base).login(shop.email('manager'));
  const screen = await connectSocket(stack.base, { cookie: kitchen.cookie });
  stack.sockets.push(screen);
  const heard = collect(screen);
  await subscribe(screen, { scope: 'kitchen', pizzeriaId: shop.id });
  return { shop, storeId, kitchen, manager, heard };
}

const kept = async (externalId: string) => (await stack.pool.query('SELECT * FROM marketplace_orders WHERE external_id = $1', [externalId])).rows[0] as Record<string, any> | undefined;
const ourOrder = async (externalId: string) => (await stack.pool.query('SELECT * FROM orders WHERE external_id = $1', [externalId])).rows[0] as Record<string, any>;

describe('Uber Eats on our make line', () => {
  it("an Uber order is fetched, placed and accepted at Uber for the kitchen's time; every order call in one generation of Uber's API; the courier ETA reaches the order; Uber cancelling one in the oven cancels ours as Uber's", async () => {
    const { storeId, kitchen, heard } = await uberShop('uber-road');
    const margherita = seededProduct('margherita');
    const held = fake.placeOrder(storeId, { cart: { items: [cartItem(`p${margherita}`, 'Margherita', 2, 1350)] } });
    const id = String(held.order.id);
    const placed = await waitUntil(() => ourOrder(id), LIVE, 'the Uber order on our make line');
    expect(placed).toMatchObject({ channel: 'marketplace', marketplace: 'uber_eats', total_cents: 2700, status: 'received' });
    await waitUntil(() => held.accepted, LIVE, 'accepted at Uber');
    expect(held.order.current_state).toBe('ACCEPTED');

    fake.courier(id, 'EN_ROUTE_TO_PICKUP', 8 * 60);
    const told = await heard.waitFor((e) => e.order.id === placed.id && e.type === 'order.courier', LIVE);
    expect(told.order.marketplace?.courier?.eta).toBeTruthy();
    expect(Math.abs(Date.parse(told.order.marketplace!.courier!.eta!) - (Date.now() + 8 * 60_000))).toBeLessThan(30_000);

    await move(kitchen, placed.id, 'preparing');
    await move(kitchen, placed.id, 'ready');

    // a second order: Uber cancels it while it is in the oven
    const second = fake.placeOrder(storeId, { cart: { items: [cartItem(`p${margherita}`, 'Margherita', 1, 1350)] } });
    const secondId = String(second.order.id);
    const inOven = await waitUntil(() => ourOrder(secondId), LIVE, 'the second Uber order placed');
    await waitUntil(() => second.accepted, LIVE, 'the second accepted at Uber');
    await move(kitchen, inOven.id, 'preparing');
    fake.cancelOrder(secondId);
    const cancelled = await heard.waitFor((e) => e.order.id === inOven.id && e.order.status === 'cancelled', LIVE);
    expect(cancelled.order.cancelReason).toBe('platform');
    // every order call of the evening in one generation of Uber's order API
    const orderCalls = fake.calls.filter((c) => /\/orders?\//.test(c.path));
    expect(orderCalls.length).toBeGreaterThan(3);
    expect(orderCalls.filter((c) => !/^\/(v2\/eats\/order|v1\/eats\/orders)\//.test(c.path))).toEqual([]);
  });

  it("a store not activated for us: Uber refuses our accept (403), and the order never reaches the make line; it waits for the manager with Uber's answer, and once the store is activated their accept places it", async () => {
    const { shop, storeId, manager, heard } = await uberShop('uber-inactive', false);
    const held = fake.placeOrder(storeId, { cart: { items: [cartItem(`p${seededProduct('margherita')}`, 'Margherita', 1, 1350)] } });
    const id = String(held.order.id);
    const waiting = await waitUntil(async () => ((await kept(id))?.state === 'awaiting_manager' ? kept(id) : null), LIVE, 'the order waiting for the manager');
    expect(waiting!.problems).toEqual([{ kind: 'platform_refused', platform: 'Uber Eats', status: 403 }]);
    expect(waiting!.platform_accepted_at).toBeNull();
    expect(fake.callsTo('POST', /accept_pos_order$/).at(-1)?.status).toBe(403);
    expect(await ourOrder(id)).toBeUndefined();
    expect(heard.events.filter((e) => e.order.pizzeriaId === shop.id)).toEqual([]);
    // its alert is the manager's (the waiting orders of their shop)
    expect((await manager.get('/api/marketplaces/waiting')).body.orders.map((o: { externalId: string }) => o.externalId)).toContain(id);

    fake.provision(storeId);
    // the manager's decision is the server's to carry out: its platforms are the fake's
    useMarketplaces(marketplacesFor(parseConfig(fake.env())));
    try {
      const decided = await manager.post(`/api/marketplaces/waiting/${waiting!.id}/accept`, {});
      expect(decided.status, JSON.stringify(decided.body)).toBeLessThan(300);
    } finally {
      useMarketplaces(null);
    }
    const placed = await waitUntil(() => ourOrder(id), LIVE, 'the order on the make line once accepted');
    expect(placed.status).toBe('received');
    expect(held.order.current_state).toBe('ACCEPTED');
    expect((await kept(id))!.platform_accepted_at).not.toBeNull();
  });

  it("Uber taking a store's integration away (store.deprovisioned) shows it to activate again; store.provisioned reads it back as ours", async () => {
    const { storeId } = await uberShop('uber-deprov');
    const store = async () => (await stack.pool.query('SELECT order_manager, deprovisioned_at FROM marketplace_stores WHERE store_id = $1', [storeId])).rows[0];
    fake.deprovision(storeId);
    await waitUntil(async () => ((await store()).deprovisioned_at ? true : null), LIVE, 'the store marked deprovisioned');
    expect((await store()).order_manager).toBe(false);
    fake.provision(storeId);
    fake.webhooks.send(fake.webhooks.event('store.provisioned', { user_id: storeId, resource_id: storeId, status: 'provisioned' }));
    await waitUntil(async () => ((await store()).order_manager ? true : null), LIVE, 'the store read back as ours');
    expect((await store()).deprovisioned_at).toBeNull();
  });

  it('a scheduled order (orders.scheduled.notification) is placed for the time Uber gave, not now', async () => {
    const { storeId } = await uberShop('uber-scheduled');
    const at = new Date(Date.now() + 2 * 3600_000);
    const held = fake.placeOrder(storeId, { estimated_ready_for_pickup_at: at.toISOString(), cart: { items: [cartItem(`p${seededProduct('margherita')}`, 'Margherita', 1, 1350)] } }, 'orders.scheduled.notification');
    const id = String(held.order.id);
    expect(fake.webhooks.deliveries.at(-1)?.event.event_type).toBe('orders.scheduled.notification');
    const placed = await waitUntil(() => ourOrder(id), LIVE, 'the scheduled order placed');
    expect(Math.abs(new Date(placed.promised_at).getTime() - at.getTime())).toBeLessThan(61_000);
    await waitUntil(() => held.accepted, LIVE, 'accepted at Uber');
  });

  it('a store on Uber\'s API version 1.0.0 is told of a cancel with orders.failure: ours is cancelled all the same, never left in the oven', async () => {
    const { storeId, kitchen, heard } = await uberShop('uber-v100');
    fake.apiVersions.set(storeId, '1.0.0');
    const held = fake.placeOrder(storeId, { cart: { items: [cartItem(`p${seededProduct('margherita')}`, 'Margherita', 1, 1350)] } });
    const id = String(held.order.id);
    const placed = await waitUntil(() => ourOrder(id), LIVE, 'the Uber order on our make line');
    await waitUntil(() => held.accepted, LIVE, 'accepted at Uber');
    await move(kitchen, placed.id, 'preparing');
    fake.cancelOrder(id);
    expect(fake.webhooks.deliveries.at(-1)?.event.event_type).toBe('orders.failure');
    const cancelled = await heard.waitFor((e) => e.order.id === placed.id && e.order.status === 'cancelled', LIVE);
    expect(cancelled.order.cancelReason).toBe('platform');
  });

  it('a replay of the same event, a forged signature and a store no shop connected change nothing', async () => {
    const { storeId } = await uberShop('uber-guard');
    const margherita = seededProduct('margherita');
    const held = fake.placeOrder(storeId, { cart: { items: [cartItem(`p${margherita}`, 'Margherita', 1, 1350)] } });
    const id = String(held.order.id);
    await waitUntil(() => ourOrder(id), LIVE, 'the Uber order on our make line');
    await waitUntil(() => held.accepted, LIVE, 'accepted at Uber');
    const accepts = () => fake.callsTo('POST', new RegExp(`/orders/${id}/accept_pos_order$`)).length;
    const acceptedOnce = accepts();
    expect(acceptedOnce).toBe(1);

    // Uber sends the same event again, signed: answered 200, and still one order, accepted once
    expect(await fake.webhooks.resendLast()).toBe(200);
    await new Promise((r) => setTimeout(r, 800));
    const count = async (sql: string, values: unknown[]) => Number((await stack.pool.query(sql, values)).rows[0].n);
    expect(await count('SELECT count(*) AS n FROM orders WHERE external_id = $1', [id])).toBe(1);
    expect(accepts()).toBe(1);

    // a forged event (signed with another key, or not signed) and one for a store no shop connected
    const forged = fake.webhooks.event('orders.notification', { resource_id: `forged-${id}`, user_id: storeId, status: 'pos' });
    const forgedBody = JSON.stringify(forged);
    expect(await fake.webhooks.sendRaw(forgedBody, fake.webhooks.sign(forgedBody, 'another-key-than-the-client-secret'))).toBe(401);
    expect(await fake.webhooks.sendRaw(forgedBody, null)).toBe(401);
    const stray = fake.webhooks.event('orders.notification', { resource_id: `stray-${id}`, user_id: 'a-store-nobody-connected', status: 'pos' });
    const strayBody = JSON.stringify(stray);
    expect(await fake.webhooks.sendRaw(strayBody, fake.webhooks.sign(strayBody))).toBe(404);
    await new Promise((r) => setTimeout(r, 500));
    expect(await count('SELECT count(*) AS n FROM marketplace_webhooks WHERE event_id = ANY($1)', [[forged.event_id, stray.event_id]])).toBe(0);
    expect(await count('SELECT count(*) AS n FROM marketplace_orders WHERE external_id = ANY($1)', [[`forged-${id}`, `stray-${id}`]])).toBe(0);
  });

  it('the menu pushed to Uber, a sold-out pizza is suspended there, and +20 min sets its busy time', async () => {
    const { shop, storeId, manager } = await uberShop('uber-levers');
    const margherita = seededProduct('margherita');
    // Uber suspends only items of a menu it has: the shop's menu pushed first
    useMarketplaceQueue(stack.workers.queues.marketplaces);
    await queueMenuPush(shop.id, 'uber_eats');
    await waitUntil(() => fake.store(storeId).menu, LIVE, 'the menu at Uber');
    expect(JSON.stringify(fake.store(storeId).menu)).toContain(`"p${margherita}"`);
    expect((await manager.post(`/api/shops/${shop.id}/tonight`, { productId: margherita, available: false })).status).toBe(200);
    await waitUntil(() => fake.suspendedItems(storeId).includes(`p${margherita}`), 5_000, 'suspended at Uber');
    expect((await manager.post(`/api/shops/${shop.id}/busy`, { minutes: 20 })).status).toBe(200);
    await waitUntil(() => fake.store(storeId).delaySeconds === 20 * 60, 5_000, '+20 min at Uber');
  });
});
