// A manager gives back a driver's tip, through the HTTP API, Stripe's real client (the `stripe`
// package against tests/stripe-server.ts), real Postgres, Redis, BullMQ and the workers: once,
// whatever the taps and the job repeat; the driver's tips go down, the takings count it, the
// customer's tracking reads it; the order's own money and the fiscal journal do not move. Refused
// with a 4xx and nothing changed: no tip, a cash tip, a second refund, a non-manager.
import { beforeAll, describe, expect, it } from 'vitest';
import { randomUUID, randomBytes } from 'node:crypto';
import { Client, addressFor, countOf, createShop, handOver, move, seededProduct, waitUntil } from '../helpers.ts';
import type { FakeIntent } from '../stripe-server.ts';
import { useFakeStripe, useStack } from '../services.ts';
import { StripePaymentProvider, stripeClient } from '../../src/lib/server/money/stripe.ts';
import { makePendingTipRefunds } from '../../src/lib/server/money/tip-refunds.ts';

// a signing secret of this run's own, as Stripe's look (never a real one)
const WEBHOOK_SECRET = `whsec_${randomBytes(24).toString('hex')}`;
const LIVE = 20_000;
const stripe = useFakeStripe(WEBHOOK_SECRET);
const { fake, signer } = stripe;
const stack = useStack({ env: () => ({ ...stripe.env(), DISPATCH_RETRY_MS: '300' }), workers: true });
const margherita = seededProduct('margherita');

let shop: Awaited<ReturnType<typeof createShop>>;
let other: Awaited<ReturnType<typeof createShop>>;
let manager: Client;
let kitchen: Client;
beforeAll(async () => {
  shop = await createShop(stack.pool, 'tip-refunds');
  other = await createShop(stack.pool, 'tip-refunds-other');
  manager = await new Client(stack.base).login(shop.email('manager'));
  kitchen = await new Client(stack.base).login(shop.email('kitchen'));
});

/** A tip's refund asked through the API, under an Idempotency-Key (a new one unless given). */
async function refundTip(who: Client, orderId: string, body: unknown = {}, key: string | null = randomUUID()) {
  const res = await fetch(`${stack.base}/api/orders/${orderId}/tip-refund`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(who.cookie ? { cookie: who.cookie } : {}), ...(key ? { 'idempotency-key': key } : {}) },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: await res.json(), replayed: res.headers.get('idempotent-replayed') };
}
const track = async (token: string) => (await new Client(stack.base).get(`/api/track/${token}`)).body;
const userId = async (email: string) => Number((await stack.pool.query('SELECT id FROM users WHERE email = $1', [email])).rows[0].id);
const tipsOf = async (orderId: string) => (await stack.pool.query('SELECT id, way, status, refund_state FROM tips WHERE order_id = $1 ORDER BY id', [orderId])).rows;
const sharesOf = async (orderId: string) =>
  (await stack.pool.query('SELECT s.driver_id, s.amount_cents FROM tip_shares s JOIN tips t ON t.id = s.tip_id WHERE t.order_id = $1', [orderId])).rows;

async function deliverEvent(event: object) {
  const payload = JSON.stringify(event);
  const header = signer.webhooks.generateTestHeaderString({ payload, secret: WEBHOOK_SECRET });
  const res = await fetch(`${stack.base}/api/payments/stripe/webhook`, { method: 'POST', headers: { 'content-type': 'application/json', 'stripe-signature': header }, body: payload });
  expect(res.status).toBe(200);
}

async function onShift(who: 'driver1' | 'driver2') {
  const c = await new Client(stack.base).login(shop.email(who));
  await c.post('/api/driver/shift', { onShift: true });
  return { client: c, id: await userId(shop.email(who)) };
}

