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
import type { DoorQrProvider } from './door-qr.ts';
import { StripeDoorQrProvider } from './door-qr-stripe.ts';
import { DemoDoorQrProvider } from './door-qr-demo.ts';
import type { OnlineRecords } from './online-reconciliation.ts';
import { StripeOnlineRecords } from './online-records-stripe.ts';

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

/** Paying at the door by QR code: Stripe Checkout with Stripe's keys, the demo's page in demo mode, none when payments are off. */
export function doorQrProviderFor(config: Config): DoorQrProvider | null {
  const stripe = stripeClient(config);
  if (stripe) return new StripeDoorQrProvider(stripe);
  return config.paymentMode === 'demo' && config.paymentWebhookSecret ? new DemoDoorQrProvider(config.paymentWebhookSecret) : null;
}

/**
 * The provider's records of the online payments, for the takings' reconciliation: Stripe's with its
 * keys; none otherwise (the demo's payments live in the workers' process, not in a provider to ask).
 */
export function onlineRecordsFor(config: Config): OnlineRecords | null {
  const stripe = stripeClient(config);
  return stripe ? new StripeOnlineRecords(stripe) : null;
}

/** The webhook the server receives events on (null when payments are not taken online). */
export function paymentWebhookFor(config: Config): PaymentWebhook | null {
  if (config.paymentMode === 'off' || !config.paymentWebhookSecret) return null;
  return stripeWebhook(config.paymentWebhookSecret, config.paymentMode === 'stripe' ? 'stripe' : 'demo');
}
