// What the delivery platforms hear of a shop without anyone typing it twice: a pizza sold out here
// is suspended on every platform within seconds and restored when stock comes back, the rush
// levers (+20 min, online orders paused) reach every platform, our cancel of a platform order is
// told to it, and the menu is pushed at the platform's prices with our ids.
import { describe, expect, it } from 'vitest';
import { queueMenuPush, useMarketplaceQueue } from '../../src/lib/server/flows/platform-decisions.ts';
import { Client, createShop, seededProduct, waitUntil } from '../helpers.ts';
import { platformOrder, TestPlatform } from '../marketplace-fake.ts';
import { useStack } from '../services.ts';

const uber = new TestPlatform('uber_eats', 'Uber Eats', 'uber-sync-secret');
const roo = new TestPlatform('deliveroo', 'Deliveroo', 'roo-sync-secret');
const platforms = [uber, roo];
const stack = useStack({ workers: true, env: { LOG_LEVEL: 'error' }, app: { marketplaces: platforms }, workerOptions: { marketplaces: platforms } });
const WITHIN = 5_000;

async function connectedShop(tag: string) {
  const shop = await createShop(stack.pool, tag);
  const stores = { uber: `ue-${shop.slug}`, roo: `dr-${shop.slug}` };
  await stack.pool.query(
    `INSERT INTO marketplace_stores (marketplace, store_id, pizzeria_id, price_markup_pct) VALUES ('uber_eats', $1, $3, 15), ('deliveroo', $2, $3, 0)`,
    [stores.uber, stores.roo, shop.id],
  );
  const manager = await new Client(stack.base).login(shop.email('manager'));
  return { shop, stores, manager };
}

/** An ingredient of this pizza that no other product of the menu uses (its stock sells the pizza out alone). */
async function ownIngredientOf(productId: number): Promise<number> {
  const { rows } = await stack.pool.query(
    `SELECT r.ingredient_id FROM recipe_ingredients r WHERE r.product_id = $1
       AND NOT EXISTS (SELECT 1 FROM recipe_ingredients x JOIN products p ON p.id = x.product_id WHERE x.ingredient_id = r.ingredient_id AND x.product_id <> $1 AND p.active)
     LIMIT 1`,
    [productId],
  );
  if (!rows[0]) throw new Error('no ingredient of its own');
  return rows[0].ingredient_id;
}

/** A pizza of the demo menu with an ingredient of its own. */
async function pizzaWithOwnIngredient(): Promise<{ productId: number; ingredientId: number }> {
  const { rows } = await stack.pool.query(
    `SELECT p.id FROM products p WHERE p.active AND p.category = 'pizza' AND EXISTS (
       SELECT 1 FROM recipe_ingredients r WHERE r.product_id = p.id AND NOT EXISTS (
         SELECT 1 FROM recipe_ingredients x JOIN products q ON q.id = x.product_id WHERE x.ingredient_id = r.ingredient_id AND x.product_id <> p.id AND q.active))
     ORDER BY p.id LIMIT 1`,
  );
  return { productId: rows[0].id, ingredientId: await ownIngredientOf(rows[0].id) };
}

const told = (p: TestPlatform, storeId: string, item: string) =>
  p.callsOf('availability').filter((c) => c.storeId === storeId).flatMap((c) => c.items.filter((i) => i.id === item).map((i) => i.available));

