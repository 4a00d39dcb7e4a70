// Refunds by the managers: part or all of a paid order, with a reason, through Stripe's real client
// (the `stripe` package against tests/stripe-server.ts) or the demo provider, or as cash given back;
// once, however often the request or the job is repeated; shown in the day's takings (with the VAT
// it gives back), on the receipt, in the audit log, and told to the customer by email and text.
// Real Postgres, Redis and BullMQ; a mail server and an SMS gateway in the test process.
import { beforeAll, describe, expect, it } from 'vitest';
import { randomUUID, randomBytes } from 'node:crypto';
import Stripe from 'stripe';
import { Client, addressFor, createShop, move, seededProduct, waitUntil, countOf } from '../helpers.ts';
import type { FakeIntent } from '../stripe-server.ts';
import { useFakeStripe, useMessages, useStack } from '../services.ts';
import { DemoPaymentProvider } from '../../src/lib/server/money/demo.ts';
import { makePendingRefunds } from '../../src/lib/server/money/refund-settling.ts';

// a signing secret of this run's own, as Stripe's look (never a real one)
const WEBHOOK_SECRET = `whsec_${randomBytes(24).toString('hex')}`;
const LIVE = 20_000;
const messages = useMessages();
const stripe = useFakeStripe(WEBHOOK_SECRET);
const { fake, signer } = stripe;
const stack = useStack({ env: () => ({ ...stripe.env(), ...messages.env(), PREP_TARGET_SECONDS: '600', DISPATCH_RETRY_MS: '300' }), workers: true });
const margherita = seededProduct('margherita');
const coke = seededProduct('coca-cola');
const peroni = seededProduct('peroni');
const reine = seededProduct('reine'); // 12,50 € at 10 %
const truffe = seededProduct('truffe'); // 18,90 € at 10 %

let shop: Awaited<ReturnType<typeof createShop>>;
let other: Awaited<ReturnType<typeof createShop>>;
let manager: Client;
beforeAll(async () => {
  shop = await createShop(stack.pool, 'refunds');
  other = await createShop(stack.pool, 'refunds-other');
  manager = await new Client(stack.base).login(shop.email('manager'));
});

/** A refund asked through the API, with its Idempotency-Key (a new one unless given). */
async function refund(who: Client, orderId: string, body: unknown, key: string | null = randomUUID()) {
  const res = await fetch(`${stack.base}/api/orders/${orderId}/refunds`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(who.cookie ? { cookie: who.cookie } : {}), ...(key ? { 'idempotency-key': key } : {}) },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, body: await res.json(), replayed: res.headers.get('idempotent-replayed') };
}
const refundsOf = async (orderId: string) => (await manager.get(`/api/orders/${orderId}/refunds`)).body;
const track = async (token: string) => (await new Client(stack.base).get(`/api/track/${token}`)).body;
const today = async () => (await stack.pool.query<{ d: string }>(`SELECT (now() AT TIME ZONE 'Europe/Paris')::date::text AS d`)).rows[0].d;
const rowsOf = (orderId: string) => countOf(stack.pool, 'SELECT count(*) AS n FROM order_refunds WHERE order_id = $1', [orderId]);
const stripeRefundsOf = (intentId: string) => fake.refunds.filter((r) => r.payment_intent === intentId);

async function deliver(event: object) {
  const payload = JSON.stringify(event);
  const header = signer.webhooks.generateTestHeaderString({ payload, secret: WEBHOOK_SECRET });
  const res = await fetch(`${stack.base}/api/payments/stripe/webhook`, { method: 'POST', headers: { 'content-type': 'application/json', 'stripe-signature': header }, body: payload });
  expect(res.status).toBe(200);
}

/** A customer signed in by the code emailed to them. */
async function signedIn(email: string): Promise<Client> {
  const c = new Client(stack.base);
  expect((await c.post('/api/customer/code', { email })).status).toBe(202);
  const mail = (await waitUntil(() => [...messages.smtp.inbox].reverse().find((m) => JSON.stringify(m.to ?? '').includes(email)), LIVE, `an email to ${email}`))!;
  const code = /\b(\d{6})\b/.exec(mail.text ?? '')![1];
  const r = await c.post('/api/customer/session', { email, code });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return c;
}

/** An online pickup of 2 margheritas and a coke, paid by card through Stripe, captured by the kitchen and collected. */
async function paidOnline(email = 'ines@example.test') {
  const r = await new Client(stack.base).post('/api/orders', {
    pizzeriaId: shop.id, fulfilment: 'pickup', customer: { name: 'Inès', phone: '0611223344', email },
    items: [{ productId: margherita, quantity: 2 }, { productId: coke, quantity: 1 }], payment: 'online',
  });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  const intent = (await waitUntil(() => fake.intentOf(r.body.id), LIVE, 'the PaymentIntent')) as FakeIntent;
  fake.authorise(intent);
  await deliver(fake.event('payment_intent.amount_capturable_updated', intent));
  await waitUntil(async () => (await track(r.body.trackingToken)).status === 'received', LIVE, 'the order to reach the kitchen');
  const kitchen = await new Client(stack.base).login(shop.email('kitchen'));
  await move(kitchen, r.body.id, 'preparing');
  await waitUntil(async () => (await track(r.body.trackingToken)).payment.status === 'paid', LIVE, 'the capture');
  await move(kitchen, r.body.id, 'ready');
  await move(await new Client(stack.base).login(shop.email('counter')), r.body.id, 'collected');
  const view = await track(r.body.trackingToken);
  return { id: r.body.id as string, token: r.body.trackingToken as string, total: r.body.total as number, intent, view };
}

