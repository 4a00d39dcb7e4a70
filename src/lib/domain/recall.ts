// Recall and undo: which of the kitchen's bumps can be taken back, and until when. Pure: the order
// service reads the order, asks here, and moves it back with its event so every screen follows.
//
// Only "ready" is undone, back to the oven: within the window after the bump (KITCHEN_UNDO_SECONDS),
// while nothing depends on it yet: no driver has it (an offer still open is withdrawn), it never
// left with a driver (a failed delivery back at the shop is not a bump), nobody took it away.
// "Started" is not undone: starting consumed the stock reserved for the order and took the card
// hold, and giving those back is a refund or a stock count, not an undo. "Handed over" and "out for
// delivery" are not undone either: the money or the box has changed hands.
import { actorRole, canActOnShop, type StaffActor } from './actors.ts';
import type { BUMP_STATUSES, Fulfilment, OrderStatus } from './order-states.ts';
import { can } from './permissions.ts';

/** Who may take a bump back: whoever may make it. */
const RECALLERS: readonly string[] = can.cook;

export interface RecallBasis {
  pizzeriaId: number;
  number: number;
  status: OrderStatus;
  fulfilment: Fulfilment;
  driverId: number | null;
  awaitingDecision: boolean;
  /** How many times it left with a driver and came back (a failed delivery). */
  deliveryAttempts: number;
  /** When it was bumped ready (ms), null when it was not. */
  readyAt: number | null;
}

export type RecallRefusal = { kind: 'forbidden'; message: string } | { kind: 'conflict'; code: string; message: string };

/** Until when (ms) a ready order can go back to the oven, or why it cannot. */
export function recallWindow(o: RecallBasis, nowMs: number, windowMs: number): { ok: true; until: number } | { ok: false; refusal: RecallRefusal } {
  const no = (code: string, message: string) => ({ ok: false as const, refusal: { kind: 'conflict' as const, code, message } });
  const n = `order ${o.number}`;
  switch (o.status) {
    case 'ready':
      break;
    case 'received':
    case 'pending_payment':
      return no('not_started', `${n} has not been started: there is nothing to undo`);
    case 'preparing':
      return no('in_the_oven', `${n} is in the oven: a start is not undone (the stock and the card hold went with it)`);
    case 'collected':
    case 'out_for_delivery':
    case 'delivered':
      return no('handed_over', `${n} has been handed over: it cannot come back to the kitchen`);
    default:
      return no('not_allowed', `${n} is ${o.status.replace(/_/g, ' ')}`);
  }
  if (o.awaitingDecision || o.deliveryAttempts > 0) return no('came_back', `${n} came back from a failed delivery: that is not a bump to undo`);
  if (o.driverId !== null) return no('driver_has_it', `a driver has ${n}: take it off them first`);
  if (o.readyAt === null) return no('not_allowed', `${n} was not bumped ready`);
  const until = o.readyAt + windowMs;
  if (nowMs > until) return no('too_late', `${n} was ready more than ${Math.round(windowMs / 60_000) || 1} min ago: too late to undo`);
  return { ok: true, until };
}

/** The moves the kitchen's strip of recent bumps lists (`BUMP_STATUSES`). */
export type Bump = (typeof BUMP_STATUSES)[number];

export interface BumpBasis extends RecallBasis {
  collectedAt: number | null;
  outForDeliveryAt: number | null;
}

/**
 * The last bump of an order (the latest of its moves to ready, collected, out for delivery), and
 * whether it can still be taken back: until when, or why not (the same rule as the recall itself).
 */
export function lastBump(
  o: BumpBasis,
  nowMs: number,
  windowMs: number,
): { bump: Bump; at: number; undoableUntil: number | null; reason: { code: string; message: string } | null } | null {
  const moves: [Bump, number | null][] = [
    ['ready', o.readyAt],
    ['collected', o.collectedAt],
    ['out_for_delivery', o.outForDeliveryAt],
  ];
  const last = moves.filter((m): m is [Bump, number] => m[1] !== null).sort((a, b) => b[1] - a[1])[0];
  if (!last) return null;
  const check = recallWindow(o, nowMs, windowMs);
  return check.ok
    ? { bump: last[0], at: last[1], undoableUntil: check.until, reason: null }
    : { bump: last[0], at: last[1], undoableUntil: null, reason: { code: check.refusal.kind === 'conflict' ? check.refusal.code : 'forbidden', message: check.refusal.message } };
}

/** Whether this actor may recall this shop's orders at all. */
export function mayRecall(actor: Pick<StaffActor, 'kind' | 'role' | 'pizzeriaId'>, pizzeriaId: number): RecallRefusal | null {
  if (!RECALLERS.includes(actorRole(actor))) return { kind: 'forbidden', message: 'only the kitchen and the managers take a bump back' };
  if (!canActOnShop(actor, pizzeriaId)) return { kind: 'forbidden', message: 'not your shop' };
  return null;
}
