// What a provider's event and the workers' own call do alike to an order's money, whichever comes
// first: a movement of payment_movements with the provider's ids, and a hold applied, captured or
// let go, with the order's event for the screens.
import type { OrderView } from '../../shapes/views.ts';
import type { Tx } from '../kernel/db.ts';
import { lockOrder, recordEvent } from '../orders/index.ts';
import { UNDER_WAY_STATUSES, isIn } from '../../domain/order-states.ts';
import { releaseHeldTip, takeHeldTip } from './tips.ts';

/** Where a movement comes from: the provider, its payment, and the event that told it (none for the workers' own calls). */
export interface Source {
  provider: string;
  paymentId: string | null;
  eventId: string | null;
}

export async function movement(tx: Tx, orderId: string, kind: string, amountCents: number, from: Source, detail: string | null = null) {
  await tx.query(
    `INSERT INTO payment_movements (order_id, kind, amount_cents, provider, payment_intent_id, event_id, detail) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
    [orderId, kind, amountCents, from.provider, from.paymentId, from.eventId, detail?.slice(0, 500) ?? null],
  );
}

/** The order's columns that say whether a hold is the one its saved card waits for. */
export interface AwaitingHold {
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
export function awaitsItsHold(o: AwaitingHold, attempt: number | null, amount: number): boolean {
  return (
    !!o.saved_payment_method && o.hold_cents === amount && attempt === o.payment_attempt && o.paid_cents === 0 &&
    (o.payment_status === 'card_saved' || o.payment_status === 'failed') &&
    isIn(UNDER_WAY_STATUSES, o.status)
  );
}

/** The saved card is held: the order counts it as paid, as a hold made at checkout (captured when the kitchen starts). */
export async function applyHold(tx: Tx, orderId: string, amountCents: number, from: Source): Promise<OrderView> {
  await movement(tx, orderId, 'authorised', amountCents, from);
  await tx.query(
    `UPDATE orders SET payment_status = 'authorised', paid_cents = $2, paid_with = 'online', payment_reference = $3, payment_intent_id = $3,
       hold_pay_by = NULL, version = version + 1
     WHERE id = $1`,
    [orderId, amountCents, from.paymentId],
  );
  return (await recordEvent(tx, orderId, 'order.modified', { kind: 'system', name: 'payments' })).order;
}

/**
 * The hold was captured for `takenCents`: its checkout tip (tips.ts) is paid, the order is paid the
 * rest, and the rest of the hold is let go.
 */
export async function applyCapture(tx: Tx, orderId: string, takenCents: number, from: Source): Promise<OrderView> {
  const o = await lockOrder(tx, orderId);
  const amountCents = takenCents - (await takeHeldTip(tx, orderId, takenCents, from.paymentId));
  await movement(tx, orderId, 'captured', amountCents, from);
  // a titre-restaurant's part stays paid: its own hold, captured beside this one (meal-vouchers-online.ts)
  const cardCents = o.paid_cents - o.meal_voucher_cents;
  if (cardCents > amountCents) await movement(tx, orderId, 'released', cardCents - amountCents, from, 'rest of the hold');
  await tx.query(
    `UPDATE orders SET payment_status = 'paid', paid_cents = $2 + meal_voucher_cents, capture_failed_at = NULL, version = version + 1 WHERE id = $1`,
    [orderId, amountCents],
  );
  return (await recordEvent(tx, orderId, 'order.modified', { kind: 'system', name: 'payments' })).order;
}

/** The hold was let go whole: nothing was taken, nothing is owed back. */
export async function applyRelease(tx: Tx, orderId: string, from: Source): Promise<OrderView> {
  const o = await lockOrder(tx, orderId);
  await releaseHeldTip(tx, orderId);
  // the card's hold; a titre-restaurant's part is let go with its own (meal-vouchers-online.ts)
  await movement(tx, orderId, 'released', Math.max(0, o.paid_cents - o.refunded_cents - o.meal_voucher_cents), from);
  await tx.query(
    `UPDATE orders SET refunded_cents = paid_cents, refunded_at = now(), payment_status = CASE WHEN status = 'cancelled' THEN 'refunded'::payment_status ELSE payment_status END,
       version = version + 1 WHERE id = $1`,
    [orderId],
  );
  return (await recordEvent(tx, orderId, 'order.refunded', { kind: 'system', name: 'payments' })).order;
}