/**
 * An order paid in two ways: a Reine paid online (12,50 €, the card held), a Truffe added by the
 * customer before the kitchen starts (18,90 € more, due at the counter); the kitchen's start captures
 * the 12,50 € held, and the counter collects the 18,90 € in cash.
 */
async function paidMixed(at = shop, email = 'nina@example.test') {
  const r = await new Client(stack.base).post('/api/orders', {
    pizzeriaId: at.id, fulfilment: 'pickup', customer: { name: 'Nina', phone: '0611223372', email }, items: [{ productId: reine, quantity: 1 }], payment: 'online',
  });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  const intent = (await waitUntil(() => fake.intentOf(r.body.id), LIVE, 'the PaymentIntent')) as FakeIntent;
  fake.authorise(intent);
  await deliver(fake.event('payment_intent.amount_capturable_updated', intent));
  await waitUntil(async () => (await track(r.body.trackingToken)).status === 'received', LIVE, 'the order to reach the kitchen');
  const grown = await new Client(stack.base).patch(`/api/track/${r.body.trackingToken}`, { items: [{ productId: reine, quantity: 1 }, { productId: truffe, quantity: 1 }] });
  expect(grown.status, JSON.stringify(grown.body)).toBe(200);
  expect(grown.body).toMatchObject({ totalCents: 3140, paidCents: 1250, amountDueCents: 1890 });
  const kitchen = await new Client(stack.base).login(at.email('kitchen'));
  await move(kitchen, r.body.id, 'preparing');
  await waitUntil(async () => (await track(r.body.trackingToken)).payment.status === 'paid', LIVE, 'the capture');
  await move(kitchen, r.body.id, 'ready');
  await move(await new Client(stack.base).login(at.email('counter')), r.body.id, 'collected');
  const view = await track(r.body.trackingToken);
  expect(view).toMatchObject({ paidCents: 3140, amountDueCents: 0 });
  expect(fake.intents.get(intent.id)!.amount_received).toBe(1250);
  return { id: r.body.id as string, token: r.body.trackingToken as string, intent };
}

/** A delivery paid cash at the door (placed at the counter, handed over by its driver's flow: collected at the counter here). */
async function paidCash() {
  const counter = await new Client(stack.base).login(shop.email('counter'));
  const r = await counter.post('/api/orders', {
    pizzeriaId: shop.id, channel: 'phone', fulfilment: 'pickup', customer: { name: 'Marc', phone: '0622334455', email: 'marc@example.test' },
    items: [{ productId: margherita, quantity: 1 }, { productId: coke, quantity: 2 }], payment: 'on_delivery',
  });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  const kitchen = await new Client(stack.base).login(shop.email('kitchen'));
  await move(kitchen, r.body.id, 'preparing');
  await move(kitchen, r.body.id, 'ready');
  await move(counter, r.body.id, 'collected');
  return { id: r.body.id as string, token: r.body.trackingToken as string, total: r.body.total as number };
}

