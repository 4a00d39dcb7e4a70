// Allergens end to end on real Postgres, Redis and the API: a line's allergens are what is actually
// in it (recipe, size, extras, removals, both halves of a half-and-half), as the storefront's menu
// says them before ordering and as the order keeps them once sold, printed on the box's label and
// the kitchen ticket (the fake printer's bytes). A shop of each test's own.
import { afterAll, describe, expect, it } from 'vitest';
import type { MenuProduct } from '../../src/lib/server/shops/catalogue.ts';
import { lineAllergens } from '../../src/lib/domain/line-allergens.ts';
import { printOrder } from '../../src/lib/server/printing/index.ts';
import { printerPolicy } from '../../src/lib/server/printing/address.ts';
import { Client, createShop, customer, seededProduct } from '../helpers.ts';
import { useStack } from '../services.ts';
import { FakePrinter } from '../fake-printer.ts';
import { addPestoPizza, removePestoPizza, type PestoPizza } from '../allergens-fixture.ts';

const ORIGIN = 'https://commande.ocpizza.example';
const stack = useStack({ env: { LOG_LEVEL: 'error', PUBLIC_ORIGIN: ORIGIN, PRINTER_TIMEOUT_MS: '1500', PRINTER_ALLOW_LOOPBACK: 'true' } });
let pesto: PestoPizza | undefined;
const printers: FakePrinter[] = [];
afterAll(async () => {
  await removePestoPizza(stack.pool, pesto);
  for (const p of printers) await p.stop();
});

const pickup = (pizzeriaId: number, items: unknown[]) => ({ pizzeriaId, fulfilment: 'pickup', customer, items, payment: 'on_delivery' });

async function menuOf(shop: number): Promise<MenuProduct[]> {
  const r = await new Client(stack.base).get(`/api/pizzerias/${shop}/menu`);
  expect(r.status).toBe(200);
  return (Array.isArray(r.body) ? r.body : r.body.menu) as MenuProduct[];
}

async function linesOf(orderId: string): Promise<{ name: string; allergens: string[] }[]> {
  const { rows } = await stack.pool.query('SELECT name, allergens FROM order_items WHERE order_id = $1 ORDER BY id', [orderId]);
  return rows;
}

