import type { OrderView } from '../src/lib/realtime/contract.ts';
import { jobId, type Queues } from './queues.ts';

/**
 * How an online payment is taken. The provider starts a payment for a placed order; whatever
 * confirms it (a webhook, or the development provider's timer) ends in `payments:confirm`,
 * which moves the order to the kitchen.
 */
export interface PaymentProvider {
  readonly name: string;
  begin(order: OrderView): Promise<void>;
}

/** Development provider: confirms every online payment after a short delay, as a customer paying would. */
export class DevPaymentProvider implements PaymentProvider {
  readonly name = 'development';
  constructor(
    private readonly queues: Queues,
    private readonly delayMs: number,
  ) {}

  async begin(order: OrderView): Promise<void> {
    await this.queues.payments.add('confirm', { orderId: order.id }, { jobId: jobId.paymentConfirm(order.id), delay: this.delayMs });
  }
}
