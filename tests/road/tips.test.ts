// Tips for the drivers, end to end, against real Postgres, Redis, BullMQ and the workers in this
// process; card payments through the demo page (events signed and received like Stripe's). A card
// tip at checkout rides on the order's hold, reaches the driver who delivered, and is neither a sale
// nor in the fiscal journal; a delivery carried by two drivers splits it; a tip after the delivery
// is paid once whatever the webhook repeats; a cash tip declared shows apart in the cash count.
import { beforeAll, describe, expect, it } from 'vitest';
import { CARDS, Client, addressFor, countOf, createShop, handOver, move, payAndWaitReceived, seededProduct, testConfig, waitUntil } from '../helpers.ts';
import { useStack } from '../services.ts';
import type { DemoPaymentProvider } from '../../src/lib/server/money/demo.ts';
import { demoTipEvent } from '../../src/lib/server/money/demo.ts';
import { tipFormOf } from '../../src/lib/server/money/tip-payments.ts';
import { tipsOfDrivers } from '../../src/lib/server/money/tips.ts';

const stack = useStack({ env: { DISPATCH_RETRY_MS: '300' }, workers: true });
const margherita = seededProduct('margherita');
const LIVE = 20_000;
const secret = testConfig().paymentWebhookSecret!;
let shop: Awaited<ReturnType<typeof createShop>>;
let kitchen: Client;
let manager: Client;

beforeAll(async () => {
  shop = await createShop(stack.pool, 'tips');
  kitchen = await new Client(stack.base).login(shop.email('kitchen'));
  manager = await new Client(stack.base).login(shop.email('manager'));
});

const userId = async (email: string) => Number((await stack.pool.query('SELECT id FROM users WHERE email = $1', [email])).rows[0].id);
const track = async (token: string) => (await new Client(stack.base).get(`/api/track/${token}`)).body;
const tipsOf = async (orderId: string) =>
  (await stack.pool.query('SELECT way, moment, amount_cents, status FROM tips WHERE order_id = $1 ORDER BY id', [orderId])).rows;
const sharesOf = async (orderId: string) =>
  (await stack.pool.query(
    'SELECT s.driver_id, s.way, s.amount_cents FROM tip_shares s JOIN tips t ON t.id = s.tip_id WHERE t.order_id = $1 ORDER BY s.amount_cents, s.driver_id',
    [orderId],
  )).rows.map((r) => [r.driver_id, r.way, r.amount_cents]);

async function placeDelivery(body: Record<string, unknown> = {}) {
  const r = await new Client(stack.base).post('/api/orders', {
    pizzeriaId: shop.id, fulfilment: 'delivery', customer: { name: 'Inès Martin', phone: '0611224455' }, address: addressFor(shop.id),
    items: [{ productId: margherita, quantity: 1 }], payment: 'online', ...body,
  });
  return r;
}

/** Out of the oven, on the road with `driver` (assigned by hand), delivered with the customer's PIN. */
async function deliverBy(id: string, driver: Client, driverId: number) {
  // dispatch may have given it to a driver (or offered it) meanwhile: the manager's hand settles it
  await waitUntil(async () => {
    if ((await manager.post(`/api/orders/${id}/assign`, { driverId })).status === 200) return true;
    return (await manager.get(`/api/orders/${id}`)).body.driver?.id === driverId;
  }, LIVE, 'the delivery given to the driver');
  await move(driver, id, 'out_for_delivery');
  await handOver(stack.pool, driver, id);
}

async function onShift(who: 'driver1' | 'driver2') {
  const c = await new Client(stack.base).login(shop.email(who));
  await c.post('/api/driver/shift', { onShift: true });
  return { client: c, id: await userId(shop.email(who)) };
}