describe('allergens of what is actually in a line', () => {
  it('an extra of nut pesto brings "nuts" on the menu, in the order, on the label and the kitchen ticket', async () => {
    pesto = await addPestoPizza(stack.pool, 'api');
    const shop = await createShop(stack.pool, 'allergens');
    const menu = await menuOf(shop.id);
    const pizza = menu.find((p) => p.id === pesto!.productId)!;
    // the recipe has no nuts; its extra has
    expect(pizza.allergens).toEqual(['gluten', 'milk']);
    expect(pizza.options.find((o) => o.id === pesto!.pestoOptionId)).toMatchObject({ allergens: ['milk', 'nuts'] });
    expect(lineAllergens(pizza, [])).toEqual(['gluten', 'milk']);
    expect(lineAllergens(pizza, [pesto.pestoOptionId])).toEqual(['gluten', 'milk', 'nuts']);

    const placed = await new Client(stack.base).post('/api/orders', pickup(shop.id, [
      { productId: pesto.productId, quantity: 1, options: [pesto.pestoOptionId] }, { productId: pesto.productId, quantity: 1 },
    ]));
    expect(placed.status, JSON.stringify(placed.body)).toBe(201);
    const lines = await linesOf(placed.body.id);
    expect(lines.map((l) => l.allergens)).toEqual([['gluten', 'milk', 'nuts'], ['gluten', 'milk']]);

    // the label and the ticket, as the printer receives them
    const printer = new FakePrinter();
    printers.push(printer);
    await printer.start();
    const manager = await new Client(stack.base).login(shop.email('manager'));
    expect((await manager.put(`/api/shops/${shop.id}/printer`, { host: printer.host, port: printer.port })).status).toBe(200);
    for (const kind of ['label', 'ticket'] as const) {
      expect(await printOrder(stack.pool, { orderId: placed.body.id, kind, copy: 1 }, { origin: ORIGIN, timeoutMs: 1500, policy: printerPolicy({ allowLoopback: true }) })).toBe('printed');
    }
    const docs = printer.of(placed.body.number);
    expect(docs).toHaveLength(2);
    for (const d of docs) {
      const text = d.lines.map((l) => l.trim()).join(' ');
      // each cereal and nut named, as sold (the dough's wheat, the pesto's walnuts)
      expect(text).toContain('+ Supplement pesto aux noix ALLERGENES: GLUTEN (BLE), LAIT, FRUITS A COQUE (NOIX)');
      // the plain pizza says only its own
      expect(text).toMatch(/1x Genovese api ALLERGENES: GLUTEN \(BLE\), LAIT(?! ,| FRUITS)/);
    }
  });

  it('a half-and-half carries both halves\', a "without" takes its ingredient\'s out, a size adds its own', async () => {
    const shop = await createShop(stack.pool, 'allergens-halves');
    const menu = await menuOf(shop.id);
    const bySlug = (slug: string) => menu.find((p) => p.slug === slug)!;
    const napolitaine = bySlug('napolitaine');
    const noAnchovies = napolitaine.options.find((o) => o.kind === 'without' && o.removesIngredientId !== null && o.name.includes('anchois'))!;
    const large = bySlug('reine').options.find((o) => o.kind === 'size')!;
    expect(napolitaine.allergens).toContain('fish');
    const placed = await new Client(stack.base).post('/api/orders', pickup(shop.id, [
      { productId: seededProduct('reine'), secondHalfId: seededProduct('calzone'), quantity: 1, options: [large.id] },
      { productId: napolitaine.id, quantity: 1, options: [noAnchovies.id] },
      { productId: napolitaine.id, quantity: 1 },
    ]));
    expect(placed.status, JSON.stringify(placed.body)).toBe(201);
    const lines = await linesOf(placed.body.id);
    // the Reine has no egg, the Calzone has: the half-and-half has both halves'
    expect(lines[0].allergens).toEqual(['gluten', 'eggs', 'milk']);
    expect(lineAllergens(bySlug('reine'), [large.id], bySlug('calzone'))).toEqual(lines[0].allergens);
    expect(lines[1].allergens).toEqual(['gluten', 'milk']);
    expect(lines[2].allergens).toEqual(['gluten', 'fish', 'milk']);
    expect(lineAllergens(napolitaine, [noAnchovies.id])).toEqual(lines[1].allergens);

    // the order's view (the kitchen's, the counter's) carries them
    const counter = await new Client(stack.base).login(shop.email('counter'));
    const view = await counter.get(`/api/orders/${placed.body.id}`);
    expect(view.status).toBe(200);
    expect(view.body.items.map((i: { allergens: string[] }) => i.allergens)).toEqual(lines.map((l) => l.allergens));
  });
});

