// One shop's platform orders are that shop's alone: a cancel or a courier notice naming another
// store than its order's is refused and changes nothing; an unknown item is seen and mapped by the
// managers of the shops whose orders named it (head office for every shop), each mapping audited
// with its shop.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, countOf, createShop, seededProduct, waitUntil } from '../helpers.ts';
import { platformOrder, TestPlatform } from '../marketplace-fake.ts';
import { useStack } from '../services.ts';
import { courierNews, platformCancelled } from '../../src/lib/server/marketplaces/couriers.ts';
import { acceptWaiting, useMarketplaces } from '../../src/lib/server/flows/platform-decisions.ts';
import { takeOrder } from '../../src/lib/server/flows/platform-taking.ts';

const uber = new TestPlatform('uber_eats', 'Uber Eats', 'uber-test-secret');
const platforms = [uber];
const stack = useStack({ workers: true, env: { LOG_LEVEL: 'error' }, app: { marketplaces: platforms }, workerOptions: { marketplaces: platforms } });
const LIVE = 15_000;
let seq = 0;
// the back office's decisions (a mapping made: the waiting orders taken again) tell these platforms
beforeAll(() => useMarketplaces(platforms));
afterAll(() => useMarketplaces(null));
const nextId = (tag: string) => `${tag}-${Date.now().toString(36)}-${++seq}`;

/** A shop of the test's own with its store on the platform. */
async function connectedShop(tag: string, opts: { autoAccept?: boolean } = {}) {
  const shop = await createShop(stack.pool, tag);
  const store = `ue-${shop.slug}`;
  await stack.pool.query(`INSERT INTO marketplace_stores (marketplace, store_id, pizzeria_id, auto_accept, commission_pct) VALUES ('uber_eats', $1, $2, $3, 30)`, [
    store, shop.id, opts.autoAccept ?? true,
  ]);
  return { shop, store };
}

const orderOf = async (externalId: string) => (await stack.pool.query('SELECT * FROM orders WHERE external_id = $1', [externalId])).rows[0] as Record<string, any> | undefined;
const platformRow = async (externalId: string) =>
  (await stack.pool.query('SELECT * FROM marketplace_orders WHERE external_id = $1', [externalId])).rows[0] as Record<string, any> | undefined;
const keptEvents = (prefix: string) => countOf(stack.pool, 'SELECT count(*) AS n FROM marketplace_webhooks WHERE event_id LIKE $1', [`${prefix}%`]);

describe("a platform's notice names the store of its order", () => {
  it("a cancel, a courier notice or the order again naming another store is refused (409) and neither shop's order changes", async () => {
    const a = await connectedShop('rights-notice-a');
    const b = await connectedShop('rights-notice-b');
    const id = nextId('ue');
    const order = platformOrder(a.store, id, [{ id: `p${seededProduct('margherita')}`, cents: 1290 }]);
    expect((await uber.send(stack.base, [{ kind: 'order', eventId: `evt-${id}`, storeId: a.store, order }])).status).toBe(200);
    const placed = await waitUntil(() => orderOf(id), LIVE, "store A's order placed");
    await waitUntil(() => uber.callsOf('accept').some((c) => c.ref.externalId === id), LIVE, 'the platform told it is accepted');
    // the platform's row is marked accepted once the order is on the make line: the picture is taken after
    await waitUntil(async () => ((await platformRow(id))?.state === 'accepted' ? true : null), LIVE, 'the platform order marked accepted');
    const before = { order: await orderOf(id), row: await platformRow(id) };

    // signed by the platform, but naming store B for store A's order
    const cancel = { kind: 'cancelled' as const, eventId: `evt-${id}-c`, storeId: b.store, externalId: id, reason: 'customer cancelled' };
    const courier = { kind: 'courier' as const, eventId: `evt-${id}-k`, storeId: b.store, externalId: id, state: 'arriving' as const, etaAt: new Date(Date.now() + 5 * 60_000).toISOString() };
    // the order itself sent again under store B's name
    const again = { kind: 'order' as const, eventId: `evt-${id}-o`, storeId: b.store, order: { ...order, storeId: b.store } };
    for (const notice of [cancel, courier, again]) {
      const r = await uber.send(stack.base, [notice]);
      expect(r.status, JSON.stringify(r.body)).toBe(409);
      expect((r.body as { error: { code: string } }).error.code).toBe('wrong_store');
    }
    // nothing kept, nothing changed: the order is still on A's make line, its courier unknown
    expect(await keptEvents(`evt-${id}-`)).toBe(0);
    expect(await orderOf(id)).toEqual(before.order);
    expect(await platformRow(id)).toEqual(before.row);
    expect(placed!.pizzeria_id).toBe(a.shop.id);
    // a notice that reached the workers all the same (kept before its order was) finds no order of store B's
    expect(await platformCancelled(stack.pool, 'uber_eats', cancel)).toBe('unknown');
    expect(await courierNews(stack.pool, 'uber_eats', courier)).toBe(false);
    expect(await orderOf(id)).toEqual(before.order);
    expect(await platformRow(id)).toEqual(before.row);

    // the same notice naming the order's own store is acted on
    expect((await uber.send(stack.base, [{ ...cancel, storeId: a.store }])).status).toBe(200);
    await waitUntil(async () => ((await orderOf(id))?.status === 'cancelled' ? true : null), LIVE, 'the order cancelled by its own store');
    expect(await platformRow(id)).toMatchObject({ state: 'cancelled' });
  });
});

