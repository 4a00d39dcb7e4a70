// The road with Deliveroo as its local fake plays it (tests/deliveroo-server.ts): its signed
// order.new lands on our make line once and is accepted at Deliveroo; a paused shop's order is
// rejected with its reason; a sold-out pizza is marked unavailable on the site and +20 min sets its
// busy mode.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queueMenuPush, useMarketplaceQueue } from '../../src/lib/server/flows/platform-decisions.ts';
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
    DELIVEROO_BRAND_ID: fake.brandId, DELIVEROO_API_URL: fake.url, DELIVEROO_AUTH_URL: fake.authUrl, PUBLIC_ORIGIN: 'https://commandes.ocpizza.example',
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

describe('a Deliveroo site connected from the back office', () => {
  it("is told to Deliveroo with our webhook's address, and only then do its orders come to us; a refusal saves nothing; another shop's site stays linked", async () => {
    const other = await deliverooShop('roo-link-other');
    const shop = await createShop(stack.pool, 'roo-link');
    const siteId = `site-${shop.slug}`;
    fake.addSite(siteId, { linked: false });
    const manager = await new Client(stack.base).login(shop.email('manager'));
    const margherita = seededProduct('margherita');
    const items = [{ id: `p${margherita}`, name: 'Margherita', cents: 1250 }];
    // before: the site's orders stay on Deliveroo's tablet
    const before = fake.placeOrder(siteId, { items });

    // Deliveroo refuses (its API down): 502 with its words, nothing saved
    const settings = { storeId: siteId, enabled: true, autoAccept: true, markupPct: 0, commissionPct: 30 };
    fake.failNext('sites-config', 503);
    const refused = await manager.put(`/api/marketplaces/deliveroo/shops/${shop.id}`, settings);
    expect(refused.status, JSON.stringify(refused.body)).toBe(502);
    expect(refused.body.error.message).toMatch(/Deliveroo did not take the connection/);
    expect((await stack.pool.query(`SELECT 1 FROM marketplace_stores WHERE pizzeria_id = $1`, [shop.id])).rowCount).toBe(0);
    expect(fake.sites.get(siteId)!.webhookType).toBe('POS');

    const r = await manager.put(`/api/marketplaces/deliveroo/shops/${shop.id}`, settings);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.store).toMatchObject({ storeId: siteId, orderManager: true });
    expect(fake.orderEventsUrl).toBe('https://commandes.ocpizza.example/api/marketplaces/deliveroo/webhook');
    expect(fake.sites.get(siteId)!.webhookType).toBe('ORDER_EVENTS');
    // the brand's configuration listed the chain's other site too, still on order events
    const put = fake.calls.filter((c) => c.method === 'PUT' && c.path.endsWith('/sites-config') && c.status === 200).at(-1)!;
    expect(put.body.sites).toEqual(expect.arrayContaining([
      { location_id: siteId, orders_api_webhook_type: 'ORDER_EVENTS', name: expect.any(String) },
      { location_id: other.siteId, orders_api_webhook_type: 'ORDER_EVENTS', name: expect.any(String) },
    ]));
    expect(fake.sites.get(other.siteId)!.webhookType).toBe('ORDER_EVENTS');
    const listed = await manager.get('/api/marketplaces');
    expect(listed.body.platforms.find((p: { id: string }) => p.id === 'deliveroo')).toMatchObject({ connects: true });

    // now its orders come to our make line; saving the settings again does not call Deliveroo
    const after = fake.placeOrder(siteId, { items });
    await waitUntil(async () => (await ourOrders(after.id)).length === 1, LIVE, "the linked site's order on our make line");
    expect(await ourOrders(before.id)).toEqual([]);
    const calls = fake.calls.length;
    expect((await manager.put(`/api/marketplaces/deliveroo/shops/${shop.id}`, { ...settings, markupPct: 10 })).status).toBe(200);
    expect(fake.calls.slice(calls).filter((c) => c.path.includes('/integrator/'))).toEqual([]);
  });
});

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
    // Deliveroo knows only the items of the menu pushed to the site
    useMarketplaceQueue(stack.workers.queues.marketplaces);
    await queueMenuPush(shop.id, 'deliveroo');
    await waitUntil(() => site().menuId !== null, LIVE, 'the menu on the site');
    expect((await manager.post(`/api/shops/${shop.id}/tonight`, { productId: margherita, available: false })).status).toBe(200);
    await waitUntil(() => site().unavailable.has(`p${margherita}`), 5_000, 'unavailable at Deliveroo');
    expect((await manager.post(`/api/shops/${shop.id}/tonight`, { productId: margherita, available: true })).status).toBe(200);
    await waitUntil(() => !site().unavailable.has(`p${margherita}`), 5_000, 'available again at Deliveroo');
    expect((await manager.post(`/api/shops/${shop.id}/busy`, { minutes: 20 })).status).toBe(200);
    await waitUntil(() => site().workload === 'BUSY' && site().busyMinutes - site().quietMinutes === 20, 5_000, '+20 min at Deliveroo');
  });

  it('a pizza sold out for days survives Deliveroo’s morning reset: told again as hidden on the new day, until it is back', async () => {
    const { shop, siteId, manager } = await deliverooShop('roo-reset');
    const margherita = seededProduct('margherita');
    const item = `p${margherita}`;
    const site = () => fake.sites.get(siteId)!;
    useMarketplaceQueue(stack.workers.queues.marketplaces);
    await queueMenuPush(shop.id, 'deliveroo');
    await waitUntil(() => site().menuId !== null, LIVE, 'the menu on the site');
    expect((await manager.post(`/api/shops/${shop.id}/tonight`, { productId: margherita, available: false })).status).toBe(200);
    await waitUntil(() => site().unavailable.has(item), 5_000, 'sold out at Deliveroo');
    // the same evening, the shop's stock looked at again: nothing more to tell
    const posts = () => fake.calls.filter((c) => c.method === 'POST' && c.path.endsWith(`/sites/${siteId}/menu/item_unavailabilities`)).length;
    const told = posts();
    await stack.pool.query(`SELECT pg_notify('stock_changed', $1)`, [String(shop.id)]);
    await new Promise((r) => setTimeout(r, 1_000));
    expect(posts()).toBe(told);
    // the next day: Deliveroo's morning reset puts every unavailable item back on sale…
    await stack.pool.query(`UPDATE marketplace_availability SET told_at = told_at - interval '1 day' WHERE marketplace = 'deliveroo' AND store_id = $1`, [siteId]);
    fake.morningReset(siteId);
    expect(site().unavailable.has(item)).toBe(false);
    // …and the pizza still sold out is told again, hidden, which the next resets leave alone
    await stack.pool.query(`SELECT pg_notify('stock_changed', $1)`, [String(shop.id)]);
    await waitUntil(() => site().hidden.has(item), 5_000, 'hidden at Deliveroo');
    fake.morningReset(siteId);
    expect(site().hidden.has(item)).toBe(true);
    expect((await manager.post(`/api/shops/${shop.id}/tonight`, { productId: margherita, available: true })).status).toBe(200);
    await waitUntil(() => !site().hidden.has(item) && !site().unavailable.has(item), 5_000, 'back on sale at Deliveroo');
  });

  it('a 404 from Deliveroo on a sold-out raises the manager’s alert; the push is tried again and the alert goes once Deliveroo takes it', async () => {
    const { shop, siteId, manager } = await deliverooShop('roo-404');
    const margherita = seededProduct('margherita');
    const site = () => fake.sites.get(siteId)!;
    useMarketplaceQueue(stack.workers.queues.marketplaces);
    await queueMenuPush(shop.id, 'deliveroo');
    // the whole menu push done (the menu, then the site's unavailable items replaced) before the failures are armed
    await waitUntil(() => site().menuId !== null && fake.calls.some((c) => c.method === 'PUT' && c.path.endsWith(`/sites/${siteId}/menu/item_unavailabilities`)), LIVE, 'the menu on the site');
    fake.failNext(`/sites/${siteId}/menu/item_unavailabilities`, 404, 2);
    expect((await manager.post(`/api/shops/${shop.id}/tonight`, { productId: margherita, available: false })).status).toBe(200);
    const pushAlert = async () => ((await manager.get(`/api/alerts?pizzeriaId=${shop.id}`)).body as any[]).find((a) => a.kind === 'platform_push');
    const alert = await waitUntil(pushAlert, 5_000, 'the manager alerted');
    expect(alert).toMatchObject({ pizzeriaId: shop.id, marketplace: 'deliveroo', push: 'availability' });
    expect(site().unavailable.has(`p${margherita}`)).toBe(false);
    // tried again by the job's backoff: taken at the third try, the alert gone
    await waitUntil(() => site().unavailable.has(`p${margherita}`), LIVE, 'sold out at Deliveroo after the retries');
    await waitUntil(async () => !(await pushAlert()), 5_000, 'the alert gone');
    const tries = fake.calls.filter((c) => c.method === 'POST' && c.path.endsWith(`/sites/${siteId}/menu/item_unavailabilities`)).map((c) => c.status);
    expect(tries).toEqual([404, 404, 200]);
  });

  it('the payout reconciliation says it is not available for Deliveroo, with no figures of its own making', async () => {
    const { shop, siteId, manager } = await deliverooShop('roo-payout');
    const week = '2026-11-16';
    const rec = await manager.get(`/api/marketplaces/reconcile?platform=deliveroo&week=${week}`);
    expect(rec.status).toBe(200);
    expect(rec.body.stores).toEqual([expect.objectContaining({ storeId: siteId, reportAvailable: false, theirs: null, expectedPayoutCents: null, differences: [] })]);
    const asked = await manager.post(`/api/marketplaces/deliveroo/shops/${shop.id}/reports`, { week });
    expect(asked.status).toBe(409);
    expect(asked.body.error.code).toBe('no_report');
    expect(fake.calls.some((c) => c.path.includes('statement') || c.path.includes('finance'))).toBe(false);
  });
});
