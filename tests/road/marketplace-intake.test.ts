// A delivery platform's order on our make line: signed, kept once, placed as an order of its shop
// (paid to the platform, at its prices, its stock reserved, its oven time in its slot), accepted in
// time or denied with a reason, its kitchen steps told back, a platform cancellation in the oven
// reaching the kitchen as the platform's, and an unmapped item waiting for the manager.
import { describe, expect, it } from 'vitest';
import type { OrderUpdated } from '../../src/lib/realtime/contract.ts';
import { acceptWaiting, useMarketplaces } from '../../src/lib/server/flows/platform-decisions.ts';
import { Client, collect, connectSocket, countOf, createShop, move, seededProduct, subscribe, waitUntil } from '../helpers.ts';
import { platformOrder, TestPlatform } from '../marketplace-fake.ts';
import { useStack } from '../services.ts';

const uber = new TestPlatform('uber_eats', 'Uber Eats', 'uber-test-secret');
const roo = new TestPlatform('deliveroo', 'Deliveroo', 'roo-test-secret');
const platforms = [uber, roo];
const stack = useStack({ workers: true, env: { LOG_LEVEL: 'error' }, app: { marketplaces: platforms }, workerOptions: { marketplaces: platforms } });
const LIVE = 15_000;
let seq = 0;
const nextId = (tag: string) => `${tag}-${Date.now().toString(36)}-${++seq}`;

/** A shop of the test's own, connected to both platforms (its stores), its kitchen screen listening. */
async function connectedShop(tag: string, opts: { autoAccept?: boolean } = {}) {
  const shop = await createShop(stack.pool, tag);
  const stores = { uber: `ue-${shop.slug}`, roo: `dr-${shop.slug}` };
  await stack.pool.query(
    `INSERT INTO marketplace_stores (marketplace, store_id, pizzeria_id, auto_accept, commission_pct) VALUES ('uber_eats', $1, $3, $4, 30), ('deliveroo', $2, $3, $4, 25)`,
    [stores.uber, stores.roo, shop.id, opts.autoAccept ?? true],
  );
  const kitchen = await new Client(stack.base).login(shop.email('kitchen'));
  const screen = await connectSocket(stack.base, { cookie: kitchen.cookie });
  stack.sockets.push(screen);
  const heard = collect(screen);
  await subscribe(screen, { scope: 'kitchen', pizzeriaId: shop.id });
  return { shop, stores, kitchen, heard };
}

const orderOf = async (externalId: string) =>
  (await stack.pool.query('SELECT * FROM orders WHERE external_id = $1', [externalId])).rows[0] as Record<string, any>;
const platformRow = async (externalId: string) =>
  (await stack.pool.query('SELECT * FROM marketplace_orders WHERE external_id = $1', [externalId])).rows[0] as Record<string, any> | undefined;
const reservedOf = async (orderId: string) => countOf(stack.pool, 'SELECT coalesce(sum(quantity), 0) AS n FROM stock_reservations WHERE order_id = $1', [orderId]);

