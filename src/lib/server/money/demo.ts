// The demo payments (no Stripe keys: development, a demo, the tests). The customer types one of the
// test cards on the demo page; the server builds the event Stripe would send for that card (a hold
// on it, or a refusal), signs it with the local webhook secret, and hands it to the same webhook
// code as Stripe's: from there on the road is the same (queue, processed events, order moved,
// capture when the kitchen starts). The workers' calls answer as Stripe would. No card is ever charged.
import { createHash, randomBytes } from 'node:crypto';
import { z } from 'zod';
import { expiryText, readCardExpiry, type ExpiryRefusal } from '../../domain/card-expiry.ts';
import type { OrderView } from '../../shapes/views.ts';
import { AppError, conflict, invalid } from '../kernel/errors.ts';
import type { PaymentForm } from './payment-form.ts';
import type { PaymentNotice, ProviderSetup } from './notices.ts';
import type { CaptureRequest, HoldRequest, HoldResult, PaymentKeeper, PaymentProvider, RefundRequest, RefundResult, ReleaseRequest, TipPaymentRequest, VoucherPart } from './provider.ts';
import type { TipForm } from './tip-payments.ts';
import { noticeFromStripe, signStripeEvent } from './stripe.ts';

/** The demo's cards, as Stripe's test cards behave: any other valid number is accepted. */
export const DEMO_CARDS = {
  accepted: '4242 4242 4242 4242',
  declined: '4000 0000 0000 0002',
  insufficientFunds: '4000 0000 0000 9995',
  /** Saved without a fuss, then declined when the hold is placed the day before (Stripe's 4000 0000 0000 0341). */
  declinedLater: '4000 0000 0000 0341',
} as const;

/** The last four digits of the demo cards whose hold, placed later off-session, is declined. */
const DECLINED_LATER = new Set(['0341']);

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

const EXPIRY_REFUSALS: Record<ExpiryRefusal, string> = {
  format: 'MM/YY (12/30, or 1230)',
  expired: 'this card has expired',
  too_far: 'check the year: no card runs that long',
};

// Every field is read whatever is typed in it (empty, letters, too long, full-width digits, emoji):
// a refusal names the field, never a failure of the server.
export const demoCardSchema = z.strictObject({
  number: z
    .string()
    .max(40, 'a card number of 12 to 19 digits')
    .transform((s) => s.normalize('NFKC').replace(/[\s-]/g, ''))
    .pipe(z.string().regex(/^\d{12,19}$/, 'a card number of 12 to 19 digits').refine(luhn, 'this card number is not valid (check the digits)')),
  expiry: z
    .string()
    .max(20, EXPIRY_REFUSALS.format)
    .transform((s, ctx) => {
      const read = readCardExpiry(s);
      if ('refused' in read) {
        ctx.addIssue({ code: 'custom', message: EXPIRY_REFUSALS[read.refused] });
        return z.NEVER;
      }
      return expiryText(read);
    }),
  cvc: z
    .string()
    .max(10, '3 or 4 digits')
    .transform((s) => s.normalize('NFKC').trim())
    .pipe(z.string().regex(/^\d{3,4}$/, '3 or 4 digits')),
});
export type DemoCard = z.infer<typeof demoCardSchema>;

/** The demo's PaymentIntent for an order's attempt: the same id on every retry, a client secret like Stripe's. */
export function demoIntent(orderId: string, attempt: number): { id: string; clientSecret: string } {
  const id = `pi_demo_${createHash('sha256').update(`${orderId}/${attempt}`).digest('hex').slice(0, 24)}`;
  return { id, clientSecret: `${id}_secret_${randomBytes(12).toString('hex')}` };
}

const hash = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 24);

/** The demo's card setup of an order, and the customer it is on: the same ids on every retry. */
export function demoSetup(orderId: string): { id: string; clientSecret: string; customer: string } {
  const id = `seti_demo_${hash(`${orderId}/setup`)}`;
  return { id, clientSecret: `${id}_secret_${randomBytes(12).toString('hex')}`, customer: `cus_demo_${hash(`${orderId}/customer`)}` };
}

