// Customers who sign in without a password, against real Postgres, Redis, an SMTP server and an SMS
// gateway in the test process: a code sent by email or text works once, expires, dies after five
// wrong tries, and is not sent again and again to one destination; signed in, a customer reads their
// orders (their guest orders of the same contact once confirmed), orders one again in a tap with what
// is sold out left out and named, keeps their addresses and favourites, downloads their data and erases it.
import { describe, expect, it } from 'vitest';
import { Client, createShop, placeThroughApi, seededProduct, countOf, waitUntil, addressFor } from '../helpers.ts';
import { startStack, useMessages, useStack } from '../services.ts';

const messages = useMessages();
const stack = useStack({ env: () => messages.env() });
const margherita = seededProduct('margherita');
const tiramisu = seededProduct('tiramisu');
const coca = seededProduct('coca-cola');

let seq = 0;
/** An email of the test's own (the codes are counted per destination). */
const freshEmail = (tag: string) => `${tag}-${Date.now()}-${++seq}@example.fr`;
/** A phone of the test's own, as a customer types it (07: no overseas department's prefix starts so). */
const freshPhone = () => `07${String((Date.now() * 10 + ++seq) % 100_000_000).padStart(8, '0')}`.replace(/(\d\d)(?=\d)/g, '$1 ');

/** The code in the latest email to this address. */
async function emailedCode(to: string): Promise<string> {
  const mail = (await waitUntil(() => [...messages.smtp.inbox].reverse().find((m) => m.to && JSON.stringify(m.to).includes(to) && /code/i.test(m.subject ?? '')), 10_000, `an email to ${to}`))!;
  const code = /\b(\d{6})\b/.exec(mail.text ?? '')?.[1];
  expect(code, mail.text).toBeTruthy();
  return code!;
}

/** A customer signed in with a code sent to this email. */
async function signedIn(email: string): Promise<Client> {
  const c = new Client(stack.base);
  expect((await c.post('/api/customer/code', { email })).status).toBe(202);
  const r = await c.post('/api/customer/session', { email, code: await emailedCode(email) });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return c;
}