describe('a manager refunds part of an order paid online, through Stripe', () => {
  it('a refunded line goes back to the card once, even when the request and the job are repeated; the takings, the receipt, the audit log and the customer show it', async () => {
    const o = await paidOnline();
    const cokeLine = o.view.items.find((i: { productId: number }) => i.productId === coke);
    const pizzaLine = o.view.items.find((i: { productId: number }) => i.productId === margherita);
    expect(o.view).toMatchObject({ status: 'collected', paidCents: o.total, refundedCents: 0 });

    // the coke was missing: its line, refunded to the card
    const key = randomUUID();
    const asked = { lines: [{ itemId: cokeLine.id, quantity: 1 }], reason: 'missing_item', note: 'forgotten in the bag' };
    const first = await refund(manager, o.id, asked, key);
    expect(first.status, JSON.stringify(first.body)).toBe(202);
    expect(first.body.refund).toMatchObject({ amountCents: cokeLine.unitPriceCents, reason: 'missing_item', method: 'provider', status: 'pending' });
    const id = first.body.refund.id;
    await waitUntil(async () => (await refundsOf(o.id)).refunds[0]?.status === 'done', LIVE, 'the refund done');
    expect(stripeRefundsOf(o.intent.id)).toEqual([expect.objectContaining({ amount: cokeLine.unitPriceCents })]);
    expect(fake.calls.filter((c) => c.path === '/v1/refunds').map((c) => c.idempotencyKey)).toContain(`refund-${id}`);

    // the same request again (a double tap, a retry after a timeout): the same refund, no money moves
    const again = await refund(manager, o.id, asked, key);
    expect(again.status).toBe(200);
    expect(again.replayed).toBe('true');
    expect(again.body.refund).toMatchObject({ id, status: 'done', amountCents: cokeLine.unitPriceCents });
    // and the job again (a worker that ran it twice): nothing pending, nothing more at Stripe
    expect(await makePendingRefunds(stack.pool, stack.workers.provider, o.id)).toEqual({ done: 0, failed: 0 });
    expect(stripeRefundsOf(o.intent.id)).toHaveLength(1);
    expect(await rowsOf(o.id)).toBe(1);

    // the order: refunded that much, nothing owed either way
    const after = await track(o.token);
    expect(after).toMatchObject({ paidCents: o.total, refundedCents: cokeLine.unitPriceCents, amountDueCents: 0, refundDueCents: 0 });

    // the receipt: the refund with its reason, and what was paid in the end
    const receipt = (await new Client(stack.base).get(`/api/track/${o.token}/receipt?lang=en`)).body;
    expect(receipt).toMatchObject({ totalCents: o.total, refundedCents: cokeLine.unitPriceCents, netPaidCents: o.total - cokeLine.unitPriceCents });
    expect(receipt.refunds).toEqual([expect.objectContaining({ reason: 'missing_item', amountCents: cokeLine.unitPriceCents, method: 'provider' })]);
    const pdf = await fetch(`${stack.base}/api/track/${o.token}/receipt.pdf?lang=en`);
    expect(pdf.status).toBe(200);

    // the takings of the day: refunded online, granted for a missing item, its VAT at the coke's own rate
    const cokeRate = (await refundsOf(o.id)).lines.find((l: { itemId: number }) => l.itemId === cokeLine.id).vatRate;
    expect((await refundsOf(o.id)).refunds[0].vat).toEqual([{ rate: cokeRate, grossCents: cokeLine.unitPriceCents, vatCents: Math.round((cokeLine.unitPriceCents * cokeRate) / (100 + cokeRate)), netCents: expect.any(Number) }]);
    const day = (await manager.get(`/api/shops/${shop.id}/takings?date=${await today()}`)).body.shops[0];
    expect(day.refunds.onlineCents).toBeGreaterThanOrEqual(cokeLine.unitPriceCents);
    expect(day.granted.byReason.missing_item).toBeGreaterThanOrEqual(cokeLine.unitPriceCents);
    const atCokeRate = day.granted.vat.find((v: { rate: number }) => v.rate === cokeRate);
    expect(atCokeRate.grossCents).toBeGreaterThanOrEqual(cokeLine.unitPriceCents);
    expect(day.netSalesCents).toBe(day.salesCents - day.granted.cents);
    const csv = await (await fetch(`${stack.base}/api/shops/${shop.id}/takings.csv?date=${await today()}&lang=en`, { headers: { cookie: manager.cookie } })).text();
    expect(csv.split('\r\n')[0]).toContain('"Refunds granted"');

    // the audit log names who refunded what and why
    const { rows: audit } = await stack.pool.query(`SELECT actor, after FROM audit_log WHERE action = 'order.refund' AND entity_id = $1`, [o.id]);
    expect(audit).toEqual([expect.objectContaining({ actor: expect.stringContaining('manager'), after: expect.objectContaining({ amountCents: cokeLine.unitPriceCents, reason: 'missing_item' }) })]);

    // the customer is told, with the amount and the reason, by email and by text
    const mail = await waitUntil(() => messages.smtp.inbox.find((m) => m.subject?.includes(`no. ${after.number}`) && m.subject.includes('refunded') || (m.subject?.includes(`n°${after.number}`) && m.subject.includes('rembours'))), LIVE, 'the refund email');
    expect(mail!.text).toMatch(/article manquant|missing item/);
    const text = await waitUntil(() => messages.gateway.texts.find((t) => t.text.includes(String(after.number)) && /rembours|refunded/.test(t.text)), LIVE, 'the refund text');
    expect(text!.text).toMatch(/article manquant|missing item/);

    // a second pizza line can still be refunded, but not more of the coke than was bought
    const twice = await refund(manager, o.id, { lines: [{ itemId: cokeLine.id, quantity: 1 }], reason: 'missing_item' });
    expect(twice.status).toBe(409);
    expect(twice.body.error.code).toBe('line_already_refunded');
    expect(pizzaLine.quantity).toBe(2);
  });

  it('a worker that died after Stripe refunded and before the database knew: the retried job refunds nothing more, and the refund is recorded once', async () => {
    const o = await paidOnline();
    await stack.stopWorkers();
    try {
      const asked = await refund(manager, o.id, { amountCents: 300, reason: 'late' });
      expect(asked.status, JSON.stringify(asked.body)).toBe(202);
      const id = asked.body.refund.id;
      // the call the dead worker made: Stripe refunded, nothing was recorded
      const { STRIPE_SECRET_KEY, STRIPE_API_URL } = stripe.env();
      const client = new Stripe(STRIPE_SECRET_KEY, { host: new URL(STRIPE_API_URL).hostname, port: Number(new URL(STRIPE_API_URL).port), protocol: 'http' });
      await client.refunds.create({ payment_intent: o.intent.id, amount: 300, metadata: { order_id: o.id } }, { idempotencyKey: `refund-${id}` });
      expect((await refundsOf(o.id)).refunds[0].status).toBe('pending');
    } finally {
      await stack.startWorkers();
    }
    // the workers come back: the reactor (or the reconciler) runs the job again
    await waitUntil(async () => (await refundsOf(o.id)).refunds[0]?.status === 'done', LIVE, 'the refund recorded');
    expect(stripeRefundsOf(o.intent.id).map((r) => r.amount)).toEqual([300]);
    const calls = fake.calls.filter((c) => c.path === '/v1/refunds' && c.body.payment_intent === o.intent.id);
    expect(calls.length).toBeGreaterThanOrEqual(2);
    expect(new Set(calls.map((c) => c.idempotencyKey)).size).toBe(1);
    const { rows } = await stack.pool.query(`SELECT kind, amount_cents FROM payment_movements WHERE order_id = $1 AND kind = 'refunded'`, [o.id]);
    expect(rows).toEqual([{ kind: 'refunded', amount_cents: 300 }]);
    expect(await track(o.token)).toMatchObject({ refundedCents: 300, amountDueCents: 0 });
    // VAT of an amount: the order's rates, pro rata of what each cost, adding up to the amount
    const state = await refundsOf(o.id);
    const vat = state.refunds[0].vat as { rate: number; grossCents: number }[];
    const rates = [...new Set(state.lines.map((l: { vatRate: number }) => l.vatRate))].sort((a, b) => (a as number) - (b as number));
    expect(vat.map((v) => v.rate)).toEqual(rates);
    expect(vat.reduce((s, v) => s + v.grossCents, 0)).toBe(300);
    const atRate = (rate: unknown) => state.lines.filter((l: { vatRate: number }) => l.vatRate === rate).reduce((s: number, l: { unitCents: number; quantity: number }) => s + l.unitCents * l.quantity, 0);
    for (const v of vat) expect(Math.abs(v.grossCents - (300 * atRate(v.rate)) / o.total)).toBeLessThan(1);
  });

  it('two refunds at once cannot give back more than was paid', async () => {
    const o = await paidOnline();
    const both = await Promise.all([refund(manager, o.id, { amountCents: o.total, reason: 'quality' }), refund(manager, o.id, { amountCents: o.total, reason: 'quality' })]);
    expect(both.map((b) => b.status).sort()).toEqual([202, 409]);
    // refused while the first is pending (over_refundable), or once it is made already (nothing_left)
    expect(['over_refundable', 'nothing_left']).toContain(both.find((b) => b.status === 409)!.body.error.code);
    await waitUntil(async () => (await refundsOf(o.id)).refunds.every((r: { status: string }) => r.status === 'done'), LIVE, 'the refund done');
    expect(stripeRefundsOf(o.intent.id).map((r) => r.amount)).toEqual([o.total]);
    const state = await refundsOf(o.id);
    expect(state).toMatchObject({ refundableCents: 0, why: 'nothing_left' });
    const more = await refund(manager, o.id, { amountCents: 1, reason: 'other' });
    expect(more.status).toBe(409);
    expect(more.body.error.code).toBe('nothing_left');
  });

  it('a refund Stripe refuses is failed with its reason, for the manager to see, and moves nothing', async () => {
    const o = await paidOnline();
    // Stripe will not refund this payment any more (as for a charge disputed meanwhile)
    const intent = fake.intents.get(o.intent.id)!;
    intent.status = 'canceled';
    const asked = await refund(manager, o.id, { amountCents: 200, reason: 'quality' });
    expect(asked.status).toBe(202);
    const failed = await waitUntil(async () => (await refundsOf(o.id)).refunds.find((r: { status: string }) => r.status === 'failed'), LIVE, 'the refund failed');
    intent.status = 'succeeded';
    expect(failed.failure).toMatch(/cannot be refunded/);
    expect(await track(o.token)).toMatchObject({ refundedCents: 0, amountDueCents: 0 });
    // what failed is refundable again
    expect((await refundsOf(o.id)).refundableCents).toBe(o.total);
  });
});

