// Races: requests that arrive at the same time, against the real database. Whatever the timing,
// exactly one of two conflicting moves wins, stock stays consistent, and nothing is done twice.
import { afterAll, describe, expect, it } from 'vitest';
import { seededProduct, Client, SHOPS, addressFor, connectSocket, createShop, customer, storedEvents, subscribe, userId, assignDriver } from '../helpers.ts';
import { useStack } from '../services.ts';
import type { MenuAvailability } from '../../src/lib/shapes/views.ts';
import { advanceOrder, flagLate, foldConsumedStock, getOrder } from '../../src/lib/server/orders/index.ts';
import { handlePaymentEvent } from '../../src/lib/server/money/ledger.ts';
import { noticeFromStripe } from '../../src/lib/server/money/stripe.ts';

const stack = useStack();
const margherita = seededProduct('margherita');
const truffe = seededProduct('truffe');

afterAll(async () => {
  await stack.pool.query(`UPDATE users SET on_shift = false WHERE email LIKE 'driver%.canal@ocpizza.test'`);
});

function order(shop: number, items: { productId: number; quantity: number }[], overrides: Record<string, unknown> = {}) {
  return { pizzeriaId: shop, fulfilment: 'delivery', customer, address: addressFor(shop), items, payment: 'on_delivery', ...overrides };
}

async function place(shop: number, items = [{ productId: margherita, quantity: 1 }], overrides: Record<string, unknown> = {}) {
  const r = await new Client(stack.base).post('/api/orders', order(shop, items, overrides));
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body as { id: string; trackingToken: string; status: string };
}

/** The shop's stock for a product's ingredients as a person counts it (stock_levels), with what one portion needs. */
async function stockFor(shop: number, product: number) {
  const { rows } = await stack.pool.query(
    `SELECT s.ingredient_id, s.on_hand, s.reserved, r.quantity AS need
     FROM recipe_ingredients r JOIN stock_levels s ON s.ingredient_id = r.ingredient_id AND s.pizzeria_id = $1
     WHERE r.product_id = $2 ORDER BY s.ingredient_id`,
    [shop, product],
  );
  return rows as { ingredient_id: number; on_hand: number; reserved: number; need: number }[];
}

/** What the order still holds back from the shop's stock (not yet used by the kitchen). */
const reservationsOf = async (orderId: string) =>
  Number((await stack.pool.query(
    `SELECT count(*) AS n FROM stock_reservations s JOIN orders o ON o.id = s.order_id WHERE s.order_id = $1 AND o.preparing_at IS NULL`,
    [orderId],
  )).rows[0].n);

describe('cancel against start', () => {
  it('when the customer cancels just as the kitchen starts the order, exactly one wins and the stock follows the winner', async () => {
    const kitchen = await new Client(stack.base).login('kitchen.canal@ocpizza.test');
    for (let round = 0; round < 10; round++) {
      const before = await stockFor(SHOPS.canal, margherita);
      const placed = await place(SHOPS.canal);
      const cancel = () => new Client(stack.base).post(`/api/track/${placed.trackingToken}/cancel`);
      const start = () => kitchen.post(`/api/orders/${placed.id}/status`, { to: 'preparing' });
      // fire both at once, alternating which leaves first
      const [c, s] = round % 2 ? await Promise.all([cancel(), start()]) : (await Promise.all([start(), cancel()])).reverse();

      expect([c.status, s.status].sort(), JSON.stringify([c.body, s.body])).toEqual([200, 409]);
      const winner = c.status === 200 ? 'cancelled' : 'preparing';
      if (winner === 'cancelled') expect(s.body.error.code).toBe('not_allowed');
      else expect(c.body.error.code).toBe('too_late');

      const track = await new Client(stack.base).get(`/api/track/${placed.trackingToken}`);
      expect(track.body).toMatchObject({ status: winner, version: 2 });
      expect((await storedEvents(stack.pool, placed.id)).map((e) => [e.type, e.status])).toEqual([
        ['order.placed', 'received'],
        ['order.status', winner],
      ]);
      expect(await reservationsOf(placed.id)).toBe(0);
      const after = await stockFor(SHOPS.canal, margherita);
      expect(after).toEqual(
        before.map((b) => ({
          ...b,
          reserved: b.reserved, // released either way: given back, or turned into consumption
          on_hand: winner === 'preparing' ? b.on_hand - b.need : b.on_hand,
        })),
      );
    }
  });
});

