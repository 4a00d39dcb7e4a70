// Stripe: its client, its webhook read into the system's notices, and the provider the workers
// call (a PaymentIntent per order and attempt, captured by hand). The only file that knows Stripe's
// event names and objects; the demo page (demo.ts) speaks the same protocol with a local secret.
import type { IncomingHttpHeaders } from 'node:http';
import type Stripe from 'stripe';
import { whenNeeded } from '../kernel/when-needed.ts';
import type { OrderView } from '../../shapes/views.ts';
import { AppError } from '../kernel/errors.ts';
import { attemptOf, centsOf, type PaymentNotice, type PaymentNoticeKind, type ProviderPayment, type ProviderSetup } from './notices.ts';
import type { CaptureRequest, HoldRequest, HoldResult, PaymentKeeper, PaymentProvider, PaymentWebhook, RefundRequest, RefundResult, ReleaseRequest, TipPaymentRequest, VoucherPart } from './provider.ts';

/** Stripe's SDK, loaded when a process first talks to Stripe or reads a webhook (kernel/when-needed.ts). */
const sdk = whenNeeded<typeof Stripe>('stripe');

/** The one Stripe client of a process, from the settings: the real API, or another server that speaks its protocol (STRIPE_API_URL: the tests' local one). */
export function stripeClient(c: { STRIPE_SECRET_KEY?: string; STRIPE_API_URL?: string }): Stripe | null {
  if (!c.STRIPE_SECRET_KEY) return null;
  const at = c.STRIPE_API_URL ? new URL(c.STRIPE_API_URL) : null;
  const StripeClient = sdk();
  return new StripeClient(c.STRIPE_SECRET_KEY, {
    // a network failure is retried by the client (with the same idempotency key), then by the job
    maxNetworkRetries: 2,
    timeout: 20_000,
    ...(at ? { host: at.hostname, port: Number(at.port || (at.protocol === 'https:' ? 443 : 80)), protocol: at.protocol.replace(':', '') as 'http' | 'https' } : {}),
  });
}

/** The part of a PaymentIntent this system reads, as events and retrieve() carry it. */
interface IntentFields {
  id?: unknown;
  object?: unknown;
  status?: unknown;
  amount_capturable?: unknown;
  amount_received?: unknown;
  metadata?: Record<string, unknown> | null;
  last_payment_error?: { message?: unknown } | null;
  /** A SetupIntent's: the card saved, and the customer it is saved on (an id, or the object expanded). */
  payment_method?: unknown;
  customer?: unknown;
}

/** An id Stripe gives as a string, or inside the object when it is expanded. */
const idOf = (v: unknown): string | null => (typeof v === 'string' ? v : typeof (v as { id?: unknown })?.id === 'string' ? (v as { id: string }).id : null);

const KINDS: Record<string, PaymentNoticeKind> = {
  'payment_intent.amount_capturable_updated': 'held',
  'payment_intent.succeeded': 'taken',
  'payment_intent.canceled': 'released',
  'payment_intent.payment_failed': 'refused',
};

/**
 * A Stripe event (already believed) as the system's notice: only PaymentIntent events of the four
 * kinds above mean anything, and a SetupIntent that succeeded (a card saved for a hold placed later).
 */
