// The road with Deliveroo as its local fake plays it (tests/deliveroo-server.ts): its signed
// order.new lands on our make line once and is accepted at Deliveroo; a paused shop's order is
// rejected with its reason; a sold-out pizza is marked unavailable on the site and +20 min sets its
// busy mode.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, createShop, seededProduct, waitUntil } from '../helpers.ts';
import { FakeDeliveroo } from '../deliveroo-server.ts';
import { useStack } from '../services.ts';

const fake = new FakeDeliveroo();
beforeAll(async () => {
  await fake.start();
});
afterAll(() => fake.stop());
const stack = useStack({
  workers: true,
  env: () => ({
    LOG_LEVEL: 'error', DELIVEROO_CLIENT_ID: fake.clientId, DELIVEROO_CLIENT_SECRET: fake.clientSecret, DELIVEROO_WEBHOOK_SECRET: fake.webhookSecret,
    DELIVEROO_BRAND_ID: fake.brandId, DELIVEROO_API_URL: fake.url, DELIVEROO_AUTH_URL: fake.authUrl,
  }),
});
const LIVE = 15_000;

async function deliverooShop(tag: string) {
  const shop = await createShop(stack.pool, tag);
  const siteId = `site-${shop.slug}`;
  fake.addSite(siteId);
  await stack.pool.query(`INSERT INTO marketplace_stores (marketplace, store_id, pizzeria_id) VALUES ('deliveroo', $1, $2)`, [siteId, shop.id]);
  fake.target = `${stack.base}/api/marketplaces/deliveroo/webhook`;
  const manager = await new Client(stack.base).login(shop.email('manager'));
  return { shop, siteId, manager };
}

const ourOrders = async (externalId: string) => (await stack.pool.query('SELECT * FROM orders WHERE external_id = $1', [externalId])).rows as Record<string, any>[];

describe('Deliveroo on our make line', () => {
  it('an order lands once and is accepted at Deliveroo; with online orders paused the next is rejected with its reason', async () => {
    const { shop, siteId, manager } = await deliverooShop('roo-road');
    const margherita = seededProduct('margherita');
    const order = fake.placeOrder(siteId, { items: [{ id: `p${margherita}`, name: 'Margherita', cents: 1250 }] });
    await waitUntil(async () => (await ourOrders(order.id)).length === 1, LIVE, 'the Deliveroo order on our make line');
    expect((await ourOrders(order.id))[0]).toMatchObject({ channel: 'marketplace', marketplace: 'deliveroo', total_cents: 1250 });
    await waitUntil(() => order.status === 'accepted' || order.status === 'confirmed', LIVE, 'accepted at Deliveroo');
    // the last webhook sent again as it was: answered once found kept already, nothing queued for it; still one order
    expect(await fake.resendLast()).toBe(true);
    expect(await ourOrders(order.id)).toHaveLength(1);

    expect((await manager.post(`/api/shops/${shop.id}/online`, { paused: true })).status).toBe(200);
    const refused = fake.placeOrder(siteId, { items: [{ id: `p${margherita}`, name: 'Margherita', cents: 1250 }] });
    await waitUntil(() => refused.status === 'rejected', LIVE, 'rejected at Deliveroo');
    expect(await ourOrders(refused.id)).toEqual([]);
  });

  it('a sold-out pizza is unavailable on the site, back when stock returns, and +20 min sets its busy mode', async () => {
    const { shop, siteId, manager } = await deliverooShop('roo-levers');
    const margherita = seededProduct('margherita');
    const site = () => fake.sites.get(siteId)!;
    expect((await manager.post(`/api/shops/${shop.id}/tonight`, { productId: margherita, available: false })).status).toBe(200);
    await waitUntil(() => site().unavailable.has(`p${margherita}`), 5_000, 'unavailable at Deliveroo');
    expect((await manager.post(`/api/shops/${shop.id}/tonight`, { productId: margherita, available: true })).status).toBe(200);
    await waitUntil(() => !site().unavailable.has(`p${margherita}`), 5_000, 'available again at Deliveroo');
    expect((await manager.post(`/api/shops/${shop.id}/busy`, { minutes: 20 })).status).toBe(200);
    await waitUntil(() => site().busyMinutes === 20, 5_000, '+20 min at Deliveroo');
  });
});