describe('the last portions', () => {
  const TRUFFE_PORTIONS = 4; // 120 g of truffle cream, 30 g per pizza

  it('when twelve customers race for the last four Truffe pizzas, exactly four get one and the others are told Truffe is gone', async () => {
    const shop = SHOPS.batignolles;
    // a fresh shelf: exactly 120 g of truffle cream free, whatever earlier tests did
    const { rows: ing } = await stack.pool.query(`SELECT id FROM ingredients WHERE slug = 'creme-truffe'`);
    const truffleCream = ing[0].id;
    await stack.pool.query('UPDATE stock SET on_hand = reserved + 120 WHERE pizzeria_id = $1 AND ingredient_id = $2', [shop, truffleCream]);
    const [{ on_hand: onHandBefore, reserved: reservedBefore }] = (
      await stack.pool.query('SELECT on_hand, reserved FROM stock WHERE pizzeria_id = $1 AND ingredient_id = $2', [shop, truffleCream])
    ).rows;
    const menuBefore = (await new Client(stack.base).get(`/api/pizzerias/${shop}/menu`)).body;
    expect(menuBefore.find((p: any) => p.id === truffe)).toMatchObject({ available: true, portions: TRUFFE_PORTIONS });

    // the storefront of the shop watches availability live
    const storefront = await connectSocket(stack.base);
    const menus: MenuAvailability[] = [];
    storefront.on('menu:availability', (m) => menus.push(m));
    await subscribe(storefront, { scope: 'menu', pizzeriaId: shop });

    // someone watches the shelf all along
    let watching = true;
    const samples: { on_hand: number; reserved: number }[] = [];
    const watcher = (async () => {
      while (watching) {
        const { rows } = await stack.pool.query('SELECT on_hand, reserved FROM stock WHERE pizzeria_id = $1 AND ingredient_id = $2', [shop, truffleCream]);
        samples.push(rows[0]);
      }
    })();

    const results = await Promise.all(
      Array.from({ length: 12 }, () => new Client(stack.base).post('/api/orders', order(shop, [{ productId: truffe, quantity: 1 }]))),
    );
    watching = false;
    await watcher;

    const won = results.filter((r) => r.status === 201);
    const lost = results.filter((r) => r.status !== 201);
    expect(won).toHaveLength(TRUFFE_PORTIONS);
    expect(lost).toHaveLength(12 - TRUFFE_PORTIONS);
    for (const r of lost) {
      expect(r.status).toBe(409);
      expect(r.body.error).toMatchObject({ code: 'unavailable', items: [{ productId: truffe, name: 'Truffe' }] });
    }
    expect(samples.length).toBeGreaterThan(0);
    for (const s of samples) expect(s.reserved).toBeLessThanOrEqual(s.on_hand);
    const { rows: after } = await stack.pool.query('SELECT on_hand, reserved FROM stock WHERE pizzeria_id = $1 AND ingredient_id = $2', [shop, truffleCream]);
    expect(after[0]).toEqual({ on_hand: onHandBefore, reserved: reservedBefore + 120 });
    for (const r of won) expect(await storedEvents(stack.pool, r.body.id)).toHaveLength(1);

    const menu = (await new Client(stack.base).get(`/api/pizzerias/${shop}/menu`)).body;
    expect(menu.find((p: any) => p.id === truffe)).toMatchObject({ available: false, portions: 0 });
    expect(menu.find((p: any) => p.id === margherita)).toMatchObject({ available: true });
    // and the storefront was told live
    await expect
      .poll(() => menus.at(-1)?.products.find((p) => p.id === truffe), { timeout: 10_000 })
      .toEqual({ id: truffe, available: false, portions: 0, unavailableOptions: [] });
    storefront.disconnect();

    // one of them changes their mind: a Truffe is back on the menu for the next customer
    expect((await new Client(stack.base).post(`/api/track/${won[0].body.trackingToken}/cancel`)).status).toBe(200);
    expect((await new Client(stack.base).get(`/api/pizzerias/${shop}/menu`)).body.find((p: any) => p.id === truffe)).toMatchObject({ available: true, portions: 1 });
    const next = await new Client(stack.base).post('/api/orders', order(shop, [{ productId: truffe, quantity: 1 }]));
    expect(next.status).toBe(201);
    // leave the shelf as found
    for (const token of [...won.slice(1).map((r) => r.body.trackingToken), next.body.trackingToken]) {
      expect((await new Client(stack.base).post(`/api/track/${token}/cancel`)).status).toBe(200);
    }
    const { rows: end } = await stack.pool.query('SELECT on_hand, reserved FROM stock WHERE pizzeria_id = $1 AND ingredient_id = $2', [shop, truffleCream]);
    expect(end[0]).toEqual({ on_hand: onHandBefore, reserved: reservedBefore });
  });
});

