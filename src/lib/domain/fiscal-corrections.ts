// Corrections a user makes after the fact, as the fiscal journal writes them: nothing written is
// changed, a new entry says what was wrong, why, and which entry it corrects.
//
// - How an order was paid (the counter pressed "cash" and the customer paid by card): a
//   `payment_correction` moves the amount of that part of the payment from one way to the other (a
//   negative payment in the old way, the same positive in the new: what was taken in all, and the
//   sale, do not change).
// - A driver's cash counted at the end of the shift, different from what the deliveries collected: a
//   `cash_correction` with the difference and its reason (the sales and what they were paid by stay
//   as they were: the difference is cash missing, or over, not a sale).
import { HANDED_OVER_STATUSES, isIn } from './order-states.ts';
import { splitPayment, type HandoverMethod, type OrderPayment, type PaymentWay } from './payment-split.ts';

/** Which part of an order's payment: what was paid at the shop before the kitchen (or by phone), or what the handover took. */
export type PaymentPart = 'paid' | 'handover';
/** The ways a payment at the shop can be said to have been taken. */
export const CORRECTABLE_METHODS = ['cash', 'card', 'phone'] as const;
export type CorrectableMethod = (typeof CORRECTABLE_METHODS)[number];

export interface CorrectableOrder extends OrderPayment {
  status: string;
}

/** 'provider': money the card terminal's (or the door QR's) provider confirmed moved that way, not a word to re-book. */
export type PaymentCorrectionRefusal = 'cancelled' | 'online' | 'provider' | 'nothing_taken' | 'same_way' | 'not_at_handover';

export interface PaymentCorrection {
  part: PaymentPart;
  /** The way the journal has it, the way it was. */
  from: PaymentWay;
  to: PaymentWay;
  cents: number;
  /** The order's columns as they become. */
  paidWith?: CorrectableMethod;
  collectedMethod?: HandoverMethod;
  /** A way at the customer's door: a manager's correction (the driver's cash), not the counter's. */
  atTheDoor: boolean;
}

/** The way a part paid by `method` is (payment-split.ts). */
function wayOf(o: CorrectableOrder, part: PaymentPart, method: CorrectableMethod): PaymentWay {
  if (part === 'paid') return method === 'phone' ? 'phone' : `counter_${method}`;
  return `${o.status === 'delivered' ? 'door' : 'counter'}_${method as HandoverMethod}`;
}

/** What correcting how a part of the order's payment was taken moves, or why it cannot be. */
export function paymentCorrection(o: CorrectableOrder, part: PaymentPart, to: CorrectableMethod): PaymentCorrection | { refused: PaymentCorrectionRefusal } {
  if (o.status === 'cancelled') return { refused: 'cancelled' };
  const parts = splitPayment(o);
  if (part === 'paid') {
    if (o.paidWith === 'online') return { refused: 'online' };
    if (o.paidWith !== 'cash' && o.paidWith !== 'card' && o.paidWith !== 'phone') return { refused: 'nothing_taken' };
    const from = wayOf(o, part, o.paidWith);
    const cents = parts.find((p) => p.way === from)?.amountCents ?? 0;
    // what the handover took in the same way is its own part
    const handedSameWay = isIn(HANDED_OVER_STATUSES, o.status) && o.collectedMethod && o.collectedMethod !== 'terminal' && o.collectedMethod !== 'qr' && wayOf(o, 'handover', o.collectedMethod) === from
      ? Math.min(o.collectedCents ?? 0, o.paidCents) : 0;
    const before = cents - handedSameWay;
    if (before <= 0) return { refused: 'nothing_taken' };
    if (to === o.paidWith) return { refused: 'same_way' };
    return { part, from, to: wayOf(o, part, to), cents: before, paidWith: to, atTheDoor: false };
  }
  // a card the shop's terminal took, a QR paid at the door: the provider recorded it, only a refund undoes it
  if (o.collectedMethod === 'qr' && o.collectedCents) return { refused: 'provider' };
  if (!isIn(HANDED_OVER_STATUSES, o.status) || !o.collectedMethod || !o.collectedCents) return { refused: 'not_at_handover' };
  if (o.collectedMethod === 'terminal' || o.collectedMethod === 'qr') return { refused: 'provider' };
  if (to === 'phone') return { refused: 'not_at_handover' };
  const from = wayOf(o, part, o.collectedMethod);
  const cents = Math.min(o.collectedCents, o.paidCents);
  if (cents <= 0) return { refused: 'nothing_taken' };
  if (to === o.collectedMethod) return { refused: 'same_way' };
  return { part, from, to: wayOf(o, part, to), cents, collectedMethod: to, atTheDoor: o.status === 'delivered' };
}

/** The payments a correction writes: the amount out of the old way, into the new one (they add up to nothing). */
export const correctionPayments = (c: PaymentCorrection) => [
  { way: c.from, cents: -c.cents },
  { way: c.to, cents: c.cents },
];

export interface CorrectablePart {
  part: PaymentPart;
  /** How it is recorded now. */
  method: CorrectableMethod;
  way: PaymentWay;
  cents: number;
  /** The ways it may be corrected to. */
  to: CorrectableMethod[];
  atTheDoor: boolean;
}

/** The parts of an order's payment that may be corrected, each with the ways it may become. */
export function correctableParts(o: CorrectableOrder): CorrectablePart[] {
  const out: CorrectablePart[] = [];
  for (const part of ['paid', 'handover'] as const) {
    const method = part === 'paid' ? o.paidWith : o.collectedMethod;
    if (method !== 'cash' && method !== 'card' && method !== 'phone') continue;
    const to = CORRECTABLE_METHODS.filter((m) => m !== method && !('refused' in paymentCorrection(o, part, m)));
    const c = to.length ? paymentCorrection(o, part, to[0]) : null;
    if (c && !('refused' in c)) out.push({ part, method, way: c.from, cents: c.cents, to, atTheDoor: c.atTheDoor });
  }
  return out;
}
