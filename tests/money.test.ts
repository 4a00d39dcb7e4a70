// Money that adds up: what is recorded as paid is what the payment provider confirmed, every
// difference between paid and owed is an explicit amount (due at the door, or refunded through the
// provider), and a manager marks an order paid only by saying how. Real Postgres, Redis and BullMQ;
// the development provider's confirmations are released by the test, so nothing depends on timing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type pg from 'pg';
import { Client, SHOPS, addressFor, productId, silentLog, startTestApp, testConfig, testPool, userId, waitUntil, move, placeThroughApi, workersStartFromNow } from './helpers.ts';
import type { App } from '../server/app.ts';
import { confirmPayment } from '../src/lib/server/orders.ts';
import { startWorkers } from '../workers/workers.ts';
import { jobId } from '../src/lib/server/queues.ts';
import type { DevPaymentProvider } from '../workers/payment-provider.ts';
import { publishEvents } from '../src/lib/server/events.ts';

// the development provider would confirm only after ten minutes: each test releases the confirmation it wants
const WORKER_ENV = { DEV_PAYMENT_DELAY_MS: '600000', PREP_TARGET_SECONDS: '600', DISPATCH_RETRY_MS: '300' };
const LIVE = 20_000;

let app: App;
let base: string;
let pool: pg.Pool;
let workers: Awaited<ReturnType<typeof startWorkers>>;
let margherita: number;

beforeAll(async () => {
  pool = testPool();
  margherita = await productId(pool, 'margherita');
  await workersStartFromNow(pool);
  ({ app, base } = await startTestApp());
  workers = await startWorkers(testConfig(WORKER_ENV), silentLog);
});
afterAll(async () => {
  await workers?.close();
  await app?.close();
  await pool.end();
});

const margheritas = (quantity: number) => [{ productId: margherita, quantity }];

const place = (overrides: Record<string, unknown> = {}) =>
  placeThroughApi(base, { pizzeriaId: SHOPS.montmartre, productId: margherita, fulfilment: 'pickup', payment: 'online', ...overrides });

const track = async (token: string) => (await new Client(base).get(`/api/track/${token}`)).body;

/** The development provider's confirmation of one attempt, once the payment was started. */
const confirmationJob = (orderId: string, attempt: number) =>
  waitUntil(async () => workers.queues.payments.getJob(jobId.paymentConfirm(orderId, attempt)), LIVE, `the confirmation of attempt ${attempt}`);

/** The customer pays now: the provider's confirmation runs at once, and the test waits until it has. */
async function pay(orderId: string, attempt = 1) {
  const job = (await confirmationJob(orderId, attempt))!;
  await job.promote();
  await waitUntil(async () => (await workers.queues.payments.getJob(job.id!))?.finishedOn, LIVE, 'the confirmation to run');
}

async function paidOrder(overrides: Record<string, unknown> = {}) {
  const placed = await place(overrides);
  await pay(placed.id);
  expect(await track(placed.trackingToken)).toMatchObject({ status: 'received', payment: { status: 'paid', paidWith: 'online' }, paidCents: placed.total });
  return placed;
}

const eventsOf = async (orderId: string) =>
  (await publishEvents(pool), await pool.query(`SELECT type, actor, payload FROM order_events WHERE order_id = $1 ORDER BY id`, [orderId])).rows;

