// The payment webhook's two ends, shared by Stripe's real webhook and the demo payment page: an
// event is a JSON body signed with the webhook secret (Stripe's scheme: a timestamp and an
// HMAC-SHA256 in the Stripe-Signature header), and only a body whose signature checks is believed.
import Stripe from 'stripe';
import { AppError } from './errors.ts';
import type { PaymentEvent } from './payments.ts';

/** The event in a signed body; a missing, forged or stale signature, or a body that is not an event: 400. */
export function verifyPaymentEvent(body: Buffer | string, signature: unknown, secret: string): PaymentEvent {
  let event: { id?: unknown; type?: unknown };
  try {
    if (typeof signature !== 'string' || !(Buffer.isBuffer(body) || typeof body === 'string')) throw new Error('no signature');
    event = Stripe.webhooks.constructEvent(body, signature, secret) as unknown as typeof event;
  } catch {
    throw new AppError(400, 'bad_signature', 'the Stripe-Signature header does not match this body');
  }
  if (typeof event.id !== 'string' || !event.id || event.id.length > 255 || typeof event.type !== 'string') {
    throw new AppError(400, 'bad_event', 'a signed body that is not an event (an id and a type)');
  }
  return event as unknown as PaymentEvent;
}

/** Signs a body as Stripe does (the demo payment page's events; tests). */
export function signPaymentEvent(payload: string, secret: string): string {
  return Stripe.webhooks.generateTestHeaderString({ payload, secret });
}
