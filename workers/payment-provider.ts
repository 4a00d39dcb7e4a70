import type Stripe from 'stripe';
import type { OrderView } from '../src/lib/realtime/contract.ts';
import { demoIntent } from '../src/lib/server/demo-payments.ts';
import type { IntentObject } from '../src/lib/server/payments.ts';

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
 * How online money moves. The provider makes a payment (a card hold) for the order's total and
 * attempt; what the customer does on the payment form comes back as signed webhook events (Stripe's,
 * or the demo page's), which the workers apply. Capture, release and refunds are the workers' calls.
 */
export interface PaymentProvider {
  readonly name: string;
  begin(order: OrderView): Promise<void>;
  refund(request: RefundRequest): Promise<RefundResult>;
  /** Takes `amountCents` of a card hold (at most the hold); a retry with the same key takes it once. */
  capture?(request: { orderId: string; intentId: string; amountCents: number; idempotencyKey: string }): Promise<{ amountCents: number }>;
  /** Lets a card hold go (the order was cancelled before the kitchen started it). */
  release?(request: { orderId: string; intentId: string; idempotencyKey: string }): Promise<void>;
  /** The payment as the provider sees it now (asked before an unpaid order is cancelled). */
  retrieve?(intentId: string): Promise<IntentObject>;
}

/**
 * Stripe, with the `stripe` package: a PaymentIntent per order and payment attempt, for the
 * order's total, captured by hand (the hold is taken when the kitchen starts the order). Every
 * call carries an idempotency key made from the order (and attempt, or amount refunded so far),
 * so a retried job never charges, captures or refunds twice. What the customer does on the payment
 * form comes back as webhook events (server/api/payments.ts), not from here.
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

  async retrieve(intentId: string): Promise<IntentObject> {
    const i = await this.stripe.paymentIntents.retrieve(intentId);
    return {
      id: i.id, object: i.object, status: i.status, amount: i.amount, amount_capturable: i.amount_capturable, amount_received: i.amount_received,
      metadata: i.metadata, last_payment_error: i.last_payment_error ? { message: i.last_payment_error.message, code: i.last_payment_error.code } : null,
    };
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
 * The demo provider (no Stripe keys): the same payments as Stripe's, whose only difference is that
 * nothing goes over the network. A PaymentIntent per order and attempt is made up here (its id the
 * same on a retry), the customer pays on the demo page (src/lib/server/demo-payments.ts: a signed
 * event, through the same webhook), and capture, release and refund answer as Stripe would, a
 * retry with the same key answering the first result. No card is ever charged.
 */
export class DemoPaymentProvider implements PaymentProvider {
  readonly name = 'demo';
  /** What was captured, let go and refunded, by idempotency key (for the tests to see, as Stripe's dashboard would). */
  readonly captures = new Map<string, { orderId: string; intentId: string; amountCents: number }>();
  readonly releases = new Map<string, { orderId: string; intentId: string }>();
  readonly refunds = new Map<string, RefundResult & { orderId: string; paymentReference: string }>();

  constructor(private readonly onIntent: (orderId: string, attempt: number, intent: { id: string; clientSecret: string | null }) => Promise<unknown>) {}

  async begin(order: OrderView): Promise<void> {
    const attempt = order.payment.attempt ?? 1;
    await this.onIntent(order.id, attempt, demoIntent(order.id, attempt));
  }

  async capture(r: { orderId: string; intentId: string; amountCents: number; idempotencyKey: string }): Promise<{ amountCents: number }> {
    const done = this.captures.get(r.idempotencyKey) ?? { orderId: r.orderId, intentId: r.intentId, amountCents: r.amountCents };
    this.captures.set(r.idempotencyKey, done);
    return { amountCents: done.amountCents };
  }

  async release(r: { orderId: string; intentId: string; idempotencyKey: string }): Promise<void> {
    this.releases.set(r.idempotencyKey, { orderId: r.orderId, intentId: r.intentId });
  }

  async refund(r: RefundRequest): Promise<RefundResult> {
    const earlier = this.refunds.get(r.idempotencyKey);
    if (earlier) return earlier;
    const done = { orderId: r.orderId, paymentReference: r.paymentReference, amountCents: r.amountCents, reference: `re_demo_${r.idempotencyKey.replace(/[^A-Za-z0-9]/g, '').slice(0, 40)}`, refundedAt: new Date() };
    this.refunds.set(r.idempotencyKey, done);
    return done;
  }
}
