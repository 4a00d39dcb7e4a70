// Which provider takes online payments, from the settings: Stripe when its keys are set, the demo
// page otherwise (development, a demo, the tests), none when online payment is off. A new provider
// is a file beside stripe.ts implementing PaymentProvider and PaymentWebhook, chosen here.
import type { Config } from '../kernel/config.ts';
import { DemoPaymentProvider } from './demo.ts';
import type { PaymentKeeper, PaymentProvider, PaymentWebhook } from './provider.ts';
import { StripePaymentProvider, stripeClient, stripeWebhook } from './stripe.ts';
import type { TerminalProvider } from './terminal.ts';
import { StripeTerminalProvider } from './terminal-stripe.ts';
import { DemoTerminalProvider } from './terminal-demo.ts';

/** The provider the workers call; `keep` records the payment it makes for an order's attempt. */
export function paymentProviderFor(config: Config, keep: PaymentKeeper): PaymentProvider {
  const stripe = stripeClient(config);
  return stripe ? new StripePaymentProvider(stripe, keep) : new DemoPaymentProvider(keep);
}

/** The counter's card terminal: Stripe Terminal with Stripe's keys, the demo's simulated reader in demo mode, none when payments are off. */
export function terminalProviderFor(config: Config): TerminalProvider | null {
  const stripe = stripeClient(config);
  if (stripe) return new StripeTerminalProvider(stripe);
  return config.paymentMode === 'demo' && config.paymentWebhookSecret ? new DemoTerminalProvider(config.paymentWebhookSecret) : null;
}

/** The webhook the server receives events on (null when payments are not taken online). */
export function paymentWebhookFor(config: Config): PaymentWebhook | null {
  if (config.paymentMode === 'off' || !config.paymentWebhookSecret) return null;
  return stripeWebhook(config.paymentWebhookSecret, config.paymentMode === 'stripe' ? 'stripe' : 'demo');
}