/**
 * The customer pays the order on the demo page with `card` (or saves it, for an order held the day
 * before; or pays the hold the bank refused then): the signed event Stripe would send, to
 * hand to the webhook. Refused (409) when the order is not waiting for this payment any more, or its
 * payment is not ready yet; the card's own refusal is an event like Stripe's, not an error.
 */
export function demoPaymentEvent(form: PaymentForm, card: DemoCard, secret: string): { payload: string; signature: string; refused: string | null } {
  if (!form.payable) {
    throw conflict('not_pending', form.status === 'cancelled' ? 'this order was cancelled: nothing to pay' : 'this order is not waiting for an online payment');
  }
  if (!form.intentId) throw new AppError(409, 'payment_not_ready', 'the payment is being prepared: try again in a moment');
  const refusal = REFUSALS[card.number] ?? null;
  if (form.kind === 'save') return demoSetupEvent(form, card, refusal, secret);
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
    // eslint-disable-next-line project/named-once -- Stripe's own word for a card payment, not a way of the domain's
    payment_method_types: ['card'],
  };
  return signedDemoEvent(refusal ? 'payment_intent.payment_failed' : 'payment_intent.amount_capturable_updated', intent, refusal, secret);
}

/** The demo's PaymentIntent for a titre-restaurant's part of an order's attempt: the same id on every retry. */
export function demoVoucherIntent(orderId: string, attempt: number): { id: string; clientSecret: string } {
  const id = `pi_demo_voucher_${hash(`${orderId}/${attempt}/voucher`)}`;
  return { id, clientSecret: `${id}_secret_${randomBytes(12).toString('hex')}` };
}

/** The demo's card PaymentMethod for a number typed: the same card gives the same fingerprint, as Stripe's does. */
const demoCardMethod = (number: string) => `pm_demo_fp_${hash(`card/${number}`).slice(0, 16)}`;

/**
 * The customer pays the titre-restaurant's part on the demo page with a meal-voucher card: the event
 * Stripe sends for a PaymentIntent held by hand (or refused), its card a PaymentMethod whose fingerprint
 * the workers read (the same number, the same card). Refused (409) when no part waits for its card.
 */
export function demoVoucherEvent(
  part: { orderId: string; attempt: number; intentId: string | null; cents: number; state: string } | null, card: DemoCard, secret: string,
): { payload: string; signature: string; refused: string | null } {
  if (!part || part.state !== 'waiting') throw conflict('no_voucher', 'this order has no titre-restaurant part waiting for its card');
  if (!part.intentId) throw new AppError(409, 'payment_not_ready', 'the payment is being prepared: try again in a moment');
  const refusal = REFUSALS[card.number] ?? null;
  return signedDemoEvent(refusal ? 'payment_intent.payment_failed' : 'payment_intent.amount_capturable_updated', {
    id: part.intentId, object: 'payment_intent', amount: part.cents, amount_capturable: refusal ? 0 : part.cents, amount_received: 0,
    currency: 'eur', capture_method: 'manual', status: refusal ? 'requires_payment_method' : 'requires_capture', livemode: false,
    metadata: { order_id: part.orderId, attempt: String(part.attempt), voucher: '1' },
    payment_method: refusal ? null : demoCardMethod(card.number),
    last_payment_error: refusal ? { code: refusal.code, message: refusal.message, type: 'card_error' } : null,
    // eslint-disable-next-line project/named-once -- Stripe's own word for a card payment, not a way of the domain's
    payment_method_types: ['card'],
  }, refusal, secret);
}

/** The demo's PaymentIntent for a tip given after the delivery: the same id on every retry. */
export function demoTipIntent(tipId: string): { id: string; clientSecret: string } {
  const id = `pi_demo_tip_${hash(`tip/${tipId}`)}`;
  return { id, clientSecret: `${id}_secret_${randomBytes(12).toString('hex')}` };
}

/**
 * The customer pays a tip on the demo page: the event Stripe sends for a PaymentIntent captured at
 * once (or refused). Refused (409) when the tip is not waiting for its payment, or it is not ready yet.
 */
