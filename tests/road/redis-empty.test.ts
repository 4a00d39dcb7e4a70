// Redis comes back empty at the worst moment, and nothing the workers owed is lost: Postgres keeps
// every payment event the webhook answered, every card hold to let go and every message not yet
// sent, and the reconciler queues them again; before an unpaid order is cancelled, Stripe is asked
// what the payment really is. Real Postgres, Redis (BullMQ), Stripe's client against the local
// Stripe server, and an SMTP server in this process. The workers are held while Redis is emptied:
// a job in their hands as the keys go would write its result back into the empty Redis.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seededProduct, Client, createShop, deleteRedisKeys, move, reactorPast, waitUntil } from '../helpers.ts';
import type { FakeIntent } from '../stripe-server.ts';
import { startTestSmtp, useFakeStripe, useStack, type TestSmtp } from '../services.ts';
import { addJob, jobId } from '../../src/lib/server/kernel/queues.ts';
import { processPaymentEvent } from '../../src/lib/server/money/ledger.ts';
import { fileDatabase } from '../file-database.ts';

// a signing secret of this run's own, as Stripe's look (never a real one)
const WEBHOOK_SECRET = `whsec_${randomBytes(24).toString('hex')}`;
const stripe = useFakeStripe(WEBHOOK_SECRET);
const { fake, signer } = stripe;
const prefix = fileDatabase().queuePrefix;
let smtp: TestSmtp;
let refuseMail = false;
const margherita = seededProduct('margherita');
const LIVE = 20_000;

beforeAll(async () => {
  smtp = await startTestSmtp({ refuse: () => refuseMail });
});
afterAll(async () => {
  await smtp?.close();
});
const stack = useStack({
  env: () => ({ ...stripe.env(), SMTP_URL: smtp.url, PREP_TARGET_SECONDS: '600', DISPATCH_RETRY_MS: '300' }),
  workers: true,
});

/** Redis loses everything of ours; the workers are held from before `whileHeld` runs until it is empty. */
async function emptyRedis(whileHeld: () => Promise<unknown> = async () => {}) {
  await Promise.all(stack.workers.workers.map((w) => w.pause()));
  await whileHeld();
  await deleteRedisKeys(prefix);
  for (const w of stack.workers.workers) w.resume();
}

async function deliver(event: object) {
  const payload = JSON.stringify(event);
  const header = signer.webhooks.generateTestHeaderString({ payload, secret: WEBHOOK_SECRET });
  const res = await fetch(`${stack.base}/api/payments/stripe/webhook`, { method: 'POST', headers: { 'content-type': 'application/json', 'stripe-signature': header }, body: payload });
  return res.status;
}

const track = async (token: string) => (await new Client(stack.base).get(`/api/track/${token}`)).body;
const movements = async (orderId: string) =>
  (await stack.pool.query<{ kind: string; amount_cents: number }>('SELECT kind, amount_cents FROM payment_movements WHERE order_id = $1 ORDER BY id', [orderId])).rows.map((r) => [r.kind, r.amount_cents]);
const cancelsOf = (intent: FakeIntent) => fake.calls.filter((c) => c.method === 'POST' && c.path === `/v1/payment_intents/${intent.id}/cancel`);

async function placeOnline(shopId: number, email = 'ines@example.test') {
  const r = await new Client(stack.base).post('/api/orders', {
    pizzeriaId: shopId, fulfilment: 'pickup', customer: { name: 'Inès', phone: '0611223344', email },
    items: [{ productId: margherita, quantity: 1 }], payment: 'online',
  });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  const intent = (await waitUntil(() => fake.intentOf(r.body.id), LIVE, 'the PaymentIntent'))!;
  await waitUntil(async () => (await stack.pool.query('SELECT payment_intent_id FROM orders WHERE id = $1', [r.body.id])).rows[0].payment_intent_id, LIVE, 'the intent recorded');
  return { id: r.body.id as string, token: r.body.trackingToken as string, total: r.body.total as number, intent };
}

