// The demo payment page's side of the payment (no Stripe keys: development, a demo, the tests). The
// customer types one of the test cards; the server builds the event Stripe would send for that
// card (a hold on it, or a refusal), signs it with the local webhook secret, and hands it to the
// same webhook code as Stripe's: from there on the road is the same (queue, processed events, order
// moved, capture when the kitchen starts). No card is ever charged.
import { createHash, randomBytes } from 'node:crypto';
import { z } from 'zod';
import { AppError, conflict, invalid } from './errors.ts';
import { signPaymentEvent } from './payment-webhook.ts';
import type { PaymentForm } from './payments.ts';

/** The demo's cards, as Stripe's test cards behave: any other valid number is accepted. */
export const DEMO_CARDS = {
  accepted: '4242 4242 4242 4242',
  declined: '4000 0000 0000 0002',
  insufficientFunds: '4000 0000 0000 9995',
} as const;

const REFUSALS: Record<string, { code: string; message: string }> = {
  '4000000000000002': { code: 'card_declined', message: 'Your card was declined.' },
  '4000000000009995': { code: 'insufficient_funds', message: 'Your card has insufficient funds.' },
};

function luhn(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
    sum += d;
  }
  return sum % 10 === 0;
}

export const demoCardSchema = z.strictObject({
  number: z
    .string()
    .max(40)
    .transform((s) => s.replace(/[\s-]/g, ''))
    .pipe(z.string().regex(/^\d{12,19}$/, 'a card number of 12 to 19 digits').refine(luhn, 'this card number is not valid (check the digits)')),
  expiry: z
    .string()
    .max(10)
    .regex(/^\s*(0[1-9]|1[0-2])\s*\/\s*(\d{2})\s*$/, 'MM/YY')
    .refine((s) => {
      const [, mm, yy] = /(\d{2})\s*\/\s*(\d{2})/.exec(s)!;
      const now = new Date();
      return 2000 + Number(yy) > now.getUTCFullYear() || (2000 + Number(yy) === now.getUTCFullYear() && Number(mm) >= now.getUTCMonth() + 1);
    }, 'this card has expired'),
  cvc: z.string().regex(/^\d{3,4}$/, '3 or 4 digits'),
});
export type DemoCard = z.infer<typeof demoCardSchema>;

/** The demo's PaymentIntent for an order's attempt: the same id on every retry, a client secret like Stripe's. */
export function demoIntent(orderId: string, attempt: number): { id: string; clientSecret: string } {
  const id = `pi_demo_${createHash('sha256').update(`${orderId}/${attempt}`).digest('hex').slice(0, 24)}`;
  return { id, clientSecret: `${id}_secret_${randomBytes(12).toString('hex')}` };
}

/**
 * The customer pays the order on the demo page with `card`: the signed event Stripe would send, to
 * hand to the webhook. Refused (409) when the order is not waiting for this payment any more, or its
 * payment is not ready yet; the card's own refusal is an event like Stripe's, not an error.
 */
export function demoPaymentEvent(form: PaymentForm, card: DemoCard, secret: string): { payload: string; signature: string; refused: string | null } {
  if (form.method !== 'online' || form.status !== 'pending_payment') {
    throw conflict('not_pending', form.status === 'cancelled' ? 'this order was cancelled: nothing to pay' : 'this order is not waiting for an online payment');
  }
  if (!form.intentId) throw new AppError(409, 'payment_not_ready', 'the payment is being prepared: try again in a moment');
  const refusal = REFUSALS[card.number] ?? null;
  const intent = {
    id: form.intentId,
    object: 'payment_intent',
    amount: form.totalCents,
    amount_capturable: refusal ? 0 : form.totalCents,
    amount_received: 0,
    currency: 'eur',
    capture_method: 'manual',
    status: refusal ? 'requires_payment_method' : 'requires_capture',
    livemode: false,
    metadata: { order_id: form.orderId, attempt: String(form.attempt) },
    last_payment_error: refusal ? { code: refusal.code, message: refusal.message, type: 'card_error' } : null,
    payment_method_types: ['card'],
  };
  const event = {
    id: `evt_demo_${randomBytes(12).toString('hex')}`,
    object: 'event',
    api_version: '2025-01-01',
    created: Math.floor(Date.now() / 1000),
    livemode: false,
    type: refusal ? 'payment_intent.payment_failed' : 'payment_intent.amount_capturable_updated',
    data: { object: intent },
  };
  const payload = JSON.stringify(event);
  return { payload, signature: signPaymentEvent(payload, secret), refused: refusal?.message ?? null };
}

/** Reads a card from a form or JSON body, with field errors a person can act on. */
export function parseDemoCard(input: unknown): DemoCard {
  const parsed = demoCardSchema.safeParse(input);
  if (!parsed.success) {
    throw invalid(Object.fromEntries(parsed.error.issues.map((i) => [i.path.join('.') || 'card', i.message])), 'check the card');
  }
  return parsed.data;
}
