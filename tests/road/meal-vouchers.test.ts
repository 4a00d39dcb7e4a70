// Titres-restaurant at the counter, over HTTP: a 40 € order paid 25 € by voucher (declared with the
// card's reference: no provider of ours takes meal vouchers in person) and 15 € on the shop's card
// terminal (Stripe Terminal against tests/stripe-server.ts); the voucher refused over the card's
// 25 € a day, on a Sunday and a public holiday unless the shop accepts them, and for alcohol; each
// issuer its own way in the takings; a refund gives back the card's part and says what happens to the
// voucher's.
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Client, createShop, move, seededProduct, waitUntil } from '../helpers.ts';
import { useFakeStripe, useStack } from '../services.ts';
import { stripeClient } from '../../src/lib/server/money/stripe.ts';

const WEBHOOK_SECRET = `whsec_${randomBytes(24).toString('hex')}`;
const stripe = useFakeStripe(WEBHOOK_SECRET);
const { fake, signer } = stripe;
// the workers too: the terminal's part of a refund goes back through Stripe, by them
const stack = useStack({ env: () => stripe.env(), workers: true });
const product = (slug: string) => seededProduct(slug);
const phone = () => `07${String(Math.floor(Math.random() * 1e8)).padStart(8, '0')}`;
/** A card's reference of this run's own: the card's day is counted across the chain, and runs share nothing. */
const card = () => `5123 4567 ${String(Math.floor(Math.random() * 1e8)).padStart(8, '0')}`;

afterEach(() => vi.useRealTimers());

async function deliver(event: object) {
  const payload = JSON.stringify(event);
  const header = signer.webhooks.generateTestHeaderString({ payload, secret: WEBHOOK_SECRET });
  const res = await fetch(`${stack.base}/api/payments/stripe/webhook`, { method: 'POST', headers: { 'content-type': 'application/json', 'stripe-signature': header }, body: payload });
  return res.status;
}

async function shop(tag: string) {
  const s = await createShop(stack.pool, tag);
  const manager = await new Client(stack.base).login(s.email('manager'));
  const counter = await new Client(stack.base).login(s.email('counter'));
  const kitchen = await new Client(stack.base).login(s.email('kitchen'));
  return { shop: s, manager, counter, kitchen };
}

/** A pickup at the counter, owing its total: two Chèvre-miel, two ice creams and a beer, 40 € (of which 4 € of beer), unless told. */
async function pickup(s: Awaited<ReturnType<typeof shop>>, items = [{ slug: 'chevre-miel', quantity: 2 }, { slug: 'glace-vanille', quantity: 2 }, { slug: 'peroni', quantity: 1 }]) {
  const r = await s.counter.post('/api/orders', {
    pizzeriaId: s.shop.id, channel: 'counter', fulfilment: 'pickup', customer: { name: 'Inès', phone: phone() },
    items: items.map((i) => ({ productId: product(i.slug), quantity: i.quantity })), payment: 'on_delivery',
  });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return { id: r.body.id as string, total: r.body.total as number };
}