describe('the VAT of a refund on an order with a promo code', () => {
  it('a whole refund by amount gives back each rate what was paid at it, the discount taken off as it was spread', async () => {
    const admin = await new Client(stack.base).login('admin@ocpizza.test');
    const code = `REFUND${Math.random().toString(36).slice(2, 8).toUpperCase()}`;
    expect((await admin.post('/api/promos', { code, kind: 'amount', value: 300 })).status).toBe(201);
    const counter = await new Client(stack.base).login(shop.email('counter'));
    const placed = await counter.post('/api/orders', {
      pizzeriaId: shop.id, channel: 'phone', fulfilment: 'pickup', customer: { name: 'Lou', phone: '0655667788' },
      items: [{ productId: margherita, quantity: 2 }, { productId: peroni, quantity: 1 }], payment: 'on_delivery', promoCode: code,
    });
    expect(placed.status, JSON.stringify(placed.body)).toBe(201);
    const kitchen = await new Client(stack.base).login(shop.email('kitchen'));
    await move(kitchen, placed.body.id, 'preparing');
    await move(kitchen, placed.body.id, 'ready');
    await move(counter, placed.body.id, 'collected');
    const { rows } = await stack.pool.query<{ by_rate: { rate: number; cents: number }[] }>('SELECT by_rate FROM promo_redemptions WHERE order_id = $1', [placed.body.id]);
    const state = await refundsOf(placed.body.id);
    const paidAt = (rate: number) =>
      state.lines.filter((l: { vatRate: number }) => l.vatRate === rate).reduce((s: number, l: { unitCents: number; quantity: number }) => s + l.unitCents * l.quantity, 0) -
      rows[0].by_rate.filter((d) => Number(d.rate) === rate).reduce((s, d) => s + d.cents, 0);
    const r = await refund(manager, placed.body.id, { amountCents: state.refundableCents, reason: 'quality' });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    expect(state.refundableCents).toBe(placed.body.total);
    // the beer's 20 % and the pizzas' 10 %: two rates, each given back what was paid at it
    expect(r.body.refund.vat.map((v: { rate: number }) => v.rate)).toEqual([10, 20]);
    for (const v of r.body.refund.vat) expect(v.grossCents, `at ${v.rate} %`).toBe(paidAt(v.rate));
  });
});