export function noticeFromStripe(event: unknown, provider = 'stripe'): PaymentNotice {
  const e = (event ?? {}) as { id?: unknown; type?: unknown; data?: { object?: IntentFields } };
  const intent: IntentFields = e.data?.object ?? {};
  const type = typeof e.type === 'string' ? e.type : '';
  const reader = readerNotice(String(e.id), type, e.data?.object, provider) ?? checkoutNotice(String(e.id), type, e.data?.object, provider);
  if (reader) return reader;
  const isSetup = intent.object === 'setup_intent' && typeof intent.id === 'string';
  const paymentMethod = isSetup ? idOf(intent.payment_method) : null;
  if (isSetup && type === 'setup_intent.succeeded' && intent.status === 'succeeded' && paymentMethod) {
    const orderId = intent.metadata?.order_id;
    return {
      id: String(e.id), provider, kind: 'card_saved', providerType: type, paymentId: intent.id as string,
      orderId: typeof orderId === 'string' ? orderId : null, attempt: attemptOf(intent.metadata?.attempt),
      heldCents: 0, takenCents: 0, reason: null, savedCard: { paymentMethod, customer: idOf(intent.customer) },
    };
  }
  const isIntent = intent.object === 'payment_intent' && typeof intent.id === 'string';
  let kind: PaymentNoticeKind = (isIntent && KINDS[type]) || 'other';
  // a hold is one only once the card is authorised for something
  if (kind === 'held' && (intent.status !== 'requires_capture' || centsOf(intent.amount_capturable) <= 0)) kind = 'other';
  const orderId = intent.metadata?.order_id;
  const reason = intent.last_payment_error?.message;
  return {
    id: String(e.id),
    provider,
    kind,
    providerType: type,
    paymentId: isIntent ? (intent.id as string) : null,
    orderId: typeof orderId === 'string' ? orderId : null,
    attempt: attemptOf(intent.metadata?.attempt),
    heldCents: centsOf(intent.amount_capturable),
    takenCents: centsOf(intent.amount_received),
    reason: typeof reason === 'string' ? reason : null,
    // a card_present intent the counter's terminal made (terminal-stripe.ts)
    ...(isIntent && typeof intent.metadata?.terminal_payment === 'string' ? { terminal: true } : {}),
    // a titre-restaurant's PaymentIntent begin() made beside the card's
    ...(isIntent && intent.metadata?.voucher === '1' ? { voucher: { paymentMethod: idOf(intent.payment_method) } } : {}),
  };
}

/**
 * A reader's action ended (https://docs.stripe.com/terminal/payments/collect-card-payment?terminal-sdk-platform=server-driven#handle-events):
 * `terminal.reader.action_succeeded` or `terminal.reader.action_failed`, the reader as its object,
 * the PaymentIntent it processed in `action.process_payment_intent`, why it failed in `action.failure_message`.
 */
function readerNotice(id: string, type: string, object: unknown, provider: string): PaymentNotice | null {
  const r = (object ?? {}) as { object?: unknown; action?: { process_payment_intent?: { payment_intent?: unknown }; failure_message?: unknown } | null };
  if (r.object !== 'terminal.reader' || (type !== 'terminal.reader.action_succeeded' && type !== 'terminal.reader.action_failed')) return null;
  const paymentId = idOf(r.action?.process_payment_intent?.payment_intent);
  const reason = r.action?.failure_message;
  return {
    id, provider, kind: !paymentId ? 'other' : type === 'terminal.reader.action_succeeded' ? 'taken' : 'refused', providerType: type, paymentId,
    orderId: null, attempt: null, heldCents: 0, takenCents: 0, reason: typeof reason === 'string' ? reason : null, terminal: true,
  };
}

/**
 * A Checkout Session paid, failed or expired at the door (door-qr-stripe.ts), as Stripe's fulfilment
 * guide reads them (https://docs.stripe.com/checkout/fulfillment?payment-ui=stripe-hosted): money is
 * taken once `checkout.session.completed` or `checkout.session.async_payment_succeeded` carries
 * `payment_status: 'paid'` (https://docs.stripe.com/api/checkout/sessions/object#checkout_session_object-payment_status);
 * `checkout.session.async_payment_failed` is a payment refused, `checkout.session.expired` a page
 * closed unpaid (https://docs.stripe.com/api/events/types#event_types-checkout.session.expired).
 * Only sessions the door made (their `metadata.door_qr`) are read here.
 */
