// What the tracking card says of an order, as plain rules its page and its tests share: the
// headline, how it was paid at the shop, whether its receipt exists, a card hold only let go, when
// lateness is news, and the lines a change sends.
import { HANDED_OVER_STATUSES, isIn } from '../../domain/order-states.ts';
import type { OrderView } from '../../shapes/views.ts';

/** How long "Order received!" stays the headline after the order came in. */
export const GREETING_MS = 3 * 60_000;
/** Minutes late against the promise from which the card says so (less is inside the window). */
export const LATE_NOTICE_MINUTES = 5;

type Paid = Pick<OrderView, 'status' | 'paidCents' | 'payment'>;

/** "Order received!" greets the customer right after placing; then the status says where the order is. */
export function headlineKey(order: Pick<OrderView, 'status' | 'timestamps'>, now: number, waitingForSlot: boolean): string {
  const greeting = now - Date.parse(order.timestamps.received ?? order.timestamps.created ?? '') < GREETING_MS;
  return order.status !== 'received' || greeting ? `track.headline.${order.status}`
    : waitingForSlot ? 'track.headline.receivedForLater'
    : 'track.headline.receivedWaiting';
}

/** Paid at the shop or the door (cash, card, by phone), not online: how, when it is said. */
export function paidHow(order: Pick<OrderView, 'payment' | 'delivery'>) {
  return order.payment.paidWith && order.payment.paidWith !== 'online' ? order.payment.paidWith
    : order.payment.method !== 'online' ? (order.delivery.collected?.method ?? null)
    : null;
}

/** A cancelled order whose card was only held: nothing was taken, so nothing to refund nor a receipt. */
export const heldOnly = (order: Paid): boolean => order.status === 'cancelled' && order.payment.paidWith === 'online' && !order.payment.captured;

/** A receipt once money was taken (a card hold counts once it was charged), the order handed over or paid. */
export const hasReceipt = (order: Paid): boolean =>
  order.paidCents > 0 && !heldOnly(order) && (order.payment.paidWith !== 'online' || order.payment.captured)
  && (isIn(HANDED_OVER_STATUSES, order.status) || ['paid', 'refunded'].includes(order.payment.status));

/** A few minutes either side of the promise are inside the window already: not news. */
export const lateIsNews = (promisedAt: string | null | undefined, lateMinutes: number): boolean => !!promisedAt && lateMinutes >= LATE_NOTICE_MINUTES;

/** A line of an order being changed, by product and options. */
export interface DraftLine {
  productId: number;
  options: number[];
  name: string;
  quantity: number;
  secondHalfId?: number;
}

/** The lines a change sends (PATCH /api/track/<token>): those still wanted, each with its options and other half. */
export const changedItems = (draft: Record<string, DraftLine>) =>
  Object.values(draft)
    .filter((l) => l.quantity > 0)
    .map((l) => ({ productId: l.productId, quantity: l.quantity, ...(l.options.length ? { options: l.options } : {}), ...(l.secondHalfId !== undefined ? { secondHalfId: l.secondHalfId } : {}) }));