describe('an order paid in two ways', () => {
  it('is refunded the way each part came, each part at most what it took: 12,50 € to the card through Stripe, 18,90 € collected at the counter given back in cash', async () => {
    const o = await paidMixed();
    const state = await refundsOf(o.id);
    expect(state).toMatchObject({ paidCents: 3140, refundableCents: 3140 });

    // the counter's part, in cash: given back at once
    const cash = await refund(manager, o.id, { amountCents: 500, reason: 'quality', method: 'cash' });
    expect(cash.status, JSON.stringify(cash.body)).toBe(201);
    expect(cash.body.refund).toMatchObject({ method: 'cash', status: 'done', amountCents: 500 });
    // the page sees the two parts, each with what is left of it
    expect((await refundsOf(o.id)).parts).toEqual([
      { method: 'provider', way: 'online', paidCents: 1250, refundedCents: 0, refundableCents: 1250, why: null },
      { method: 'cash', way: 'counter_cash', paidCents: 1890, refundedCents: 500, refundableCents: 1390, why: null },
    ]);
    // to the card, more than the card took: refused, nothing asked of Stripe
    const over = await refund(manager, o.id, { amountCents: 1251, reason: 'quality', method: 'provider' });
    expect(over.status).toBe(409);
    expect(over.body.error).toMatchObject({ code: 'over_refundable', fields: { amountCents: 'at most 1250' } });
    // in cash, more than the counter's part has left: refused too
    const overCash = await refund(manager, o.id, { amountCents: 1391, reason: 'quality', method: 'cash' });
    expect(overCash.status).toBe(409);
    expect(overCash.body.error.fields).toEqual({ amountCents: 'at most 1390' });
    expect(await rowsOf(o.id)).toBe(1);

    // everything left, no way named: each part its own way, in one request (repeated: the same two rows)
    const key = randomUUID();
    const rest = await refund(manager, o.id, { amountCents: 2640, reason: 'quality' }, key);
    expect(rest.status, JSON.stringify(rest.body)).toBe(202);
    expect(rest.body.refunds.map((r: { method: string; amountCents: number; status: string }) => [r.method, r.amountCents, r.status])).toEqual([['provider', 1250, 'pending'], ['cash', 1390, 'done']]);
    const again = await refund(manager, o.id, { amountCents: 2640, reason: 'quality' }, key);
    expect(again.status).toBe(200);
    expect(again.body.refunds.map((r: { id: number }) => r.id)).toEqual(rest.body.refunds.map((r: { id: number }) => r.id));
    await waitUntil(async () => (await refundsOf(o.id)).refunds.every((r: { status: string }) => r.status === 'done'), LIVE, 'the card part refunded');
    expect(stripeRefundsOf(o.intent.id).map((r) => r.amount)).toEqual([1250]);
    expect(await rowsOf(o.id)).toBe(3);
    expect(await track(o.token)).toMatchObject({ paidCents: 3140, refundedCents: 3140, amountDueCents: 0, refundDueCents: 0 });
    const after = await refundsOf(o.id);
    expect(after).toMatchObject({ refundableCents: 0, why: 'nothing_left' });
    expect(after.parts.map((p: { refundedCents: number; refundableCents: number }) => [p.refundedCents, p.refundableCents])).toEqual([[1250, 0], [1890, 0]]);
    // the VAT given back adds up to what was paid at 10 %
    expect(after.refunds.flatMap((r: { vat: { rate: number; grossCents: number }[] }) => r.vat).reduce((s: number, v: { grossCents: number }) => s + v.grossCents, 0)).toBe(3140);
    // the receipt shows the three refunds, each the way it went back
    const receipt = (await new Client(stack.base).get(`/api/track/${o.token}/receipt`)).body;
    expect(receipt.refunds.map((r: { method: string; amountCents: number }) => [r.method, r.amountCents]).sort()).toEqual([['cash', 1390], ['cash', 500], ['provider', 1250]]);
  });
});

describe('a discounted line', () => {
  it('gives back what was paid for it: a beer sold 1,24 € after a 69 % code is refunded 1,24 € at 20 %, and an amount after it takes nothing more at 20 %', async () => {
    const admin = await new Client(stack.base).login('admin@ocpizza.test');
    const code = `BEER${Math.random().toString(36).slice(2, 8).toUpperCase()}`;
    expect((await admin.post('/api/promos', { code, kind: 'percent', value: 69 })).status).toBe(201);
    const counter = await new Client(stack.base).login(shop.email('counter'));
    const placed = await counter.post('/api/orders', {
      pizzeriaId: shop.id, channel: 'phone', fulfilment: 'pickup', customer: { name: 'Hugo', phone: '0655667799' },
      items: [{ productId: margherita, quantity: 1 }, { productId: peroni, quantity: 1 }], payment: 'on_delivery', promoCode: code,
    });
    expect(placed.status, JSON.stringify(placed.body)).toBe(201);
    // 14,50 € less 69 % (10,01 €: 7,25 € off at 10 %, 2,76 € at 20 %): 4,49 € paid, the beer 4,00 € − 2,76 € = 1,24 €
    expect(placed.body.total).toBe(449);
    const kitchen = await new Client(stack.base).login(shop.email('kitchen'));
    await move(kitchen, placed.body.id, 'preparing');
    await move(kitchen, placed.body.id, 'ready');
    await move(counter, placed.body.id, 'collected');
    const state = await refundsOf(placed.body.id);
    const beer = state.lines.find((l: { name: string }) => l.name.includes('Peroni'));

    const r = await refund(manager, placed.body.id, { lines: [{ itemId: beer.itemId, quantity: 1 }], reason: 'quality' });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    expect(r.body.refund).toMatchObject({ amountCents: 124, method: 'cash', lines: [{ itemId: beer.itemId, quantity: 1, cents: 124 }] });
    expect(r.body.refund.vat).toEqual([{ rate: 20, grossCents: 124, vatCents: 21, netCents: 103 }]);
    // the page shows what each line was paid, after the discount
    const after = await refundsOf(placed.body.id);
    expect(after.lines.find((l: { itemId: number }) => l.itemId === beer.itemId)).toMatchObject({ unitCents: 400, paidCents: 124, left: 0 });
    expect(after.lines.find((l: { name: string }) => l.name === 'Margherita')).toMatchObject({ unitCents: 1050, paidCents: 325, nextUnitCents: 325 });
    // the rest by amount: all of it at 10 %, the 20 % has nothing left to give back
    const rest = await refund(manager, placed.body.id, { amountCents: 325, reason: 'other' });
    expect(rest.status, JSON.stringify(rest.body)).toBe(201);
    expect(rest.body.refund.vat).toEqual([{ rate: 10, grossCents: 325, vatCents: 30, netCents: 295 }]);
  });
});

