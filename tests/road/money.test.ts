// Money that adds up: what is recorded as paid is what the payment provider held or took, every
// difference between paid and owed is an explicit amount (due at the door, captured for less, or
// refunded through the provider), and a manager marks an order paid only by saying how. Real
// Postgres, Redis and BullMQ; online payments go through the demo payment page (events signed and
// received like Stripe's), so nothing depends on timing.
import { beforeAll, describe, expect, it } from 'vitest';
import { seededProduct, CARDS, Client, countOf, addressFor, createShop, userId, testConfig, waitUntil, move, payAndWaitReceived, payOnDemoPage, placeThroughApi, publishAll } from '../helpers.ts';
import { useStack } from '../services.ts';
import { jobId } from '../../src/lib/server/kernel/queues.ts';
import type { DemoPaymentProvider } from '../../src/lib/server/money/demo.ts';
import { demoIntent } from '../../src/lib/server/money/demo.ts';
import { signStripeEvent } from '../../src/lib/server/money/stripe.ts';

const ENV = { PREP_TARGET_SECONDS: '600', DISPATCH_RETRY_MS: '300' };
const LIVE = 20_000;

const stack = useStack({ env: ENV, workers: true });
const margherita = seededProduct('margherita');
// a shop of its own, with plenty in stock: other files' orders at the demo shops share this database
let shop: Awaited<ReturnType<typeof createShop>>;
const secret = testConfig().paymentWebhookSecret!;

beforeAll(async () => {
  shop = await createShop(stack.pool, 'money');
});

const margheritas = (quantity: number) => [{ productId: margherita, quantity }];

const place = (overrides: Record<string, unknown> = {}) =>
  placeThroughApi(stack.base, { pizzeriaId: shop.id, productId: margherita, fulfilment: 'pickup', payment: 'online', ...overrides });

const track = async (token: string) => (await new Client(stack.base).get(`/api/track/${token}`)).body;
const provider = () => stack.workers.provider as DemoPaymentProvider;

/** The payment of one attempt was made by the workers (the page can take a card). */
const paymentReady = (orderId: string, attempt: number) =>
  waitUntil(async () => (await stack.workers.queues.payments.getJob(jobId.paymentBegin(orderId, attempt)))?.finishedOn, LIVE, `the payment of attempt ${attempt}`);

/** A card hold the provider reports for an attempt (a customer who paid on a form still open), signed like the webhook's. */
async function holdReported(orderId: string, attempt: number, amount: number) {
  const payload = JSON.stringify({
    id: `evt_hold_${orderId.slice(0, 8)}_${attempt}_${amount}`, object: 'event', type: 'payment_intent.amount_capturable_updated',
    data: { object: { id: demoIntent(orderId, attempt).id, object: 'payment_intent', status: 'requires_capture', amount, amount_capturable: amount, metadata: { order_id: orderId, attempt: String(attempt) } } },
  });
  const res = await fetch(`${stack.base}/api/payments/stripe/webhook`, { method: 'POST', headers: { 'content-type': 'application/json', 'stripe-signature': signStripeEvent(payload, secret) }, body: payload });
  expect(res.status).toBe(200);
  return JSON.parse(payload).id as string;
}
const movements = async (orderId: string) =>
  (await stack.pool.query<{ kind: string; amount_cents: number; payment_intent_id: string }>('SELECT kind, amount_cents, payment_intent_id FROM payment_movements WHERE order_id = $1 ORDER BY id', [orderId])).rows;

async function paidOrder(overrides: Record<string, unknown> = {}) {
  const placed = await place(overrides);
  await payAndWaitReceived(stack.base, placed.trackingToken, LIVE);
  expect(await track(placed.trackingToken)).toMatchObject({ status: 'received', payment: { status: 'authorised', paidWith: 'online' }, paidCents: placed.total });
  return placed;
}

const eventsOf = async (orderId: string) =>
  (await publishAll(stack.pool), await stack.pool.query(`SELECT type, actor, payload FROM order_events WHERE order_id = $1 ORDER BY id`, [orderId])).rows;

