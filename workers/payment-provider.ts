import type Stripe from 'stripe';
import type { OrderView } from '../src/lib/realtime/contract.ts';
import { addJob, jobId, type Queues } from '../src/lib/server/queues.ts';

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

/**
 * How online money moves. The provider starts a payment for the order's total and attempt;
 * whatever confirms it (a webhook, or the development provider's timer) ends in
 * `payments:confirm` with the attempt, the amount taken and a reference. Refunds go back
 * through the provider too.
 */
export interface PaymentProvider {
  readonly name: string;
  begin(order: OrderView): Promise<void>;
  refund(request: RefundRequest): Promise<RefundResult>;
  /** Takes `amountCents` of a card hold (at most the hold); a retry with the same key takes it once. */
  capture?(request: { orderId: string; intentId: string; amountCents: number; idempotencyKey: string }): Promise<{ amountCents: number }>;
  /** Lets a card hold go (the order was cancelled before the kitchen started it). */
  release?(request: { orderId: string; intentId: string; idempotencyKey: string }): Promise<void>;
}

/**
 * Stripe, with the `stripe` package: a PaymentIntent per order and payment attempt, for the
 * order's total, captured by hand (the hold is taken when the kitchen starts the order). Every
 * call carries an idempotency key made from the order (and attempt, or amount refunded so far),
 * so a retried job never charges, captures or refunds twice. What the customer does on the payment
 * form comes back as webhook events (server/api.ts), not from here.
 */
export class StripePaymentProvider implements PaymentProvider {
  readonly name = 'stripe';

  constructor(
    private readonly stripe: Stripe,
    private readonly onIntent: (orderId: string, attempt: number, intent: { id: string; clientSecret: string | null }) => Promise<unknown>,
    private readonly currency = 'eur',
  ) {}

  async begin(order: OrderView): Promise<void> {
    const attempt = order.payment.attempt ?? 1;
    const intent = await this.stripe.paymentIntents.create(
      {
        amount: order.totalCents,
        currency: this.currency,
        capture_method: 'manual',
        automatic_payment_methods: { enabled: true },
        description: `OC Pizza, commande ${order.number}`,
        metadata: { order_id: order.id, attempt: String(attempt), pizzeria_id: String(order.pizzeriaId) },
      },
      { idempotencyKey: `pi-${order.id}-${attempt}` },
    );
    await this.onIntent(order.id, attempt, { id: intent.id, clientSecret: intent.client_secret });
  }

  async capture(r: { orderId: string; intentId: string; amountCents: number; idempotencyKey: string }): Promise<{ amountCents: number }> {
    const intent = await this.stripe.paymentIntents.capture(r.intentId, { amount_to_capture: r.amountCents }, { idempotencyKey: r.idempotencyKey });
    return { amountCents: intent.amount_received };
  }

  async release(r: { orderId: string; intentId: string; idempotencyKey: string }): Promise<void> {
    await this.stripe.paymentIntents.cancel(r.intentId, { cancellation_reason: 'abandoned' }, { idempotencyKey: r.idempotencyKey });
  }

  async refund(r: RefundRequest): Promise<RefundResult> {
    const refund = await this.stripe.refunds.create(
      { payment_intent: r.paymentReference, amount: r.amountCents, metadata: { order_id: r.orderId } },
      { idempotencyKey: r.idempotencyKey },
    );
    return { amountCents: refund.amount, reference: refund.id, refundedAt: new Date(refund.created * 1000) };
  }
}

/**
 * Development provider: confirms every online payment after a short delay, for the amount asked,
 * as a customer paying would; records every refund (amount and time) and answers a retried one
 * with the first result.
 */
export class DevPaymentProvider implements PaymentProvider {
  readonly name = 'development';
  readonly refunds = new Map<string, RefundResult & { orderId: string; paymentReference: string }>();

  constructor(
    private readonly queues: Queues,
    private readonly delayMs: number,
  ) {}

  async begin(order: OrderView): Promise<void> {
    const attempt = order.payment.attempt;
    await addJob(
      this.queues.payments,
      'confirm',
      { orderId: order.id, attempt, amountCents: order.totalCents, reference: `dev-${order.id}-${attempt}` },
      { jobId: jobId.paymentConfirm(order.id, attempt), delay: this.delayMs },
    );
  }

  async refund(r: RefundRequest): Promise<RefundResult> {
    const earlier = this.refunds.get(r.idempotencyKey);
    if (earlier) return earlier;
    const done = { orderId: r.orderId, paymentReference: r.paymentReference, amountCents: r.amountCents, reference: `dev-refund-${r.idempotencyKey}`, refundedAt: new Date() };
    this.refunds.set(r.idempotencyKey, done);
    return done;
  }
}
