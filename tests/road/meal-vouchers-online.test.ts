// Titres-restaurant online, over HTTP with the workers, against Stripe's protocol (tests/stripe-server.ts):
// a 40 € order paid 25 € by a meal-voucher card and 15 € on the ordinary card, two holds the order
// waits for, both captured when the kitchen starts, both let go on a cancel; the card's 25 € a day
// checked when its hold arrives (its identity: Stripe's fingerprint of the card), a Sunday refused
// unless the shop accepts vouchers then, the beer, the delivery fee and the tip kept off; a part
// dropped for the whole on the card; a refund gives back the card's part and says what happens to the
// voucher's; Stripe's repeats change nothing, and a forged webhook is refused.
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Client, addressFor, createShop, move, seededProduct, waitUntil } from '../helpers.ts';
import type { FakeIntent } from '../stripe-server.ts';
import { useFakeStripe, useStack } from '../services.ts';
import { stripeClient } from '../../src/lib/server/money/stripe.ts';

const WEBHOOK_SECRET = `whsec_${randomBytes(24).toString('hex')}`;
const stripe = useFakeStripe(WEBHOOK_SECRET);
const { fake, signer } = stripe;
const LIVE = 20_000;
const stack = useStack({ env: () => ({ ...stripe.env(), PREP_TARGET_SECONDS: '600' }), workers: true });
const phone = () => `07${String(Math.floor(Math.random() * 1e8)).padStart(8, '0')}`;
/** A meal-voucher card of this run's own (its fingerprint is counted across the chain, and runs share nothing). */
const voucherCard = () => `5555 0000 ${String(Math.floor(Math.random() * 1e8)).padStart(8, '0')}`;
const SIRET = '42424242424242';

afterEach(() => vi.useRealTimers());

async function deliver(event: object, secret = WEBHOOK_SECRET) {
  const payload = JSON.stringify(event);
  const header = signer.webhooks.generateTestHeaderString({ payload, secret });
  const res = await fetch(`${stack.base}/api/payments/stripe/webhook`, { method: 'POST', headers: { 'content-type': 'application/json', 'stripe-signature': header }, body: payload });
  return res.status;
}
const processed = async (eventId: string) => (await stack.pool.query('SELECT outcome FROM payment_events WHERE event_id = $1 AND processed_at IS NOT NULL', [eventId])).rows[0]?.outcome as string | undefined;
const track = async (token: string) => (await new Client(stack.base).get(`/api/track/${token}`)).body;
const voucherRows = async (orderId: string) =>
  (await stack.pool.query<{ state: string; amount_cents: number; issuer: string; reason: string | null }>(
    `SELECT state, amount_cents, issuer, reason FROM meal_voucher_payments WHERE order_id = $1 ORDER BY created_at`, [orderId],
  )).rows;

/** A shop that accepts vouchers every day (the real day of the run may be a Sunday), with its SIRET, as Stripe asks. */
async function shop(tag: string, everyDay = true) {
  const s = await createShop(stack.pool, tag);
  await stack.pool.query('UPDATE pizzerias SET siret = $2, meal_vouchers_on_closed_days = $3 WHERE id = $1', [s.id, SIRET, everyDay]);
  const manager = await new Client(stack.base).login(s.email('manager'));
  const kitchen = await new Client(stack.base).login(s.email('kitchen'));
  return { shop: s, manager, kitchen };
}

/** An online order of two Chèvre-miel, two ice creams and a beer: 40 €, of which 4 € of beer; its first card intent made. */
async function placeOnline(
  shopId: number, fulfilment: 'pickup' | 'delivery' = 'pickup', extra: Record<string, unknown> = {},
  items: readonly (readonly [string, number])[] = [['chevre-miel', 2], ['glace-vanille', 2], ['peroni', 1]],
) {
  const r = await new Client(stack.base).post('/api/orders', {
    pizzeriaId: shopId, fulfilment, customer: { name: 'Inès', phone: phone(), email: 'ines@example.test' },
    ...(fulfilment === 'delivery' ? { address: addressFor(shopId) } : {}),
    items: items.map(([slug, quantity]) => ({ productId: seededProduct(slug), quantity })), payment: 'online', ...extra,
  });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  await waitUntil(() => fake.intentOf(r.body.id), LIVE, 'the first PaymentIntent');
  return { id: r.body.id as string, token: r.body.trackingToken as string, total: r.body.total as number };
}