describe('a card tip at checkout', () => {
  it('rides on the order\'s hold, reaches the driver who delivered, and is not in the sales, the VAT nor the fiscal journal', async () => {
    const d1 = await onShift('driver1');
    const placed = await placeDelivery({ tipCents: 200 });
    expect(placed.status, JSON.stringify(placed.body)).toBe(201);
    const { id, trackingToken: token, total } = placed.body as { id: string; trackingToken: string; total: number };
    expect(await tipsOf(id)).toEqual([{ way: 'card', moment: 'checkout', amount_cents: 200, status: 'pending' }]);

    // the hold is the order's total and the tip; the order counts only its own money
    await payAndWaitReceived(stack.base, token, LIVE);
    expect(await track(token)).toMatchObject({ totalCents: total, paidCents: total, payment: { status: 'authorised', tipCents: 200 } });
    const movements = (await stack.pool.query('SELECT kind, amount_cents FROM payment_movements WHERE order_id = $1 ORDER BY id', [id])).rows;
    expect(movements).toEqual([{ kind: 'authorised', amount_cents: total }]);

    // the kitchen starts it: the workers capture the order and its tip together
    await move(kitchen, id, 'preparing');
    await waitUntil(async () => (await track(token)).payment.status === 'paid', LIVE, 'the capture');
    const demo = stack.workers.provider as DemoPaymentProvider;
    expect([...demo.captures.values()].filter((c) => c.orderId === id).map((c) => c.amountCents)).toEqual([total + 200]);
    expect(await track(token)).toMatchObject({ paidCents: total, refundDueCents: 0, amountDueCents: 0 });
    expect(await tipsOf(id)).toEqual([expect.objectContaining({ status: 'paid' })]);
    expect(await sharesOf(id)).toEqual([]); // not delivered yet

    await move(kitchen, id, 'ready');
    await deliverBy(id, d1.client, d1.id);
    await waitUntil(async () => (await sharesOf(id)).length > 0, LIVE, 'the tip shared');
    expect(await sharesOf(id)).toEqual([[d1.id, 'card', 200]]);

    // on the driver's phone, in what the pay reads
    expect((await d1.client.get('/api/driver/tips')).body).toMatchObject({ cardCents: 200, cashCents: 0 });
    const day = [new Date(Date.now() - 3_600_000), new Date(Date.now() + 3_600_000)] as const;
    expect(await tipsOfDrivers(stack.pool, [d1.id], ...day)).toEqual([{ driverId: d1.id, cardCents: 200, cashCents: 0, tips: 1 }]);
    // the earnings tonight on their phone, and the payroll the manager downloads for the day
    const earnings = (await d1.client.get('/api/driver/earnings')).body;
    expect(earnings.tonight).toMatchObject({ deliveries: 1, cardTipsCents: 200, cashTipsCents: 0 });
    const night = earnings.tonight.from as string;
    const csv = (await manager.get(`/api/shops/${shop.id}/payroll.csv?from=${night}&to=${night}&lang=en`)).body as string;
    const row = csv.split('\r\n').find((l) => l.includes(`"driver1 ${shop.slug}"`))!.split(',');
    expect(row.slice(5, 9)).toEqual(['1', row[6], '2.00', '0.00']); // deliveries, km, card tips, cash tips

    // the takings: the sale is the order's total, the tip apart; the fiscal journal never sees it
    const takings = (await manager.get(`/api/shops/${shop.id}/takings`)).body.shops[0];
    expect(takings.tips).toMatchObject({ cardCents: 200, card: 1 });
    type Entry = { kind: string; sales_cents: string; money_cents: string; body: unknown };
    const journal = (await waitUntil(async () => {
      const { rows } = await stack.pool.query<Entry>(`SELECT kind, sales_cents, money_cents, body FROM fiscal_entries WHERE order_id = $1 ORDER BY seq`, [id]);
      return rows.some((r) => r.kind === 'sale') && rows;
    }, LIVE, 'the sale in the journal')) as Entry[];
    const sum = (k: 'sales_cents' | 'money_cents') => journal.reduce((s, r) => s + Number(r[k]), 0);
    expect(sum('sales_cents')).toBe(total);
    expect(sum('money_cents')).toBe(total);
    expect(JSON.stringify(journal.map((r) => r.body))).not.toMatch(/tip/i);

    // the receipt lists the sale only, the tip under the total, not a line
    const receipt = (await new Client(stack.base).get(`/api/track/${token}/receipt`)).body;
    expect(receipt.totalCents ?? receipt.total).toBe(total);
  });

  it('splits a delivery carried by two drivers: equal shares, the odd cent to the one who delivered', async () => {
    const d1 = await onShift('driver1');
    const d2 = await onShift('driver2');
    const placed = await placeDelivery({ tipCents: 301 });
    expect(placed.status).toBe(201);
    const { id, trackingToken: token } = placed.body;
    await payAndWaitReceived(stack.base, token, LIVE);
    await move(kitchen, id, 'preparing');
    await move(kitchen, id, 'ready');
    // the first driver takes it out, finds no one, brings it back; the shop sends it with the second
    expect((await manager.post(`/api/orders/${id}/assign`, { driverId: d1.id })).status).toBe(200);
    await move(d1.client, id, 'out_for_delivery');
    expect((await d1.client.post(`/api/orders/${id}/failed`, { reason: 'absent' })).status).toBe(200);
    expect((await manager.post(`/api/orders/${id}/redeliver`, {})).status).toBe(200);
    await deliverBy(id, d2.client, d2.id);
    await waitUntil(async () => (await sharesOf(id)).length === 2, LIVE, 'the tip shared');
    expect(await sharesOf(id)).toEqual([[d1.id, 'card', 150], [d2.id, 'card', 151]]);
  });

  it('a cancelled order lets its tip go with the hold', async () => {
    const placed = await placeDelivery({ tipCents: 300 });
    const { id, trackingToken: token } = placed.body;
    await payAndWaitReceived(stack.base, token, LIVE);
    expect((await new Client(stack.base).post(`/api/track/${token}/cancel`, {})).status).toBe(200);
    await waitUntil(async () => (await tipsOf(id))[0].status === 'released', LIVE, 'the tip let go');
    expect(await sharesOf(id)).toEqual([]);
  });
});

