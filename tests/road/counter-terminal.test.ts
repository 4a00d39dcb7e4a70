// The counter's card terminal through Stripe's real client (the `stripe` package), driven against a
// local server that speaks Stripe Terminal's server-driven API and its simulated reader
// (tests/stripe-server.ts), with the reader's webhooks signed as Stripe signs them: a manager
// registers the shop's reader; the counter sends what a ready pickup owes to it; the order is paid
// only when Stripe says the card was approved; a declined or cancelled card leaves it owing, to try
// again or take in cash; a repeated or forged event changes nothing; no one of another shop uses or
// registers the shop's reader; a terminal payment is not re-booked another way.
import { randomBytes, randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Client, createShop, move, seededProduct, waitUntil } from '../helpers.ts';
import { useFakeStripe, useStack } from '../services.ts';
import { stripeClient } from '../../src/lib/server/money/stripe.ts';

// a signing secret of this run's own, as Stripe's look (never a real one)
const WEBHOOK_SECRET = `whsec_${randomBytes(24).toString('hex')}`;
const stripe = useFakeStripe(WEBHOOK_SECRET);
const { fake, signer } = stripe;
// the workers too: a manager's refund to the card is theirs to make
const stack = useStack({ env: () => stripe.env(), workers: true });
const margherita = seededProduct('margherita');
const phone = () => `07${String(Math.floor(Math.random() * 1e8)).padStart(8, '0')}`;
/** Stripe's client as a test drives the simulated reader with (its test helpers). */
const helpers = () => stripeClient(stripe.env())!;

async function deliver(event: object, secret = WEBHOOK_SECRET) {
  const payload = JSON.stringify(event);
  const header = signer.webhooks.generateTestHeaderString({ payload, secret });
  const res = await fetch(`${stack.base}/api/payments/stripe/webhook`, { method: 'POST', headers: { 'content-type': 'application/json', 'stripe-signature': header }, body: payload });
  return res.status;
}

/** A shop with its staff signed in, and its reader registered by its manager. */
async function shopWithReader(tag: string) {
  const shop = await createShop(stack.pool, tag);
  const manager = await new Client(stack.base).login(shop.email('manager'));
  const counter = await new Client(stack.base).login(shop.email('counter'));
  const kitchen = await new Client(stack.base).login(shop.email('kitchen'));
  const reader = await manager.post(`/api/shops/${shop.id}/readers`, { code: 'simulated-wpe', label: 'Comptoir' });
  expect(reader.status, JSON.stringify(reader.body)).toBe(201);
  return { shop, manager, counter, kitchen, reader: reader.body as { id: number; readerRef: string } };
}

/** A pickup taken at the counter, made ready, still owing its total. */
async function readyPickup(s: Awaited<ReturnType<typeof shopWithReader>>) {
  const r = await s.counter.post('/api/orders', {
    pizzeriaId: s.shop.id, channel: 'counter', fulfilment: 'pickup', customer: { name: 'Inès', phone: phone() },
    items: [{ productId: margherita, quantity: 2 }], payment: 'on_delivery',
  });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  await move(s.kitchen, r.body.id, 'preparing');
  await move(s.kitchen, r.body.id, 'ready');
  return { id: r.body.id as string, total: r.body.total as number };
}

