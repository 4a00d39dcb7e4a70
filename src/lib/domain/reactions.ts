// What the workers do about an order event: a payment to take, a timer to start, a delivery to
// assign, a message to the customer… Each rule reads the event alone and answers with reactions; the
// event reactor (workers/event-reactor.ts) carries them out in their order, as jobs whose ids make a
// repeat harmless.
import { stepOfEvent, type NotificationStep } from './notification-steps.ts';
import { FINAL_STATUSES, isIn, type Fulfilment, type OrderStatus } from './order-states.ts';
import { stepOfStatus } from './marketplaces.ts';
import type { MarketplaceStep } from './marketplace-steps.ts';

/** What the rules read of an order event (the socket contract's OrderUpdated has it all). */
export interface ReactorEvent {
  eventId: number;
  type: string;
  order: {
    id: string;
    pizzeriaId: number;
    status: OrderStatus;
    fulfilment: Fulfilment;
    scheduled: { fireAt: string; fired: boolean } | null;
    payment: { method: string; status: string; attempt: number | null; holdAt: string | null; payBy: string | null; paidWith: string | null; tipCents?: number };
    delivery: { awaitingDecision: boolean; attempts: number };
    driver: unknown;
    refundDueCents: number;
    refundedCents: number;
    timestamps: Partial<Record<OrderStatus | 'created', string>>;
    /** A delivery platform's order: which platform (absent or null: ours). */
    marketplace?: { id: string } | null;
    cancelReason?: string | null;
  };
}

/** One thing to do about the event's order; delays count from the `now` the rules were given. */
export type Reaction =
  /** Tell the customer about this step of their order. */
  | { kind: 'message'; step: NotificationStep }
  /** Ask the provider for this attempt's total. */
  | { kind: 'begin-payment'; attempt: number }
  /** Cancel the order if this attempt is still unpaid by then. */
  | { kind: 'expire-payment'; attempt: number; delayMs: number }
  /** Fire the order for later into the make line. */
  | { kind: 'fire'; delayMs: number }
  /** Hold its saved card; `promote`: a hold already waiting for its time is taken at once. */
  | { kind: 'hold'; delayMs: number; promote: boolean }
  /** Cancel the order whose hold was refused if still unpaid by then. */
  | { kind: 'hold-deadline'; delayMs: number }
  | { kind: 'forget-card' }
  /** Make a manager's refund asked for by this event. */
  | { kind: 'manager-refund'; eventId: number }
  /** Give back what the order owes its customer (refunded so far: the job's id). */
  | { kind: 'refund'; refundedSoFarCents: number }
  /** Assign a driver for this trip; `replaceFinished`: a finished job of the trip is replaced, not kept. */
  | { kind: 'dispatch'; round: number; replaceFinished: boolean }
  /** Assign another driver after this event took the order off its own. */
  | { kind: 'redispatch'; round: number; eventId: number }
  /** Drop this trip's dispatch: the next "ready" dispatches it afresh. */
  | { kind: 'drop-dispatch'; round: number }
  /** Start the preparation timer of an order in the oven since `startedAt` (ms). */
  | { kind: 'prep-timer'; startedAt: number; eventId: number }
  /** Fold the order's stock reservation into the stock. */
  | { kind: 'fold-stock' }
  /** Take the card hold. */
  | { kind: 'capture' }
  /** Give the drivers who carried it their shares of its tip (src/lib/domain/tip-split.ts). */
  | { kind: 'share-tips' }
  /** Print the label for its box (once). */
  | { kind: 'print-label' }
  /** Tell the order's delivery platform this kitchen step. */
  | { kind: 'platform-step'; step: MarketplaceStep }
  /** Tell the order's delivery platform we cancelled it. */
  | { kind: 'platform-cancel' };

export interface ReactionContext {
  /** The clock the delays count from (ms). */
  now: number;
  /** How long an online order may stay unpaid. */
  paymentExpiryMs: number;
  /** Whether the order's shop has a printer. */
  shopHasPrinter: boolean;
}

