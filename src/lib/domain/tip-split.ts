// Tips for the drivers: how much a customer may give, and who gets it.
//
// A tip goes to the driver who delivered the order. When the trip was reassigned while it was out
// for delivery (more than one driver carried it), it is split between the drivers who carried it:
// equal shares in whole cents, and the cents that do not divide evenly go to the driver who
// delivered (who did the last part and met the customer). A cash tip is not split: it was handed
// to the driver at the door, who keeps it. A tip of an order no driver delivered (a manager closed
// it by hand) has no share: it stays in the takings' tips, for the manager to hand over.
//
// In France a card tip to an employee is free of income tax and social charges up to 1.6 times the
// minimum wage: it must reach the right driver and be reported apart from the shop's sales (never a
// sale, never in VAT, never in the fiscal journal).

/** The most one tip may be, in cents (the database refuses more). */
export const TIP_MAX_CENTS = 10_000;
/** The least a card tip may be: card payments take no less than 0,50 €. */
export const TIP_MIN_CARD_CENTS = 50;
/** The amounts offered at checkout and on the tracking page (the customer may type another). */
export const TIP_CHOICES_CENTS = [100, 200, 300] as const;

/** How a tip was given: by card (at checkout or after the delivery) or in cash at the door. */
export const TIP_WAYS = ['card', 'cash'] as const;
export type TipWay = (typeof TIP_WAYS)[number];
/** When: with the order's payment, on the tracking page after the delivery, or declared by the driver. */
export const TIP_MOMENTS = ['checkout', 'after_delivery', 'declared'] as const;
export type TipMoment = (typeof TIP_MOMENTS)[number];

/** One driver's part of a tip. */
export interface TipShare {
  driverId: number;
  amountCents: number;
}

/**
 * Who gets a tip of `amountCents`: `carriers` are the drivers who carried the order while it was out
 * for delivery (in the order they had it, repeats allowed), `deliveredBy` the one who delivered it.
 * A cash tip goes whole to whoever delivered. No driver delivered it: no share.
 */
export function splitTip(amountCents: number, way: TipWay, carriers: readonly number[], deliveredBy: number | null): TipShare[] {
  if (deliveredBy === null || !Number.isSafeInteger(amountCents) || amountCents <= 0) return [];
  const drivers = [...new Set([...carriers, deliveredBy])];
  if (way === 'cash' || drivers.length === 1) return [{ driverId: deliveredBy, amountCents }];
  const each = Math.floor(amountCents / drivers.length);
  const odd = amountCents - each * drivers.length;
  return drivers.map((driverId) => ({ driverId, amountCents: each + (driverId === deliveredBy ? odd : 0) }));
}

/** Whether a tip amount is one a customer (or a driver declaring cash) may give: whole cents, within the limits. */
export function tipAmountProblem(amountCents: number, way: TipWay): string | null {
  if (!Number.isSafeInteger(amountCents)) return 'a whole number of cents';
  const min = way === 'card' ? TIP_MIN_CARD_CENTS : 1;
  if (amountCents < min) return way === 'card' ? 'a card tip is at least 0.50 €' : 'a tip is more than nothing';
  if (amountCents > TIP_MAX_CENTS) return 'a tip is at most 100 €';
  return null;
}

/** A tip as a manager's refund of it reads it. */
export interface TipToRefund {
  way: TipWay;
  status: 'pending' | 'paid' | 'released' | 'refunded';
  refundState: 'pending' | 'done' | 'failed' | null;
}

/** Why a tip cannot be refunded through the payment provider. */
export type TipRefundRefusal = 'cash_tip' | 'tip_not_paid' | 'tip_already_refunded' | 'tip_refund_pending';

/**
 * A manager refunds a card tip paid, whole and once, through the provider that took it. A cash tip
 * never went through the provider: it was handed to the driver at the door, and the shop gives it
 * back in person (from the driver's tips, as the shop settles with them), not here. A tip still held
 * or let go was never taken; one refunded (or being refunded) is not refunded again. A refund the
 * provider refused may be asked again.
 */
export function tipRefundRefusal(tip: TipToRefund): TipRefundRefusal | null {
  if (tip.way === 'cash') return 'cash_tip';
  if (tip.status === 'refunded' || tip.refundState === 'done') return 'tip_already_refunded';
  if (tip.refundState === 'pending') return 'tip_refund_pending';
  if (tip.status !== 'paid') return 'tip_not_paid';
  return null;
}
