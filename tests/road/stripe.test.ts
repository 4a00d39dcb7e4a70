// Card payments through Stripe's real client (the `stripe` package), driven against a local server
// that speaks the PaymentIntents and Refunds API (tests/stripe-server.ts), with webhooks signed as
// Stripe signs them: the card is held when the customer pays, taken when the kitchen starts, let go
// when the order is cancelled before that, refunded after; every movement of money is a row; each
// event counts once, whatever order or how many times it arrives; a bad signature changes nothing.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import Stripe from 'stripe';
import { seededProduct, Client, addressFor, createShop, move, waitUntil } from '../helpers.ts';
import type { FakeIntent } from '../stripe-server.ts';
import { useFakeStripe, useStack } from '../services.ts';

// a signing secret of this run's own, as Stripe's look (never a real one)
const WEBHOOK_SECRET = `whsec_${randomBytes(24).toString('hex')}`;
const stripe = useFakeStripe(WEBHOOK_SECRET);
const { fake, signer } = stripe;
const margherita = seededProduct('margherita');
const LIVE = 20_000;
const env = () => ({ ...stripe.env(), PREP_TARGET_SECONDS: '600', DISPATCH_RETRY_MS: '300' });
const stack = useStack({ env, workers: true });

/** Sends a webhook as Stripe does: the JSON body, and its signature (or a wrong one). */
async function deliver(event: object, opts: { secret?: string } = {}) {
  const payload = JSON.stringify(event);
  const header = signer.webhooks.generateTestHeaderString({ payload, secret: opts.secret ?? WEBHOOK_SECRET });
  const res = await fetch(`${stack.base}/api/payments/stripe/webhook`, { method: 'POST', headers: { 'content-type': 'application/json', 'stripe-signature': header }, body: payload });
  return { status: res.status, body: await res.json() };
}

const track = async (token: string) => (await new Client(stack.base).get(`/api/track/${token}`)).body;
const movements = async (orderId: string) =>
  (await stack.pool.query<{ kind: string; amount_cents: number }>('SELECT kind, amount_cents FROM payment_movements WHERE order_id = $1 ORDER BY id', [orderId])).rows.map((r) => [r.kind, r.amount_cents]);
const processed = async (eventId: string) => (await stack.pool.query('SELECT outcome FROM payment_events WHERE event_id = $1', [eventId])).rows[0]?.outcome;

/** An online order of the shop, its PaymentIntent made by the workers. */
async function placeOnline(shopId: number, quantity = 1, fulfilment: 'pickup' | 'delivery' = 'pickup') {
  const r = await new Client(stack.base).post('/api/orders', {
    pizzeriaId: shopId, fulfilment, customer: { name: 'Inès', phone: '0611223344', email: 'ines@example.test' },
    ...(fulfilment === 'delivery' ? { address: addressFor(shopId) } : {}),
    items: [{ productId: margherita, quantity }], payment: 'online',
  });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  const intent = (await waitUntil(() => fake.intentOf(r.body.id), LIVE, 'the PaymentIntent'))!;
  return { id: r.body.id as string, token: r.body.trackingToken as string, total: r.body.total as number, intent };
}

/** The customer's card is held, and Stripe says so. */
async function authorise(o: { id: string; token: string; intent: FakeIntent }) {
  fake.authorise(o.intent);
  const event = fake.event('payment_intent.amount_capturable_updated', o.intent);
  expect((await deliver(event)).status).toBe(200);
  await waitUntil(async () => (await track(o.token)).status === 'received', LIVE, 'the order to reach the kitchen');
  return event;
}