describe('an allergy note on the order', () => {
  it('is refused with the line named while a line contains the declared allergen, kept once confirmed, and read by the kitchen and the driver', async () => {
    pesto ??= await addPestoPizza(stack.pool, 'note');
    const shop = await createShop(stack.pool, 'allergy-note');
    const before = await countOrders(shop.id);
    const items = [{ productId: pesto.productId, quantity: 1, options: [pesto.pestoOptionId] }, { productId: seededProduct('margherita'), quantity: 1 }];
    const allergy = { allergens: ['nuts', 'peanuts'], note: 'Allergie sévère, EpiPen' };

    const refused = await new Client(stack.base).post('/api/orders', { ...pickup(shop.id, items), allergy });
    expect(refused.status).toBe(422);
    expect(refused.body.error.code).toBe('allergen_in_basket');
    expect(refused.body.error.items).toEqual([{ line: 0, productId: pesto.productId, name: pesto.name, allergens: ['nuts'] }]);
    expect(refused.body.error.message).toContain(`${pesto.name} (nuts)`);
    expect(await countOrders(shop.id)).toBe(before);
    // an allergen that is not one of the 14 is refused at the door
    const bogus = await new Client(stack.base).post('/api/orders', { ...pickup(shop.id, items), allergy: { allergens: ['peanut'] } });
    expect(bogus.status).toBe(422);
    expect(await countOrders(shop.id)).toBe(before);

    const placed = await new Client(stack.base).post('/api/orders', { ...pickup(shop.id, items), allergy: { ...allergy, confirmed: true } });
    expect(placed.status, JSON.stringify(placed.body)).toBe(201);
    const kitchen = await new Client(stack.base).login(shop.email('kitchen'));
    const seen = await kitchen.get(`/api/orders/${placed.body.id}`);
    // the kitchen sees no phone, but the allergy note (food safety)
    expect(seen.body.customer).toEqual({ name: 'Camille' });
    expect(seen.body.allergy).toEqual({ allergens: ['peanuts', 'nuts'], note: 'Allergie sévère, EpiPen', readAt: null, readFirst: false });
    const tracked = await new Client(stack.base).get(`/api/track/${placed.body.trackingToken}`);
    expect((tracked.body.order ?? tracked.body).allergy.allergens).toEqual(['peanuts', 'nuts']);

    // the same basket with no allergy declared: no note, no refusal
    const plain = await new Client(stack.base).post('/api/orders', pickup(shop.id, items));
    expect(plain.status).toBe(201);
    expect((await kitchen.get(`/api/orders/${plain.body.id}`)).body.allergy).toBeNull();
  });

  it('in a shop that asks for it, the kitchen cannot start the order before tapping "Allergie lue"', async () => {
    const shop = await createShop(stack.pool, 'allergy-read');
    await stack.pool.query('UPDATE pizzerias SET allergy_read_first = true WHERE id = $1', [shop.id]);
    const kitchen = await new Client(stack.base).login(shop.email('kitchen'));
    const items = [{ productId: seededProduct('margherita'), quantity: 1 }];
    const withNote = await new Client(stack.base).post('/api/orders', { ...pickup(shop.id, items), allergy: { allergens: ['sesame'] } });
    const without = await new Client(stack.base).post('/api/orders', pickup(shop.id, items));
    expect(withNote.status).toBe(201);

    const early = await kitchen.post(`/api/orders/${withNote.body.id}/status`, { to: 'preparing' });
    expect(early.status).toBe(409);
    expect(early.body.error.code).toBe('allergy_not_read');
    expect(early.body.error.message).toMatch(/Allergie lue/);
    expect((await kitchen.get(`/api/orders/${withNote.body.id}`)).body.status).toBe('received');
    // an order with no note starts as ever; a note on it cannot be "read"
    expect((await kitchen.post(`/api/orders/${without.body.id}/status`, { to: 'preparing' })).status).toBe(200);
    expect((await kitchen.post(`/api/orders/${without.body.id}/allergy-read`, {})).status).toBe(409);
    // the counter does not read it for the kitchen
    const counter = await new Client(stack.base).login(shop.email('counter'));
    expect((await counter.post(`/api/orders/${withNote.body.id}/allergy-read`, {})).status).toBe(403);

    const read = await kitchen.post(`/api/orders/${withNote.body.id}/allergy-read`, {});
    expect(read.status, JSON.stringify(read.body)).toBe(200);
    expect(read.body.allergy.readAt).toEqual(expect.any(String));
    const { rows } = await stack.pool.query('SELECT allergy_read_by FROM orders WHERE id = $1', [withNote.body.id]);
    expect(rows[0].allergy_read_by).toEqual(expect.any(Number));
    expect((await kitchen.post(`/api/orders/${withNote.body.id}/status`, { to: 'preparing' })).status).toBe(200);
  });

  it('is printed framed on the label and the kitchen ticket', async () => {
    const shop = await createShop(stack.pool, 'allergy-print');
    const printer = new FakePrinter();
    printers.push(printer);
    await printer.start();
    const manager = await new Client(stack.base).login(shop.email('manager'));
    expect((await manager.put(`/api/shops/${shop.id}/printer`, { host: printer.host, port: printer.port })).status).toBe(200);
    const placed = await new Client(stack.base).post('/api/orders', {
      ...pickup(shop.id, [{ productId: seededProduct('margherita'), quantity: 1 }]), allergy: { allergens: ['nuts'], note: 'Pas de pesto' },
    });
    expect(placed.status).toBe(201);
    for (const kind of ['label', 'ticket'] as const) {
      expect(await printOrder(stack.pool, { orderId: placed.body.id, kind, copy: 1 }, { origin: ORIGIN, timeoutMs: 1500, policy: printerPolicy({ allowLoopback: true }) })).toBe('printed');
    }
    for (const d of printer.of(placed.body.number)) {
      const at = d.lines.indexOf('! ALLERGIE !');
      expect(at).toBeGreaterThan(0);
      expect(d.lines.slice(at + 1, at + 3)).toEqual(['ALLERGENES: FRUITS A COQUE', '"Pas de pesto"']);
    }
  });
});

async function countOrders(shop: number): Promise<number> {
  return Number((await stack.pool.query('SELECT count(*) AS n FROM orders WHERE pizzeria_id = $1', [shop])).rows[0].n);
}