describe('what the kitchens use', () => {
  it('orders started in the kitchen are folded into the stock rows later, many at once, and the count a person sees never moves', async () => {
    // a shop of its own: nothing else in the suite moves its stock meanwhile
    const shop = await createShop(stack.pool, 'fold');
    const kitchen = await new Client(stack.base).login(shop.email('kitchen'));
    const raw = async () =>
      (await stack.pool.query(
        `SELECT s.ingredient_id, s.on_hand, s.reserved FROM recipe_ingredients r
         JOIN stock s ON s.ingredient_id = r.ingredient_id AND s.pizzeria_id = $1 WHERE r.product_id = $2 ORDER BY 1`,
        [shop.id, margherita],
      )).rows;
    await foldConsumedStock(stack.pool); // start from nothing pending
    const levels = await stockFor(shop.id, margherita);
    const rows = await raw();
    const placed = [await place(shop.id), await place(shop.id), await place(shop.id)];
    for (const p of placed) expect((await kitchen.post(`/api/orders/${p.id}/status`, { to: 'preparing' })).status).toBe(200);
    const used = levels.map((b) => ({ ...b, on_hand: b.on_hand - 3 * b.need }));
    // the kitchen starting them wrote nothing to the shop's stock rows (what placing reserved is still there)
    expect(await stockFor(shop.id, margherita)).toEqual(used);
    expect(await raw()).toEqual(rows.map((r, i) => ({ ...r, reserved: r.reserved + 3 * levels[i].need })));
    // the fold (one order a transaction here, as a rush's folds are small ones): stock rows go down
    // by what was used, the count stays, and the reservations are gone
    expect(await foldConsumedStock(stack.pool, { batch: 1 })).toBeGreaterThanOrEqual(3 * levels.length);
    expect(await raw()).toEqual(rows.map((r, i) => ({ ...r, on_hand: r.on_hand - 3 * levels[i].need })));
    expect(await stockFor(shop.id, margherita)).toEqual(used);
    const left = await stack.pool.query('SELECT count(*)::int AS n FROM stock_reservations WHERE order_id = ANY($1)', [placed.map((p) => p.id)]);
    expect(left.rows[0].n).toBe(0);
  });
});