export function demoTipEvent(tip: TipForm, card: DemoCard, secret: string): { payload: string; signature: string; refused: string | null } {
  if (tip.status !== 'pending') throw conflict('not_pending', 'this tip is not waiting for a payment');
  if (!tip.intentId) throw new AppError(409, 'payment_not_ready', 'the payment is being prepared: try again in a moment');
  const refusal = REFUSALS[card.number] ?? null;
  return signedDemoEvent(refusal ? 'payment_intent.payment_failed' : 'payment_intent.succeeded', {
    id: tip.intentId, object: 'payment_intent', amount: tip.amountCents, amount_capturable: 0, amount_received: refusal ? 0 : tip.amountCents,
    currency: 'eur', capture_method: 'automatic', status: refusal ? 'requires_payment_method' : 'succeeded', livemode: false,
    metadata: { order_id: tip.orderId, tip_id: tip.tipId },
    last_payment_error: refusal ? { code: refusal.code, message: refusal.message, type: 'card_error' } : null,
    // eslint-disable-next-line project/named-once -- Stripe's own word for a card payment, not a way of the domain's
    payment_method_types: ['card'],
  }, refusal, secret);
}

/** The card saved on the demo page: the event Stripe sends for a SetupIntent that succeeded (or failed, for a declined card). */
function demoSetupEvent(form: PaymentForm, card: DemoCard, refusal: { code: string; message: string } | null, secret: string) {
  const setup = demoSetup(form.orderId);
  const last4 = card.number.slice(-4);
  return signedDemoEvent(refusal ? 'setup_intent.setup_failed' : 'setup_intent.succeeded', {
    id: form.intentId,
    object: 'setup_intent',
    status: refusal ? 'requires_payment_method' : 'succeeded',
    usage: 'off_session',
    customer: setup.customer,
    // the card's last four digits in its id: the demo's hold the day before reads them
    payment_method: refusal ? null : `pm_demo_${last4}_${hash(`${form.orderId}/${card.number}`).slice(0, 12)}`,
    metadata: { order_id: form.orderId, attempt: String(form.attempt) },
    last_setup_error: refusal ? { code: refusal.code, message: refusal.message, type: 'card_error' } : null,
  }, refusal, secret);
}

/** An event as Stripe sends it, around the object it tells of, signed with the local webhook secret. */
function signedDemoEvent(type: string, object: unknown, refusal: { message: string } | null, secret: string): { payload: string; signature: string; refused: string | null } {
  const event = {
    id: `evt_demo_${randomBytes(12).toString('hex')}`, object: 'event', api_version: '2025-01-01',
    created: Math.floor(Date.now() / 1000), livemode: false, type, data: { object },
  };
  const payload = JSON.stringify(event);
  return { payload, signature: signStripeEvent(payload, secret), refused: refusal?.message ?? null };
}

/** Reads a card from a form or JSON body, with field errors a person can act on. */
export function parseDemoCard(input: unknown): DemoCard {
  const parsed = demoCardSchema.safeParse(input);
  if (!parsed.success) {
    throw invalid(Object.fromEntries(parsed.error.issues.map((i) => [i.path.join('.') || 'card', i.message])), 'check the card');
  }
  return parsed.data;
}

/**
 * The demo provider: the same payments as Stripe's, whose only difference is that nothing goes
 * over the network. A payment per order and attempt is made up here (its id the same on a retry),
 * the customer pays on the demo page (a signed event, through the same webhook), and capture,
 * release and refund answer as Stripe would, a retry with the same key answering the first result.
 */
export class DemoPaymentProvider implements PaymentProvider {
  readonly name = 'demo';
  /** What was captured, let go and refunded, by idempotency key (for the tests to see, as Stripe's dashboard would). */
  readonly captures = new Map<string, { orderId: string; intentId: string; amountCents: number }>();
  readonly releases = new Map<string, { orderId: string; intentId: string }>();
  readonly refunds = new Map<string, RefundResult & { orderId: string; paymentReference: string }>();
  /** The holds placed on saved cards, and the cards forgotten, by idempotency key. */
  readonly holds = new Map<string, HoldResult & { orderId: string }>();
  readonly forgotten = new Map<string, { orderId: string; paymentMethod: string }>();
  /** The customers of saved cards deleted (their accounts erased). */
  readonly deletedCustomers = new Set<string>();

