// Promo codes, on real Postgres and Redis: head office makes them (and only head office), a code is
// refused at checkout for each of its rules with its own reason and nothing is placed, an accepted
// one prices the order (the items less the discount, the delivery fee not discounted) with the VAT
// taken out of what was paid, rate by rate, on the receipt and in the day's takings; a code of one
// use is used once however many checkouts send it at the same moment, and a cancelled order gives
// its use back. A shop of each test's own.
import { describe, expect, it } from 'vitest';
import { Client, countOf, createShop, move, seededProduct, waitUntil } from '../helpers.ts';
import { useMessages, useStack } from '../services.ts';

const messages = useMessages();
const stack = useStack({ env: () => ({ LOG_LEVEL: process.env.TEST_LOG ?? 'silent', ...messages.env() }) });
const margherita = seededProduct('margherita'); // 10,50 € at 10 %
const peroni = seededProduct('peroni'); // 4,00 € at 20 %
const tiramisu = seededProduct('tiramisu'); // 5,50 € at 10 %

let seq = 0;
const freshPhone = () => `06${String((Date.now() * 10 + ++seq) % 100_000_000).padStart(8, '0')}`;
const uniqueCode = (tag: string) => `${tag}${Date.now().toString(36)}${++seq}`.toUpperCase().slice(0, 30);

const headOffice = () => new Client(stack.base).login('admin@ocpizza.test');

async function makeCode(body: Record<string, unknown>): Promise<{ id: number; code: string }> {
  const r = await (await headOffice()).post('/api/promos', { code: uniqueCode('T'), ...body });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body.promo;
}

const basket = [{ productId: margherita, quantity: 2 }, { productId: peroni, quantity: 1 }]; // 25,00 €
const pickup = (pizzeriaId: number, extra: Record<string, unknown> = {}) => ({
  pizzeriaId, fulfilment: 'pickup', customer: { name: 'Léa Promo', phone: freshPhone() }, items: basket, payment: 'on_delivery', ...extra,
});

const day = async () => (await stack.pool.query<{ d: string }>(`SELECT (now() AT TIME ZONE 'Europe/Paris')::date::text AS d`)).rows[0].d;

describe('promo codes made by head office', () => {
  it('only head office makes and stops them; a code is one whatever its case; the audit log keeps both', async () => {
    const shop = await createShop(stack.pool, 'promo-admin');
    const manager = await new Client(stack.base).login(shop.email('manager'));
    expect((await manager.post('/api/promos', { code: 'MANAGER10', kind: 'percent', value: 10 })).status).toBe(403);
    expect((await manager.get('/api/promos')).status).toBe(403);

    const admin = await headOffice();
    const bad = await admin.post('/api/promos', { code: 'BAD1', kind: 'percent', value: 150 });
    expect(bad.status).toBe(422);
    expect(bad.body.error.fields.value).toMatch(/1 to 100/);
    const freeWithout = await admin.post('/api/promos', { code: 'FREE1', kind: 'free_product' });
    expect(freeWithout.body.error.fields.productId).toBeTruthy();

    const code = uniqueCode('Hiver');
    expect((await admin.post('/api/promos', { code, kind: 'amount', value: 300 })).status).toBe(201);
    const again = await admin.post('/api/promos', { code: code.toLowerCase(), kind: 'percent', value: 5 });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('promo_code_taken');

    const listed = (await admin.get('/api/promos')).body.promos.find((p: { code: string }) => p.code === code);
    expect(listed).toMatchObject({ kind: 'amount', value: 300, active: true, uses: 0 });
    const stopped = await admin.post(`/api/promos/${listed.id}/active`, { active: false });
    expect(stopped.body.promo.active).toBe(false);
    const check = await new Client(stack.base).post('/api/promo/check', { pizzeriaId: shop.id, fulfilment: 'pickup', items: basket, code });
    expect(check.body).toMatchObject({ ok: false, reason: 'unknown' });
    const logged = await countOf(stack.pool, `SELECT count(*) AS n FROM audit_log WHERE entity = 'promo_code' AND entity_id = $1`, [String(listed.id)]);
    expect(logged).toBe(2);
  });
});

