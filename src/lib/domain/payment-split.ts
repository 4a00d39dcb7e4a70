// How the money an order kept was taken, in one place for the receipt and the day's takings.
// An order records what it was paid in all (paid_cents) and, apart, what was taken at the handover
// (collected_cents and collected_method: the driver at the door, the counter for a pickup); the
// rest was paid before: online (paid_with 'online'), or marked paid at the shop (cash, card, phone).
// An order of a delivery platform (payment_method 'marketplace') was paid to the platform, which pays
// the shop less its commission: its own way, neither the shop's cash nor its card.
import { HANDED_OVER_STATUSES, isIn } from './order-states.ts';
import { wayOfIssuer, type MealVoucherIssuer } from './meal-vouchers.ts';

/**
 * Where and how: online, at the door (cash, card), at the counter (cash, a card declared by the
 * staff, a card on the shop's terminal that the provider confirmed), by phone, not recorded, or to a
 * delivery platform. A declared card ('counter_card', "card outside the system") is a word the
 * staff typed; a terminal card ('counter_terminal') is a payment the provider recorded. A QR code
 * paid at the door ('door_qr', the customer on their own phone) is the provider's record too. A
 * titre-restaurant is a way per issuer (meal-vouchers.ts), online or at the counter.
 */
export const PAYMENT_WAYS = ['online', 'door_cash', 'door_card', 'counter_cash', 'counter_card', 'counter_terminal', 'phone', 'unrecorded', 'marketplace', 'door_qr',
  'voucher_bimpli', 'voucher_pluxee', 'voucher_up_dejeuner', 'voucher_swile', 'voucher_edenred'] as const;
export type PaymentWay = (typeof PAYMENT_WAYS)[number];
/** The ways of paying at the shop that the provider recorded (the card terminal, a QR code at the door): a refund goes back to that card through it. */
export const PROVIDER_SHOP_WAYS: ReadonlySet<PaymentWay> = new Set(['counter_terminal', 'door_qr']);
/** How the handover (the driver at the door, the counter for a pickup) takes what is still owed: cash or card. */
export const HANDOVER_METHODS = ['cash', 'card'] as const;
export type HandoverMethod = (typeof HANDOVER_METHODS)[number];
/**
 * How a handover was recorded: one of those, the shop's card terminal, or a QR code paid at the door
 * (only the provider's confirmation writes either of the last two).
 */
export type CollectedMethod = HandoverMethod | 'terminal' | 'qr';

export interface OrderPayment {
  status: string;
  paidCents: number;
  paidWith: 'online' | 'cash' | 'card' | 'phone' | 'marketplace' | null;
  collectedCents: number | null;
  collectedMethod: CollectedMethod | null;
  /** What a titre-restaurant paid of it, and its issuer (the rest is paid the order's other ways). */
  voucher?: { issuer: MealVoucherIssuer; cents: number } | null;
}

/** The parts of what the order was paid, by way, in PAYMENT_WAYS order, none empty. */
export function splitPayment(o: OrderPayment): { way: PaymentWay; amountCents: number }[] {
  const handedOver = isIn(HANDED_OVER_STATUSES, o.status);
  // what the handover took (never more than was paid: a driver may type what the customer handed them)
  // a QR paid at the door counts from the provider's confirmation, before the PIN closes the delivery
  const atTheDoor = handedOver || o.collectedMethod === 'qr';
  const handed = atTheDoor && o.collectedCents && o.collectedMethod ? Math.min(o.collectedCents, o.paidCents) : 0;
  const handedWay: PaymentWay | null = !handed ? null
    : o.collectedMethod === 'terminal' ? 'counter_terminal'
    : o.collectedMethod === 'qr' ? 'door_qr'
    : `${o.status === 'delivered' ? 'door' : 'counter'}_${o.collectedMethod!}`;
  // a titre-restaurant's part is paid before the handover (online, or declared at the counter first)
  const voucherCents = o.voucher ? Math.max(0, Math.min(o.voucher.cents, o.paidCents - handed)) : 0;
  const before = o.paidCents - handed - voucherCents;
  const beforeWay: PaymentWay =
    o.paidWith === 'online' ? 'online'
    : o.paidWith === 'phone' ? 'phone'
    : o.paidWith === 'marketplace' ? 'marketplace'
    // marked paid at the shop before the kitchen: at the counter
    : o.paidWith === 'cash' || o.paidWith === 'card' ? `counter_${o.paidWith}`
    : 'unrecorded';
  const parts = new Map<PaymentWay, number>();
  if (before > 0) parts.set(beforeWay, before);
  if (voucherCents > 0) parts.set(wayOfIssuer(o.voucher!.issuer), voucherCents);
  if (handedWay) parts.set(handedWay, (parts.get(handedWay) ?? 0) + handed);
  return PAYMENT_WAYS.filter((w) => parts.has(w)).map((way) => ({ way, amountCents: parts.get(way)! }));
}