const audits = async (externalId: string) =>
  (await stack.pool.query(`SELECT pizzeria_id, before, after FROM audit_log WHERE action = 'marketplace.map' AND entity_id = $1 ORDER BY id`, [`uber_eats:${externalId}`])).rows;
const shopMapping = async (externalId: string) =>
  (await stack.pool.query('SELECT pizzeria_id, product_id FROM marketplace_item_shops WHERE external_id = $1 ORDER BY pizzeria_id', [externalId])).rows;
const listedTo = async (client: Client) => ((await client.get('/api/marketplaces/mapping')).body.items as { externalId: string; waiting: number; shops: { id: number }[] }[]);

describe("a platform's unknown item is mapped by the shops whose orders named it", () => {
  it("shop B's manager neither sees nor maps what only shop A's orders named (403, nothing changed); A's manager maps it for A, head office for every shop, each audited with its shop", async () => {
    const a = await connectedShop('rights-map-a');
    const b = await connectedShop('rights-map-b');
    const [managerA, managerB, admin] = [
      await new Client(stack.base).login(a.shop.email('manager')), await new Client(stack.base).login(b.shop.email('manager')), await new Client(stack.base).login('admin@ocpizza.test'),
    ];
    const item = nextId('ue-item');
    const idA = nextId('ue');
    await uber.send(stack.base, [{ kind: 'order', eventId: `evt-${idA}`, storeId: a.store, order: platformOrder(a.store, idA, [{ id: item, name: 'Reine (Uber)', cents: 1290 }]) }]);
    await waitUntil(async () => ((await platformRow(idA))?.state === 'needs_mapping' ? true : null), LIVE, "A's order waiting for a mapping");

    // shop B's manager: not listed, and refused, whichever shop the mapping would be for
    expect((await listedTo(managerB)).some((i) => i.externalId === item)).toBe(false);
    const margherita = seededProduct('margherita');
    for (const body of [{ externalId: item, productId: margherita }, { externalId: item, productId: margherita, pizzeriaId: a.shop.id }]) {
      const r = await managerB.put('/api/marketplaces/uber_eats/mapping', body);
      expect(r.status, JSON.stringify(r.body)).toBe(403);
    }
    expect(await shopMapping(item)).toEqual([{ pizzeria_id: a.shop.id, product_id: null }]);
    expect((await stack.pool.query('SELECT product_id, option_id FROM marketplace_items WHERE external_id = $1', [item])).rows).toEqual([{ product_id: null, option_id: null }]);
    expect(await audits(item)).toEqual([]);
    expect(await platformRow(idA)).toMatchObject({ state: 'needs_mapping', order_id: null });

    // shop A's manager sees it, with A's order waiting, and maps it for A: the order is placed
    expect((await listedTo(managerA)).find((i) => i.externalId === item)).toMatchObject({ waiting: 1, shops: [{ id: a.shop.id }] });
    const r = await managerA.put('/api/marketplaces/uber_eats/mapping', { externalId: item, productId: margherita });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body).toMatchObject({ mapped: { pizzeriaId: a.shop.id, productId: margherita }, retried: 1 });
    expect(await orderOf(idA)).toMatchObject({ pizzeria_id: a.shop.id, status: 'received' });
    expect(await audits(item)).toEqual([{ pizzeria_id: a.shop.id, before: expect.objectContaining({ shop: a.shop.id, productId: null }), after: expect.objectContaining({ shop: a.shop.id, productId: margherita }) }]);

    // A's mapping is A's: B's order naming the same item waits, and now B's manager sees it
    const idB = nextId('ue');
    await uber.send(stack.base, [{ kind: 'order', eventId: `evt-${idB}`, storeId: b.store, order: platformOrder(b.store, idB, [{ id: item, name: 'Reine (Uber)', cents: 1290 }]) }]);
    await waitUntil(async () => ((await platformRow(idB))?.state === 'needs_mapping' ? true : null), LIVE, "B's order waiting for a mapping");
    expect((await listedTo(managerB)).find((i) => i.externalId === item)).toMatchObject({ waiting: 1, shops: [{ id: b.shop.id }] });
    expect((await listedTo(managerA)).some((i) => i.externalId === item)).toBe(false);

    // head office maps it for every shop: B's order is placed; A keeps its own
    const chain = await admin.put('/api/marketplaces/uber_eats/mapping', { externalId: item, productId: seededProduct('reine') });
    expect(chain.status, JSON.stringify(chain.body)).toBe(200);
    expect(chain.body.mapped).toMatchObject({ pizzeriaId: null });
    const placedB = await orderOf(idB);
    expect(placedB).toMatchObject({ pizzeria_id: b.shop.id });
    expect((await stack.pool.query('SELECT product_id FROM order_items WHERE order_id = $1', [placedB!.id])).rows).toEqual([{ product_id: seededProduct('reine') }]);
    expect((await stack.pool.query('SELECT product_id FROM order_items WHERE order_id = $1', [(await orderOf(idA))!.id])).rows).toEqual([{ product_id: margherita }]);

    // A's manager remaps it for A: audited with A, before and after
    expect((await managerA.put('/api/marketplaces/uber_eats/mapping', { externalId: item, productId: seededProduct('reine') })).status).toBe(200);
    const trail = await audits(item);
    expect(trail.map((x) => x.pizzeria_id)).toEqual([a.shop.id, null, a.shop.id]);
    expect(trail[1].after).toMatchObject({ shop: null, productId: seededProduct('reine') });
    expect(trail[2]).toMatchObject({ before: { shop: a.shop.id, productId: margherita }, after: { shop: a.shop.id, productId: seededProduct('reine') } });
    // bad input changes nothing: every shop for a manager, a shop that does not exist for head office
    expect((await managerA.put('/api/marketplaces/uber_eats/mapping', { externalId: item, productId: margherita, pizzeriaId: null })).status).toBe(403);
    expect((await admin.put('/api/marketplaces/uber_eats/mapping', { externalId: item, productId: margherita, pizzeriaId: 2_000_000_000 })).status).toBe(404);
    expect((await audits(item)).length).toBe(3);
  });
});

