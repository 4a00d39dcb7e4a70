// The workers' own calls on a held card, once the provider answered: the capture when the kitchen
// starts (less what the order no longer costs), a cancelled order's hold let go, a refused capture
// flagged for the manager, and the holds an order could not use let go.
import type { OrderView } from '../../shapes/views.ts';
import { transaction, type Db } from '../kernel/db.ts';
import { lockOrder, recordEvent } from '../orders/index.ts';
import { applyCapture, applyRelease, movement } from './ledger-moves.ts';
import { HELD_TIP } from './tips.ts';
import { STARTED_STATUSES, sqlList } from '../../domain/order-states.ts';

/** Orders the kitchen started whose card hold is still to capture (and was not refused). */
export async function holdsToCapture(q: Db): Promise<string[]> {
  const { rows } = await q.query<{ id: string }>(
    `SELECT id FROM orders WHERE payment_status = 'authorised' AND capture_failed_at IS NULL
       AND status IN (${sqlList(STARTED_STATUSES)})`,
  );
  return rows.map((r) => r.id);
}

/** What capturing this order's hold takes: the hold, less what the order no longer costs (its checkout tip kept whole); null when there is none to capture. */
export async function captureToMake(dbp: Db, orderId: string): Promise<{ intentId: string; amountCents: number } | null> {
  const { rows } = await dbp.query(
    // a titre-restaurant's part is its own hold (meal-vouchers-online.ts), captured beside this one
    `SELECT payment_reference, paid_cents - meal_voucher_cents - refund_due_cents + ${HELD_TIP} AS amount FROM orders
     WHERE id = $1 AND payment_status = 'authorised' AND status IN (${sqlList(STARTED_STATUSES)})`,
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