describe('a promo code at checkout', () => {
  it('is refused for each of its rules with its reason, when checked and when placing (422, nothing placed)', async () => {
    const shop = await createShop(stack.pool, 'promo-refusals');
    const other = await createShop(stack.pool, 'promo-other');
    const hour = 3600_000;
    const iso = (ms: number) => new Date(Date.now() + ms).toISOString();
    const cases: [string, Record<string, unknown>, Record<string, unknown>?][] = [
      ['not_started', { kind: 'percent', value: 10, startsAt: iso(hour) }],
      ['expired', { kind: 'percent', value: 10, startsAt: iso(-2 * hour), endsAt: iso(-hour) }],
      ['not_at_this_shop', { kind: 'percent', value: 10, pizzeriaIds: [other.id] }],
      ['under_minimum', { kind: 'amount', value: 500, minBasketCents: 3000 }],
      ['free_product_not_in_basket', { kind: 'free_product', productId: tiramisu }],
    ];
    const before = await countOf(stack.pool, 'SELECT count(*) AS n FROM orders WHERE pizzeria_id = $1', [shop.id]);
    const refusals = [];
    for (const [reason, rule] of cases) {
      const { code } = await makeCode(rule);
      const check = await new Client(stack.base).post('/api/promo/check', { pizzeriaId: shop.id, fulfilment: 'pickup', items: basket, code });
      expect(check.status).toBe(200);
      expect(check.body, reason).toMatchObject({ ok: false, reason });
      const placed = await new Client(stack.base).post('/api/orders', pickup(shop.id, { promoCode: code }));
      expect(placed.status, reason).toBe(422);
      expect(placed.body.error.code).toBe(`promo_${reason}`);
      expect(placed.body.error.fields.promoCode).toBeTruthy();
      refusals.push(check.body);
    }
    // the minimum is said
    expect(refusals[3].minBasketCents).toBe(3000);
    expect(refusals[3].message).toMatch(/30\.00 EUR/);

    const unknown = await new Client(stack.base).post('/api/orders', pickup(shop.id, { promoCode: 'NOSUCHCODE' }));
    expect(unknown.body.error.code).toBe('promo_unknown');

    // a free product not on sale at this shop tonight
    const free = await makeCode({ kind: 'free_product', productId: tiramisu });
    await stack.pool.query(`INSERT INTO product_unavailable (pizzeria_id, product_id, business_day, by_user) SELECT $1, $2, (now() AT TIME ZONE 'Europe/Paris')::date, id FROM users WHERE email = 'admin@ocpizza.test'`, [shop.id, tiramisu]);
    const off = await new Client(stack.base).post('/api/promo/check', { pizzeriaId: shop.id, fulfilment: 'pickup', items: basket, code: free.code });
    expect(off.body).toMatchObject({ ok: false, reason: 'free_product_unavailable' });

    // once per customer: a guest is asked to sign in (the uses are counted per account), at the check and at placing
    const once = await makeCode({ kind: 'percent', value: 10, maxUsesPerCustomer: 1 });
    const anonymous = await new Client(stack.base).post('/api/promo/check', { pizzeriaId: shop.id, fulfilment: 'pickup', items: basket, code: once.code });
    expect(anonymous.body).toMatchObject({ ok: false, reason: 'needs_sign_in' });
    const guest = await new Client(stack.base).post('/api/orders', pickup(shop.id, { promoCode: once.code }));
    expect(guest.status).toBe(422);
    expect(guest.body.error.code).toBe('promo_needs_sign_in');

    // used up in all
    const single = await makeCode({ kind: 'amount', value: 200, maxUses: 1 });
    expect((await new Client(stack.base).post('/api/orders', pickup(shop.id, { promoCode: single.code }))).status).toBe(201);
    const usedUp = await new Client(stack.base).post('/api/orders', pickup(shop.id, { promoCode: single.code }));
    expect(usedUp.body.error.code).toBe('promo_used_up');

    // only the accepted order was placed
    expect(await countOf(stack.pool, 'SELECT count(*) AS n FROM orders WHERE pizzeria_id = $1', [shop.id])).toBe(before + 1);
    expect(await countOf(stack.pool, 'SELECT count(*) AS n FROM promo_redemptions r JOIN orders o ON o.id = r.order_id WHERE o.pizzeria_id = $1', [shop.id])).toBe(1);
  });

  it('prices the order less its discount, and the receipt and the takings take the VAT out of what was paid', async () => {
    const shop = await createShop(stack.pool, 'promo-vat');
    const { code } = await makeCode({ kind: 'percent', value: 10, minBasketCents: 2000 });
    const check = await new Client(stack.base).post('/api/promo/check', { pizzeriaId: shop.id, fulfilment: 'pickup', items: basket, code: code.toLowerCase() });
    expect(check.body).toMatchObject({ ok: true, code, discountCents: 250, subtotalCents: 2500, deliveryFeeCents: 0, totalCents: 2250 });

    const counter = await new Client(stack.base).login(shop.email('counter'));
    const placed = await counter.post('/api/orders', { ...pickup(shop.id, { promoCode: ` ${code.toLowerCase()} ` }), channel: 'phone' });
    expect(placed.status, JSON.stringify(placed.body)).toBe(201);
    expect(placed.body.total).toBe(2250);
    const kitchen = await new Client(stack.base).login(shop.email('kitchen'));
    await move(kitchen, placed.body.id, 'preparing');
    await move(kitchen, placed.body.id, 'ready');
    await move(counter, placed.body.id, 'collected');
    expect((await stack.pool.query('SELECT paid_cents, amount_due_cents FROM orders WHERE id = $1', [placed.body.id])).rows[0]).toEqual({ paid_cents: 2250, amount_due_cents: 0 });

    // 2,50 € off 25,00 €: 2,10 € on the 21,00 € at 10 %, 0,40 € on the 4,00 € at 20 % (pro rata, adding up exactly)
    const receipt = (await new Client(stack.base).get(`/api/track/${placed.body.trackingToken}/receipt`)).body;
    expect(receipt.promo).toEqual({ code, discountCents: 250 });
    expect(receipt.totalCents).toBe(2250);
    expect(receipt.deliveryFeeCents).toBe(0);
    expect(receipt.vat).toEqual([
      { rate: 10, grossCents: 1890, vatCents: 172, netCents: 1718 },
      { rate: 20, grossCents: 360, vatCents: 60, netCents: 300 },
    ]);
    expect(receipt.vat.reduce((s: number, v: { grossCents: number }) => s + v.grossCents, 0)).toBe(receipt.totalCents);
    const pdf = await fetch(`${stack.base}/api/track/${placed.body.trackingToken}/receipt.pdf`);
    expect(pdf.status).toBe(200);

    const manager = await new Client(stack.base).login(shop.email('manager'));
    const takings = (await manager.get(`/api/shops/${shop.id}/takings?date=${await day()}`)).body.shops[0];
    expect(takings.salesCents).toBe(2250);
    expect(takings.discounts).toEqual({ count: 1, cents: 250, grossSalesCents: 2500 });
    expect(takings.vat).toEqual(receipt.vat);
    const csv = await (await fetch(`${stack.base}/api/shops/${shop.id}/takings.csv?date=${await day()}&lang=en`, { headers: { cookie: manager.cookie } })).text();
    // the columns of the discounts: gross sales, the codes' discounts, the orders that had one
    // a cell is quoted text (which may hold a comma) or a bare value
    const cells = (line: string) => [...line.matchAll(/("(?:[^"]|"")*"|[^,]*)(?:,|$)/g)].map((m) => m[1]).slice(0, -1);
    const [header, row] = csv.replace(/^\uFEFF/, '').trim().split('\r\n').map(cells);
    expect(header.length).toBe(row.length);
    const at = header.indexOf('"Gross sales (before discounts)"');
    expect(at).toBeGreaterThan(0);
    expect(header.slice(at, at + 3)).toEqual(['"Gross sales (before discounts)"', '"Discounts (promo codes and loyalty points)"', '"Orders with a discount"']);
    expect(row.slice(at, at + 3)).toEqual(['25.00', '2.50', '1']);
  });

  it('takes an amount off the items but not the delivery fee, and a free product at its menu price', async () => {
    const shop = await createShop(stack.pool, 'promo-kinds');
    const amount = await makeCode({ kind: 'amount', value: 1000 });
    const small = [{ productId: margherita, quantity: 1 }];
    const r = await new Client(stack.base).post('/api/promo/check', { pizzeriaId: shop.id, fulfilment: 'delivery', items: small, code: amount.code });
    // 10,50 € of items, 2,50 € delivery: 10,00 € off the items only
    expect(r.body).toMatchObject({ ok: true, discountCents: 1000, subtotalCents: 1050, deliveryFeeCents: 250, totalCents: 300 });
    const big = await makeCode({ kind: 'amount', value: 5000 });
    const capped = await new Client(stack.base).post('/api/promo/check', { pizzeriaId: shop.id, fulfilment: 'delivery', items: small, code: big.code });
    expect(capped.body).toMatchObject({ ok: true, discountCents: 1050, totalCents: 250 });

    const free = await makeCode({ kind: 'free_product', productId: tiramisu });
    const withDessert = [...basket, { productId: tiramisu, quantity: 2 }];
    const placed = await new Client(stack.base).post('/api/orders', pickup(shop.id, { items: withDessert, promoCode: free.code }));
    expect(placed.status, JSON.stringify(placed.body)).toBe(201);
    expect(placed.body.total).toBe(2500 + 1100 - 550);
  });

  it('a code of one use is used once when checkouts send it at the same moment, and a cancelled order gives its use back', async () => {
    const shop = await createShop(stack.pool, 'promo-race');
    const { code, id } = await makeCode({ kind: 'percent', value: 20, maxUses: 1 });
    const answers = await Promise.all(Array.from({ length: 6 }, () => new Client(stack.base).post('/api/orders', pickup(shop.id, { promoCode: code }))));
    const placed = answers.filter((a) => a.status === 201);
    expect(placed).toHaveLength(1);
    expect(answers.filter((a) => a.status === 422).map((a) => a.body.error.code)).toEqual(Array(5).fill('promo_used_up'));
    expect(await countOf(stack.pool, 'SELECT count(*) AS n FROM promo_redemptions WHERE promo_code_id = $1', [id])).toBe(1);
    expect(await countOf(stack.pool, 'SELECT count(*) AS n FROM orders WHERE pizzeria_id = $1', [shop.id])).toBe(1);

    // the customer cancels by their tracking link: the use is free again
    const cancelled = await new Client(stack.base).post(`/api/track/${placed[0].body.trackingToken}/cancel`);
    expect(cancelled.status, JSON.stringify(cancelled.body)).toBe(200);
    const again = await new Client(stack.base).post('/api/orders', pickup(shop.id, { promoCode: code }));
    expect(again.status, JSON.stringify(again.body)).toBe(201);
    expect(again.body.total).toBe(2000);

    // an order placed with a code keeps its basket: changing it is refused, the order as it was
    const change = await new Client(stack.base).patch(`/api/track/${again.body.trackingToken}`, { items: [{ productId: margherita, quantity: 1 }] });
    expect(change.status).toBe(409);
    expect(change.body.error.code).toBe('promo_order_fixed');
    const kept = (await new Client(stack.base).get(`/api/track/${again.body.trackingToken}`)).body;
    expect({ version: kept.version, total: kept.totalCents, lines: kept.items.map((i: { productId: number; quantity: number }) => [i.productId, i.quantity]) })
      .toEqual({ version: again.body.version, total: 2000, lines: (pickup(shop.id).items as { productId: number; quantity: number }[]).map((i) => [i.productId, i.quantity]) });
  });
});

/** A client of its own, through the trusted proxy: its address, phone and email. */
const from = (ip: string) => ({
  order: async (body: Record<string, unknown>) => {
    const res = await fetch(`${stack.base}/api/orders`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-forwarded-for': ip }, body: JSON.stringify(body) });
    return { status: res.status, body: await res.json() };
  },
});

/** A customer signed in with a code sent to this email (the test's own SMTP server). */
async function signedIn(email: string): Promise<Client> {
  const c = new Client(stack.base);
  const after = messages.smtp.inbox.length;
  expect((await c.post('/api/customer/code', { email })).status).toBe(202);
  const mail = (await waitUntil(() => messages.smtp.inbox.slice(after).find((m) => JSON.stringify(m.to ?? '').toLowerCase().includes(email.toLowerCase())), 10_000, `an email to ${email}`))!;
  const code = /\b(\d{6})\b/.exec(mail.text ?? '')![1];
  const r = await c.post('/api/customer/session', { email, code });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return c;
}

/** Made, collected and paid at the counter: the order is over, its use of a code confirmed. */
async function collect(shop: Awaited<ReturnType<typeof createShop>>, orderId: string) {
  const kitchen = await new Client(stack.base).login(shop.email('kitchen'));
  const counter = await new Client(stack.base).login(shop.email('counter'));
  await move(kitchen, orderId, 'preparing');
  await move(kitchen, orderId, 'ready');
  await move(counter, orderId, 'collected');
}

describe('promo codes against hoarders and repeat customers', () => {
  it('five orders paid at the door no longer take a "first 5 customers" code from an honest customer', async () => {
    const shop = await createShop(stack.pool, 'promo-hoard');
    const { code, id } = await makeCode({ kind: 'amount', value: 500, maxUses: 5 });
    const hoarder = from('203.0.113.41');
    // five orders to pay at the counter, each with another phone and email: one holds a use, the others are refused
    const answers = [];
    for (let i = 0; i < 5; i++) {
      answers.push(await hoarder.order(pickup(shop.id, { promoCode: code, customer: { name: 'Hoarder', phone: freshPhone(), email: `hoard${i}-${Date.now()}@example.test` } })));
    }
    expect(answers.map((a) => a.status)).toEqual([201, 422, 422, 422, 422]);
    expect(answers.slice(1).map((a) => a.body.error.code)).toEqual(Array(4).fill('promo_already_held'));
    expect(answers[1].body.error.fields.promoCode).toMatch(/waiting/);
    // cancelling and ordering again still holds one at most
    expect((await new Client(stack.base).post(`/api/track/${answers[0].body.trackingToken}/cancel`)).status).toBe(200);
    const again = await hoarder.order(pickup(shop.id, { promoCode: code }));
    expect(again.status, JSON.stringify(again.body)).toBe(201);
    expect((await hoarder.order(pickup(shop.id, { promoCode: code }))).body.error.code).toBe('promo_already_held');

    // an honest customer from elsewhere gets the code, and so do three more
    for (const ip of ['198.51.100.71', '198.51.100.72', '198.51.100.73', '198.51.100.74']) {
      const honest = await from(ip).order(pickup(shop.id, { promoCode: code }));
      expect(honest.status, JSON.stringify(honest.body)).toBe(201);
      expect(honest.body.total).toBe(2000);
    }
    // the five uses are spent (one held by the hoarder): the code gives no sixth
    expect((await from('198.51.100.75').order(pickup(shop.id, { promoCode: code }))).body.error.code).toBe('promo_used_up');
    // once the hoarder's order is collected and paid, its use is no longer held: the hoarder may hold another (of a code with uses left)
    await collect(shop, again.body.id);
    const other = await makeCode({ kind: 'amount', value: 100, maxUses: 5 });
    expect((await hoarder.order(pickup(shop.id, { promoCode: other.code }))).status).toBe(201);
    expect((await hoarder.order(pickup(shop.id, { promoCode: other.code }))).body.error.code).toBe('promo_already_held');
    expect(await countOf(stack.pool, `SELECT count(*) AS n FROM promo_redemptions r JOIN orders o ON o.id = r.order_id WHERE r.promo_code_id = $1 AND o.status <> 'cancelled'`, [id])).toBe(5);
  });

  it('a once-per-customer code needs a signed-in customer: a guest with another phone and a lookalike email is told to sign in', async () => {
    const shop = await createShop(stack.pool, 'promo-guest-once');
    const { code } = await makeCode({ kind: 'percent', value: 10, maxUsesPerCustomer: 1 });
    const emails = ['Jean.Dupont@gmail.com', 'jeandupont@gmail.com', 'jean.dupont+pizza@gmail.com', 'JEAN.DUPONT@GMAIL.COM'];
    const answers = [];
    for (const email of emails) {
      answers.push(await new Client(stack.base).post('/api/orders', pickup(shop.id, { promoCode: code, customer: { name: 'Jean', phone: freshPhone(), email } })));
    }
    expect(answers.map((a) => a.status)).toEqual([422, 422, 422, 422]);
    expect(answers[0].body.error.code).toBe('promo_needs_sign_in');
    expect(answers[0].body.error.fields.promoCode).toMatch(/sign in/);
    expect(await countOf(stack.pool, 'SELECT count(*) AS n FROM orders WHERE pizzeria_id = $1', [shop.id])).toBe(0);

    // signed in, once; a second account with the same gmail mailbox written otherwise: already used
    const tag = Date.now().toString(36);
    const jean = await signedIn(`jean.dupont.${tag}@gmail.com`);
    const first = await jean.post('/api/orders', pickup(shop.id, { promoCode: code }));
    expect(first.status, JSON.stringify(first.body)).toBe(201);
    expect((await jean.post('/api/orders', pickup(shop.id, { promoCode: code }))).body.error.code).toBe('promo_already_used');
    const lookalike = await signedIn(`JeanDupont${tag}+promo@googlemail.com`);
    const second = await lookalike.post('/api/orders', pickup(shop.id, { promoCode: code }));
    expect(second.status).toBe(422);
    expect(second.body.error.code).toBe('promo_already_used');
  });

  it('a customer who erases their account and signs in again with the same email has still used a one-use code', async () => {
    const shop = await createShop(stack.pool, 'promo-erase');
    const { code, id } = await makeCode({ kind: 'amount', value: 300, maxUsesPerCustomer: 1 });
    const email = `erase-${Date.now()}@example.fr`;
    for (let round = 0; round < 3; round++) {
      const c = await signedIn(email);
      const placed = await c.post('/api/orders', pickup(shop.id, { promoCode: code, customer: { name: 'Zoé', phone: freshPhone(), email } }));
      if (round > 0) {
        expect(placed.status, `round ${round}`).toBe(422);
        expect(placed.body.error.code).toBe('promo_already_used');
        break;
      }
      expect(placed.status, JSON.stringify(placed.body)).toBe(201);
      await collect(shop, placed.body.id);
      expect((await c.delete('/api/customer/me')).status).toBe(200);
    }
    // what is kept of the erased customer's use names nobody: no account, phone or email, a keyed hash only
    const { rows } = await stack.pool.query('SELECT r.*, o.customer_email FROM promo_redemptions r JOIN orders o ON o.id = r.order_id WHERE r.promo_code_id = $1', [id]);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ customer_id: null, phone_key: null, email_key: null, customer_email: null });
    expect(JSON.stringify(rows[0])).not.toContain(email.split('@')[0]);
    expect(rows[0].contact_hashes.length).toBeGreaterThan(0);
  });

  it('/api/promo/check answers the same whatever phone or email is given', async () => {
    const shop = await createShop(stack.pool, 'promo-check-contact');
    const { code } = await makeCode({ kind: 'percent', value: 10, maxUsesPerCustomer: 1 });
    const phone = freshPhone();
    const email = `used-${Date.now()}@example.fr`;
    const user = await signedIn(email);
    expect((await user.post('/api/orders', pickup(shop.id, { promoCode: code, customer: { name: 'Ana', phone, email } }))).status).toBe(201);

    const check = async (extra: Record<string, unknown>) =>
      (await new Client(stack.base).post('/api/promo/check', { pizzeriaId: shop.id, fulfilment: 'pickup', items: basket, code, ...extra })).body;
    const answers = [await check({ phone, email }), await check({ phone }), await check({ email }), await check({ phone: freshPhone() }), await check({})];
    for (const a of answers) expect(a).toEqual(answers[4]);
    expect(answers[4]).toMatchObject({ ok: false, reason: 'needs_sign_in' });
    // the signed-in customer is told about their own account only
    expect((await user.post('/api/promo/check', { pizzeriaId: shop.id, fulfilment: 'pickup', items: basket, code })).body).toMatchObject({ ok: false, reason: 'already_used' });
  });
});