const ourPrice = async (productId: number) => Number((await stack.pool.query('SELECT price_cents FROM products WHERE id = $1', [productId])).rows[0].price_cents);

describe("a platform order's money is never booked as sent when it is wrong", () => {
  it('a 1-cent Margherita waits for the manager with its reason, nothing placed and the platform not answered', async () => {
    const { shop, store } = await connectedShop('rights-cent');
    const margherita = seededProduct('margherita');
    const id = nextId('ue');
    await uber.send(stack.base, [{ kind: 'order', eventId: `evt-${id}`, storeId: store, order: platformOrder(store, id, [{ id: `p${margherita}`, name: 'Margherita', cents: 1 }]) }]);
    const row = await waitUntil(async () => ((await platformRow(id))?.state === 'awaiting_manager' ? platformRow(id) : null), LIVE, 'the order waiting for the manager');
    expect(row!.problems).toEqual([{ kind: 'price', name: 'Margherita', paidCents: 1, expectedCents: await ourPrice(margherita) }]);
    expect(await orderOf(id)).toBeUndefined();
    expect(uber.calls.filter((c) => 'ref' in c && c.ref.externalId === id)).toEqual([]);
    // the manager's alert and waiting list show it, with why
    const manager = await new Client(stack.base).login(shop.email('manager'));
    const alerts = (await manager.get(`/api/alerts?pizzeriaId=${shop.id}`)).body;
    expect(alerts).toEqual(expect.arrayContaining([expect.objectContaining({ kind: 'platform_order', platformOrderId: Number(row!.id), priceCheck: true })]));
    const waiting = (await manager.get(`/api/marketplaces/shops/${shop.id}/waiting`)).body.orders;
    expect(waiting).toEqual([expect.objectContaining({ state: 'awaiting_manager', problems: [expect.objectContaining({ kind: 'price', paidCents: 1 })] })]);
    // a price within the margin goes straight to the make line
    const fair = nextId('ue');
    const close = Math.round((await ourPrice(margherita)) * 1.2);
    await uber.send(stack.base, [{ kind: 'order', eventId: `evt-${fair}`, storeId: store, order: platformOrder(store, fair, [{ id: `p${margherita}`, name: 'Margherita', cents: close }]) }]);
    expect(await waitUntil(() => orderOf(fair), LIVE, 'the fair order placed')).toMatchObject({ pizzeria_id: shop.id });
  });

  it('a negative line or a zero total waits for the manager, is written to the log, and cannot be accepted as it is (409, nothing placed)', async () => {
    const { shop, store } = await connectedShop('rights-negative');
    const margherita = seededProduct('margherita');
    const warned: { fields: object; message: string }[] = [];
    const log = { warn: (fields: object, message: string) => warned.push({ fields, message }) };
    const cases = [
      { id: nextId('ue'), lines: [{ id: `p${margherita}`, name: 'Margherita', cents: -500 }], over: {}, problems: [{ kind: 'amount', name: 'Margherita', cents: -500 }, { kind: 'amount', name: null, cents: -500 }] },
      { id: nextId('ue'), lines: [{ id: `p${margherita}`, name: 'Margherita', cents: await ourPrice(margherita) }], over: { totalCents: 0 }, problems: [{ kind: 'amount', name: null, cents: 0 }] },
    ];
    for (const c of cases) {
      // kept as the webhook keeps it, taken as the workers take it (with a logger of the test's own)
      const order = platformOrder(store, c.id, c.lines, c.over);
      const { rows } = await stack.pool.query(
        `INSERT INTO marketplace_orders (marketplace, external_id, store_id, pizzeria_id, payload, accept_by) VALUES ('uber_eats', $1, $2, $3, $4, $5) RETURNING id`,
        [c.id, store, shop.id, JSON.stringify(order), order.acceptBy],
      );
      expect(await takeOrder(stack.pool, Number(rows[0].id), { providers: platforms, log })).toBe('awaiting_manager');
      expect((await platformRow(c.id))!.problems).toEqual(c.problems);
      expect(warned.at(-1)).toMatchObject({ fields: { externalId: c.id, problems: c.problems }, message: expect.stringContaining('waits for the manager') });
      const manager = { kind: 'staff' as const, id: 0, role: 'manager' as const, pizzeriaId: shop.id, name: 'manager' };
      await expect(acceptWaiting(stack.pool, Number(rows[0].id), manager)).rejects.toMatchObject({ status: 409, code: 'bad_amount' });
      expect(await orderOf(c.id)).toBeUndefined();
      expect(await platformRow(c.id)).toMatchObject({ state: 'awaiting_manager', order_id: null });
    }
  });
});