describe('paying online', () => {
  it('when the customer changes an order while its payment is pending, the payment starts again for the new total; a hold of the old total is let go, and the order is held what it now costs', async () => {
    const placed = await place();
    expect(placed.status).toBe('pending_payment');
    await paymentReady(placed.id, 1);

    const changed = await new Client(stack.base).patch(`/api/track/${placed.trackingToken}`, { items: margheritas(3) });
    expect(changed.status, JSON.stringify(changed.body)).toBe(200);
    expect(changed.body).toMatchObject({ status: 'pending_payment', payment: { attempt: 2, status: 'pending' }, paidCents: 0 });
    const newTotal = changed.body.totalCents;
    expect(newTotal).toBeGreaterThan(placed.total);
    await paymentReady(placed.id, 2);

    // the customer had paid the first amount on a form still open: not for the attempt in progress, so let go
    const stale = await holdReported(placed.id, 1, placed.total);
    // nor does a hold of the right attempt for the wrong amount take the order to the kitchen
    const short = await holdReported(placed.id, 2, placed.total);
    const oldIntent = demoIntent(placed.id, 1).id;
    await waitUntil(async () => (await movements(placed.id)).filter((m) => m.kind === 'released').length === 2, LIVE, 'both holds to be let go');
    expect(await track(placed.trackingToken)).toMatchObject({ status: 'pending_payment', paidCents: 0, payment: { status: 'pending' } });
    expect([...provider().releases.values()].filter((r) => r.orderId === placed.id).map((r) => r.intentId).sort()).toEqual([oldIntent, demoIntent(placed.id, 2).id].sort());

    await payAndWaitReceived(stack.base, placed.trackingToken, LIVE);
    expect(await track(placed.trackingToken)).toMatchObject({ status: 'received', paidCents: newTotal, amountDueCents: 0, refundDueCents: 0, amountToCollect: 0, payment: { status: 'authorised', paidWith: 'online', attempt: 2 } });
    const outcomes = (await stack.pool.query(`SELECT event_id, outcome FROM payment_events WHERE order_id = $1`, [placed.id])).rows;
    expect(outcomes.filter((o) => [stale, short].includes(o.event_id)).map((o) => o.outcome)).toEqual(['release', 'release']);
    expect(outcomes.filter((o) => o.outcome === 'authorised')).toHaveLength(1);
    expect((await eventsOf(placed.id)).map((e) => [e.type, e.payload.status])).toEqual([
      ['order.placed', 'pending_payment'],
      ['order.payment_ready', 'pending_payment'],
      ['order.modified', 'pending_payment'],
      ['order.payment_ready', 'pending_payment'],
      ['order.status', 'received'],
    ]);
  });

  it('a card the bank refuses leaves the order waiting, and another card pays it', async () => {
    const placed = await place();
    expect(await payOnDemoPage(stack.base, placed.trackingToken, CARDS.declined, LIVE)).toEqual({ accepted: false, refused: expect.stringMatching(/declined/) });
    await waitUntil(async () => (await track(placed.trackingToken)).payment.status === 'failed', LIVE, 'the refusal to be recorded');
    expect(await track(placed.trackingToken)).toMatchObject({ status: 'pending_payment', paidCents: 0 });
    await payAndWaitReceived(stack.base, placed.trackingToken, LIVE);
    expect((await movements(placed.id)).map((m) => [m.kind, m.amount_cents])).toEqual([['failed', 0], ['authorised', placed.total]]);
  });

  it('a bad card number, a past expiry or a missing code is refused with the field to correct, and changes nothing', async () => {
    const placed = await place();
    await paymentReady(placed.id, 1);
    const pay = (card: Record<string, unknown>) => new Client(stack.base).post(`/api/track/${placed.trackingToken}/demo-pay`, card);
    const wrong = await pay({ number: '4242 4242 4242 4241', expiry: '12/34', cvc: '123' });
    expect(wrong.status).toBe(422);
    expect(Object.keys(wrong.body.error.fields)).toEqual(['number']);
    expect((await pay({ number: CARDS.accepted, expiry: '01/20', cvc: '123' })).body.error.fields).toHaveProperty('expiry');
    expect((await pay({ number: CARDS.accepted, expiry: '12/34' })).body.error.fields).toHaveProperty('cvc');
    expect((await pay({ number: CARDS.accepted, expiry: '12/34', cvc: '123', amount: 1 })).status).toBe(422);
    expect((await new Client(stack.base).post(`/api/track/not-a-token/demo-pay`, { number: CARDS.accepted, expiry: '12/34', cvc: '123' })).status).toBe(404);
    expect(await track(placed.trackingToken)).toMatchObject({ status: 'pending_payment', version: 2, payment: { status: 'pending' } });
    expect(await movements(placed.id)).toEqual([]);
  });

  it('whatever is typed in a field of the demo page (empty, letters, too long, unicode), the answer names that field, as JSON or to the plain form; an expiry typed "1230" pays', async () => {
    const placed = await place();
    await paymentReady(placed.id, 1);
    const url = `${stack.base}/api/track/${placed.trackingToken}/demo-pay`;
    const good = { number: CARDS.accepted, expiry: '12/34', cvc: '123' };
    for (const field of ['number', 'expiry', 'cvc'] as const) {
      for (const odd of ['', 'abcd', '9'.repeat(3000), '１２／３٤ 🙂']) {
        const card = { ...good, [field]: odd };
        const json = await new Client(stack.base).post(`/api/track/${placed.trackingToken}/demo-pay`, card);
        expect([json.status, Object.keys(json.body?.error?.fields ?? {})], `${field} = ${odd.slice(0, 12)}`).toEqual([422, [field]]);
        // the page before its script: sent back to the form with the field to correct
        const form = await fetch(url, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(card).toString() });
        expect([form.status, form.headers.get('location')], `${field} = ${odd.slice(0, 12)} (form)`).toEqual([303, `/track/${placed.trackingToken}/pay?error=card.${field}`]);
      }
    }
    expect(await track(placed.trackingToken)).toMatchObject({ status: 'pending_payment', payment: { status: 'pending' } });
    expect(await movements(placed.id)).toEqual([]);
    // the iPhone's numeric keypad has no "/"
    const paid = await new Client(stack.base).post(`/api/track/${placed.trackingToken}/demo-pay`, { ...good, expiry: '1234' });
    expect(paid.status, JSON.stringify(paid.body)).toBe(202);
    expect(paid.body.accepted).toBe(true);
    await waitUntil(async () => (await track(placed.trackingToken)).status === 'received', LIVE, 'the payment to take the order to the kitchen');
  });
});

