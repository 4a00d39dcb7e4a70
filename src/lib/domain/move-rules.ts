// Whether a move of an order may be made, beyond the state machine (order-states.ts): whose shop
// and whose delivery it is, whether the screen saw the order as it is, and what the move must say
// (a failed delivery its reason, a delivery its proof and what was collected, a payment its method).
// Pure: the order service reads the order, asks here, and turns a refusal into its HTTP answer.
import { actorRole, canActOnShop, type StaffActor } from './actors.ts';
import { checkTransition, type Fulfilment, type OrderStatus } from './order-states.ts';
import { can, may } from './permissions.ts';

/** What a move is checked against: the order's fields that decide it. */
export interface MoveBasis {
  pizzeriaId: number;
  driverId: number | null;
  status: OrderStatus;
  version: number;
  fulfilment: Fulfilment;
  awaitingDecision: boolean;
  amountDueCents: number;
  /** An order for later not fired yet (slots.ts): the kitchen starts it only once it is. */
  waitingToFire?: boolean;
  /** An allergy note the kitchen has not tapped "Allergie lue" on, in a shop that wants it read first. */
  allergyUnread?: boolean;
}

/** Who asks (actors.ts): a member of staff (with their shop, null for head office), the customer, or the system; their name does not matter here. */
export type MoveActor = Pick<StaffActor, 'kind' | 'id' | 'role' | 'pizzeriaId'> | { kind: 'customer' } | { kind: 'system' };

/** What the move says besides where to. */
export interface MoveFacts {
  /** Why a cancel is made (an order in the oven is cancelled only by its delivery platform: `platform`). */
  cancelReason?: string;
  /** How the money was taken (marking a pending order paid; a pickup handed over with money owed). */
  paymentMethod?: string;
  /** How a driver proved the delivery. */
  proof?: string;
  /** What the driver collected at the door. */
  collected?: { amountCents: number };
  /** Why a delivery failed at the door. */
  failure?: object;
}

export type MoveRefusal =
  | { kind: 'forbidden'; message: string }
  | { kind: 'conflict'; code: string; message: string }
  | { kind: 'invalid'; fields: Record<string, string>; message: string };

/** A move allowed, and what kind it is (each kind writes its own fields). */
export interface MoveAllowed {
  ok: true;
  /** A pending order marked paid by staff. */
  markedPaid: boolean;
  /** A pickup handed over with money still owed, taken at the counter. */
  collectedAtCounter: boolean;
  /** A delivery that failed at the door, back at the shop. */
  failedDelivery: boolean;
}

export { canActOnShop };
const euros = (cents: number) => `${(cents / 100).toFixed(2)} €`;
const refuse = (r: MoveRefusal): { ok: false; refusal: MoveRefusal } => ({ ok: false, refusal: r });

