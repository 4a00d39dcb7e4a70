// Money owed back, unpaid orders that expire, and what the workers must have queued.
import { transaction, type Db, type Queryable } from '../kernel/db.ts';
import { AppError } from '../kernel/errors.ts';
import { lockOrder } from '../orders/read.ts';
import { recordEvent } from '../orders/record.ts';
import { advanceOrder } from '../orders/move.ts';
import { releaseHeldTip } from './tips.ts';


/**
 * The payment provider refunded `amountCents` of this order (it says how much): recorded on the
 * order with the time, and the order shows as refunded once everything it kept is given back.
 */
export async function recordRefund(
  dbp: Db,
  orderId: string,
  refund: { amountCents: number; reference: string; provider?: string; kind?: 'refunded' | 'released' },
) {
  return transaction(dbp, async (tx) => {
    const o = await lockOrder(tx, orderId);
    const amount = Math.min(refund.amountCents, o.paid_cents - o.refunded_cents);
    if (amount <= 0) return null;
    await tx.query(
      `INSERT INTO payment_movements (order_id, kind, amount_cents, provider, payment_intent_id, refund_id) VALUES ($1, $2, $3, $4, $5, $6)`,
      [orderId, refund.kind ?? 'refunded', amount, refund.provider ?? 'development', o.payment_reference, refund.kind === 'released' ? null : refund.reference],
    );
    // a hold let go whole takes its checkout tip with it; a refund gives back the order's money only
    if (refund.kind === 'released') await releaseHeldTip(tx, orderId);
    const fully = o.status === 'cancelled' && o.paid_cents - o.refunded_cents === amount;
    await tx.query(
      `UPDATE orders SET refunded_cents = refunded_cents + $2, refunded_at = now(), version = version + 1
         ${fully ? `, payment_status = 'refunded'` : ''}
       WHERE id = $1`,
      [orderId, amount],
    );
    return recordEvent(tx, orderId, 'order.refunded', { kind: 'system', name: `refunds:${refund.reference}`.slice(0, 120) });
  });
}

/** What a refund of this order needs from the provider: how much is due, against which payment. */
export async function refundToMake(q: Queryable, orderId: string) {
  const { rows } = await q.query<{
    refund_due_cents: number;
    refunded_cents: number;
    payment_reference: string | null;
    paid_with: string | null;
    payment_status: string;
    status: string;
  }>('SELECT refund_due_cents, refunded_cents, payment_reference, paid_with, payment_status, status FROM orders WHERE id = $1', [orderId]);
  const r = rows[0];
  if (!r || r.refund_due_cents <= 0 || r.paid_with !== 'online' || !r.payment_reference) return null;
  // a hold not captured yet: a cancelled order lets it go whole; a smaller order is captured for less
  const hold = r.payment_status === 'authorised';
  if (hold && r.status !== 'cancelled') return null;
  return { amountCents: r.refund_due_cents, refundedSoFarCents: r.refunded_cents, paymentReference: r.payment_reference, hold };
}

/** An online order still unpaid `expiryMinutes` after its payment started is cancelled by the system, and its stock given back. */
export async function expireUnpaidOrder(dbp: Db, orderId: string, expiryMinutes: number) {
  const { rows } = await dbp.query(
    `SELECT 1 FROM orders WHERE id = $1 AND status = 'pending_payment'
       AND COALESCE(payment_started_at, pending_payment_at, created_at) <= now() - make_interval(secs => $2)`,
    [orderId, expiryMinutes * 60],
  );
  if (!rows[0]) return null;
  try {
    return await advanceOrder(dbp, { kind: 'system', name: 'payment-expiry' }, orderId, 'cancelled', undefined, { cancelReason: 'payment_expired' });
  } catch (err) {
    // paid or cancelled meanwhile: nothing to expire
    if (err instanceof AppError && err.status === 409) return null;
    throw err;
  }
}

/**
 * An order for later whose card hold the bank refused, still unpaid at the deadline it was given
 * (hold_pay_by), is cancelled by the system as an unpaid order is: its slot and stock given back.
 * One the kitchen started meanwhile (fired early by a manager) is not: it is collected at the door.
 */
export async function expireRefusedHold(dbp: Db, orderId: string) {
  const { rows } = await dbp.query(
    `SELECT 1 FROM orders WHERE id = $1 AND status = 'received' AND payment_status = 'failed' AND hold_failed_at IS NOT NULL AND hold_pay_by <= now()`,
    [orderId],
  );
  if (!rows[0]) return null;
  try {
    return await advanceOrder(dbp, { kind: 'system', name: 'payment-expiry' }, orderId, 'cancelled', undefined, { cancelReason: 'payment_expired' });
  } catch (err) {
    if (err instanceof AppError && err.status === 409) return null;
    throw err;
  }
}

/** Online orders waiting for their payment, with the attempt in progress and when it started. */
export async function pendingOnlinePayments(q: Queryable): Promise<{ id: string; attempt: number; startedAt: Date }[]> {
  const { rows } = await q.query(
    `SELECT id, payment_attempt, COALESCE(payment_started_at, pending_payment_at, created_at) AS started_at
     FROM orders WHERE status = 'pending_payment' AND payment_method = 'online'`,
  );
  return rows.map((r) => ({ id: r.id, attempt: r.payment_attempt, startedAt: r.started_at }));
}

/** Orders paid online with money still to give back. */
export async function onlineRefundsDue(q: Queryable): Promise<{ id: string; refundedCents: number }[]> {
  const { rows } = await q.query(
    `SELECT id, refunded_cents FROM orders WHERE refund_due_cents > 0 AND paid_with = 'online' AND payment_reference IS NOT NULL
       AND NOT (payment_status = 'authorised' AND status <> 'cancelled')`,
  );
  return rows.map((r) => ({ id: r.id, refundedCents: r.refunded_cents }));
}
