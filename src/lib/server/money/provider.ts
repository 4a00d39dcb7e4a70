// How online money moves, whatever the provider: what the workers ask of it (a payment for an
// order, capture, release, refund, what it sees of a payment now) and how its webhook is read.
// Stripe (stripe.ts) and the demo page (demo.ts) implement it; a third provider implements the same
// two interfaces and is chosen in index.ts, without touching the ledger or the workers.
import type { IncomingHttpHeaders } from 'node:http';
import type { OrderView } from '../../shapes/views.ts';
import type { PaymentNotice, ProviderPayment, ProviderSetup } from './notices.ts';

export interface RefundRequest {
  orderId: string;
  amountCents: number;
  /** The provider's reference of the payment to refund. */
  paymentReference: string;
  /** The same key for a retry of the same refund: the provider refunds it once. */
  idempotencyKey: string;
}

export interface RefundResult {
  /** What the provider actually gave back (a retry answers the first refund's amount). */
  amountCents: number;
  reference: string;
  refundedAt: Date;
}

export interface CaptureRequest {
  orderId: string;
  paymentId: string;
  amountCents: number;
  idempotencyKey: string;
}

export interface ReleaseRequest {
  orderId: string;
  paymentId: string;
  idempotencyKey: string;
}

/**
 * Keeps the provider's payment for an order's attempt, with the secret its payment form needs
 * (ledger.ts: rememberIntent); with `setup`, it is a card to save for a hold placed later, on the
 * provider's customer named there.
 */
export type PaymentKeeper = (
  orderId: string,
  attempt: number,
  payment: { id: string; clientSecret: string | null; setup?: { customer: string | null }; voucher?: true },
) => Promise<unknown>;

/** A titre-restaurant's part of an online order (meal-vouchers-online.ts): a payment of its own beside the card's. */
export interface VoucherPart {
  amountCents: number;
  issuer: string;
  /** The shop's SIRET, which the provider asks of a meal-voucher payment. */
  siret: string | null;
}

/** A hold placed off-session on a saved card, a day before the order's slot. */
export interface HoldRequest {
  orderId: string;
  /** The order's payment attempt: with the amount, what the idempotency key stands for. */
  attempt: number;
  amountCents: number;
  customer: string | null;
  paymentMethod: string;
  /** One per order and attempt: a retried job gets the hold (or the refusal) the first call got. */
  idempotencyKey: string;
  description: string;
}

/**
 * What the provider answered: the hold, or its refusal (declined, authentication required), with
 * the payment the customer can still complete on the payment page (its client secret).
 */
export type HoldResult =
  | { outcome: 'held'; paymentId: string; amountCents: number }
  | { outcome: 'refused'; paymentId: string | null; clientSecret: string | null; reason: string };

/** A tip given after the delivery: a payment of its own, taken at once (src/lib/server/money/tip-payments.ts). */
export interface TipPaymentRequest {
  tipId: string;
  orderId: string;
  amountCents: number;
  /** One per tip: a retried job gets the same payment. */
  idempotencyKey: string;
  description: string;
}

/**
 * The provider makes a payment (a card hold) for the order's total and attempt, and hands it to the
 * keeper; what the customer does on the payment form comes back through the webhook. Capture,
 * release and refunds are the workers' calls, each with an idempotency key.
 */
export interface PaymentProvider {
  readonly name: string;
  /** With `voucher`: two payments, the voucher's part and the card's for the rest, each handed to the keeper. */
  begin(order: OrderView, voucher?: VoucherPart | null): Promise<void>;
  /** The provider's fingerprint of the card a payment was made with (a titre-restaurant's daily amount is per card). */
  cardFingerprint?(paymentId: string, paymentMethod?: string | null): Promise<string | null>;
  refund(request: RefundRequest): Promise<RefundResult>;
  /** Takes `amountCents` of a card hold (at most the hold); a retry with the same key takes it once. */
  capture?(request: CaptureRequest): Promise<{ amountCents: number }>;
  /** Makes the payment of a tip given after the delivery (taken at once, no hold): its id and its form's secret. */
  payTip?(request: TipPaymentRequest): Promise<{ id: string; clientSecret: string | null }>;
  /** Lets a card hold go (the order was cancelled before the kitchen started it). */
  release?(request: ReleaseRequest): Promise<void>;
  /** The payment as the provider sees it now (asked before an unpaid order is cancelled). */
  retrieve?(paymentId: string): Promise<ProviderPayment>;
  /**
   * Saves the customer's card for a hold placed later (an order for a slot far ahead): a setup for
   * off-session use on a customer of the order, handed to the keeper with `setup`. The same order
   * asked again answers the same setup.
   */
  saveCard?(order: OrderView): Promise<void>;
  /** Places the hold on the saved card, off-session (confirmed at once, the customer away). */
  placeHold?(request: HoldRequest): Promise<HoldResult>;
  /** Forgets a saved card (detached from its customer): the order it was saved for has ended. */
  forgetCard?(request: { orderId: string; paymentMethod: string; idempotencyKey: string }): Promise<void>;
  /**
   * Deletes a customer made for a saved card (its account erased), with what the provider kept of
   * them: 'gone' when the provider no longer knows it (deleted already: an earlier run whose answer
   * was lost). Any other failure is thrown, for the job to try again.
   */
  deleteCustomer?(customerRef: string): Promise<'deleted' | 'gone'>;
  /** The card's setup as the provider sees it now (asked before an order waiting for it expires). */
  retrieveSetup?(setupId: string): Promise<ProviderSetup>;
  /** Whether a failed call is the provider's refusal (a card error, an invalid request), which a retry will not change. */
  isRefusal(err: unknown): boolean;
  /** An event in the provider's own shape, already believed (a job queued by an earlier version carries one), as the system's notice. */
  noticeOf(event: unknown): PaymentNotice;
}

/** The provider's webhook, as the server receives it. */
export interface PaymentWebhook {
  /** Its address: /api/payments/<path>/webhook. */
  readonly path: string;
  /** The notice in a signed body: an AppError 400 when the signature does not match or the body is not an event. */
  read(body: Buffer | string, headers: IncomingHttpHeaders): PaymentNotice;
}