describe('a customer signs in with a code', () => {
  it('by email: the code works once, and a wrong code counts a try', async () => {
    const email = freshEmail('once');
    const c = new Client(stack.base);
    const asked = await c.post('/api/customer/code', { email: email.toUpperCase() });
    expect(asked.status, JSON.stringify(asked.body)).toBe(202);
    expect(asked.body).toMatchObject({ sentTo: 'email', expiresInMinutes: 10 });
    const code = await emailedCode(email);
    const wrong = code === '000000' ? '000001' : '000000';
    const bad = await c.post('/api/customer/session', { email, code: wrong });
    expect(bad.status).toBe(401);
    expect(bad.body.error.code).toBe('bad_code');
    expect(bad.body.error.message).toContain('4 more tries');
    expect((await c.get('/api/customer/me')).status).toBe(401);

    const ok = await c.post('/api/customer/session', { email, code });
    expect(ok.status, JSON.stringify(ok.body)).toBe(201);
    expect(ok.body.customer).toMatchObject({ email });
    const me = await c.get('/api/customer/me');
    expect(me.status).toBe(200);
    expect(me.body.customer.email).toBe(email);

    // the same code a second time, from another device: used
    const again = await new Client(stack.base).post('/api/customer/session', { email, code });
    expect(again.status).toBe(410);
    expect(again.body.error.code).toBe('code_expired');

    // signing out ends the session
    expect((await c.delete('/api/customer/session')).status).toBe(204);
    expect((await c.get('/api/customer/me')).status).toBe(401);
  });

  it('by text message: the code goes to the phone in E.164, an expired one is refused, and a new one signs in, the guest orders of that phone offered to confirm', async () => {
    const shop = await createShop(stack.pool, 'sms-sign-in');
    const phone = freshPhone();
    const guest = await placeThroughApi(stack.base, { pizzeriaId: shop.id, productId: margherita, customer: { name: 'Nora Blanc', phone: `+33 ${phone.slice(1)}` } });
    const to = `+33${phone.replace(/\s/g, '').slice(1)}`;
    const textedCode = async (after: number) => {
      const text = (await waitUntil(() => messages.gateway.texts.slice(after).find((t) => t.to === to), 10_000, 'the text'))!;
      return /\b(\d{6})\b/.exec(text.text)![1];
    };
    const c = new Client(stack.base);
    let before = messages.gateway.texts.length;
    expect((await c.post('/api/customer/code', { phone })).status).toBe(202);
    const code = await textedCode(before);
    await stack.pool.query(`UPDATE customer_codes SET expires_at = now() - interval '1 second', created_at = created_at - interval '61 seconds' WHERE destination = $1`, [to]);
    const late = await c.post('/api/customer/session', { phone, code });
    expect(late.status).toBe(410);
    expect(late.body.error.code).toBe('code_expired');
    expect(await countOf(stack.pool, 'SELECT count(*) AS n FROM customers WHERE phone = $1', [to])).toBe(0);

    before = messages.gateway.texts.length;
    expect((await c.post('/api/customer/code', { phone })).status).toBe(202);
    const signedIn = await c.post('/api/customer/session', { phone, code: await textedCode(before) });
    expect(signedIn.status, JSON.stringify(signedIn.body)).toBe(201);
    expect(signedIn.body.customer).toMatchObject({ phone: to, email: null });
    // the phone is proved now, not when the guest order was placed: offered to confirm, not joined
    const me = (await c.get('/api/customer/me')).body;
    expect(me.orders).toEqual([]);
    expect(me.toConfirm.map((o: { id: string }) => o.id)).toEqual([guest.id]);
  });

  it('dies after five wrong tries, even for the right code after them', async () => {
    const email = freshEmail('tries');
    const c = new Client(stack.base);
    await c.post('/api/customer/code', { email });
    const code = await emailedCode(email);
    const wrong = code === '111111' ? '222222' : '111111';
    for (let i = 0; i < 5; i++) expect((await c.post('/api/customer/session', { email, code: wrong })).status).toBe(401);
    const right = await c.post('/api/customer/session', { email, code });
    expect(right.status).toBe(410);
    expect(right.body.error.message).toContain('too many wrong tries');
  });

  it('is not sent again within a minute, nor more than five times an hour, to one destination', async () => {
    const email = freshEmail('flood');
    const c = new Client(stack.base);
    expect((await c.post('/api/customer/code', { email })).status).toBe(202);
    const second = await c.post('/api/customer/code', { email });
    expect(second.status).toBe(429);
    expect(second.body.error.message).toContain('wait a minute');
    // four more, a minute apart as far as the limits know
    for (let i = 0; i < 4; i++) {
      await stack.pool.query(`UPDATE customer_codes SET created_at = created_at - interval '61 seconds' WHERE destination = $1`, [email]);
      expect((await c.post('/api/customer/code', { email })).status).toBe(202);
    }
    await stack.pool.query(`UPDATE customer_codes SET created_at = created_at - interval '61 seconds' WHERE destination = $1`, [email]);
    const sixth = await c.post('/api/customer/code', { email });
    expect(sixth.status).toBe(429);
    expect(await countOf(stack.pool, 'SELECT count(*) AS n FROM customer_codes WHERE destination = $1', [email])).toBe(5);
    expect(messages.smtp.inbox.filter((m) => JSON.stringify(m.to).includes(email))).toHaveLength(5);
  });

  it('refuses malformed requests with a 4xx and sends nothing', async () => {
    const c = new Client(stack.base);
    const sent = messages.smtp.inbox.length;
    for (const body of [{}, { email: 'not-an-email' }, { phone: 'abc' }, { email: 'a@b.fr', phone: '0612345678' }, { email: 'a@b.fr', admin: true }]) {
      const r = await c.post('/api/customer/code', body);
      expect(r.status, JSON.stringify(body)).toBe(422);
    }
    for (const body of [{ email: 'a@b.fr', code: '12345' }, { email: 'a@b.fr', code: 'abcdef' }, { email: 'a@b.fr' }]) {
      expect((await c.post('/api/customer/session', body)).status, JSON.stringify(body)).toBe(422);
    }
    expect(messages.smtp.inbox.length).toBe(sent);
    // no account behind a session cookie someone made up
    const forged = new Client(stack.base);
    forged.cookie = 'ocp_customer=made-up-token';
    expect((await forged.get('/api/customer/me')).status).toBe(401);
  });

  it('counts the codes asked for from one client address, whatever the destinations', async () => {
    // a stack of the test's own, with a low limit and its own counters in Redis
    const own = await startStack({ env: { ...messages.env(), RATE_LIMIT_CUSTOMER_CODES: '3', QUEUE_PREFIX: `${stack.config.QUEUE_PREFIX}-codes` } });
    try {
      const c = new Client(own.base);
      for (let i = 0; i < 3; i++) expect((await c.post('/api/customer/code', { email: freshEmail('client') })).status).toBe(202);
      const fourth = await c.post('/api/customer/code', { email: freshEmail('client') });
      expect(fourth.status).toBe(429);
      expect(fourth.body.error.code).toBe('rate_limited');
    } finally {
      await own.close();
    }
  });
});

