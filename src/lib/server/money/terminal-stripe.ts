// The shop's card terminal through Stripe Terminal's server-driven integration
// (https://docs.stripe.com/terminal/payments/collect-card-payment?terminal-sdk-platform=server-driven):
// a location per shop and its readers registered with their code, a card_present PaymentIntent for
// what the order owes handed to the reader, the reader's action cancelled, and the day's card_present
// payments listed for the takings' reconciliation. What the reader did comes back by webhook
// (stripe.ts reads it). Every creating call carries an idempotency key made from our own row.
import type Stripe from 'stripe';
import { AppError } from '../kernel/errors.ts';
import { isStripeRefusal } from './stripe.ts';
import type { ProviderTerminalPayment, TerminalProvider } from './terminal.ts';

export class StripeTerminalProvider implements TerminalProvider {
  readonly name = 'stripe';

  constructor(
    private readonly stripe: Stripe,
    private readonly currency = 'eur',
  ) {}

  async createLocation(shop: { id: number; name: string; address: string }): Promise<string> {
    const location = await this.stripe.terminal.locations.create(
      { display_name: shop.name.slice(0, 100), address: { line1: shop.address.slice(0, 200), city: 'Paris', country: 'FR' }, metadata: { pizzeria_id: String(shop.id) } },
      { idempotencyKey: `tml-${shop.id}` },
    );
    return location.id;
  }

  async registerReader(r: { code: string; label: string; location: string; key: string }): Promise<string> {
    try {
      const reader = await this.stripe.terminal.readers.create({ registration_code: r.code, label: r.label, location: r.location }, { idempotencyKey: r.key });
      return reader.id;
    } catch (err) {
      // a code the provider does not know (mistyped, expired): the manager's to correct
      if (isStripeRefusal(err)) throw new AppError(400, 'bad_registration_code', (err as Error).message, { fields: { code: 'the code the reader shows (Settings › Generate pairing code)' } });
      throw err;
    }
  }

  async charge(r: { paymentId: string; orderId: string; shopId: number; amountCents: number; description: string }): Promise<string> {
    const intent = await this.stripe.paymentIntents.create(
      {
        amount: r.amountCents,
        currency: this.currency,
        // https://docs.stripe.com/changelog/endive/2026-09-30/card-present-and-interac-present-enum-values-for-allowed-payment-method-types
        allowed_payment_method_types: ['card_present'],
        capture_method: 'automatic',
        description: r.description,
        metadata: { order_id: r.orderId, terminal_payment: r.paymentId, pizzeria_id: String(r.shopId) },
      },
      { idempotencyKey: `tpi-${r.paymentId}` },
    );
    return intent.id;
  }

  async process(readerRef: string, intentId: string, paymentId: string): Promise<void> {
    try {
      await this.stripe.terminal.readers.processPaymentIntent(readerRef, { payment_intent: intentId }, { idempotencyKey: `tproc-${paymentId}` });
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code === 'terminal_reader_busy' || isStripeRefusal(err)) throw new AppError(409, 'reader_busy', `the reader did not take the payment: ${(err as Error).message}`);
      throw err;
    }
  }

  async cancel(readerRef: string, intentId: string | null): Promise<'cancelled' | 'taken'> {
    try {
      await this.stripe.terminal.readers.cancelAction(readerRef);
    } catch (err) {
      if (!isStripeRefusal(err)) throw err;
    }
    if (!intentId) return 'cancelled';
    // the intent let go as well, so that no card presented late can still be taken
    try {
      await this.stripe.paymentIntents.cancel(intentId, { cancellation_reason: 'abandoned' });
      return 'cancelled';
    } catch (err) {
      if (!isStripeRefusal(err)) throw err;
      const intent = await this.stripe.paymentIntents.retrieve(intentId);
      return intent.status === 'succeeded' ? 'taken' : 'cancelled';
    }
  }

  async taken(from: Date, to: Date): Promise<ProviderTerminalPayment[]> {
    const out: ProviderTerminalPayment[] = [];
    const list = this.stripe.paymentIntents.list({ created: { gte: Math.floor(from.getTime() / 1000), lt: Math.ceil(to.getTime() / 1000) }, limit: 100 });
    for await (const i of list) {
      if (i.status !== 'succeeded' || !i.payment_method_types?.includes('card_present')) continue;
      out.push({ id: i.id, amountCents: i.amount_received, shopId: Number(i.metadata?.pizzeria_id) || null, orderId: i.metadata?.order_id ?? null });
    }
    return out;
  }
}
