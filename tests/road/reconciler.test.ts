// Nothing stuck: an unpaid online order expires and gives its stock back, and when Redis comes back
// empty the reconciler queues again every job Postgres says should exist, so every order completes.
// Real Postgres, Redis and BullMQ, with the workers in this process.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { createI18n } from '../../src/lib/i18n/index.ts';
import { seededProduct, Client, SHOPS, createShop, prepTimerOf, addressFor, deleteRedisKeys, move, silentLog, testConfig, waitUntil, placeThroughApi, workersStartFromNow, payAndWaitReceived, payOnDemoPage } from '../helpers.ts';
import { useStack } from '../services.ts';
import { startWorkers } from '../../workers/workers.ts';
import { addJob, jobId, SCHEDULERS } from '../../src/lib/server/kernel/queues.ts';
import { fileDatabase } from '../file-database.ts';

const LIVE = 20_000;

// the app for the whole file; each part below runs the workers with its own timings
const stack = useStack();
const margherita = seededProduct('margherita');

beforeAll(async () => {
  await workersStartFromNow(stack.pool);
});

const place = (shop: number, overrides: Record<string, unknown> = {}) =>
  placeThroughApi(stack.base, { pizzeriaId: shop, productId: margherita, quantity: 2, fulfilment: 'pickup', payment: 'online', ...overrides });

const track = async (token: string) => (await new Client(stack.base).get(`/api/track/${token}`)).body;

/** Reserved stock of the shop for the ingredients of a margherita. */
const reservedFor = async (shop: number) =>
  Number(
    (
      await stack.pool.query(
        `SELECT coalesce(sum(s.reserved), 0) AS n FROM stock s JOIN recipe_ingredients r ON r.ingredient_id = s.ingredient_id
         WHERE s.pizzeria_id = $1 AND r.product_id = $2`,
        [shop, margherita],
      )
    ).rows[0].n,
  );

describe('unpaid online orders', () => {
  let workers: Awaited<ReturnType<typeof startWorkers>>;
  beforeAll(async () => {
    // the customer never pays; the order expires after 1.2 s
    workers = await startWorkers(testConfig({ PAYMENT_EXPIRY_MINUTES: '0.02' }), silentLog);
  });
  afterAll(async () => {
    await workers?.close();
  });

  it('when an online order is not paid in time, the system cancels it, its stock is given back, and the tracking page says why', async () => {
    const before = await reservedFor(SHOPS.canal);
    const placed = await place(SHOPS.canal);
    expect(placed.status).toBe('pending_payment');
    const reserved = await reservedFor(SHOPS.canal);
    expect(reserved).toBeGreaterThan(before);

    const expired = await waitUntil(async () => {
      const t = await track(placed.trackingToken);
      return t.status === 'cancelled' && t;
    }, LIVE, 'the unpaid order to expire');
    expect(expired).toMatchObject({ cancelReason: 'payment_expired', payment: { status: 'failed' }, paidCents: 0, amountDueCents: 0, refundDueCents: 0 });
    expect(Number((await stack.pool.query('SELECT count(*) AS n FROM stock_reservations WHERE order_id = $1', [placed.id])).rows[0].n)).toBe(0);
    // given back in full (other unpaid orders of earlier tests may expire meanwhile: never more reserved than before)
    expect(await reservedFor(SHOPS.canal)).toBeLessThanOrEqual(before);
    // the cancel is numbered once a publisher takes it from the inbox, a moment after the commit the tracking page read
    const rows = (await waitUntil(async () => {
      const r = await stack.pool.query<{ type: string; actor: string; status: string }>(`SELECT type, actor, payload->>'status' AS status FROM order_events WHERE order_id = $1 ORDER BY id`, [placed.id]);
      return r.rows.some((e) => e.status === 'cancelled') ? r.rows : undefined;
    }, LIVE, 'the cancel published'))!;
    // (the payment form made ready meanwhile is an event of its own)
    expect(rows.filter((r) => r.type !== 'order.payment_ready').map((r) => [r.type, r.actor, r.status])).toEqual([
      ['order.placed', 'customer', 'pending_payment'],
      ['order.status', 'system:payment-expiry', 'cancelled'],
    ]);
    // what the tracking page shows for this reason, in both languages
    for (const [lang, text] of [['en', /payment not received in time/i], ['fr', /paiement non reçu à temps/i]] as const) {
      expect(createI18n(lang).t('track.cancelReason.payment_expired')).toMatch(text);
    }
    expect(readFileSync('src/routes/track/[token]/+page.svelte', 'utf8')).toContain('track.cancelReason.');
  });
});

