// Half-and-half pizzas, on real Postgres, Redis and Socket.io: a pizza of two halves of the shop's
// menu reserves half of each recipe (added up by ingredient, rounded up to the unit: one dough
// ball, not two) and consumes it once the kitchen starts it; the kitchen's screen receives it as
// two halves; it is priced by the shop's rule (its dearer half by default, or the average); the
// customer may change an order into one; what cannot be a half-and-half is refused with its
// reason and changes nothing. A shop of each test's own.
import { describe, expect, it } from 'vitest';
import type { OrderUpdated } from '../../src/lib/realtime/contract.ts';
import { foldConsumedStock } from '../../src/lib/server/orders/lines.ts';
import { reorder } from '../../src/lib/server/flows/reorder.ts';
import { seededProduct, Client, collect, connectSocket, createShop, customer, move, subscribe } from '../helpers.ts';
import { useStack } from '../services.ts';

const stack = useStack();

const reine = () => seededProduct('reine');
const fromages = () => seededProduct('quatre-fromages');

/** A product's recipe, by ingredient slug. */
async function recipeOf(slug: string): Promise<Map<string, number>> {
  const { rows } = await stack.pool.query<{ slug: string; quantity: number }>(
    `SELECT i.slug, r.quantity FROM recipe_ingredients r JOIN ingredients i ON i.id = r.ingredient_id JOIN products p ON p.id = r.product_id WHERE p.slug = $1`,
    [slug],
  );
  return new Map(rows.map((r) => [r.slug, r.quantity]));
}

/** What an order holds of its shop's stock, by ingredient slug. */
async function reservedBy(orderId: string): Promise<Map<string, number>> {
  const { rows } = await stack.pool.query<{ slug: string; quantity: number }>(
    'SELECT i.slug, r.quantity FROM stock_reservations r JOIN ingredients i ON i.id = r.ingredient_id WHERE r.order_id = $1',
    [orderId],
  );
  return new Map(rows.map((r) => [r.slug, r.quantity]));
}

async function shelf(shop: number): Promise<Map<string, { onHand: number; reserved: number }>> {
  const { rows } = await stack.pool.query<{ slug: string; on_hand: number; reserved: number }>(
    'SELECT i.slug, s.on_hand, s.reserved FROM stock_levels s JOIN ingredients i ON i.id = s.ingredient_id WHERE s.pizzeria_id = $1',
    [shop],
  );
  return new Map(rows.map((r) => [r.slug, { onHand: r.on_hand, reserved: r.reserved }]));
}

/** Half of each recipe, added up by ingredient and rounded up to the unit. */
function halfOfEach(left: Map<string, number>, right: Map<string, number>): Map<string, number> {
  const sum = new Map<string, number>();
  for (const [slug, q] of [...left, ...right]) sum.set(slug, (sum.get(slug) ?? 0) + q / 2);
  return new Map([...sum].map(([slug, q]) => [slug, Math.ceil(q)]));
}

const pickup = (pizzeriaId: number, items: unknown[]) => ({ pizzeriaId, fulfilment: 'pickup', customer, items, payment: 'on_delivery' });