const form = async (token: string) => (await new Client(stack.base).get(`/api/track/${token}/meal-voucher`)).body;
const choose = (token: string, body: object) => new Client(stack.base).post(`/api/track/${token}/meal-voucher`, body);

/** The voucher part chosen: the two intents of the next attempt, as the workers made them. */
async function chosen(o: { id: string; token: string }, cents: number, issuer = 'pluxee', attempt = 2) {
  const r = await choose(o.token, { issuer, amountCents: cents });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  const voucher = (await waitUntil(() => fake.voucherIntentOf(o.id, attempt), LIVE, 'the voucher PaymentIntent'))!;
  const card = (await waitUntil(() => fake.intentOf(o.id, attempt), LIVE, 'the card PaymentIntent'))!;
  return { voucher, card };
}

/** The customer pays an intent with a card, and Stripe says the hold is there; the event's outcome once processed. */
async function pay(intent: FakeIntent, number: string) {
  fake.payWithCard(intent, number);
  const event = fake.event('payment_intent.amount_capturable_updated', structuredClone(intent));
  expect(await deliver(event)).toBe(200);
  await waitUntil(() => processed(event.id), LIVE, 'the hold processed');
  return { event, outcome: await processed(event.id) };
}

/** Only Date is faked, for one request: its Paris day. */
async function on<T>(iso: string, f: () => Promise<T>): Promise<T> {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(new Date(iso));
  try {
    return await f();
  } finally {
    vi.useRealTimers();
  }
}
const SUNDAY = '2026-11-22T11:30:00Z';