describe('when Redis comes back empty', () => {
  let workers: Awaited<ReturnType<typeof startWorkers>>;
  const prefix = fileDatabase().queuePrefix;
  // customers pay only when the test says, timers run for ten minutes, expiry after half an hour
  const config = testConfig({ PREP_TARGET_SECONDS: '600', DISPATCH_RETRY_MS: '300', PAYMENT_EXPIRY_MINUTES: '30' });
  const driversOfBatignolles = (onShift: boolean) =>
    stack.pool.query(`UPDATE users SET on_shift = $1 WHERE email LIKE 'driver%.batignolles@ocpizza.test'`, [onShift]);

  beforeAll(async () => {
    await driversOfBatignolles(false);
    workers = await startWorkers(config, silentLog);
  });
  afterAll(async () => {
    await workers?.close();
    await driversOfBatignolles(false);
  });

  it('the reconciler queues again every pending payment, expiry, preparation timer and delivery without a driver, with the time each had left, and the orders complete', async () => {
    const { payments, prep, dispatch, maintenance } = workers.queues;
    const kitchen = await new Client(stack.base).login('kitchen.batignolles@ocpizza.test');
    // an online order waiting for its payment, a pizza in the oven, a ready delivery nobody is free to take
    const unpaid = await place(SHOPS.batignolles);
    const inOven = await place(SHOPS.batignolles, { payment: 'on_delivery' });
    await move(kitchen, inOven.id, 'preparing');
    const waiting = await place(SHOPS.batignolles, { payment: 'on_delivery', fulfilment: 'delivery', address: addressFor(SHOPS.batignolles) });
    await move(kitchen, waiting.id, 'preparing');
    await move(kitchen, waiting.id, 'ready');

    const jobs = () =>
      Promise.all([
        payments.getJob(jobId.paymentBegin(unpaid.id)),
        payments.getJob(jobId.paymentExpiry(unpaid.id)),
        prepTimerOf(prep, stack.pool, inOven.id),
        dispatch.getJob(jobId.dispatch(waiting.id)),
      ]);
    await waitUntil(async () => {
      const [begin, expiry, timer, assign] = await jobs();
      return begin && expiry && timer && assign;
    }, LIVE, 'the jobs of the three orders');

    // Redis loses everything of ours: jobs, timers, schedules. The workers are held meanwhile: a
    // job in their hands as the keys go would write its result back into the empty Redis
    await Promise.all(workers.workers.map((w) => w.pause()));
    await deleteRedisKeys(prefix);
    const [begin, expiry, timer, assign] = await jobs();
    expect([begin, expiry, timer, assign]).toEqual([undefined, undefined, undefined, undefined]);
    expect(await maintenance.getJobSchedulers()).toEqual([]);
    for (const w of workers.workers) w.resume();

    const report = await workers.reconcile();
    expect(report.payments).toBeGreaterThanOrEqual(1);
    expect(report.expiries).toBeGreaterThanOrEqual(1);
    expect(report.prepTimers).toBeGreaterThanOrEqual(1);
    expect(report.dispatches).toBeGreaterThanOrEqual(1);
    expect(report.schedules).toBe(1);

    // the payment is asked again, and its expiry keeps the time it had left
    const beginAgain = await payments.getJob(jobId.paymentBegin(unpaid.id));
    expect(beginAgain?.data).toMatchObject({ orderId: unpaid.id, attempt: 1 });
    const newExpiry = (await payments.getJob(jobId.paymentExpiry(unpaid.id)))!;
    expect(newExpiry.opts.delay).toBeGreaterThan(0);
    expect(newExpiry.opts.delay).toBeLessThanOrEqual(30 * 60_000 + 1000);
    // the oven timer keeps the time it had left, no more: its shop's timer for the second it falls due
    const newTimer = (await prepTimerOf(prep, stack.pool, inOven.id))!;
    expect(newTimer.data).toMatchObject({ pizzeriaId: SHOPS.batignolles });
    expect(newTimer.opts.delay).toBeGreaterThan(0);
    // it falls due at the pizza's start plus the target, rounded up to the second
    const startedAt = (await stack.pool.query('SELECT preparing_at FROM orders WHERE id = $1', [inOven.id])).rows[0].preparing_at.getTime();
    const dueAt = newTimer.timestamp + newTimer.opts.delay!;
    expect(dueAt).toBeGreaterThanOrEqual(startedAt + 600_000);
    expect(dueAt).toBeLessThanOrEqual(startedAt + 602_000);
    expect(await dispatch.getJob(jobId.dispatch(waiting.id))).toBeTruthy();
    expect((await maintenance.getJobSchedulers()).map((s) => s.key).sort()).toEqual(Object.values(SCHEDULERS).sort());

    // a second run finds nothing missing
    const again = await workers.reconcile();
    expect([again.payments, again.expiries, again.prepTimers, again.schedules]).toEqual([0, 0, 0, 0]);

    // and the orders complete: the customer pays, the late pizza is flagged, a driver takes the delivery
    await payAndWaitReceived(stack.base, unpaid.trackingToken, LIVE);
    expect(await track(unpaid.trackingToken)).toMatchObject({ paidCents: unpaid.total, amountDueCents: 0, payment: { status: 'authorised' } });

    await (await prepTimerOf(prep, stack.pool, inOven.id))!.promote();
    await waitUntil(async () => (await track(inOven.trackingToken)).late, LIVE, 'the oven timer to fire');
    await move(kitchen, inOven.id, 'ready');
    await move(kitchen, inOven.id, 'collected');

    await driversOfBatignolles(true);
    const assigned = await waitUntil(async () => (await track(waiting.trackingToken)).driver, LIVE, 'a driver for the waiting delivery');
    expect(assigned.id).toBeGreaterThan(0);
  });

  it('a preparation timer that failed for good is retried by the reconciler, and timers still queued are left as they are', async () => {
    const { prep } = workers.queues;
    // two shops of the test's own, so two timers: one will fail, the other stays queued. (Not a demo
    // shop: a shop's pizzas started in one second share its timer, and the test above ran Batignolles'
    // timer early; an order started there in the same second found that finished timer as its own.)
    const shopA = await createShop(stack.pool, 'timer-failing');
    const shopB = await createShop(stack.pool, 'timer-queued');
    const kitchenA = await new Client(stack.base).login(shopA.email('kitchen'));
    const kitchenB = await new Client(stack.base).login(shopB.email('kitchen'));
    const failing = await place(shopA.id, { payment: 'on_delivery' });
    const queued = await place(shopB.id, { payment: 'on_delivery' });
    await move(kitchenA, failing.id, 'preparing');
    await move(kitchenB, queued.id, 'preparing');
    const timers = () => Promise.all([prepTimerOf(prep, stack.pool, failing.id), prepTimerOf(prep, stack.pool, queued.id)]);
    await waitUntil(async () => (await timers()).every(Boolean), LIVE, 'both oven timers');
    const [failingTimer, before] = await timers();
    expect(failingTimer!.id).not.toBe(before!.id);

    // one timer failed for good, as BullMQ keeps such a job: out of its waiting set, in the failed one
    expect(await failingTimer!.getState()).toBe('delayed');
    await Promise.all(workers.workers.map((w) => w.pause()));
    // the workers run again whatever happens here: held, they would fail the tests after this one too
    try {
      const { Redis } = await import('ioredis');
      const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
      try {
        await redis.zrem(prep.keys.delayed, failingTimer!.id!);
        await redis.zadd(prep.keys.failed, Date.now(), failingTimer!.id!);
      } finally {
        redis.disconnect();
      }
      expect(await (await prep.getJob(failingTimer!.id!))!.getState()).toBe('failed');

      const report = await workers.reconcile();
      expect(report.prepTimers).toBe(1);
      const [retried, still] = await timers();
      expect(retried!.id).toBe(failingTimer!.id);
      expect(await retried!.getState()).not.toBe('failed');
      // the timer still queued is the same job, with the same delay
      expect(still!.id).toBe(before!.id);
      expect(await still!.getState()).toBe('delayed');
      expect([still!.timestamp, still!.opts.delay]).toEqual([before!.timestamp, before!.opts.delay]);
    } finally {
      for (const w of workers.workers) w.resume();
    }
    await move(kitchenA, failing.id, 'ready');
    await move(kitchenB, queued.id, 'ready');
  });

  it('a payment the demo page took, whose job Redis lost, is honoured when the expiry comes before the reconciler: the order is paid, not cancelled', async () => {
    const placed = await place(SHOPS.batignolles);
    await waitUntil(async () => (await stack.pool.query('SELECT payment_intent_id FROM orders WHERE id = $1', [placed.id])).rows[0].payment_intent_id, LIVE, 'the payment form ready');
    // the customer pays (answered 202), and Redis loses the job before a worker takes it
    await Promise.all(workers.workers.map((w) => w.pause()));
    expect((await payOnDemoPage(stack.base, placed.trackingToken)).accepted).toBe(true);
    await deleteRedisKeys(prefix);
    for (const w of workers.workers) w.resume();
    // the payment window closes, and the expiry runs before anything else
    await stack.pool.query(`UPDATE orders SET payment_started_at = now() - interval '2 hours', version = version + 1 WHERE id = $1`, [placed.id]);
    await addJob(workers.queues.payments, 'expire', { orderId: placed.id, attempt: 1 }, { jobId: jobId.paymentExpiry(placed.id, 1) });
    const decided = await waitUntil(async () => {
      const t = await track(placed.trackingToken);
      return t.status !== 'pending_payment' && t;
    }, LIVE, 'the expiry to decide');
    expect(decided).toMatchObject({ status: 'received', paidCents: placed.total, payment: { status: 'authorised', paidWith: 'online' } });
  });

  it('a card hold to let go whose job Redis lost is let go when the workers start again', async () => {
    const placed = await place(SHOPS.batignolles);
    await payAndWaitReceived(stack.base, placed.trackingToken, LIVE);

    await workers.close();
    const cancelled = await new Client(stack.base).post(`/api/track/${placed.trackingToken}/cancel`);
    expect(cancelled.body).toMatchObject({ status: 'cancelled', refundDueCents: placed.total });
    // the workers had seen the cancel, then Redis lost the refund job with everything else
    await stack.pool.query(`UPDATE event_cursors SET last_event_id = (SELECT max(id) FROM order_events) WHERE name LIKE 'workers:%'`);
    await deleteRedisKeys(prefix);

    workers = await startWorkers(config, silentLog);
    const refunded = await waitUntil(async () => {
      const t = await track(placed.trackingToken);
      return t.refundedCents > 0 && t;
    }, LIVE, 'the refund');
    expect(refunded).toMatchObject({ refundedCents: placed.total, refundDueCents: 0, payment: { status: 'refunded' } });
  });
});