function checkoutNotice(id: string, type: string, object: unknown, provider: string): PaymentNotice | null {
  const s = (object ?? {}) as { id?: unknown; object?: unknown; payment_status?: unknown; amount_total?: unknown; payment_intent?: unknown; metadata?: Record<string, unknown> | null };
  if (s.object !== 'checkout.session' || typeof s.id !== 'string' || typeof s.metadata?.door_qr !== 'string') return null;
  const paid = (type === 'checkout.session.completed' || type === 'checkout.session.async_payment_succeeded') && s.payment_status === 'paid';
  const kind: PaymentNoticeKind = paid ? 'taken'
    : type === 'checkout.session.async_payment_failed' ? 'refused'
    : type === 'checkout.session.expired' ? 'released'
    : 'other';
  const orderId = s.metadata.order_id;
  return {
    id, provider, kind, providerType: type, paymentId: s.id, orderId: typeof orderId === 'string' ? orderId : null, attempt: null,
    heldCents: 0, takenCents: paid ? centsOf(s.amount_total) : 0, reason: kind === 'refused' ? 'the payment failed' : null,
    doorQr: { intent: idOf(s.payment_intent) },
  };
}

/**
 * Stripe's webhook (or the demo page's, with its own secret and provider name): a JSON body signed
 * with the webhook secret (a timestamp and an HMAC-SHA256 in the Stripe-Signature header); only a
 * body whose signature checks is believed. A missing, forged or stale signature, or a body that is
 * not an event: 400.
 */
export function stripeWebhook(secret: string, provider = 'stripe'): PaymentWebhook {
  return {
    path: 'stripe',
    read(body: Buffer | string, headers: IncomingHttpHeaders): PaymentNotice {
      const signature = headers['stripe-signature'];
      let event: { id?: unknown; type?: unknown };
      try {
        if (typeof signature !== 'string' || !(Buffer.isBuffer(body) || typeof body === 'string')) throw new Error('no signature');
        event = sdk().webhooks.constructEvent(body, signature, secret);
      } catch {
        throw new AppError(400, 'bad_signature', 'the Stripe-Signature header does not match this body');
      }
      if (typeof event.id !== 'string' || !event.id || event.id.length > 255 || typeof event.type !== 'string') {
        throw new AppError(400, 'bad_event', 'a signed body that is not an event (an id and a type)');
      }
      return noticeFromStripe(event, provider);
    },
  };
}

/** Signs a body as Stripe does (the demo payment page's events; tests). */
export function signStripeEvent(payload: string, secret: string): string {
  return sdk().webhooks.generateTestHeaderString({ payload, secret });
}

/** A PaymentIntent as the ledger reads a payment. */
export function paymentFromStripe(i: IntentFields): ProviderPayment {
  const orderId = i.metadata?.order_id;
  return {
    id: String(i.id),
    orderId: typeof orderId === 'string' ? orderId : null,
    attempt: attemptOf(i.metadata?.attempt),
    state: i.status === 'requires_capture' ? 'held' : i.status === 'succeeded' ? 'taken' : 'other',
    heldCents: centsOf(i.amount_capturable),
    takenCents: centsOf(i.amount_received),
    ...(i.metadata?.voucher === '1' ? { voucher: { paymentMethod: idOf(i.payment_method) } } : {}),
  };
}

/** Stripe's refusals (a card error, an invalid request): a retry will not change them, unlike a network or server failure. */
export function isStripeRefusal(err: unknown): boolean {
  const type = (err as { type?: string })?.type;
  return type === 'StripeCardError' || type === 'StripeInvalidRequestError';
}

/**
 * Stripe, with the `stripe` package: a PaymentIntent per order and payment attempt, for the
 * order's total, captured by hand (the hold is taken when the kitchen starts the order). Every
 * call carries an idempotency key made from the order (and attempt, or amount refunded so far),
 * so a retried job never charges, captures or refunds twice. What the customer does on the payment
 * form comes back as webhook events, not from here.
 */
export class StripePaymentProvider implements PaymentProvider {
  readonly name = 'stripe';

  constructor(
    private readonly stripe: Stripe,
    private readonly keep: PaymentKeeper,
    private readonly currency = 'eur',
  ) {}