describe('a half-and-half pizza', () => {
  it('reserves half of each recipe, shows on the kitchen screen as two halves, and consumes what it reserved once started', async () => {
    const shop = await createShop(stack.pool, 'halves');
    const kitchen = await new Client(stack.base).login(shop.email('kitchen'));
    const screen = await connectSocket(stack.base, { cookie: kitchen.cookie });
    stack.sockets.push(screen);
    const seen = collect(screen);
    expect(await subscribe(screen, { scope: 'kitchen', pizzeriaId: shop.id })).toMatchObject({ data: {} });
    const before = await shelf(shop.id);

    const placed = await new Client(stack.base).post('/api/orders', pickup(shop.id, [{ productId: reine(), secondHalfId: fromages(), quantity: 1 }]));
    expect(placed.status, JSON.stringify(placed.body)).toBe(201);
    // the dearer half: a Quatre fromages (13,90 €) against a Reine (12,50 €)
    expect(placed.body.total).toBe(1390);

    const expected = halfOfEach(await recipeOf('reine'), await recipeOf('quatre-fromages'));
    // one dough ball between the two halves, half of each one's mozzarella, half the Reine's ham
    expect(expected.get('pate')).toBe(1);
    expect(expected.get('mozzarella')).toBe(((await recipeOf('reine')).get('mozzarella')! + (await recipeOf('quatre-fromages')).get('mozzarella')!) / 2);
    expect(await reservedBy(placed.body.id)).toEqual(expected);
    const held = await shelf(shop.id);
    for (const [slug, q] of expected) expect(held.get(slug)!.reserved - before.get(slug)!.reserved, slug).toBe(q);

    // the kitchen's screen: one line of two halves, left and right, each with its product
    const onScreen: OrderUpdated = await seen.waitFor((e) => e.order.id === placed.body.id);
    expect(onScreen.order.items).toHaveLength(1);
    expect(onScreen.order.items[0]).toMatchObject({
      productId: reine(),
      name: '½ Reine / ½ Quatre fromages',
      category: 'pizza',
      quantity: 1,
      unitPriceCents: 1390,
      halves: { left: { productId: reine(), name: 'Reine' }, right: { productId: fromages(), name: 'Quatre fromages' } },
    });

    // started: what it reserved is consumed from the shelf, no more
    await move(kitchen, placed.body.id, 'preparing');
    await foldConsumedStock(stack.pool);
    const after = await shelf(shop.id);
    // the stock page's use of the day (what it says will run out, and when) counts half of each half
    const manager = await new Client(stack.base).login(shop.email('manager'));
    const page = (await manager.get(`/api/shops/${shop.id}/stock`)).body as { name: string; usedToday: number }[];
    expect(page.find((l) => /gorgonzola/i.test(l.name))!.usedToday).toBe((await recipeOf('quatre-fromages')).get('gorgonzola')! / 2);
    expect(page.find((l) => /jambon blanc/i.test(l.name))!.usedToday).toBe((await recipeOf('reine')).get('jambon')! / 2);
    for (const [slug, q] of expected) {
      expect(before.get(slug)!.onHand - after.get(slug)!.onHand, slug).toBe(q);
      expect(after.get(slug)!.reserved, slug).toBe(before.get(slug)!.reserved);
    }
  });

  it('is priced by the shop\'s rule: the average of its halves, rounded up to the cent, when the shop says so; its size is added to the whole pizza', async () => {
    const shop = await createShop(stack.pool, 'halfprice');
    await stack.pool.query(`UPDATE pizzerias SET half_and_half_pricing = 'average' WHERE id = $1`, [shop.id]);
    const { rows: large } = await stack.pool.query<{ id: number; price_cents: number }>(
      `SELECT id, price_cents FROM product_options WHERE product_id = $1 AND kind = 'size' ORDER BY position LIMIT 1`, [reine()],
    );
    const placed = await new Client(stack.base).post('/api/orders', pickup(shop.id, [
      { productId: reine(), secondHalfId: seededProduct('margherita'), quantity: 2, options: [large[0].id] },
    ]));
    expect(placed.status, JSON.stringify(placed.body)).toBe(201);
    // (12,50 + 10,50) / 2 = 11,50, and the large size on top, twice
    expect(placed.body.total).toBe(2 * (1150 + large[0].price_cents));
    const { rows } = await stack.pool.query('SELECT name, unit_price_cents, quantity, vat_rate::float8 AS vat FROM order_items WHERE order_id = $1', [placed.body.id]);
    expect(rows).toEqual([{ name: '½ Reine / ½ Margherita', unit_price_cents: 1150 + large[0].price_cents, quantity: 2, vat: 10 }]);
  });

  it("is a rule head office sets in the shop's settings (audited); anything but 'dearer' or 'average' is refused and changes nothing", async () => {
    const shop = await createShop(stack.pool, 'halfrule');
    const admin = await new Client(stack.base).login('admin@ocpizza.test');
    const settings = { name: `OC Pizza ${shop.slug}`, address: '1 rue de Test, 75011 Paris', lat: 48.86, lng: 2.37, deliveryRadiusM: 3000 };
    const wrong = await admin.put(`/api/shops/${shop.id}`, { ...settings, halfAndHalfPricing: 'cheaper' });
    expect(wrong.status).toBe(422);
    expect(wrong.body.error.fields.halfAndHalfPricing).toBeTruthy();
    expect((await stack.pool.query('SELECT half_and_half_pricing AS r FROM pizzerias WHERE id = $1', [shop.id])).rows[0].r).toBe('dearer');

    const set = await admin.put(`/api/shops/${shop.id}`, { ...settings, halfAndHalfPricing: 'average' });
    expect(set.status, JSON.stringify(set.body)).toBe(200);
    expect(set.body.halfAndHalfPricing).toBe('average');
    const { rows } = await stack.pool.query(`SELECT before, after FROM audit_log WHERE action = 'shop.update' AND entity_id = $1 ORDER BY id DESC LIMIT 1`, [String(shop.id)]);
    expect([rows[0].before.halfAndHalfPricing, rows[0].after.halfAndHalfPricing]).toEqual(['dearer', 'average']);
    const placed = await new Client(stack.base).post('/api/orders', pickup(shop.id, [{ productId: reine(), secondHalfId: fromages(), quantity: 1 }]));
    expect(placed.body.total).toBe(1320);
  });

  it('can replace a whole pizza when the customer changes the order by its tracking link, and the stock held follows', async () => {
    const shop = await createShop(stack.pool, 'halfchange');
    const placed = await new Client(stack.base).post('/api/orders', pickup(shop.id, [{ productId: seededProduct('margherita'), quantity: 1 }]));
    expect(placed.status).toBe(201);
    const changed = await new Client(stack.base).patch(`/api/track/${placed.body.trackingToken}`, {
      items: [{ productId: seededProduct('margherita'), secondHalfId: fromages(), quantity: 1 }],
    });
    expect(changed.status, JSON.stringify(changed.body)).toBe(200);
    expect(changed.body.items[0]).toMatchObject({ name: '½ Margherita / ½ Quatre fromages', halves: { right: { name: 'Quatre fromages' } } });
    expect(changed.body.totalCents).toBe(1390);
    expect(await reservedBy(placed.body.id)).toEqual(halfOfEach(await recipeOf('margherita'), await recipeOf('quatre-fromages')));
  });

  it("is ordered again as a half-and-half by a signed-in customer's one-tap reorder, and left out, named, when one of its halves is off tonight", async () => {
    const shop = await createShop(stack.pool, 'halfagain');
    const first = await new Client(stack.base).post('/api/orders', pickup(shop.id, [{ productId: reine(), secondHalfId: fromages(), quantity: 1 }, { productId: seededProduct('margherita'), quantity: 1 }]));
    expect(first.status).toBe(201);
    const { rows: c } = await stack.pool.query<{ id: string }>(`INSERT INTO customers (phone) VALUES ('+33611' || lpad((random() * 1e6)::int::text, 6, '0')) RETURNING id`);
    await stack.pool.query('INSERT INTO customer_orders (order_id, customer_id, placed_at) VALUES ($1, $2, now())', [first.body.id, c[0].id]);

    const again = await reorder(stack.pool, c[0].id, first.body.id, { onlinePayment: false, locale: 'fr' });
    expect(again.leftOut).toEqual([]);
    expect(again.order.items.map((i) => [i.name, i.halves?.right.productId ?? null, i.unitPriceCents])).toEqual([
      ['½ Reine / ½ Quatre fromages', fromages(), 1390], ['Margherita', null, 1050],
    ]);

    // the Quatre fromages off tonight: the half-and-half is left out and named, the Margherita ordered
    await stack.pool.query(
      `INSERT INTO product_unavailable (pizzeria_id, product_id, business_day, by_user)
       SELECT $1, $2, (now() AT TIME ZONE 'Europe/Paris')::date, id FROM users WHERE email = $3`,
      [shop.id, fromages(), shop.email('manager')],
    );
    const third = await reorder(stack.pool, c[0].id, first.body.id, { onlinePayment: false, locale: 'fr' });
    expect(third.leftOut).toEqual([{ productId: reine(), name: '½ Reine / ½ Quatre fromages', quantity: 1 }]);
    expect(third.order.items.map((i) => i.name)).toEqual(['Margherita']);
  });

  it('is refused with its reason, changing nothing, when a half is unknown, not a pizza, the same as the other, off tonight or out of stock', async () => {
    const shop = await createShop(stack.pool, 'halfrefused');
    const manager = await new Client(stack.base).login(shop.email('manager'));
    const before = await shelf(shop.id);
    const attempt = (line: Record<string, unknown>) => new Client(stack.base).post('/api/orders', pickup(shop.id, [{ quantity: 1, ...line }]));

    const unknown = await attempt({ productId: reine(), secondHalfId: 999_999 });
    expect(unknown.status).toBe(422);
    expect(unknown.body.error.fields.items).toBe('unknown or withdrawn products: 999999');

    const drink = await attempt({ productId: reine(), secondHalfId: seededProduct('coca-cola') });
    expect(drink.status).toBe(422);
    expect(drink.body.error.fields.items).toBe(`product ${seededProduct('coca-cola')}: only pizzas can be halves of a half-and-half`);

    const same = await attempt({ productId: reine(), secondHalfId: reine() });
    expect(same.status).toBe(422);
    expect(same.body.error.fields['items.0.secondHalfId']).toMatch(/two different pizzas/);

    // the shop took the Quatre fromages off its menu tonight: no half of one either
    const off = await manager.post(`/api/shops/${shop.id}/tonight`, { productId: fromages(), available: false });
    expect(off.status, JSON.stringify(off.body)).toBeLessThan(300);
    const offTonight = await attempt({ productId: reine(), secondHalfId: fromages() });
    expect(offTonight.status).toBe(409);
    expect(offTonight.body.error).toMatchObject({ code: 'unavailable', items: [{ productId: fromages(), name: 'Quatre fromages' }] });
    await stack.pool.query('DELETE FROM product_unavailable WHERE pizzeria_id = $1', [shop.id]);

    // the gorgonzola (only its Quatre fromages half needs it) is out: the half that needs it is named
    await stack.pool.query(`UPDATE stock SET on_hand = 0 WHERE pizzeria_id = $1 AND ingredient_id = (SELECT id FROM ingredients WHERE slug = 'gorgonzola')`, [shop.id]);
    const short = await attempt({ productId: reine(), secondHalfId: fromages() });
    expect(short.status).toBe(409);
    expect(short.body.error.items).toEqual([{ productId: fromages(), name: 'Quatre fromages' }]);

    // nothing was placed, nothing is held
    const { rows } = await stack.pool.query('SELECT count(*)::int AS n FROM orders WHERE pizzeria_id = $1', [shop.id]);
    expect(rows[0].n).toBe(0);
    const after = await shelf(shop.id);
    for (const [slug, s] of after) expect(s.reserved, slug).toBe(before.get(slug)!.reserved);
  });
});