describe('the takings of a day with a mixed refund, a discounted line refunded and a points order', () => {
  it('add up by hand', async () => {
    const day = await createShop(stack.pool, 'refunds-day');
    const dayManager = await new Client(stack.base).login(day.email('manager'));
    const kitchen = await new Client(stack.base).login(day.email('kitchen'));
    const counter = await new Client(stack.base).login(day.email('counter'));
    const collect = async (id: string) => {
      await move(kitchen, id, 'preparing');
      await move(kitchen, id, 'ready');
      await move(counter, id, 'collected');
    };

    // A: 12,50 € online + 18,90 € cash at the counter, all at 10 %; refunded whole (late): 12,50 € to the card, 18,90 € in cash
    const a = await paidMixed(day, 'day-a@example.test');
    const ra = await refund(dayManager, a.id, { amountCents: 3140, reason: 'late' });
    expect(ra.status, JSON.stringify(ra.body)).toBe(202);
    await waitUntil(async () => (await dayManager.get(`/api/orders/${a.id}/refunds`)).body.refunds.every((r: { status: string }) => r.status === 'done'), LIVE, 'A refunded');

    // B: a Margherita (10,50 € at 10 %) and a Peroni (4,00 € at 20 %) less 69 %: 10,01 € off (7,25 € at 10 %, 2,76 € at 20 %),
    // 4,49 € paid cash at the counter; the Peroni refunded (quality): 1,24 € in cash, at 20 %
    const admin = await new Client(stack.base).login('admin@ocpizza.test');
    const code = `DAY${Math.random().toString(36).slice(2, 8).toUpperCase()}`;
    expect((await admin.post('/api/promos', { code, kind: 'percent', value: 69 })).status).toBe(201);
    const b = await counter.post('/api/orders', {
      pizzeriaId: day.id, channel: 'counter', fulfilment: 'pickup', customer: { name: 'Bea', phone: '0655660001' },
      items: [{ productId: margherita, quantity: 1 }, { productId: peroni, quantity: 1 }], payment: 'on_delivery', promoCode: code,
    });
    expect(b.status, JSON.stringify(b.body)).toBe(201);
    expect(b.body.total).toBe(449);
    await collect(b.body.id);
    const beer = (await dayManager.get(`/api/orders/${b.body.id}/refunds`)).body.lines.find((l: { name: string }) => l.name.includes('Peroni'));
    const rb = await refund(dayManager, b.body.id, { lines: [{ itemId: beer.itemId, quantity: 1 }], reason: 'quality' });
    expect(rb.body.refund).toMatchObject({ amountCents: 124, status: 'done' });

    // C: 60 points for a free Margherita (10,50 € off at 10 %) and a Coca-Cola (3,00 € at 5,5 %: a sealed can taken away), 3,00 € paid cash;
    // the Coca-Cola refunded as missing: 3,00 € in cash, and the points stay spent (the pizza was kept)
    const email = `day-c-${Date.now()}@example.test`;
    const me = await signedIn(email);
    const { rows: acc } = await stack.pool.query<{ id: string }>('SELECT id FROM customers WHERE email = $1', [email]);
    await stack.pool.query(`INSERT INTO loyalty_ledger (customer_id, points, reason) VALUES ($1, 60, 'earned')`, [acc[0].id]);
    const c = await me.post('/api/orders', {
      pizzeriaId: day.id, fulfilment: 'pickup', customer: { name: 'Chloé', phone: '0655660002', email },
      items: [{ productId: margherita, quantity: 1 }, { productId: coke, quantity: 1 }], payment: 'on_delivery', useLoyalty: true,
    });
    expect(c.status, JSON.stringify(c.body)).toBe(201);
    expect(c.body.total).toBe(300);
    await collect(c.body.id);
    const cokeLine = (await dayManager.get(`/api/orders/${c.body.id}/refunds`)).body.lines.find((l: { name: string }) => l.name.startsWith('Coca'));
    const rc = await refund(dayManager, c.body.id, { lines: [{ itemId: cokeLine.itemId, quantity: 1 }], reason: 'missing_item' });
    expect(rc.body.refund).toMatchObject({ amountCents: 300, status: 'done' });
    expect((await me.get('/api/customer/loyalty')).body.balance).toBe(0);

    const t = (await dayManager.get(`/api/shops/${day.id}/takings?date=${await today()}`)).body.shops[0];
    // taken: the card's 12,50 €; at the counter in cash 18,90 + 4,49 + 3,00 = 26,39 €
    expect(t.takenCents).toMatchObject({ online: 1250, counter_cash: 2639, counter_card: 0, door_cash: 0, door_card: 0 });
    expect(t.totalTakenCents).toBe(3889);
    // refunded: 12,50 € by the provider; 18,90 + 1,24 + 3,00 = 23,14 € given back at the shop
    expect(t.refunds).toEqual({ onlineCents: 1250, shopCents: 2314 });
    expect(t.totalRefundsCents).toBe(3564);
    expect(t.netCents).toBe(325);
    // sold: 31,40 + 4,49 + 3,00 = 38,89 €, before discounts 31,40 + 14,50 + 13,50 = 59,40 €, 10,01 + 10,50 = 20,51 € off
    expect(t.salesCents).toBe(3889);
    expect(t.discounts).toEqual({ count: 2, cents: 2051, grossSalesCents: 5940 });
    expect(t.orders).toMatchObject({ paid: 3, cancelled: 0, open: 0 });
    // VAT of the sales: at 5,5 % the can's 3,00 € (0,16 € of VAT); at 10 % 12,50 + 18,90 + 10,50 + 10,50 − 7,25 − 10,50
    // = 34,65 € (3,15 € of VAT); at 20 % 4,00 − 2,76 = 1,24 € (0,21 € of VAT)
    expect(t.vat).toEqual([
      { rate: 5.5, grossCents: 300, vatCents: 16, netCents: 284 },
      { rate: 10, grossCents: 3465, vatCents: 315, netCents: 3150 },
      { rate: 20, grossCents: 124, vatCents: 21, netCents: 103 },
    ]);
    // granted: A in two rows (the card's, the cash), B, C: 35,64 €; back at 5,5 % 3,00 €, at 10 % 31,40 €, at 20 % 1,24 €
    expect(t.granted).toMatchObject({ count: 4, cents: 3564, byReason: { late: 3140, quality: 124, missing_item: 300, other: 0 } });
    expect(t.granted.vat).toEqual([
      { rate: 5.5, grossCents: 300, vatCents: 16, netCents: 284 },
      { rate: 10, grossCents: 3140, vatCents: 285, netCents: 2855 },
      { rate: 20, grossCents: 124, vatCents: 21, netCents: 103 },
    ]);
    // kept: 38,89 − 35,64 = 3,25 €, the Margherita of B, all at 10 %; nothing (and nothing negative) at 5,5 % nor 20 %
    expect(t.netSalesCents).toBe(325);
    expect(t.netVat).toEqual([{ rate: 10, grossCents: 325, vatCents: 30, netCents: 295 }]);
  });
});