describe("a platform customer's allergy", () => {
  it('becomes the order\'s allergy note: the ticket shows it apart from the kitchen note, and the kitchen taps "Allergie lue" before starting', async () => {
    const { shop, store } = await connectedShop('rights-allergy');
    await stack.pool.query('UPDATE pizzerias SET allergy_read_first = true WHERE id = $1', [shop.id]);
    const kitchen = await new Client(stack.base).login(shop.email('kitchen'));
    const id = nextId('ue');
    const order = platformOrder(store, id, [{ id: `p${seededProduct('margherita')}`, name: 'Margherita', cents: 1290 }], { allergy: 'Margherita: PEANUTS, allergie sévère' });
    await uber.send(stack.base, [{ kind: 'order', eventId: `evt-${id}`, storeId: store, order }]);
    const placed = await waitUntil(() => orderOf(id), LIVE, 'the platform order placed');

    const ticket = (await kitchen.get(`/api/orders/${placed!.id}`)).body;
    expect(ticket.allergy).toMatchObject({ allergens: [], note: 'Margherita: PEANUTS, allergie sévère', readAt: null, readFirst: true });
    // the kitchen note stays the customer's note, without the allergy buried in it
    expect(ticket.marketplace.note).toBe('sans oignons');
    const early = await kitchen.post(`/api/orders/${placed!.id}/status`, { to: 'preparing' });
    expect(early.status).toBe(409);
    expect(early.body.error.code).toBe('allergy_not_read');
    expect((await kitchen.post(`/api/orders/${placed!.id}/allergy-read`, {})).status).toBe(200);
    expect((await kitchen.post(`/api/orders/${placed!.id}/status`, { to: 'preparing' })).status).toBe(200);

    // an order without one has no allergy note
    const plain = nextId('ue');
    await uber.send(stack.base, [{ kind: 'order', eventId: `evt-${plain}`, storeId: store, order: platformOrder(store, plain, [{ id: `p${seededProduct('margherita')}`, cents: 1290 }]) }]);
    expect(await waitUntil(() => orderOf(plain), LIVE, 'the plain order placed')).toMatchObject({ allergy_note: null, allergy_allergens: [] });
  });
});
