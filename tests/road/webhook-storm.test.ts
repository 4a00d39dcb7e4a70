// A thousand payment webhooks as the network delivers them on a busy evening: shuffled, three in
// ten repeated, some forged or tampered. Stripe's real client talks to a local server speaking its
// API (tests/stripe-server.ts); the webhooks are signed as Stripe signs them. Whatever the order and
// the repeats, every order is held, captured or let go exactly once, a bad signature gets 400 and
// changes nothing. And an order whose payment expires stops its payment form; a hold made at the
// last second is let go.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { seededProduct, Client, createShop, move, waitUntil } from '../helpers.ts';
import type { FakeIntent } from '../stripe-server.ts';
import { useFakeStripe, useStack } from '../services.ts';
import { jobId } from '../../src/lib/server/kernel/queues.ts';

// a signing secret of this run's own, as Stripe's look (never a real one)
const WEBHOOK_SECRET = `whsec_${randomBytes(24).toString('hex')}`;
const stripe = useFakeStripe(WEBHOOK_SECRET);
const { fake, signer } = stripe;
const margherita = seededProduct('margherita');
const LIVE = 60_000;
const stack = useStack({ env: () => ({ ...stripe.env(), PREP_TARGET_SECONDS: '600', DISPATCH_RETRY_MS: '300' }), workers: true });

interface Delivery { payload: string; header: string; bad: boolean; eventId: string }

const signed = (event: { id: string }, secret = WEBHOOK_SECRET): Delivery => {
  const payload = JSON.stringify(event);
  return { payload, header: signer.webhooks.generateTestHeaderString({ payload, secret }), bad: secret !== WEBHOOK_SECRET, eventId: event.id };
};
/** A real event's signature on a body someone changed (the amount, here). */
const tampered = (event: { id: string; data: { object: FakeIntent } }): Delivery => {
  const good = signed(event);
  const payload = JSON.stringify({ ...event, data: { object: { ...event.data.object, amount_capturable: 1 } } });
  return { payload, header: good.header, bad: true, eventId: event.id };
};

