// The back office's platform routes against real Postgres: a shop's manager connects its store on a
// platform and sets how it works (audited); bad input, another shop's manager, a store id another
// shop has, a platform nobody knows are refused and change nothing; head office alone sets a
// product's price on a platform; a name a platform gave is mapped to our menu; the shop's waiting
// platform orders are listed to its managers only; a platform's report is fetched and kept.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, createShop, seededProduct } from '../helpers.ts';
import { useStack } from '../services.ts';
import { stubPlatform } from '../marketplace-office-fixtures.ts';
import { chooseBackOfficePlatforms } from '../../src/lib/server/marketplaces/stores.ts';
import { useMarketplaces } from '../../src/lib/server/flows/platform-decisions.ts';
import type { MarketplaceReport } from '../../src/lib/server/marketplaces/provider.ts';

const stack = useStack();
const tag = Math.random().toString(36).slice(2, 8);
const reports = new Map<string, MarketplaceReport>();
const told: string[] = [];
const platforms = [stubPlatform('uber_eats', 'Uber Eats', reports, told), stubPlatform('deliveroo', 'Deliveroo', new Map(), told)];

// the pages list these platforms, and the intake's decisions tell them
beforeAll(() => {
  chooseBackOfficePlatforms(platforms);
  useMarketplaces(platforms);
});
afterAll(() => {
  chooseBackOfficePlatforms(null);
  useMarketplaces(null);
});

type Shop = Awaited<ReturnType<typeof createShop>>;
const storeRow = async (shop: Shop, platform = 'uber_eats') =>
  (await stack.pool.query('SELECT store_id, enabled, auto_accept, price_markup_pct::float AS markup, commission_pct::float AS commission FROM marketplace_stores WHERE marketplace = $1 AND pizzeria_id = $2', [platform, shop.id])).rows[0] ?? null;

