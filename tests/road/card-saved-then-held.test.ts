// An order paid online for a slot days ahead, through Stripe's real client against the local
// Stripe server (tests/stripe-server.ts), with webhooks signed as Stripe signs them: the customer
// saves the card at checkout (a SetupIntent for off-session use, on a customer of the order) and
// nothing is held that day; saving it takes the order; the workers hold the card off-session the
// day before (one hold, whatever repeats), captured when the kitchen starts; a hold the bank refuses
// tells the customer, who pays on the payment page by a deadline, or the order is cancelled and its
// slot and stock given back; a cancel before the hold forgets the card; an account erased deletes the
// Stripe customer its card was saved on, whatever Stripe's outages. Real Postgres, Redis, BullMQ,
// an SMTP server and an SMS gateway in this process. A shop of each test's own.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import Stripe from 'stripe';
import { Client, createShop, move, seededProduct, waitUntil } from '../helpers.ts';
import { useFakeStripe, useMessages, useStack } from '../services.ts';
import { jobId } from '../../src/lib/server/kernel/queues.ts';
import { paymentFormOf } from '../../src/lib/server/money/payment-form.ts';
import { stripeClient } from '../../src/lib/server/money/stripe.ts';

// a signing secret of this run's own, as Stripe's look (never a real one)
const WEBHOOK_SECRET = `whsec_${randomBytes(24).toString('hex')}`;
const stripe = useFakeStripe(WEBHOOK_SECRET);
const { fake, signer } = stripe;
const messages = useMessages();
const stack = useStack({ env: () => ({ ...stripe.env(), ...messages.env(), PREP_TARGET_SECONDS: '600' }), workers: true });
const margherita = seededProduct('margherita');
const LIVE = 20_000;
const HOUR = 3_600_000;
const QUARTER = 15 * 60_000;

/** Sends a webhook as Stripe does: the JSON body and its signature. */
async function deliver(event: object) {
  const payload = JSON.stringify(event);
  const header = signer.webhooks.generateTestHeaderString({ payload, secret: WEBHOOK_SECRET });
  const res = await fetch(`${stack.base}/api/payments/stripe/webhook`, { method: 'POST', headers: { 'content-type': 'application/json', 'stripe-signature': header }, body: payload });
  expect(res.status).toBe(200);
}

const track = async (token: string) => (await new Client(stack.base).get(`/api/track/${token}`)).body;
const movements = async (orderId: string) =>
  (await stack.pool.query<{ kind: string; amount_cents: number }>('SELECT kind, amount_cents FROM payment_movements WHERE order_id = $1 ORDER BY id', [orderId])).rows.map((r) => [r.kind, r.amount_cents]);
const reservedAt = async (shop: number) =>
  Number((await stack.pool.query('SELECT coalesce(sum(reserved), 0) AS n FROM stock WHERE pizzeria_id = $1', [shop])).rows[0].n);
/** The slot `days` days ahead, on a quarter hour (a test shop is open at all hours). */
const slotIn = (days: number) => new Date(Math.ceil((Date.now() + days * 24 * HOUR) / QUARTER) * QUARTER).toISOString();
const offSessionCalls = (orderId: string) => fake.calls.filter((c) => c.path === '/v1/payment_intents' && c.body.off_session === 'true' && c.body['metadata[order_id]'] === orderId);

/** A pickup for the slot, paid online, by a customer with an email (signed in as `by`, or a guest); its card setup made by the workers. */
async function placeLater(shopId: number, days = 6.5, quantity = 1, by = new Client(stack.base), email = 'ines@example.test') {
  const slot = slotIn(days);
  const r = await by.post('/api/orders', {
    pizzeriaId: shopId, fulfilment: 'pickup', customer: { name: 'Inès', phone: '0611223344', email },
    items: [{ productId: margherita, quantity }], payment: 'online', slot,
  });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  const setup = (await waitUntil(() => fake.setupOf(r.body.id), LIVE, 'the card setup'))!;
  // the workers keep it on the order (what the payment page shows) a moment after Stripe made it
  await waitUntil(async () => (await paymentFormOf(stack.pool, r.body.id, 30))?.intentId === setup.id, LIVE, 'the setup kept on the order');
  return { id: r.body.id as string, token: r.body.trackingToken as string, total: r.body.total as number, slot, setup };
}

