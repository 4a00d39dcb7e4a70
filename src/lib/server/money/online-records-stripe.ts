// The provider's records of online payments, from Stripe: its PaymentIntents made between two
// instants (https://docs.stripe.com/api/payment_intents/list, filtered by `created`), those captured
// (status succeeded, what was received), leaving out the card terminal's (card_present), the QR
// codes' (made by a Checkout Session, metadata door_qr) and the tips paid after the delivery
// (metadata tip_id), which are reconciled, or counted, apart.
import type Stripe from 'stripe';
import type { OnlineRecords, ProviderOnlinePayment } from './online-reconciliation.ts';

export class StripeOnlineRecords implements OnlineRecords {
  constructor(private readonly stripe: Stripe) {}

  async taken(from: Date, to: Date): Promise<ProviderOnlinePayment[]> {
    const out: ProviderOnlinePayment[] = [];
    const list = this.stripe.paymentIntents.list({ created: { gte: Math.floor(from.getTime() / 1000), lt: Math.ceil(to.getTime() / 1000) }, limit: 100 });
    for await (const i of list) {
      if (i.status !== 'succeeded' || i.payment_method_types?.includes('card_present') || i.metadata?.door_qr || i.metadata?.tip_id) continue;
      out.push({
        id: i.id, amountCents: i.amount_received, shopId: Number(i.metadata?.pizzeria_id) || null,
        orderId: i.metadata?.order_id ?? null, createdAt: new Date(i.created * 1000),
      });
    }
    return out;
  }
}
