// Which step of their order a customer hears about, from the event that moved it: the reactor sends
// it (reactions.ts), the reconciler looks for one never claimed (src/lib/server/messages/notifications.ts).
import { isIn, TOLD_STATUSES } from './order-states.ts';

/**
 * The steps a customer hears about; `refunded` carries what was refunded so far (a second refund is a
 * new message), and so does `refund`, a manager's refund (its amount and reason: src/lib/server/money/refund-request.ts).
 */
export type NotificationStep =
  | 'received' | 'ready' | 'out_for_delivery' | 'delivered' | 'collected' | 'cancelled' | 'hold-failed' | `refunded-${number}` | `refund-${number}` | `delayed-${number}`;

/** The step an order event tells its customer about, if any. */
export function stepOfEvent(
  type: string,
  o: { status: string; fulfilment: string; refundedCents: number; payment?: { status: string; payBy?: string | null } },
): NotificationStep | null {
  // the bank refused the hold of a saved card: pay on the payment page by the deadline
  if (type === 'order.modified' && o.status === 'received' && o.payment?.status === 'failed' && o.payment.payBy) return 'hold-failed';
  if ((type === 'order.status' || type === 'order.placed') && isIn(TOLD_STATUSES, o.status)) {
    return o.status as NotificationStep;
  }
  if (type === 'order.status' && o.status === 'ready' && o.fulfilment === 'pickup') return 'ready';
  if (type === 'order.refunded' && o.refundedCents > 0) return `refunded-${o.refundedCents}`;
  if (type === 'order.refund_made' && o.refundedCents > 0) return `refund-${o.refundedCents}`;
  return null;
}