/** An online delivery with a card tip at checkout, paid through Stripe, captured (the tip with it), and delivered by `driver`. */
async function tippedAndDelivered(driver: { client: Client; id: number }, tipCents: number, payment: 'online' | 'on_delivery' = 'online') {
  const r = await new Client(stack.base).post('/api/orders', {
    pizzeriaId: shop.id, fulfilment: 'delivery', customer: { name: 'Inès Martin', phone: '0611224455' }, address: addressFor(shop.id),
    items: [{ productId: margherita, quantity: 1 }], payment, ...(tipCents ? { tipCents } : {}),
  });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  const { id, trackingToken: token, total } = r.body as { id: string; trackingToken: string; total: number };
  let intent: FakeIntent | null = null;
  if (payment === 'online') {
    intent = (await waitUntil(() => fake.intentOf(id), LIVE, 'the PaymentIntent')) as FakeIntent;
    expect(intent.amount).toBe(total + tipCents);
    fake.authorise(intent);
    await deliverEvent(fake.event('payment_intent.amount_capturable_updated', intent));
    await waitUntil(async () => (await track(token)).status === 'received', LIVE, 'the order to reach the kitchen');
  }
  await move(kitchen, id, 'preparing');
  if (intent) await waitUntil(async () => (await track(token)).payment.status === 'paid', LIVE, 'the capture');
  await move(kitchen, id, 'ready');
  await waitUntil(async () => {
    if ((await manager.post(`/api/orders/${id}/assign`, { driverId: driver.id })).status === 200) return true;
    return (await manager.get(`/api/orders/${id}`)).body.driver?.id === driver.id;
  }, LIVE, 'the delivery given to the driver');
  await move(driver.client, id, 'out_for_delivery');
  await handOver(stack.pool, driver.client, id);
  if (tipCents && payment === 'online') await waitUntil(async () => (await sharesOf(id)).length > 0, LIVE, 'the tip shared');
  return { id, token, total, intent };
}

describe('a manager refunds a card tip through Stripe', () => {
  it('gives it back once whatever the taps and the job repeat; the driver\'s tips, the takings and the tracking follow; the order\'s money does not move', async () => {
    const d1 = await onShift('driver1');
    const { id, token, total, intent } = await tippedAndDelivered(d1, 300);
    expect((await d1.client.get('/api/driver/tips')).body).toMatchObject({ cardCents: 300 });
    const takingsBefore = (await manager.get(`/api/shops/${shop.id}/takings`)).body.shops[0].tips;
    const tipId = String((await tipsOf(id))[0].id);

    // the kitchen, the counter and the driver may not
    for (const who of ['kitchen', 'counter', 'driver1'] as const) {
      const staff = await new Client(stack.base).login(shop.email(who));
      expect((await refundTip(staff, id)).status, who).toBe(403);
    }
    expect(await tipsOf(id)).toEqual([expect.objectContaining({ status: 'paid', refund_state: null })]);

    // a double tap: the same key twice, one refund asked
    const key = randomUUID();
    const asked = await refundTip(manager, id, {}, key);
    expect(asked.status, JSON.stringify(asked.body)).toBe(202);
    expect(asked.body.tip).toMatchObject({ tipId, amountCents: 300, way: 'card', moment: 'checkout', refund: { state: 'pending' } });
    const again = await refundTip(manager, id, {}, key);
    expect(again.status).toBe(200);
    expect(again.replayed).toBe('true');

    const refunded = await waitUntil(async () => {
      const tips = (await manager.get(`/api/orders/${id}/tips`)).body;
      return tips[0].status === 'refunded' && tips;
    }, LIVE, 'the tip refunded');
    expect(refunded[0]).toMatchObject({ status: 'refunded', refund: { state: 'done' }, why: 'tip_already_refunded' });
    // at Stripe: one refund of the tip's amount, on the order's PaymentIntent, under the tip's key
    expect(fake.refunds.filter((r) => r.payment_intent === intent!.id).map((r) => r.amount)).toEqual([300]);
    expect(new Set(fake.calls.filter((c) => c.path === '/v1/refunds').map((c) => c.idempotencyKey))).toEqual(new Set([`tip-refund-${tipId}`]));

    // a retried job: the same key again at Stripe answers the first refund; nothing left to settle here
    const provider = new StripePaymentProvider(stripeClient(stripe.env())!, async () => {});
    const replay = await provider.refund({ orderId: id, amountCents: 300, paymentReference: intent!.id, idempotencyKey: `tip-refund-${tipId}` });
    expect(fake.refunds.filter((r) => r.payment_intent === intent!.id)).toHaveLength(1);
    expect(replay.amountCents).toBe(300);
    expect(await makePendingTipRefunds(stack.pool, provider, id)).toEqual({ done: 0, failed: 0 });

    // a second refund, under another key: refused, nothing changes
    const second = await refundTip(manager, id);
    expect(second.status).toBe(409);
    expect(second.body.error.code).toBe('tip_already_refunded');
    expect(fake.refunds.filter((r) => r.payment_intent === intent!.id)).toHaveLength(1);

    // the driver's share taken back, on their phone and in their pay
    expect(await sharesOf(id)).toEqual([]);
    expect((await d1.client.get('/api/driver/tips')).body).toMatchObject({ cardCents: 0 });
    expect((await d1.client.get('/api/driver/earnings')).body.tonight).toMatchObject({ cardTipsCents: 0 });

    // the takings: the tip out of the card tips, counted as refunded
    const takingsAfter = (await manager.get(`/api/shops/${shop.id}/takings`)).body.shops[0].tips;
    expect(takingsAfter.cardCents - takingsBefore.cardCents).toBe(-300);
    expect(takingsAfter.refundedCents - takingsBefore.refundedCents).toBe(300);
    expect(takingsAfter.refunded - takingsBefore.refunded).toBe(1);

    // the customer's tracking: the tip and its refund, the order's own money as it was
    expect(await track(token)).toMatchObject({ totalCents: total, paidCents: total, refundedCents: 0, payment: { tipCents: 300, tipRefundedCents: 300 } });
    expect(await countOf(stack.pool, 'SELECT count(*) AS n FROM order_refunds WHERE order_id = $1', [id])).toBe(0);
    expect(await countOf(stack.pool, `SELECT count(*) AS n FROM payment_movements WHERE order_id = $1 AND kind = 'refunded'`, [id])).toBe(0);
    // the fiscal journal: a tip is never a sale, nor is its refund
    const journal = (await stack.pool.query(`SELECT kind, body FROM fiscal_entries WHERE order_id = $1`, [id])).rows;
    expect(JSON.stringify(journal)).not.toMatch(/tip/i);
    expect(journal.map((r) => r.kind)).not.toContain('refund');

    // the audit log names who did it
    const audit = (await stack.pool.query(`SELECT actor, after FROM audit_log WHERE action = 'tip.refund' AND entity_id = $1`, [id])).rows;
    expect(audit).toEqual([expect.objectContaining({ actor: expect.stringContaining('manager'), after: expect.objectContaining({ amountCents: 300 }) })]);
  });
});

