// How online money moves, whatever the provider: what the workers ask of it (a payment for an
// order, capture, release, refund, what it sees of a payment now) and how its webhook is read.
// Stripe (stripe.ts) and the demo page (demo.ts) implement it; a third provider implements the same
// two interfaces and is chosen in index.ts, without touching the ledger or the workers.
import type { IncomingHttpHeaders } from 'node:http';
import type { OrderView } from '../../realtime/contract.ts';
import type { PaymentNotice, ProviderPayment } from './notices.ts';

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

/** Keeps the provider's payment for an order's attempt, with the secret its payment form needs (ledger.ts: rememberIntent). */
export type PaymentKeeper = (orderId: string, attempt: number, payment: { id: string; clientSecret: string | null }) => Promise<unknown>;

/**
 * The provider makes a payment (a card hold) for the order's total and attempt, and hands it to the
 * keeper; what the customer does on the payment form comes back through the webhook. Capture,
 * release and refunds are the workers' calls, each with an idempotency key.
 */
export interface PaymentProvider {
  readonly name: string;
  begin(order: OrderView): Promise<void>;
  refund(request: RefundRequest): Promise<RefundResult>;
  /** Takes `amountCents` of a card hold (at most the hold); a retry with the same key takes it once. */
  capture?(request: CaptureRequest): Promise<{ amountCents: number }>;
  /** Lets a card hold go (the order was cancelled before the kitchen started it). */
  release?(request: ReleaseRequest): Promise<void>;
  /** The payment as the provider sees it now (asked before an unpaid order is cancelled). */
  retrieve?(paymentId: string): Promise<ProviderPayment>;
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
