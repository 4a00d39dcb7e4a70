// Loyalty points, on real Postgres and Redis and the sign-in by email code: a signed-in customer's
// order paid at least 10 EUR earns 10 points when it is handed over, once however often it is
// moved; a cancelled one earns none; a small one none; a guest none. The balance is the ledger's sum.
// 60 points buy the basket's dearest pizza, spent once however many checkouts send them at the same
// moment, given back by a cancel, shown on the receipt and in the takings with the VAT at the
// pizza's rate; every refusal changes nothing. Head office states the scheme, and it applies.
import { describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { Client, countOf, createShop, move, seededProduct, waitUntil } from '../helpers.ts';
import { useMessages, useStack } from '../services.ts';

const messages = useMessages();
const stack = useStack({ env: () => messages.env() });
const margherita = seededProduct('margherita');
const coke = seededProduct('coca-cola');
const reine = seededProduct('reine'); // 12,50 € at 10 %
const peroni = seededProduct('peroni'); // 4,00 € at 20 %

let seq = 0;
const freshEmail = () => `fidele-${Date.now()}-${++seq}@example.fr`;

async function signedIn(email: string): Promise<Client> {
  const c = new Client(stack.base);
  expect((await c.post('/api/customer/code', { email })).status).toBe(202);
  const mail = (await waitUntil(() => [...messages.smtp.inbox].reverse().find((m) => JSON.stringify(m.to ?? '').includes(email)), 10_000, `an email to ${email}`))!;
  const code = /\b(\d{6})\b/.exec(mail.text ?? '')![1];
  const r = await c.post('/api/customer/session', { email, code });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return c;
}

describe('loyalty points', () => {
  it('a signed-in customer earns 10 points when an order of 10 EUR or more is handed over, none for a cancelled or a small one, and a guest none', async () => {
    const shop = await createShop(stack.pool, 'loyalty');
    const email = freshEmail();
    const me = await signedIn(email);
    const kitchen = await new Client(stack.base).login(shop.email('kitchen'));
    const counter = await new Client(stack.base).login(shop.email('counter'));
    const order = (c: Client, items: unknown[], who = { name: 'Fidèle', phone: '0612345678', email }) =>
      c.post('/api/orders', { pizzeriaId: shop.id, fulfilment: 'pickup', customer: who, items, payment: 'on_delivery' });
    const handOver = async (id: string) => {
      await move(kitchen, id, 'preparing');
      await move(kitchen, id, 'ready');
      await move(counter, id, 'collected');
    };

    expect((await me.get('/api/customer/loyalty')).body).toMatchObject({ balance: 0, history: [] });
    expect((await new Client(stack.base).get('/api/customer/loyalty')).status).toBe(401);

    // 21,00 €: 10 points once collected, not before
    const paid = await order(me, [{ productId: margherita, quantity: 2 }]);
    expect(paid.status, JSON.stringify(paid.body)).toBe(201);
    expect((await me.get('/api/customer/loyalty')).body.balance).toBe(0);
    await handOver(paid.body.id);
    const after = (await me.get('/api/customer/loyalty')).body;
    expect(after.balance).toBe(10);
    expect(after.history).toEqual([expect.objectContaining({ points: 10, reason: 'earned', orderId: paid.body.id, number: paid.body.number })]);

    // cancelled by the customer before the kitchen: nothing
    const cancelled = await order(me, [{ productId: margherita, quantity: 2 }]);
    expect((await new Client(stack.base).post(`/api/track/${cancelled.body.trackingToken}/cancel`)).status).toBe(200);
    // 3,00 €: under 10 EUR, nothing
    const small = await order(me, [{ productId: coke, quantity: 1 }]);
    await handOver(small.body.id);
    // a guest (no account cookie) with another email: nothing for anyone
    const guest = await order(new Client(stack.base), [{ productId: margherita, quantity: 2 }], { name: 'Invité', phone: '0699887766', email: freshEmail() });
    await handOver(guest.body.id);

    const end = (await me.get('/api/customer/loyalty')).body;
    expect(end.balance).toBe(10);
    expect(end.history).toHaveLength(1);
    const { rows } = await stack.pool.query('SELECT count(*)::int AS n FROM loyalty_ledger WHERE order_id = ANY($1)', [[cancelled.body.id, small.body.id, guest.body.id]]);
    expect(rows[0].n).toBe(0);
  });

  it('points earned are taken back when the order is refunded in full after', async () => {
    const shop = await createShop(stack.pool, 'loyalty-back');
    const email = freshEmail();
    const me = await signedIn(email);
    const kitchen = await new Client(stack.base).login(shop.email('kitchen'));
    const counter = await new Client(stack.base).login(shop.email('counter'));
    const placed = await me.post('/api/orders', {
      pizzeriaId: shop.id, fulfilment: 'pickup', customer: { name: 'Fidèle', phone: '0612345679', email }, items: [{ productId: margherita, quantity: 1 }], payment: 'on_delivery',
    });
    await move(kitchen, placed.body.id, 'preparing');
    await move(kitchen, placed.body.id, 'ready');
    await move(counter, placed.body.id, 'collected');
    expect((await me.get('/api/customer/loyalty')).body.balance).toBe(10);
    // the whole order refunded (as a manager's refund writes it): the points go back
    await stack.pool.query('UPDATE orders SET granted_refund_cents = total_cents, version = version + 1 WHERE id = $1', [placed.body.id]);
    const back = (await me.get('/api/customer/loyalty')).body;
    expect(back.balance).toBe(0);
    expect(back.history.map((h: { reason: string; points: number }) => [h.reason, h.points])).toEqual([['taken_back', -10], ['earned', 10]]);
  });
});

/** The customer's account id, found by the email they signed in with. */
const accountOf = async (email: string) => (await stack.pool.query<{ id: string }>('SELECT id FROM customers WHERE email = $1', [email])).rows[0].id;
/** Points given to an account as earlier orders would have (the earning is tested above). */
const givePoints = async (email: string, points: number) =>
  stack.pool.query(`INSERT INTO loyalty_ledger (customer_id, points, reason) VALUES ($1, $2, 'earned')`, [await accountOf(email), points]);
const day = async () => (await stack.pool.query<{ d: string }>(`SELECT (now() AT TIME ZONE 'Europe/Paris')::date::text AS d`)).rows[0].d;

describe('spending loyalty points', () => {
  it('60 points buy the dearest pizza once when five checkouts send them at the same moment; a cancel gives them back; the receipt and takings show it', async () => {
    const shop = await createShop(stack.pool, 'loyalty-spend');
    const email = freshEmail();
    const me = await signedIn(email);
    await givePoints(email, 70);
    const basket = [{ productId: margherita, quantity: 1 }, { productId: reine, quantity: 1 }, { productId: peroni, quantity: 1 }]; // 27,00 €
    // each checkout from another device (its own address, behind the site's proxy) with other contact
    // details (a phone and an email of the family): only the account ties them together
    const order = async (i = 0) => {
      const res = await fetch(`${stack.base}/api/orders`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', cookie: me.cookie, 'x-forwarded-for': `198.51.100.${10 + i}` },
        body: JSON.stringify({
          pizzeriaId: shop.id, fulfilment: 'pickup', customer: { name: 'Fidèle', phone: `06123456${i}${i}`, email: i ? `autre${i}-${email}` : email },
          items: basket, payment: 'on_delivery', useLoyalty: true,
        }),
      });
      return { status: res.status, body: await res.json() };
    };

    const answers = await Promise.all(Array.from({ length: 5 }, (_, i) => order(i + 1)));
    const placed = answers.filter((a) => a.status === 201);
    expect(placed, JSON.stringify(answers.map((a) => a.body))).toHaveLength(1);
    expect(answers.filter((a) => a.status === 409).map((a) => a.body.error.code)).toEqual(Array(4).fill('loyalty_not_enough_points'));
    expect(await countOf(stack.pool, 'SELECT count(*) AS n FROM orders WHERE pizzeria_id = $1', [shop.id])).toBe(1);
    // the Reine (12,50 €, the dearest) is free: 27,00 € less 12,50 €
    const first = placed[0].body;
    expect(first.total).toBe(1450);
    const account = (await me.get('/api/customer/loyalty')).body;
    expect(account.balance).toBe(10);
    expect(account.history[0]).toMatchObject({ points: -60, reason: 'spent', orderId: first.id });

    // the customer cancels: the points come back, once
    expect((await new Client(stack.base).post(`/api/track/${first.trackingToken}/cancel`)).status).toBe(200);
    const back = (await me.get('/api/customer/loyalty')).body;
    expect(back.balance).toBe(70);
    expect(back.history[0]).toMatchObject({ points: 60, reason: 'returned', orderId: first.id });

    // spent again, and the order is handed over: the receipt and the takings take the VAT out of what was paid
    const again = await order();
    expect(again.status, JSON.stringify(again.body)).toBe(201);
    expect((await me.get('/api/customer/loyalty')).body.balance).toBe(10);
    // an order placed with points cannot be changed (they were judged on its basket)
    const change = await new Client(stack.base).patch(`/api/track/${again.body.trackingToken}`, { items: [{ productId: reine, quantity: 1 }] });
    expect(change.status).toBe(409);
    expect(change.body.error.code).toBe('promo_order_fixed');
    const kitchen = await new Client(stack.base).login(shop.email('kitchen'));
    const counter = await new Client(stack.base).login(shop.email('counter'));
    await move(kitchen, again.body.id, 'preparing');
    await move(kitchen, again.body.id, 'ready');
    await move(counter, again.body.id, 'collected');
    // 14,50 € paid: it earns its own 10 points
    expect((await me.get('/api/customer/loyalty')).body.balance).toBe(20);

    const receipt = (await new Client(stack.base).get(`/api/track/${again.body.trackingToken}/receipt`)).body;
    expect(receipt.loyalty).toEqual({ points: 60, discountCents: 1250 });
    expect(receipt.promo).toBeNull();
    expect(receipt.totalCents).toBe(1450);
    // the pizza given is at its own rate: 23,00 € at 10 % less 12,50 €, and the beer's 4,00 € at 20 % untouched
    expect(receipt.vat).toEqual([
      { rate: 10, grossCents: 1050, vatCents: 95, netCents: 955 },
      { rate: 20, grossCents: 400, vatCents: 67, netCents: 333 },
    ]);
    const manager = await new Client(stack.base).login(shop.email('manager'));
    const takings = (await manager.get(`/api/shops/${shop.id}/takings?date=${await day()}`)).body.shops[0];
    expect(takings.salesCents).toBe(1450);
    expect(takings.discounts).toEqual({ count: 1, cents: 1250, grossSalesCents: 2700 });
    expect(takings.vat).toEqual(receipt.vat);
  });

  it('a refund of the drink beside a free pizza gives no points back, even when it is everything paid; a refund of the pizza does, once', async () => {
    const shop = await createShop(stack.pool, 'loyalty-refund');
    const email = freshEmail();
    const me = await signedIn(email);
    await givePoints(email, 60);
    const placed = await me.post('/api/orders', {
      pizzeriaId: shop.id, fulfilment: 'pickup', customer: { name: 'Fidèle', phone: '0612345674', email },
      items: [{ productId: margherita, quantity: 1 }, { productId: coke, quantity: 1 }], payment: 'on_delivery', useLoyalty: true,
    });
    expect(placed.status, JSON.stringify(placed.body)).toBe(201);
    expect(placed.body.total).toBe(300);
    const kitchen = await new Client(stack.base).login(shop.email('kitchen'));
    await move(kitchen, placed.body.id, 'preparing');
    await move(kitchen, placed.body.id, 'ready');
    await move(await new Client(stack.base).login(shop.email('counter')), placed.body.id, 'collected');
    expect((await me.get('/api/customer/loyalty')).body.balance).toBe(0);

    const manager = await new Client(stack.base).login(shop.email('manager'));
    const refund = async (body: unknown) => {
      const res = await fetch(`${stack.base}/api/orders/${placed.body.id}/refunds`, {
        method: 'POST', headers: { 'content-type': 'application/json', cookie: manager.cookie!, 'idempotency-key': randomUUID() }, body: JSON.stringify(body),
      });
      return { status: res.status, body: await res.json() };
    };
    const lines = (await manager.get(`/api/orders/${placed.body.id}/refunds`)).body.lines;
    const pizza = lines.find((l: { name: string }) => l.name === 'Margherita');
    const drink = lines.find((l: { name: string }) => l.name.startsWith('Coca'));

    // the drink was missing: its 3,00 €, all that was paid, back in cash; the pizza was kept, so are the points spent
    const drinkBack = await refund({ lines: [{ itemId: drink.itemId, quantity: 1 }], reason: 'missing_item' });
    expect(drinkBack.status, JSON.stringify(drinkBack.body)).toBe(201);
    expect(drinkBack.body.refund).toMatchObject({ amountCents: 300, status: 'done' });
    expect((await me.get('/api/customer/loyalty')).body.balance).toBe(0);
    // the manager's page names the pizza the points paid for, and what each line was paid
    const seen = (await manager.get(`/api/orders/${placed.body.id}/refunds`)).body.lines;
    expect(seen.find((l: { itemId: number }) => l.itemId === pizza.itemId)).toMatchObject({ freeWithPoints: true, paidCents: 0, left: 1 });
    expect(seen.find((l: { itemId: number }) => l.itemId === drink.itemId)).toMatchObject({ freeWithPoints: false, paidCents: 300, left: 0 });

    // the pizza was missing too: nothing more to pay back, the 60 points come back, once
    const pizzaBack = await refund({ lines: [{ itemId: pizza.itemId, quantity: 1 }], reason: 'missing_item' });
    expect(pizzaBack.status, JSON.stringify(pizzaBack.body)).toBe(201);
    expect(pizzaBack.body.refund).toMatchObject({ amountCents: 0, status: 'done', vat: [] });
    const account = (await me.get('/api/customer/loyalty')).body;
    expect(account.balance).toBe(60);
    expect(account.history[0]).toMatchObject({ points: 60, reason: 'returned', orderId: placed.body.id });
    const twice = await refund({ lines: [{ itemId: pizza.itemId, quantity: 1 }], reason: 'missing_item' });
    expect(twice.status).toBe(409);
    expect(twice.body.error.code).toBe('line_already_refunded');
    expect((await me.get('/api/customer/loyalty')).body.balance).toBe(60);
    // the receipt lists the money given back, not the pizza's row of nothing
    const receipt = (await new Client(stack.base).get(`/api/track/${placed.body.trackingToken}/receipt`)).body;
    expect(receipt.refunds).toEqual([expect.objectContaining({ amountCents: 300, reason: 'missing_item' })]);
  });

  it('refuses points with a reason and changes nothing: a guest, a staff order, too few points, no pizza, with a promo code', async () => {
    const shop = await createShop(stack.pool, 'loyalty-refusals');
    const email = freshEmail();
    const me = await signedIn(email);
    const who = { name: 'Fidèle', phone: '0612345671', email };
    const body = (extra: Record<string, unknown> = {}) => ({
      pizzeriaId: shop.id, fulfilment: 'pickup', customer: who, items: [{ productId: margherita, quantity: 1 }], payment: 'on_delivery', useLoyalty: true, ...extra,
    });
    const refused = async (c: Client, b: Record<string, unknown>, status: number, code: string) => {
      const r = await c.post('/api/orders', b);
      expect(r.status, JSON.stringify(r.body)).toBe(status);
      expect(r.body.error.code).toBe(code);
    };

    await refused(new Client(stack.base), body(), 401, 'loyalty_needs_sign_in');
    const counter = await new Client(stack.base).login(shop.email('counter'));
    await refused(counter, body({ channel: 'phone' }), 401, 'loyalty_needs_sign_in');
    await refused(me, body(), 409, 'loyalty_not_enough_points');
    await givePoints(email, 60);
    await refused(me, body({ items: [{ productId: coke, quantity: 2 }] }), 422, 'loyalty_no_pizza');
    const admin = await new Client(stack.base).login('admin@ocpizza.test');
    const promo = await admin.post('/api/promos', { code: `FID${Date.now().toString(36)}`.toUpperCase(), kind: 'percent', value: 10 });
    expect(promo.status).toBe(201);
    await refused(me, body({ promoCode: promo.body.promo.code }), 422, 'loyalty_with_promo');
    await refused(me, { ...body(), useLoyalty: 'yes' }, 422, 'invalid');

    expect(await countOf(stack.pool, 'SELECT count(*) AS n FROM orders WHERE pizzeria_id = $1', [shop.id])).toBe(0);
    expect((await me.get('/api/customer/loyalty')).body.balance).toBe(60);
  });

  it('a free pizza that leaves nothing to pay goes to the kitchen at once, with no payment page, even when asked to be paid online', async () => {
    const shop = await createShop(stack.pool, 'loyalty-free');
    const email = freshEmail();
    const me = await signedIn(email);
    await givePoints(email, 60);
    const placed = await me.post('/api/orders', {
      pizzeriaId: shop.id, fulfilment: 'pickup', customer: { name: 'Fidèle', phone: '0612345673', email }, items: [{ productId: margherita, quantity: 1 }], payment: 'online', useLoyalty: true,
    });
    expect(placed.status, JSON.stringify(placed.body)).toBe(201);
    expect(placed.body).toMatchObject({ status: 'received', total: 0 });
    const { rows } = await stack.pool.query('SELECT payment_method, payment_status, amount_due_cents FROM orders WHERE id = $1', [placed.body.id]);
    expect(rows[0]).toEqual({ payment_method: 'on_delivery', payment_status: 'due', amount_due_cents: 0 });
    const kitchen = await new Client(stack.base).login(shop.email('kitchen'));
    const counter = await new Client(stack.base).login(shop.email('counter'));
    await move(kitchen, placed.body.id, 'preparing');
    await move(kitchen, placed.body.id, 'ready');
    await move(counter, placed.body.id, 'collected');
    expect((await stack.pool.query('SELECT payment_status, paid_cents FROM orders WHERE id = $1', [placed.body.id])).rows[0]).toEqual({ payment_status: 'paid', paid_cents: 0 });
    // nothing paid, nothing earned (under 10 EUR); the points stay spent
    expect((await me.get('/api/customer/loyalty')).body.balance).toBe(0);
  });

  it('head office states the scheme (audited), a manager cannot, and orders earn and spend by it', async () => {
    const shop = await createShop(stack.pool, 'loyalty-scheme');
    const admin = await new Client(stack.base).login('admin@ocpizza.test');
    const manager = await new Client(stack.base).login(shop.email('manager'));
    const before = (await new Client(stack.base).get('/api/loyalty/scheme')).body.scheme;
    expect(before).toEqual({ active: true, pointsPerOrder: 10, fromCents: 1000, rewardPoints: 60, rewardMaxCents: 1500 });
    const next = { active: true, pointsPerOrder: 25, fromCents: 500, rewardPoints: 50, rewardMaxCents: 1100 };
    try {
      expect((await manager.put('/api/loyalty/scheme', next)).status).toBe(403);
      const bad = await admin.put('/api/loyalty/scheme', { ...next, rewardPoints: 0 });
      expect(bad.status).toBe(422);
      expect((await new Client(stack.base).get('/api/loyalty/scheme')).body.scheme).toEqual(before);
      const set = await admin.put('/api/loyalty/scheme', next);
      expect(set.status, JSON.stringify(set.body)).toBe(200);
      expect(set.body.scheme).toEqual(next);
      expect(await countOf(stack.pool, `SELECT count(*) AS n FROM audit_log WHERE action = 'loyalty.scheme' AND after->>'pointsPerOrder' = '25'`)).toBeGreaterThanOrEqual(1);

      // a 10,50 € order earns 25 points by the new scheme, then 50 points buy a Reine, capped at 11,00 €
      const email = freshEmail();
      const me = await signedIn(email);
      const kitchen = await new Client(stack.base).login(shop.email('kitchen'));
      const counter = await new Client(stack.base).login(shop.email('counter'));
      const place = (items: unknown[], extra: Record<string, unknown> = {}) => me.post('/api/orders', {
        pizzeriaId: shop.id, fulfilment: 'pickup', customer: { name: 'Fidèle', phone: '0612345672', email }, items, payment: 'on_delivery', ...extra,
      });
      const first = await place([{ productId: margherita, quantity: 1 }]);
      await move(kitchen, first.body.id, 'preparing');
      await move(kitchen, first.body.id, 'ready');
      await move(counter, first.body.id, 'collected');
      expect((await me.get('/api/customer/loyalty')).body).toMatchObject({ balance: 25, scheme: next });
      await givePoints(email, 25);
      const spent = await place([{ productId: reine, quantity: 1 }], { useLoyalty: true });
      expect(spent.status, JSON.stringify(spent.body)).toBe(201);
      expect(spent.body.total).toBe(1250 - 1100);
      expect((await me.get('/api/customer/loyalty')).body.balance).toBe(0);

      // turned off: no spending, and the points stay
      await givePoints(email, 50);
      expect((await admin.put('/api/loyalty/scheme', { ...next, active: false })).status).toBe(200);
      const off = await place([{ productId: reine, quantity: 1 }], { useLoyalty: true });
      expect(off.status).toBe(409);
      expect(off.body.error.code).toBe('loyalty_scheme_off');
      expect((await me.get('/api/customer/loyalty')).body.balance).toBe(50);
    } finally {
      expect((await admin.put('/api/loyalty/scheme', before)).status).toBe(200);
    }
  });
});