describe('a manager refunds an order paid at the shop', () => {
  it('cash given back is done at once, counted in the day’s takings and on the receipt, and never reads as money to collect', async () => {
    const o = await paidCash();
    const before = (await manager.get(`/api/shops/${shop.id}/takings?date=${await today()}`)).body.shops[0];
    const r = await refund(manager, o.id, { amountCents: 250, reason: 'quality', method: 'cash' });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    expect(r.body.refund).toMatchObject({ status: 'done', method: 'cash', amountCents: 250 });
    expect(await track(o.token)).toMatchObject({ paidCents: o.total, refundedCents: 250, amountDueCents: 0, refundDueCents: 0 });
    const after = (await manager.get(`/api/shops/${shop.id}/takings?date=${await today()}`)).body.shops[0];
    expect(after.refunds.shopCents - before.refunds.shopCents).toBe(250);
    expect(after.netCents - before.netCents).toBe(-250);
    expect(after.granted.byReason.quality - before.granted.byReason.quality).toBe(250);
    const receipt = (await new Client(stack.base).get(`/api/track/${o.token}/receipt`)).body;
    expect(receipt.refunds).toEqual([expect.objectContaining({ reason: 'quality', amountCents: 250, method: 'cash' })]);
    expect(receipt.netPaidCents).toBe(o.total - 250);
    // not to the card: there is none
    const card = await refund(manager, o.id, { amountCents: 100, reason: 'quality', method: 'provider' });
    expect(card.status).toBe(409);
    expect(card.body.error.code).toBe('wrong_method');
    // head office refunds in any shop: the rest of the order, left as the manager's refund left it
    const admin = await new Client(stack.base).login('admin@ocpizza.test');
    const rest = await refund(admin, o.id, { amountCents: o.total - 250, reason: 'other', note: 'geste commercial' });
    expect(rest.status, JSON.stringify(rest.body)).toBe(201);
    expect(await track(o.token)).toMatchObject({ refundedCents: o.total, amountDueCents: 0, refundDueCents: 0 });
    expect((await refundsOf(o.id)).why).toBe('nothing_left');
  });
});