describe("a shop's stores on the platforms", () => {
  let shop: Shop;
  let other: Shop;
  let manager: Client;
  let otherManager: Client;
  let admin: Client;

  beforeAll(async () => {
    [shop, other] = [await createShop(stack.pool, 'mkt-office'), await createShop(stack.pool, 'mkt-other')];
    manager = await new Client(stack.base).login(shop.email('manager'));
    otherManager = await new Client(stack.base).login(other.email('manager'));
    admin = await new Client(stack.base).login('admin@ocpizza.test');
  });

  it('lists every platform, configured or not, and the manager sees their own shop only; head office every shop', async () => {
    const mine = await manager.get('/api/marketplaces');
    expect(mine.status).toBe(200);
    // the stub platforms ask no merchant activation nor a link through their API: their stores are connected by their id
    expect(mine.body.platforms).toEqual([
      { id: 'uber_eats', label: 'Uber Eats', configured: true, activates: false, connects: false },
      { id: 'deliveroo', label: 'Deliveroo', configured: true, activates: false, connects: false },
    ]);
    expect(mine.body.shops.map((s: { shop: { id: number } }) => s.shop.id)).toEqual([shop.id]);
    expect(mine.body.shops[0].stores).toEqual({ uber_eats: null, deliveroo: null });
    const all = (await admin.get('/api/marketplaces')).body.shops.map((s: { shop: { id: number } }) => s.shop.id);
    expect(all).toEqual(expect.arrayContaining([shop.id, other.id]));
  });

  it("connects the shop's store with its settings, audited", async () => {
    const r = await manager.put(`/api/marketplaces/uber_eats/shops/${shop.id}`, { storeId: `ue-${tag}`, autoAccept: false, markupPct: 12.5, commissionPct: 28 });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.store).toEqual({ storeId: `ue-${tag}`, enabled: true, autoAccept: false, markupPct: 12.5, commissionPct: 28, orderManager: false, deprovisionedAt: null });
    expect(await storeRow(shop)).toEqual({ store_id: `ue-${tag}`, enabled: true, auto_accept: false, markup: 12.5, commission: 28 });
    const audit = await stack.pool.query(`SELECT after FROM audit_log WHERE action = 'marketplace.store' AND entity_id = $1 ORDER BY id DESC LIMIT 1`, [`uber_eats:${shop.id}`]);
    expect(audit.rows[0].after).toMatchObject({ storeId: `ue-${tag}`, markupPct: 12.5 });
    // changed again: the same row, new settings
    expect((await manager.put(`/api/marketplaces/uber_eats/shops/${shop.id}`, { storeId: `ue-${tag}`, enabled: false, markupPct: 10 })).status).toBe(200);
    expect(await storeRow(shop)).toMatchObject({ enabled: false, auto_accept: true, markup: 10, commission: 30 });
  });

  it('refuses bad input with a 422 naming the field, and changes nothing', async () => {
    const before = await storeRow(shop);
    for (const [body, field] of [
      [{ storeId: '' }, 'storeId'],
      [{ storeId: 'x'.repeat(101) }, 'storeId'],
      [{ storeId: 'ok', markupPct: 150 }, 'markupPct'],
      [{ storeId: 'ok', commissionPct: -1 }, 'commissionPct'],
      [{ storeId: 'ok', autoAccept: 'yes' }, 'autoAccept'],
      [{ storeId: 'ok', extra: 1 }, 'body'],
    ] as const) {
      const r = await manager.put(`/api/marketplaces/uber_eats/shops/${shop.id}`, body);
      expect(r.status, JSON.stringify(body)).toBe(422);
      expect(Object.keys(r.body.error.fields ?? { body: 1 })).toContain(field);
    }
    expect((await manager.put(`/api/marketplaces/just_eat/shops/${shop.id}`, { storeId: 'je-1' })).status).toBe(404);
    expect((await manager.put(`/api/marketplaces/Uber-Eats/shops/${shop.id}`, { storeId: 'je-1' })).status).toBe(422);
    expect(await storeRow(shop)).toEqual(before);
  });

  it("refuses another shop's manager, the kitchen, and a store id another shop has", async () => {
    expect((await otherManager.put(`/api/marketplaces/uber_eats/shops/${shop.id}`, { storeId: 'hijack' })).status).toBe(403);
    expect((await otherManager.get(`/api/marketplaces/shops/${shop.id}/waiting`)).status).toBe(403);
    const kitchen = await new Client(stack.base).login(shop.email('kitchen'));
    expect((await kitchen.get('/api/marketplaces')).status).toBe(403);
    const taken = await otherManager.put(`/api/marketplaces/uber_eats/shops/${other.id}`, { storeId: `ue-${tag}` });
    expect(taken.status).toBe(409);
    expect(await storeRow(shop)).toMatchObject({ store_id: `ue-${tag}` });
    expect(await storeRow(other)).toBeNull();
  });

  it("lets head office alone set a product's own price on a platform, and take it back", async () => {
    const margherita = seededProduct('margherita');
    expect((await manager.put('/api/marketplaces/deliveroo/prices', { productId: margherita, priceCents: 1290 })).status).toBe(403);
    expect((await admin.put('/api/marketplaces/deliveroo/prices', { productId: margherita, priceCents: 0 })).status).toBe(422);
    expect((await admin.put('/api/marketplaces/deliveroo/prices', { productId: 99_999_999, priceCents: 1290 })).status).toBe(404);
    expect((await admin.put('/api/marketplaces/deliveroo/prices', { productId: margherita, priceCents: 1290 })).status).toBe(200);
    const priceOf = async () => (await manager.get('/api/marketplaces/prices')).body.products.find((p: { id: number }) => p.id === margherita).prices;
    expect(await priceOf()).toEqual({ uber_eats: null, deliveroo: 1290 });
    expect((await admin.put('/api/marketplaces/deliveroo/prices', { productId: margherita, priceCents: null })).status).toBe(200);
    expect(await priceOf()).toEqual({ uber_eats: null, deliveroo: null });
  });

  it('maps a name the platform gave to a product of ours; a wrong mapping is refused', async () => {
    const ext = `ue-item-${tag}`;
    await stack.pool.query(`INSERT INTO marketplace_items (marketplace, external_id, name) VALUES ('uber_eats', $1, 'Pizza Reine (UE)')`, [ext]);
    // named by an order of the manager's shop, as the intake keeps it
    await stack.pool.query(`INSERT INTO marketplace_item_shops (marketplace, external_id, pizzeria_id) VALUES ('uber_eats', $1, $2)`, [ext, shop.id]);
    const listed = await manager.get('/api/marketplaces/mapping');
    expect(listed.body.items.find((i: { externalId: string }) => i.externalId === ext)).toMatchObject({ marketplace: 'uber_eats', name: 'Pizza Reine (UE)', waiting: 0 });
    expect(listed.body.menu.products.length).toBeGreaterThan(0);
    const margherita = seededProduct('margherita');
    expect((await manager.put('/api/marketplaces/uber_eats/mapping', { externalId: ext, productId: margherita, optionId: 1 })).status).toBe(422);
    expect((await manager.put('/api/marketplaces/uber_eats/mapping', { externalId: ext })).status).toBe(422);
    expect((await manager.put('/api/marketplaces/uber_eats/mapping', { externalId: 'never-sent', productId: margherita })).status).toBe(404);
    expect((await manager.put('/api/marketplaces/uber_eats/mapping', { externalId: ext, productId: 99_999_999 })).status).toBe(422);
    const r = await manager.put('/api/marketplaces/uber_eats/mapping', { externalId: ext, productId: margherita });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    // for the manager's own shop
    expect(r.body.mapped).toEqual({ marketplace: 'uber_eats', externalId: ext, pizzeriaId: shop.id, productId: margherita, optionId: null });
    const row = (await stack.pool.query('SELECT product_id, option_id, mapped_by FROM marketplace_item_shops WHERE external_id = $1 AND pizzeria_id = $2', [ext, shop.id])).rows[0];
    expect(row).toMatchObject({ product_id: margherita, option_id: null, mapped_by: expect.stringContaining('manager') });
    expect((await manager.get('/api/marketplaces/mapping')).body.items.some((i: { externalId: string }) => i.externalId === ext)).toBe(false);
  });

  it("lists the shop's waiting platform orders to its managers, with their deadline", async () => {
    const acceptBy = new Date(Date.now() + 8 * 60_000);
    const payload = { externalId: `ue-o-${tag}`, code: 'A1B2C', storeId: `ue-${tag}`, customer: { name: 'Léa', phone: null, note: null }, lines: [{ externalId: 'p1', name: 'Margherita', quantity: 2, unitPriceCents: 1050, options: [], note: null }], totalCents: 2100 };
    await stack.pool.query(
      `INSERT INTO marketplace_orders (marketplace, external_id, store_id, pizzeria_id, state, payload, accept_by) VALUES ('uber_eats', $1, $2, $3, 'awaiting_manager', $4, $5)`,
      [`ue-o-${tag}`, `ue-${tag}`, shop.id, JSON.stringify(payload), acceptBy],
    );
    const r = await manager.get(`/api/marketplaces/shops/${shop.id}/waiting`);
    expect(r.status).toBe(200);
    expect(r.body.orders).toEqual([expect.objectContaining({
      marketplace: 'uber_eats', code: 'A1B2C', state: 'awaiting_manager', customer: 'Léa', totalCents: 2100, lines: [{ name: 'Margherita', quantity: 2 }], acceptBy: acceptBy.toISOString(),
    })]);
    expect((await otherManager.get('/api/marketplaces/waiting')).body.orders).toEqual([]);
  });

  it('denies a waiting order with a reason the platform hears; a reason nobody knows is refused', async () => {
    const waiting = (await manager.get(`/api/marketplaces/shops/${shop.id}/waiting`)).body.orders[0];
    expect((await manager.post(`/api/marketplaces/waiting/${waiting.id}/deny`, { reason: 'because' })).status).toBe(422);
    expect((await otherManager.post(`/api/marketplaces/waiting/${waiting.id}/deny`, { reason: 'store_busy' })).status).toBe(403);
    const r = await manager.post(`/api/marketplaces/waiting/${waiting.id}/deny`, { reason: 'store_busy', explanation: 'four ovens down' });
    expect(r.status, JSON.stringify(r.body)).toBe(204);
    expect(told).toContain(`deny ue-o-${tag} store_busy`);
    expect((await stack.pool.query('SELECT state, deny_reason FROM marketplace_orders WHERE id = $1', [waiting.id])).rows[0]).toEqual({ state: 'denied', deny_reason: 'store_busy' });
    expect((await manager.get(`/api/marketplaces/shops/${shop.id}/waiting`)).body.orders).toEqual([]);
  });

  it("fetches the platform's report of the week and keeps it; a week that is no Monday is refused", async () => {
    const week = '2026-11-16';
    reports.set(`ue-${tag}|${week}`, { storeId: `ue-${tag}`, weekStart: week, orders: [], adjustmentsCents: 0, payoutCents: 0 });
    expect((await manager.post(`/api/marketplaces/uber_eats/shops/${shop.id}/reports`, { week: '2026-11-17' })).status).toBe(422);
    expect((await otherManager.post(`/api/marketplaces/uber_eats/shops/${shop.id}/reports`, { week })).status).toBe(403);
    expect((await manager.post(`/api/marketplaces/deliveroo/shops/${shop.id}/reports`, { week })).status).toBe(404);
    const r = await manager.post(`/api/marketplaces/uber_eats/shops/${shop.id}/reports`, { week });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect((await stack.pool.query('SELECT count(*)::int AS n FROM marketplace_reports WHERE store_id = $1 AND week_start = $2', [`ue-${tag}`, week])).rows[0].n).toBe(1);
    const rec = await manager.get(`/api/marketplaces/reconcile?platform=uber_eats&week=${week}`);
    expect(rec.body.stores).toEqual([expect.objectContaining({ storeId: `ue-${tag}`, ours: { count: 0, totalCents: 0, expectedCommissionCents: 0 }, differences: [] })]);
  });
});
