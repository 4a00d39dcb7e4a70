// How the money an order kept was taken, in one place for the receipt and the day's takings.
// An order records what it was paid in all (paid_cents) and, apart, what was taken at the handover
// (collected_cents and collected_method: the driver at the door, the counter for a pickup); the
// rest was paid before: online (paid_with 'online'), or marked paid at the shop (cash, card, phone).
// An order of a delivery platform (payment_method 'marketplace') was paid to the platform, which pays
// the shop less its commission: its own way, neither the shop's cash nor its card.
import { HANDED_OVER_STATUSES, isIn } from './order-states.ts';

/**
 * Where and how: online, at the door (cash, card), at the counter (cash, a card declared by the
 * staff, a card on the shop's terminal that the provider confirmed), by phone, not recorded, or to a
 * delivery platform. A declared card ('counter_card', "card outside the system") is a word the
 * staff typed; a terminal card ('counter_terminal') is a payment the provider recorded.
 */
export const PAYMENT_WAYS = ['online', 'door_cash', 'door_card', 'counter_cash', 'counter_card', 'counter_terminal', 'phone', 'unrecorded', 'marketplace'] as const;
export type PaymentWay = (typeof PAYMENT_WAYS)[number];
/** How the handover (the driver at the door, the counter for a pickup) takes what is still owed: cash or card. */
export const HANDOVER_METHODS = ['cash', 'card'] as const;
export type HandoverMethod = (typeof HANDOVER_METHODS)[number];
/** How a handover was recorded: one of those, or the shop's card terminal (only the provider's confirmation writes it). */
export type CollectedMethod = HandoverMethod | 'terminal';

export interface OrderPayment {
  status: string;
  paidCents: number;
  paidWith: 'online' | 'cash' | 'card' | 'phone' | 'marketplace' | null;
  collectedCents: number | null;
  collectedMethod: CollectedMethod | null;
}

/** The parts of what the order was paid, by way, in PAYMENT_WAYS order, none empty. */
export function splitPayment(o: OrderPayment): { way: PaymentWay; amountCents: number }[] {
  const handedOver = isIn(HANDED_OVER_STATUSES, o.status);
  // what the handover took (never more than was paid: a driver may type what the customer handed them)
  const handed = handedOver && o.collectedCents && o.collectedMethod ? Math.min(o.collectedCents, o.paidCents) : 0;
  const handedWay: PaymentWay | null = !handed ? null
    : o.collectedMethod === 'terminal' ? 'counter_terminal'
    : `${o.status === 'delivered' ? 'door' : 'counter'}_${o.collectedMethod!}`;
  const before = o.paidCents - handed;
  const beforeWay: PaymentWay =
    o.paidWith === 'online' ? 'online'
    : o.paidWith === 'phone' ? 'phone'
    : o.paidWith === 'marketplace' ? 'marketplace'
    // marked paid at the shop before the kitchen: at the counter
    : o.paidWith === 'cash' || o.paidWith === 'card' ? `counter_${o.paidWith}`
    : 'unrecorded';
  const parts = new Map<PaymentWay, number>();
  if (before > 0) parts.set(beforeWay, before);
  if (handedWay) parts.set(handedWay, (parts.get(handedWay) ?? 0) + handed);
  return PAYMENT_WAYS.filter((w) => parts.has(w)).map((way) => ({ way, amountCents: parts.get(way)! }));
}
