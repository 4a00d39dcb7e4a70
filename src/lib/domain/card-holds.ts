// When an order paid online is held on its card. A card hold lasts 7 days at Stripe (and most
// providers) and is captured when the kitchen starts the order, so an order for a slot far ahead
// cannot be held at checkout. Such an order saves the card at checkout instead (nothing is charged
// or held that day), and the workers place the hold off-session about a day before its slot; a
// hold refused then gives the customer a few hours to pay on the payment page. Pure rules: the
// server and workers feed them the order's slot, fire time and clock.

const HOUR_MS = 3_600_000;

/**
 * Beyond this, the card is saved at checkout and held later. Two days, not six: a hold at
 * checkout blocks the customer's money until the slot, which for a slot days away is most of a
 * week of their balance spoken for, and a hold of several days is the one an issuer drops early.
 * Within two days the hold at checkout is the better road (one step, 3-D Secure answered by the
 * customer there and then, nothing that can fail off-session later); beyond them the saved card is
 * held at least a day after checkout, so the two steps are worth it.
 */
export const SAVE_CARD_BEYOND_MS = 48 * HOUR_MS;
/** The hold is placed this long before the slot starts: the day before, the customer's bank still open to them. */
export const HOLD_BEFORE_SLOT_MS = 24 * HOUR_MS;
/**
 * …and never later than this before the order is fired into the make line, so that a refused hold
 * leaves the customer time to pay (PAY_AGAIN_MS, until PAY_BY_BEFORE_FIRE_MS before the fire).
 */
export const HOLD_BEFORE_FIRE_MS = 6 * HOUR_MS;
/** A refused hold: the customer has this long to pay on the payment page… */
export const PAY_AGAIN_MS = 12 * HOUR_MS;
/** …and must have paid this long before the order is fired (the kitchen plans its evening on it). */
export const PAY_BY_BEFORE_FIRE_MS = 2 * HOUR_MS;
/** However late a hold is refused (a manager fired the order early), the customer has at least this long. */
export const PAY_AGAIN_AT_LEAST_MS = 30 * 60_000;

/** Whether an order paid online for this slot saves the card at checkout (true) or is held then (false). */
export function savesCardFirst(slotAt: number | null, placedAt: number): boolean {
  return slotAt !== null && Number.isFinite(slotAt) && slotAt - placedAt > SAVE_CARD_BEYOND_MS;
}

/** When the workers place the hold of an order whose card was saved: a day before the slot, at least 6 h before its fire time. */
export function holdDueAt(slotAt: number, fireAt: number): number {
  return Math.min(slotAt - HOLD_BEFORE_SLOT_MS, fireAt - HOLD_BEFORE_FIRE_MS);
}

/** Until when a customer whose hold was refused at `failedAt` may pay, before the order is cancelled as unpaid. */
export function payAgainBy(failedAt: number, fireAt: number): number {
  return Math.max(failedAt + PAY_AGAIN_AT_LEAST_MS, Math.min(failedAt + PAY_AGAIN_MS, fireAt - PAY_BY_BEFORE_FIRE_MS));
}