describe('a signed-in customer', () => {
  it('finds their guest orders of the same email to confirm, and their new orders join their history with their address', async () => {
    const shop = await createShop(stack.pool, 'history');
    const email = freshEmail('history');
    const guest = await placeThroughApi(stack.base, { pizzeriaId: shop.id, productId: margherita, customer: { name: 'Léa Durand', phone: '06 11 22 33 44', email } });
    const c = await signedIn(email);
    const placed = await c.post('/api/orders', {
      pizzeriaId: shop.id, fulfilment: 'delivery', customer: { name: 'Léa Durand', phone: '06 11 22 33 44', email },
      address: { ...addressFor(shop.id), doorCode: '4B12', floor: '3e' }, items: [{ productId: tiramisu, quantity: 2 }], payment: 'on_delivery',
    });
    expect(placed.status, JSON.stringify(placed.body)).toBe(201);
    expect((await c.get('/api/customer/me')).body.orders.map((o: { id: string }) => o.id)).toEqual([placed.body.id]);
    expect((await c.post(`/api/customer/orders/${guest.id}/confirm`, { number: guest.number })).status).toBe(200);
    const me = (await c.get('/api/customer/me')).body;
    expect(me.orders.map((o: { id: string }) => o.id)).toEqual([placed.body.id, guest.id]);
    expect(me.orders[0]).toMatchObject({ lines: [{ name: 'Tiramisu', quantity: 2 }], fulfilment: 'delivery' });
    expect(me.addresses).toEqual([expect.objectContaining({ street: addressFor(shop.id).street, doorCode: '4B12', floor: '3e' })]);
    // another customer's order is not theirs to see or reorder
    const other = await signedIn(freshEmail('other'));
    expect((await other.get('/api/customer/me')).body.orders).toEqual([]);
    expect((await other.post(`/api/customer/orders/${placed.body.id}/reorder`)).status).toBe(404);
  });

  it('orders the same again in one tap: a product sold out since is left out and named, the rest ordered', async () => {
    const shop = await createShop(stack.pool, 'reorder');
    const email = freshEmail('reorder');
    const c = await signedIn(email);
    const first = await c.post('/api/orders', {
      pizzeriaId: shop.id, fulfilment: 'delivery', customer: { name: 'Hugo Petit', phone: '06 55 44 33 22', email }, address: addressFor(shop.id),
      items: [{ productId: margherita, quantity: 2 }, { productId: tiramisu, quantity: 1 }, { productId: coca, quantity: 3 }], payment: 'on_delivery',
    });
    expect(first.status, JSON.stringify(first.body)).toBe(201);
    // the shop's tiramisus are all gone
    await stack.pool.query(`UPDATE stock SET on_hand = reserved WHERE pizzeria_id = $1 AND ingredient_id = (SELECT id FROM ingredients WHERE slug = 'tiramisu')`, [shop.id]);
    const again = await c.post(`/api/customer/orders/${first.body.id}/reorder`);
    expect(again.status, JSON.stringify(again.body)).toBe(201);
    expect(again.body.leftOut).toEqual([expect.objectContaining({ name: 'Tiramisu', quantity: 1 })]);
    const { rows } = await stack.pool.query('SELECT name, quantity FROM order_items WHERE order_id = $1 ORDER BY id', [again.body.id]);
    expect(rows).toEqual([{ name: 'Margherita', quantity: 2 }, { name: 'Coca-Cola 33 cl', quantity: 3 }]);
    const { rows: o } = await stack.pool.query('SELECT address_street, fulfilment, pizzeria_id FROM orders WHERE id = $1', [again.body.id]);
    expect(o[0]).toMatchObject({ address_street: addressFor(shop.id).street, fulfilment: 'delivery', pizzeria_id: shop.id });
    expect((await c.get('/api/customer/me')).body.orders.map((x: { id: string }) => x.id)).toEqual([again.body.id, first.body.id]);
    // the same tap sent twice (one Idempotency-Key) places one order
    const key = `reorder-${Date.now()}`;
    const tap = async () => {
      const res = await fetch(`${stack.base}/api/customer/orders/${first.body.id}/reorder`, {
        method: 'POST', headers: { 'content-type': 'application/json', cookie: c.cookie, 'idempotency-key': key }, body: '{}',
      });
      return { status: res.status, body: await res.json() };
    };
    const [once, twice] = [await tap(), await tap()];
    expect(once.status, JSON.stringify(once.body)).toBe(201);
    expect(twice.status).toBe(200);
    expect(twice.body.id).toBe(once.body.id);
    // nothing left to make: said, and nothing placed
    await stack.pool.query(`UPDATE stock SET on_hand = reserved WHERE pizzeria_id = $1`, [shop.id]);
    const before = await countOf(stack.pool, 'SELECT count(*) AS n FROM orders WHERE pizzeria_id = $1', [shop.id]);
    const none = await c.post(`/api/customer/orders/${first.body.id}/reorder`);
    expect(none.status).toBe(409);
    expect(none.body.error.code).toBe('nothing_available');
    expect(await countOf(stack.pool, 'SELECT count(*) AS n FROM orders WHERE pizzeria_id = $1', [shop.id])).toBe(before);
    // signed out: no reorder
    expect((await new Client(stack.base).post(`/api/customer/orders/${first.body.id}/reorder`)).status).toBe(401);
  });

  it('keeps favourite pizzas and forgets an address', async () => {
    const shop = await createShop(stack.pool, 'favourites');
    const email = freshEmail('fav');
    const c = await signedIn(email);
    await c.post('/api/orders', {
      pizzeriaId: shop.id, fulfilment: 'delivery', customer: { name: 'Inès Roy', phone: '06 10 20 30 40', email }, address: addressFor(shop.id),
      items: [{ productId: margherita, quantity: 1 }], payment: 'on_delivery',
    });
    expect((await c.put('/api/customer/favourites', { productId: margherita, favourite: true })).status).toBe(200);
    expect((await c.put('/api/customer/favourites', { productId: margherita, favourite: true })).status).toBe(200);
    expect((await c.put('/api/customer/favourites', { productId: tiramisu, favourite: true })).status).toBe(404);
    let me = (await c.get('/api/customer/me')).body;
    expect(me.favourites).toEqual([{ productId: margherita, name: 'Margherita' }]);
    const addressId = me.addresses[0].id;
    expect((await signedIn(freshEmail('thief'))).delete(`/api/customer/addresses/${addressId}`).then((r) => r.status)).resolves.toBe(404);
    expect((await c.delete(`/api/customer/addresses/${addressId}`)).status).toBe(204);
    me = (await c.get('/api/customer/me')).body;
    expect(me.addresses).toEqual([]);
    expect((await c.put('/api/customer/favourites', { productId: margherita, favourite: false })).status).toBe(200);
    expect((await c.get('/api/customer/me')).body.favourites).toEqual([]);
  });

  it('downloads their data, then erases it: the orders stay for the takings with nothing that names or locates them', async () => {
    const shop = await createShop(stack.pool, 'erase');
    const email = freshEmail('erase');
    const c = await signedIn(email);
    const placed = await c.post('/api/orders', {
      pizzeriaId: shop.id, fulfilment: 'delivery', customer: { name: 'Zoé Lambert', phone: '06 99 88 77 66', email },
      address: { ...addressFor(shop.id), doorCode: '1234', instructions: 'Sonner deux fois' }, items: [{ productId: margherita, quantity: 1 }], payment: 'on_delivery',
    });
    expect(placed.status).toBe(201);
    const data = await c.get('/api/customer/export');
    expect(data.status).toBe(200);
    expect(data.body.customer.email).toBe(email);
    expect(data.body.orders).toEqual([expect.objectContaining({ id: placed.body.id, name: 'Zoé Lambert', doorCode: '1234', street: addressFor(shop.id).street })]);
    expect(data.body.addresses).toHaveLength(1);
    expect(data.body).toMatchObject({ loyaltyPoints: [], promoCodesUsed: [], favourites: [] });

    // still on its way: refused, nothing erased
    const early = await c.delete('/api/customer/me');
    expect(early.status).toBe(409);
    expect(early.body.error.code).toBe('order_in_progress');
    expect((await c.get('/api/customer/me')).status).toBe(200);

    expect((await c.post(`/api/track/${placed.body.trackingToken}/cancel`)).status).toBe(200);
    const erased = await c.delete('/api/customer/me');
    expect(erased.status, JSON.stringify(erased.body)).toBe(200);
    expect(erased.body.ordersAnonymised).toBe(1);
    expect((await c.get('/api/customer/me')).status).toBe(401);
    const { rows } = await stack.pool.query(
      'SELECT customer_name, customer_phone, customer_email, address_street, door_code, delivery_instructions, address_lat, total_cents FROM orders WHERE id = $1',
      [placed.body.id],
    );
    expect(rows[0]).toMatchObject({ customer_name: '-', customer_phone: '', customer_email: null, address_street: '', door_code: null, delivery_instructions: null, address_lat: null });
    expect(rows[0].total_cents).toBeGreaterThan(0);
    const leaks = await countOf(stack.pool, `SELECT count(*) AS n FROM order_events WHERE order_id = $1 AND (payload::text LIKE '%Zoé%' OR payload::text LIKE '%1234%' OR payload::text LIKE '%Sonner%')`, [placed.body.id]);
    expect(leaks).toBe(0);
    expect(await countOf(stack.pool, 'SELECT count(*) AS n FROM customers WHERE email = $1', [email])).toBe(0);
    expect(await countOf(stack.pool, 'SELECT count(*) AS n FROM customer_codes WHERE destination = $1', [email])).toBe(0);
  });
});
