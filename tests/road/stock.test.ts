// The back office's stock, against real Postgres, Redis and Socket.io: a delivery received puts a
// sold-out pizza back on open menus live; a count records the difference with its reason and is
// refused below what orders hold; the low threshold raises and clears a live alert; only the
// shop's managers and head office may change it; every change is in the audit log.
import { describe, expect, it } from 'vitest';
import { seededProduct, Client, connectSocket, createShop, placeThroughApi, subscribe, type TestSocket } from '../helpers.ts';
import { useStack } from '../services.ts';
import type { LowStockAlert, MenuAvailability } from '../../src/lib/shapes/views.ts';

const stack = useStack();

/** The ingredient only the Truffe pizza uses, and how much one takes. */
async function truffleIngredient() {
  const { rows } = await stack.pool.query<{ ingredient_id: number; quantity: number }>(
    `SELECT r.ingredient_id, r.quantity FROM recipe_ingredients r JOIN products p ON p.id = r.product_id
     WHERE p.slug = 'truffe' AND NOT EXISTS (SELECT 1 FROM recipe_ingredients o JOIN products q ON q.id = o.product_id
                                             WHERE o.ingredient_id = r.ingredient_id AND q.slug <> 'truffe')`,
  );
  return rows[0];
}

function listen<T>(socket: TestSocket, event: 'menu:availability' | 'stock:low') {
  const got: T[] = [];
  socket.on(event as never, ((e: T) => got.push(e)) as never);
  return {
    got,
    async next(pred: (e: T) => boolean, timeoutMs = 5000): Promise<{ e: T; ms: number }> {
      const t0 = Date.now();
      for (;;) {
        const e = got.find(pred);
        if (e) return { e, ms: Date.now() - t0 };
        if (Date.now() - t0 > timeoutMs) throw new Error(`no ${event} matching within ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
  };
}

const shelf = async (shop: number, ingredient: number) =>
  (await stack.pool.query('SELECT on_hand, reserved, free FROM stock_levels WHERE pizzeria_id = $1 AND ingredient_id = $2', [shop, ingredient])).rows[0];

describe('a delivery received', () => {
  it('puts a sold-out pizza back on an open menu, live, without a reload', async () => {
    const shop = await createShop(stack.pool, 'restock');
    const manager = await new Client(stack.base).login(shop.email('manager'));
    const truffe = seededProduct('truffe');
    const t = await truffleIngredient();
    // one Truffe left on the shelf
    await stack.pool.query('UPDATE stock SET on_hand = $3 WHERE pizzeria_id = $1 AND ingredient_id = $2', [shop.id, t.ingredient_id, t.quantity]);

    const visitor = await connectSocket(stack.base);
    stack.sockets.push(visitor);
    const menu = listen<MenuAvailability>(visitor, 'menu:availability');
    expect(await subscribe(visitor, { scope: 'menu', pizzeriaId: shop.id })).toMatchObject({ data: {} });
    await placeThroughApi(stack.base, { pizzeriaId: shop.id, productId: truffe });
    const soldOut = await menu.next((e) => e.products.some((p) => p.id === truffe && !p.available));
    expect(soldOut.e.pizzeriaId).toBe(shop.id);
    expect((await new Client(stack.base).get(`/api/pizzerias/${shop.id}/menu`)).body.find((p: { id: number }) => p.id === truffe).available).toBe(false);

    // the morning's delivery: three more
    const before = menu.got.length;
    const received = await manager.post(`/api/shops/${shop.id}/stock/deliveries`, { ingredientId: t.ingredient_id, quantity: 3 * t.quantity, supplier: 'Tartufi Italia', receivedOn: '2026-11-22' });
    expect(received.status).toBe(201);
    expect(received.body).toMatchObject({ shelf: 4 * t.quantity, free: 3 * t.quantity });
    const back = await menu.next((e) => menu.got.indexOf(e) >= before && e.products.some((p) => p.id === truffe && p.available && p.portions === 3));
    expect(back.e.pizzeriaId).toBe(shop.id);

    // the movement and its trace
    const moves = (await manager.get(`/api/shops/${shop.id}/stock/movements`)).body;
    expect(moves.rows[0]).toMatchObject({ kind: 'delivery', quantity: 3 * t.quantity, shelfAfter: 4 * t.quantity, supplier: 'Tartufi Italia', receivedOn: '2026-11-22' });
    const { rows } = await stack.pool.query(`SELECT action, before, after FROM audit_log WHERE entity = 'stock' AND entity_id = $1 ORDER BY id DESC LIMIT 1`, [`${shop.id}:${t.ingredient_id}`]);
    expect(rows[0]).toMatchObject({ action: 'stock.delivery', before: { shelf: t.quantity, free: 0 }, after: { shelf: 4 * t.quantity, free: 3 * t.quantity } });
  });
});

describe('a count', () => {
  it('records the difference with its reason; below what orders hold it is refused, with a clear message, and changes nothing', async () => {
    const shop = await createShop(stack.pool, 'count');
    const manager = await new Client(stack.base).login(shop.email('manager'));
    const truffe = seededProduct('truffe');
    const t = await truffleIngredient();
    await stack.pool.query('UPDATE stock SET on_hand = $3 WHERE pizzeria_id = $1 AND ingredient_id = $2', [shop.id, t.ingredient_id, 10 * t.quantity]);
    await placeThroughApi(stack.base, { pizzeriaId: shop.id, productId: truffe, quantity: 2 });
    expect(await shelf(shop.id, t.ingredient_id)).toEqual({ on_hand: 10 * t.quantity, reserved: 2 * t.quantity, free: 8 * t.quantity });

    const below = await manager.post(`/api/shops/${shop.id}/stock/counts`, { ingredientId: t.ingredient_id, counted: t.quantity, reason: 'count' });
    expect(below.status).toBe(409);
    expect(below.body.error.code).toBe('below_reserved');
    expect(below.body.error.message).toMatch(/already hold/);
    expect(await shelf(shop.id, t.ingredient_id)).toEqual({ on_hand: 10 * t.quantity, reserved: 2 * t.quantity, free: 8 * t.quantity });

    // a jar broke: six left on the shelf
    const broke = await manager.post(`/api/shops/${shop.id}/stock/counts`, { ingredientId: t.ingredient_id, counted: 6 * t.quantity, reason: 'breakage', note: 'bocal tombé' });
    expect(broke.status).toBe(201);
    expect(broke.body).toMatchObject({ shelf: 6 * t.quantity, free: 4 * t.quantity, difference: -4 * t.quantity });
    expect(await shelf(shop.id, t.ingredient_id)).toEqual({ on_hand: 6 * t.quantity, reserved: 2 * t.quantity, free: 4 * t.quantity });
    const moves = (await manager.get(`/api/shops/${shop.id}/stock/movements?kind=breakage`)).body;
    expect(moves.rows).toHaveLength(1);
    expect(moves.rows[0]).toMatchObject({ kind: 'breakage', quantity: -4 * t.quantity, shelfAfter: 6 * t.quantity, note: 'bocal tombé' });

    // bad input: refused with the field named, nothing changes
    for (const body of [
      { ingredientId: t.ingredient_id, counted: -1, reason: 'count' },
      { ingredientId: t.ingredient_id, counted: 'beaucoup', reason: 'count' },
      { ingredientId: t.ingredient_id, counted: 5, reason: 'theft' },
      { ingredientId: t.ingredient_id, counted: 5, reason: 'count', extra: 1 },
      { ingredientId: 0, counted: 5, reason: 'count' },
    ]) {
      const r = await manager.post(`/api/shops/${shop.id}/stock/counts`, body);
      expect(r.status, JSON.stringify(body)).toBe(422);
      expect(Object.keys(r.body.error.fields).length).toBeGreaterThan(0);
    }
    expect((await manager.post(`/api/shops/${shop.id}/stock/deliveries`, { ingredientId: t.ingredient_id, quantity: 0 })).body.error.fields.quantity).toBe('More than 0');
    expect((await manager.post(`/api/shops/${shop.id}/stock/deliveries`, { ingredientId: 999_999, quantity: 5 })).status).toBe(404);
    expect(await shelf(shop.id, t.ingredient_id)).toEqual({ on_hand: 6 * t.quantity, reserved: 2 * t.quantity, free: 4 * t.quantity });
  });
});

describe('who may change it', () => {
  it("a shop's manager and head office only: another shop's manager, the kitchen and a driver are refused; head office reads the audit log", async () => {
    const shop = await createShop(stack.pool, 'who');
    const other = await createShop(stack.pool, 'who-other');
    const t = await truffleIngredient();
    const body = { ingredientId: t.ingredient_id, quantity: 100 };
    const as = async (email: string) => new Client(stack.base).login(email);
    expect((await (await as(other.email('manager'))).post(`/api/shops/${shop.id}/stock/deliveries`, body)).status).toBe(403);
    expect((await (await as(shop.email('kitchen'))).post(`/api/shops/${shop.id}/stock/deliveries`, body)).status).toBe(403);
    expect((await (await as(shop.email('driver1'))).post(`/api/shops/${shop.id}/stock/counts`, { ingredientId: t.ingredient_id, counted: 1, reason: 'count' })).status).toBe(403);
    expect((await new Client(stack.base).post(`/api/shops/${shop.id}/stock/deliveries`, body)).status).toBe(401);
    // the kitchen may read its own shop's stock, not another's
    expect((await (await as(shop.email('kitchen'))).get(`/api/shops/${shop.id}/stock`)).status).toBe(200);
    expect((await (await as(shop.email('kitchen'))).get(`/api/shops/${other.id}/stock`)).status).toBe(403);

    const admin = await as('admin@ocpizza.test');
    expect((await admin.post(`/api/shops/${shop.id}/stock/deliveries`, { ...body, supplier: `Fournisseur ${shop.slug}` })).status).toBe(201);
    const found = (await admin.get(`/api/audit?q=${encodeURIComponent(shop.slug)}`)).body;
    expect(found.total).toBe(1);
    expect(found.rows[0]).toMatchObject({ action: 'stock.delivery', entity: 'stock', pizzeriaId: shop.id, actor: 'Siège OC Pizza (admin)' });
    expect((await (await as(shop.email('manager'))).get('/api/audit')).status).toBe(403);
  });
});

describe('the low threshold', () => {
  it('crossing it raises a live alert on the kitchen and manager screens; a delivery clears it', async () => {
    const shop = await createShop(stack.pool, 'low');
    const manager = await new Client(stack.base).login(shop.email('manager'));
    const kitchen = await new Client(stack.base).login(shop.email('kitchen'));
    const truffe = seededProduct('truffe');
    const t = await truffleIngredient();
    await stack.pool.query('UPDATE stock SET on_hand = $3, low_threshold = $4 WHERE pizzeria_id = $1 AND ingredient_id = $2', [shop.id, t.ingredient_id, 5 * t.quantity, 3 * t.quantity]);
    const screen = async (client: Client, scope: 'kitchen' | 'shop') => {
      const s = await connectSocket(stack.base, { cookie: client.cookie });
      stack.sockets.push(s);
      const got = listen<LowStockAlert>(s, 'stock:low');
      expect(await subscribe(s, { scope })).toMatchObject({ data: {} });
      return got;
    };
    const kitchenScreen = await screen(kitchen, 'kitchen');
    const managerScreen = await screen(manager, 'shop');

    // two Truffe ordered: three portions' worth left, at the threshold
    await placeThroughApi(stack.base, { pizzeriaId: shop.id, productId: truffe, quantity: 2 });
    const isLow = (e: LowStockAlert) => e.pizzeriaId === shop.id && e.low.some((l) => l.ingredientId === t.ingredient_id && l.free === 3 * t.quantity);
    await kitchenScreen.next(isLow);
    await managerScreen.next(isLow);

    // a delivery: no longer low, and the screens are told
    await manager.post(`/api/shops/${shop.id}/stock/deliveries`, { ingredientId: t.ingredient_id, quantity: 10 * t.quantity });
    const cleared = (e: LowStockAlert) => e.pizzeriaId === shop.id && !e.low.some((l) => l.ingredientId === t.ingredient_id);
    await kitchenScreen.next(cleared);
    await managerScreen.next(cleared);
    // raising the threshold above what is free raises it again at once
    expect((await manager.post(`/api/shops/${shop.id}/stock/thresholds`, { ingredientId: t.ingredient_id, lowThreshold: 20 * t.quantity })).status).toBe(200);
    await kitchenScreen.next((e) => kitchenScreen.got.indexOf(e) > 1 && e.low.some((l) => l.ingredientId === t.ingredient_id));
    // the stock page's figures
    const lines = (await manager.get(`/api/shops/${shop.id}/stock`)).body as { ingredientId: number; free: number; low: boolean }[];
    expect(lines.find((l) => l.ingredientId === t.ingredient_id)).toMatchObject({ free: 13 * t.quantity, low: true });
  });
});

describe('the menu tonight', () => {
  it('a product taken off for the evening leaves open menus at once and orders refuse it; put back, it sells; allergens follow the recipe', async () => {
    const shop = await createShop(stack.pool, 'tonight');
    const manager = await new Client(stack.base).login(shop.email('manager'));
    const calzone = seededProduct('calzone');
    const menuOf = async () => (await new Client(stack.base).get(`/api/pizzerias/${shop.id}/menu`)).body as { id: number; slug: string; available: boolean; offTonight: boolean; allergens: string[] }[];
    // what the recipes say: dough (gluten), mozzarella (milk); anchovies (fish) on the Napolitaine
    const before = await menuOf();
    expect(before.find((p) => p.slug === 'margherita')!.allergens).toEqual(['gluten', 'milk']);
    expect(before.find((p) => p.slug === 'napolitaine')!.allergens).toEqual(['fish', 'gluten', 'milk']);
    expect(before.find((p) => p.slug === 'coca-cola')!.allergens).toEqual([]);

    const visitor = await connectSocket(stack.base);
    stack.sockets.push(visitor);
    const menu = listen<MenuAvailability>(visitor, 'menu:availability');
    expect(await subscribe(visitor, { scope: 'menu', pizzeriaId: shop.id })).toMatchObject({ data: {} });

    expect((await manager.post(`/api/shops/${shop.id}/tonight`, { productId: calzone, available: false })).body).toEqual({ productId: calzone, offTonight: true });
    await menu.next((e) => e.products.some((p) => p.id === calzone && !p.available));
    expect((await menuOf()).find((p) => p.id === calzone)).toMatchObject({ available: false, offTonight: true });
    const refused = await new Client(stack.base).post('/api/orders', {
      pizzeriaId: shop.id, fulfilment: 'pickup', customer: { name: 'Ana', phone: '06 12 34 56 78' }, items: [{ productId: calzone, quantity: 1 }], payment: 'on_delivery',
    });
    expect(refused.status).toBe(409);
    expect(refused.body.error).toMatchObject({ code: 'unavailable', items: [{ productId: calzone }] });
    // another shop's menu is untouched; another shop's manager cannot touch this one
    const other = await createShop(stack.pool, 'tonight-other');
    expect((await new Client(stack.base).get(`/api/pizzerias/${other.id}/menu`)).body.find((p: { id: number }) => p.id === calzone).available).toBe(true);
    expect((await (await new Client(stack.base).login(other.email('manager'))).post(`/api/shops/${shop.id}/tonight`, { productId: calzone, available: true })).status).toBe(403);

    await manager.post(`/api/shops/${shop.id}/tonight`, { productId: calzone, available: true });
    await menu.next((e) => e.products.some((p) => p.id === calzone && p.available));
    await placeThroughApi(stack.base, { pizzeriaId: shop.id, productId: calzone, fulfilment: 'pickup' });
    const { rows } = await stack.pool.query(`SELECT action FROM audit_log WHERE entity = 'product' AND pizzeria_id = $1 ORDER BY id`, [shop.id]);
    expect(rows.map((r) => r.action)).toEqual(['menu.off_tonight', 'menu.back_tonight']);
  });
});
