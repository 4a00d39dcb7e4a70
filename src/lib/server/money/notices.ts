// The system's own payment events. Every provider's webhook is read at the edge into these notices
// (stripe.ts for Stripe and the demo page; any other provider the same way), so the ledger and the
// workers never read a provider's own event names or objects.

/**
 * What happened to a payment: a card hold placed, money taken, a hold let go, a card refused, a card
 * saved for a hold placed later (its `paymentId` the provider's setup, e.g. a SetupIntent), or
 * anything else (kept, changes nothing).
 */
export const PAYMENT_NOTICE_KINDS = ['held', 'taken', 'released', 'refused', 'card_saved', 'other'] as const;
export type PaymentNoticeKind = (typeof PAYMENT_NOTICE_KINDS)[number];

/** One event of a provider, once its signature is checked, as the system reads it. */
export interface PaymentNotice {
  /** The provider's id of the event: an event counts once, whatever the provider repeats. */
  id: string;
  /** Which provider sent it (recorded on every movement of money it makes). */
  provider: string;
  kind: PaymentNoticeKind;
  /** The provider's own name for the event, kept for the record. */
  providerType: string;
  /** The provider's id of the payment (a card hold), as the ledger keeps it. */
  paymentId: string | null;
  /** The order and payment attempt the payment was made for (the provider echoes what begin() gave it). */
  orderId: string | null;
  attempt: number | null;
  /** What the hold lets the system take ('held'). */
  heldCents: number;
  /** What was taken ('taken'). */
  takenCents: number;
  /** Why the card was refused ('refused'), in words the customer can act on. */
  reason: string | null;
  /** The card saved ('card_saved'): the provider's payment method, and the customer it is saved on. */
  savedCard?: { paymentMethod: string; customer: string | null } | null;
  /** A payment the shop's card terminal took or refused (terminal.ts), not an online one. */
  terminal?: boolean;
  /**
   * A page paid, failed or expired at the door by QR code (door-qr.ts; `paymentId` the page's
   * provider id): the provider's payment it made, once paid.
   */
  doorQr?: { intent: string | null };
  /**
   * A titre-restaurant's own payment (meal-vouchers-online.ts), beside the order's card hold: the
   * provider's payment method presented (its fingerprint is the card's identity for its daily amount).
   */
  voucher?: { paymentMethod: string | null };
}

/** A payment as its provider sees it now (asked before an unpaid order expires, when its webhook never came). */
export interface ProviderPayment {
  id: string;
  orderId: string | null;
  attempt: number | null;
  state: 'held' | 'taken' | 'other';
  heldCents: number;
  takenCents: number;
  /** A titre-restaurant's own payment (its metadata says so), with the card it was paid with. */
  voucher?: { paymentMethod: string | null };
}

/** A saved card's setup as its provider sees it now (asked before an order waiting for it expires). */
export interface ProviderSetup {
  id: string;
  orderId: string | null;
  /** The card saved, once the customer did. */
  paymentMethod: string | null;
  customer: string | null;
}

/** A whole number of cents from a provider's field, 0 when it is anything else. */
export const centsOf = (v: unknown): number => (typeof v === 'number' && Number.isSafeInteger(v) && v > 0 ? v : 0);

/** An attempt number from a provider's metadata (a string or a number), null when it is none. */
export function attemptOf(v: unknown): number | null {
  const n = typeof v === 'string' && /^[0-9]{1,9}$/.test(v) ? Number(v) : v;
  return typeof n === 'number' && Number.isSafeInteger(n) && n > 0 ? n : null;
}