describe('paying online', () => {
  it('when the customer changes an order while its payment is pending, the payment starts again for the new total, and the order is paid what the provider confirmed for it', async () => {
    const placed = await place();
    expect(placed.status).toBe('pending_payment');
    await confirmationJob(placed.id, 1); // the provider was asked for the first total

    const changed = await new Client(base).patch(`/api/track/${placed.trackingToken}`, { items: margheritas(3) });
    expect(changed.status, JSON.stringify(changed.body)).toBe(200);
    expect(changed.body).toMatchObject({ status: 'pending_payment', payment: { attempt: 2, status: 'pending' }, paidCents: 0 });
    const newTotal = changed.body.totalCents;
    expect(newTotal).toBeGreaterThan(placed.total);
    const second = (await confirmationJob(placed.id, 2))!;
    expect(second.data).toMatchObject({ attempt: 2, amountCents: newTotal });

    // the customer had paid the first amount: that confirmation is for an attempt no longer in progress
    await pay(placed.id, 1);
    expect(await track(placed.trackingToken)).toMatchObject({ status: 'pending_payment', paidCents: 0, payment: { status: 'pending' } });
    // nor does a confirmation of the right attempt for the wrong amount mark it paid
    expect(await confirmPayment(pool, { orderId: placed.id, attempt: 2, amountCents: placed.total, reference: `short-${placed.id}` })).toBeNull();
    expect((await track(placed.trackingToken)).status).toBe('pending_payment');

    await pay(placed.id, 2);
    const paid = await track(placed.trackingToken);
    expect(paid).toMatchObject({ status: 'received', paidCents: newTotal, amountDueCents: 0, refundDueCents: 0, amountToCollect: 0, payment: { status: 'paid', paidWith: 'online', attempt: 2 } });
    const { rows } = await pool.query(`SELECT attempt, amount_cents, outcome FROM payment_confirmations WHERE order_id = $1 ORDER BY received_at, attempt`, [placed.id]);
    expect(rows.map((r) => [r.attempt, r.amount_cents, r.outcome]).sort()).toEqual(
      [[1, placed.total, 'ignored'], [2, placed.total, 'ignored'], [2, newTotal, 'paid']].sort(),
    );
    expect((await eventsOf(placed.id)).map((e) => [e.type, e.payload.status])).toEqual([
      ['order.placed', 'pending_payment'],
      ['order.modified', 'pending_payment'],
      ['order.status', 'received'],
    ]);
  });
});

describe('refunds', () => {
  it('when a customer cancels an order paid online, the money is owed back, and the provider refunds it', async () => {
    const placed = await paidOrder();
    const cancelled = await new Client(base).post(`/api/track/${placed.trackingToken}/cancel`);
    expect(cancelled.status).toBe(200);
    expect(cancelled.body).toMatchObject({ status: 'cancelled', cancelReason: 'customer', refundDueCents: placed.total, amountDueCents: 0, amountToCollect: 0 });
    // not "refunded" before anything was refunded
    expect(cancelled.body.payment.status).toBe('paid');

    const refunded = await waitUntil(async () => {
      const t = await track(placed.trackingToken);
      return t.refundedCents > 0 && t;
    }, LIVE, 'the refund');
    expect(refunded).toMatchObject({ refundedCents: placed.total, refundDueCents: 0, payment: { status: 'refunded' } });
    expect(refunded.refundedAt).toBeTruthy();
    const provider = workers.provider as DevPaymentProvider;
    const made = [...provider.refunds.values()].filter((r) => r.orderId === placed.id);
    expect(made).toHaveLength(1);
    expect(made[0]).toMatchObject({ amountCents: placed.total, paymentReference: `dev-${placed.id}-1` });
    expect(made[0].refundedAt).toBeInstanceOf(Date);
    expect((await eventsOf(placed.id)).map((e) => e.type).at(-1)).toBe('order.refunded');
  });

  it('when a paid order is reduced, the difference is refunded; when it then grows, the rest is due at the counter and collected there', async () => {
    const placed = await paidOrder({ items: margheritas(2) });
    expect(placed.total).toBe(2100);

    const reduced = await new Client(base).patch(`/api/track/${placed.trackingToken}`, { items: margheritas(1) });
    expect(reduced.status).toBe(200);
    expect(reduced.body).toMatchObject({ totalCents: 1050, paidCents: 2100, refundDueCents: 1050, amountDueCents: 0 });
    const refunded = await waitUntil(async () => {
      const t = await track(placed.trackingToken);
      return t.refundedCents === 1050 && t;
    }, LIVE, 'the refund of the difference');
    expect(refunded).toMatchObject({ refundDueCents: 0, amountDueCents: 0, payment: { status: 'paid' } });

    const grown = await new Client(base).patch(`/api/track/${placed.trackingToken}`, { items: margheritas(3) });
    expect(grown.body).toMatchObject({ totalCents: 3150, amountDueCents: 2100, amountToCollect: 2100, refundDueCents: 0 });

    const kitchen = await new Client(base).login('kitchen.montmartre@ocpizza.test');
    await move(kitchen, placed.id, 'preparing');
    await move(kitchen, placed.id, 'ready');
    const collected = await move(kitchen, placed.id, 'collected');
    expect(collected).toMatchObject({ amountDueCents: 0, refundDueCents: 0, paidCents: 4200, refundedCents: 1050 });
  });
});

