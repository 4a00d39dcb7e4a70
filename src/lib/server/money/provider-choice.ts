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
  if (config.paymentMode !== 'demo' || !config.paymentWebhookSecret) return null;
  // the demo's simulated reader lives in the process: one for the API and the pages alike
  const secret = config.paymentWebhookSecret;
  if (!demoTerminals.has(secret)) demoTerminals.set(secret, new DemoTerminalProvider(secret));
  return demoTerminals.get(secret)!;
}
// on the process, not the module: the API and the built pages each load their own copy of this file
const demoTerminals: Map<string, DemoTerminalProvider> = ((globalThis as { [k: symbol]: unknown })[Symbol.for('ocp.demoTerminals')] ??= new Map()) as Map<string, DemoTerminalProvider>;

/** The webhook the server receives events on (null when payments are not taken online). */
export function paymentWebhookFor(config: Config): PaymentWebhook | null {
  if (config.paymentMode === 'off' || !config.paymentWebhookSecret) return null;
  return stripeWebhook(config.paymentWebhookSecret, config.paymentMode === 'stripe' ? 'stripe' : 'demo');
}