describe('what the platforms hear of a shop', () => {
  it('a sold-out pizza is suspended on both platforms within 5 s, and restored when stock comes back', async () => {
    const { shop, stores, manager } = await connectedShop('mkt-soldout');
    const { productId, ingredientId } = await pizzaWithOwnIngredient();
    const item = `p${productId}`;
    const soldOutAt = Date.now();
    expect((await manager.post(`/api/shops/${shop.id}/stock/counts`, { ingredientId, counted: 0, reason: 'count' })).status).toBe(201);
    await waitUntil(() => told(uber, stores.uber, item).at(-1) === false && told(roo, stores.roo, item).at(-1) === false, WITHIN, 'suspended on both platforms');
    expect(Date.now() - soldOutAt).toBeLessThan(WITHIN);
    // other pizzas stay on sale: nothing else was told than this pizza and its options
    const options = (await stack.pool.query('SELECT id FROM product_options WHERE product_id = $1 ORDER BY id', [productId])).rows.map((r) => `o${r.id}`);
    expect(uber.callsOf('availability').filter((c) => c.storeId === stores.uber).flatMap((c) => c.items.map((i) => i.id)).sort()).toEqual([item, ...options].sort());

    expect((await manager.post(`/api/shops/${shop.id}/stock/deliveries`, { ingredientId, quantity: 5000 })).status).toBe(201);
    await waitUntil(() => told(uber, stores.uber, item).at(-1) === true && told(roo, stores.roo, item).at(-1) === true, WITHIN, 'restored on both platforms');
    expect(told(uber, stores.uber, item)).toEqual([false, true]);
  });

  it('+20 min and the online pause reach both platforms', async () => {
    const { shop, stores, manager } = await connectedShop('mkt-busy');
    expect((await manager.post(`/api/shops/${shop.id}/busy`, { minutes: 20 })).status).toBe(200);
    const statusOf = (p: TestPlatform, storeId: string) => p.callsOf('status').filter((c) => c.storeId === storeId).at(-1)?.status;
    await waitUntil(() => statusOf(uber, stores.uber)?.busyMinutes === 20 && statusOf(roo, stores.roo)?.busyMinutes === 20, WITHIN, '+20 min on both platforms');
    expect(statusOf(uber, stores.uber)).toEqual({ open: true, busyMinutes: 20 });
    expect((await manager.post(`/api/shops/${shop.id}/online`, { paused: true })).status).toBe(200);
    await waitUntil(() => statusOf(uber, stores.uber)?.open === false && statusOf(roo, stores.roo)?.open === false, WITHIN, 'paused on both platforms');
  });

  it('our cancel of a platform order is told to the platform', async () => {
    const { shop, stores, manager } = await connectedShop('mkt-ourcancel');
    const id = `ue-cancel-${Date.now().toString(36)}`;
    await uber.send(stack.base, [{ kind: 'order', eventId: `evt-${id}`, storeId: stores.uber, order: platformOrder(stores.uber, id, [{ id: `p${seededProduct('margherita')}`, cents: 1290 }]) }]);
    const placed = await waitUntil(async () => (await stack.pool.query('SELECT id FROM orders WHERE external_id = $1', [id])).rows[0], 15_000, 'the platform order placed');
    const r = await manager.post(`/api/orders/${placed.id}/status`, { to: 'cancelled' });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    await waitUntil(() => uber.callsOf('cancel').some((c) => c.ref.externalId === id), WITHIN, 'the platform told of our cancel');
    expect(uber.callsOf('cancel').find((c) => c.ref.externalId === id)).toMatchObject({ ref: { storeId: stores.uber } });
    expect(shop.id).toBeGreaterThan(0);
  });

  it("pushes the shop's menu with our ids, at the store's prices, with photos, options, allergens and hours", async () => {
    const { shop, stores } = await connectedShop('mkt-menu');
    const margherita = seededProduct('margherita');
    await stack.pool.query(`INSERT INTO marketplace_prices (marketplace, product_id, price_cents) VALUES ('deliveroo', $1, 1111) ON CONFLICT (marketplace, product_id) DO UPDATE SET price_cents = 1111`, [margherita]);
    useMarketplaceQueue(stack.workers.queues.marketplaces);
    await queueMenuPush(shop.id, 'uber_eats');
    await queueMenuPush(shop.id, 'deliveroo');
    const pushed = (p: TestPlatform, storeId: string) => p.callsOf('menu').find((c) => c.storeId === storeId)?.menu;
    await waitUntil(() => pushed(uber, stores.uber) && pushed(roo, stores.roo), 15_000, 'the menu pushed to both');
    const { rows } = await stack.pool.query('SELECT price_cents FROM products WHERE id = $1', [margherita]);
    const ours = rows[0].price_cents as number;
    const onUber = pushed(uber, stores.uber)!.products.find((p) => p.id === `p${margherita}`)!;
    const onRoo = pushed(roo, stores.roo)!.products.find((p) => p.id === `p${margherita}`)!;
    expect(onUber.priceCents).toBe(Math.round(ours * 1.15));
    expect(onRoo.priceCents).toBe(1111);
    expect(onUber).toMatchObject({ name: expect.any(String), available: true });
    expect(onUber.allergens.length).toBeGreaterThan(0);
    expect(pushed(uber, stores.uber)!.categories.some((c) => c.productIds.includes(`p${margherita}`))).toBe(true);
  });
});