describe('what a refund refuses, changing nothing', () => {
  it('an unpaid order, a card only held, bad amounts, malformed bodies, no key, another shop, other roles, no session', async () => {
    const counter = await new Client(stack.base).login(shop.email('counter'));
    const unpaid = await counter.post('/api/orders', {
      pizzeriaId: shop.id, channel: 'phone', fulfilment: 'delivery', address: addressFor(shop.id), customer: { name: 'Zoé', phone: '0633445566' },
      items: [{ productId: margherita, quantity: 1 }], payment: 'on_delivery',
    });
    expect(unpaid.status).toBe(201);
    const o = await paidOnline();
    const item = o.view.items[0].id;
    // paid online and only held: the kitchen has not started it, nothing was charged yet
    const held = await new Client(stack.base).post('/api/orders', {
      pizzeriaId: shop.id, fulfilment: 'pickup', customer: { name: 'Léa', phone: '0644556677' }, items: [{ productId: margherita, quantity: 1 }], payment: 'online',
    });
    const heldIntent = (await waitUntil(() => fake.intentOf(held.body.id), LIVE, 'the PaymentIntent')) as FakeIntent;
    fake.authorise(heldIntent);
    await deliver(fake.event('payment_intent.amount_capturable_updated', heldIntent));
    await waitUntil(async () => (await track(held.body.trackingToken)).payment.status === 'authorised', LIVE, 'the hold');
    const cases: [string, Client, string, unknown, string | null, number, string?][] = [
      ['an order not paid yet', manager, unpaid.body.id, { amountCents: 100, reason: 'late' }, randomUUID(), 409, 'not_paid'],
      ['a card only held', manager, held.body.id, { amountCents: 100, reason: 'late' }, randomUUID(), 409, 'not_captured'],
      ['more than was paid', manager, o.id, { amountCents: o.total + 1, reason: 'late' }, randomUUID(), 409, 'over_refundable'],
      ['nothing', manager, o.id, { amountCents: 0, reason: 'late' }, randomUUID(), 422],
      ['less than nothing', manager, o.id, { amountCents: -500, reason: 'late' }, randomUUID(), 422],
      ['cents that are not whole', manager, o.id, { amountCents: 1.5, reason: 'late' }, randomUUID(), 422],
      ['an amount and lines', manager, o.id, { amountCents: 100, lines: [{ itemId: item, quantity: 1 }], reason: 'late' }, randomUUID(), 422],
      ['neither', manager, o.id, { reason: 'late' }, randomUUID(), 422],
      ['a reason that is not one', manager, o.id, { amountCents: 100, reason: 'because' }, randomUUID(), 422],
      ['a line of another order', manager, o.id, { lines: [{ itemId: 2_000_000_000, quantity: 1 }], reason: 'late' }, randomUUID(), 422],
      ['more of a line than was bought', manager, o.id, { lines: [{ itemId: item, quantity: 99 }], reason: 'late' }, randomUUID(), 409, 'line_already_refunded'],
      ['an unknown field', manager, o.id, { amountCents: 100, reason: 'late', extra: 1 }, randomUUID(), 422],
      ['malformed JSON', manager, o.id, '{"amountCents": ', randomUUID(), 400, 'bad_json'],
      ['no Idempotency-Key', manager, o.id, { amountCents: 100, reason: 'late' }, null, 422],
      ['a key of the wrong shape', manager, o.id, { amountCents: 100, reason: 'late' }, 'short', 422],
      ['the manager of another shop', await new Client(stack.base).login(other.email('manager')), o.id, { amountCents: 100, reason: 'late' }, randomUUID(), 403],
      ['the kitchen', await new Client(stack.base).login(shop.email('kitchen')), o.id, { amountCents: 100, reason: 'late' }, randomUUID(), 403],
      ['the counter', counter, o.id, { amountCents: 100, reason: 'late' }, randomUUID(), 403],
      ['nobody signed in', new Client(stack.base), o.id, { amountCents: 100, reason: 'late' }, randomUUID(), 401],
      ['an order that does not exist', manager, randomUUID(), { amountCents: 100, reason: 'late' }, randomUUID(), 404],
    ];
    for (const [what, who, orderId, body, key, status, code] of cases) {
      const r = await refund(who, orderId, body, key);
      expect(r.status, `${what}: ${JSON.stringify(r.body)}`).toBe(status);
      if (code) expect(r.body.error.code, what).toBe(code);
    }
    // the same key for another refund is refused too
    const key = randomUUID();
    expect((await refund(manager, o.id, { amountCents: 100, reason: 'late' }, key)).status).toBe(202);
    const reused = await refund(manager, o.id, { amountCents: 200, reason: 'late' }, key);
    expect(reused.status).toBe(409);
    expect(reused.body.error.code).toBe('idempotency_key_reused');
    await waitUntil(async () => (await refundsOf(o.id)).refunds.every((r: { status: string }) => r.status === 'done'), LIVE, 'the one refund done');
    expect(await rowsOf(o.id)).toBe(1);
    expect(await rowsOf(unpaid.body.id)).toBe(0);
    expect(stripeRefundsOf(o.intent.id).map((r) => r.amount)).toEqual([100]);
    expect(await countOf(stack.pool, `SELECT count(*) AS n FROM audit_log WHERE action = 'order.refund' AND entity_id = $1`, [o.id])).toBe(1);
  });
});

describe('the demo provider', () => {
  it('refunds a pending refund once, however often the job runs, even twice at once', async () => {
    // an order paid online through the demo provider, as its page and webhook would have left it
    const o = await paidCash();
    // (nothing collected at the counter: it was all paid before)
    await stack.pool.query(
      `UPDATE orders SET paid_with = 'online', payment_reference = 'pi_demo_refunds', payment_status = 'paid', collected_cents = NULL, collected_method = NULL, version = version + 1 WHERE id = $1`,
      [o.id],
    );
    await stack.stopWorkers();
    try {
      const asked = await refund(manager, o.id, { amountCents: 180, reason: 'late' });
      expect(asked.status, JSON.stringify(asked.body)).toBe(202);
      const demo = new DemoPaymentProvider(async () => undefined);
      const runs = await Promise.all([makePendingRefunds(stack.pool, demo, o.id), makePendingRefunds(stack.pool, demo, o.id)]);
      expect(runs.reduce((s, r) => s + r.done, 0)).toBe(1);
      expect(await makePendingRefunds(stack.pool, demo, o.id)).toEqual({ done: 0, failed: 0 });
      expect([...demo.refunds.values()]).toEqual([expect.objectContaining({ orderId: o.id, amountCents: 180, paymentReference: 'pi_demo_refunds' })]);
      const { rows } = await stack.pool.query(`SELECT amount_cents, provider FROM payment_movements WHERE order_id = $1 AND kind = 'refunded'`, [o.id]);
      expect(rows).toEqual([{ amount_cents: 180, provider: 'demo' }]);
      expect(await track(o.token)).toMatchObject({ refundedCents: 180, amountDueCents: 0 });
    } finally {
      await stack.startWorkers();
    }
  });
});