describe('titres-restaurant online, beside the card', () => {
  it('a 40 € order paid 25 € by voucher and 15 € by card: paid once both are held, both captured when the kitchen starts, a refund gives back the card part only', async () => {
    const s = await shop('vo-split');
    const o = await placeOnline(s.shop.id);
    expect(o.total).toBe(4000);
    // what the payment page offers: 36 € of food and ice cream (the beer kept off), at most 25 €
    expect(await form(o.token)).toMatchObject({ issuers: ['bimpli', 'pluxee', 'up_dejeuner'], eligibleCents: 3600, dailyLimitCents: 2500, maxCents: 2500, closedDay: null, part: null });
    // an issuer Stripe does not take online, more than a day's amount: refused, nothing kept
    expect((await choose(o.token, { issuer: 'swile', amountCents: 2500 })).status).toBe(422);
    const over = await choose(o.token, { issuer: 'pluxee', amountCents: 2600 });
    expect([over.status, over.body.error.code, over.body.error.maxCents]).toEqual([409, 'voucher_daily_limit', 2500]);
    expect(await voucherRows(o.id)).toEqual([]);

    const { voucher, card } = await chosen(o, 2500);
    // Stripe's meal voucher: its own PaymentIntent with the shop's SIRET, a card, captured by hand; the card's for the rest
    expect(voucher).toMatchObject({ amount: 2500, capture_method: 'manual', payment_method_types: ['card'], payment_details: { benefit: { fr_meal_voucher: { siret: SIRET } } }, metadata: { order_id: o.id, voucher: '1', attempt: '2' } });
    expect(fake.calls.find((c) => c.body['metadata[voucher]'] === '1' && c.body['metadata[order_id]'] === o.id)?.idempotencyKey).toBe(`pi-voucher-${o.id}-2`);
    expect(card).toMatchObject({ amount: 1500, capture_method: 'manual' });

    // the voucher is held first: the order still waits for its card part
    const number = voucherCard();
    const held = await pay(voucher, number);
    expect(held.outcome).toBe('authorised');
    expect(await track(o.token)).toMatchObject({ status: 'pending_payment' });
    await pay(card, '4242 4242 4242 4242');
    await waitUntil(async () => (await track(o.token)).status === 'received', LIVE, 'the order paid');
    expect(await track(o.token)).toMatchObject({ paidCents: 4000, amountDueCents: 0, payment: { status: 'authorised', voucher: { cents: 2500, issuer: 'pluxee' } } });
    // Stripe sends the voucher's hold again; a forged body is refused: nothing more happens
    expect(await deliver(held.event)).toBe(200);
    expect(await deliver(fake.event('payment_intent.amount_capturable_updated', { ...voucher, id: 'pi_forged' }), 'whsec_wrong')).toBe(400);
    expect(await voucherRows(o.id)).toEqual([{ state: 'held', amount_cents: 2500, issuer: 'pluxee', reason: null }]);

    // the kitchen starts: both holds taken, each with its own key
    await move(s.kitchen, o.id, 'preparing');
    await waitUntil(() => fake.intents.get(voucher.id)?.status === 'succeeded' && fake.intents.get(card.id)?.status === 'succeeded', LIVE, 'both captures');
    expect([fake.intents.get(voucher.id)!.amount_received, fake.intents.get(card.id)!.amount_received]).toEqual([2500, 1500]);
    await waitUntil(async () => (await track(o.token)).payment.status === 'paid' && (await voucherRows(o.id))[0].state === 'taken', LIVE, 'the captures recorded');
    expect(await track(o.token)).toMatchObject({ paidCents: 4000, payment: { voucher: { cents: 2500 } } });
    expect(fake.calls.filter((c) => c.path === `/v1/payment_intents/${voucher.id}/capture`).map((c) => c.idempotencyKey)).toEqual([`capture-voucher-${o.id}`]);

    // the takings: the card part online, the voucher part its issuer's way
    const takings = (await s.manager.get(`/api/shops/${s.shop.id}/takings`)).body;
    expect(takings.shops[0].takenCents).toMatchObject({ voucher_pluxee: 2500, online: 1500 });
    // the day's online takings against Stripe's records: the card's 15 € and the voucher's 25 €, to the cent
    const check = async () => (await s.manager.get(`/api/shops/${s.shop.id}/online-reconciliation`)).body.reconciliation;
    expect(await check()).toEqual({ shopId: s.shop.id, recordedCents: 4000, providerCents: 4000, differences: [] });
    // Stripe holds a payment of this shop that no order of the till knows
    const planted = await stripeClient(stripe.env())!.paymentIntents.create({ amount: 990, currency: 'eur', metadata: { pizzeria_id: String(s.shop.id) } });
    Object.assign(fake.intents.get(planted.id)!, { status: 'succeeded', amount_received: 990 });
    expect(await check()).toEqual({ shopId: s.shop.id, recordedCents: 4000, providerCents: 4990, differences: [{ paymentRef: planted.id, recordedCents: 0, providerCents: 990 }] });
    // another shop's manager does not read it
    const other = await shop('vo-split-other');
    expect((await other.manager.get(`/api/shops/${s.shop.id}/online-reconciliation`)).status).toBe(404);
    // a refund: the card's 15 € go back through Stripe, the voucher's 25 € cannot, and the answer says so
    const state = (await s.manager.get(`/api/orders/${o.id}/refunds`)).body;
    expect(state.refundableCents).toBe(1500);
    const res = await fetch(`${stack.base}/api/orders/${o.id}/refunds`, {
      method: 'POST', headers: { 'content-type': 'application/json', cookie: s.manager.cookie, 'idempotency-key': `vo-${o.id}` }, body: JSON.stringify({ amountCents: 1500, reason: 'quality' }),
    });
    const back = await res.json();
    expect(res.status, JSON.stringify(back)).toBe(202);
    expect(back.vouchers).toEqual([{ way: 'voucher_pluxee', paidCents: 2500, note: expect.stringContaining('take no refunds') }]);
    await waitUntil(() => fake.refunds.some((r) => r.payment_intent === card.id), LIVE, 'the card refunded');
    expect(fake.refunds.filter((r) => r.payment_intent === card.id).map((r) => r.amount)).toEqual([1500]);
    expect(fake.refunds.filter((r) => r.payment_intent === voucher.id)).toEqual([]);
  });

  it("the same card over 25 € the same day: the second voucher hold is let go, the customer pays the whole on the card; the counter's typed reference is another identity", async () => {
    const s = await shop('vo-day');
    const number = voucherCard();
    const first = await placeOnline(s.shop.id);
    const a = await chosen(first, 1800, 'bimpli');
    await pay(a.voucher, number);
    await pay(a.card, '4242424242424242');
    await waitUntil(async () => (await track(first.token)).status === 'received', LIVE, 'the first order paid');

    // the second order: 10 € asked, but this card has 7 € left today
    const second = await placeOnline(s.shop.id);
    const b = await chosen(second, 1000, 'bimpli');
    await pay(b.card, '4242424242424242');
    const refused = await pay(b.voucher, number.replace(/ /g, ''));
    expect(refused.outcome).toBe('release');
    await waitUntil(() => fake.intents.get(b.voucher.id)?.status === 'canceled' && fake.intents.get(b.card.id)?.status === 'canceled', LIVE, 'both holds let go');
    expect(await voucherRows(second.id)).toEqual([expect.objectContaining({ state: 'refused', amount_cents: 1000, reason: expect.stringContaining('at most 7,00') })]);
    // the payment starts again for the whole on the card, and the page says why
    const whole = (await waitUntil(() => fake.intentOf(second.id, 3), LIVE, 'the whole on the card'))!;
    expect(whole.amount).toBe(4000);
    expect(fake.voucherIntentOf(second.id, 3)).toBeUndefined();
    expect(await form(second.token)).toMatchObject({ part: null, refused: { issuer: 'bimpli', cents: 1000, code: 'voucher_daily_limit', maxCents: 700 } });
    await pay(whole, '4242424242424242');
    await waitUntil(async () => (await track(second.token)).status === 'received', LIVE, 'the second order paid by card');
    expect(await track(second.token)).toMatchObject({ paidCents: 4000, payment: { voucher: null } });
    // another card the same day is a card of its own
    const third = await placeOnline(s.shop.id);
    const c = await chosen(third, 2500, 'up_dejeuner');
    expect((await pay(c.voucher, voucherCard())).outcome).toBe('authorised');

    // at the counter a voucher is declared with its typed reference: a different identity from Stripe's
    // fingerprint (which the product never sees as a number), so the two are not added up
    const counter = await new Client(stack.base).login(s.shop.email('counter'));
    const atDoor = await counter.post('/api/orders', {
      pizzeriaId: s.shop.id, channel: 'counter', fulfilment: 'pickup', customer: { name: 'Inès', phone: phone() },
      items: [{ productId: seededProduct('margherita'), quantity: 1 }], payment: 'on_delivery',
    });
    expect((await counter.get(`/api/orders/${atDoor.body.id}/meal-voucher?reference=${number.replace(/ /g, '')}`)).body).toMatchObject({ usedTodayCents: 0 });
  });

  it('on a Sunday a voucher is refused unless the shop accepts them then; the beer, the delivery fee and the tip are kept off', async () => {
    const s = await shop('vo-sunday', false);
    // a Margherita, an ice cream and a beer delivered: 19 € and the delivery fee, a tip of 3 € on the card
    const o = await placeOnline(s.shop.id, 'delivery', { tipCents: 300 }, [['margherita', 1], ['glace-vanille', 1], ['peroni', 1]]);
    expect(o.total).toBe(1900 + 250);
    const sunday = await on(SUNDAY, () => form(o.token));
    expect(sunday).toMatchObject({ closedDay: 'sunday', maxCents: 0, eligibleCents: 1500 });
    const refused = await on(SUNDAY, () => choose(o.token, { issuer: 'pluxee', amountCents: 1000 }));
    expect([refused.status, refused.body.error.code]).toEqual([409, 'voucher_sunday']);
    expect(await voucherRows(o.id)).toEqual([]);
    // the shop's manager accepts them on Sundays: the food only, never the fee, the tip or the beer
    expect((await s.manager.put(`/api/shops/${s.shop.id}/meal-vouchers`, { onClosedDays: true })).status).toBe(200);
    expect(await on(SUNDAY, () => form(o.token))).toMatchObject({ closedDay: null, maxCents: 1500 });
    const tooMuch = await on(SUNDAY, () => choose(o.token, { issuer: 'pluxee', amountCents: 1501 }));
    expect([tooMuch.status, tooMuch.body.error.code, tooMuch.body.error.maxCents]).toEqual([409, 'voucher_not_eligible', 1500]);
    const ok = await on(SUNDAY, () => choose(o.token, { issuer: 'pluxee', amountCents: 1500 }));
    expect(ok.status, JSON.stringify(ok.body)).toBe(201);
    const card = (await waitUntil(() => fake.intentOf(o.id, 2), LIVE, 'the card part'))!;
    // the card holds the rest: the beer, the delivery fee and the tip
    expect(card.amount).toBe(400 + 250 + 300);
    expect(fake.voucherIntentOf(o.id, 2)).toMatchObject({ amount: 1500 });
  });

  it('the customer drops the voucher part and pays the whole by card; a hold of the dropped voucher arriving late is let go', async () => {
    const s = await shop('vo-drop');
    const o = await placeOnline(s.shop.id);
    const { voucher } = await chosen(o, 1500, 'bimpli');
    const dropped = await new Client(stack.base).delete(`/api/track/${o.token}/meal-voucher`);
    expect(dropped.status, JSON.stringify(dropped.body)).toBe(200);
    expect(dropped.body).toMatchObject({ part: null });
    // nothing left to drop
    expect((await new Client(stack.base).delete(`/api/track/${o.token}/meal-voucher`)).body.error.code).toBe('no_voucher');
    const whole = (await waitUntil(() => fake.intentOf(o.id, 3), LIVE, 'the whole on the card'))!;
    expect(whole.amount).toBe(4000);
    // the page left open: the customer pays the dropped voucher all the same; its hold is let go
    expect((await pay(voucher, voucherCard())).outcome).toBe('release');
    await waitUntil(() => fake.intents.get(voucher.id)?.status === 'canceled', LIVE, 'the dropped voucher let go');
    await pay(whole, '4242424242424242');
    await waitUntil(async () => (await track(o.token)).status === 'received', LIVE, 'the order paid by card');
    expect(await track(o.token)).toMatchObject({ paidCents: 4000, payment: { voucher: null } });
    expect(await voucherRows(o.id)).toEqual([expect.objectContaining({ state: 'released', amount_cents: 1500 })]);
  });

  it("a voucher hold whose webhook never came is asked of Stripe at the payment's deadline: the order is paid, not cancelled", async () => {
    const s = await shop('vo-lost-hook');
    const o = await placeOnline(s.shop.id);
    // its deadline (PAYMENT_EXPIRY_MINUTES, 15 by default) 12 s away: the next attempt keeps it
    await stack.pool.query(`UPDATE orders SET pending_payment_at = now() - interval '15 minutes' + interval '12 seconds', version = version + 1 WHERE id = $1`, [o.id]);
    const { voucher, card } = await chosen(o, 2500);
    // the customer pays the voucher part, and Stripe's webhook of it never reaches us; the card's does
    fake.payWithCard(voucher, voucherCard());
    await pay(card, '4242 4242 4242 4242');
    expect(await track(o.token)).toMatchObject({ status: 'pending_payment' });
    expect(await voucherRows(o.id)).toEqual([{ state: 'waiting', amount_cents: 2500, issuer: 'pluxee', reason: null }]);

    // the deadline: Stripe is asked of the voucher's payment before anything is cancelled
    await waitUntil(async () => (await track(o.token)).status !== 'pending_payment', 40_000, 'the deadline');
    expect(await track(o.token)).toMatchObject({ status: 'received', paidCents: 4000, payment: { voucher: { cents: 2500, issuer: 'pluxee' } } });
    expect(await voucherRows(o.id)).toEqual([{ state: 'held', amount_cents: 2500, issuer: 'pluxee', reason: null }]);
    expect(fake.calls.some((c) => c.method === 'GET' && c.path === `/v1/payment_intents/${voucher.id}`)).toBe(true);
    expect([fake.intents.get(voucher.id)!.status, fake.intents.get(card.id)!.status]).toEqual(['requires_capture', 'requires_capture']);
  });

  it('a voucher hold Stripe no longer takes when the kitchen starts: the card part is taken all the same, and the voucher part is owed at the handover', async () => {
    const s = await shop('vo-capture-refused');
    const o = await placeOnline(s.shop.id);
    const { voucher, card } = await chosen(o, 2500);
    await pay(voucher, voucherCard());
    await pay(card, '4242 4242 4242 4242');
    await waitUntil(async () => (await track(o.token)).status === 'received', LIVE, 'the order paid');
    // the voucher's authorisation lapses at its issuer before the kitchen starts: Stripe cancels it
    Object.assign(fake.intents.get(voucher.id)!, { status: 'canceled', amount_capturable: 0 });

    await move(s.kitchen, o.id, 'preparing');
    await waitUntil(async () => (await voucherRows(o.id))[0].state === 'refused' && fake.intents.get(card.id)?.status === 'succeeded', LIVE, 'the captures tried');
    expect(fake.intents.get(card.id)!.amount_received).toBe(1500);
    expect((await voucherRows(o.id))[0]).toMatchObject({ state: 'refused', reason: expect.stringContaining('capture refused') });
    await waitUntil(async () => (await track(o.token)).payment.status === 'paid', LIVE, 'the card capture recorded');
    const t = await track(o.token);
    expect(t).toMatchObject({ paidCents: 1500, amountDueCents: 2500 });
    expect(t.payment.voucher ?? null).toBeNull();
    // tried once: a refusal is not retried
    expect(fake.calls.filter((c) => c.path === `/v1/payment_intents/${voucher.id}/capture`)).toHaveLength(1);
    // the manager is told, to warn the customer, until the order is handed over
    const alerts = async () => ((await s.manager.get('/api/alerts')).body as { kind: string; orderId?: string; voucher?: unknown }[]).filter((a) => a.kind === 'voucher_refused');
    expect(await alerts()).toEqual([expect.objectContaining({ orderId: o.id, voucher: { issuer: 'pluxee', cents: 2500 } })]);
    await move(s.kitchen, o.id, 'ready');
    const handover = await s.manager.post(`/api/orders/${o.id}/status`, { to: 'collected', paymentMethod: 'cash' });
    expect(handover.status, JSON.stringify(handover.body)).toBe(200);
    expect(await alerts()).toEqual([]);
  });

  it('a cancel before the kitchen starts lets both holds go, and nothing is refunded', async () => {
    const s = await shop('vo-cancel');
    const o = await placeOnline(s.shop.id);
    const { voucher, card } = await chosen(o, 2500, 'pluxee');
    await pay(voucher, voucherCard());
    await pay(card, '4242424242424242');
    await waitUntil(async () => (await track(o.token)).status === 'received', LIVE, 'the order paid');
    const c = await new Client(stack.base).post(`/api/track/${o.token}/cancel`);
    expect(c.status, JSON.stringify(c.body)).toBe(200);
    await waitUntil(() => fake.intents.get(voucher.id)?.status === 'canceled' && fake.intents.get(card.id)?.status === 'canceled', LIVE, 'both holds let go');
    await waitUntil(async () => (await voucherRows(o.id))[0].state === 'released' && (await track(o.token)).payment.status === 'refunded', LIVE, 'the releases recorded');
    expect(await track(o.token)).toMatchObject({ status: 'cancelled', refundDueCents: 0 });
    expect(fake.refunds.filter((r) => r.payment_intent === card.id || r.payment_intent === voucher.id)).toEqual([]);
  });
});
