// Paying at the door by QR code through Stripe Checkout: a Checkout Session in `payment` mode for
// exactly what the order owes (https://docs.stripe.com/api/checkout/sessions/create, one line with
// `price_data`, no Price kept at Stripe), Stripe-hosted, paid once and expiring on its own after
// DOOR_QR_MINUTES. Chosen over a Payment Link (https://docs.stripe.com/payment-links), which is made
// to be shared and paid many times from a Price: a session is one customer's one payment, can be
// closed at once (https://docs.stripe.com/api/checkout/sessions/expire) when the driver takes cash,
// and its events say paid, failed or expired. What the customer did comes back by webhook
// (stripe.ts reads it); every creating call carries an idempotency key made from our own row.
import type Stripe from 'stripe';
import type { DoorQrProvider, ProviderDoorPayment } from './door-qr.ts';
import { isStripeRefusal } from './stripe.ts';

export class StripeDoorQrProvider implements DoorQrProvider {
  readonly name = 'stripe';

  constructor(
    private readonly stripe: Stripe,
    private readonly currency = 'eur',
  ) {}

  async open(r: { paymentId: string; orderId: string; shopId: number; amountCents: number; description: string; expiresAt: Date; returnUrl: string }) {
    const metadata = { order_id: r.orderId, door_qr: r.paymentId, pizzeria_id: String(r.shopId) };
    const session = await this.stripe.checkout.sessions.create(
      {
        mode: 'payment',
        line_items: [{ quantity: 1, price_data: { currency: this.currency, unit_amount: r.amountCents, product_data: { name: r.description } } }],
        client_reference_id: r.orderId,
        expires_at: Math.ceil(r.expiresAt.getTime() / 1000),
        locale: 'fr',
        success_url: r.returnUrl,
        metadata,
        payment_intent_data: { description: r.description, metadata },
      },
      { idempotencyKey: `dqr-${r.paymentId}` },
    );
    return { ref: session.id, url: session.url ?? '' };
  }

  async expire(ref: string): Promise<'expired' | 'paid'> {
    try {
      await this.stripe.checkout.sessions.expire(ref);
      return 'expired';
    } catch (err) {
      if (!isStripeRefusal(err)) throw err;
      // only an open session can be expired: one already complete was paid (or is being paid)
      const s = await this.stripe.checkout.sessions.retrieve(ref);
      return s.status === 'complete' ? 'paid' : 'expired';
    }
  }

  async refund(r: { ref: string; intentRef: string | null; amountCents: number; orderId: string; key: string }): Promise<void> {
    const intent = r.intentRef ?? (await this.stripe.checkout.sessions.retrieve(r.ref)).payment_intent;
    const id = typeof intent === 'string' ? intent : intent?.id;
    if (!id) throw new Error(`no payment to give back on ${r.ref}`);
    await this.stripe.refunds.create({ payment_intent: id, amount: r.amountCents, metadata: { order_id: r.orderId, door_qr: r.ref } }, { idempotencyKey: r.key });
  }

  /** The sessions made between two instants (a code is counted on the day it was shown) that were paid. */
  async paid(from: Date, to: Date): Promise<ProviderDoorPayment[]> {
    const out: ProviderDoorPayment[] = [];
    // https://docs.stripe.com/api/checkout/sessions/list: by `created` and `status`
    const list = this.stripe.checkout.sessions.list({ created: { gte: Math.floor(from.getTime() / 1000), lt: Math.ceil(to.getTime() / 1000) }, status: 'complete', limit: 100 });
    for await (const s of list) {
      if (s.payment_status !== 'paid' || !s.metadata?.door_qr) continue;
      out.push({ id: s.id, amountCents: s.amount_total ?? 0, shopId: Number(s.metadata.pizzeria_id) || null, orderId: s.metadata.order_id ?? null });
    }
    return out;
  }
}