describe('holds, captures and refunds', () => {
  it('when a customer cancels an order whose card is held, the hold is let go and nothing is taken', async () => {
    const placed = await paidOrder();
    const cancelled = await new Client(stack.base).post(`/api/track/${placed.trackingToken}/cancel`);
    expect(cancelled.status).toBe(200);
    expect(cancelled.body).toMatchObject({ status: 'cancelled', cancelReason: 'customer', refundDueCents: placed.total, amountDueCents: 0, amountToCollect: 0 });

    const released = await waitUntil(async () => {
      const t = await track(placed.trackingToken);
      return t.refundedCents > 0 && t;
    }, LIVE, 'the hold to be let go');
    expect(released).toMatchObject({ refundedCents: placed.total, refundDueCents: 0, payment: { status: 'refunded' } });
    expect([...provider().releases.values()].filter((r) => r.orderId === placed.id)).toHaveLength(1);
    expect([...provider().captures.values()].filter((r) => r.orderId === placed.id)).toEqual([]);
    expect([...provider().refunds.values()].filter((r) => r.orderId === placed.id)).toEqual([]);
    expect((await movements(placed.id)).map((m) => [m.kind, m.amount_cents])).toEqual([['authorised', placed.total], ['released', placed.total]]);
    // published a moment after the release (another process's publish may hold it as this one reads)
    await expect.poll(async () => (await eventsOf(placed.id)).map((e) => e.type).at(-1)).toBe('order.refunded');
  });

  it('when a held order is reduced, the kitchen start captures what it now costs and lets the rest go; when it then grows, the rest is due at the counter', async () => {
    const placed = await paidOrder({ items: margheritas(2) });
    expect(placed.total).toBe(2100);
    const reduced = await new Client(stack.base).patch(`/api/track/${placed.trackingToken}`, { items: margheritas(1) });
    expect(reduced.status).toBe(200);
    expect(reduced.body).toMatchObject({ totalCents: 1050, paidCents: 2100, refundDueCents: 1050, amountDueCents: 0 });

    const kitchen = await new Client(stack.base).login(shop.email('kitchen'));
    await move(kitchen, placed.id, 'preparing');
    const captured = await waitUntil(async () => {
      const t = await track(placed.trackingToken);
      return t.payment.status === 'paid' && t;
    }, LIVE, 'the capture');
    expect(captured).toMatchObject({ paidCents: 1050, refundDueCents: 0, amountDueCents: 0 });
    expect([...provider().captures.values()].filter((c) => c.orderId === placed.id).map((c) => c.amountCents)).toEqual([1050]);
    expect((await movements(placed.id)).map((m) => [m.kind, m.amount_cents])).toEqual([['authorised', 2100], ['captured', 1050], ['released', 1050]]);
    expect([...provider().refunds.values()].filter((r) => r.orderId === placed.id)).toEqual([]);

    await move(kitchen, placed.id, 'ready');
    const collected = await move(kitchen, placed.id, 'collected');
    expect(collected).toMatchObject({ amountDueCents: 0, refundDueCents: 0, paidCents: 1050 });
  });
});

