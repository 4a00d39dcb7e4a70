// Which provider takes online payments, from the settings: Stripe when its keys are set, the demo
// page otherwise (development, a demo, the tests), none when online payment is off. A new provider
// is a file beside stripe.ts implementing PaymentProvider and PaymentWebhook, chosen here.
import type { Config } from '../kernel/config.ts';
import { DemoPaymentProvider } from './demo.ts';
import type { PaymentKeeper, PaymentProvider, PaymentWebhook } from './provider.ts';
import { StripePaymentProvider, stripeClient, stripeWebhook } from './stripe.ts';

/** The provider the workers call; `keep` records the payment it makes for an order's attempt. */
export function paymentProviderFor(config: Config, keep: PaymentKeeper): PaymentProvider {
  const stripe = stripeClient(config);
  return stripe ? new StripePaymentProvider(stripe, keep) : new DemoPaymentProvider(keep);
}

/** The webhook the server receives events on (null when payments are not taken online). */
export function paymentWebhookFor(config: Config): PaymentWebhook | null {
  if (config.paymentMode === 'off' || !config.paymentWebhookSecret) return null;
  return stripeWebhook(config.paymentWebhookSecret, config.paymentMode === 'stripe' ? 'stripe' : 'demo');
}