/** Fisher–Yates with a seeded generator: the same shuffle on every run, still no order a sender could rely on. */
function shuffle<T>(xs: T[], seed: number): T[] {
  let s = seed;
  const rand = () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const out = [...xs];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/** Sends deliveries twenty at a time, as Stripe's senders overlap; answers each status. */
async function deliverAll(all: Delivery[]): Promise<{ d: Delivery; status: number }[]> {
  const results: { d: Delivery; status: number }[] = [];
  for (let i = 0; i < all.length; i += 20) {
    results.push(
      ...(await Promise.all(
        all.slice(i, i + 20).map(async (d) => {
          const res = await fetch(`${stack.base}/api/payments/stripe/webhook`, { method: 'POST', headers: { 'content-type': 'application/json', 'stripe-signature': d.header }, body: d.payload });
          await res.arrayBuffer();
          return { d, status: res.status };
        }),
      )),
    );
  }
  return results;
}

/** Every delivery of the unique valid events, plus `repeats` of them again, plus the bad ones, shuffled. */
const storm = (valid: Delivery[], repeats: number, bad: Delivery[], seed: number) =>
  shuffle([...valid, ...shuffle(valid, seed + 1).slice(0, repeats).concat(shuffle(valid, seed + 2).slice(0, Math.max(0, repeats - valid.length))), ...bad], seed);

const movements = async (ids: string[]) => {
  const { rows } = await stack.pool.query<{ order_id: string; kind: string; amount_cents: number }>(
    'SELECT order_id, kind, amount_cents FROM payment_movements WHERE order_id = ANY($1) ORDER BY id', [ids]);
  const by = new Map<string, [string, number][]>(ids.map((id) => [id, []]));
  for (const r of rows) by.get(r.order_id)!.push([r.kind, r.amount_cents]);
  return by;
};
const ordersById = async (ids: string[]) =>
  new Map((await stack.pool.query(`SELECT id, status, payment_status, paid_cents, refunded_cents, version FROM orders WHERE id = ANY($1)`, [ids])).rows.map((r) => [r.id, r]));
const processedCount = async (ids: string[]) => Number((await stack.pool.query(`SELECT count(*) AS n FROM payment_events WHERE event_id = ANY($1) AND processed_at IS NOT NULL`, [ids])).rows[0].n);

// a thousand real webhooks through the app and the workers: 25–30 s on a busy 2-core machine, so two minutes each
describe('a thousand webhooks, shuffled, repeated, some forged', () => {
  it('each order is held, captured or let go exactly once, and every bad signature is refused with 400 and changes nothing', async () => {
    const shop = await createShop(stack.pool, 'storm');
    const placeOne = async () => {
      const r = await new Client(stack.base).post('/api/orders', {
        pizzeriaId: shop.id, fulfilment: 'pickup', customer: { name: 'Nina', phone: '0611223344' }, items: [{ productId: margherita, quantity: 1 }], payment: 'online',
      });
      expect(r.status, JSON.stringify(r.body)).toBe(201);
      return { id: r.body.id as string, token: r.body.trackingToken as string, total: r.body.total as number };
    };
    const orders: { id: string; token: string; total: number }[] = [];
    for (let i = 0; i < 160; i += 16) orders.push(...(await Promise.all(Array.from({ length: 16 }, placeOne))));
    const intents = new Map<string, FakeIntent>();
    await waitUntil(() => orders.every((o) => fake.intentOf(o.id)), LIVE, 'every PaymentIntent');
    for (const o of orders) intents.set(o.id, fake.intentOf(o.id)!);
    const ids = orders.map((o) => o.id);
    // Stripe answers before the workers write the intent down (a version of its own): wait for that too,
    // or a late write would pass for a forged webhook's doing
    await waitUntil(async () => Number((await stack.pool.query(`SELECT count(*) AS n FROM orders WHERE id = ANY($1) AND payment_intent_id IS NOT NULL`, [ids])).rows[0].n) === ids.length, LIVE, 'every intent recorded');
    // A: paid, then started by the kitchen (captured); C: paid, then cancelled by the customer (let go);
    // B: a card refused, never paid; D: only forged holds reach us
    const A = orders.slice(0, 80), C = orders.slice(80, 120), B = orders.slice(120, 140), D = orders.slice(140);
    const versionsBefore = await ordersById(ids);

    // the evening's first wave: what customers do on the card form
    const wave1: Delivery[] = [];
    const bad1: Delivery[] = [];
    for (const [n, o] of A.entries()) {
      const intent = intents.get(o.id)!;
      if (n % 2 === 0) {
        fake.decline(intent);
        wave1.push(signed(fake.event('payment_intent.payment_failed', intent)));
      }
      fake.authorise(intent);
      const held = fake.event('payment_intent.amount_capturable_updated', intent);
      wave1.push(signed(held));
      if (n % 4 === 1) bad1.push(tampered(held));
    }
    for (const o of C) {
      const intent = intents.get(o.id)!;
      fake.authorise(intent);
      wave1.push(signed(fake.event('payment_intent.amount_capturable_updated', intent)));
    }
    for (const o of B) {
      const intent = intents.get(o.id)!;
      fake.decline(intent);
      wave1.push(signed(fake.event('payment_intent.payment_failed', intent)));
    }
    for (const o of D) {
      const forged = fake.event('payment_intent.amount_capturable_updated', { ...intents.get(o.id)!, status: 'requires_capture', amount_capturable: o.total });
      bad1.push(signed(forged, 'whsec_someoneelse'), tampered(forged));
    }
    // what Stripe also sends and we do not act on
    for (const o of orders) wave1.push(signed(fake.event('payment_intent.created', intents.get(o.id)!)));

    const first = storm(wave1, 150, bad1, 7);
    const sent1 = await deliverAll(first);
    expect(sent1.filter((r) => r.d.bad).every((r) => r.status === 400)).toBe(true);
    expect(sent1.filter((r) => !r.d.bad).every((r) => r.status === 200)).toBe(true);
    await waitUntil(async () => (await processedCount(wave1.map((d) => d.eventId))) === wave1.length, LIVE, 'the first wave processed');
    await waitUntil(async () => [...(await ordersById(ids)).values()].filter((o) => o.status === 'received').length === A.length + C.length, LIVE, 'the paid orders in the kitchen');

    const after1 = await ordersById(ids);
    const moves1 = await movements(ids);
    for (const o of [...A, ...C]) {
      expect(after1.get(o.id)).toMatchObject({ status: 'received', payment_status: 'authorised', paid_cents: o.total });
      expect(moves1.get(o.id)!.filter(([k]) => k !== 'failed')).toEqual([['authorised', o.total]]);
    }
    for (const o of B) expect(after1.get(o.id)).toMatchObject({ status: 'pending_payment', payment_status: 'failed', paid_cents: 0 });
    for (const o of D) {
      expect(after1.get(o.id)).toMatchObject({ status: 'pending_payment', payment_status: 'pending', paid_cents: 0, version: versionsBefore.get(o.id)!.version });
      expect(moves1.get(o.id)).toEqual([]);
    }

    // the kitchen starts A, the customers of C cancel
    const kitchen = await new Client(stack.base).login(shop.email('kitchen'));
    for (let i = 0; i < A.length; i += 10) await Promise.all(A.slice(i, i + 10).map((o) => move(kitchen, o.id, 'preparing')));
    for (const o of C) expect((await new Client(stack.base).post(`/api/track/${o.token}/cancel`)).status).toBe(200);
    await waitUntil(async () => {
      const now = await ordersById(ids);
      return A.every((o) => now.get(o.id)!.payment_status === 'paid') && C.every((o) => now.get(o.id)!.payment_status === 'refunded');
    }, LIVE, 'the captures and the releases');

    // the second wave: Stripe's word on each, and some out of order (a cancel after a capture, a capture after a cancel, a hold again)
    const wave2: Delivery[] = [];
    const bad2: Delivery[] = [];
    for (const [n, o] of A.entries()) {
      const intent = fake.intents.get(intents.get(o.id)!.id)!;
      const succeeded = fake.event('payment_intent.succeeded', intent);
      wave2.push(signed(succeeded), signed(fake.event('payment_intent.canceled', { ...intent, status: 'canceled' })));
      if (n % 8 === 0) bad2.push(signed(fake.event('payment_intent.canceled', { ...intent, status: 'canceled' }), 'whsec_forged'));
    }
    for (const o of C) {
      const intent = fake.intents.get(intents.get(o.id)!.id)!;
      wave2.push(
        signed(fake.event('payment_intent.canceled', intent)),
        signed(fake.event('payment_intent.succeeded', { ...intent, status: 'succeeded', amount_received: o.total })),
        signed(fake.event('payment_intent.amount_capturable_updated', { ...intent, status: 'requires_capture', amount_capturable: o.total })),
      );
    }
    const total = 1000;
    const repeats2 = Math.round(total * 0.3) - 150;
    const badNeeded = total - first.length - wave2.length - repeats2 - bad2.length;
    expect(badNeeded).toBeGreaterThan(0);
    for (let i = 0; i < badNeeded; i++) {
      const o = D[i % D.length];
      bad2.push(signed(fake.event('payment_intent.amount_capturable_updated', { ...intents.get(o.id)!, status: 'requires_capture', amount_capturable: o.total }), `whsec_guess${i}`));
    }
    const second = storm(wave2, repeats2, bad2, 11);
    const sent2 = await deliverAll(second);
    const sent = [...sent1, ...sent2];
    expect(sent.length).toBe(total);
    const repeated = sent.filter((r) => !r.d.bad).length - wave1.length - wave2.length;
    expect(repeated).toBe(300);
    expect(sent.filter((r) => r.d.bad).map((r) => r.status)).toEqual(sent.filter((r) => r.d.bad).map(() => 400));
    expect(sent.filter((r) => !r.d.bad).every((r) => r.status === 200)).toBe(true);
    await waitUntil(async () => (await processedCount(wave2.map((d) => d.eventId))) === wave2.length, LIVE, 'the second wave processed');

    // exactly once, whatever came twice or out of order
    const end = await ordersById(ids);
    const moves = await movements(ids);
    for (const o of A) {
      expect(end.get(o.id)).toMatchObject({ status: 'preparing', payment_status: 'paid', paid_cents: o.total, refunded_cents: 0 });
      expect(moves.get(o.id)!.filter(([k]) => k !== 'failed')).toEqual([['authorised', o.total], ['captured', o.total]]);
      const intentId = intents.get(o.id)!.id;
      expect(fake.intents.get(intentId)).toMatchObject({ status: 'succeeded', amount_received: o.total });
      expect(new Set(fake.calls.filter((c) => c.path === `/v1/payment_intents/${intentId}/capture`).map((c) => c.idempotencyKey))).toEqual(new Set([`capture-${o.id}`]));
    }
    for (const o of C) {
      expect(end.get(o.id)).toMatchObject({ status: 'cancelled', payment_status: 'refunded', paid_cents: o.total, refunded_cents: o.total });
      expect(moves.get(o.id)).toEqual([['authorised', o.total], ['released', o.total]]);
      expect(fake.intents.get(intents.get(o.id)!.id)!.status).toBe('canceled');
    }
    expect(fake.refunds.filter((r) => [...intents.values()].some((i) => i.id === r.payment_intent))).toEqual([]);
    for (const o of B) expect(end.get(o.id)).toMatchObject({ status: 'pending_payment', payment_status: 'failed', paid_cents: 0 });
    for (const o of D) {
      expect(end.get(o.id)).toMatchObject({ status: 'pending_payment', payment_status: 'pending', paid_cents: 0, version: versionsBefore.get(o.id)!.version });
      expect(moves.get(o.id)).toEqual([]);
    }
  }, 120_000);
});

describe('a payment that expires', () => {
  it('cancels the order and its PaymentIntent; a hold made at the last second is let go with the same call', async () => {
    const shop = await createShop(stack.pool, 'storm-expiry');
    const r = await new Client(stack.base).post('/api/orders', {
      pizzeriaId: shop.id, fulfilment: 'pickup', customer: { name: 'Hugo', phone: '0611223355' }, items: [{ productId: margherita, quantity: 2 }], payment: 'online',
    });
    expect(r.status).toBe(201);
    const { id, trackingToken: token, total } = r.body;
    const intent = (await waitUntil(() => fake.intentOf(id), LIVE, 'the PaymentIntent'))!;
    // the order knows its PaymentIntent (the form was made a quarter of an hour before it expires)
    await waitUntil(async () => (await stack.pool.query('SELECT payment_intent_id FROM orders WHERE id = $1', [id])).rows[0].payment_intent_id === intent.id, LIVE, 'the order to hold its PaymentIntent');
    // the customer's card is authorised at the last second, after the expiry asked Stripe (nothing paid
    // yet) and before its cancel; Stripe's event is still on its way when the order expires
    const late = fake.event('payment_intent.amount_capturable_updated', { ...intent, status: 'requires_capture', amount_capturable: intent.amount });
    await stack.pool.query(`UPDATE orders SET payment_started_at = now() - interval '1 hour', version = version + 1 WHERE id = $1`, [id]);
    const expiry = (await waitUntil(() => stack.workers.queues.payments.getJob(jobId.paymentExpiry(id, 1)), LIVE, 'the expiry timer'))!;
    await expiry.promote();
    await waitUntil(async () => (await new Client(stack.base).get(`/api/track/${token}`)).body.status === 'cancelled', LIVE, 'the order to expire');
    await waitUntil(() => fake.intents.get(intent.id)!.status === 'canceled', LIVE, 'the PaymentIntent to be cancelled');
    expect((await new Client(stack.base).get(`/api/track/${token}`)).body).toMatchObject({ cancelReason: 'payment_expired', paidCents: 0 });

    const res = await fetch(`${stack.base}/api/payments/stripe/webhook`, {
      method: 'POST', headers: { 'content-type': 'application/json', 'stripe-signature': signed(late).header }, body: signed(late).payload,
    });
    expect(res.status).toBe(200);
    await waitUntil(async () => (await new Client(stack.base).get(`/api/track/${token}`)).body.payment.status === 'refunded', LIVE, 'the late hold to be let go');
    const cancels = fake.calls.filter((c) => c.path === `/v1/payment_intents/${intent.id}/cancel`);
    expect(new Set(cancels.map((c) => c.idempotencyKey))).toEqual(new Set([`release-${intent.id}`]));
    // Stripe was asked what the payment was before anything was cancelled
    const asked = fake.calls.findIndex((c) => c.method === 'GET' && c.path === `/v1/payment_intents/${intent.id}`);
    expect(asked).toBeGreaterThanOrEqual(0);
    expect(asked).toBeLessThan(fake.calls.indexOf(cancels[0]));
    expect((await movements([id])).get(id)).toEqual([['authorised', total], ['released', total]]);
  }, 120_000);
});