describe('doing the same thing twice', () => {
  it('when a customer taps cancel twice at once, the order is cancelled once: one event, the stock given back once', async () => {
    const before = await stockFor(SHOPS.canal, margherita);
    const placed = await place(SHOPS.canal);
    const results = await Promise.all([0, 1].map(() => new Client(stack.base).post(`/api/track/${placed.trackingToken}/cancel`)));
    expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
    expect((await storedEvents(stack.pool, placed.id)).map((e) => e.status)).toEqual(['received', 'cancelled']);
    expect(await stockFor(SHOPS.canal, margherita)).toEqual(before);
    // and once more, later: still refused, still nothing new
    expect((await new Client(stack.base).post(`/api/track/${placed.trackingToken}/cancel`)).status).toBe(409);
    expect(await storedEvents(stack.pool, placed.id)).toHaveLength(2);
  });

  it('when the kitchen bumps a ticket twice at once, it starts once and consumes the stock once', async () => {
    const kitchen = await new Client(stack.base).login('kitchen.canal@ocpizza.test');
    const before = await stockFor(SHOPS.canal, margherita);
    const placed = await place(SHOPS.canal);
    const results = await Promise.all([0, 1].map(() => kitchen.post(`/api/orders/${placed.id}/status`, { to: 'preparing', version: 1 })));
    expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
    expect(results.find((r) => r.status === 409)!.body.error.code).toBe('stale');
    expect((await storedEvents(stack.pool, placed.id)).map((e) => e.status)).toEqual(['received', 'preparing']);
    expect(await stockFor(SHOPS.canal, margherita)).toEqual(before.map((b) => ({ ...b, on_hand: b.on_hand - b.need })));
  });

  it('when the card hold is reported twice at once (the same event, and another one for it), the order reaches the kitchen once, held once', async () => {
    const placed = await place(SHOPS.canal, undefined, { payment: 'online' });
    expect(placed.status).toBe('pending_payment');
    const { totalCents } = (await new Client(stack.base).get(`/api/track/${placed.trackingToken}`)).body;
    const intent = { id: `pi_race${placed.id.replace(/-/g, '')}`, object: 'payment_intent', status: 'requires_capture', amount: totalCents, amount_capturable: totalCents, metadata: { order_id: placed.id, attempt: '1' } };
    const held = (id: string) => noticeFromStripe({ id, type: 'payment_intent.amount_capturable_updated', data: { object: intent } });
    const results = await Promise.all([handlePaymentEvent(stack.pool, held(`evt_a${placed.id}`)), handlePaymentEvent(stack.pool, held(`evt_a${placed.id}`)), handlePaymentEvent(stack.pool, held(`evt_b${placed.id}`))]);
    expect(results.map((r) => r.outcome).sort()).toEqual(['authorised', 'duplicate', 'ignored']);
    expect((await storedEvents(stack.pool, placed.id)).map((e) => e.status)).toEqual(['pending_payment', 'received']);
    const { rows } = await stack.pool.query(`SELECT kind, amount_cents FROM payment_movements WHERE order_id = $1`, [placed.id]);
    expect(rows).toEqual([{ kind: 'authorised', amount_cents: totalCents }]);
    const track = (await new Client(stack.base).get(`/api/track/${placed.trackingToken}`)).body;
    expect(track).toMatchObject({ status: 'received', version: 2, payment: { status: 'authorised' }, paidCents: totalCents, amountToCollect: 0 });
  });

  it('when two dispatchers assign the same ready delivery at once, it gets one driver and one event', async () => {
    const kitchenActor = { kind: 'staff' as const, id: await userId(stack.pool, 'kitchen.canal@ocpizza.test'), role: 'kitchen' as const, pizzeriaId: SHOPS.canal, name: 'k' };
    await stack.pool.query(`UPDATE users SET on_shift = (email = 'driver1.canal@ocpizza.test') WHERE email LIKE 'driver%.canal@ocpizza.test'`);
    const placed = await place(SHOPS.canal);
    await advanceOrder(stack.pool, kitchenActor, placed.id, 'preparing');
    await advanceOrder(stack.pool, kitchenActor, placed.id, 'ready');
    const results = await Promise.all([assignDriver(stack.pool, placed.id), assignDriver(stack.pool, placed.id)]);
    expect(results.filter((r) => r.assigned)).toHaveLength(1);
    expect(results.find((r) => !r.assigned)).toEqual({ assigned: false, reason: 'not_needed' });
    expect((await storedEvents(stack.pool, placed.id)).map((e) => e.type)).toEqual(['order.placed', 'order.status', 'order.status', 'order.assigned']);
    await stack.pool.query(`UPDATE users SET on_shift = false WHERE email LIKE 'driver%.canal@ocpizza.test'`);
  });

  it('when the preparation timer fires twice, the order is flagged late once', async () => {
    const kitchenActor = { kind: 'staff' as const, id: await userId(stack.pool, 'kitchen.canal@ocpizza.test'), role: 'kitchen' as const, pizzeriaId: SHOPS.canal, name: 'k' };
    const placed = await place(SHOPS.canal);
    expect(await flagLate(stack.pool, placed.id)).toBeNull(); // not in the oven yet: nothing to flag
    await advanceOrder(stack.pool, kitchenActor, placed.id, 'preparing');
    const results = await Promise.all([flagLate(stack.pool, placed.id), flagLate(stack.pool, placed.id)]);
    expect(results.filter(Boolean)).toHaveLength(1);
    expect((await storedEvents(stack.pool, placed.id)).map((e) => e.type)).toEqual(['order.placed', 'order.status', 'order.late']);
  });
});

describe('a move checked against the view the hub last relayed', () => {
  it('is made when that view is the order, and a stale view never decides the answer', async () => {
    const kitchenActor = { kind: 'staff' as const, id: await userId(stack.pool, 'kitchen.canal@ocpizza.test'), role: 'kitchen' as const, pizzeriaId: SHOPS.canal, name: 'k' };
    const placed = await place(SHOPS.canal);
    const atReceived = (await getOrder(stack.pool, placed.id))!;

    // the view is the order: the move is made from it
    const started = await advanceOrder(stack.pool, kitchenActor, placed.id, 'preparing', atReceived.version, { seen: atReceived });
    expect(started.order.status).toBe('preparing');
    expect(started.order.version).toBe(atReceived.version + 1);

    // a view one change behind, with no version from the screen: what it allows (received → preparing)
    // is refused, because the order is in the oven now
    await expect(advanceOrder(stack.pool, kitchenActor, placed.id, 'preparing', undefined, { seen: atReceived })).rejects.toMatchObject({ status: 409 });
    // and what it refuses (preparing → ready from "received") is made, because the order allows it
    const ready = await advanceOrder(stack.pool, kitchenActor, placed.id, 'ready', undefined, { seen: atReceived });
    expect(ready.order.status).toBe('ready');
    // a screen's version newer than the view: the view is not used, the answer is the order's
    const stale = await advanceOrder(stack.pool, kitchenActor, placed.id, 'ready', ready.order.version, { seen: atReceived }).catch((e) => e);
    expect(stale).toMatchObject({ status: 409 });
    const events = await storedEvents(stack.pool, placed.id);
    expect(events.filter((e) => e.type === 'order.status').map((e) => e.status)).toEqual(['preparing', 'ready']);
  });
});