/** A second past a deadline, so the job finds the time passed even if its clock is a little ahead of the database's. */
const PAST_DEADLINE_MS = 1000;
const after = (iso: string | null | undefined, now: number) => Math.max(0, Date.parse(iso ?? '') - now);

type Rule = (e: ReactorEvent, ctx: ReactionContext) => Reaction[];
const none: Reaction[] = [];

/** An order out of the oven (not back from a failed delivery): its box gets a label, where the shop has a printer. */
export const wantsLabel = (e: ReactorEvent) =>
  e.type === 'order.status' && e.order.status === 'ready' && !e.order.delivery.awaitingDecision && e.order.delivery.attempts === 0;

/** The customer hears of the steps that matter to them, once each (the job id, then the database). */
const tellCustomer: Rule = (e) => {
  const step = stepOfEvent(e.type, e.order);
  return step ? [{ kind: 'message', step }] : none;
};

/** A new order, or one changed while its payment was pending: ask for the (new) total, and give up after the expiry. */
const askPayment: Rule = ({ type, order: o }, { now, paymentExpiryMs }) => {
  if ((type !== 'order.placed' && type !== 'order.modified') || o.status !== 'pending_payment' || o.payment.method !== 'online') return none;
  const attempt = o.payment.attempt ?? 1;
  // at the order's deadline (a change keeps the one it had: it counts from when the order first awaited payment)
  const since = Date.parse(o.timestamps.pending_payment ?? o.timestamps.created ?? '') || now;
  const delayMs = Math.max(0, since + paymentExpiryMs - now) + PAST_DEADLINE_MS;
  return [{ kind: 'begin-payment', attempt }, { kind: 'expire-payment', attempt, delayMs }];
};

/** An order for later, taken (paid, or paid at the door): fired into the make line at its time. */
const fireLater: Rule = ({ order: o }, { now }) =>
  o.scheduled && !o.scheduled.fired && o.status === 'received' ? [{ kind: 'fire', delayMs: after(o.scheduled.fireAt, now) }] : none;

/** A card saved for an order for later: held the day before its slot; fired early, held at once. */
const holdSavedCard: Rule = ({ type, order: o }, { now }) => {
  if (o.payment.status !== 'card_saved' || !o.payment.holdAt || o.status === 'cancelled') return none;
  const atOnce = type === 'order.fired' || o.status !== 'received';
  return [{ kind: 'hold', delayMs: atOnce ? 0 : after(o.payment.holdAt, now), promote: atOnce }];
};

/** Its hold refused: the customer is told (tellCustomer), and the order cancelled if still unpaid at its deadline. */
const refusedHoldDeadline: Rule = ({ order: o }, { now }) =>
  o.payment.status === 'failed' && o.payment.payBy && o.status === 'received'
    ? [{ kind: 'hold-deadline', delayMs: after(o.payment.payBy, now) + PAST_DEADLINE_MS }]
    : none;

/** An order for later paid online has ended: a card saved for it is forgotten. */
const forgetCard: Rule = ({ type, order: o }) =>
  type === 'order.status' && o.scheduled && o.payment.method === 'online' && isIn(FINAL_STATUSES, o.status) ? [{ kind: 'forget-card' }] : none;

/** A manager's refund through the provider: the workers make it, once per refund (its idempotency key). */
const managerRefund: Rule = ({ type, eventId }) => (type === 'order.refund_requested' ? [{ kind: 'manager-refund', eventId }] : none);

/** Money owed back on an order paid through the provider. */
const refundOwed: Rule = ({ order: o }) =>
  o.refundDueCents > 0 && o.payment.paidWith === 'online' ? [{ kind: 'refund', refundedSoFarCents: o.refundedCents }] : none;