  async begin(order: OrderView, voucher: VoucherPart | null = null): Promise<void> {
    const attempt = order.payment.attempt ?? 1;
    // a titre-restaurant's part first: its own PaymentIntent, held by hand as the card's
    if (voucher) await this.beginVoucher(order, attempt, voucher);
    const intent = await this.stripe.paymentIntents.create(
      {
        // the checkout tip rides on the order's hold (src/lib/server/money/tips.ts); a titre-restaurant pays its part
        amount: order.totalCents + (order.payment.tipCents ?? 0) - (voucher?.amountCents ?? 0),
        currency: this.currency,
        capture_method: 'manual',
        automatic_payment_methods: { enabled: true },
        description: `OC Pizza, commande ${order.number}`,
        metadata: { order_id: order.id, attempt: String(attempt), pizzeria_id: String(order.pizzeriaId) },
      },
      { idempotencyKey: `pi-${order.id}-${attempt}` },
    );
    await this.keep(order.id, attempt, { id: intent.id, clientSecret: intent.client_secret });
  }

  /**
   * The voucher part (https://docs.stripe.com/payments/meal-vouchers/fr-meal-vouchers/accept-a-payment):
   * a PaymentIntent with the shop's SIRET in `payment_details[benefit][fr_meal_voucher][siret]`, paid
   * with a card (the meal-voucher card), captured by hand (supported; refunds are not).
   */
  private async beginVoucher(order: OrderView, attempt: number, voucher: VoucherPart): Promise<void> {
    const params = {
      amount: voucher.amountCents,
      currency: this.currency,
      capture_method: 'manual',
      // eslint-disable-next-line project/named-once -- Stripe's own word for a card payment, not a way of the domain's
      payment_method_types: ['card'],
      // not in the typed parameters yet (a preview of Stripe's): sent as Stripe documents it
      payment_details: { benefit: { fr_meal_voucher: { siret: voucher.siret ?? '' } } },
      description: `OC Pizza, commande ${order.number}, titre-restaurant`,
      metadata: { order_id: order.id, attempt: String(attempt), pizzeria_id: String(order.pizzeriaId), voucher: '1', issuer: voucher.issuer },
    } as Stripe.PaymentIntentCreateParams;
    const intent = await this.stripe.paymentIntents.create(params, { idempotencyKey: `pi-voucher-${order.id}-${attempt}` });
    await this.keep(order.id, attempt, { id: intent.id, clientSecret: intent.client_secret, voucher: true });
  }

  /** The fingerprint of the card a payment was made with (https://docs.stripe.com/api/payment_methods/object#payment_method_object-card-fingerprint). */
  async cardFingerprint(paymentId: string, paymentMethod: string | null = null): Promise<string | null> {
    const pm = paymentMethod ?? idOf((await this.stripe.paymentIntents.retrieve(paymentId)).payment_method);
    if (!pm) return null;
    return (await this.stripe.paymentMethods.retrieve(pm)).card?.fingerprint ?? null;
  }

  /** A tip after the delivery: a PaymentIntent of its own, captured as soon as the customer confirms it. */
  async payTip(r: TipPaymentRequest): Promise<{ id: string; clientSecret: string | null }> {
    const intent = await this.stripe.paymentIntents.create(
      {
        amount: r.amountCents,
        currency: this.currency,
        automatic_payment_methods: { enabled: true },
        description: r.description,
        metadata: { order_id: r.orderId, tip_id: r.tipId },
      },
      { idempotencyKey: r.idempotencyKey },
    );
    return { id: intent.id, clientSecret: intent.client_secret };
  }

  /** A customer of the order, and a SetupIntent on it for a card charged off-session. */
  async saveCard(order: OrderView): Promise<void> {
    const attempt = order.payment.attempt ?? 1;
    const customer = await this.stripe.customers.create(
      { name: order.customer.name, phone: order.customer.phone, metadata: { order_id: order.id } },
      { idempotencyKey: `cus-${order.id}` },
    );
    // one setup per order, whatever its attempt (a change while it waits changes the amount the
    // hold will take, not the card): the same parameters under the same key, as Stripe requires
    const setup = await this.stripe.setupIntents.create(
      {
        customer: customer.id,
        usage: 'off_session',
        automatic_payment_methods: { enabled: true },
        description: `OC Pizza, commande ${order.number}`,
        metadata: { order_id: order.id, pizzeria_id: String(order.pizzeriaId) },
      },
      { idempotencyKey: `si-${order.id}` },
    );
    await this.keep(order.id, attempt, { id: setup.id, clientSecret: setup.client_secret, setup: { customer: customer.id } });
  }

