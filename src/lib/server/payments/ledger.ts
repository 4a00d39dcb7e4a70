// Card payments held then captured, as the database sees them, whatever the provider. Its events
// (notices.ts: read from its webhook at the edge, handed to the workers) and the workers' own calls
// (capture, release, refund) end here, each in one transaction with the order locked: every
// movement of money is a row of payment_movements with the provider's ids. Each event is kept in
// payment_events before the webhook answers, and processed from here once, whatever the provider
// or the queue repeats, reorders or loses.
import { holdDueAt, payAgainBy, savesCardFirst } from '../../domain/card-holds.ts';
import type { OrderView } from '../../realtime/contract.ts';
import { transaction, type Db, type Tx } from '../db.ts';
import { lockOrder, recordEvent } from '../orders.ts';
import type { PaymentNotice, ProviderPayment, ProviderSetup } from './notices.ts';

export type EventOutcome =
  | 'duplicate'
  | 'authorised'
  | 'captured'
  | 'released'
  | 'failed'
  | 'ignored'
  /** A card saved for a hold placed later: the order is taken. */
  | 'card_saved'
  /** A hold the order cannot use (an older attempt, another amount, an order paid another way): to let go. */
  | 'release';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Where a movement comes from: the provider, its payment, and the event that told it (none for the workers' own calls). */
interface Source {
  provider: string;
  paymentId: string | null;
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
        // the hold of an order whose card was saved: placed by the workers, or paid on the payment
        // page after the bank refused it (the workers' own call may have recorded it first)
        if (awaitsItsHold(o, event.attempt, amount)) return done('authorised', await applyHold(tx, orderId, amount, from));
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
      case 'card_saved': {
        const card = event.savedCard;
        if (!card || o.setup_intent_id !== paymentId) return done('ignored');
        if (o.status !== 'pending_payment') {
          // cancelled or expired meanwhile: the card is kept only to be forgotten (the workers detach it)
          if (!o.saved_payment_method) await tx.query('UPDATE orders SET saved_payment_method = $2, version = version + 1 WHERE id = $1', [orderId, card.paymentMethod]);
          return done('ignored');
        }
        // the order is taken: the kitchen sees it coming, and the workers hold the card the day before
        const slot = o.wanted_at ? new Date(o.wanted_at).getTime() : Date.now();
        const fire = o.fire_at ? new Date(o.fire_at).getTime() : slot;
        await tx.query(
          `UPDATE orders SET status = 'received', received_at = now(), version = version + 1, payment_status = 'card_saved',
             saved_payment_method = $2, card_customer_id = coalesce($3, card_customer_id), hold_due_at = $4
           WHERE id = $1`,
          [orderId, card.paymentMethod, card.customer, new Date(holdDueAt(slot, fire))],
        );
        return done('card_saved', (await recordEvent(tx, orderId, 'order.status', system)).order);
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

/** The order's columns that say whether a hold is the one its saved card waits for. */
interface AwaitingHold {
  status: string;
  payment_status: string;
  payment_attempt: number;
  saved_payment_method: string | null;
  hold_cents: number | null;
  paid_cents: number;
}

/**
 * Whether a hold of `amount` for `attempt` is the one this order waits for: its card was saved, the
 * workers asked that amount (or the bank refused it and the customer pays it on the page), and the
 * order is still open.
 */
function awaitsItsHold(o: AwaitingHold, attempt: number | null, amount: number): boolean {
  return (
    !!o.saved_payment_method && o.hold_cents === amount && attempt === o.payment_attempt && o.paid_cents === 0 &&
    (o.payment_status === 'card_saved' || o.payment_status === 'failed') &&
    ['received', 'preparing', 'ready', 'out_for_delivery'].includes(o.status)
  );
}

/** The saved card is held: the order counts it as paid, as a hold made at checkout (captured when the kitchen starts). */
async function applyHold(tx: Tx, orderId: string, amountCents: number, from: Source): Promise<OrderView> {
  await movement(tx, orderId, 'authorised', amountCents, from);
  await tx.query(
    `UPDATE orders SET payment_status = 'authorised', paid_cents = $2, paid_with = 'online', payment_reference = $3, payment_intent_id = $3,
       hold_pay_by = NULL, version = version + 1
     WHERE id = $1`,
    [orderId, amountCents, from.paymentId],
  );
  return (await recordEvent(tx, orderId, 'order.modified', { kind: 'system', name: 'payments' })).order;
}

/** What the workers' hold of an order asks, once it is due (or the order was fired early): null when there is none to place. */
export async function holdToPlace(
  dbp: Db,
  orderId: string,
): Promise<
  | { due: true; attempt: number; amountCents: number; customer: string | null; paymentMethod: string; number: number; started: boolean }
  | { due: false; at: Date }
  | null
> {
  return transaction(dbp, async (tx) => {
    const { rows } = await tx.query(
      `SELECT status, payment_status, hold_due_at, fired_at, hold_cents, total_cents, payment_attempt, card_customer_id, saved_payment_method, number,
              hold_due_at <= now() + interval '5 seconds' AS due
       FROM orders WHERE id = $1 FOR UPDATE`,
      [orderId],
    );
    const o = rows[0];
    if (!o || o.payment_status !== 'card_saved' || !o.saved_payment_method || !['received', 'preparing', 'ready', 'out_for_delivery'].includes(o.status)) return null;
    if (!o.due && !o.fired_at) return { due: false as const, at: o.hold_due_at };
    // the amount is fixed at the first ask: a retry asks the same, under the same key
    const amount = o.hold_cents ?? o.total_cents;
    if (o.hold_cents === null) await tx.query('UPDATE orders SET hold_cents = $2, version = version + 1 WHERE id = $1', [orderId, amount]);
    return {
      due: true as const, attempt: o.payment_attempt, amountCents: amount, customer: o.card_customer_id, paymentMethod: o.saved_payment_method,
      number: o.number, started: o.status !== 'received',
    };
  });
}

/**
 * The provider placed the hold the workers asked (its answer): recorded unless its event did it
 * first. A hold the order can no longer use (cancelled meanwhile) is kept as held money to let go.
 */
export async function recordHold(dbp: Db, provider: string, orderId: string, h: { paymentId: string; amountCents: number; attempt: number }) {
  return transaction(dbp, async (tx) => {
    const { rows } = await tx.query('SELECT * FROM orders WHERE id = $1 FOR UPDATE', [orderId]);
    const o = rows[0];
    if (!o || o.payment_reference === h.paymentId) return { outcome: 'recorded already' as const };
    const from: Source = { provider, paymentId: h.paymentId, eventId: null };
    if (awaitsItsHold(o, h.attempt, h.amountCents)) return { outcome: 'authorised' as const, order: await applyHold(tx, orderId, h.amountCents, from) };
    const kept = await tx.query(`SELECT 1 FROM payment_movements WHERE order_id = $1 AND payment_intent_id = $2 AND kind = 'authorised'`, [orderId, h.paymentId]);
    if (!kept.rowCount) await movement(tx, orderId, 'authorised', h.amountCents, from, 'not for the payment in progress: to release');
    return { outcome: 'release' as const, hold: { intentId: h.paymentId, amountCents: h.amountCents } };
  });
}

/**
 * The bank refused the hold (declined, or it wants the customer there): the order waits for the
 * customer to pay on the payment page, the same payment, until its deadline (payAgainBy).
 */
export async function recordHoldFailure(
  dbp: Db,
  provider: string,
  orderId: string,
  f: { paymentId: string | null; clientSecret: string | null; reason: string },
): Promise<OrderView | null> {
  return transaction(dbp, async (tx) => {
    const { rows } = await tx.query('SELECT payment_status, fire_at FROM orders WHERE id = $1 FOR UPDATE', [orderId]);
    const o = rows[0];
    if (!o || o.payment_status !== 'card_saved') return null;
    const fire = o.fire_at ? new Date(o.fire_at).getTime() : Date.now();
    await movement(tx, orderId, 'failed', 0, { provider, paymentId: f.paymentId, eventId: null }, `hold: ${f.reason}`);
    await tx.query(
      `UPDATE orders SET payment_status = 'failed', hold_failed_at = now(), hold_pay_by = $2, payment_intent_id = $3, payment_client_secret = $4, version = version + 1
       WHERE id = $1`,
      [orderId, new Date(payAgainBy(Date.now(), fire)), f.paymentId, f.clientSecret],
    );
    return (await recordEvent(tx, orderId, 'order.modified', { kind: 'system', name: 'payments' })).order;
  });
}

/** A refused hold still unpaid: when its deadline is, and the payment the customer was asked to complete. */
export async function refusedHold(q: Db, orderId: string): Promise<{ payBy: Date; paymentId: string | null; passed: boolean } | null> {
  const { rows } = await q.query(
    `SELECT hold_pay_by, payment_intent_id, hold_pay_by <= now() AS passed FROM orders
     WHERE id = $1 AND payment_status = 'failed' AND hold_failed_at IS NOT NULL AND status IN ('received', 'preparing', 'ready', 'out_for_delivery')`,
    [orderId],
  );
  return rows[0] ? { payBy: rows[0].hold_pay_by, paymentId: rows[0].payment_intent_id, passed: rows[0].passed } : null;
}

/** What the workers keep in their queues for saved cards, from the orders' columns (the reconciler's and the reactor's source). */
export interface SavedCardJobs {
  /** Holds to place: when. */
  holds: { id: string; dueAt: Date }[];
  /** Refused holds: when the order is cancelled if still unpaid, and whether its customer's message was ever claimed. */
  deadlines: { id: string; payBy: Date; told: boolean }[];
  /** Cards of ended orders, still saved at the provider. */
  toForget: string[];
}

export async function savedCardJobs(q: Db): Promise<SavedCardJobs> {
  const { rows } = await q.query(
    `SELECT o.id, o.status, o.payment_status, o.hold_due_at, o.hold_pay_by, o.hold_failed_at,
            EXISTS (SELECT 1 FROM customer_notifications n WHERE n.order_id = o.id AND n.step = 'hold-failed') AS told
     FROM orders o WHERE o.saved_payment_method IS NOT NULL AND o.card_forgotten_at IS NULL`,
  );
  const open = (r: { status: string }) => ['received', 'preparing', 'ready', 'out_for_delivery'].includes(r.status);
  return {
    holds: rows.filter((r) => open(r) && r.payment_status === 'card_saved' && r.hold_due_at).map((r) => ({ id: r.id, dueAt: r.hold_due_at })),
    deadlines: rows.filter((r) => open(r) && r.payment_status === 'failed' && r.hold_failed_at && r.hold_pay_by).map((r) => ({ id: r.id, payBy: r.hold_pay_by, told: r.told })),
    toForget: rows.filter((r) => ['delivered', 'collected', 'cancelled'].includes(r.status)).map((r) => r.id),
  };
}

/** The saved card of an ended order, still to forget, and a refused hold's payment to cancel with it. */
export async function cardToForget(q: Db, orderId: string): Promise<{ paymentMethod: string; unpaidIntent: string | null } | null> {
  const { rows } = await q.query(
    `SELECT saved_payment_method, CASE WHEN payment_status = 'failed' AND hold_failed_at IS NOT NULL THEN payment_intent_id END AS unpaid
     FROM orders WHERE id = $1 AND saved_payment_method IS NOT NULL AND card_forgotten_at IS NULL AND status IN ('delivered', 'collected', 'cancelled')`,
    [orderId],
  );
  return rows[0] ? { paymentMethod: rows[0].saved_payment_method, unpaidIntent: rows[0].unpaid } : null;
}

export async function recordCardForgotten(q: Db, orderId: string): Promise<void> {
  await q.query('UPDATE orders SET card_forgotten_at = now(), version = version + 1 WHERE id = $1 AND card_forgotten_at IS NULL', [orderId]);
}

/**
 * What the provider says of an order's card setup, asked before the order expires unpaid when its
 * webhook never reached us: a card saved is applied as its event would have been (kept under an id
 * of its own, so asking again applies nothing more).
 */
export async function applySetupAsProviderSees(dbp: Db, provider: string, setup: ProviderSetup) {
  if (!setup.paymentMethod) return null;
  return handlePaymentEvent(dbp, {
    id: `asked_${setup.id}_saved`, provider, kind: 'card_saved', providerType: 'asked: card saved', paymentId: setup.id, orderId: setup.orderId,
    attempt: null, heldCents: 0, takenCents: 0, reason: null, savedCard: { paymentMethod: setup.paymentMethod, customer: setup.customer },
  });
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
 * Keeps the provider's payment for the attempt in progress, with the secret its payment form needs
 * (or, with `setup`, the card setup of an order held later, with the provider's customer); the same
 * payment given again (a retried job: the provider answers the same one) changes nothing.
 */
export async function rememberIntent(
  dbp: Db,
  orderId: string,
  attempt: number,
  intent: { id: string; clientSecret: string | null; setup?: { customer: string | null } },
): Promise<boolean> {
  return transaction(dbp, async (tx) => {
    const { rowCount } = intent.setup
      ? await tx.query(
          `UPDATE orders SET setup_intent_id = $3, payment_client_secret = $4, card_customer_id = $5, version = version + 1
           WHERE id = $1 AND payment_attempt = $2 AND status = 'pending_payment' AND setup_intent_id IS DISTINCT FROM $3`,
          [orderId, attempt, intent.id, intent.clientSecret, intent.setup.customer],
        )
      : await tx.query(
          `UPDATE orders SET payment_intent_id = $3, payment_client_secret = $4, version = version + 1
           WHERE id = $1 AND payment_attempt = $2 AND status = 'pending_payment' AND payment_intent_id IS DISTINCT FROM $3`,
          [orderId, attempt, intent.id, intent.clientSecret],
        );
    if (!rowCount) return false;
    await recordEvent(tx, orderId, 'order.payment_ready', { kind: 'system', name: 'payments' });
    return true;
  });
}

/**
 * What the payment page of an order needs: what it asks of the customer (`kind`: pay now, a card
 * held; save the card for a hold placed the day before; or pay the hold the bank refused), the
 * provider's payment or setup (once the workers made it), and why the last card was refused.
 */
export interface PaymentForm {
  orderId: string;
  number: number;
  status: string;
  method: string;
  kind: 'pay' | 'save' | 'hold';
  /** Whether the page takes a card now (an order waiting for its payment, or for the hold the bank refused). */
  payable: boolean;
  /** What the card is held for ('pay', 'hold'); the order's total when saving. */
  totalCents: number;
  attempt: number;
  /** The provider's payment the form completes ('pay', 'hold'), or its card setup ('save'). */
  intentId: string | null;
  clientSecret: string | null;
  paymentStatus: string;
  lastFailure: string | null;
  /** When the order is cancelled if still unpaid. */
  expiresAt: Date;
  /** A saved card: when it will be held. */
  holdAt: Date | null;
}

export async function paymentFormOf(q: Db | Tx, orderId: string, expiryMinutes: number): Promise<PaymentForm | null> {
  const { rows } = await q.query(
    `SELECT o.id, o.number, o.status, o.payment_method, o.total_cents, o.payment_attempt, o.payment_intent_id, o.payment_client_secret, o.payment_status,
            o.setup_intent_id, o.hold_cents, o.hold_failed_at, o.hold_pay_by, o.hold_due_at, o.wanted_at, o.fire_at, COALESCE(o.pending_payment_at, o.created_at) AS placed_at,
            COALESCE(o.payment_started_at, o.pending_payment_at, o.created_at) + make_interval(secs => $2) AS expires_at,
            (SELECT m.detail FROM payment_movements m WHERE m.order_id = o.id AND m.kind = 'failed' AND m.payment_intent_id = o.payment_intent_id ORDER BY m.id DESC LIMIT 1) AS last_failure
     FROM orders o WHERE o.id = $1`,
    [orderId, expiryMinutes * 60],
  );
  const r = rows[0];
  if (!r) return null;
  const pending = r.status === 'pending_payment';
  const refusedHold = !pending && r.payment_status === 'failed' && !!r.hold_failed_at && ['received', 'preparing', 'ready', 'out_for_delivery'].includes(r.status);
  // a card to save: its setup made, or to be made by the workers (the same rule as theirs)
  const saves = pending && (!!r.setup_intent_id || (!r.payment_intent_id && savesCardFirst(r.wanted_at?.getTime() ?? null, r.placed_at.getTime())));
  const kind: PaymentForm['kind'] = refusedHold ? 'hold' : saves ? 'save' : 'pay';
  const holdAt = r.hold_due_at ?? (kind === 'save' && r.wanted_at ? new Date(holdDueAt(r.wanted_at.getTime(), (r.fire_at ?? r.wanted_at).getTime())) : null);
  return {
    orderId: r.id, number: r.number, status: r.status, method: r.payment_method, kind,
    payable: r.payment_method === 'online' && (pending || refusedHold),
    totalCents: kind === 'hold' ? (r.hold_cents ?? r.total_cents) : r.total_cents, attempt: r.payment_attempt,
    intentId: kind === 'save' ? r.setup_intent_id : r.payment_intent_id, clientSecret: r.payment_client_secret, paymentStatus: r.payment_status,
    lastFailure: r.payment_status === 'failed' ? (r.last_failure?.replace(/^hold: /, '') ?? null) : null,
    expiresAt: kind === 'hold' ? r.hold_pay_by : r.expires_at,
    holdAt,
  };
}