describe('a tip after the delivery, on the tracking page', () => {
  it('is a payment of its own, paid once whatever the webhook repeats, and one per order', async () => {
    const d1 = await onShift('driver1');
    const placed = await placeDelivery({ payment: 'on_delivery' });
    const { id, trackingToken: token } = placed.body;
    // not delivered yet: nothing to thank for
    expect((await new Client(stack.base).post(`/api/track/${token}/tip`, { amountCents: 300 })).status).toBe(409);
    await move(kitchen, id, 'preparing');
    await move(kitchen, id, 'ready');
    await deliverBy(id, d1.client, d1.id);

    const asked = await new Client(stack.base).post(`/api/track/${token}/tip`, { amountCents: 300 });
    expect(asked.status, JSON.stringify(asked.body)).toBe(202);
    expect(asked.body).toMatchObject({ amountCents: 300, status: 'pending', pay: `/track/${token}/pay?tip` });
    const tip = (await waitUntil(async () => {
      const f = await tipFormOf(stack.pool, id);
      return f?.intentId ? f : null;
    }, LIVE, 'the tip\'s payment made by the workers'))!;

    // the provider's event for the tip, delivered three times, and once more under another id
    const signed = demoTipEvent(tip, { number: '4242424242424242', expiry: '12/34', cvc: '123' }, secret);
    const send = (payload: string, signature: string) =>
      fetch(`${stack.base}/api/payments/stripe/webhook`, { method: 'POST', headers: { 'content-type': 'application/json', 'stripe-signature': signature }, body: payload });
    for (let i = 0; i < 3; i++) expect((await send(signed.payload, signed.signature)).status).toBe(200);
    const again = demoTipEvent(tip, { number: '4242424242424242', expiry: '12/34', cvc: '123' }, secret);
    expect((await send(again.payload, again.signature)).status).toBe(200);
    await waitUntil(async () => (await countOf(stack.pool, `SELECT count(*) AS n FROM payment_events WHERE order_id = $1 AND processed_at IS NOT NULL`, [id])) === 2, LIVE, 'both events processed');

    expect(await tipsOf(id)).toEqual([{ way: 'card', moment: 'after_delivery', amount_cents: 300, status: 'paid' }]);
    expect(await sharesOf(id)).toEqual([[d1.id, 'card', 300]]);
    // one of the two events captured the tip, the other was ignored: whichever the workers took first
    // (a provider does not promise its events in order, and the workers may take them in either)
    const outcomes = (await stack.pool.query(`SELECT outcome FROM payment_events WHERE order_id = $1 ORDER BY outcome`, [id])).rows.map((r) => r.outcome);
    expect(outcomes).toEqual(['captured', 'ignored']);
    // the order's own money did not move
    expect(await track(token)).toMatchObject({ paidCents: placed.body.total, refundDueCents: 0 });
    expect((await new Client(stack.base).get(`/api/track/${token}/tip`)).body).toEqual({ amountCents: 300, status: 'paid' });

    // one per order: another tip, or paying this one again, is refused
    expect((await new Client(stack.base).post(`/api/track/${token}/tip`, { amountCents: 300 })).status).toBe(409);
    const twice = await new Client(stack.base).post(`/api/track/${token}/demo-tip`, { number: CARDS.accepted, expiry: '12/34', cvc: '123' });
    expect(twice.status).toBe(409);
    expect(await sharesOf(id)).toEqual([[d1.id, 'card', 300]]);
  });

  it('is paid on the demo page like an order, and a refused card leaves it waiting', async () => {
    const d1 = await onShift('driver1');
    const placed = await placeDelivery({ payment: 'on_delivery' });
    const { id, trackingToken: token } = placed.body;
    await move(kitchen, id, 'preparing');
    await move(kitchen, id, 'ready');
    await deliverBy(id, d1.client, d1.id);
    expect((await new Client(stack.base).post(`/api/track/${token}/tip`, { amountCents: 250 })).status).toBe(202);
    const pay = (card: string) => waitUntil(async () => {
      const r = await new Client(stack.base).post(`/api/track/${token}/demo-tip`, { number: card, expiry: '12/34', cvc: '123' });
      if (r.status === 409 && r.body.error.code === 'payment_not_ready') return null;
      return r;
    }, LIVE, 'the tip\'s payment page');
    expect((await pay(CARDS.declined))!.body).toMatchObject({ accepted: false });
    expect((await pay(CARDS.accepted))!.body).toMatchObject({ accepted: true });
    await waitUntil(async () => (await tipsOf(id))[0]?.status === 'paid', LIVE, 'the tip paid');
    expect(await sharesOf(id)).toEqual([[d1.id, 'card', 250]]);
  });
});