  async placeHold(r: HoldRequest): Promise<HoldResult> {
    try {
      const intent = await this.stripe.paymentIntents.create(
        {
          amount: r.amountCents,
          currency: this.currency,
          capture_method: 'manual',
          customer: r.customer ?? undefined,
          payment_method: r.paymentMethod,
          // the customer is away: nothing that would send them to their bank's page
          automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
          off_session: true,
          confirm: true,
          description: r.description,
          metadata: { order_id: r.orderId, attempt: String(r.attempt), hold: 'off_session' },
        },
        { idempotencyKey: r.idempotencyKey },
      );
      if (intent.status === 'requires_capture') return { outcome: 'held', paymentId: intent.id, amountCents: intent.amount_capturable };
      return { outcome: 'refused', paymentId: intent.id, clientSecret: intent.client_secret, reason: `the bank asks the customer (${intent.status})` };
    } catch (err) {
      if (!isStripeRefusal(err)) throw err;
      // declined, or the bank wants the customer there (authentication_required): the PaymentIntent
      // comes with the error, and the customer can complete it on the payment page
      const intent = (err as { payment_intent?: { id?: string; client_secret?: string | null } }).payment_intent;
      return { outcome: 'refused', paymentId: intent?.id ?? null, clientSecret: intent?.client_secret ?? null, reason: (err as Error).message };
    }
  }

  async forgetCard(r: { orderId: string; paymentMethod: string; idempotencyKey: string }): Promise<void> {
    await this.stripe.paymentMethods.detach(r.paymentMethod, {}, { idempotencyKey: r.idempotencyKey });
  }

  async deleteCustomer(customerRef: string): Promise<'deleted' | 'gone'> {
    try {
      // a DELETE takes no idempotency key at Stripe: deleting twice answers "no such customer"
      await this.stripe.customers.del(customerRef);
      return 'deleted';
    } catch (err) {
      if ((err as { code?: string })?.code === 'resource_missing') return 'gone';
      throw err;
    }
  }

  async retrieveSetup(setupId: string): Promise<ProviderSetup> {
    const s = await this.stripe.setupIntents.retrieve(setupId);
    const orderId = s.metadata?.order_id;
    return { id: s.id, orderId: typeof orderId === 'string' ? orderId : null, paymentMethod: s.status === 'succeeded' ? idOf(s.payment_method) : null, customer: idOf(s.customer) };
  }

  async capture(r: CaptureRequest): Promise<{ amountCents: number }> {
    const intent = await this.stripe.paymentIntents.capture(r.paymentId, { amount_to_capture: r.amountCents }, { idempotencyKey: r.idempotencyKey });
    return { amountCents: intent.amount_received };
  }

  async release(r: ReleaseRequest): Promise<void> {
    await this.stripe.paymentIntents.cancel(r.paymentId, { cancellation_reason: 'abandoned' }, { idempotencyKey: r.idempotencyKey });
  }

  async retrieve(paymentId: string): Promise<ProviderPayment> {
    return paymentFromStripe(await this.stripe.paymentIntents.retrieve(paymentId));
  }

  async refund(r: RefundRequest): Promise<RefundResult> {
    const refund = await this.stripe.refunds.create(
      { payment_intent: r.paymentReference, amount: r.amountCents, metadata: { order_id: r.orderId } },
      { idempotencyKey: r.idempotencyKey },
    );
    return { amountCents: refund.amount, reference: refund.id, refundedAt: new Date(refund.created * 1000) };
  }

  isRefusal = isStripeRefusal;

  noticeOf(event: unknown): PaymentNotice {
    return noticeFromStripe(event, this.name);
  }
}