/** Sent out again after a failed delivery: a new trip, a new dispatch. */
const redeliver: Rule = ({ type, order: o }) =>
  type === 'order.redelivery' && o.status === 'ready' && !o.driver ? [{ kind: 'dispatch', round: o.delivery.attempts, replaceFinished: false }] : none;

/** A manager took it off its driver: dispatch finds another (a new job: the last one is done). */
const reassign: Rule = ({ type, eventId, order: o }) =>
  type === 'order.unassigned' && o.status === 'ready' && !o.driver && !o.delivery.awaitingDecision
    ? [{ kind: 'redispatch', round: o.delivery.attempts, eventId }]
    : none;

const startedAt = (o: ReactorEvent['order'], now: number) => Date.parse(o.timestamps.preparing ?? '') || now;

/**
 * A "ready" taken back to the oven: its timer again, for the time it had left from its start (as the
 * reconciler counts it; a ticket already late is checked at once), and its dispatch dropped: the next
 * "ready" dispatches it afresh.
 */
const recalled: Rule = ({ type, eventId, order: o }, { now }) =>
  type === 'order.recalled' && o.status === 'preparing'
    ? [{ kind: 'drop-dispatch', round: o.delivery.attempts }, { kind: 'prep-timer', startedAt: startedAt(o, now), eventId }]
    : none;

/** The kitchen started it: its stock folded, its timer started, and the card hold taken now. */
const started: Rule = ({ type, eventId, order: o }, { now }) => {
  if (type !== 'order.status' || o.status !== 'preparing') return none;
  const reactions: Reaction[] = [{ kind: 'fold-stock' }, { kind: 'prep-timer', startedAt: startedAt(o, now), eventId }];
  if (o.payment.status === 'authorised') reactions.push({ kind: 'capture' });
  return reactions;
};

/** Out of the oven (not back from a failed delivery): the label for its box, once (print_jobs). */
const label: Rule = (e, { shopHasPrinter }) => (wantsLabel(e) && shopHasPrinter ? [{ kind: 'print-label' }] : none);

/** Ready for delivery with no driver: dispatch assigns one. */
const dispatchReady: Rule = ({ type, order: o }) =>
  type === 'order.status' && o.status === 'ready' && o.fulfilment === 'delivery' && !o.driver && !o.delivery.awaitingDecision
    ? [{ kind: 'dispatch', round: o.delivery.attempts, replaceFinished: true }]
    : none;

/** A kitchen step of a platform order (in the oven, ready, handed over): its platform hears of it. */
const platformStep: Rule = ({ type, order: o }) => {
  if (type !== 'order.status' || !o.marketplace) return none;
  const step = stepOfStatus(o.status);
  return step ? [{ kind: 'platform-step', step }] : none;
};

/** A platform order we cancelled (not one the platform cancelled itself): its platform hears of it. */
const platformCancel: Rule = ({ type, order: o }) =>
  type === 'order.status' && o.marketplace && o.status === 'cancelled' && o.cancelReason !== 'platform' ? [{ kind: 'platform-cancel' }] : none;


/** Delivered with a tip given at checkout: the drivers who carried it get their shares (a tip given later is shared when paid). */
const shareTips: Rule = ({ type, order: o }) =>
  type === 'order.status' && o.status === 'delivered' && (o.payment.tipCents ?? 0) > 0 ? [{ kind: 'share-tips' }] : none;


/** The rules, in the order their reactions are carried out. */
const RULES: readonly Rule[] = [
  tellCustomer, askPayment, fireLater, holdSavedCard, refusedHoldDeadline, forgetCard, managerRefund, refundOwed, redeliver, reassign, recalled, started, label,
  dispatchReady, platformStep, platformCancel, shareTips,
];

/** What the workers do about an order event, in order. */
export function reactionsTo(e: ReactorEvent, ctx: ReactionContext): Reaction[] {
  return RULES.flatMap((rule) => rule(e, ctx));
}
