// Allergens end to end on real Postgres, Redis and the API: a line's allergens are what is actually
// in it (recipe, size, extras, removals, both halves of a half-and-half), as the storefront's menu
// says them before ordering and as the order keeps them once sold, printed on the box's label and
// the kitchen ticket (the fake printer's bytes). A shop of each test's own.
import { afterAll, describe, expect, it } from 'vitest';
import type { MenuProduct } from '../src/lib/server/catalogue.ts';
import { lineAllergens } from '../src/lib/domain/line-allergens.ts';
import { printOrder } from '../src/lib/server/printing/index.ts';
import { printerPolicy } from '../src/lib/server/printing/address.ts';
import { Client, createShop, customer, seededProduct } from './helpers.ts';
import { useStack } from './services.ts';
import { FakePrinter } from './fake-printer.ts';
import { addPestoPizza, removePestoPizza, type PestoPizza } from './allergens-fixture.ts';

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
      expect(text).toContain('+ Supplement pesto aux noix ALLERGENES: GLUTEN, LAIT, FRUITS A COQUE');
      // the plain pizza says only its own
      expect(text).toMatch(/1x Genovese api ALLERGENES: GLUTEN, LAIT(?! ,| FRUITS)/);
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
