// The road with Just Eat as its fake JET Connect plays it (tests/just-eat-server.ts, written from
// Just Eat's published reference): a shop's restaurant connected in the back office like any store;
// an authenticated order of several items and options lands once on our make line and is taken at
// JET (sent-to-pos-success); it moves through the kitchen; JET's cancellation cancels ours; a sold-out
// pizza is made unavailable there; a forged, unauthenticated or replayed webhook and an unknown
// restaurant change nothing. No file of the platforms' core knows Just Eat.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, createShop, seededProduct, waitUntil } from '../helpers.ts';
import { FakeJustEat } from '../just-eat-server.ts';
import { useStack } from '../services.ts';

const fake = new FakeJustEat();
beforeAll(async () => {
  await fake.start();
});
afterAll(() => fake.stop());
const stack = useStack({
  workers: true,
  env: () => ({
    LOG_LEVEL: 'error', JUST_EAT_API_KEY: fake.apiKey, JUST_EAT_WEBHOOK_KEY: fake.webhookKey, JUST_EAT_WEBHOOK_SECRET: fake.webhookSecret,
    JUST_EAT_API_URL: fake.url, JUST_EAT_ORDER_STATUS_URL: fake.url,
  }),
});
const LIVE = 15_000;

/** A shop whose restaurant on Just Eat its manager connects in the back office. */
async function justEatShop(tag: string) {
  const shop = await createShop(stack.pool, tag);
  const ref = `jet-${shop.slug}`;
  fake.addRestaurant(ref);
  fake.target = `${stack.base}/api/marketplaces/just_eat/webhook`;
  const manager = await new Client(stack.base).login(shop.email('manager'));
  const connected = await manager.put(`/api/marketplaces/just_eat/shops/${shop.id}`, { storeId: ref });
  expect(connected.status, JSON.stringify(connected.body)).toBe(200);
  return { shop, ref, manager };
}

const ourOrders = async (externalId: string) => (await stack.pool.query('SELECT * FROM orders WHERE external_id = $1', [externalId])).rows as Record<string, any>[];
const ourLines = async (orderId: string) =>
  (await stack.pool.query('SELECT product_id, quantity FROM order_items WHERE order_id = $1 ORDER BY product_id', [orderId])).rows as { product_id: number; quantity: number }[];

async function optionOf(productId: number): Promise<number> {
  const { rows } = await stack.pool.query('SELECT id FROM product_options WHERE product_id = $1 ORDER BY id LIMIT 1', [productId]);
  return rows[0].id;
}

