// Cards saved at checkout for an order wanted later, held by the workers the day before: when the
// hold is due, what the provider answered (a hold, or the bank's refusal the customer pays past on
// the payment page), the card forgotten once the order ends, and the provider's customer it was saved
// on deleted once its account is erased.
import { payAgainBy } from '../../domain/card-holds.ts';
import type { OrderView } from '../../shapes/views.ts';
import { transaction, type Db } from '../kernel/db.ts';
import { recordEvent } from '../orders/index.ts';
import { applyHold, awaitsItsHold, movement, type Source } from './ledger-moves.ts';
import { FINAL_STATUSES, UNDER_WAY_STATUSES, isIn, sqlList } from '../../domain/order-states.ts';

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
    if (!o || o.payment_status !== 'card_saved' || !o.saved_payment_method || !isIn(UNDER_WAY_STATUSES, o.status)) return null;
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
     WHERE id = $1 AND payment_status = 'failed' AND hold_failed_at IS NOT NULL AND status IN (${sqlList(UNDER_WAY_STATUSES)})`,
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
  const open = (r: { status: string }) => isIn(UNDER_WAY_STATUSES, r.status);
  return {
    holds: rows.filter((r) => open(r) && r.payment_status === 'card_saved' && r.hold_due_at).map((r) => ({ id: r.id, dueAt: r.hold_due_at })),
    deadlines: rows.filter((r) => open(r) && r.payment_status === 'failed' && r.hold_failed_at && r.hold_pay_by).map((r) => ({ id: r.id, payBy: r.hold_pay_by, told: r.told })),
    toForget: rows.filter((r) => isIn(FINAL_STATUSES, r.status)).map((r) => r.id),
  };
}

/** The saved card of an ended order, still to forget, and a refused hold's payment to cancel with it. */
export async function cardToForget(q: Db, orderId: string): Promise<{ paymentMethod: string; unpaidIntent: string | null } | null> {
  const { rows } = await q.query(
    `SELECT saved_payment_method, CASE WHEN payment_status = 'failed' AND hold_failed_at IS NOT NULL THEN payment_intent_id END AS unpaid
     FROM orders WHERE id = $1 AND saved_payment_method IS NOT NULL AND card_forgotten_at IS NULL AND status IN (${sqlList(FINAL_STATUSES)})`,
    [orderId],
  );
  return rows[0] ? { paymentMethod: rows[0].saved_payment_method, unpaidIntent: rows[0].unpaid } : null;
}

export async function recordCardForgotten(q: Db, orderId: string): Promise<void> {
  await q.query('UPDATE orders SET card_forgotten_at = now(), version = version + 1 WHERE id = $1 AND card_forgotten_at IS NULL', [orderId]);
}

/**
 * The provider's customers of erased accounts not deleted yet (written by the erasure,
 * src/lib/server/customers/account.ts): the reconciler queues their job again, the oldest first.
 */
export async function customersToErase(q: Db): Promise<string[]> {
  const { rows } = await q.query<{ customer_ref: string }>(
    'SELECT customer_ref FROM provider_customer_erasures WHERE deleted_at IS NULL ORDER BY asked_at LIMIT 1000',
  );
  return rows.map((r) => r.customer_ref);
}

/** Whether an erased account's provider customer is still to delete (a job run again after it was: nothing to do). */
export async function customerErasurePending(q: Db, customerRef: string): Promise<boolean> {
  const { rowCount } = await q.query('SELECT 1 FROM provider_customer_erasures WHERE customer_ref = $1 AND deleted_at IS NULL', [customerRef]);
  return (rowCount ?? 0) > 0;
}

export async function recordCustomerErased(q: Db, customerRef: string): Promise<void> {
  await q.query('UPDATE provider_customer_erasures SET deleted_at = now() WHERE customer_ref = $1 AND deleted_at IS NULL', [customerRef]);
}