describe('marking an order paid', () => {
  it('when an order paid in cash at the shop is reduced, the difference is given back at the counter on collection, not through the provider', async () => {
    const placed = await place({ items: margheritas(2) });
    await confirmationJob(placed.id, 1);
    const manager = await new Client(base).login('manager.montmartre@ocpizza.test');
    expect((await manager.post(`/api/orders/${placed.id}/status`, { to: 'received', paymentMethod: 'cash' })).status).toBe(200);
    const reduced = await new Client(base).patch(`/api/track/${placed.trackingToken}`, { items: margheritas(1) });
    expect(reduced.body).toMatchObject({ totalCents: 1050, paidCents: 2100, refundDueCents: 1050, amountDueCents: 0 });

    const kitchen = await new Client(base).login('kitchen.montmartre@ocpizza.test');
    await move(kitchen, placed.id, 'preparing');
    await move(kitchen, placed.id, 'ready');
    const collected = await move(kitchen, placed.id, 'collected');
    expect(collected).toMatchObject({ refundDueCents: 0, refundedCents: 1050, amountDueCents: 0 });
    expect(collected.refundedAt).toBeTruthy();
    expect([...(workers.provider as DevPaymentProvider).refunds.values()].filter((r) => r.orderId === placed.id)).toEqual([]);
  });

  it('a manager marks a pending online order paid only by saying how the money was taken, and the order and its event record it', async () => {
    const placed = await place();
    await confirmationJob(placed.id, 1); // the customer is paying online meanwhile
    const manager = await new Client(base).login('manager.montmartre@ocpizza.test');
    const without = await manager.post(`/api/orders/${placed.id}/status`, { to: 'received' });
    expect(without.status).toBe(422);
    expect(without.body.error.fields.paymentMethod).toMatch(/cash/);
    const wrong = await manager.post(`/api/orders/${placed.id}/status`, { to: 'received', paymentMethod: 'iou' });
    expect(wrong.status).toBe(422);
    expect(wrong.body.error.fields.paymentMethod).toBeTruthy();
    expect(await track(placed.trackingToken)).toMatchObject({ status: 'pending_payment', version: 1, paidCents: 0 });

    const marked = await manager.post(`/api/orders/${placed.id}/status`, { to: 'received', paymentMethod: 'cash' });
    expect(marked.status).toBe(200);
    expect(marked.body).toMatchObject({ status: 'received', paidCents: placed.total, amountDueCents: 0, payment: { status: 'paid', paidWith: 'cash' } });
    const last = (await eventsOf(placed.id)).at(-1)!;
    expect(last.actor).toBe(`manager:${await userId(pool, 'manager.montmartre@ocpizza.test')}`);
    expect(last.payload.payment).toMatchObject({ status: 'paid', paidWith: 'cash' });

    // the online payment confirmed later does not count twice
    await pay(placed.id);
    expect(await track(placed.trackingToken)).toMatchObject({ status: 'received', paidCents: placed.total, version: 2, payment: { paidWith: 'cash' } });
  });

  it('the counter may mark an order paid with a card at the counter; the kitchen may not', async () => {
    const placed = await place();
    const kitchen = await new Client(base).login('kitchen.montmartre@ocpizza.test');
    expect((await kitchen.post(`/api/orders/${placed.id}/status`, { to: 'received', paymentMethod: 'card' })).status).toBe(403);
    const counter = await new Client(base).login('counter.montmartre@ocpizza.test');
    const marked = await counter.post(`/api/orders/${placed.id}/status`, { to: 'received', paymentMethod: 'card' });
    expect(marked.status, JSON.stringify(marked.body)).toBe(200);
    expect(marked.body.payment).toMatchObject({ status: 'paid', paidWith: 'card' });
  });
});

describe('cancelling twice', () => {
  it('a second cancel of a cancelled order says it is already cancelled, not that the kitchen started', async () => {
    const placed = await place({ payment: 'on_delivery', fulfilment: 'delivery', address: addressFor(SHOPS.montmartre) });
    expect((await new Client(base).post(`/api/track/${placed.trackingToken}/cancel`)).status).toBe(200);
    const again = await new Client(base).post(`/api/track/${placed.trackingToken}/cancel`);
    expect(again.status).toBe(409);
    expect(again.body.error).toMatchObject({ code: 'already_cancelled' });
    expect(again.body.error.message).toMatch(/already cancelled/);
    const manager = await new Client(base).login('manager.montmartre@ocpizza.test');
    expect((await manager.post(`/api/orders/${placed.id}/status`, { to: 'cancelled' })).body.error.code).toBe('already_cancelled');
    // a cancelled order owes nothing
    expect(await track(placed.trackingToken)).toMatchObject({ status: 'cancelled', amountDueCents: 0, amountToCollect: 0, refundDueCents: 0 });
  });
});
