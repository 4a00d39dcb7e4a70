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