/** The customer saves their card on the payment page, and Stripe says so: the order is taken. */
async function saveCard(o: Awaited<ReturnType<typeof placeLater>>) {
  const paymentMethod = fake.saveCard(o.setup);
  await deliver(fake.event('setup_intent.succeeded', o.setup));
  await waitUntil(async () => (await track(o.token)).status === 'received', LIVE, 'the order taken once the card is saved');
  return paymentMethod;
}

/** The hold's time comes now: its job, delayed to then, runs. */
async function holdNow(orderId: string) {
  await stack.pool.query(`UPDATE orders SET hold_due_at = now(), version = version + 1 WHERE id = $1`, [orderId]);
  const job = (await waitUntil(() => stack.workers.queues.payments.getJob(jobId.hold(orderId)), LIVE, 'the hold job'))!;
  await job.promote();
}

describe('a card saved at checkout, held the day before', () => {
  it('an order 6.5 days ahead paid online is taken once its card is saved, with nothing held or charged that day', async () => {
    const shop = await createShop(stack.pool, 'saved-card');
    const o = await placeLater(shop.id);
    expect(await track(o.token)).toMatchObject({ status: 'pending_payment', payment: { method: 'online', status: 'pending' } });
    // a setup for off-session use on a customer of the order, never a PaymentIntent
    expect(o.setup).toMatchObject({ usage: 'off_session', metadata: { order_id: o.id } });
    expect(fake.customers.get(o.setup.customer!)).toMatchObject({ name: 'Inès', metadata: { order_id: o.id } });
    expect(fake.intentOf(o.id)).toBeUndefined();
    // what the payment page shows: a card to save, the order's total, the hold the day before
    const form = (await paymentFormOf(stack.pool, o.id, 30))!;
    expect(form).toMatchObject({ kind: 'save', payable: true, intentId: o.setup.id, clientSecret: o.setup.client_secret, totalCents: o.total });
    expect(form.holdAt!.getTime()).toBe(Date.parse(o.slot) - 24 * HOUR);
    // changed while the card is not saved yet: the same setup serves (the next attempt asks for no other)
    const changed = await new Client(stack.base).patch(`/api/track/${o.token}`, { items: [{ productId: margherita, quantity: 2 }] });
    expect(changed.body).toMatchObject({ status: 'pending_payment', payment: { attempt: 2 } });
    await waitUntil(async () => (await (await stack.workers.queues.payments.getJob(jobId.paymentBegin(o.id, 2)))?.isCompleted()), LIVE, 'the second attempt begun');
    expect([...fake.setups.values()].filter((x) => x.metadata.order_id === o.id)).toHaveLength(1);
    expect((await paymentFormOf(stack.pool, o.id, 30))!).toMatchObject({ kind: 'save', intentId: o.setup.id, totalCents: changed.body.totalCents });

    await saveCard(o);
    const taken = await track(o.token);
    expect(taken).toMatchObject({ status: 'received', scheduled: { slotAt: o.slot, fired: false }, payment: { status: 'card_saved' }, paidCents: 0, totalCents: changed.body.totalCents });
    expect(Date.parse(taken.payment.holdAt)).toBe(Date.parse(o.slot) - 24 * HOUR);
    // the workers hold it then: a job keyed by the order, delayed to its time
    const job = (await waitUntil(() => stack.workers.queues.payments.getJob(jobId.hold(o.id)), LIVE, 'the hold job'))!;
    expect(Math.abs(job.timestamp + (job.opts.delay ?? 0) - Date.parse(taken.payment.holdAt))).toBeLessThan(2000);
    // no money moved, nothing asked of the card
    expect(await movements(o.id)).toEqual([]);
    expect(offSessionCalls(o.id)).toEqual([]);
  });

  it('the hold is placed once at its time for what the order then costs, even when its job runs twice, and captured when the kitchen starts', async () => {
    const shop = await createShop(stack.pool, 'saved-held');
    const o = await placeLater(shop.id);
    const paymentMethod = await saveCard(o);
    // a change before the hold changes what the hold takes
    const changed = await new Client(stack.base).patch(`/api/track/${o.token}`, { items: [{ productId: margherita, quantity: 2 }] });
    expect(changed.status, JSON.stringify(changed.body)).toBe(200);
    expect(changed.body).toMatchObject({ status: 'received', payment: { status: 'card_saved' } });
    const total = changed.body.totalCents as number;
    expect(total).toBeGreaterThan(o.total);

    await holdNow(o.id);
    await waitUntil(async () => (await track(o.token)).payment.status === 'authorised', LIVE, 'the hold');
    const [hold] = fake.holdsOf(o.id);
    expect(hold).toMatchObject({ amount: total, capture_method: 'manual', status: 'requires_capture', customer: o.setup.customer, payment_method: paymentMethod });
    expect(offSessionCalls(o.id).map((c) => c.idempotencyKey)).toEqual([`hold-${o.id}-1`]);
    expect(await track(o.token)).toMatchObject({ status: 'received', paidCents: total, amountDueCents: 0, payment: { status: 'authorised', paidWith: 'online', holdAt: null } });

    // the job again (a retry after a crash, or the reconciler): nothing more asked of the card
    await stack.workers.queues.payments.add('hold', { orderId: o.id }, { jobId: `${jobId.hold(o.id)}-again` });
    await stack.workers.reconcile();
    await waitUntil(async () => (await (await stack.workers.queues.payments.getJob(`${jobId.hold(o.id)}-again`))?.isCompleted()), LIVE, 'the second run');
    expect(offSessionCalls(o.id)).toHaveLength(1);
    // Stripe's own word on the hold, late: nothing more either
    await deliver(fake.event('payment_intent.amount_capturable_updated', hold));
    await waitUntil(async () => (await stack.pool.query(`SELECT 1 FROM payment_events WHERE order_id = $1 AND processed_at IS NOT NULL`, [o.id])).rowCount, LIVE, 'the event processed');
    expect(fake.holdsOf(o.id)).toHaveLength(1);

    // fired and started: captured as any hold
    const manager = await new Client(stack.base).login(shop.email('manager'));
    const kitchen = await new Client(stack.base).login(shop.email('kitchen'));
    expect((await manager.post(`/api/orders/${o.id}/fire`, {})).status).toBe(200);
    await move(kitchen, o.id, 'preparing');
    await waitUntil(async () => (await track(o.token)).payment.status === 'paid', LIVE, 'the capture');
    expect(fake.intents.get(hold.id)).toMatchObject({ status: 'succeeded', amount_received: total });
    expect(await movements(o.id)).toEqual([['authorised', total], ['captured', total]]);
  });

  it('a worker that dies between Stripe holding the card and the database recording it: the retry gets the same hold', async () => {
    const shop = await createShop(stack.pool, 'saved-crash');
    const o = await placeLater(shop.id);
    const paymentMethod = await saveCard(o);
    // the call the dead worker made, with its key: it reached Stripe, which held the card, and nothing was recorded
    const { STRIPE_SECRET_KEY, STRIPE_API_URL } = stripe.env();
    const client = new Stripe(STRIPE_SECRET_KEY, { host: new URL(STRIPE_API_URL).hostname, port: Number(new URL(STRIPE_API_URL).port), protocol: 'http' });
    const first = await client.paymentIntents.create(
      { amount: o.total, currency: 'eur', capture_method: 'manual', customer: o.setup.customer!, payment_method: paymentMethod, off_session: true, confirm: true, metadata: { order_id: o.id, attempt: '1', hold: 'off_session' } },
      { idempotencyKey: `hold-${o.id}-1` },
    );
    await stack.pool.query('UPDATE orders SET hold_cents = total_cents, version = version + 1 WHERE id = $1', [o.id]);
    expect(await track(o.token)).toMatchObject({ payment: { status: 'card_saved' } });

    await holdNow(o.id);
    await waitUntil(async () => (await track(o.token)).payment.status === 'authorised', LIVE, 'the hold recorded');
    expect(fake.holdsOf(o.id).map((i) => i.id)).toEqual([first.id]);
    expect((await stack.pool.query('SELECT payment_reference FROM orders WHERE id = $1', [o.id])).rows[0].payment_reference).toBe(first.id);
    expect(await movements(o.id)).toEqual([['authorised', o.total]]);
  });

  it('a hold the bank declines tells the customer, with the payment page and a deadline; unpaid by then, the order is cancelled, its slot and stock given back', async () => {
    const shop = await createShop(stack.pool, 'saved-declined');
    // one pizza fills a slot of this oven
    await stack.pool.query('UPDATE pizzerias SET oven_minutes_per_slot = 10 WHERE id = $1', [shop.id]);
    const o = await placeLater(shop.id);
    const paymentMethod = await saveCard(o);
    fake.declineOffSession.set(paymentMethod, 'card_declined');
    const offered = async () => (await new Client(stack.base).get(`/api/pizzerias/${shop.id}/slots?fulfilment=pickup&pizzas=1`)).body.slots.map((s: { start: string }) => s.start);
    expect(await offered()).not.toContain(o.slot);
    expect(await reservedAt(shop.id)).toBeGreaterThan(0);

    await holdNow(o.id);
    const refused = await waitUntil(async () => {
      const t = await track(o.token);
      return t.payment.status === 'failed' && t;
    }, LIVE, 'the refusal recorded');
    expect(refused).toMatchObject({ status: 'received', paidCents: 0 });
    const payBy = Date.parse(refused.payment.payBy);
    expect(payBy - Date.now()).toBeGreaterThan(11 * HOUR);
    // the customer is told, by email and text, with the payment page
    const pay = `/track/${o.token}/pay`;
    const mail = await waitUntil(() => messages.smtp.inbox.find((m) => m.text?.includes(pay)), LIVE, 'the email');
    expect(mail!.to).toMatchObject({ text: 'ines@example.test' });
    expect(mail!.subject).toMatch(/refus/i);
    const text = await waitUntil(() => messages.gateway.texts.find((t) => t.text.includes(pay)), LIVE, 'the text message');
    expect(text!.to).toBe('+33611223344');
    // the payment page takes a card for the hold the bank refused, until the deadline
    const [declined] = fake.holdsOf(o.id);
    expect(declined).toMatchObject({ status: 'requires_payment_method', amount: o.total });
    expect(await paymentFormOf(stack.pool, o.id, 30)).toMatchObject({ kind: 'hold', payable: true, intentId: declined.id, clientSecret: declined.client_secret, totalCents: o.total, expiresAt: new Date(payBy) });

    // the deadline comes, unpaid (its timer lost and queued again by the reconciler)
    await stack.pool.query(`UPDATE orders SET hold_pay_by = now(), version = version + 1 WHERE id = $1`, [o.id]);
    await (await stack.workers.queues.payments.getJob(jobId.holdDeadline(o.id)))?.remove();
    expect((await stack.workers.reconcile()).holdDeadlines).toBeGreaterThanOrEqual(1);
    const cancelled = await waitUntil(async () => {
      const t = await track(o.token);
      return t.status === 'cancelled' && t;
    }, LIVE, 'the unpaid order cancelled');
    expect(cancelled).toMatchObject({ cancelReason: 'payment_expired', paidCents: 0, refundDueCents: 0 });
    expect(await offered()).toContain(o.slot);
    expect(await reservedAt(shop.id)).toBe(0);
    // the refused payment can no longer be completed, and the saved card is forgotten
    await waitUntil(() => fake.intents.get(declined.id)?.status === 'canceled', LIVE, 'the refused payment cancelled');
    await waitUntil(() => fake.detached.has(paymentMethod), LIVE, 'the card forgotten');
    expect(await movements(o.id)).toEqual([['failed', 0]]);
  });

  it('a bank that wants the customer there: they pay on the payment page before the deadline, and the order is kept', async () => {
    const shop = await createShop(stack.pool, 'saved-sca');
    const o = await placeLater(shop.id);
    const paymentMethod = await saveCard(o);
    fake.declineOffSession.set(paymentMethod, 'authentication_required');
    await holdNow(o.id);
    await waitUntil(async () => (await track(o.token)).payment.status === 'failed', LIVE, 'the refusal recorded');
    const [asked] = fake.holdsOf(o.id);
    // the customer confirms it on the payment page (3-D Secure): held
    fake.authorise(asked);
    await deliver(fake.event('payment_intent.amount_capturable_updated', asked));
    await waitUntil(async () => (await track(o.token)).payment.status === 'authorised', LIVE, 'the hold paid on the page');
    expect(await track(o.token)).toMatchObject({ status: 'received', paidCents: o.total, payment: { payBy: null } });
    // its deadline passes: nothing happens to a paid order
    await stack.pool.query(`UPDATE orders SET hold_pay_by = now(), version = version + 1 WHERE id = $1`, [o.id]);
    await stack.workers.queues.payments.add('hold-deadline', { orderId: o.id }, { jobId: `${jobId.holdDeadline(o.id)}-late` });
    await waitUntil(async () => (await (await stack.workers.queues.payments.getJob(`${jobId.holdDeadline(o.id)}-late`))?.isCompleted()), LIVE, 'the deadline run');
    expect(await track(o.token)).toMatchObject({ status: 'received', payment: { status: 'authorised' } });
    expect(await movements(o.id)).toEqual([['failed', 0], ['authorised', o.total]]);
  });

  it('a cancel before the hold forgets the saved card, and nothing is held or released', async () => {
    const shop = await createShop(stack.pool, 'saved-cancel');
    const o = await placeLater(shop.id);
    const paymentMethod = await saveCard(o);
    const c = await new Client(stack.base).post(`/api/track/${o.token}/cancel`, {});
    expect(c.status, JSON.stringify(c.body)).toBe(200);
    await waitUntil(() => fake.detached.has(paymentMethod), LIVE, 'the card forgotten');
    expect(await track(o.token)).toMatchObject({ status: 'cancelled', paidCents: 0, refundDueCents: 0 });
    expect(fake.calls.filter((x) => x.path === `/v1/payment_methods/${paymentMethod}/detach`).map((x) => x.idempotencyKey)).toEqual([`forget-${o.id}`]);
    // its hold job, if it ever runs, holds nothing
    await stack.pool.query(`UPDATE orders SET hold_due_at = now(), version = version + 1 WHERE id = $1`, [o.id]);
    await stack.workers.queues.payments.add('hold', { orderId: o.id }, { jobId: `${jobId.hold(o.id)}-late` });
    await waitUntil(async () => (await (await stack.workers.queues.payments.getJob(`${jobId.hold(o.id)}-late`))?.isCompleted()), LIVE, 'the late hold job');
    expect(offSessionCalls(o.id)).toEqual([]);
    expect(await movements(o.id)).toEqual([]);
  });

  it('the reconciler queues again a hold job Redis lost, for its time', async () => {
    const shop = await createShop(stack.pool, 'saved-lost');
    const o = await placeLater(shop.id);
    await saveCard(o);
    const queued = (await waitUntil(() => stack.workers.queues.payments.getJob(jobId.hold(o.id)), LIVE, 'the hold job'))!;
    await queued.remove();
    expect(await stack.workers.queues.payments.getJob(jobId.hold(o.id))).toBeUndefined();
    // (other files' orders may be counted too: the run's database is shared)
    expect((await stack.workers.reconcile()).holds).toBeGreaterThanOrEqual(1);
    const again = (await stack.workers.queues.payments.getJob(jobId.hold(o.id)))!;
    expect(await again.isDelayed()).toBe(true);
    expect(Math.abs(again.timestamp + (again.opts.delay ?? 0) - (Date.parse(o.slot) - 24 * HOUR))).toBeLessThan(2000);
    // queued already: the next run leaves it alone (the same job, not a new one)
    await stack.workers.reconcile();
    expect((await stack.workers.queues.payments.getJob(jobId.hold(o.id)))!.timestamp).toBe(again.timestamp);
  });
});