/** Checks a move of order `o` to `to` by `actor`, who saw it at `expectedVersion` (if they say). */
export function checkMove(
  o: MoveBasis,
  actor: MoveActor,
  to: OrderStatus,
  expectedVersion: number | undefined,
  facts: MoveFacts,
): MoveAllowed | { ok: false; refusal: MoveRefusal } {
  if (actor.kind === 'staff') {
    if (!canActOnShop(actor, o.pizzeriaId)) return refuse({ kind: 'forbidden', message: 'not your shop' });
    if (may(actor.role, can.drive) && o.driverId !== actor.id) return refuse({ kind: 'forbidden', message: 'this delivery is not yours' });
  }
  if (to === 'cancelled' && o.status === 'cancelled') return refuse({ kind: 'conflict', code: 'already_cancelled', message: 'this order is already cancelled' });
  // in the oven, only its delivery platform cancels it (the customer cancelled there): nothing of ours does
  if (o.status === 'preparing' && to === 'cancelled' && facts.cancelReason !== 'platform') {
    return refuse({ kind: 'conflict', code: 'too_late', message: 'the kitchen has already started this order' });
  }
  // in the oven, nothing a cook decides on can change any more: what moves the version meanwhile is the
  // card captured or the late flag, so "ready" from there is not refused as stale (the tap would fail for nothing)
  const ovenToReady = o.status === 'preparing' && to === 'ready';
  if (expectedVersion !== undefined && expectedVersion !== o.version && !(ovenToReady && expectedVersion < o.version)) {
    return refuse({ kind: 'conflict', code: 'stale', message: `the order changed since you saw it (now version ${o.version})` });
  }
  if (o.status === 'ready' && to === 'preparing') {
    return refuse({ kind: 'conflict', code: 'not_allowed', message: 'a ready order goes back to the oven only by a recall (POST /api/orders/:id/recall)' });
  }
  if (to === 'preparing' && o.waitingToFire) {
    return refuse({ kind: 'conflict', code: 'not_fired', message: 'this order is for later: it comes to the make line at its fire time, or when a manager fires it now' });
  }
  if (to === 'preparing' && o.allergyUnread) {
    return refuse({ kind: 'conflict', code: 'allergy_not_read', message: 'this order has an allergy note: the kitchen taps "Allergie lue" on its ticket before starting it' });
  }
  const check = checkTransition(o.status, to, actorRole(actor), o.fulfilment);
  if (!check.ok) {
    if (check.reason === 'forbidden' && actor.kind === 'staff') return refuse({ kind: 'forbidden', message: `a ${actor.role} cannot move an order to ${to}` });
    if (actor.kind === 'customer' && to === 'cancelled') return refuse({ kind: 'conflict', code: 'too_late', message: 'the kitchen has already started this order' });
    return refuse({ kind: 'conflict', code: 'not_allowed', message: `an order cannot go from ${o.status} to ${to}` });
  }
  if (to === 'out_for_delivery' && !o.driverId && actor.kind === 'staff' && !may(actor.role, can.drive)) {
    return refuse({ kind: 'conflict', code: 'no_driver', message: 'assign a driver before sending the order out' });
  }
  if (to === 'out_for_delivery' && o.awaitingDecision) return refuse({ kind: 'conflict', code: 'awaiting_decision', message: 'this delivery failed: a manager decides first' });
  // back from the road only as a failed delivery, with its reason; cancelled at the shop only after one
  const failedDelivery = o.status === 'out_for_delivery' && to === 'ready';
  if (failedDelivery && !facts.failure) {
    return refuse({ kind: 'invalid', fields: { reason: 'why the delivery failed: absent, refused or wrong_address' }, message: 'a failed delivery needs its reason' });
  }
  if (o.status === 'ready' && to === 'cancelled' && !o.awaitingDecision) {
    return refuse({ kind: 'conflict', code: 'not_allowed', message: 'an order ready at the shop is cancelled only after a failed delivery' });
  }
  const due = o.amountDueCents;
  if (to === 'delivered' && actor.kind === 'staff' && may(actor.role, can.drive)) {
    if (!facts.proof) return refuse({ kind: 'invalid', fields: { proof: 'the PIN the customer reads to you, or a photo at the door' }, message: 'a delivery needs its proof' });
    if (due > 0 && !facts.collected) {
      return refuse({ kind: 'invalid', fields: { collected: `collect ${euros(due)} and say how (cash or card)` }, message: 'say what you collected' });
    }
    if (facts.collected && facts.collected.amountCents < due) {
      return refuse({ kind: 'invalid', fields: { 'collected.amountCents': `the customer owes ${euros(due)}` }, message: 'less than what is owed' });
    }
  }
  // the payment provider's events move an online order on (server/money/ledger.ts); anyone else says how the money was taken
  const markedPaid = to === 'received' && o.status === 'pending_payment';
  if (markedPaid && (!facts.paymentMethod || facts.paymentMethod === 'terminal')) {
    return refuse({ kind: 'invalid', fields: { paymentMethod: 'say how the customer paid: cash, card (at the counter) or phone' }, message: 'a payment method is needed to mark an order as paid' });
  }
  // a pickup handed over with money still owed: the counter says how it was taken, as a driver does at the door
  const collectedAtCounter = to === 'collected' && due > 0;
  // 'terminal' only from the card terminal's confirmation (money/terminal.ts): the API's requests cannot say it
  if (collectedAtCounter && facts.paymentMethod !== 'cash' && facts.paymentMethod !== 'card' && facts.paymentMethod !== 'terminal') {
    return refuse({ kind: 'invalid', fields: { paymentMethod: `the customer owes ${euros(due)}: say how they paid at the counter, cash or card` }, message: 'say how the customer paid' });
  }
  return { ok: true, markedPaid, collectedAtCounter, failedDelivery };
}
