// An account holds only what its holder proved, against real Postgres, Redis, an SMTP server and an
// SMS gateway in the test process. A stranger who types a customer's phone number (nationally, where
// the account has it in E.164) on a guest order of their own adds nothing to that account: not the
// order, not their address, not their email at the next checkout. A recycled number's new holder
// does not see the previous holder's orders or door codes. Orders placed signed in still join; a
// guest order joins only once the holder confirms it with its number (sent with every message about
// it to that contact at the time), and only then.
import { describe, expect, it } from 'vitest';
import { Client, createShop, placeThroughApi, seededProduct, waitUntil, addressFor } from '../helpers.ts';
import { useMessages, useStack } from '../services.ts';
import { checkoutPrefill, customerForSession, CUSTOMER_COOKIE } from '../../src/lib/server/customers/account.ts';

const messages = useMessages();
const stack = useStack({ env: () => messages.env() });
const margherita = seededProduct('margherita');
const tiramisu = seededProduct('tiramisu');

let seq = 0;
const freshEmail = (tag: string) => `${tag}-${Date.now()}-${++seq}@example.fr`;
/** Eight digits of the test's own: "07 xx xx xx xx" nationally, "+337xxxxxxxx" in E.164 (07: no overseas prefix starts so). */
const freshDigits = () => String((Date.now() * 10 + ++seq) % 100_000_000).padStart(8, '0');
const national = (d: string) => `07${d}`.replace(/(\d\d)(?=\d)/g, '$1 ');
const international = (d: string) => `+33 7 ${d}`;
const e164Of = (d: string) => `+337${d}`;

/** Signs in with the code texted to this phone (typed as given), on a client of its own. */
async function signedInByText(phone: string, to: string): Promise<Client> {
  const c = new Client(stack.base);
  // a second sign-in, as if a while after the first: past the minute between two codes
  await stack.pool.query(`UPDATE customer_codes SET created_at = created_at - interval '61 seconds' WHERE destination = $1`, [to]);
  const before = messages.gateway.texts.length;
  const asked = await c.post('/api/customer/code', { phone });
  expect(asked.status, JSON.stringify(asked.body)).toBe(202);
  const text = (await waitUntil(() => messages.gateway.texts.slice(before).find((t) => t.to === to && /\b\d{6}\b/.test(t.text)), 10_000, `the code texted to ${to}`))!;
  const r = await c.post('/api/customer/session', { phone, code: /\b(\d{6})\b/.exec(text.text)![1] });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return c;
}

async function signedInByEmail(email: string): Promise<Client> {
  const c = new Client(stack.base);
  const before = messages.smtp.inbox.length;
  expect((await c.post('/api/customer/code', { email })).status).toBe(202);
  const mail = (await waitUntil(() => messages.smtp.inbox.slice(before).find((m) => JSON.stringify(m.to).includes(email) && /code/i.test(m.subject ?? '')), 10_000, `the code emailed to ${email}`))!;
  const r = await c.post('/api/customer/session', { email, code: /\b(\d{6})\b/.exec(mail.text ?? '')![1] });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return c;
}

/** What the checkout would fill in for the client's customer. */
async function prefillOf(c: Client) {
  const token = c.cookie.startsWith(`${CUSTOMER_COOKIE}=`) ? c.cookie.slice(CUSTOMER_COOKIE.length + 1) : null;
  const customer = await customerForSession(stack.pool, token);
  expect(customer).toBeTruthy();
  return checkoutPrefill(stack.pool, customer!);
}

const guestDelivery = (shopId: number, who: { name: string; phone: string; email?: string }, doorCode: string) => ({
  pizzeriaId: shopId, productId: margherita, customer: who,
  address: { ...addressFor(shopId), street: `${10 + (seq % 80)} rue de la Roquette`, doorCode, floor: '5e', instructions: 'Interphone Mallory' },
});

