// One person, one account, against real Postgres, Redis, an SMTP server and an SMS gateway in the test
// process. A customer signed in by email adds their phone with the code texted to it (the sign-in's
// codes, limits and tries); when that phone had an account of its own, the two become one in one
// transaction: orders, points (the ledger's rows moved, summed exactly, one "joined" row), addresses
// and favourites together, the other account's sessions ended, audited without a contact in clear.
// Nothing joins without the code; the same join twice is done once; joins at the same moment, crossed,
// or beside a hand-over that earns points, leave one account with every point counted once.
import { describe, expect, it } from 'vitest';
import { Client, addressFor, countOf, createShop, move, placeThroughApi, seededProduct, waitUntil } from '../helpers.ts';
import { useMessages, useStack } from '../services.ts';

const messages = useMessages();
const stack = useStack({ env: () => messages.env() });
const margherita = seededProduct('margherita');
const reine = seededProduct('reine');

let seq = 0;
const freshEmail = (tag: string) => `${tag}-${Date.now()}-${++seq}@example.fr`;
/** A number of this file's own: "07 xx xx xx xx" as typed, "+337xxxxxxxx" as kept. */
function freshPhone() {
  const d = String((Date.now() * 10 + ++seq) % 100_000_000).padStart(8, '0');
  return { typed: `07${d}`.replace(/(\d\d)(?=\d)/g, '$1 '), e164: `+337${d}` };
}
type Phone = ReturnType<typeof freshPhone>;

/** As if a while after the last code to this destination: past the minute between two codes. */
const aMinuteLater = (to: string) => stack.pool.query(`UPDATE customer_codes SET created_at = created_at - interval '61 seconds' WHERE destination = $1`, [to]);

const CODE = /code\D*(\d{6})\b/i;

async function textedCode(to: string, after: number): Promise<{ code: string; text: string }> {
  // the code's message, not an order's (those go to the same phones)
  const sms = (await waitUntil(() => messages.gateway.texts.slice(after).find((t) => t.to === to && CODE.test(t.text)), 10_000, `the code texted to ${to}`))!;
  return { code: CODE.exec(sms.text)![1], text: sms.text };
}

async function emailedCode(to: string, after: number): Promise<{ code: string; text: string }> {
  const mail = (await waitUntil(() => messages.smtp.inbox.slice(after).find((m) => JSON.stringify(m.to).includes(to) && CODE.test(m.text ?? '')), 10_000, `the code emailed to ${to}`))!;
  return { code: CODE.exec(mail.text ?? '')![1], text: mail.text ?? '' };
}

async function signedInByEmail(email: string): Promise<Client> {
  const c = new Client(stack.base);
  await aMinuteLater(email);
  const before = messages.smtp.inbox.length;
  expect((await c.post('/api/customer/code', { email })).status).toBe(202);
  const r = await c.post('/api/customer/session', { email, code: (await emailedCode(email, before)).code });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return c;
}

async function signedInByText(phone: Phone): Promise<Client> {
  const c = new Client(stack.base);
  await aMinuteLater(phone.e164);
  const before = messages.gateway.texts.length;
  expect((await c.post('/api/customer/code', { phone: phone.typed })).status).toBe(202);
  const r = await c.post('/api/customer/session', { phone: phone.typed, code: (await textedCode(phone.e164, before)).code });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return c;
}

/** The code that adds this phone to the client's account, asked for and read from the texts. */
async function addPhoneCode(c: Client, phone: Phone): Promise<{ code: string; text: string }> {
  await aMinuteLater(phone.e164);
  const before = messages.gateway.texts.length;
  const asked = await c.post('/api/customer/contact/code', { phone: phone.typed });
  expect(asked.status, JSON.stringify(asked.body)).toBe(202);
  expect(asked.body).toMatchObject({ sentTo: 'sms', expiresInMinutes: 10 });
  return textedCode(phone.e164, before);
}

