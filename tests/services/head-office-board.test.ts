// Head office's live page loads every shop's board: active orders, low stock, low ratings, refusals
// and platforms' orders. At 500 shops it ran one low-stock read per shop (500 statements, p50 531 ms):
// the board is now read in the same number of statements whatever the number of shops, and each
// shop's low stock is what the shop's own read (its kitchen's screen, its stock page) says.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type pg from 'pg';
import { managerBoard } from '../../src/lib/server/flows/head-office-board.ts';
import { fromJsonText } from '../../src/lib/shapes/json-text.ts';
import { alertsOfShops } from '../../src/lib/server/flows/alerts.ts';
import { lowStock } from '../../src/lib/server/stock/stock.ts';
import { listOrders } from '../../src/lib/server/orders/index.ts';
import { placeOrder } from '../../src/lib/server/flows/placing.ts';
import { createShop, customer, seededProduct, testPool } from '../helpers.ts';

const pool = testPool();
afterAll(() => pool.end());

const headOffice = { role: 'admin', pizzeriaId: null } as const;

/**
 * Counts every statement the pool sends to Postgres: each goes through a client the pool lends
 * (pool.query borrows one too), whose query is counted once.
 */
function countStatements(p: pg.Pool) {
  let n = 0;
  const counted = new WeakSet<pg.PoolClient>();
  p.on('acquire', (client) => {
    if (counted.has(client)) return;
    counted.add(client);
    const query = client.query.bind(client) as (...args: unknown[]) => unknown;
    (client as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
      n += 1;
      return query(...args);
    };
  });
  return { reset: () => (n = 0), get count() { return n; } };
}

const statements = countStatements(pool);

/** The board as its page reads it (its shops, orders and low stock come as JSON text). */
const read = (b: Awaited<ReturnType<typeof managerBoard>>) => ({ ...b, shops: fromJsonText(b.shops), orders: fromJsonText(b.orders), low: fromJsonText(b.low) });

async function shopsWithLowStock() {
  const { rows: ing } = await pool.query<{ id: number }>('SELECT id FROM ingredients ORDER BY name LIMIT 4');
  const [a, b, c] = [await createShop(pool, 'low-a'), await createShop(pool, 'low-b'), await createShop(pool, 'low-c')];
  const set = (shop: number, ingredient: number, onHand: number, reserved: number, threshold: number) =>
    pool.query('UPDATE stock SET on_hand = $3, reserved = $4, low_threshold = $5 WHERE pizzeria_id = $1 AND ingredient_id = $2', [shop, ingredient, onHand, reserved, threshold]);
  // a: three low, none left of the third (the emptiest first)
  await set(a.id, ing[0].id, 2, 0, 10);
  await set(a.id, ing[1].id, 5, 0, 10);
  await set(a.id, ing[2].id, 0, 0, 0);
  // b: plenty on the shelf but held by orders, and one at the same share of its threshold (by name)
  await set(b.id, ing[3].id, 3, 0, 6);
  await set(b.id, ing[0].id, 100, 95, 10);
  // c: a threshold, and more than it free
  await set(c.id, ing[1].id, 50, 20, 20);
  return { a: a.id, b: b.id, c: c.id, ing: ing.map((i) => i.id) };
}

describe("head office's board", () => {
  let shops: Awaited<ReturnType<typeof shopsWithLowStock>>;
  beforeAll(async () => {
    shops = await shopsWithLowStock();
  });

  it("shows each shop's low stock as the shop's own read does: the emptiest first, then by name", async () => {
    const board = read(await managerBoard(pool, headOffice));
    const { rows } = await pool.query<{ id: number }>('SELECT id FROM pizzerias ORDER BY id');
    expect(board.shops.map((s) => s.id)).toEqual(rows.map((r) => r.id));
    expect(board.low).toEqual(await Promise.all(board.shops.map(async (s) => ({ pizzeriaId: s.id, low: await lowStock(pool, s.id) }))));
    const of = (shop: number) => board.low.find((l) => l.pizzeriaId === shop)!.low;
    const { ing } = shops;
    expect(of(shops.a).map((l) => [l.ingredientId, l.free, l.lowThreshold])).toEqual([[ing[2], 0, 0], [ing[0], 2, 10], [ing[1], 5, 10]]);
    expect(of(shops.b).map((l) => [l.ingredientId, l.free, l.lowThreshold])).toEqual([[ing[0], 5, 10], [ing[3], 3, 6]]);
    expect(of(shops.c)).toEqual([]);
    expect(of(shops.a)[0]).toMatchObject({ name: expect.any(String), unit: expect.any(String) });
  });

  it("gives each shop's orders under way as the shops' list reads them, newest first, and a shop's manager their own only", async () => {
    const place = (shop: number, quantity: number) => placeOrder(pool, {
      pizzeriaId: shop, channel: 'online', fulfilment: 'pickup', customer, items: [{ productId: seededProduct('margherita'), quantity }], payment: 'on_delivery',
    }, { kind: 'customer' });
    // two shops of their own (those above have run low)
    const [d, e] = [(await createShop(pool, 'board-d')).id, (await createShop(pool, 'board-e')).id];
    const placed = [await place(d, 1), await place(e, 2), await place(d, 3)];
    const board = read(await managerBoard(pool, headOffice));
    const all = board.shops.map((s) => s.id);
    expect(board.orders).toEqual(await listOrders(pool, { pizzeriaIds: all, activeOnly: true, limit: 1000 }));
    // the newest first, each with its lines
    const ours = board.orders.filter((o) => placed.some((p) => p.order.id === o.id));
    expect(ours.map((o) => [o.id, o.pizzeriaId, o.items[0].quantity])).toEqual([...placed].reverse().map((p) => [p.order.id, p.order.pizzeriaId, p.order.items[0].quantity]));
    const ofE = read(await managerBoard(pool, { role: 'manager', pizzeriaId: e }));
    expect(ofE.orders.map((o) => o.id)).toEqual([placed[1].order.id]);
  });

  it("a shop's manager sees their own shop's low stock only", async () => {
    const board = read(await managerBoard(pool, { role: 'manager', pizzeriaId: shops.b }));
    expect(board.low).toEqual([{ pizzeriaId: shops.b, low: await lowStock(pool, shops.b) }]);
  });

  it('is read in as many statements with 30 shops more as before them', async () => {
    statements.reset();
    const before = read(await managerBoard(pool, headOffice));
    const few = statements.count;
    for (let i = 0; i < 30; i += 10) await Promise.all(Array.from({ length: 10 }, (_, j) => createShop(pool, `more${i + j}`)));
    statements.reset();
    const after = read(await managerBoard(pool, headOffice));
    expect(after.shops.length).toBe(before.shops.length + 30);
    expect(after.low).toHaveLength(after.shops.length);
    expect(statements.count).toBe(few);
    // the shops, the snapshot's four, and one each for low stock, ratings, refusals, platforms' orders and titres-restaurant refused
    expect(few).toBeLessThanOrEqual(10);
  });

  it("head office's alerts too read low stock in one statement for every shop", async () => {
    const all = (await pool.query<{ id: number }>('SELECT id FROM pizzerias ORDER BY id')).rows.map((r) => r.id);
    statements.reset();
    const alerts = await alertsOfShops(pool, all.slice(0, 3), null, 60_000);
    const few = statements.count;
    statements.reset();
    const more = await alertsOfShops(pool, all, null, 60_000);
    expect(statements.count).toBe(few);
    expect(more.filter((a) => a.kind === 'stock_low').length).toBeGreaterThanOrEqual(alerts.filter((a) => a.kind === 'stock_low').length);
  });
});