const order = async (c: Client, id: string) => (await c.get(`/api/orders/${id}`)).body;
/** A manager's refund, with its Idempotency-Key. */
async function refund(who: Client, orderId: string, body: object, key = randomUUID()) {
  const res = await fetch(`${stack.base}/api/orders/${orderId}/refunds`, {
    method: 'POST', headers: { 'content-type': 'application/json', cookie: who.cookie, 'idempotency-key': key }, body: JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}
const readerEvent = (type: string, readerRef: string) => fake.event(type, structuredClone(fake.readers.get(readerRef)!));

describe('a card terminal at the counter', () => {
  it("a manager registers the shop's reader; no one of another shop registers, lists or uses it", async () => {
    const s = await shopWithReader('terminal-reg');
    expect(fake.readers.get(s.reader.readerRef)).toMatchObject({ device_type: 'simulated_wisepos_e', label: 'Comptoir' });
    const location = fake.locations.get(fake.readers.get(s.reader.readerRef)!.location)!;
    expect(location).toMatchObject({ display_name: expect.stringContaining('OC Pizza'), address: { country: 'FR' } });
    expect((await s.manager.get(`/api/shops/${s.shop.id}/readers`)).body.readers).toEqual([{ id: s.reader.id, label: 'Comptoir', readerRef: s.reader.readerRef }]);
    // a code the reader does not show: 400 naming the field, nothing kept
    const wrong = await s.manager.post(`/api/shops/${s.shop.id}/readers`, { code: 'not-a-code', label: 'Bar' });
    expect(wrong.status).toBe(400);
    expect(wrong.body.error.fields).toHaveProperty('code');
    // the counter does not register readers
    expect((await s.counter.post(`/api/shops/${s.shop.id}/readers`, { code: 'simulated-wpe', label: 'Bar' })).status).toBe(403);

    const other = await shopWithReader('terminal-other');
    expect((await other.manager.post(`/api/shops/${s.shop.id}/readers`, { code: 'simulated-wpe', label: 'Intrus' })).status).toBe(403);
    expect((await other.manager.get(`/api/shops/${s.shop.id}/readers`)).status).toBe(404);
    const o = await readyPickup(s);
    // another shop's counter cannot send this shop's order to a reader, nor name this shop's reader for its own
    expect((await other.counter.post(`/api/orders/${o.id}/terminal-payments`, {})).status).toBe(404);
    const theirs = await readyPickup(other);
    expect((await other.counter.post(`/api/orders/${theirs.id}/terminal-payments`, { readerId: s.reader.id })).status).toBe(404);
    expect((await s.manager.get(`/api/shops/${s.shop.id}/readers`)).body.readers).toHaveLength(1);
    expect(fake.readers.get(s.reader.readerRef)!.action).toBeNull();
  });

  it('the order is paid only when Stripe says the card was approved, once, whatever is repeated or forged', async () => {
    const s = await shopWithReader('terminal-ok');
    const o = await readyPickup(s);
    const sent = await s.counter.post(`/api/orders/${o.id}/terminal-payments`, {});
    expect(sent.status, JSON.stringify(sent.body)).toBe(201);
    expect(sent.body).toMatchObject({ state: 'waiting', amountCents: o.total, readerLabel: 'Comptoir' });
    const reader = fake.readers.get(s.reader.readerRef)!;
    expect(reader.action).toMatchObject({ type: 'process_payment_intent', status: 'in_progress' });
    const intent = fake.intents.get(reader.action!.process_payment_intent.payment_intent)!;
    expect(intent).toMatchObject({ amount: o.total, currency: 'eur', payment_method_types: ['card_present'], metadata: { order_id: o.id } });
    // a second send while one waits: refused, nothing more asked of Stripe
    expect((await s.counter.post(`/api/orders/${o.id}/terminal-payments`, {})).status).toBe(409);
    expect(await order(s.counter, o.id)).toMatchObject({ status: 'ready', amountDueCents: o.total });

    // a forged approval (not Stripe's signature): 400, nothing changes
    await helpers().testHelpers.terminal.readers.presentPaymentMethod(s.reader.readerRef, { card_present: { number: '4242424242424242' } });
    const approved = readerEvent('terminal.reader.action_succeeded', s.reader.readerRef);
    expect(await deliver({ ...approved, id: 'evt_forged' }, `whsec_${randomBytes(24).toString('hex')}`)).toBe(400);
    expect((await s.counter.get(`/api/terminal-payments/${sent.body.id}`)).body.state).toBe('waiting');
    expect(await order(s.counter, o.id)).toMatchObject({ status: 'ready', amountDueCents: o.total });

    expect(await deliver(approved)).toBe(200);
    expect((await s.counter.get(`/api/terminal-payments/${sent.body.id}`)).body.state).toBe('approved');
    const paid = await order(s.counter, o.id);
    expect(paid).toMatchObject({ status: 'collected', amountDueCents: 0, paidCents: o.total, delivery: { collected: { cents: o.total, method: 'terminal' } } });
    // Stripe repeats it, and sends the intent's own success: nothing more
    expect(await deliver(approved)).toBe(200);
    expect(await deliver(fake.event('payment_intent.succeeded', intent))).toBe(200);
    expect(await order(s.counter, o.id)).toMatchObject({ version: paid.version, paidCents: o.total });
    expect((await stack.pool.query(`SELECT outcome FROM payment_events WHERE event_id = $1`, [approved.id])).rows).toEqual([{ outcome: 'captured' }]);

    // a terminal payment is the provider's record: not re-booked as cash (a declared card still is, elsewhere)
    const fix = await s.counter.post(`/api/orders/${o.id}/payment-corrections`, { part: 'handover', to: 'cash', reason: 'Espèces en fait' });
    expect(fix.status).toBe(409);
    expect(fix.body.error).toMatchObject({ code: 'correction_provider', message: expect.stringContaining('terminal') });
  });

  it('a declined card leaves the order owing; the counter tries again, cancels at the reader, and takes cash', async () => {
    const s = await shopWithReader('terminal-no');
    const o = await readyPickup(s);
    const first = (await s.counter.post(`/api/orders/${o.id}/terminal-payments`, {})).body;
    await helpers().testHelpers.terminal.readers.presentPaymentMethod(s.reader.readerRef, { card_present: { number: '4000000000000002' } });
    expect(fake.readers.get(s.reader.readerRef)!.action).toMatchObject({ status: 'failed', failure_code: 'card_declined' });
    expect(await deliver(readerEvent('terminal.reader.action_failed', s.reader.readerRef))).toBe(200);
    expect((await s.counter.get(`/api/terminal-payments/${first.id}`)).body).toMatchObject({ state: 'declined', reason: 'Your card was declined.' });
    expect(await order(s.counter, o.id)).toMatchObject({ status: 'ready', amountDueCents: o.total, paidCents: 0 });

    // again, on the same reader: this time the customer gives up and the counter cancels
    const second = await s.counter.post(`/api/orders/${o.id}/terminal-payments`, {});
    expect(second.status, JSON.stringify(second.body)).toBe(201);
    const intentId = fake.readers.get(s.reader.readerRef)!.action!.process_payment_intent.payment_intent;
    const cancelled = await s.counter.post(`/api/terminal-payments/${second.body.id}/cancel`, {});
    expect(cancelled.status, JSON.stringify(cancelled.body)).toBe(200);
    expect(cancelled.body.state).toBe('cancelled');
    expect(fake.readers.get(s.reader.readerRef)!.action).toBeNull();
    expect(fake.intents.get(intentId)!.status).toBe('canceled');
    expect((await s.counter.post(`/api/terminal-payments/${second.body.id}/cancel`, {})).status).toBe(409);
    expect(await order(s.counter, o.id)).toMatchObject({ status: 'ready', amountDueCents: o.total });

    // cash, as today
    expect((await s.counter.post(`/api/orders/${o.id}/status`, { to: 'collected', paymentMethod: 'cash' })).status).toBe(200);
    expect(await order(s.counter, o.id)).toMatchObject({ status: 'collected', delivery: { collected: { method: 'cash' } } });
    // and the counter cannot declare a terminal payment itself
    const o2 = await readyPickup(s);
    expect((await s.counter.post(`/api/orders/${o2.id}/status`, { to: 'collected', paymentMethod: 'terminal' })).status).toBe(422);
  });

  it("the takings show the terminal card apart from the declared card, reconciled to the cent with Stripe's records, and a planted difference", async () => {
    const s = await shopWithReader('terminal-takings');
    const byTerminal = await readyPickup(s);
    const sent = (await s.counter.post(`/api/orders/${byTerminal.id}/terminal-payments`, {})).body;
    await helpers().testHelpers.terminal.readers.presentPaymentMethod(s.reader.readerRef, { card_present: { number: '4242424242424242' } });
    expect(await deliver(readerEvent('terminal.reader.action_succeeded', s.reader.readerRef))).toBe(200);
    expect((await s.counter.get(`/api/terminal-payments/${sent.id}`)).body.state).toBe('approved');
    const declared = await readyPickup(s);
    expect((await s.counter.post(`/api/orders/${declared.id}/status`, { to: 'collected', paymentMethod: 'card' })).status).toBe(200);

    const takings = (await s.manager.get(`/api/shops/${s.shop.id}/takings`)).body;
    expect(takings.shops[0].takenCents).toMatchObject({ counter_terminal: byTerminal.total, counter_card: declared.total });
    const check = async () => (await s.manager.get(`/api/shops/${s.shop.id}/terminal-reconciliation`)).body.reconciliation;
    expect(await check()).toEqual({ shopId: s.shop.id, recordedCents: byTerminal.total, providerCents: byTerminal.total, differences: [] });

    // Stripe holds a terminal payment of this shop the till never recorded
    const planted = await helpers().paymentIntents.create({ amount: 1234, currency: 'eur', allowed_payment_method_types: ['card_present'], metadata: { pizzeria_id: String(s.shop.id) } });
    Object.assign(fake.intents.get(planted.id)!, { status: 'succeeded', amount_received: 1234 });
    expect(await check()).toEqual({
      shopId: s.shop.id, recordedCents: byTerminal.total, providerCents: byTerminal.total + 1234,
      differences: [{ paymentRef: planted.id, recordedCents: 0, providerCents: 1234 }],
    });
    // another shop's manager does not read it
    const other = await createShop(stack.pool, 'terminal-takings-other');
    const otherManager = await new Client(stack.base).login(other.email('manager'));
    expect((await otherManager.get(`/api/shops/${s.shop.id}/terminal-reconciliation`)).status).toBe(404);
  });

  it("a manager's refund of a terminal payment goes back to the same card through Stripe, once, never more than it took", async () => {
    const s = await shopWithReader('terminal-refund');
    const o = await readyPickup(s);
    const sent = (await s.counter.post(`/api/orders/${o.id}/terminal-payments`, {})).body;
    const intent = fake.readers.get(s.reader.readerRef)!.action!.process_payment_intent.payment_intent as string;
    await helpers().testHelpers.terminal.readers.presentPaymentMethod(s.reader.readerRef, { card_present: { number: '4242424242424242' } });
    expect(await deliver(readerEvent('terminal.reader.action_succeeded', s.reader.readerRef))).toBe(200);
    expect((await s.counter.get(`/api/terminal-payments/${sent.id}`)).body.state).toBe('approved');

    // the manager's page offers the card, not cash
    const offered = (await s.manager.get(`/api/orders/${o.id}/refunds`)).body;
    expect(offered).toMatchObject({ method: 'provider', refundableCents: o.total, parts: [{ method: 'provider', way: 'counter_terminal', paidCents: o.total, refundableCents: o.total }] });
    expect((await refund(s.manager, o.id, { amountCents: 300, reason: 'quality', method: 'cash' })).body.error.code).toBe('wrong_method');

    const key = randomUUID();
    const asked = await refund(s.manager, o.id, { amountCents: 300, reason: 'quality' }, key);
    // accepted, and given back by the workers through Stripe
    expect(asked.status, JSON.stringify(asked.body)).toBe(202);
    expect(asked.body.refund).toMatchObject({ method: 'provider', amountCents: 300, status: 'pending' });
    await waitUntil(async () => (await order(s.manager, o.id)).refundedCents === 300, 15_000, 'the refund made by the workers');
    expect(fake.refunds.filter((r) => r.payment_intent === intent).map((r) => r.amount)).toEqual([300]);
    expect((await s.manager.get(`/api/orders/${o.id}/refunds`)).body.refunds).toEqual([expect.objectContaining({ method: 'provider', status: 'done', amountCents: 300 })]);
    // the same request again answers the same refund; Stripe is not asked twice
    expect((await refund(s.manager, o.id, { amountCents: 300, reason: 'quality' }, key)).body.refund.id).toBe(asked.body.refund.id);
    // never more than the card took
    const over = await refund(s.manager, o.id, { amountCents: o.total - 299, reason: 'other' });
    expect(over.status).toBe(409);
    expect(over.body.error.code).toBe('over_refundable');
    await new Promise((r) => setTimeout(r, 500));
    expect(fake.refunds.filter((r) => r.payment_intent === intent)).toHaveLength(1);
    // the day's takings count it as given back to the card, not from the till
    const takings = (await s.manager.get(`/api/shops/${s.shop.id}/takings`)).body.shops[0];
    expect(takings.refunds).toEqual({ onlineCents: 300, shopCents: 0 });
  });

  it('without a reader the counter is told to declare the card', async () => {
    const shop = await createShop(stack.pool, 'terminal-none');
    const counter = await new Client(stack.base).login(shop.email('counter'));
    const kitchen = await new Client(stack.base).login(shop.email('kitchen'));
    const r = await counter.post('/api/orders', {
      pizzeriaId: shop.id, channel: 'counter', fulfilment: 'pickup', customer: { name: 'Léo', phone: phone() }, items: [{ productId: margherita, quantity: 1 }], payment: 'on_delivery',
    });
    await move(kitchen, r.body.id, 'preparing');
    await move(kitchen, r.body.id, 'ready');
    const sent = await counter.post(`/api/orders/${r.body.id}/terminal-payments`, {});
    expect(sent.status).toBe(409);
    expect(sent.body.error.code).toBe('no_reader');
  });
});