describe('a delivery platform order on our make line', () => {
  it('lands on the kitchen once, paid to the platform at its prices, with its stock, slot and promise; a replay, a bad signature and an unknown store change nothing', async () => {
    const { shop, stores, heard } = await connectedShop('mkt-once');
    const margherita = seededProduct('margherita');
    const id = nextId('ue');
    const order = platformOrder(stores.uber, id, [{ id: `p${margherita}`, name: 'Margherita', quantity: 2, cents: 1290 }]);
    const event = { kind: 'order' as const, eventId: `evt-${id}`, storeId: stores.uber, order };

    // a forged signature: refused, nothing written
    expect((await uber.send(stack.base, [event], uber.sign('another body'))).status).toBe(401);
    // a store no shop connected: refused, nothing written
    const stranger = { ...event, eventId: `evt-${id}-x`, storeId: 'ue-nobody', order: { ...order, storeId: 'ue-nobody' } };
    expect((await uber.send(stack.base, [stranger])).status).toBe(404);
    expect(await countOf(stack.pool, 'SELECT count(*) AS n FROM marketplace_webhooks WHERE event_id LIKE $1', [`evt-${id}%`])).toBe(0);
    expect(await platformRow(id)).toBeUndefined();

    expect((await uber.send(stack.base, [event])).status).toBe(200);
    const placed = await waitUntil(() => orderOf(id), LIVE, 'the platform order placed');
    // the platform sends it again (it did not hear our answer): one order still
    expect((await uber.send(stack.base, [event])).status).toBe(200);

    expect(placed).toMatchObject({
      pizzeria_id: shop.id, channel: 'marketplace', payment_method: 'marketplace', payment_status: 'paid', paid_with: 'marketplace', status: 'received',
      marketplace: 'uber_eats', external_code: order.code, total_cents: 2580, paid_cents: 2580, amount_due_cents: 0, marketplace_commission_cents: 774,
      customer_name: 'Léa', customer_phone: '', fulfilment: 'pickup', address_street: null,
      // the customer's note reaches the cook
      marketplace_note: 'sans oignons',
    });
    const lines = (await stack.pool.query('SELECT product_id, quantity, unit_price_cents FROM order_items WHERE order_id = $1', [placed.id])).rows;
    expect(lines).toEqual([{ product_id: margherita, quantity: 2, unit_price_cents: 1290 }]);
    expect(await reservedOf(placed.id)).toBeGreaterThan(0);
    expect(placed.slot_at).not.toBeNull();
    expect(Number(placed.oven_minutes)).toBeGreaterThan(0);
    // promised by the platform's time, which the kitchen can keep
    expect(Math.abs(new Date(placed.promised_at).getTime() - Date.parse(order.promisedAt!))).toBeLessThan(61_000);
    await waitUntil(() => uber.callsOf('accept').some((c) => c.ref.externalId === id), LIVE, 'the platform told it is accepted');
    expect(uber.callsOf('accept').filter((c) => c.ref.externalId === id)).toHaveLength(1);
    expect(await platformRow(id)).toMatchObject({ state: 'accepted', order_id: placed.id });

    // the kitchen's screen has it, as a platform order
    const seen = await heard.waitFor((e) => e.order.id === placed.id && e.type === 'order.placed', LIVE);
    expect(seen.order).toMatchObject({ channel: 'marketplace', marketplace: { id: 'uber_eats', externalId: id, code: order.code, note: 'sans oignons' } });
    // the replay was answered once its webhook was dropped as kept already: nothing was queued for it
    expect(await countOf(stack.pool, 'SELECT count(*) AS n FROM marketplace_webhooks WHERE event_id = $1', [`evt-${id}`])).toBe(1);
    expect(await countOf(stack.pool, 'SELECT count(*) AS n FROM orders WHERE external_id = $1', [id])).toBe(1);
    expect(await countOf(stack.pool, 'SELECT count(*) AS n FROM marketplace_orders WHERE external_id = $1', [id])).toBe(1);
  });

  it('is denied with its reason when the shop paused its online orders, and nothing is placed', async () => {
    const { shop, stores } = await connectedShop('mkt-paused');
    const manager = await new Client(stack.base).login(shop.email('manager'));
    expect((await manager.post(`/api/shops/${shop.id}/online`, { paused: true })).status).toBe(200);
    const id = nextId('dr');
    const order = platformOrder(stores.roo, id, [{ id: `p${seededProduct('margherita')}`, cents: 1190 }]);
    expect((await roo.send(stack.base, [{ kind: 'order', eventId: `evt-${id}`, storeId: stores.roo, order }])).status).toBe(200);
    const denied = await waitUntil(() => roo.callsOf('deny').find((c) => c.ref.externalId === id), LIVE, 'the platform told it is denied');
    expect(denied).toMatchObject({ reason: 'store_busy', ref: { storeId: stores.roo } });
    expect(await platformRow(id)).toMatchObject({ state: 'denied', deny_reason: 'store_busy', order_id: null });
    expect(await orderOf(id)).toBeUndefined();
  });

  it("tells the platform each kitchen step, and a platform cancellation in the oven reaches the kitchen as the platform's", async () => {
    const { stores, kitchen, heard } = await connectedShop('mkt-steps');
    const id = nextId('ue');
    const order = platformOrder(stores.uber, id, [{ id: `p${seededProduct('margherita')}`, cents: 1290 }]);
    await uber.send(stack.base, [{ kind: 'order', eventId: `evt-${id}`, storeId: stores.uber, order }]);
    const placed = await waitUntil(() => orderOf(id), LIVE, 'the platform order placed');
    await move(kitchen, placed.id, 'preparing');
    await waitUntil(() => uber.callsOf('step').some((c) => c.ref.externalId === id && c.step === 'preparing'), LIVE, 'the platform told it is in the oven');

    expect((await uber.send(stack.base, [{ kind: 'cancelled', eventId: `evt-${id}-c`, storeId: stores.uber, externalId: id, reason: 'customer cancelled' }])).status).toBe(200);
    const cancelled: OrderUpdated = await heard.waitFor((e) => e.order.id === placed.id && e.order.status === 'cancelled', LIVE);
    expect(cancelled.order).toMatchObject({ cancelReason: 'platform', marketplace: { id: 'uber_eats' } });
    expect(await platformRow(id)).toMatchObject({ state: 'cancelled' });

    // a second order goes through to its handover: ready and collected reach the platform
    const id2 = nextId('ue');
    await uber.send(stack.base, [{ kind: 'order', eventId: `evt-${id2}`, storeId: stores.uber, order: platformOrder(stores.uber, id2, [{ id: `p${seededProduct('margherita')}`, cents: 1290 }]) }]);
    const second = await waitUntil(() => orderOf(id2), LIVE, 'the second platform order placed');
    for (const to of ['preparing', 'ready', 'collected']) await move(kitchen, second.id, to);
    await waitUntil(
      () => ['preparing', 'ready', 'collected'].every((s) => uber.callsOf('step').some((c) => c.ref.externalId === id2 && c.step === s)),
      LIVE,
      'every step told to the platform',
    );
    expect((await orderOf(id2))!.amount_due_cents).toBe(0);
    // a cancel the platform made is not told back to it: the workers act on events in their order,
    // and what they had to tell of the second order, after the cancellation, has all been told
    expect(uber.callsOf('cancel').filter((c) => c.ref.externalId === id)).toEqual([]);
  });

  it('an item the menu does not know raises an alert and the order waits for the manager, who accepts it once mapped', async () => {
    const { shop, stores } = await connectedShop('mkt-unmapped');
    useMarketplaces(platforms);
    const id = nextId('dr');
    const order = platformOrder(stores.roo, id, [{ id: `roo-item-${id}`, name: 'Pizza du chef', cents: 1450 }]);
    await roo.send(stack.base, [{ kind: 'order', eventId: `evt-${id}`, storeId: stores.roo, order }]);
    const waiting = await waitUntil(async () => ((await platformRow(id))?.state === 'needs_mapping' ? platformRow(id) : null), LIVE, 'the order waiting for a mapping');
    expect(waiting!.problems).toEqual([{ kind: 'unmapped', externalId: `roo-item-${id}`, name: 'Pizza du chef' }]);
    expect(await orderOf(id)).toBeUndefined();
    expect(roo.calls.filter((c) => 'ref' in c && c.ref.externalId === id)).toEqual([]);
    // the item is there for the mapping page, and the manager's alerts show the order with its deadline
    expect((await stack.pool.query('SELECT name, product_id FROM marketplace_items WHERE external_id = $1', [`roo-item-${id}`])).rows).toEqual([{ name: 'Pizza du chef', product_id: null }]);
    const manager = await new Client(stack.base).login(shop.email('manager'));
    const alerts = (await manager.get(`/api/alerts?pizzeriaId=${shop.id}`)).body;
    expect(alerts).toEqual(expect.arrayContaining([expect.objectContaining({ kind: 'platform_order', platformOrderId: Number(waiting!.id), unmapped: ['Pizza du chef'] })]));

    await stack.pool.query('UPDATE marketplace_items SET product_id = $2, mapped_at = now() WHERE external_id = $1', [`roo-item-${id}`, seededProduct('margherita')]);
    const managerActor = { kind: 'staff' as const, id: 0, role: 'manager' as const, pizzeriaId: shop.id, name: 'manager' };
    await acceptWaiting(stack.pool, Number(waiting!.id), managerActor);
    const placed = await orderOf(id);
    expect(placed).toMatchObject({ channel: 'marketplace', total_cents: 1450, status: 'received' });
    expect(await platformRow(id)).toMatchObject({ state: 'accepted', order_id: placed!.id, decided_by: 'manager:0' });
    expect(roo.callsOf('accept').filter((c) => c.ref.externalId === id)).toHaveLength(1);
  });
});