describe('when Redis comes back empty at the worst moment', () => {
  it('a payment whose webhook was answered 200 and whose job Redis lost: after the reconciler the order is paid and in the kitchen, not cancelled', async () => {
    const shop = await createShop(stack.pool, 'lost-webhook');
    const o = await placeOnline(shop.id);
    fake.authorise(o.intent);
    const held = fake.event('payment_intent.amount_capturable_updated', o.intent);
    // Stripe is told 200 and will not send it again; Redis loses the job before a worker takes it
    await emptyRedis(async () => expect(await deliver(held)).toBe(200));
    expect(await stack.workers.queues.payments.getJob(jobId.paymentEvent(held.id))).toBeUndefined();

    const report = await stack.workers.reconcile();
    expect(report.events).toBeGreaterThanOrEqual(1);
    const paid = await waitUntil(async () => {
      const t = await track(o.token);
      return t.status !== 'pending_payment' && t;
    }, LIVE, 'the kept event processed');
    expect(paid).toMatchObject({ status: 'received', paidCents: o.total, payment: { status: 'authorised', paidWith: 'online' } });
    // Stripe repeating it, and the reconciler running again, change nothing
    expect(await deliver(held)).toBe(200);
    expect((await stack.workers.reconcile()).events).toBe(0);
    const kitchen = await new Client(stack.base).login(shop.email('kitchen'));
    await move(kitchen, o.id, 'preparing');
    await waitUntil(async () => (await track(o.token)).payment.status === 'paid', LIVE, 'the capture');
    expect(await movements(o.id)).toEqual([['authorised', o.total], ['captured', o.total]]);
    expect(cancelsOf(o.intent)).toEqual([]);
  });

  it('an event job queued by the previous version (the event inside the job, nothing kept) is kept and processed once', async () => {
    const shop = await createShop(stack.pool, 'legacy-event-job');
    const o = await placeOnline(shop.id);
    fake.authorise(o.intent);
    const held = fake.event('payment_intent.amount_capturable_updated', o.intent);
    const legacy = { event: held as unknown as { id: string; type: string; data: { object: Record<string, unknown> } } };
    await addJob(stack.workers.queues.payments, 'event', legacy, { jobId: jobId.paymentEvent(held.id) });
    await waitUntil(async () => (await track(o.token)).status === 'received', LIVE, 'the order to reach the kitchen');
    const { rows } = await stack.pool.query(`SELECT payload->>'id' AS id, outcome FROM payment_events WHERE event_id = $1`, [held.id]);
    expect(rows).toEqual([{ id: held.id, outcome: 'authorised' }]);
    expect(await movements(o.id)).toEqual([['authorised', o.total]]);
  });

  it('an unpaid order whose hold Stripe took but whose event never reached us: at expiry Stripe is asked, and the hold is honoured, not cancelled', async () => {
    const shop = await createShop(stack.pool, 'lost-event-expiry');
    const o = await placeOnline(shop.id);
    // the customer paid; the webhook never came (Redis lost it before it was kept, or it never arrived)
    fake.authorise(o.intent);
    // the payment window is over: the expiry runs now
    await stack.pool.query(`UPDATE orders SET payment_started_at = now() - interval '2 hours', version = version + 1 WHERE id = $1`, [o.id]);
    const expiry = await waitUntil(() => stack.workers.queues.payments.getJob(jobId.paymentExpiry(o.id, 1)), LIVE, 'the expiry job');
    // and Stripe has a bad moment when asked: the expiry waits for its answer, it does not cancel blind
    fake.failNext = 3;
    await expiry!.promote();

    const kept = await waitUntil(async () => {
      const t = await track(o.token);
      return t.status !== 'pending_payment' && t;
    }, LIVE, 'the expiry to decide');
    expect(kept).toMatchObject({ status: 'received', paidCents: o.total, payment: { status: 'authorised' } });
    expect(fake.calls.filter((c) => c.method === 'GET' && c.path === `/v1/payment_intents/${o.intent.id}`).length).toBeGreaterThanOrEqual(1);
    expect(cancelsOf(o.intent)).toEqual([]);
    expect(fake.intents.get(o.intent.id)?.status).toBe('requires_capture');
    expect(fake.failNext).toBe(0);
    expect((await stack.pool.query(`SELECT count(*)::int AS n FROM order_events WHERE order_id = $1 AND payload->>'status' = 'cancelled'`, [o.id])).rows[0].n).toBe(0);
    // the webhook arriving after all changes nothing
    const late = fake.event('payment_intent.amount_capturable_updated', o.intent);
    expect(await deliver(late)).toBe(200);
    await waitUntil(async () => (await stack.pool.query('SELECT processed_at FROM payment_events WHERE event_id = $1', [late.id])).rows[0]?.processed_at, LIVE, 'the late event processed');
    expect(await movements(o.id)).toEqual([['authorised', o.total]]);
  });

  it('a stray card hold whose release job Redis lost is let go once the reconciler runs, exactly once', async () => {
    const shop = await createShop(stack.pool, 'lost-release');
    const o = await placeOnline(shop.id);
    // a hold for another amount than the order's: the order cannot use it, it is to let go
    fake.authorise(o.intent);
    o.intent.amount_capturable = o.total - 50;
    const held = fake.event('payment_intent.amount_capturable_updated', o.intent);
    await emptyRedis(async () => {
      expect(await deliver(held)).toBe(200);
      // the worker acts on the event (the hold recorded as to let go), and Redis loses everything before its release job runs
      expect((await processPaymentEvent(stack.pool, held.id)).outcome).toBe('release');
    });
    expect(await movements(o.id)).toEqual([['authorised', o.total - 50]]);

    const report = await stack.workers.reconcile();
    expect(report.releases).toBe(1);
    await waitUntil(async () => (await movements(o.id)).length === 2, LIVE, 'the release recorded');
    expect(await movements(o.id)).toEqual([['authorised', o.total - 50], ['released', o.total - 50]]);
    expect((await stack.workers.reconcile()).releases).toBe(0);
    expect(cancelsOf(o.intent).map((c) => c.idempotencyKey)).toEqual([`release-${o.intent.id}`]);
    expect(fake.intents.get(o.intent.id)?.status).toBe('canceled');
    expect(await track(o.token)).toMatchObject({ status: 'pending_payment', paidCents: 0 });
  });

  it('messages waiting for a retry when Redis is emptied are sent once the reconciler runs, once each', async () => {
    const shop = await createShop(stack.pool, 'lost-messages');
    const emails = [1, 2, 3].map((n) => `lost-${n}-${shop.id}@example.test`);
    // the mail server refuses for a while: each "order received" email waits for its retry
    refuseMail = true;
    const orders: string[] = [];
    for (const email of emails) {
      const r = await new Client(stack.base).post('/api/orders', {
        pizzeriaId: shop.id, fulfilment: 'pickup', customer: { name: 'Noé', phone: '0611223344', email },
        items: [{ productId: margherita, quantity: 1 }], payment: 'on_delivery',
      });
      expect(r.status, JSON.stringify(r.body)).toBe(201);
      orders.push(r.body.id as string);
    }
    const refused = async () =>
      Number((await stack.pool.query(`SELECT count(*) AS n FROM customer_notifications WHERE order_id = ANY($1) AND channel = 'email' AND status = 'sending' AND last_error IS NOT NULL`, [orders])).rows[0].n);
    await waitUntil(async () => (await refused()) === 3, LIVE, 'three emails refused, waiting for a retry');
    await emptyRedis(async () => {
      refuseMail = false;
    });
    const received = (to: string) => smtp.inbox.filter((m) => m.to && !Array.isArray(m.to) && m.to.value.some((a) => a.address === to)).length;
    expect(emails.map(received)).toEqual([0, 0, 0]);

    const report = await stack.workers.reconcile();
    expect(report.messages).toBeGreaterThanOrEqual(3);
    await waitUntil(() => emails.every((e) => received(e) === 1), LIVE, 'the three emails');
    await waitUntil(async () => {
      const { rows } = await stack.pool.query(`SELECT status FROM customer_notifications WHERE order_id = ANY($1) AND channel = 'email'`, [orders]);
      return rows.length === 3 && rows.every((r) => r.status === 'sent');
    }, LIVE, 'the emails marked sent');
    // a second run finds nothing left to send, and nobody gets the message twice
    await stack.workers.reconcile();
    for (const id of orders) {
      const job = await stack.workers.queues.notifications.getJob(jobId.notify(id, 'received'));
      if (job) await waitUntil(async () => ['completed', 'failed'].includes(await job.getState()), LIVE, 'the message job settled');
    }
    expect(emails.map(received)).toEqual([1, 1, 1]);
  });

  it('a text the workers never claimed (they stopped before sending it) is queued by the reconciler once it is older than a claim lease, and sent once', async () => {
    const shop = await createShop(stack.pool, 'lost-text');
    const r = await new Client(stack.base).post('/api/orders', {
      pizzeriaId: shop.id, fulfilment: 'pickup', customer: { name: 'Ana', phone: '0611223355' },
      items: [{ productId: margherita, quantity: 1 }], payment: 'on_delivery',
    });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    const orderId = r.body.id as string;
    const claims = async () => (await stack.pool.query(`SELECT channel, status FROM customer_notifications WHERE order_id = $1 AND step = 'received'`, [orderId])).rows;
    await waitUntil(async () => (await claims()).length === 1, LIVE, 'the text sent by the workers');
    await waitUntil(() => reactorPast(stack.pool, { orderId }), LIVE, 'the reactor past the order');
    // as if the workers had stopped between the event and the claim: no claim, no job
    await stack.pool.query(`DELETE FROM customer_notifications WHERE order_id = $1`, [orderId]);
    expect(await stack.workers.queues.notifications.getJob(jobId.notify(orderId, 'received'))).toBeUndefined();
    // a minute later it may still be waiting its turn in the workers: left alone
    await stack.pool.query(`UPDATE order_events SET created_at = now() - interval '1 minute' WHERE order_id = $1`, [orderId]);
    await stack.workers.reconcile();
    expect(await stack.workers.queues.notifications.getJob(jobId.notify(orderId, 'received'))).toBeUndefined();
    // past a claim's lease (two minutes) it is lost: queued, and sent, once
    await stack.pool.query(`UPDATE order_events SET created_at = now() - interval '3 minutes' WHERE order_id = $1`, [orderId]);
    expect((await stack.workers.reconcile()).messages).toBeGreaterThanOrEqual(1);
    await waitUntil(async () => (await claims()).some((c) => c.status === 'sent'), LIVE, 'the text sent by its job');
    expect(await claims()).toEqual([{ channel: 'sms', status: 'sent' }]);
    const job = await stack.workers.queues.notifications.getJob(jobId.notify(orderId, 'received'));
    await waitUntil(async () => (await job!.getState()) === 'completed', LIVE, 'the job done');
  });

  it('a message whose job Redis lost before any run took it is sent once the reconciler runs, once', async () => {
    // "collected" goes by email only, so it still goes through the queue (texts leave at once:
    // workers/message-sender.ts; their loss, a stop before the claim, is the same step never claimed)
    const shop = await createShop(stack.pool, 'lost-first-message');
    const email = `first-${shop.id}@example.test`;
    const collectedMails = () =>
      smtp.inbox.filter((m) => m.to && !Array.isArray(m.to) && m.to.value.some((a) => a.address === email) && /(retirée|collected)$/.test(m.subject ?? '')).length;
    const r = await new Client(stack.base).post('/api/orders', {
      pizzeriaId: shop.id, fulfilment: 'pickup', customer: { name: 'Lou', phone: '0611223344', email },
      items: [{ productId: margherita, quantity: 1 }], payment: 'on_delivery',
    });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    const orderId = r.body.id as string;
    const [kitchen, counter] = await Promise.all((['kitchen', 'counter'] as const).map((role) => new Client(stack.base).login(shop.email(role))));
    await move(kitchen, orderId, 'preparing');
    await move(kitchen, orderId, 'ready');
    await emptyRedis(async () => {
      await move(counter, orderId, 'collected');
      // the workers' reactor queued the message and moved on; no worker took it yet
      await waitUntil(() => stack.workers.queues.notifications.getJob(jobId.notify(orderId, 'collected')), LIVE, 'the message job');
      await waitUntil(() => reactorPast(stack.pool, { orderId }), LIVE, 'the reactor past the order');
    });
    expect(collectedMails()).toBe(0);
    expect((await stack.pool.query(`SELECT count(*)::int AS n FROM customer_notifications WHERE order_id = $1 AND step = 'collected'`, [orderId])).rows[0].n).toBe(0);

    expect((await stack.workers.reconcile()).messages).toBeGreaterThanOrEqual(1);
    await waitUntil(() => collectedMails() === 1, LIVE, 'the email');
    const job = (await stack.workers.queues.notifications.getJob(jobId.notify(orderId, 'collected')))!;
    await waitUntil(async () => (await job.getState()) === 'completed', LIVE, 'the message job done');
    // the next run finds it claimed and sent: nothing queued again, nothing sent twice
    await stack.workers.reconcile();
    expect(await stack.workers.queues.notifications.getJob(jobId.notify(orderId, 'collected')).then((j) => j?.getState())).toBe('completed');
    expect(collectedMails()).toBe(1);
  });
});
