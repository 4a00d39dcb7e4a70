// Paying at the door by QR code through Stripe's real client (the `stripe` package), against a local
// server that speaks Stripe Checkout's Sessions (tests/stripe-server.ts) and sends its webhooks
// signed as Stripe signs them: the driver carrying an order shows a code for exactly what it owes;
// the customer pays it on their phone and the order is paid by QR (door_qr) only on Stripe's signed
// word, once, in the journal and the takings, reconciled with Stripe's records; a failed or expired
// page leaves the order owing and the driver takes cash (the open page closed so it cannot be paid
// as well); a page paid first refuses the cash; a page paid after its order no longer owes it is
// given back; no one but the order's driver shows its code.
import { randomBytes, randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { Client, addressFor, assignDriver, createShop, move, seededProduct, waitUntil } from '../helpers.ts';
import { useFakeStripe, useStack } from '../services.ts';
import { stripeClient } from '../../src/lib/server/money/stripe.ts';

// a signing secret of this run's own, as Stripe's look (never a real one)
const WEBHOOK_SECRET = `whsec_${randomBytes(24).toString('hex')}`;
const stripe = useFakeStripe(WEBHOOK_SECRET);
const { fake } = stripe;
// the workers too: a manager's refund to the card is theirs to make
const stack = useStack({ env: () => ({ ...stripe.env(), OFFER_TIMEOUT_SECONDS: '0' }), workers: true });
const margherita = seededProduct('margherita');
const phone = () => `07${String(Math.floor(Math.random() * 1e8)).padStart(8, '0')}`;
const webhook = () => ({ url: `${stack.base}/api/payments/stripe/webhook`, secret: WEBHOOK_SECRET });

beforeAll(() => {
  fake.webhookTo = webhook();
});

/** A shop of the test's own, its staff signed in, its first driver on shift. */
async function shopOnTheRoad(tag: string) {
  const shop = await createShop(stack.pool, tag);
  const [driver, other, kitchen, manager] = await Promise.all(
    (['driver1', 'driver2', 'kitchen', 'manager'] as const).map((who) => new Client(stack.base).login(shop.email(who))),
  );
  await driver.post('/api/driver/shift', { onShift: true });
  return { shop, driver, other, kitchen, manager };
}
type Road = Awaited<ReturnType<typeof shopOnTheRoad>>;

/** A delivery paid at the door, out with the shop's driver. */
async function onTheWay(s: Road, quantity = 2) {
  const r = await new Client(stack.base).post('/api/orders', {
    pizzeriaId: s.shop.id, fulfilment: 'delivery', customer: { name: 'Zoé', phone: phone() }, address: addressFor(s.shop.id),
    items: [{ productId: margherita, quantity }], payment: 'on_delivery',
  });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  await move(s.kitchen, r.body.id, 'preparing');
  await move(s.kitchen, r.body.id, 'ready');
  // the workers' dispatch may give it to the shop's driver first (its only one on shift)
  const assigned = async () => (await stack.pool.query('SELECT driver_id FROM orders WHERE id = $1', [r.body.id])).rows[0].driver_id !== null;
  await waitUntil(async () => (await assigned()) || (await assignDriver(stack.pool, r.body.id)).assigned, 20_000, 'a driver for the delivery');
  await move(s.driver, r.body.id, 'out_for_delivery');
  return { id: r.body.id as string, total: r.body.total as number };
}

const order = async (c: Client, id: string) => (await c.get(`/api/orders/${id}`)).body;
const pinOf = async (id: string) => (await stack.pool.query<{ delivery_pin: string }>('SELECT delivery_pin FROM orders WHERE id = $1', [id])).rows[0].delivery_pin;
const sessionOfCode = async (codeId: string) => (await stack.pool.query<{ session_ref: string }>('SELECT session_ref FROM door_qr_payments WHERE id = $1', [codeId])).rows[0].session_ref;
const journalWays = async (id: string) => {
  const { rows } = await stack.pool.query<{ kind: string; body: { payments?: { way: string; cents: number }[] } }>('SELECT kind, body FROM fiscal_entries WHERE order_id = $1 ORDER BY seq', [id]);
  return rows.flatMap((r) => (r.body.payments ?? []).map((p) => ({ kind: r.kind, ...p })));
};

describe('paying at the door by QR code', () => {
  it("the customer pays the code on their phone: the order is paid by QR on Stripe's word, once, in the journal and the takings", async () => {
    const s = await shopOnTheRoad('qr-ok');
    const o = await onTheWay(s);
    // only the driver carrying it shows its code
    for (const c of [s.other, s.kitchen, s.manager]) expect((await c.post(`/api/orders/${o.id}/door-qr`, {})).status).toBe(403);
    expect(fake.sessionOf(o.id)).toBeUndefined();

    const shown = await s.driver.post(`/api/orders/${o.id}/door-qr`, {});
    expect(shown.status, JSON.stringify(shown.body)).toBe(201);
    expect(shown.body).toMatchObject({ orderId: o.id, amountCents: o.total, state: 'open', url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/c\/pay\/cs_test_/) });
    expect(shown.body.qrSvg).toMatch(/^<svg[^>]*viewBox/);
    const session = fake.sessionOf(o.id)!;
    expect(session).toMatchObject({ mode: 'payment', status: 'open', amount_total: o.total, currency: 'eur', url: shown.body.url, metadata: { order_id: o.id, door_qr: shown.body.id } });
    expect(session.expires_at - session.created).toBeGreaterThanOrEqual(30 * 60 - 1);
    // asked again (the panel opened again): the same code, no second page at Stripe
    expect((await s.driver.post(`/api/orders/${o.id}/door-qr`, {})).body.id).toBe(shown.body.id);
    expect(fake.calls.filter((c) => c.path === '/v1/checkout/sessions' && c.method === 'POST')).toHaveLength(1);
    expect((await s.other.get(`/api/door-qr/${shown.body.id}`)).status).toBe(404);

    // a forged "completed" (not Stripe's signature): 400, nothing changes
    fake.webhookTo = { ...webhook(), secret: `whsec_${randomBytes(24).toString('hex')}` };
    await fake.send('checkout.session.completed', { ...session, status: 'complete', payment_status: 'paid' });
    fake.webhookTo = webhook();
    expect(fake.sent.at(-1)!.status).toBe(400);
    expect(await order(s.driver, o.id)).toMatchObject({ amountDueCents: o.total, paidCents: 0 });

    await fake.completeSession(session.id);
    const completed = fake.sent.at(-1)!;
    expect(completed).toMatchObject({ type: 'checkout.session.completed', status: 200 });
    const paid = await order(s.driver, o.id);
    expect(paid).toMatchObject({ status: 'out_for_delivery', amountDueCents: 0, paidCents: o.total, delivery: { collected: { cents: o.total, method: 'qr' } } });
    expect((await s.driver.get(`/api/door-qr/${shown.body.id}`)).body).toMatchObject({ state: 'paid', qrSvg: null });
    // Stripe repeats the event, and sends another for the same session: nothing more
    await fake.send('checkout.session.completed', fake.sessions.get(session.id)!, completed.id);
    await fake.send('checkout.session.completed', fake.sessions.get(session.id)!);
    expect(fake.sent.slice(-2).map((e) => e.status)).toEqual([200, 200]);
    expect(await order(s.driver, o.id)).toMatchObject({ version: paid.version, paidCents: o.total });
    expect((await stack.pool.query('SELECT outcome FROM payment_events WHERE event_id = $1', [completed.id])).rows).toEqual([{ outcome: 'captured' }]);
    // nothing more owed: no second code
    expect((await s.driver.post(`/api/orders/${o.id}/door-qr`, {})).body.error.code).toBe('nothing_due');

    // the PIN closes the delivery with nothing to collect; a tap queued before still saying "cash" collects nothing more
    const delivered = await s.driver.post(`/api/orders/${o.id}/deliver`, { proof: { pin: await pinOf(o.id) }, collected: { amountCents: o.total, method: 'cash' } });
    expect(delivered.status, JSON.stringify(delivered.body)).toBe(200);
    expect(delivered.body).toMatchObject({ status: 'delivered', paidCents: o.total, delivery: { collected: { cents: o.total, method: 'qr' } } });
    expect(await journalWays(o.id)).toEqual([{ kind: 'sale', way: 'door_qr', cents: o.total }]);
    const takings = (await s.manager.get(`/api/shops/${s.shop.id}/takings`)).body.shops[0];
    expect(takings.takenCents).toMatchObject({ door_qr: o.total });
    expect(takings.takenCents.door_cash ?? 0).toBe(0);
    // paid through Stripe: not re-booked as cash
    const fix = await s.manager.post(`/api/orders/${o.id}/payment-corrections`, { part: 'handover', to: 'cash', reason: 'Espèces en fait' });
    expect(fix.status).toBe(409);
    expect(fix.body.error.code).toBe('correction_provider');

    // a manager's refund goes back to the card the customer paid the code with, through Stripe
    const intent = fake.sessions.get(session.id)!.payment_intent as string;
    expect((await s.manager.get(`/api/orders/${o.id}/refunds`)).body.parts).toEqual([expect.objectContaining({ method: 'provider', way: 'door_qr', refundableCents: o.total })]);
    const asked = await fetch(`${stack.base}/api/orders/${o.id}/refunds`, {
      method: 'POST', headers: { 'content-type': 'application/json', cookie: s.manager.cookie, 'idempotency-key': randomUUID() }, body: JSON.stringify({ amountCents: 500, reason: 'late' }),
    });
    expect(asked.status).toBe(202);
    await waitUntil(async () => (await order(s.manager, o.id)).refundedCents === 500, 15_000, 'the refund made by the workers');
    expect(fake.refunds.filter((r) => r.payment_intent === intent).map((r) => r.amount)).toEqual([500]);
    // its credit note in the journal says it went back to the card, not from the till
    await waitUntil(async () => (await stack.pool.query(`SELECT 1 FROM fiscal_entries WHERE order_id = $1 AND kind = 'refund'`, [o.id])).rowCount === 1, 10_000, 'the credit note in the journal');
    const { rows: notes } = await stack.pool.query<{ body: { refunds: unknown } }>(`SELECT body FROM fiscal_entries WHERE order_id = $1 AND kind = 'refund'`, [o.id]);
    expect(notes[0].body.refunds).toEqual([{ via: 'online', cents: 500 }]);
  });

  it('a failed or expired page leaves the order owing; the driver takes cash, and the open page is closed so it cannot be paid too', async () => {
    const s = await shopOnTheRoad('qr-no');
    const o = await onTheWay(s);
    const first = (await s.driver.post(`/api/orders/${o.id}/door-qr`, {})).body;
    // a delayed payment method that fails after the page completed
    await fake.completeSession(await sessionOfCode(first.id), 'delayed_failed');
    expect(fake.sent.slice(-2).map((e) => [e.type, e.status])).toEqual([['checkout.session.completed', 200], ['checkout.session.async_payment_failed', 200]]);
    expect((await s.driver.get(`/api/door-qr/${first.id}`)).body.state).toBe('failed');
    expect(await order(s.driver, o.id)).toMatchObject({ amountDueCents: o.total, paidCents: 0, delivery: { collected: null } });

    // a new code, left unpaid until it expires
    const second = (await s.driver.post(`/api/orders/${o.id}/door-qr`, {})).body;
    expect(second.id).not.toBe(first.id);
    await fake.expireSession(await sessionOfCode(second.id));
    expect(fake.sent.at(-1)).toMatchObject({ type: 'checkout.session.expired', status: 200 });
    expect((await s.driver.get(`/api/door-qr/${second.id}`)).body.state).toBe('expired');
    expect(await order(s.driver, o.id)).toMatchObject({ amountDueCents: o.total, paidCents: 0 });

    // a third code shown, then the customer pays cash: the page is closed at Stripe before the cash is recorded
    const third = (await s.driver.post(`/api/orders/${o.id}/door-qr`, {})).body;
    const ref = await sessionOfCode(third.id);
    const cash = await s.driver.post(`/api/orders/${o.id}/deliver`, { proof: { pin: await pinOf(o.id) }, collected: { amountCents: o.total, method: 'cash' } });
    expect(cash.status, JSON.stringify(cash.body)).toBe(200);
    expect(cash.body).toMatchObject({ status: 'delivered', delivery: { collected: { method: 'cash' } } });
    expect(fake.sessions.get(ref)!.status).toBe('expired');
    await expect(fake.completeSession(ref)).rejects.toThrow(/not open/);
    expect((await s.driver.get(`/api/door-qr/${third.id}`)).body.state).toBe('expired');
    expect(await journalWays(o.id)).toEqual([{ kind: 'sale', way: 'door_cash', cents: o.total }]);
  });

  it('a page the customer paid first refuses the cash; one paid after the driver took cash (Stripe out of reach) is given back, once Stripe takes refunds again', async () => {
    const s = await shopOnTheRoad('qr-twice');
    const o = await onTheWay(s);
    const code = (await s.driver.post(`/api/orders/${o.id}/door-qr`, {})).body;
    // the customer pays, Stripe's webhook still on its way
    fake.webhookTo = null;
    await fake.completeSession(await sessionOfCode(code.id));
    fake.webhookTo = webhook();
    const cash = await s.driver.post(`/api/orders/${o.id}/deliver`, { proof: { pin: await pinOf(o.id) }, collected: { amountCents: o.total, method: 'cash' } });
    expect(cash.status).toBe(409);
    expect(cash.body.error.code).toBe('door_qr_paid');
    expect(await order(s.driver, o.id)).toMatchObject({ status: 'out_for_delivery', amountDueCents: o.total });
    // the webhook arrives: paid by QR, then delivered with nothing to collect
    await fake.send('checkout.session.completed', fake.sessions.get(await sessionOfCode(code.id))!);
    expect(await order(s.driver, o.id)).toMatchObject({ amountDueCents: 0, delivery: { collected: { method: 'qr' } } });
    expect((await s.driver.post(`/api/orders/${o.id}/deliver`, { proof: { pin: await pinOf(o.id) } })).status).toBe(200);

    // another order, its code shown; Stripe out of reach when the customer pays cash instead: the
    // cash is taken all the same, and the page, still open at Stripe, paid after, is given back
    const late = await onTheWay(s, 1);
    const lateCode = (await s.driver.post(`/api/orders/${late.id}/door-qr`, {})).body;
    const lateRef = await sessionOfCode(lateCode.id);
    fake.outage = (c) => c.path.startsWith('/v1/checkout/sessions/');
    const cashInstead = await s.driver.post(`/api/orders/${late.id}/deliver`, { proof: { pin: await pinOf(late.id) }, collected: { amountCents: late.total, method: 'cash' } });
    fake.outage = null;
    expect(cashInstead.status, JSON.stringify(cashInstead.body)).toBe(200);
    expect(fake.sessions.get(lateRef)!.status).toBe('open');
    // paid, while Stripe refuses refunds for a moment: kept as owed back, and the reconciler tries again
    fake.outage = (c) => c.path === '/v1/refunds';
    await fake.completeSession(lateRef);
    expect(fake.sent.at(-1)!.status).toBe(200);
    const intent = fake.sessions.get(lateRef)!.payment_intent!;
    await new Promise((r) => setTimeout(r, 1500));
    expect(fake.refunds.filter((r) => r.payment_intent === intent)).toEqual([]);
    expect((await s.manager.get(`/api/door-qr/${lateCode.id}`)).body.state).toBe('refund_due');
    fake.outage = null;
    expect((await stack.workers.reconcile()).refunds).toBeGreaterThanOrEqual(1);
    await waitUntil(() => fake.refunds.find((r) => r.payment_intent === intent), 10_000, 'the late payment given back');
    expect(fake.refunds.filter((r) => r.payment_intent === intent).map((r) => r.amount)).toEqual([late.total]);
    // recorded once Stripe's answer is back in the job (a moment after Stripe made the refund)
    await expect.poll(async () => (await s.manager.get(`/api/door-qr/${lateCode.id}`)).body.state).toBe('refunded');
    // Stripe repeats the event: not given back twice
    await fake.send('checkout.session.completed', fake.sessions.get(lateRef)!);
    expect(fake.refunds.filter((r) => r.payment_intent === intent)).toHaveLength(1);
    expect(await order(s.manager, late.id)).toMatchObject({ status: 'delivered', paidCents: late.total, delivery: { collected: { method: 'cash' } } });
    expect(await journalWays(late.id)).toEqual([{ kind: 'sale', way: 'door_cash', cents: late.total }]);
  });

  it("the day's QR takings reconciled with Stripe's records to the cent, and a planted difference", async () => {
    const s = await shopOnTheRoad('qr-takings');
    const o = await onTheWay(s);
    const code = (await s.driver.post(`/api/orders/${o.id}/door-qr`, {})).body;
    await fake.completeSession(await sessionOfCode(code.id));
    const check = async () => (await s.manager.get(`/api/shops/${s.shop.id}/door-qr-reconciliation`)).body.reconciliation;
    expect(await check()).toEqual({ shopId: s.shop.id, recordedCents: o.total, providerCents: o.total, differences: [] });

    // Stripe holds a paid door page of this shop the till never recorded
    const planted = await stripeClient(stripe.env())!.checkout.sessions.create({
      mode: 'payment', line_items: [{ quantity: 1, price_data: { currency: 'eur', unit_amount: 1234, product_data: { name: 'Planted' } } }],
      metadata: { door_qr: 'planted', pizzeria_id: String(s.shop.id) },
    });
    await fake.completeSession(planted.id);
    expect(await check()).toEqual({
      shopId: s.shop.id, recordedCents: o.total, providerCents: o.total + 1234,
      differences: [{ paymentRef: planted.id, recordedCents: 0, providerCents: 1234 }],
    });
    // another shop's manager does not read it; a driver neither
    const other = await createShop(stack.pool, 'qr-takings-other');
    const otherManager = await new Client(stack.base).login(other.email('manager'));
    expect((await otherManager.get(`/api/shops/${s.shop.id}/door-qr-reconciliation`)).status).toBe(404);
    expect((await s.driver.get(`/api/shops/${s.shop.id}/door-qr-reconciliation`)).status).toBe(403);
  });

  it("refuses what is not the driver's to show, and answers bad ids with a 404", async () => {
    const s = await shopOnTheRoad('qr-who');
    const o = await onTheWay(s);
    const stranger = await shopOnTheRoad('qr-who-other');
    expect((await stranger.driver.post(`/api/orders/${o.id}/door-qr`, {})).status).toBe(403);
    expect((await s.driver.post('/api/orders/not-an-id/door-qr', {})).status).toBe(404);
    expect((await s.driver.get('/api/door-qr/not-an-id')).status).toBe(404);
    expect((await s.driver.post(`/api/orders/${crypto.randomUUID()}/door-qr`, {})).status).toBe(404);
    // a ready order waiting for its driver: not at the door yet
    const r = await new Client(stack.base).post('/api/orders', {
      pizzeriaId: s.shop.id, fulfilment: 'delivery', customer: { name: 'Léa', phone: phone() }, address: addressFor(s.shop.id),
      items: [{ productId: margherita, quantity: 1 }], payment: 'on_delivery',
    });
    await move(s.kitchen, r.body.id, 'preparing');
    await move(s.kitchen, r.body.id, 'ready');
    // the workers' dispatch may give it to the shop's driver first (its only one on shift)
  const assigned = async () => (await stack.pool.query('SELECT driver_id FROM orders WHERE id = $1', [r.body.id])).rows[0].driver_id !== null;
  await waitUntil(async () => (await assigned()) || (await assignDriver(stack.pool, r.body.id)).assigned, 20_000, 'a driver for the delivery');
    expect((await s.driver.post(`/api/orders/${r.body.id}/door-qr`, {})).body.error.code).toBe('not_on_the_way');
    // the driver closes a code: closed at Stripe, and closed again is refused
    const code = (await s.driver.post(`/api/orders/${o.id}/door-qr`, {})).body;
    expect((await stranger.driver.post(`/api/door-qr/${code.id}/cancel`, {})).status).toBe(404);
    const closed = await s.driver.post(`/api/door-qr/${code.id}/cancel`, {});
    expect(closed.status, JSON.stringify(closed.body)).toBe(200);
    expect(closed.body.state).toBe('expired');
    expect(fake.sessions.get(await sessionOfCode(code.id))!.status).toBe('expired');
    expect((await s.driver.post(`/api/door-qr/${code.id}/cancel`, {})).body.error.code).toBe('door_qr_settled');
  });
});