describe('a cash tip declared by the driver', () => {
  it('is theirs, apart from the shop\'s cash in the count, and in the takings\' tips', async () => {
    const d1 = await onShift('driver1');
    const placed = await placeDelivery({ payment: 'on_delivery' });
    const { id, total } = placed.body;
    await move(kitchen, id, 'preparing');
    await move(kitchen, id, 'ready');
    await deliverBy(id, d1.client, d1.id);
    const before = (await manager.get(`/api/shops/${shop.id}/takings`)).body.shops[0];

    const declared = await d1.client.post(`/api/driver/orders/${id}/cash-tip`, { amountCents: 250 });
    expect(declared.status, JSON.stringify(declared.body)).toBe(200);
    expect(await sharesOf(id)).toEqual([[d1.id, 'cash', 250]]);
    expect((await d1.client.post(`/api/driver/orders/${id}/cash-tip`, { amountCents: 250 })).status).toBe(409);

    const shift = (await manager.get(`/api/shops/${shop.id}/shifts`)).body.find((s: { driverId: number; closedAt: string | null }) => s.driverId === d1.id && !s.closedAt);
    expect(shift.cashTipsCents).toBeGreaterThanOrEqual(250);
    const after = (await manager.get(`/api/shops/${shop.id}/takings`)).body.shops[0];
    expect(after.tips.cashCents - before.tips.cashCents).toBe(250);
    // the shop's cash and sales are what the order cost, not a cent more
    expect(after.salesCents).toBe(before.salesCents);
    expect(after.takenCents.door_cash).toBe(before.takenCents.door_cash);
    expect(total).toBeGreaterThan(0);
  });
});