describe('marking an order paid', () => {
  it('when an order paid in cash at the shop is reduced, the difference is given back at the counter on collection, not through the provider', async () => {
    const placed = await place({ items: margheritas(2) });
    await paymentReady(placed.id, 1);
    const manager = await new Client(stack.base).login(shop.email('manager'));
    expect((await manager.post(`/api/orders/${placed.id}/status`, { to: 'received', paymentMethod: 'cash' })).status).toBe(200);
    const reduced = await new Client(stack.base).patch(`/api/track/${placed.trackingToken}`, { items: margheritas(1) });
    expect(reduced.body).toMatchObject({ totalCents: 1050, paidCents: 2100, refundDueCents: 1050, amountDueCents: 0 });

    const kitchen = await new Client(stack.base).login(shop.email('kitchen'));
    await move(kitchen, placed.id, 'preparing');
    await move(kitchen, placed.id, 'ready');
    const collected = await move(kitchen, placed.id, 'collected');
    expect(collected).toMatchObject({ refundDueCents: 0, refundedCents: 1050, amountDueCents: 0 });
    expect(collected.refundedAt).toBeTruthy();
    expect([...provider().refunds.values()].filter((r) => r.orderId === placed.id)).toEqual([]);
  });

  it('a manager marks a pending online order paid only by saying how the money was taken, and the order and its event record it', async () => {
    const placed = await place();
    await paymentReady(placed.id, 1); // the customer is paying online meanwhile
    const manager = await new Client(stack.base).login(shop.email('manager'));
    const without = await manager.post(`/api/orders/${placed.id}/status`, { to: 'received' });
    expect(without.status).toBe(422);
    expect(without.body.error.fields.paymentMethod).toMatch(/cash/);
    const wrong = await manager.post(`/api/orders/${placed.id}/status`, { to: 'received', paymentMethod: 'iou' });
    expect(wrong.status).toBe(422);
    expect(wrong.body.error.fields.paymentMethod).toBeTruthy();
    expect(await track(placed.trackingToken)).toMatchObject({ status: 'pending_payment', version: 2, paidCents: 0 });

    const marked = await manager.post(`/api/orders/${placed.id}/status`, { to: 'received', paymentMethod: 'cash' });
    expect(marked.status).toBe(200);
    expect(marked.body).toMatchObject({ status: 'received', paidCents: placed.total, amountDueCents: 0, payment: { status: 'paid', paidWith: 'cash' } });
    const last = (await eventsOf(placed.id)).at(-1)!;
    expect(last.actor).toBe(`manager:${await userId(stack.pool, shop.email('manager'))}`);
    expect(last.payload.payment).toMatchObject({ status: 'paid', paidWith: 'cash' });

    // the page takes no card any more; a hold made meanwhile on a form still open does not count twice: it is let go
    expect((await new Client(stack.base).post(`/api/track/${placed.trackingToken}/demo-pay`, { number: CARDS.accepted, expiry: '12/34', cvc: '123' })).status).toBe(409);
    await holdReported(placed.id, 1, placed.total);
    await waitUntil(async () => (await movements(placed.id)).some((m) => m.kind === 'released'), LIVE, 'the stray hold to be let go');
    expect(await track(placed.trackingToken)).toMatchObject({ status: 'received', paidCents: placed.total, version: 3, payment: { paidWith: 'cash', status: 'paid' } });
  });

  it('the counter may mark an order paid with a card at the counter; the kitchen may not', async () => {
    const placed = await place();
    const kitchen = await new Client(stack.base).login(shop.email('kitchen'));
    expect((await kitchen.post(`/api/orders/${placed.id}/status`, { to: 'received', paymentMethod: 'card' })).status).toBe(403);
    const counter = await new Client(stack.base).login(shop.email('counter'));
    const marked = await counter.post(`/api/orders/${placed.id}/status`, { to: 'received', paymentMethod: 'card' });
    expect(marked.status, JSON.stringify(marked.body)).toBe(200);
    expect(marked.body.payment).toMatchObject({ status: 'paid', paidWith: 'card' });
  });
});

