// Card payments held then captured, as the database sees them, whatever the provider. Its events
// (notices.ts: read from its webhook at the edge, handed to the workers) and the workers' own calls
// (capture, release, refund) end here, each in one transaction with the order locked: every
// movement of money is a row of payment_movements with the provider's ids. Each event is kept in
// payment_events before the webhook answers, and processed from here once, whatever the provider
// or the queue repeats, reorders or loses.
import type { OrderView } from '../../realtime/contract.ts';
import { transaction, type Db, type Tx } from '../db.ts';
import { lockOrder, recordEvent } from '../orders.ts';
import type { PaymentNotice, ProviderPayment } from './notices.ts';

export type EventOutcome =
  | 'duplicate'
  | 'authorised'
  | 'captured'
  | 'released'
  | 'failed'
  | 'ignored'
  /** A hold the order cannot use (an older attempt, another amount, an order paid another way): to let go. */
  | 'release';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Where a movement comes from: the provider, its payment, and the event that told it (none for the workers' own calls). */
interface Source {
  provider: string;
  paymentId: string;
  eventId: string | null;
}

async function movement(tx: Tx, orderId: string, kind: string, amountCents: number, from: Source, detail: string | null = null) {
  await tx.query(
    `INSERT INTO payment_movements (order_id, kind, amount_cents, provider, payment_intent_id, event_id, detail) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
    [orderId, kind, amountCents, from.provider, from.paymentId, from.eventId, detail?.slice(0, 500) ?? null],
  );
}

/**
 * Keeps an event the webhook believed, before the webhook answers: once per event id, whatever the
 * provider repeats. Tells whether it is still to process (a repeat of a processed event is not).
 */
export async function storePaymentEvent(q: Db | Tx, event: PaymentNotice): Promise<{ toProcess: boolean }> {
  const orderId = event.orderId;
  const { rows } = await q.query<{ processed: boolean }>(
    `WITH kept AS (
       INSERT INTO payment_events (event_id, type, order_id, payload) VALUES ($1, $2, $3, $4) ON CONFLICT (event_id) DO NOTHING RETURNING false AS processed
     )
     SELECT processed FROM kept UNION ALL SELECT processed_at IS NOT NULL FROM payment_events WHERE event_id = $1 LIMIT 1`,
    [event.id, event.providerType, orderId && UUID.test(orderId) ? orderId : null, JSON.stringify(event)],
  );
  return { toProcess: !rows[0]?.processed };
}

/** Events kept and not processed yet (their job lost, or still queued), oldest first; of one order when given. */
export async function unprocessedPaymentEvents(q: Db, orderId?: string): Promise<string[]> {
  const { rows } = await q.query<{ event_id: string }>(
    `SELECT event_id FROM payment_events WHERE processed_at IS NULL AND ($1::uuid IS NULL OR order_id = $1) ORDER BY received_at`,
    [orderId ?? null],
  );
  return rows.map((r) => r.event_id);
}

/**
 * Card holds an order could not use (an older attempt's, another amount's, one on an order paid
 * another way) and not let go yet: what the `release` job is for. A hold of the order's own payment
 * is not among them (the refund road lets it go). Card networks drop a hold after about a week on
 * their own (Stripe: 7 days), so older ones are not looked at.
 */
export async function strayHoldsToRelease(q: Db): Promise<{ orderId: string; intentId: string; amountCents: number }[]> {
  const { rows } = await q.query(
    `SELECT DISTINCT ON (m.order_id, m.payment_intent_id) m.order_id, m.payment_intent_id, m.amount_cents
     FROM payment_movements m JOIN orders o ON o.id = m.order_id
     WHERE m.kind = 'authorised' AND m.created_at > now() - interval '8 days'
       AND m.payment_intent_id IS NOT NULL AND o.payment_reference IS DISTINCT FROM m.payment_intent_id
       AND NOT EXISTS (SELECT 1 FROM payment_movements r WHERE r.order_id = m.order_id AND r.payment_intent_id = m.payment_intent_id AND r.kind IN ('released', 'captured'))
     ORDER BY m.order_id, m.payment_intent_id, m.id`,
  );
  return rows.map((r) => ({ orderId: r.order_id, intentId: r.payment_intent_id, amountCents: r.amount_cents }));
}

/** Keeps an event and acts on it at once (what the webhook and the worker do, in one call). */
export async function handlePaymentEvent(dbp: Db, event: PaymentNotice): ReturnType<typeof processPaymentEvent> {
  await storePaymentEvent(dbp, event);
  return processPaymentEvent(dbp, event.id);
}

/**
 * Acts on one kept provider event, once: a hold authorised (the order reaches the kitchen), a capture or
 * a release the workers' own call did not record (a crash between the call and the commit), a
 * payment refused (the customer may try another card). Anything else, or anything that no longer
 * fits the order (a stale attempt, a capture of an order already captured, a cancel after a
 * capture), is recorded as ignored and changes nothing. An event processed already, or never kept: 'duplicate'.
 */
export async function processPaymentEvent(
  dbp: Db,
  eventId: string,
): Promise<{ outcome: EventOutcome; orderId?: string; order?: OrderView; hold?: { intentId: string; amountCents: number } }> {
  return transaction(dbp, async (tx) => {
    // the row locked: a second run of the same event waits, then finds it processed
    const { rows: kept } = await tx.query<{ payload: PaymentNotice | null; processed: boolean }>(
      `SELECT payload, processed_at IS NOT NULL AS processed FROM payment_events WHERE event_id = $1 FOR UPDATE`,
      [eventId],
    );
    if (!kept[0]?.payload || kept[0].processed) return { outcome: 'duplicate' as const };
    const event = kept[0].payload;
    const { orderId, paymentId } = event;
    const done = async (outcome: EventOutcome, order?: OrderView) => {
      await tx.query('UPDATE payment_events SET outcome = $2, processed_at = now() WHERE event_id = $1', [event.id, outcome]);
      return { outcome, order, orderId: orderId ?? undefined, ...(outcome === 'release' && paymentId ? { hold: { intentId: paymentId, amountCents: event.heldCents } } : {}) };
    };
    if (event.kind === 'other' || !paymentId || !orderId || !UUID.test(orderId)) return done('ignored');
    const { rows: found } = await tx.query('SELECT * FROM orders WHERE id = $1 FOR UPDATE', [orderId]);
    const o = found[0];
    if (!o) return done('ignored');
    const from: Source = { provider: event.provider, paymentId, eventId: event.id };
    const system = { kind: 'system', name: 'payments' } as const;

    switch (event.kind) {
      case 'held': {
        const amount = event.heldCents;
        if (amount <= 0) return done('ignored');
        if (o.status === 'pending_payment' && event.attempt === o.payment_attempt && amount === o.total_cents) {
          await movement(tx, orderId, 'authorised', amount, from);
          await tx.query(
            `UPDATE orders SET status = 'received', received_at = now(), version = version + 1, payment_status = 'authorised',
               paid_cents = $2, paid_with = 'online', payment_reference = $3, payment_intent_id = $3
             WHERE id = $1`,
            [orderId, amount, paymentId],
          );
          return done('authorised', (await recordEvent(tx, orderId, 'order.status', system)).order);
        }
        if (o.payment_reference === paymentId) return done('ignored');
        // a hold the order cannot use (cancelled or expired meanwhile, an older attempt, another
        // amount): kept as held money to give back, which the workers release
        await movement(tx, orderId, 'authorised', amount, from, 'not for the payment in progress: to release');
        if (o.paid_cents === 0 && o.status === 'cancelled') {
          await tx.query(
            `UPDATE orders SET payment_status = 'authorised', paid_cents = $2, paid_with = 'online', payment_reference = $3, version = version + 1 WHERE id = $1`,
            [orderId, amount, paymentId],
          );
          return done('authorised', (await recordEvent(tx, orderId, 'order.refunded', system)).order);
        }
        return done('release');
      }
      case 'taken': {
        // the capture, as the provider saw it: recorded here only if the workers' call was not
        if (o.payment_reference !== paymentId || o.payment_status !== 'authorised') return done('ignored');
        return done('captured', await applyCapture(tx, orderId, event.takenCents, from));
      }
      case 'released': {
        // a hold let go; a release after a capture cannot be, and changes nothing
        if (o.payment_reference !== paymentId || o.payment_status !== 'authorised') return done('ignored');
        return done('released', await applyRelease(tx, orderId, from));
      }
      case 'refused': {
        if (o.status !== 'pending_payment' || event.attempt !== o.payment_attempt) return done('ignored');
        await movement(tx, orderId, 'failed', 0, from, event.reason ?? 'payment refused');
        await tx.query(`UPDATE orders SET payment_status = 'failed', version = version + 1 WHERE id = $1`, [orderId]);
        return done('failed', (await recordEvent(tx, orderId, 'order.modified', system)).order);
      }
    }
  });
}

/**
 * What the provider says of the order's payment, asked before an unpaid order expires, when its
 * webhook never reached us: a hold taken (or a payment taken) is applied as its events would have
 * been, kept in payment_events under ids of their own, so asking again applies nothing more and the
 * webhook arriving late changes nothing.
 */
export async function applyPaymentAsProviderSees(
  dbp: Db,
  provider: string,
  payment: ProviderPayment,
): Promise<Awaited<ReturnType<typeof processPaymentEvent>>[]> {
  if (payment.state === 'other') return [];
  const taken = payment.state === 'taken';
  const heldCents = taken ? payment.takenCents : payment.heldCents;
  const asked = { provider, paymentId: payment.id, orderId: payment.orderId, attempt: payment.attempt, heldCents, takenCents: payment.takenCents, reason: null };
  const results = [await handlePaymentEvent(dbp, { ...asked, id: `asked_${payment.id}_held`, kind: heldCents > 0 ? 'held' : 'other', providerType: 'asked: held' })];
  if (taken && results[0].outcome === 'authorised') {
    results.push(await handlePaymentEvent(dbp, { ...asked, id: `asked_${payment.id}_taken`, kind: 'taken', providerType: 'asked: taken' }));
  }
  return results;
}

/** The hold was captured for `amountCents`: the order is paid that much, the rest of the hold let go. */
async function applyCapture(tx: Tx, orderId: string, amountCents: number, from: Source): Promise<OrderView> {
  const o = await lockOrder(tx, orderId);
  await movement(tx, orderId, 'captured', amountCents, from);
  if (o.paid_cents > amountCents) await movement(tx, orderId, 'released', o.paid_cents - amountCents, from, 'rest of the hold');
  await tx.query(
    `UPDATE orders SET payment_status = 'paid', paid_cents = $2, capture_failed_at = NULL, version = version + 1 WHERE id = $1`,
    [orderId, amountCents],
  );
  return (await recordEvent(tx, orderId, 'order.modified', { kind: 'system', name: 'payments' })).order;
}

/** The hold was let go whole: nothing was taken, nothing is owed back. */
async function applyRelease(tx: Tx, orderId: string, from: Source): Promise<OrderView> {
  const o = await lockOrder(tx, orderId);
  await movement(tx, orderId, 'released', o.paid_cents - o.refunded_cents, from);
  await tx.query(
    `UPDATE orders SET refunded_cents = paid_cents, refunded_at = now(), payment_status = CASE WHEN status = 'cancelled' THEN 'refunded'::payment_status ELSE payment_status END,
       version = version + 1 WHERE id = $1`,
    [orderId],
  );
  return (await recordEvent(tx, orderId, 'order.refunded', { kind: 'system', name: 'payments' })).order;
}

/** A hold the order could not use was let go (the provider answered): one movement, whatever the job repeats. */
export async function recordStrayRelease(dbp: Db, provider: string, orderId: string, intentId: string, amountCents: number): Promise<boolean> {
  const { rowCount } = await dbp.query(
    `INSERT INTO payment_movements (order_id, kind, amount_cents, provider, payment_intent_id, detail)
     SELECT $1, 'released', $3, $4, $2, 'a hold the order could not use'
     WHERE NOT EXISTS (SELECT 1 FROM payment_movements WHERE order_id = $1 AND payment_intent_id = $2 AND kind = 'released')`,
    [orderId, intentId, amountCents, provider],
  );
  return (rowCount ?? 0) > 0;
}

/** Orders the kitchen started whose card hold is still to capture (and was not refused). */
export async function holdsToCapture(q: Db): Promise<string[]> {
  const { rows } = await q.query<{ id: string }>(
    `SELECT id FROM orders WHERE payment_status = 'authorised' AND capture_failed_at IS NULL
       AND status IN ('preparing', 'ready', 'out_for_delivery', 'delivered', 'collected')`,
  );
  return rows.map((r) => r.id);
}

/** What capturing this order's hold takes: the hold, less what the order no longer costs; null when there is none to capture. */
export async function captureToMake(dbp: Db, orderId: string): Promise<{ intentId: string; amountCents: number } | null> {
  const { rows } = await dbp.query(
    `SELECT payment_reference, paid_cents - refund_due_cents AS amount FROM orders
     WHERE id = $1 AND payment_status = 'authorised' AND status NOT IN ('pending_payment', 'received', 'cancelled')`,
    [orderId],
  );
  return rows[0] ? { intentId: rows[0].payment_reference, amountCents: rows[0].amount } : null;
}

/** The workers captured the hold (the provider answered): recorded unless an event did it first. */
export async function recordCapture(dbp: Db, provider: string, orderId: string, c: { intentId: string; amountCents: number }): Promise<OrderView | null> {
  return transaction(dbp, async (tx) => {
    const o = await lockOrder(tx, orderId);
    if (o.payment_status !== 'authorised' || o.payment_reference !== c.intentId) return null;
    return applyCapture(tx, orderId, c.amountCents, { provider, paymentId: c.intentId, eventId: null });
  });
}

/** The workers let a cancelled order's hold go (the provider answered): recorded unless an event did it first. */
export async function recordRelease(dbp: Db, provider: string, orderId: string, intentId: string): Promise<OrderView | null> {
  return transaction(dbp, async (tx) => {
    const o = await lockOrder(tx, orderId);
    if (o.payment_status !== 'authorised' || o.payment_reference !== intentId) return null;
    return applyRelease(tx, orderId, { provider, paymentId: intentId, eventId: null });
  });
}

/** The capture was refused for good: a movement, and the order flagged for its manager. */
export async function recordCaptureFailure(dbp: Db, provider: string, orderId: string, intentId: string, why: string): Promise<OrderView | null> {
  return transaction(dbp, async (tx) => {
    const o = await lockOrder(tx, orderId);
    if (o.payment_status !== 'authorised' || o.capture_failed_at) return null;
    await movement(tx, orderId, 'failed', o.paid_cents - o.refund_due_cents, { provider, paymentId: intentId, eventId: null }, `capture: ${why}`);
    await tx.query('UPDATE orders SET capture_failed_at = now(), version = version + 1 WHERE id = $1', [orderId]);
    return (await recordEvent(tx, orderId, 'order.modified', { kind: 'system', name: 'payments' })).order;
  });
}

/**
 * Keeps the provider's payment for the attempt in progress, with the secret its payment form needs;
 * the same payment given again (a retried job: the provider answers the same one) changes nothing.
 */
export async function rememberIntent(dbp: Db, orderId: string, attempt: number, intent: { id: string; clientSecret: string | null }): Promise<boolean> {
  return transaction(dbp, async (tx) => {
    const { rowCount } = await tx.query(
      `UPDATE orders SET payment_intent_id = $3, payment_client_secret = $4, version = version + 1
       WHERE id = $1 AND payment_attempt = $2 AND status = 'pending_payment' AND payment_intent_id IS DISTINCT FROM $3`,
      [orderId, attempt, intent.id, intent.clientSecret],
    );
    if (!rowCount) return false;
    await recordEvent(tx, orderId, 'order.payment_ready', { kind: 'system', name: 'payments' });
    return true;
  });
}

/** What the payment page of an order needs: the attempt in progress, its payment (once the workers made it), and why the last card was refused. */
export interface PaymentForm {
  orderId: string;
  number: number;
  status: string;
  method: string;
  totalCents: number;
  attempt: number;
  intentId: string | null;
  clientSecret: string | null;
  paymentStatus: string;
  lastFailure: string | null;
  /** When the order is cancelled if still unpaid. */
  expiresAt: Date;
}

export async function paymentFormOf(q: Db | Tx, orderId: string, expiryMinutes: number): Promise<PaymentForm | null> {
  const { rows } = await q.query(
    `SELECT o.id, o.number, o.status, o.payment_method, o.total_cents, o.payment_attempt, o.payment_intent_id, o.payment_client_secret, o.payment_status,
            COALESCE(o.payment_started_at, o.pending_payment_at, o.created_at) + make_interval(secs => $2) AS expires_at,
            (SELECT m.detail FROM payment_movements m WHERE m.order_id = o.id AND m.kind = 'failed' AND m.payment_intent_id = o.payment_intent_id ORDER BY m.id DESC LIMIT 1) AS last_failure
     FROM orders o WHERE o.id = $1`,
    [orderId, expiryMinutes * 60],
  );
  const r = rows[0];
  if (!r) return null;
  return {
    orderId: r.id, number: r.number, status: r.status, method: r.payment_method, totalCents: r.total_cents, attempt: r.payment_attempt,
    intentId: r.payment_intent_id, clientSecret: r.payment_client_secret, paymentStatus: r.payment_status,
    lastFailure: r.payment_status === 'failed' ? r.last_failure : null, expiresAt: r.expires_at,
  };
}