describe('bad tips change nothing', () => {
  it('refuses a tip at checkout that is negative, too big, too small for a card, on a pickup or paid at the door', async () => {
    const orders = await countOf(stack.pool, 'SELECT count(*) AS n FROM orders');
    const tips = await countOf(stack.pool, 'SELECT count(*) AS n FROM tips');
    for (const body of [
      { tipCents: -100 }, { tipCents: 10_001 }, { tipCents: 30 }, { tipCents: 2.5 }, { tipCents: '200' },
      { tipCents: 200, payment: 'on_delivery' },
      { tipCents: 200, fulfilment: 'pickup', address: undefined },
    ]) {
      const r = await placeDelivery(body);
      expect(r.status, JSON.stringify(body)).toBeGreaterThanOrEqual(400);
      expect(r.status, JSON.stringify(body)).toBeLessThan(500);
    }
    expect(await countOf(stack.pool, 'SELECT count(*) AS n FROM orders')).toBe(orders);
    expect(await countOf(stack.pool, 'SELECT count(*) AS n FROM tips')).toBe(tips);
  });

  it('refuses a tip after delivery on a pickup, an unknown order, or an amount out of bounds; and a driver declaring someone else\'s', async () => {
    const d1 = await onShift('driver1');
    const d2 = await onShift('driver2');
    const tips = await countOf(stack.pool, 'SELECT count(*) AS n FROM tips');
    const pickup = await placeDelivery({ fulfilment: 'pickup', address: undefined, payment: 'on_delivery' });
    await move(kitchen, pickup.body.id, 'preparing');
    await move(kitchen, pickup.body.id, 'ready');
    await move(kitchen, pickup.body.id, 'collected');
    expect((await new Client(stack.base).post(`/api/track/${pickup.body.trackingToken}/tip`, { amountCents: 200 })).status).toBe(409);
    expect((await new Client(stack.base).post(`/api/track/not-a-token/tip`, { amountCents: 200 })).status).toBe(404);

    const placed = await placeDelivery({ payment: 'on_delivery' });
    const { id, trackingToken: token } = placed.body;
    await move(kitchen, id, 'preparing');
    await move(kitchen, id, 'ready');
    // not delivered yet: the driver cannot declare a tip for it
    expect((await d1.client.post(`/api/driver/orders/${id}/cash-tip`, { amountCents: 200 })).status).toBeGreaterThanOrEqual(400);
    await deliverBy(id, d1.client, d1.id);
    for (const amountCents of [-5, 0, 20, 10_001, 1.5]) {
      expect((await new Client(stack.base).post(`/api/track/${token}/tip`, { amountCents })).status, String(amountCents)).toBe(422);
    }
    expect((await new Client(stack.base).post(`/api/track/${token}/tip`, { amountCents: 200, extra: 1 })).status).toBe(422);
    // the other driver did not deliver it; a cash tip is never negative nor more than 100 €
    expect((await d2.client.post(`/api/driver/orders/${id}/cash-tip`, { amountCents: 200 })).status).toBe(403);
    for (const amountCents of [-100, 0, 10_001]) expect((await d1.client.post(`/api/driver/orders/${id}/cash-tip`, { amountCents })).status).toBe(422);
    expect((await kitchen.post(`/api/driver/orders/${id}/cash-tip`, { amountCents: 200 })).status).toBe(403);
    expect((await new Client(stack.base).post(`/api/driver/orders/${id}/cash-tip`, { amountCents: 200 })).status).toBe(401);
    expect(await countOf(stack.pool, 'SELECT count(*) AS n FROM tips')).toBe(tips);
  });
});