/** A customer signed in with the code emailed to them. */
async function signedIn(email: string): Promise<Client> {
  const c = new Client(stack.base);
  expect((await c.post('/api/customer/code', { email })).status).toBe(202);
  const mail = (await waitUntil(() => [...messages.smtp.inbox].reverse().find((m) => JSON.stringify(m.to ?? '').includes(email)), LIVE, `the code to ${email}`))!;
  const code = /\b(\d{6})\b/.exec(mail.text ?? '')?.[1];
  const r = await c.post('/api/customer/session', { email, code });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return c;
}

describe("an account erased, and Stripe's customer of its saved card", () => {
  it('deletes the customer at Stripe through the workers, retried through an outage, once; the erasure does not wait for Stripe', async () => {
    const shop = await createShop(stack.pool, 'saved-erased');
    const email = `erased-${Date.now()}@example.fr`;
    const account = await signedIn(email);
    const o = await placeLater(shop.id, 6.5, 1, account, email);
    const paymentMethod = await saveCard(o);
    const customer = o.setup.customer!;
    expect(fake.customers.get(customer)).toMatchObject({ name: 'Inès', phone: '0611223344' });
    // the order ends (the customer cancels it) and its card is forgotten: the account can be erased
    expect((await account.post(`/api/track/${o.token}/cancel`, {})).status).toBe(200);
    await waitUntil(async () => (await stack.pool.query('SELECT 1 FROM orders WHERE id = $1 AND card_forgotten_at IS NOT NULL', [o.id])).rowCount, LIVE, 'the card forgotten');
    expect(fake.detached.has(paymentMethod)).toBe(true);

    // Stripe's customers are away: the erasure answers all the same, and keeps what is to delete
    const deletes = () => fake.calls.filter((c) => c.method === 'DELETE' && c.path === `/v1/customers/${customer}`);
    fake.outage = (c) => c.path.startsWith('/v1/customers/');
    const erased = await account.delete('/api/customer/me');
    expect(erased.status, JSON.stringify(erased.body)).toBe(200);
    expect(erased.body).toEqual({ ordersAnonymised: 1 });
    const { rows: order } = await stack.pool.query('SELECT card_customer_id, customer_name FROM orders WHERE id = $1', [o.id]);
    expect(order[0]).toEqual({ card_customer_id: null, customer_name: '-' });
    // the workers ask, fail, and ask again (the job's retries); the reconciler finds the job there and adds none
    await waitUntil(() => fake.failed.filter((c) => c.method === 'DELETE' && c.path === `/v1/customers/${customer}`).length >= 3, LIVE, 'the deletion tried through the outage');
    expect(await stack.workers.queues.payments.getJob(jobId.deleteCustomer(customer))).toBeTruthy();
    await stack.workers.reconcile();
    expect((await stack.pool.query('SELECT deleted_at FROM provider_customer_erasures WHERE customer_ref = $1', [customer])).rows).toEqual([{ deleted_at: null }]);

    // Stripe is back: the next try deletes the customer, and with it their name, phone and card
    fake.outage = null;
    await waitUntil(() => fake.customers.get(customer) && 'deleted' in fake.customers.get(customer)!, 3 * LIVE, 'the Stripe customer deleted');
    expect(fake.customers.get(customer)).toEqual({ id: customer, object: 'customer', deleted: true });
    await waitUntil(async () => (await stack.pool.query('SELECT 1 FROM provider_customer_erasures WHERE customer_ref = $1 AND deleted_at IS NOT NULL', [customer])).rowCount, LIVE, 'the deletion recorded');
    const asked = deletes().length;

    // as Stripe documents it, through its own client: a deleted customer is retrieved as deleted, and not deleted again
    const client = stripeClient({ STRIPE_SECRET_KEY: 'sk_test_localserver', STRIPE_API_URL: stripe.env().STRIPE_API_URL })!;
    expect(await client.customers.retrieve(customer)).toMatchObject({ id: customer, deleted: true });
    await expect(client.customers.del(customer)).rejects.toMatchObject({ statusCode: 404, code: 'resource_missing' });

    // the job again, or the reconciler: nothing more asked of Stripe
    await stack.workers.queues.payments.add('delete-customer', { customerRef: customer }, { jobId: `${jobId.deleteCustomer(customer)}-again` });
    await waitUntil(async () => (await (await stack.workers.queues.payments.getJob(`${jobId.deleteCustomer(customer)}-again`))?.isCompleted()), LIVE, 'the second run');
    await stack.workers.reconcile();
    expect(deletes().length).toBe(asked + 1); // the client's own delete above
    // a deletion whose answer was lost (deleted at Stripe, not recorded here): Stripe's "no such customer" closes it
    await stack.pool.query('UPDATE provider_customer_erasures SET deleted_at = NULL WHERE customer_ref = $1', [customer]);
    await stack.workers.queues.payments.add('delete-customer', { customerRef: customer }, { jobId: `${jobId.deleteCustomer(customer)}-lost` });
    const lost = (await stack.workers.queues.payments.getJob(`${jobId.deleteCustomer(customer)}-lost`))!;
    await waitUntil(async () => (await lost.isCompleted()) || (await lost.isFailed()), LIVE, 'the run after a lost answer');
    expect((await stack.workers.queues.payments.getJob(lost.id!))!.returnvalue).toBe('customer gone');
    expect((await stack.pool.query('SELECT 1 FROM provider_customer_erasures WHERE customer_ref = $1 AND deleted_at IS NOT NULL', [customer])).rowCount).toBe(1);
  });
});