describe('identity only from what was proved', () => {
  it("a stranger's guest order with the victim's phone typed nationally joins nothing: not the history, the addresses nor the checkout's email", async () => {
    const shop = await createShop(stack.pool, 'poison');
    const d = freshDigits();
    // the victim made their account with their phone, written internationally
    const first = await signedInByText(international(d), e164Of(d));
    expect((await first.get('/api/customer/me')).body.orders).toEqual([]);
    expect((await first.delete('/api/customer/session')).status).toBe(204);

    // a stranger orders as a guest with the victim's number, written nationally, and their own email and door
    const strangerEmail = freshEmail('mallory');
    const poison = await placeThroughApi(stack.base, guestDelivery(shop.id, { name: 'Mallory', phone: national(d), email: strangerEmail }, '9X31'));
    const { rows } = await stack.pool.query('SELECT phone_key FROM orders WHERE id = $1', [poison.id]);
    expect(rows[0].phone_key).toBe(e164Of(d));

    const victim = await signedInByText(national(d), e164Of(d));
    const me = await victim.get('/api/customer/me');
    expect(me.status).toBe(200);
    expect(me.body.orders).toEqual([]);
    expect(me.body.addresses).toEqual([]);
    const seen = JSON.stringify(me.body);
    for (const secret of [strangerEmail, '9X31', 'rue de la Roquette', 'Mallory', 'Interphone']) expect(seen).not.toContain(secret);
    const prefill = await prefillOf(victim);
    expect(prefill.email).toBeNull();
    expect(prefill.address).toBeNull();
    expect(prefill.phone).toBe(e164Of(d));
    expect(prefill.name).toBeNull();
    // nor does ordering it again work on it
    expect((await victim.post(`/api/customer/orders/${poison.id}/reorder`)).status).toBe(404);
    // offered to confirm, with harmless facts only
    expect(me.body.toConfirm).toEqual([{ id: poison.id, placedAt: expect.any(String), shop: { id: shop.id, name: expect.any(String) }, totalCents: poison.total }]);
  });

  it("a recycled number's new holder sees neither the previous holder's orders nor their door code, and cannot confirm them without their number", async () => {
    const shop = await createShop(stack.pool, 'recycled');
    const d = freshDigits();
    const before = await placeThroughApi(stack.base, guestDelivery(shop.id, { name: 'Ancien Titulaire', phone: international(d), email: freshEmail('previous') }, '7B42'));

    const holder = await signedInByText(national(d), e164Of(d));
    const me = (await holder.get('/api/customer/me')).body;
    expect(me.orders).toEqual([]);
    expect(me.addresses).toEqual([]);
    expect(JSON.stringify(me)).not.toContain('7B42');
    expect(me.customer.name).toBeNull();
    const exported = await holder.get('/api/customer/export');
    expect(exported.status).toBe(200);
    expect(JSON.stringify(exported.body)).not.toContain('7B42');
    expect(exported.body.orders).toEqual([]);

    // guessing the number: three wrong tries, then it is no longer offered, even with the right number
    const wrong = before.number === 999 ? 998 : before.number + 1;
    for (let i = 0; i < 3; i++) {
      const r = await holder.post(`/api/customer/orders/${before.id}/confirm`, { number: wrong + i });
      expect(r.status, JSON.stringify(r.body)).toBe(422);
      expect(r.body.error.fields.number).toBeTruthy();
    }
    const late = await holder.post(`/api/customer/orders/${before.id}/confirm`, { number: before.number });
    expect(late.status).toBe(404);
    const after = (await holder.get('/api/customer/me')).body;
    expect(after.orders).toEqual([]);
    expect(after.toConfirm).toEqual([]);
    expect(JSON.stringify(after)).not.toContain('7B42');
  });

  it('an order placed signed in still joins, with its address, and fills the next checkout', async () => {
    const shop = await createShop(stack.pool, 'signed-in');
    const d = freshDigits();
    const c = await signedInByText(national(d), e164Of(d));
    const email = freshEmail('own');
    const placed = await c.post('/api/orders', {
      pizzeriaId: shop.id, fulfilment: 'delivery', customer: { name: 'Jeanne Moreau', phone: national(d), email },
      address: { ...addressFor(shop.id), doorCode: '2468' }, items: [{ productId: tiramisu, quantity: 1 }], payment: 'on_delivery',
    });
    expect(placed.status, JSON.stringify(placed.body)).toBe(201);
    const me = (await c.get('/api/customer/me')).body;
    expect(me.orders.map((o: { id: string }) => o.id)).toEqual([placed.body.id]);
    expect(me.addresses).toEqual([expect.objectContaining({ street: addressFor(shop.id).street, doorCode: '2468' })]);
    expect(me.toConfirm).toEqual([]);
    // what the holder typed while signed in is theirs to be offered again
    expect(await prefillOf(c)).toMatchObject({ name: 'Jeanne Moreau', email, phone: national(d), address: expect.objectContaining({ doorCode: '2468' }) });
  });

  it('a guest order joins once the holder confirms it with its number, and only then; its address and email stay out of the checkout', async () => {
    const shop = await createShop(stack.pool, 'confirm');
    const email = freshEmail('confirm');
    const guest = await placeThroughApi(stack.base, guestDelivery(shop.id, { name: 'Paul Girard', phone: '06 44 55 66 77', email }, '1357'));
    const c = await signedInByEmail(email);
    let me = (await c.get('/api/customer/me')).body;
    expect(me.orders).toEqual([]);
    expect(me.toConfirm).toEqual([{ id: guest.id, placedAt: expect.any(String), shop: { id: shop.id, name: expect.any(String) }, totalCents: guest.total }]);

    // malformed, or someone else's: refused, nothing joined
    expect((await c.post(`/api/customer/orders/${guest.id}/confirm`, { number: 'one' })).status).toBe(422);
    const stranger = await signedInByEmail(freshEmail('stranger'));
    expect((await stranger.post(`/api/customer/orders/${guest.id}/confirm`, { number: guest.number })).status).toBe(404);
    expect((await new Client(stack.base).post(`/api/customer/orders/${guest.id}/confirm`, { number: guest.number })).status).toBe(401);
    const wrong = await c.post(`/api/customer/orders/${guest.id}/confirm`, { number: guest.number + 1 });
    expect(wrong.status).toBe(422);
    expect(wrong.body.error.message).toContain('2 more tries');
    me = (await c.get('/api/customer/me')).body;
    expect(me.orders).toEqual([]);

    const ok = await c.post(`/api/customer/orders/${guest.id}/confirm`, { number: guest.number });
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    me = (await c.get('/api/customer/me')).body;
    expect(me.orders.map((o: { id: string }) => o.id)).toEqual([guest.id]);
    expect(me.toConfirm).toEqual([]);
    // the order is theirs now (it can be ordered again), but nothing of it fills their account
    expect(me.addresses).toEqual([]);
    const prefill = await prefillOf(c);
    expect(prefill).toMatchObject({ email, phone: null, name: null, address: null });
    // once only
    expect((await c.post(`/api/customer/orders/${guest.id}/confirm`, { number: guest.number })).status).toBe(404);
  });
});
