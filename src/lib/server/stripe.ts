// The one Stripe client of a process, from the settings: the real API, or another server that
// speaks its protocol (STRIPE_API_URL: the tests' local one).
import Stripe from 'stripe';

export function stripeClient(c: { STRIPE_SECRET_KEY?: string; STRIPE_API_URL?: string }): Stripe | null {
  if (!c.STRIPE_SECRET_KEY) return null;
  const at = c.STRIPE_API_URL ? new URL(c.STRIPE_API_URL) : null;
  return new Stripe(c.STRIPE_SECRET_KEY, {
    // a network failure is retried by the client (with the same idempotency key), then by the job
    maxNetworkRetries: 2,
    timeout: 20_000,
    ...(at ? { host: at.hostname, port: Number(at.port || (at.protocol === 'https:' ? 443 : 80)), protocol: at.protocol.replace(':', '') as 'http' | 'https' } : {}),
  });
}