/** A refund asked through the API, with its Idempotency-Key. */
async function refund(who: Client, orderId: string, body: unknown, key: string) {
  const res = await fetch(`${stack.base}/api/orders/${orderId}/refunds`, {
    method: 'POST', headers: { 'content-type': 'application/json', cookie: who.cookie, 'idempotency-key': key }, body: JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

const declare = (c: Client, orderId: string, body: object) => c.post(`/api/orders/${orderId}/meal-voucher`, body);
/** Only Date is faked: the request's Paris day; every timer stays real. */
const at = (iso: string) => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(new Date(iso));
};
// a Tuesday lunch in Paris
const TUESDAY = '2026-11-24T11:30:00Z';

describe('titres-restaurant at the counter', () => {
  it('a 40 € order paid 25 € by voucher and 15 € on the terminal; the beer is kept off; the takings count each way; a refund gives back the card part and says what happens to the voucher part', async () => {
    const s = await shop('voucher-split');
    const reader = (await s.manager.post(`/api/shops/${s.shop.id}/readers`, { code: 'simulated-wpe', label: 'Comptoir' })).body as { readerRef: string };
    const o = await pickup(s);
    expect(o.total).toBe(4000);
    const ref = card();
    at(TUESDAY);
    // what the counter is shown first: 36 € of food and ice cream, the beer kept off; at most 25 € today
    const allowed = (await s.counter.get(`/api/orders/${o.id}/meal-voucher?reference=${encodeURIComponent(ref)}`)).body;
    expect(allowed).toMatchObject({ eligibleCents: 3600, dueCents: 4000, dailyLimitCents: 2500, usedTodayCents: 0, maxCents: 2500, closedDay: null });
    // over the card's daily amount: refused, nothing kept
    const over = await declare(s.counter, o.id, { issuer: 'pluxee', amountCents: 2600, reference: ref });
    expect(over.status).toBe(409);
    expect(over.body.error).toMatchObject({ code: 'voucher_daily_limit', maxCents: 2500 });
    const ok = await declare(s.counter, o.id, { issuer: 'pluxee', amountCents: 2500, reference: ref });
    expect(ok.status, JSON.stringify(ok.body)).toBe(201);
    expect(ok.body).toMatchObject({ amountToCollect: 1500, payment: { voucher: { cents: 2500, issuer: 'pluxee' } } });
    // a second voucher on the same order: refused
    expect((await declare(s.counter, o.id, { issuer: 'swile', amountCents: 100, reference: card() })).body.error.code).toBe('voucher_already');
    vi.useRealTimers();

    // the rest on the shop's card terminal: the reader is asked for 15 €, the order handed over once Stripe approves
    await move(s.kitchen, o.id, 'preparing');
    await move(s.kitchen, o.id, 'ready');
    const sent = await s.counter.post(`/api/orders/${o.id}/terminal-payments`, {});
    expect(sent.body.amountCents).toBe(1500);
    const terminalIntent = fake.readers.get(reader.readerRef)!.action!.process_payment_intent.payment_intent;
    await stripeClient(stripe.env())!.testHelpers.terminal.readers.presentPaymentMethod(reader.readerRef, { card_present: { number: '4242424242424242' } });
    expect(await deliver(fake.event('terminal.reader.action_succeeded', structuredClone(fake.readers.get(reader.readerRef)!)))).toBe(200);
    const paid = (await s.counter.get(`/api/orders/${o.id}`)).body;
    expect(paid).toMatchObject({ status: 'collected', amountToCollect: 0, delivery: { collected: { cents: 1500, method: 'terminal' } } });

    const takings = (await s.manager.get(`/api/shops/${s.shop.id}/takings`)).body;
    expect(takings.shops[0].takenCents).toMatchObject({ voucher_pluxee: 2500, counter_terminal: 1500 });

    // the manager refunds the order: the card's 15 € go back, the voucher's 25 € cannot, and the answer says so
    const state = (await s.manager.get(`/api/orders/${o.id}/refunds`)).body;
    expect(state.refundableCents).toBe(1500);
    expect(state.parts).toContainEqual(expect.objectContaining({ way: 'voucher_pluxee', paidCents: 2500, refundableCents: 0, why: 'meal_voucher' }));
    const all = await refund(s.manager, o.id, { amountCents: 4000, reason: 'quality' }, `mv-${o.id}-all`);
    expect(all.status).toBe(409);
    expect(all.body.error.code).toBe('over_refundable');
    const back = await refund(s.manager, o.id, { amountCents: 1500, reason: 'quality' }, `mv-${o.id}`);
    // the terminal's part goes back to the same card, through Stripe (the workers make it)
    expect(back.status, JSON.stringify(back.body)).toBe(202);
    expect(back.body.refunds).toEqual([expect.objectContaining({ amountCents: 1500, method: 'provider', status: 'pending' })]);
    expect(back.body.vouchers).toEqual([{ way: 'voucher_pluxee', paidCents: 2500, note: expect.stringContaining('take no refunds') }]);
    await waitUntil(async () => (await s.manager.get(`/api/orders/${o.id}`)).body.refundedCents === 1500, 15_000, 'the card part given back');
    expect(fake.refunds.map((r) => [r.payment_intent, r.amount])).toContainEqual([terminalIntent, 1500]);
    expect((await s.manager.get(`/api/orders/${o.id}/refunds`)).body.refundableCents).toBe(0);
  });

  it("refuses more than the card's 25 € a day across orders and shops, counting what it paid already", async () => {
    const a = await shop('voucher-day-a');
    const b = await shop('voucher-day-b');
    const ref = card();
    at(TUESDAY);
    const first = await pickup(a);
    expect((await declare(a.counter, first.id, { issuer: 'bimpli', amountCents: 1800, reference: ref })).status).toBe(201);
    // the same card at another shop of the chain, the same day, typed with other spaces: 7 € left
    const second = await pickup(b);
    const spaced = ref.replace(/ /g, '');
    expect((await b.counter.get(`/api/orders/${second.id}/meal-voucher?reference=${spaced}`)).body).toMatchObject({ usedTodayCents: 1800, maxCents: 700 });
    const refused = await declare(b.counter, second.id, { issuer: 'bimpli', amountCents: 800, reference: spaced });
    expect(refused.status).toBe(409);
    expect(refused.body.error).toMatchObject({ code: 'voucher_daily_limit', maxCents: 700 });
    expect((await b.counter.get(`/api/orders/${second.id}`)).body).toMatchObject({ amountToCollect: 4000, payment: { voucher: null } });
    expect((await declare(b.counter, second.id, { issuer: 'bimpli', amountCents: 700, reference: spaced })).status).toBe(201);
    // the next day the card has its 25 € again
    at('2026-11-25T11:30:00Z');
    const third = await pickup(b);
    expect((await declare(b.counter, third.id, { issuer: 'bimpli', amountCents: 2500, reference: ref })).status).toBe(201);
  });

  it('keeps alcohol off the voucher: an order of beers pays only its food by voucher', async () => {
    const s = await shop('voucher-alcohol');
    const o = await pickup(s, [{ slug: 'margherita', quantity: 1 }, { slug: 'peroni', quantity: 3 }]);
    at(TUESDAY);
    const r = await declare(s.counter, o.id, { issuer: 'up_dejeuner', amountCents: 1200, reference: card() });
    expect(r.status).toBe(409);
    expect(r.body.error).toMatchObject({ code: 'voucher_not_eligible', maxCents: 1050 });
    expect((await declare(s.counter, o.id, { issuer: 'up_dejeuner', amountCents: 1050, reference: card() })).status).toBe(201);
  });

  it('refuses vouchers on a Sunday and a public holiday, unless the shop accepts them those days', async () => {
    const s = await shop('voucher-sunday');
    const o = await pickup(s);
    at('2026-11-22T12:00:00Z'); // a Sunday
    expect((await s.counter.get(`/api/orders/${o.id}/meal-voucher`)).body).toMatchObject({ closedDay: 'sunday', maxCents: 0 });
    const sunday = await declare(s.counter, o.id, { issuer: 'edenred', amountCents: 1000, reference: card() });
    expect(sunday.status).toBe(409);
    expect(sunday.body.error.code).toBe('voucher_sunday');
    at('2026-12-25T12:00:00Z'); // Christmas, a Friday
    expect((await declare(s.counter, o.id, { issuer: 'edenred', amountCents: 1000, reference: card() })).body.error.code).toBe('voucher_holiday');
    // the counter does not set the shop's days; its manager does
    expect((await s.counter.put(`/api/shops/${s.shop.id}/meal-vouchers`, { onClosedDays: true })).status).toBe(403);
    expect((await s.manager.put(`/api/shops/${s.shop.id}/meal-vouchers`, { onClosedDays: true })).status).toBe(200);
    at('2026-11-22T12:00:00Z');
    expect((await declare(s.counter, o.id, { issuer: 'edenred', amountCents: 1000, reference: card() })).status).toBe(201);
  });

  it('refuses what is malformed or not its own, and changes nothing', async () => {
    const s = await shop('voucher-bad');
    const other = await shop('voucher-bad-other');
    const o = await pickup(s);
    at(TUESDAY);
    for (const body of [{ issuer: 'ticket-resto', amountCents: 500, reference: card() }, { issuer: 'swile', amountCents: -5, reference: card() }, { issuer: 'swile', amountCents: 500, reference: '12' }, { issuer: 'swile', amountCents: 500 }, { issuer: 'swile', amountCents: 500, reference: card(), extra: 1 }]) {
      expect((await declare(s.counter, o.id, body)).status, JSON.stringify(body)).toBe(422);
    }
    // another shop's counter: not found
    expect((await declare(other.counter, o.id, { issuer: 'swile', amountCents: 500, reference: card() })).status).toBe(404);
    expect((await s.counter.get(`/api/orders/${o.id}`)).body).toMatchObject({ amountToCollect: 4000, payment: { voucher: null } });
    // a voucher on an order paid already: nothing owed, refused
    await move(s.kitchen, o.id, 'preparing');
    await move(s.kitchen, o.id, 'ready');
    await move(s.counter, o.id, 'collected');
    expect((await declare(s.counter, o.id, { issuer: 'swile', amountCents: 500, reference: card() })).body.error.code).toBe('not_open');
  });
});