async function addEmailCode(c: Client, email: string): Promise<string> {
  await aMinuteLater(email);
  const before = messages.smtp.inbox.length;
  const asked = await c.post('/api/customer/contact/code', { email });
  expect(asked.status, JSON.stringify(asked.body)).toBe(202);
  return (await emailedCode(email, before)).code;
}

const idOf = async (c: Client) => (await c.get('/api/customer/me')).body.customer.id as string;
const balanceOf = async (customerId: string) => countOf(stack.pool, 'SELECT coalesce(sum(points), 0) AS n FROM loyalty_ledger WHERE customer_id = $1', [customerId]);
const ledgerRows = async (customerId: string) => countOf(stack.pool, 'SELECT count(*) AS n FROM loyalty_ledger WHERE customer_id = $1', [customerId]);
const accountsOf = (email: string, phone: Phone) => countOf(stack.pool, 'SELECT count(*) AS n FROM customers WHERE email = $1 OR phone = $2', [email, phone.e164]);
const wrongOf = (code: string) => (code === '000000' ? '000001' : '000000');

/** A shop with its kitchen and counter, and a customer's orders collected there (each 21,00 €: 10 points). */
async function shopFor(tag: string) {
  const shop = await createShop(stack.pool, tag);
  const kitchen = await new Client(stack.base).login(shop.email('kitchen'));
  const counter = await new Client(stack.base).login(shop.email('counter'));
  const place = async (c: Client, phone: Phone, extra: Record<string, unknown> = {}) => {
    const r = await c.post('/api/orders', {
      pizzeriaId: shop.id, fulfilment: 'pickup', customer: { name: 'Léa Martin', phone: phone.typed },
      items: [{ productId: margherita, quantity: 2 }], payment: 'on_delivery', ...extra,
    });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    return r.body as { id: string; number: number; trackingToken: string };
  };
  const ready = async (id: string) => {
    await move(kitchen, id, 'preparing');
    await move(kitchen, id, 'ready');
  };
  const collected = async (c: Client, phone: Phone) => {
    const o = await place(c, phone);
    await ready(o.id);
    await move(counter, o.id, 'collected');
    return o;
  };
  /** A delivery placed signed in (its address saved), then cancelled by its customer. */
  const deliveryTo = async (c: Client, phone: Phone, street: string, doorCode: string) => {
    const o = await place(c, phone, { fulfilment: 'delivery', address: { ...addressFor(shop.id), street, doorCode } });
    expect((await c.post(`/api/track/${o.trackingToken}/cancel`)).status).toBe(200);
    return o;
  };
  return { shop, counter, place, ready, collected, deliveryTo };
}