describe('Just Eat on our make line', () => {
  it('an order of several items and options lands once, is taken at JET, moves in the kitchen, and JET hears no undocumented call', async () => {
    const { shop, ref } = await justEatShop('jet-road');
    const margherita = seededProduct('margherita');
    const option = await optionOf(margherita);
    const order = fake.placeOrder(ref, {
      type: 'collection-by-customer',
      items: [
        { plu: `p${margherita}`, name: 'Margherita', price: 1050, children: [{ plu: `o${option}`, name: 'Supplément', price: 150 }] },
        { plu: `p${margherita}`, name: 'Margherita', price: 1050 },
      ],
    });
    await waitUntil(async () => (await ourOrders(order.body.id)).length === 1, LIVE, 'the Just Eat order on our make line');
    const [ours] = await ourOrders(order.body.id);
    expect(ours).toMatchObject({ channel: 'marketplace', marketplace: 'just_eat', pizzeria_id: shop.id, total_cents: 1050 + 150 + 1050 });
    expect((await ourLines(ours.id)).reduce((n, l) => n + l.quantity, 0)).toBe(2);
    await waitUntil(() => order.status === 'injected', LIVE, 'taken at JET Connect');
    expect(fake.webhooks.find((w) => JSON.parse(w.raw).id === order.body.id)).toMatchObject({ status: 202 });

    const kitchen = await new Client(stack.base).login(shop.email('kitchen'));
    for (const to of ['preparing', 'ready'] as const) {
      const moved = await kitchen.post(`/api/orders/${ours.id}/status`, { to });
      expect(moved.status, JSON.stringify(moved.body)).toBe(200);
    }
    expect((await ourOrders(order.body.id))[0].status).toBe('ready');
    // JET Connect publishes no kitchen-step call: what was asked of it is the documented ones only
    const asked = new Set(fake.calls.map((c) => c.path.replace(/\/order\/[^/]+\//, '/order/{id}/').replace(/\/restaurants\/[^/]+\//, '/restaurants/{ref}/')));
    expect([...asked].filter((p) => !['/order/{id}/sent-to-pos-success', '/order/{id}/sent-to-pos-failed', '/menus', '/item-availability', '/restaurants/{ref}/offline', '/restaurants/{ref}/online'].includes(p))).toEqual([]);
  });

  it('a cancellation from JET cancels our order and gives its stock back', async () => {
    const { ref } = await justEatShop('jet-cancel');
    const margherita = seededProduct('margherita');
    const order = fake.placeOrder(ref, { type: 'collection-by-customer', items: [{ plu: `p${margherita}`, name: 'Margherita', price: 1050 }] });
    await waitUntil(() => order.status === 'injected', LIVE, 'taken at JET Connect');
    // on our make line first: we tell JET we took it before we place it, and a cancel between the
    // two lets it go unplaced (a loaded run met that: no order of ours to see cancelled)
    await waitUntil(async () => (await ourOrders(order.body.id))[0], LIVE, 'our order on the make line');
    fake.cancelOrder(order.body.id, 'custCancelledChangedMind');
    await waitUntil(async () => (await ourOrders(order.body.id))[0]?.status === 'cancelled', LIVE, 'our order cancelled');
    // the fake keeps its webhook's answer once it has read it (our order may be cancelled first)
    await fake.settle();
    expect(fake.webhooks.filter((w) => w.kind === 'cancel').at(-1)).toMatchObject({ status: 200 });
  });

  it('a forged, an unauthenticated and a replayed order change nothing; an unknown restaurant is refused and JET keys it in by hand', async () => {
    const { ref } = await justEatShop('jet-guard');
    const margherita = seededProduct('margherita');
    const forged = JSON.stringify({ id: 'forged-1', posLocationId: ref, type: 'collection-by-customer', items: [{ name: 'Margherita', plu: `p${margherita}`, price: 1 }] });
    expect(await fake.sendRaw(forged, { authorization: fake.webhookKey, 'x-jet-connect-hash': fake.hash(forged, 'a-forger-secret-000000') })).toBe(401);
    expect(await fake.sendRaw(forged, { 'x-jet-connect-hash': fake.hash(forged) })).toBe(401);
    expect(await fake.sendRaw(forged, { authorization: fake.webhookKey })).toBe(401);
    expect(await ourOrders('forged-1')).toEqual([]);

    const order = fake.placeOrder(ref, { type: 'collection-by-customer', items: [{ plu: `p${margherita}`, name: 'Margherita', price: 1050 }] });
    await waitUntil(async () => (await ourOrders(order.body.id)).length === 1, LIVE, 'the order on our make line');
    const again = await fake.resendOrder(order.body.id);
    expect(again.status).toBe(202);
    expect(await ourOrders(order.body.id)).toHaveLength(1);

    fake.addRestaurant('jet-no-shop');
    const stray = fake.placeOrder('jet-no-shop', { type: 'collection-by-customer', items: [{ plu: `p${margherita}`, name: 'Margherita', price: 1050 }] });
    await fake.settle();
    expect(fake.webhooks.at(-1)).toMatchObject({ status: 404 });
    expect(stray.status).toBe('backup_flow');
    expect(await ourOrders(stray.body.id)).toEqual([]);
  });

  it('a sold-out pizza is made unavailable at JET and comes back; a paused shop goes offline', async () => {
    const { shop, ref, manager } = await justEatShop('jet-levers');
    const margherita = seededProduct('margherita');
    const restaurant = () => fake.restaurants.get(ref)!;
    expect((await manager.post(`/api/shops/${shop.id}/tonight`, { productId: margherita, available: false })).status).toBe(200);
    await waitUntil(() => restaurant().unavailable.has(`p${margherita}`), 5_000, 'unavailable at Just Eat');
    expect((await manager.post(`/api/shops/${shop.id}/tonight`, { productId: margherita, available: true })).status).toBe(200);
    await waitUntil(() => !restaurant().unavailable.has(`p${margherita}`), 5_000, 'available again at Just Eat');
    expect((await manager.post(`/api/shops/${shop.id}/online`, { paused: true })).status).toBe(200);
    await waitUntil(() => !restaurant().online, 5_000, 'offline at Just Eat');
  });
});
