// An order the kitchen starts has used its ingredients: the workers fold its reservation into the
// shop's stock rows within seconds of its event, by id (not by sweeping the whole evening's
// reservations, which in a rush cost Postgres a second of CPU every ten), and the count a manager
// sees never moves while they do. An order still waiting keeps what it holds.
import { describe, expect, it } from 'vitest';
import { Client, createShop, placeThroughApi, seededProduct, waitUntil } from '../helpers.ts';
import { useStack } from '../services.ts';
import { FOLD_SOON_MS } from '../../workers/stock-folder.ts';
import { foldStartedOrders } from '../../src/lib/server/orders/index.ts';

const stack = useStack({ workers: true });
const margherita = seededProduct('margherita');

/** The shop's stock rows for the margherita's ingredients: as stored, and as a person counts them. */
async function stockOf(shop: number) {
  const { rows } = await stack.pool.query<{ ingredient_id: number; on_hand: number; reserved: number; counted: number; need: number }>(
    `SELECT s.ingredient_id, s.on_hand, s.reserved, l.on_hand AS counted, r.quantity AS need
     FROM recipe_ingredients r JOIN stock s ON s.ingredient_id = r.ingredient_id AND s.pizzeria_id = $1
     JOIN stock_levels l ON l.pizzeria_id = s.pizzeria_id AND l.ingredient_id = s.ingredient_id
     WHERE r.product_id = $2 ORDER BY s.ingredient_id`,
    [shop, margherita],
  );
  return rows;
}
const heldBy = async (orderId: string) =>
  Number((await stack.pool.query('SELECT count(*) AS n FROM stock_reservations WHERE order_id = $1', [orderId])).rows[0].n);

describe('what the kitchen started, folded into the stock', () => {
  it('the workers fold a started order within seconds of its start; an order still waiting keeps its reservation', async () => {
    const shop = await createShop(stack.pool, 'folder');
    const kitchen = await new Client(stack.base).login(shop.email('kitchen'));
    const before = await stockOf(shop.id);
    const [started, waiting] = [
      await placeThroughApi(stack.base, { pizzeriaId: shop.id, productId: margherita, quantity: 2 }),
      await placeThroughApi(stack.base, { pizzeriaId: shop.id, productId: margherita }),
    ];
    expect(await heldBy(started.id)).toBeGreaterThan(0);
    expect((await kitchen.post(`/api/orders/${started.id}/status`, { to: 'preparing' })).status).toBe(200);

    // folded soon after (no sweep: that one runs once a minute)
    await waitUntil(async () => (await heldBy(started.id)) === 0, FOLD_SOON_MS + 8000, 'the started order folded');
    const after = await stockOf(shop.id);
    for (const [i, row] of after.entries()) {
      const was = before[i];
      // the shelf went down by what the two pizzas used; what is still held is the waiting order's
      expect(row.on_hand).toBe(was.on_hand - 2 * was.need);
      expect(row.reserved).toBe(was.reserved + was.need);
      // and the count a person sees is what it was the moment the kitchen started it
      expect(row.counted).toBe(was.counted - 2 * was.need);
    }
    expect(await heldBy(waiting.id)).toBeGreaterThan(0);
  });

  it('folding by id folds only orders the kitchen started, and the same order once', async () => {
    const shop = await createShop(stack.pool, 'fold-ids');
    const kitchen = await new Client(stack.base).login(shop.email('kitchen'));
    await stack.stopWorkers();
    try {
      const [started, waiting] = [
        await placeThroughApi(stack.base, { pizzeriaId: shop.id, productId: margherita }),
        await placeThroughApi(stack.base, { pizzeriaId: shop.id, productId: margherita }),
      ];
      expect((await kitchen.post(`/api/orders/${started.id}/status`, { to: 'preparing' })).status).toBe(200);
      const before = await stockOf(shop.id);
      expect(await foldStartedOrders(stack.pool, [waiting.id, started.id, started.id])).toBe(1);
      expect(await heldBy(started.id)).toBe(0);
      expect(await heldBy(waiting.id)).toBeGreaterThan(0);
      const once = await stockOf(shop.id);
      expect(once.map((r) => r.on_hand)).toEqual(before.map((r) => r.on_hand - r.need));
      // again: nothing left to fold, nothing moves
      expect(await foldStartedOrders(stack.pool, [started.id, waiting.id])).toBe(0);
      expect(await stockOf(shop.id)).toEqual(once);
    } finally {
      await stack.startWorkers();
    }
  });
});