describe('one person, one account', () => {
  it('a customer signed in by email adds their phone with the code texted to it, then signs in by either to the one account', async () => {
    const email = freshEmail('add');
    const phone = freshPhone();
    const c = await signedInByEmail(email);
    const id = await idOf(c);
    const { code, text } = await addPhoneCode(c, phone);
    expect(text).toContain('ajouter ce numéro à votre compte');
    // asking again within the minute: the sign-in's limits, the same destination's
    const soon = await c.post('/api/customer/contact/code', { phone: phone.typed });
    expect(soon.status).toBe(429);
    const added = await c.post('/api/customer/contact', { phone: phone.typed, code });
    expect(added.status, JSON.stringify(added.body)).toBe(200);
    expect(added.body).toEqual({ customer: { id, email, phone: phone.e164, name: null }, joined: null, already: false });
    expect((await c.get('/api/customer/me')).body.customer).toMatchObject({ id, email, phone: phone.e164 });

    // by the phone now: the same account
    const byPhone = await signedInByText(phone);
    expect(await idOf(byPhone)).toBe(id);
    expect(await accountsOf(email, phone)).toBe(1);
    // audited, the account's number and kinds of contact only
    const { rows } = await stack.pool.query(`SELECT actor, before, after FROM audit_log WHERE action = 'customer.contact' AND entity_id = $1`, [id]);
    expect(rows).toEqual([{ actor: `customer account #${id}`, before: { contacts: ['email'] }, after: { contacts: ['email', 'phone'] } }]);
    // nothing left to add: asked again, refused
    const more = await c.post('/api/customer/contact/code', { email: freshEmail('third') });
    expect(more.status).toBe(409);
    expect(more.body.error.code).toBe('has_contact');
  });

  it("two accounts of one person become one: points summed exactly, orders, addresses and favourites together, the other's sessions ended; the export has both, erasing erases both", async () => {
    const s = await shopFor('join');
    const email = freshEmail('join');
    const phone = freshPhone();
    // by email: one order collected (10 points), a delivery address, a favourite
    const byEmail = await signedInByEmail(email);
    const keptId = await idOf(byEmail);
    const a1 = await s.collected(byEmail, phone);
    const a2 = await s.deliveryTo(byEmail, phone, '8 rue de Charonne', '1111');
    expect((await byEmail.put('/api/customer/favourites', { productId: margherita, favourite: true })).status).toBe(200);
    // by phone, on two devices: two orders collected (20 points), another address, the same favourite and another
    const byPhone = await signedInByText(phone);
    const otherDevice = await signedInByText(phone);
    const goneId = await idOf(byPhone);
    expect(goneId).not.toBe(keptId);
    const b1 = await s.collected(byPhone, phone);
    const b2 = await s.collected(otherDevice, phone);
    const b3 = await s.deliveryTo(byPhone, phone, '3 rue Lepic', '2222');
    for (const productId of [margherita, reine]) expect((await byPhone.put('/api/customer/favourites', { productId, favourite: true })).status).toBe(200);
    expect([await balanceOf(keptId), await balanceOf(goneId)]).toEqual([10, 20]);
    const rowsBefore = (await ledgerRows(keptId)) + (await ledgerRows(goneId));

    const { code } = await addPhoneCode(byEmail, phone);
    const joined = await byEmail.post('/api/customer/contact', { phone: phone.typed, code });
    expect(joined.status, JSON.stringify(joined.body)).toBe(200);
    expect(joined.body).toMatchObject({
      customer: { id: keptId, email, phone: phone.e164 }, already: false,
      joined: { orders: 3, points: 20, addresses: 1, favourites: 2, sessionsEnded: 2 },
    });

    // points: the exact sum, every row once, and one row that says so and counts nothing
    const loyalty = (await byEmail.get('/api/customer/loyalty')).body;
    expect(loyalty.balance).toBe(30);
    expect(await balanceOf(keptId)).toBe(30);
    expect(await ledgerRows(keptId)).toBe(rowsBefore + 1);
    expect(loyalty.history[0]).toMatchObject({ reason: 'joined', points: 0, carried: 20, orderId: null });
    expect(loyalty.history.filter((h: { reason: string }) => h.reason === 'earned').map((h: { orderId: string }) => h.orderId).sort()).toEqual([a1.id, b1.id, b2.id].sort());
    // history, addresses and favourites together
    const me = (await byEmail.get('/api/customer/me')).body;
    expect(me.orders.map((o: { id: string }) => o.id).sort()).toEqual([a1.id, a2.id, b1.id, b2.id, b3.id].sort());
    expect(me.addresses.map((a: { street: string }) => a.street).sort()).toEqual(['3 rue Lepic', '8 rue de Charonne']);
    expect(me.favourites.map((f: { productId: number }) => f.productId).sort()).toEqual([margherita, reine].sort());
    // the other account is gone, with its sessions; the phone reaches this one
    for (const c of [byPhone, otherDevice]) expect((await c.get('/api/customer/me')).status).toBe(401);
    expect(await countOf(stack.pool, 'SELECT count(*) AS n FROM customers WHERE id = $1', [goneId])).toBe(0);
    expect(await accountsOf(email, phone)).toBe(1);
    expect(await idOf(await signedInByText(phone))).toBe(keptId);
    // audited: the accounts' numbers, kinds of contact and counts; no contact in clear
    const { rows: audits } = await stack.pool.query(`SELECT before, after FROM audit_log WHERE action = 'customer.join' AND entity_id = $1`, [keptId]);
    expect(audits).toEqual([{
      before: { contacts: ['email'], joined: { account: goneId, contacts: ['phone'] } },
      after: { contacts: ['email', 'phone'], orders: 3, points: 20, addresses: 1, favourites: 2, sessionsEnded: 2, ledgerRows: 2 },
    }]);
    expect(JSON.stringify(audits)).not.toMatch(new RegExp(`${email}|${phone.e164.slice(1)}`));

    // the same request again (a repeated tap): done already, nothing twice
    const again = await byEmail.post('/api/customer/contact', { phone: phone.typed, code });
    expect(again.status, JSON.stringify(again.body)).toBe(200);
    expect(again.body).toMatchObject({ already: true, joined: null });
    expect(await balanceOf(keptId)).toBe(30);
    expect(await ledgerRows(keptId)).toBe(rowsBefore + 1);

    // the export holds both contacts, every order and the joined row
    const data = (await byEmail.get('/api/customer/export')).body;
    expect(data.customer).toMatchObject({ email, phone: phone.e164 });
    expect(data.orders).toHaveLength(5);
    expect(data.loyaltyPoints).toContainEqual(expect.objectContaining({ reason: 'joined', points: 0, carriedPoints: 20 }));

    // erasing erases the one account: both contacts' codes, the orders of both anonymised
    const erased = await byEmail.delete('/api/customer/me');
    expect(erased.status, JSON.stringify(erased.body)).toBe(200);
    expect(erased.body.ordersAnonymised).toBe(5);
    expect(await accountsOf(email, phone)).toBe(0);
    expect(await countOf(stack.pool, 'SELECT count(*) AS n FROM customer_codes WHERE destination = ANY($1)', [[email, phone.e164]])).toBe(0);
    expect(await countOf(stack.pool, `SELECT count(*) AS n FROM orders WHERE id = ANY($1) AND (customer_name <> '-' OR door_code IS NOT NULL)`, [[a2.id, b1.id, b3.id]])).toBe(0);
  });

  it('a wrong code five times kills it, as at sign-in: nothing joined, and the right code after is refused', async () => {
    const email = freshEmail('tries');
    const phone = freshPhone();
    const byPhone = await signedInByText(phone);
    const goneId = await idOf(byPhone);
    const c = await signedInByEmail(email);
    const { code } = await addPhoneCode(c, phone);
    for (let left = 4; left >= 0; left--) {
      const r = await c.post('/api/customer/contact', { phone: phone.typed, code: wrongOf(code) });
      expect(r.status).toBe(401);
      expect(r.body.error.code).toBe('bad_code');
      if (left) expect(r.body.error.message).toContain(`${left} more`);
    }
    const right = await c.post('/api/customer/contact', { phone: phone.typed, code });
    expect(right.status).toBe(410);
    expect(right.body.error.message).toContain('too many wrong tries');
    expect((await c.get('/api/customer/me')).body.customer.phone).toBeNull();
    expect((await byPhone.get('/api/customer/me')).body.customer.id).toBe(goneId);
  });

  it('nothing joins without its code: not a typed phone, a guest order, a guess, a sign-in code, nor a code asked by another account', async () => {
    const s = await shopFor('no-proof');
    const email = freshEmail('victim');
    const phone = freshPhone();
    const holder = await signedInByText(phone);
    const holderId = await idOf(holder);
    await s.collected(holder, phone);
    const stranger = await signedInByEmail(freshEmail('stranger'));
    const strangerId = await idOf(stranger);
    // the holder's phone typed on the stranger's orders, signed in and as a guest
    await s.place(stranger, phone);
    await placeThroughApi(stack.base, { pizzeriaId: s.shop.id, productId: margherita, customer: { name: 'Mallory', phone: phone.typed, email } });
    // a code guessed, with none asked
    expect((await stranger.post('/api/customer/contact', { phone: phone.typed, code: '123456' })).status).toBe(410);
    // the holder's own sign-in code, even known, adds nothing (and still signs the holder in after)
    await aMinuteLater(phone.e164);
    const before = messages.gateway.texts.length;
    expect((await new Client(stack.base).post('/api/customer/code', { phone: phone.typed })).status).toBe(202);
    const signInCode = (await textedCode(phone.e164, before)).code;
    expect((await stranger.post('/api/customer/contact', { phone: phone.typed, code: signInCode })).status).toBe(410);
    expect((await new Client(stack.base).post('/api/customer/session', { phone: phone.typed, code: signInCode })).status).toBe(201);
    // a code asked by another account is that account's alone, and signs no one in
    const other = await signedInByEmail(freshEmail('other'));
    const { code } = await addPhoneCode(other, phone);
    expect((await stranger.post('/api/customer/contact', { phone: phone.typed, code })).status).toBe(410);
    expect((await new Client(stack.base).post('/api/customer/session', { phone: phone.typed, code })).status).toBe(410);
    // signed out, or malformed: refused before anything
    expect((await new Client(stack.base).post('/api/customer/contact/code', { phone: phone.typed })).status).toBe(401);
    expect((await new Client(stack.base).post('/api/customer/contact', { phone: phone.typed, code })).status).toBe(401);
    expect((await stranger.post('/api/customer/contact', { phone: phone.typed, code: '12345' })).status).toBe(422);
    expect((await stranger.post('/api/customer/contact/code', { phone: 'call me' })).status).toBe(422);

    // nothing moved: the holder keeps their account, orders and points; the stranger has no phone
    expect((await holder.get('/api/customer/me')).body.customer).toMatchObject({ id: holderId, phone: phone.e164 });
    expect(await balanceOf(holderId)).toBe(10);
    expect((await stranger.get('/api/customer/me')).body.customer.phone).toBeNull();
    expect(await balanceOf(strangerId)).toBe(0);
    expect(await countOf(stack.pool, `SELECT count(*) AS n FROM audit_log WHERE action LIKE 'customer.%' AND entity_id = ANY($1)`, [[holderId, strangerId]])).toBe(0);

    // proved, but its account already holds another email: refused, nothing changed
    const holderEmail = freshEmail('holder');
    const proved = await holder.post('/api/customer/contact', { email: holderEmail, code: await addEmailCode(holder, holderEmail) });
    expect(proved.status, JSON.stringify(proved.body)).toBe(200);
    const clash = await stranger.post('/api/customer/contact', { phone: phone.typed, code: (await addPhoneCode(stranger, phone)).code });
    expect(clash.status).toBe(409);
    expect(clash.body.error.code).toBe('contact_elsewhere');
    expect((await holder.get('/api/customer/me')).body.customer).toMatchObject({ id: holderId, email: holderEmail, phone: phone.e164 });
    expect((await stranger.get('/api/customer/me')).body.customer.phone).toBeNull();
  });

  it('joins at the same moment take turns: a tap sent twice joins once, crossed joins leave one account, and a hand-over beside a join counts its points once', async () => {
    const s = await shopFor('races');
    // the same code sent twice at once
    {
      const email = freshEmail('twice');
      const phone = freshPhone();
      const byPhone = await signedInByText(phone);
      await s.collected(byPhone, phone);
      const c = await signedInByEmail(email);
      await s.collected(c, phone);
      const id = await idOf(c);
      const { code } = await addPhoneCode(c, phone);
      const answers = await Promise.all([0, 1].map(() => c.post('/api/customer/contact', { phone: phone.typed, code })));
      expect(answers.map((a) => a.status)).toEqual([200, 200]);
      expect(answers.map((a) => a.body.already).sort()).toEqual([false, true]);
      expect(await balanceOf(id)).toBe(20);
      expect(await countOf(stack.pool, `SELECT count(*) AS n FROM loyalty_ledger WHERE customer_id = $1 AND reason = 'joined'`, [id])).toBe(1);
      expect(await accountsOf(email, phone)).toBe(1);
    }
    // crossed: the email's account adds the phone while the phone's account adds the email
    {
      const email = freshEmail('crossed');
      const phone = freshPhone();
      const byEmail = await signedInByEmail(email);
      await s.collected(byEmail, phone);
      const byPhone = await signedInByText(phone);
      await s.collected(byPhone, phone);
      await s.collected(byPhone, phone);
      const ids = [await idOf(byEmail), await idOf(byPhone)];
      const phoneCode = (await addPhoneCode(byEmail, phone)).code;
      const emailCode = await addEmailCode(byPhone, email);
      const answers = await Promise.all([
        byEmail.post('/api/customer/contact', { phone: phone.typed, code: phoneCode }),
        byPhone.post('/api/customer/contact', { email, code: emailCode }),
      ]);
      expect(answers.map((a) => a.status).sort(), JSON.stringify(answers)).toEqual([200, 401]);
      const { rows } = await stack.pool.query('SELECT id, email, phone FROM customers WHERE email = $1 OR phone = $2', [email, phone.e164]);
      expect(rows).toEqual([{ id: expect.anything(), email, phone: phone.e164 }]);
      expect(ids.map(String)).toContain(String(rows[0].id));
      expect(await balanceOf(rows[0].id)).toBe(30);
      expect(await countOf(stack.pool, `SELECT count(*) AS n FROM loyalty_ledger WHERE customer_id = $1 AND reason = 'joined'`, [rows[0].id])).toBe(1);
    }
    // a hand-over that earns the phone's account 10 points while it joins: the join is held half-way
    // (its sessions' rows locked here), the order is handed over then, and the join let go
    {
      const email = freshEmail('handover');
      const phone = freshPhone();
      const byPhone = await signedInByText(phone);
      const goneId = await idOf(byPhone);
      await s.collected(byPhone, phone);
      const waiting = await s.place(byPhone, phone);
      await s.ready(waiting.id);
      const c = await signedInByEmail(email);
      const id = await idOf(c);
      const { code } = await addPhoneCode(c, phone);
      const hold = await stack.pool.connect();
      try {
        await hold.query('BEGIN');
        await hold.query('SELECT 1 FROM customer_sessions WHERE customer_id = $1 FOR UPDATE', [goneId]);
        const joining = c.post('/api/customer/contact', { phone: phone.typed, code });
        const blockedBy = (pid: number) =>
          countOf(stack.pool, 'SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND $1 = ANY(pg_blocking_pids(pid))', [pid]);
        const joinPid = (await waitUntil(async () => (await stack.pool.query(
          `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'DELETE FROM customer_sessions WHERE customer_id%' AND wait_event_type = 'Lock'`,
        )).rows[0]?.pid as number | undefined, 15_000, 'the join held at its sessions'))!;
        const handing = s.counter.post(`/api/orders/${waiting.id}/status`, { to: 'collected', paymentMethod: 'cash' });
        // the hand-over waits for the join (it would otherwise write its points to the account going away)
        await waitUntil(async () => (await blockedBy(joinPid)) > 0, 15_000, 'the hand-over waiting for the join');
        await hold.query('COMMIT');
        const [joined, handed] = await Promise.all([joining, handing]);
        expect([joined.status, handed.status], JSON.stringify([joined.body, handed.body])).toEqual([200, 200]);
      } finally {
        await hold.query('ROLLBACK').catch(() => {});
        hold.release();
      }
      expect(await balanceOf(id)).toBe(20);
      expect(await countOf(stack.pool, `SELECT count(*) AS n FROM loyalty_ledger WHERE order_id = $1 AND customer_id = $2 AND reason = 'earned'`, [waiting.id, id])).toBe(1);
    }
  });
});