describe('card payments held, then captured', () => {
  it('holds the card when the customer pays, captures it when the kitchen starts, once, whatever Stripe repeats', async () => {
    const shop = await createShop(stack.pool, 'stripe-capture');
    const o = await placeOnline(shop.id, 2);
    expect(o.intent).toMatchObject({ amount: o.total, currency: 'eur', capture_method: 'manual', metadata: { order_id: o.id, attempt: '1' } });
    expect(fake.calls.find((c) => c.body['metadata[order_id]'] === o.id)?.idempotencyKey).toBe(`pi-${o.id}-1`);
    expect(await track(o.token)).toMatchObject({ status: 'pending_payment' });

    const held = await authorise(o);
    expect(await track(o.token)).toMatchObject({ status: 'received', payment: { status: 'authorised', paidWith: 'online' }, paidCents: o.total, amountDueCents: 0 });
    // Stripe sends it again: nothing more happens
    expect((await deliver(held)).status).toBe(200);
    await waitUntil(() => processed(held.id), LIVE, 'the event processed');

    const kitchen = await new Client(stack.base).login(shop.email('kitchen'));
    await move(kitchen, o.id, 'preparing');
    await waitUntil(async () => (await track(o.token)).payment.status === 'paid', LIVE, 'the capture');
    expect(fake.intents.get(o.intent.id)).toMatchObject({ status: 'succeeded', amount_received: o.total });
    const captures = fake.calls.filter((c) => c.path === `/v1/payment_intents/${o.intent.id}/capture`);
    expect(captures.map((c) => [c.idempotencyKey, c.body.amount_to_capture])).toEqual([[`capture-${o.id}`, String(o.total)]]);
    // Stripe's own word on the capture, twice, and a cancel that came out of order: all change nothing
    const succeeded = fake.event('payment_intent.succeeded', fake.intents.get(o.intent.id)!);
    await deliver(succeeded);
    await deliver(succeeded);
    const lateCancel = fake.event('payment_intent.canceled', { ...fake.intents.get(o.intent.id)!, status: 'canceled' });
    await deliver(lateCancel);
    await waitUntil(async () => (await processed(succeeded.id)) && (await processed(lateCancel.id)), LIVE, 'the events processed');
    expect(await processed(lateCancel.id)).toBe('ignored');
    expect(await movements(o.id)).toEqual([['authorised', o.total], ['captured', o.total]]);
    expect(await track(o.token)).toMatchObject({ payment: { status: 'paid' }, paidCents: o.total, refundDueCents: 0 });
  });

  it('a worker that dies between Stripe capturing and the database recording it: the retry captures nothing more, and the capture is recorded once', async () => {
    const shop = await createShop(stack.pool, 'stripe-crash');
    const o = await placeOnline(shop.id);
    await authorise(o);
    // the call the dead worker made: it reached Stripe, which captured, and nothing was recorded
    const { STRIPE_SECRET_KEY, STRIPE_API_URL } = env();
    const client = new Stripe(STRIPE_SECRET_KEY, { host: new URL(STRIPE_API_URL).hostname, port: Number(new URL(STRIPE_API_URL).port), protocol: 'http' });
    await client.paymentIntents.capture(o.intent.id, { amount_to_capture: o.total }, { idempotencyKey: `capture-${o.id}` });
    expect(await track(o.token)).toMatchObject({ payment: { status: 'authorised' } });
    // the job runs again when the kitchen starts (or the reconciler finds the hold)
    const kitchen = await new Client(stack.base).login(shop.email('kitchen'));
    await move(kitchen, o.id, 'preparing');
    await waitUntil(async () => (await track(o.token)).payment.status === 'paid', LIVE, 'the capture recorded');
    const calls = fake.calls.filter((c) => c.path === `/v1/payment_intents/${o.intent.id}/capture`);
    expect(calls.length).toBeGreaterThanOrEqual(2);
    expect(new Set(calls.map((c) => c.idempotencyKey))).toEqual(new Set([`capture-${o.id}`]));
    expect(fake.intents.get(o.intent.id)).toMatchObject({ status: 'succeeded', amount_received: o.total });
    expect(await movements(o.id)).toEqual([['authorised', o.total], ['captured', o.total]]);
  });

  it('a cancel before the kitchen starts lets the hold go and costs nothing; a late "succeeded" for it changes nothing', async () => {
    const shop = await createShop(stack.pool, 'stripe-release');
    const o = await placeOnline(shop.id);
    await authorise(o);
    const c = await new Client(stack.base).post(`/api/track/${o.token}/cancel`);
    expect(c.status, JSON.stringify(c.body)).toBe(200);
    await waitUntil(() => fake.intents.get(o.intent.id)?.status === 'canceled', LIVE, 'the hold let go');
    await waitUntil(async () => (await track(o.token)).payment.status === 'refunded', LIVE, 'the release recorded');
    expect(await track(o.token)).toMatchObject({ status: 'cancelled', refundedCents: o.total, refundDueCents: 0 });
    expect(fake.calls.filter((c) => c.path === '/v1/refunds' && c.body.payment_intent === o.intent.id)).toEqual([]);
    const late = fake.event('payment_intent.succeeded', { ...o.intent, status: 'succeeded', amount_received: o.total });
    await deliver(late);
    await waitUntil(() => processed(late.id), LIVE, 'the late event processed');
    expect(await processed(late.id)).toBe('ignored');
    expect(await movements(o.id)).toEqual([['authorised', o.total], ['released', o.total]]);
  });

  it('a delivery cancelled after the capture is refunded in full, once', async () => {
    const shop = await createShop(stack.pool, 'stripe-refund');
    const driver = await new Client(stack.base).login(shop.email('driver1'));
    await driver.post('/api/driver/shift', { onShift: true });
    const o = await placeOnline(shop.id, 1, 'delivery');
    await authorise(o);
    const kitchen = await new Client(stack.base).login(shop.email('kitchen'));
    const manager = await new Client(stack.base).login(shop.email('manager'));
    await move(kitchen, o.id, 'preparing');
    await waitUntil(async () => (await track(o.token)).payment.status === 'paid', LIVE, 'the capture');
    await move(kitchen, o.id, 'ready');
    await waitUntil(async () => (await track(o.token)).driver, LIVE, 'a driver');
    await move(driver, o.id, 'out_for_delivery');
    expect((await driver.post(`/api/orders/${o.id}/failed`, { reason: 'absent' })).status).toBe(200);
    await move(manager, o.id, 'cancelled');
    await waitUntil(async () => (await track(o.token)).payment.status === 'refunded', LIVE, 'the refund');
    const refunds = fake.refunds.filter((r) => r.payment_intent === o.intent.id);
    expect(refunds.map((r) => r.amount)).toEqual([o.total]);
    expect(await movements(o.id)).toEqual([['authorised', o.total], ['captured', o.total], ['refunded', o.total]]);
    const row = (await stack.pool.query('SELECT refund_id FROM payment_movements WHERE order_id = $1 AND kind = $2', [o.id, 'refunded'])).rows[0];
    expect(row.refund_id).toBe(refunds[0].id);
  });

  it('a refused card leaves the order waiting for another try; a refused capture is shown to the manager', async () => {
    const shop = await createShop(stack.pool, 'stripe-refused');
    const o = await placeOnline(shop.id);
    fake.decline(o.intent);
    const failed = fake.event('payment_intent.payment_failed', o.intent);
    await deliver(failed);
    await waitUntil(async () => (await track(o.token)).payment.status === 'failed', LIVE, 'the refusal recorded');
    expect(await track(o.token)).toMatchObject({ status: 'pending_payment' });
    // another card, the same PaymentIntent: held
    await authorise(o);
    expect(await track(o.token)).toMatchObject({ status: 'received', payment: { status: 'authorised' } });

    fake.refuseCaptures = true;
    try {
      const kitchen = await new Client(stack.base).login(shop.email('kitchen'));
      await move(kitchen, o.id, 'preparing');
      await waitUntil(async () => (await stack.pool.query('SELECT capture_failed_at FROM orders WHERE id = $1', [o.id])).rows[0].capture_failed_at, LIVE, 'the failure recorded');
    } finally {
      fake.refuseCaptures = false;
    }
    expect(await movements(o.id)).toEqual([['failed', 0], ['authorised', o.total], ['failed', o.total]]);
    expect((await track(o.token)).payment).toMatchObject({ status: 'authorised', captured: false, captureFailed: true });
    // the manager's orders list carries it, flagged
    const manager = await new Client(stack.base).login(shop.email('manager'));
    const listed = (await manager.get(`/api/orders?pizzeriaId=${shop.id}`)).body.find((x: { id: string }) => x.id === o.id);
    expect(listed.payment).toMatchObject({ captureFailed: true });
  });

  it('refuses a webhook with a bad signature, no signature, or another secret with 400, and changes nothing', async () => {
    const shop = await createShop(stack.pool, 'stripe-forged');
    const o = await placeOnline(shop.id);
    fake.authorise(o.intent);
    const forged = fake.event('payment_intent.amount_capturable_updated', o.intent);
    expect((await deliver(forged, { secret: 'whsec_someoneelse' })).status).toBe(400);
    const unsigned = await fetch(`${stack.base}/api/payments/stripe/webhook`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(forged) });
    expect(unsigned.status).toBe(400);
    // signed, then changed on the way
    const payload = JSON.stringify(forged);
    const header = signer.webhooks.generateTestHeaderString({ payload, secret: WEBHOOK_SECRET });
    const tampered = await fetch(`${stack.base}/api/payments/stripe/webhook`, { method: 'POST', headers: { 'content-type': 'application/json', 'stripe-signature': header }, body: payload.replace(String(o.total), String(o.total - 1)) });
    expect(tampered.status).toBe(400);
    expect(await processed(forged.id)).toBeUndefined();
    expect(await track(o.token)).toMatchObject({ status: 'pending_payment', paidCents: 0 });
  });
});