  constructor(private readonly keep: PaymentKeeper) {}

  async begin(order: OrderView, voucher: VoucherPart | null = null): Promise<void> {
    const attempt = order.payment.attempt ?? 1;
    if (voucher) await this.keep(order.id, attempt, { ...demoVoucherIntent(order.id, attempt), voucher: true });
    await this.keep(order.id, attempt, demoIntent(order.id, attempt));
  }

  /** The demo page's card: its fingerprint is in its PaymentMethod's id (the same number, the same card). */
  async cardFingerprint(_paymentId: string, paymentMethod?: string | null): Promise<string | null> {
    return /^pm_demo_fp_([0-9a-f]{16})$/.exec(paymentMethod ?? '')?.[1] ?? null;
  }

  async payTip(r: TipPaymentRequest): Promise<{ id: string; clientSecret: string | null }> {
    return demoTipIntent(r.tipId);
  }

  async saveCard(order: OrderView): Promise<void> {
    const setup = demoSetup(order.id);
    await this.keep(order.id, order.payment.attempt ?? 1, { id: setup.id, clientSecret: setup.clientSecret, setup: { customer: setup.customer } });
  }

  /** The saved card is held, unless it is one the demo declines later (its last four digits in its id); a retry answers the first result. */
  async placeHold(r: HoldRequest): Promise<HoldResult> {
    const earlier = this.holds.get(r.idempotencyKey);
    if (earlier) return earlier;
    const intent = demoIntent(r.orderId, r.attempt);
    const last4 = /^pm_demo_(\d{4})_/.exec(r.paymentMethod)?.[1] ?? '';
    const result: HoldResult = DECLINED_LATER.has(last4)
      ? { outcome: 'refused', paymentId: intent.id, clientSecret: intent.clientSecret, reason: 'Your card was declined.' }
      : { outcome: 'held', paymentId: intent.id, amountCents: r.amountCents };
    this.holds.set(r.idempotencyKey, { ...result, orderId: r.orderId });
    return result;
  }

  async forgetCard(r: { orderId: string; paymentMethod: string; idempotencyKey: string }): Promise<void> {
    this.forgotten.set(r.idempotencyKey, { orderId: r.orderId, paymentMethod: r.paymentMethod });
  }

  async deleteCustomer(customerRef: string): Promise<'deleted' | 'gone'> {
    if (this.deletedCustomers.has(customerRef)) return 'gone';
    this.deletedCustomers.add(customerRef);
    return 'deleted';
  }

  /** The demo keeps no setups: what the page saved came through the webhook, and nothing else was. */
  async retrieveSetup(setupId: string): Promise<ProviderSetup> {
    return { id: setupId, orderId: null, paymentMethod: null, customer: null };
  }

  async capture(r: CaptureRequest): Promise<{ amountCents: number }> {
    const done = this.captures.get(r.idempotencyKey) ?? { orderId: r.orderId, intentId: r.paymentId, amountCents: r.amountCents };
    this.captures.set(r.idempotencyKey, done);
    return { amountCents: done.amountCents };
  }

  async release(r: ReleaseRequest): Promise<void> {
    this.releases.set(r.idempotencyKey, { orderId: r.orderId, intentId: r.paymentId });
  }

  async refund(r: RefundRequest): Promise<RefundResult> {
    const earlier = this.refunds.get(r.idempotencyKey);
    if (earlier) return earlier;
    const done = { orderId: r.orderId, paymentReference: r.paymentReference, amountCents: r.amountCents, reference: `re_demo_${r.idempotencyKey.replace(/[^A-Za-z0-9]/g, '').slice(0, 40)}`, refundedAt: new Date() };
    this.refunds.set(r.idempotencyKey, done);
    return done;
  }

  /** Nothing here refuses: the demo's refusals are the cards', sent as events. */
  isRefusal(): boolean {
    return false;
  }

  noticeOf(event: unknown): PaymentNotice {
    return noticeFromStripe(event, this.name);
  }
}
