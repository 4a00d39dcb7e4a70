// The payment page's side of an order: the provider's payment (or card setup) the workers made for
// the attempt in progress, and what the page asks of the customer.
import { holdDueAt, savesCardFirst } from '../../domain/card-holds.ts';
import { transaction, type Db, type Tx } from '../kernel/db.ts';
import { recordEvent } from '../orders/index.ts';
import { UNDER_WAY_STATUSES, isIn } from '../../domain/order-states.ts';
import { rememberVoucherIntent } from './meal-vouchers-online.ts';

/**
 * Keeps the provider's payment for the attempt in progress, with the secret its payment form needs
 * (or, with `setup`, the card setup of an order held later, with the provider's customer); the same
 * payment given again (a retried job: the provider answers the same one) changes nothing.
 */
export async function rememberIntent(
  dbp: Db,
  orderId: string,
  attempt: number,
  intent: { id: string; clientSecret: string | null; setup?: { customer: string | null }; voucher?: true },
): Promise<boolean> {
  // a titre-restaurant's part (meal-vouchers-online.ts): kept on its own row
  if (intent.voucher) return rememberVoucherIntent(dbp, orderId, intent);
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
  /** What the card is held for ('pay', 'hold': with the checkout tip riding on it); the order's total when saving. */
  totalCents: number;
  /** Of which the driver's tip ('pay'), never the order's money. */
  tipCents: number;
  /** A titre-restaurant's part, paid beside the card's (meal-vouchers-online.ts): not in `totalCents`. */
  voucherCents: number;
  /** The card part is held already, and the order waits for the voucher's hold. */
  cardHeld: boolean;
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
    `SELECT o.id, o.number, o.status, o.payment_method, o.total_cents, o.card_tip_cents, o.payment_attempt, o.payment_intent_id, o.payment_client_secret, o.payment_status,
            o.setup_intent_id, o.hold_cents, o.hold_failed_at, o.hold_pay_by, o.hold_due_at, o.wanted_at, o.fire_at, COALESCE(o.pending_payment_at, o.created_at) AS placed_at,
            COALESCE(o.payment_started_at, o.pending_payment_at, o.created_at) + make_interval(secs => $2) AS expires_at,
            (SELECT v.amount_cents FROM meal_voucher_payments v WHERE v.order_id = o.id AND v.channel = 'online' AND v.state IN ('waiting', 'held')) AS voucher_cents,
            (SELECT m.detail FROM payment_movements m WHERE m.order_id = o.id AND m.kind = 'failed' AND m.payment_intent_id = o.payment_intent_id ORDER BY m.id DESC LIMIT 1) AS last_failure
     FROM orders o WHERE o.id = $1`,
    [orderId, expiryMinutes * 60],
  );
  const r = rows[0];
  if (!r) return null;
  const pending = r.status === 'pending_payment';
  const refusedHold = !pending && r.payment_status === 'failed' && !!r.hold_failed_at && isIn(UNDER_WAY_STATUSES, r.status);
  // a card to save: its setup made, or to be made by the workers (the same rule as theirs)
  const saves = pending && (!!r.setup_intent_id || (!r.payment_intent_id && savesCardFirst(r.wanted_at?.getTime() ?? null, r.placed_at.getTime())));
  const kind: PaymentForm['kind'] = refusedHold ? 'hold' : saves ? 'save' : 'pay';
  const holdAt = r.hold_due_at ?? (kind === 'save' && r.wanted_at ? new Date(holdDueAt(r.wanted_at.getTime(), (r.fire_at ?? r.wanted_at).getTime())) : null);
  return {
    orderId: r.id, number: r.number, status: r.status, method: r.payment_method, kind,
    payable: r.payment_method === 'online' && (pending || refusedHold),
    totalCents: kind === 'hold' ? (r.hold_cents ?? r.total_cents) : r.total_cents + (kind === 'pay' ? r.card_tip_cents - (r.voucher_cents ?? 0) : 0),
    voucherCents: kind === 'pay' ? (r.voucher_cents ?? 0) : 0,
    cardHeld: pending && r.payment_status === 'authorised',
    tipCents: kind === 'pay' ? r.card_tip_cents : 0, attempt: r.payment_attempt,
    intentId: kind === 'save' ? r.setup_intent_id : r.payment_intent_id, clientSecret: r.payment_client_secret, paymentStatus: r.payment_status,
    lastFailure: r.payment_status === 'failed' ? (r.last_failure?.replace(/^hold: /, '') ?? null) : null,
    expiresAt: kind === 'hold' ? r.hold_pay_by : r.expires_at,
    holdAt,
  };
}