describe('a few cents to pay online', () => {
  it('a code that leaves 1 to 49 cents cannot be paid by card: refused at checkout with the reason, nothing placed nor used; paid at the door it is taken', async () => {
    const admin = await new Client(stack.base).login('admin@ocpizza.test');
    const code = `CENTS${Math.random().toString(36).slice(2, 8).toUpperCase()}`;
    expect((await admin.post('/api/promos', { code, kind: 'amount', value: 393 })).status).toBe(201);
    const peroni = seededProduct('peroni');
    const body = (payment: string) => ({
      pizzeriaId: shop.id, fulfilment: 'pickup', customer: { name: 'Paul', phone: '0677889900' }, items: [{ productId: peroni, quantity: 1 }], payment, promoCode: code,
    });
    const before = await countOf(stack.pool, 'SELECT count(*) AS n FROM orders WHERE pizzeria_id = $1', [shop.id]);
    // 4,00 € less 3,93 €: 7 cents, which a card cannot pay (Stripe: amount_too_small)
    const online = await new Client(stack.base).post('/api/orders', body('online'));
    expect(online.status, JSON.stringify(online.body)).toBe(422);
    expect(online.body.error.code).toBe('online_amount_too_small');
    expect(online.body.error.fields.payment).toMatch(/^7 cents left to pay: a card payment takes at least 50 cents/);
    expect(await countOf(stack.pool, 'SELECT count(*) AS n FROM orders WHERE pizzeria_id = $1', [shop.id])).toBe(before);
    expect(await countOf(stack.pool, 'SELECT count(*) AS n FROM promo_redemptions r JOIN promo_codes c ON c.id = r.promo_code_id WHERE c.code = $1', [code])).toBe(0);
    // paid at the counter, the same basket is taken
    const atCounter = await new Client(stack.base).post('/api/orders', body('on_delivery'));
    expect(atCounter.status, JSON.stringify(atCounter.body)).toBe(201);
    expect(atCounter.body).toMatchObject({ total: 7, status: 'received' });
  });
});

describe('cancelling twice', () => {
  it('a second cancel of a cancelled order says it is already cancelled, not that the kitchen started', async () => {
    const placed = await place({ payment: 'on_delivery', fulfilment: 'delivery', address: addressFor(shop.id) });
    expect((await new Client(stack.base).post(`/api/track/${placed.trackingToken}/cancel`)).status).toBe(200);
    const again = await new Client(stack.base).post(`/api/track/${placed.trackingToken}/cancel`);
    expect(again.status).toBe(409);
    expect(again.body.error).toMatchObject({ code: 'already_cancelled' });
    expect(again.body.error.message).toMatch(/already cancelled/);
    const manager = await new Client(stack.base).login(shop.email('manager'));
    expect((await manager.post(`/api/orders/${placed.id}/status`, { to: 'cancelled' })).body.error.code).toBe('already_cancelled');
    // a cancelled order owes nothing
    expect(await track(placed.trackingToken)).toMatchObject({ status: 'cancelled', amountDueCents: 0, amountToCollect: 0, refundDueCents: 0 });
  });
});