describe('a tip refund refused changes nothing', () => {
  it('refuses an order without a tip, a cash tip, a missing key and another shop\'s manager with a 4xx', async () => {
    const d1 = await onShift('driver1');
    const { id } = await tippedAndDelivered(d1, 0, 'on_delivery');
    const before = await countOf(stack.pool, 'SELECT count(*) AS n FROM audit_log WHERE action = $1', ['tip.refund']);

    const none = await refundTip(manager, id);
    expect(none.status).toBe(409);
    expect(none.body.error.code).toBe('no_tip');

    // the driver declares the cash the customer handed them: given back in person, not through Stripe
    expect((await d1.client.post(`/api/driver/orders/${id}/cash-tip`, { amountCents: 250 })).status).toBe(200);
    const refusals = fake.refunds.length;
    const cash = await refundTip(manager, id);
    expect(cash.status).toBe(409);
    expect(cash.body.error).toMatchObject({ code: 'cash_tip', message: expect.stringContaining('in person') });
    expect(await tipsOf(id)).toEqual([expect.objectContaining({ way: 'cash', status: 'paid', refund_state: null })]);
    expect(await sharesOf(id)).toEqual([{ driver_id: d1.id, amount_cents: 250 }]);

    expect((await refundTip(manager, id, {}, null)).status).toBe(422);
    expect((await refundTip(manager, id, { tipId: 'abc' })).status).toBe(422);
    const stranger = await new Client(stack.base).login(other.email('manager'));
    expect((await refundTip(stranger, id)).status).toBe(403);
    expect((await stranger.get(`/api/orders/${id}/tips`)).status).toBe(403);

    expect(fake.refunds.length).toBe(refusals);
    expect(await countOf(stack.pool, 'SELECT count(*) AS n FROM audit_log WHERE action = $1', ['tip.refund'])).toBe(before);
  });
});
