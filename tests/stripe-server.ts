// A small server speaking the part of Stripe's API the product calls (PaymentIntents: create,
// retrieve, capture, cancel, and created off-session on a saved card; Refunds: create; Customers:
// create, retrieve, delete; SetupIntents: create, retrieve; PaymentMethods: detach), with idempotency
// keys honoured as Stripe does (on POST requests: a key on a GET or a DELETE has no effect), so the
// real `stripe` client can be driven in tests without the network. `authorise`,
// `decline` and `saveCard` play the customer on the payment form; `declineOffSession` names the
// saved cards whose bank refuses a hold placed later; `event` builds the webhook event Stripe would
// send for an intent or a setup.
// Terminal, server-driven (https://docs.stripe.com/terminal/payments/collect-card-payment?terminal-sdk-platform=server-driven):
// locations and readers registered (a registration code `simulated-wpe` makes a simulated reader,
// https://docs.stripe.com/terminal/references/testing#simulated-reader), a PaymentIntent handed to a
// reader, its action cancelled, and the test helper that presents a card to a simulated reader;
// `readerEvent` builds the `terminal.reader.action_*` webhook event. PaymentIntents can be listed
// (https://docs.stripe.com/api/payment_intents/list), as a reconciliation reads them.
// Checkout Sessions (https://docs.stripe.com/api/checkout/sessions): create, retrieve, expire, list;
// the customer's side played by `completeSession` (paid by card, or a delayed method that later
// fails) and the page's own end by `expireSession`, each sending the signed `checkout.session.*`
// webhook Stripe sends (https://docs.stripe.com/checkout/fulfillment?payment-ui=stripe-hosted) to
// `webhookTo` when it is set. The session's `url` is a page of this server standing for Stripe's
// hosted page (GET shows what it asks; POST pays it as the customer would).
// French meal vouchers (https://docs.stripe.com/payments/meal-vouchers/fr-meal-vouchers/accept-a-payment):
// a PaymentIntent created with `payment_details[benefit][fr_meal_voucher][siret]` answers it in its
// `payment_details`; it may be captured by hand, never refunded (the method's properties: "Refunds /
// Partial refunds: No / No"). The customer's side is played by `payWithCard`: a card PaymentMethod
// made for the number typed, its `card.fingerprint` the same for the same number
// (https://docs.stripe.com/api/payment_methods/object#payment_method_object-card-fingerprint), and the
// PaymentMethod retrieved (https://docs.stripe.com/api/payment_methods/retrieve).
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Stripe from 'stripe';

export interface FakeIntent {
  id: string;
  object: 'payment_intent';
  amount: number;
  amount_capturable: number;
  amount_received: number;
  currency: string;
  capture_method: string;
  status: 'requires_payment_method' | 'requires_capture' | 'succeeded' | 'canceled';
  client_secret: string;
  metadata: Record<string, string>;
  last_payment_error: { message: string } | null;
  customer?: string | null;
  payment_method?: string | null;
  /** https://docs.stripe.com/api/payment_intents/object#payment_intent_object-payment_method_types */
  payment_method_types?: string[];
  created?: number;
  /** https://docs.stripe.com/api/payment_intents/object#payment_intent_object-payment_details (a meal voucher's: `benefit.fr_meal_voucher.siret`). */
  payment_details?: { benefit?: { fr_meal_voucher?: { siret: string } } };
}

/** https://docs.stripe.com/api/payment_methods/object (a card's) */
export interface FakePaymentMethod {
  id: string;
  object: 'payment_method';
  type: 'card';
  card: { brand: string; last4: string; exp_month: number; exp_year: number; fingerprint: string };
  customer: string | null;
  created: number;
}

/** https://docs.stripe.com/api/terminal/locations/object */
export interface FakeLocation {
  id: string;
  object: 'terminal.location';
  display_name: string;
  address: Record<string, string>;
  metadata: Record<string, string>;
}

/** https://docs.stripe.com/api/terminal/readers/object: its `action` says what it is doing (in_progress, succeeded, failed). */
export interface FakeReader {
  id: string;
  object: 'terminal.reader';
  device_type: string;
  label: string;
  location: string;
  serial_number: string;
  status: 'online' | 'offline';
  metadata: Record<string, string>;
  action: null | {
    type: 'process_payment_intent';
    status: 'in_progress' | 'succeeded' | 'failed';
    failure_code: string | null;
    failure_message: string | null;
    process_payment_intent: { payment_intent: string };
  };
}

/** https://docs.stripe.com/api/checkout/sessions/object */
export interface FakeCheckoutSession {
  id: string;
  object: 'checkout.session';
  mode: 'payment' | 'setup' | 'subscription';
  status: 'open' | 'complete' | 'expired';
  payment_status: 'unpaid' | 'paid' | 'no_payment_required';
  amount_subtotal: number;
  amount_total: number;
  currency: string;
  client_reference_id: string | null;
  created: number;
  expires_at: number;
  locale: string | null;
  metadata: Record<string, string>;
  /** The PaymentIntent, once the customer pays (https://docs.stripe.com/changelog/basil/2025-03-31/checkout-session-payment-intent-null-by-default). */
  payment_intent: string | null;
  success_url: string | null;
  url: string | null;
}

export interface FakeSetup {
  id: string;
  object: 'setup_intent';
  status: 'requires_payment_method' | 'succeeded' | 'canceled';
  usage: string;
  customer: string | null;
  payment_method: string | null;
  client_secret: string;
  metadata: Record<string, string>;
}

export type FakeCustomer =
  | { id: string; object: 'customer'; name: string | null; phone: string | null; metadata: Record<string, string> }
  | { id: string; object: 'customer'; deleted: true };

export interface StripeCall {
  method: string;
  path: string;
  idempotencyKey: string | null;
  body: Record<string, string>;
}

export class FakeStripe {
  readonly intents = new Map<string, FakeIntent>();
  readonly refunds: { id: string; amount: number; payment_intent: string; created: number }[] = [];
  /** Customers as Stripe keeps them: a deleted one is only its id and `deleted: true` (still retrievable, as Stripe's are). */
  readonly customers = new Map<string, FakeCustomer>();
  readonly setups = new Map<string, FakeSetup>();
  /** Saved cards (payment methods) detached from their customer. */
  readonly detached = new Set<string>();
  /** Saved cards whose bank refuses an off-session hold: declined, or asking for the customer (authentication). */
  readonly declineOffSession = new Map<string, 'card_declined' | 'authentication_required'>();
  readonly calls: StripeCall[] = [];
  readonly locations = new Map<string, FakeLocation>();
  readonly readers = new Map<string, FakeReader>();
  readonly sessions = new Map<string, FakeCheckoutSession>();
  readonly paymentMethods = new Map<string, FakePaymentMethod>();
  /** Where and with which secret the events the customer's side causes are sent, signed (a test's app). */
  webhookTo: { url: string; secret: string } | null = null;
  /** The events sent to `webhookTo`, with the answer's status. */
  readonly sent: { type: string; id: string; status: number }[] = [];
  private base = '';
  /** Fail the next N calls with a 500 (a Stripe outage), before doing anything. */
  failNext = 0;
  /** While set, the calls it matches fail with a 500 before doing anything (an outage of part of Stripe's API). */
  outage: ((call: StripeCall) => boolean) | null = null;
  /** The calls answered with a 500 (an outage). */
  readonly failed: StripeCall[] = [];
  /** Refuse captures as a card error (an expired hold). */
  refuseCaptures = false;
  private server: Server | null = null;
  private readonly answered = new Map<string, { status: number; body: unknown }>();
  private seq = 0;

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      let raw = '';
      req.on('data', (c) => (raw += c));
      req.on('end', () => {
        // a GET carries its parameters in the query string (a list's filters)
        const query = req.url!.includes('?') ? req.url!.slice(req.url!.indexOf('?') + 1) : '';
        const body = Object.fromEntries(new URLSearchParams(req.method === 'GET' ? query : raw));
        const key = (req.headers['idempotency-key'] as string | undefined) ?? null;
        const call = { method: req.method!, path: req.url!.split('?')[0], idempotencyKey: key, body };
        const hosted = call.path.match(/^\/c\/pay\/(cs_[A-Za-z0-9_]+)$/);
        if (hosted) return void this.hostedPage(hosted[1], call.method, res);
        this.calls.push(call);
        const send = (status: number, out: unknown) => {
          res.writeHead(status, { 'content-type': 'application/json', 'request-id': `req_${++this.seq}` });
          res.end(JSON.stringify(out));
        };
        if (this.failNext > 0 || this.outage?.(call)) {
          if (!this.outage?.(call)) this.failNext--;
          this.failed.push(call);
          return send(500, { error: { type: 'api_error', message: 'try again' } });
        }
        // Stripe honours idempotency keys on POST only
        const keyed = key && call.method === 'POST' ? `${call.path}|${key}` : null;
        const replay = keyed ? this.answered.get(keyed) : undefined;
        if (replay) return send(replay.status, replay.body);
        const { status, body: out } = this.handle(call);
        if (keyed && status < 500) this.answered.set(keyed, { status, body: out });
        send(status, out);
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.base = `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
    return this.base;
  }

  async stop() {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private handle(c: StripeCall): { status: number; body: unknown } {
    const invalid = (message: string, type = 'invalid_request_error') => ({ status: 400, body: { error: { type, message } } });
    const metadata = Object.fromEntries(Object.entries(c.body).filter(([k]) => k.startsWith('metadata[')).map(([k, v]) => [k.slice(9, -1), v]));
    const newId = (prefix: string) => `${prefix}_${(++this.seq).toString(36)}${Math.random().toString(36).slice(2, 10)}`;
    if (c.method === 'POST' && c.path === '/v1/payment_intents') {
      const id = newId('pi');
      const intent: FakeIntent = {
        id, object: 'payment_intent', amount: Number(c.body.amount), amount_capturable: 0, amount_received: 0, currency: c.body.currency,
        capture_method: c.body.capture_method, status: 'requires_payment_method', client_secret: `${id}_secret_x`, metadata, last_payment_error: null,
        customer: c.body.customer ?? null, payment_method: c.body.payment_method ?? null,
        // what it may be paid with: `allowed_payment_method_types` (card_present for a terminal, https://docs.stripe.com/changelog/endive/2026-09-30/card-present-and-interac-present-enum-values-for-allowed-payment-method-types),
        // or the older `payment_method_types`; answered in `payment_method_types`
        payment_method_types: Object.entries(c.body).filter(([k]) => /^(allowed_)?payment_method_types\[/.test(k)).map(([, v]) => v),
        created: Math.floor(Date.now() / 1000),
        // https://docs.stripe.com/api/payment_intents/create#create_payment_intent-payment_details-benefit-fr_meal_voucher-siret
        ...(c.body['payment_details[benefit][fr_meal_voucher][siret]'] !== undefined
          ? { payment_details: { benefit: { fr_meal_voucher: { siret: c.body['payment_details[benefit][fr_meal_voucher][siret]'] } } } }
          : {}),
      };
      // a card_present intent is captured at once unless asked otherwise (https://docs.stripe.com/terminal/payments/collect-card-payment?terminal-sdk-platform=server-driven#create-payment)
      if (!intent.capture_method) intent.capture_method = 'automatic';
      this.intents.set(id, intent);
      if (c.body.confirm === 'true' && c.body.off_session === 'true') {
        // a hold placed on a saved card with the customer away: held, or refused by the bank
        const pm = c.body.payment_method;
        if (!pm || this.detached.has(pm)) return invalid(`no such PaymentMethod: '${pm}'`);
        const refusal = this.declineOffSession.get(pm);
        if (refusal) {
          const message = refusal === 'card_declined' ? 'Your card was declined.' : 'This payment requires authentication by the customer.';
          Object.assign(intent, { last_payment_error: { message } });
          return { status: 402, body: { error: { type: 'card_error', code: refusal, message, payment_intent: intent } } };
        }
        Object.assign(intent, { status: 'requires_capture', amount_capturable: intent.amount });
      }
      return { status: 200, body: intent };
    }
    if (c.method === 'POST' && c.path === '/v1/customers') {
      const customer: FakeCustomer = { id: newId('cus'), object: 'customer', name: c.body.name ?? null, phone: c.body.phone ?? null, metadata };
      this.customers.set(customer.id, customer);
      return { status: 200, body: customer };
    }
    const cus = c.path.match(/^\/v1\/customers\/([^/]+)$/);
    if (cus && (c.method === 'GET' || c.method === 'DELETE')) {
      const found = this.customers.get(cus[1]);
      const missing = { status: 404, body: { error: { type: 'invalid_request_error', code: 'resource_missing', param: 'id', message: `No such customer: '${cus[1]}'` } } };
      // a deleted customer can still be retrieved (as deleted), not deleted again
      if (!found || (c.method === 'DELETE' && 'deleted' in found)) return missing;
      if (c.method === 'GET') return { status: 200, body: found };
      // deleting removes what Stripe kept of them and their cards
      const gone = { id: found.id, object: 'customer' as const, deleted: true as const };
      this.customers.set(found.id, gone);
      for (const s of this.setups.values()) if (s.customer === found.id && s.payment_method) this.detached.add(s.payment_method);
      return { status: 200, body: gone };
    }
    if (c.method === 'POST' && c.path === '/v1/setup_intents') {
      const id = newId('seti');
      const setup: FakeSetup = {
        id, object: 'setup_intent', status: 'requires_payment_method', usage: c.body.usage, customer: c.body.customer ?? null, payment_method: null,
        client_secret: `${id}_secret_x`, metadata,
      };
      this.setups.set(id, setup);
      return { status: 200, body: setup };
    }
    const setup = c.path.match(/^\/v1\/setup_intents\/([^/]+)$/);
    if (c.method === 'GET' && setup) {
      const found = this.setups.get(setup[1]);
      return found ? { status: 200, body: found } : { status: 404, body: { error: { type: 'invalid_request_error', message: 'no such setup_intent' } } };
    }
    const detach = c.path.match(/^\/v1\/payment_methods\/([^/]+)\/detach$/);
    if (c.method === 'POST' && detach) {
      if (this.detached.has(detach[1])) return invalid('The payment method you provided is not attached to a customer.');
      this.detached.add(detach[1]);
      return { status: 200, body: { id: detach[1], object: 'payment_method', customer: null } };
    }
    // https://docs.stripe.com/api/payment_methods/retrieve
    const pmGot = c.path.match(/^\/v1\/payment_methods\/([^/]+)$/);
    if (c.method === 'GET' && pmGot) {
      const pm = this.paymentMethods.get(pmGot[1]);
      return pm ? { status: 200, body: pm } : { status: 404, body: { error: { type: 'invalid_request_error', code: 'resource_missing', message: `No such PaymentMethod: '${pmGot[1]}'` } } };
    }
    const got = c.path.match(/^\/v1\/payment_intents\/([^/]+)$/);
    if (c.method === 'GET' && got) {
      const intent = this.intents.get(got[1]);
      return intent ? { status: 200, body: intent } : { status: 404, body: { error: { type: 'invalid_request_error', message: 'no such payment_intent' } } };
    }
    const m = c.path.match(/^\/v1\/payment_intents\/([^/]+)\/(capture|cancel)$/);
    if (c.method === 'POST' && m) {
      const intent = this.intents.get(m[1]);
      if (!intent) return { status: 404, body: { error: { type: 'invalid_request_error', message: 'no such payment_intent' } } };
      if (m[2] === 'capture') {
        if (intent.status !== 'requires_capture') return invalid(`this PaymentIntent could not be captured: its status is ${intent.status}`);
        if (this.refuseCaptures) return { status: 402, body: { error: { type: 'card_error', code: 'charge_expired_for_capture', message: 'the authorisation expired' } } };
        const amount = c.body.amount_to_capture ? Number(c.body.amount_to_capture) : intent.amount_capturable;
        if (amount > intent.amount_capturable) return invalid('amount_to_capture is greater than the amount capturable');
        Object.assign(intent, { status: 'succeeded', amount_received: amount, amount_capturable: 0 });
        return { status: 200, body: intent };
      }
      if (intent.status === 'succeeded') return invalid('this PaymentIntent could not be canceled: its status is succeeded');
      Object.assign(intent, { status: 'canceled', amount_capturable: 0 });
      return { status: 200, body: intent };
    }
    // Refunds: create (https://docs.stripe.com/api/refunds/create): a refund of a PaymentIntent's
    // charge, `amount` defaulting to what is left of it, refused when more than what is left
    // (https://docs.stripe.com/refunds: partial refunds, several while they add up to the charge at
    // most); an idempotency key answers the first refund again (https://docs.stripe.com/api/idempotent_requests)
    if (c.method === 'POST' && c.path === '/v1/refunds') {
      const intent = this.intents.get(c.body.payment_intent);
      if (!intent || intent.status !== 'succeeded') return invalid('this charge cannot be refunded');
      // a meal voucher takes no refund, whole or partial (https://docs.stripe.com/payments/meal-vouchers/fr-meal-vouchers)
      if (intent.payment_details?.benefit?.fr_meal_voucher) return invalid('Refunds are not supported for French meal vouchers payments.');
      const given = this.refunds.filter((r) => r.payment_intent === intent.id).reduce((s, r) => s + r.amount, 0);
      const amount = c.body.amount ? Number(c.body.amount) : intent.amount_received - given;
      if (given + amount > intent.amount_received) return invalid('refund greater than unrefunded amount');
      const refund = { id: `re_${(++this.seq).toString(36)}`, object: 'refund', amount, payment_intent: intent.id, created: Math.floor(Date.now() / 1000), status: 'succeeded' };
      this.refunds.push(refund);
      return { status: 200, body: refund };
    }
    const terminal = this.terminal(c, invalid, metadata, newId);
    if (terminal) return terminal;
    const checkout = this.checkout(c, invalid, metadata, newId);
    if (checkout) return checkout;
    return { status: 404, body: { error: { type: 'invalid_request_error', message: `unknown route ${c.method} ${c.path}` } } };
  }

  /** Terminal's server-driven calls, and the PaymentIntents' list. */
  private terminal(
    c: StripeCall,
    invalid: (message: string, type?: string) => { status: number; body: unknown },
    metadata: Record<string, string>,
    newId: (prefix: string) => string,
  ): { status: number; body: unknown } | null {
    const missing = (what: string, id: string) => ({ status: 404, body: { error: { type: 'invalid_request_error', code: 'resource_missing', message: `No such ${what}: '${id}'` } } });
    // https://docs.stripe.com/api/terminal/locations/create: display_name and address required
    if (c.method === 'POST' && c.path === '/v1/terminal/locations') {
      if (!c.body.display_name) return invalid('Missing required param: display_name.');
      if (!c.body['address[country]']) return invalid('Missing required param: address[country].');
      const address = Object.fromEntries(Object.entries(c.body).filter(([k]) => k.startsWith('address[')).map(([k, v]) => [k.slice(8, -1), v]));
      const location: FakeLocation = { id: newId('tml'), object: 'terminal.location', display_name: c.body.display_name, address, metadata };
      this.locations.set(location.id, location);
      return { status: 200, body: location };
    }
    // https://docs.stripe.com/api/terminal/readers/create: a registration code and a location; in test
    // mode `simulated-wpe` registers a simulated WisePOS E (https://docs.stripe.com/terminal/references/testing#simulated-reader)
    if (c.method === 'POST' && c.path === '/v1/terminal/readers') {
      if (!c.body.location || !this.locations.has(c.body.location)) return invalid(`No such location: '${c.body.location}'`);
      if (c.body.registration_code !== 'simulated-wpe') return invalid('The registration code provided is invalid.');
      const reader: FakeReader = {
        id: newId('tmr'), object: 'terminal.reader', device_type: 'simulated_wisepos_e', label: c.body.label ?? 'Reader', location: c.body.location,
        serial_number: newId('sim'), status: 'online', metadata, action: null,
      };
      this.readers.set(reader.id, reader);
      return { status: 200, body: reader };
    }
    const r = c.path.match(/^\/v1\/(test_helpers\/)?terminal\/readers\/([^/]+)\/(process_payment_intent|cancel_action|present_payment_method)$/);
    if (c.method === 'POST' && r) {
      const reader = this.readers.get(r[2]);
      if (!reader) return missing('terminal.reader', r[2]);
      if (r[3] === 'process_payment_intent' && !r[1]) {
        // https://docs.stripe.com/api/terminal/readers/process_payment_intent: a reader busy with another action refuses (terminal_reader_busy)
        const intent = this.intents.get(c.body.payment_intent);
        if (!intent) return missing('payment_intent', c.body.payment_intent);
        if (reader.action?.status === 'in_progress') return { status: 409, body: { error: { type: 'invalid_request_error', code: 'terminal_reader_busy', message: 'The reader is busy.' } } };
        if (intent.status !== 'requires_payment_method') return invalid(`This PaymentIntent's status is ${intent.status}.`);
        reader.action = { type: 'process_payment_intent', status: 'in_progress', failure_code: null, failure_message: null, process_payment_intent: { payment_intent: intent.id } };
        return { status: 200, body: reader };
      }
      if (r[3] === 'cancel_action' && !r[1]) {
        // https://docs.stripe.com/api/terminal/readers/cancel_action: the reader's action is dropped, the reader answered with `action: null`
        if (reader.action?.status !== 'in_progress') return invalid('This reader has no action in progress to cancel.');
        reader.action = null;
        return { status: 200, body: reader };
      }
      if (r[3] === 'present_payment_method' && r[1]) return this.presentCard(reader, c.body['card_present[number]'] ?? '4242424242424242', invalid);
    }
    // https://docs.stripe.com/api/payment_intents/list: newest first, filtered by `created`
    if (c.method === 'GET' && c.path === '/v1/payment_intents') {
      const gte = Number(c.body['created[gte]'] ?? 0);
      const lt = Number(c.body['created[lt]'] ?? Infinity);
      const data = [...this.intents.values()].filter((i) => (i.created ?? 0) >= gte && (i.created ?? 0) < lt).reverse();
      const limit = Number(c.body.limit ?? 10);
      return { status: 200, body: { object: 'list', url: '/v1/payment_intents', has_more: data.length > limit, data: data.slice(0, limit) } };
    }
    return null;
  }

  /** Checkout Sessions' calls. */
  private checkout(
    c: StripeCall,
    invalid: (message: string, type?: string) => { status: number; body: unknown },
    metadata: Record<string, string>,
    newId: (prefix: string) => string,
  ): { status: number; body: unknown } | null {
    const missing = (id: string) => ({ status: 404, body: { error: { type: 'invalid_request_error', code: 'resource_missing', message: `No such checkout.session: '${id}'` } } });
    if (c.method === 'POST' && c.path === '/v1/checkout/sessions') {
      // https://docs.stripe.com/api/checkout/sessions/create: `mode` required; in payment mode,
      // `line_items` with a Price or `price_data` (currency, unit_amount, product_data[name]);
      // `expires_at` from 30 minutes to 24 hours after creation (24 hours when not given)
      if (!c.body.mode) return invalid('Missing required param: mode.');
      const items: { amount: number; quantity: number; currency: string }[] = [];
      for (let i = 0; c.body[`line_items[${i}][quantity]`] !== undefined || c.body[`line_items[${i}][price_data][unit_amount]`] !== undefined; i++) {
        const at = (k: string) => c.body[`line_items[${i}]${k}`];
        if (!at('[price_data][currency]') || !at('[price_data][product_data][name]') || !/^[0-9]+$/.test(at('[price_data][unit_amount]') ?? '')) return invalid(`Invalid line_items[${i}][price_data].`);
        items.push({ amount: Number(at('[price_data][unit_amount]')), quantity: Number(at('[quantity]') ?? 1), currency: at('[price_data][currency]') });
      }
      if (c.body.mode === 'payment' && !items.length) return invalid('line_items is required in payment mode.');
      const created = Math.floor(Date.now() / 1000);
      const expiresAt = c.body.expires_at ? Number(c.body.expires_at) : created + 24 * 3600;
      if (expiresAt < created + 30 * 60 - 60 || expiresAt > created + 24 * 3600) return invalid('expires_at must be between 30 minutes and 24 hours from now.');
      const total = items.reduce((s, i) => s + i.amount * i.quantity, 0);
      const id = newId('cs_test');
      const intentMetadata = Object.fromEntries(Object.entries(c.body).filter(([k]) => k.startsWith('payment_intent_data[metadata][')).map(([k, v]) => [k.slice(30, -1), v]));
      const session: FakeCheckoutSession & { intentMetadata: Record<string, string> } = {
        id, object: 'checkout.session', mode: c.body.mode as FakeCheckoutSession['mode'], status: 'open', payment_status: 'unpaid',
        amount_subtotal: total, amount_total: total, currency: items[0]?.currency ?? 'eur', client_reference_id: c.body.client_reference_id ?? null,
        created, expires_at: expiresAt, locale: c.body.locale ?? null, metadata, payment_intent: null, success_url: c.body.success_url ?? null,
        url: `${this.base}/c/pay/${id}`, intentMetadata,
      };
      this.sessions.set(id, session);
      return { status: 200, body: this.sessionBody(session) };
    }
    const one = c.path.match(/^\/v1\/checkout\/sessions\/([^/]+)(\/expire)?$/);
    if (one) {
      const session = this.sessions.get(one[1]);
      if (!session) return missing(one[1]);
      if (c.method === 'GET' && !one[2]) return { status: 200, body: this.sessionBody(session) };
      if (c.method === 'POST' && one[2]) {
        // https://docs.stripe.com/api/checkout/sessions/expire: only an open session; Stripe then sends checkout.session.expired
        if (session.status !== 'open') return invalid(`This Checkout Session is ${session.status}: only an open session can be expired.`);
        session.status = 'expired';
        void this.send('checkout.session.expired', session);
        return { status: 200, body: this.sessionBody(session) };
      }
    }
    // https://docs.stripe.com/api/checkout/sessions/list: newest first, filtered by `created` and `status`
    if (c.method === 'GET' && c.path === '/v1/checkout/sessions') {
      const gte = Number(c.body['created[gte]'] ?? 0);
      const lt = Number(c.body['created[lt]'] ?? Infinity);
      const data = [...this.sessions.values()].filter((s) => s.created >= gte && s.created < lt && (!c.body.status || s.status === c.body.status)).reverse();
      const limit = Number(c.body.limit ?? 10);
      return { status: 200, body: { object: 'list', url: '/v1/checkout/sessions', has_more: data.length > limit, data: data.slice(0, limit).map((s) => this.sessionBody(s)) } };
    }
    return null;
  }

  private sessionBody(s: FakeCheckoutSession): FakeCheckoutSession {
    const { intentMetadata: _, ...body } = s as FakeCheckoutSession & { intentMetadata?: unknown };
    return structuredClone(body);
  }

  /** Stripe's hosted page for a session (a stand-in): what it asks, and paid as the customer would by a POST. */
  private hostedPage(id: string, method: string, res: import('node:http').ServerResponse) {
    const session = this.sessions.get(id);
    if (!session) return res.writeHead(404).end('no such session');
    if (method === 'POST' && session.status === 'open') this.completeSession(id);
    const amount = (session.amount_total / 100).toFixed(2);
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(`<!doctype html><title>Stripe Checkout (test)</title><p data-testid="amount">${amount} ${session.currency.toUpperCase()}</p>`
      + (session.status === 'open' ? `<form method="post"><button data-testid="pay">Pay</button></form>` : `<p data-testid="status">${session.status}</p>`));
  }

  /**
   * The customer pays the session's page (https://docs.stripe.com/checkout/fulfillment?payment-ui=stripe-hosted):
   * by card, the session completes paid with its PaymentIntent succeeded, and `checkout.session.completed`
   * is sent; by a delayed method that later fails (`delayed_failed`: e.g. a SEPA debit), the session
   * completes unpaid (`checkout.session.completed`, payment_status `unpaid`), then
   * `checkout.session.async_payment_failed` is sent.
   */
  async completeSession(id: string, outcome: 'paid' | 'delayed_failed' = 'paid'): Promise<FakeCheckoutSession> {
    const session = this.sessions.get(id) as (FakeCheckoutSession & { intentMetadata: Record<string, string> }) | undefined;
    if (!session || session.status !== 'open') throw new Error(`session ${id} is not open`);
    const pi = `pi_${(++this.seq).toString(36)}${Math.random().toString(36).slice(2, 10)}`;
    const paid = outcome === 'paid';
    this.intents.set(pi, {
      id: pi, object: 'payment_intent', amount: session.amount_total, amount_capturable: 0, amount_received: paid ? session.amount_total : 0, currency: session.currency,
      capture_method: 'automatic', status: paid ? 'succeeded' : 'requires_payment_method', client_secret: `${pi}_secret_x`, metadata: session.intentMetadata,
      last_payment_error: paid ? null : { message: 'The debit was refused.' }, payment_method_types: [paid ? 'card' : 'sepa_debit'], created: Math.floor(Date.now() / 1000),
    });
    Object.assign(session, { status: 'complete', payment_status: paid ? 'paid' : 'unpaid', payment_intent: pi });
    await this.send('checkout.session.completed', session);
    if (!paid) await this.send('checkout.session.async_payment_failed', session);
    return this.sessionBody(session);
  }

  /** The session's page reaches its `expires_at` unpaid: expired, and `checkout.session.expired` sent. */
  async expireSession(id: string): Promise<FakeCheckoutSession> {
    const session = this.sessions.get(id);
    if (!session || session.status !== 'open') throw new Error(`session ${id} is not open`);
    session.status = 'expired';
    await this.send('checkout.session.expired', session);
    return this.sessionBody(session);
  }

  /** An event as Stripe sends it to `webhookTo`: the body signed with the endpoint's secret (https://docs.stripe.com/webhooks#verify-events). */
  async send(type: string, object: FakeCheckoutSession, id?: string): Promise<{ id: string; payload: string } | null> {
    const event = this.event(type, this.sessionBody(object), id);
    const payload = JSON.stringify(event);
    if (!this.webhookTo) return { id: event.id, payload };
    const signature = Stripe.webhooks.generateTestHeaderString({ payload, secret: this.webhookTo.secret });
    const res = await fetch(this.webhookTo.url, { method: 'POST', headers: { 'content-type': 'application/json', 'stripe-signature': signature }, body: payload });
    this.sent.push({ type, id: event.id, status: res.status });
    return { id: event.id, payload };
  }

  /** The session made for a door payment of an order. */
  sessionOf(orderId: string): FakeCheckoutSession | undefined {
    return [...this.sessions.values()].reverse().find((s) => s.metadata.order_id === orderId);
  }

  /**
   * https://docs.stripe.com/api/terminal/readers/present_payment_method (test helper): the simulated
   * reader is handed a card; Stripe's test card numbers decide (https://docs.stripe.com/terminal/references/testing#standard-test-cards:
   * 4000000000000002 is declined). The intent is confirmed (succeeded, its amount received), or
   * carries the decline; the reader's action says the same.
   */
  private presentCard(reader: FakeReader, number: string, invalid: (message: string) => { status: number; body: unknown }) {
    if (reader.action?.status !== 'in_progress') return invalid('This reader has no action in progress.');
    const intent = this.intents.get(reader.action.process_payment_intent.payment_intent)!;
    if (number === '4000000000000002') {
      Object.assign(intent, { status: 'requires_payment_method', last_payment_error: { message: 'Your card was declined.' } });
      Object.assign(reader.action, { status: 'failed', failure_code: 'card_declined', failure_message: 'Your card was declined.' });
    } else {
      Object.assign(intent, { status: 'succeeded', amount_received: intent.amount, last_payment_error: null });
      reader.action.status = 'succeeded';
    }
    return { status: 200, body: reader };
  }

  /** The intent of an order's attempt. */
  intentOf(orderId: string, attempt = 1): FakeIntent | undefined {
    return [...this.intents.values()].find((i) => i.metadata.order_id === orderId && i.metadata.attempt === String(attempt) && i.metadata.voucher !== '1');
  }

  /** The card setup of an order. */
  setupOf(orderId: string): FakeSetup | undefined {
    return [...this.setups.values()].find((s) => s.metadata.order_id === orderId);
  }

  /** The customer saves their card on the setup's form (a card of Stripe's test ids by default). */
  saveCard(setup: FakeSetup, paymentMethod = `pm_${(++this.seq).toString(36)}card`) {
    Object.assign(setup, { status: 'succeeded', payment_method: paymentMethod });
    return paymentMethod;
  }

  /** The holds placed off-session on saved cards (PaymentIntents confirmed with the customer away), by the order they name. */
  holdsOf(orderId: string): FakeIntent[] {
    const asked = new Set(this.calls.filter((c) => c.path === '/v1/payment_intents' && c.body.off_session === 'true').map((c) => c.body['metadata[order_id]']));
    return asked.has(orderId) ? [...this.intents.values()].filter((i) => i.metadata.order_id === orderId && i.metadata.hold === 'off_session') : [];
  }

  /** The customer's card is authorised for the whole amount. */
  authorise(intent: FakeIntent) {
    Object.assign(intent, { status: 'requires_capture', amount_capturable: intent.amount, last_payment_error: null });
  }

  /**
   * The customer pays the intent on its form with the card `number` (a meal-voucher card for a
   * voucher's intent): a card PaymentMethod is made for it, whose fingerprint is the same for the same
   * number, and the intent is held (manual capture) or succeeded.
   */
  payWithCard(intent: FakeIntent, number: string): FakePaymentMethod {
    const digits = number.replace(/\D/g, '');
    const pm: FakePaymentMethod = {
      id: `pm_${(++this.seq).toString(36)}${Math.random().toString(36).slice(2, 10)}`, object: 'payment_method', type: 'card',
      card: { brand: 'visa', last4: digits.slice(-4), exp_month: 12, exp_year: 2030, fingerprint: createHash('sha256').update(digits).digest('hex').slice(0, 16) },
      customer: null, created: Math.floor(Date.now() / 1000),
    };
    this.paymentMethods.set(pm.id, pm);
    const manual = intent.capture_method === 'manual';
    Object.assign(intent, {
      payment_method: pm.id, last_payment_error: null, status: manual ? 'requires_capture' : 'succeeded',
      amount_capturable: manual ? intent.amount : 0, amount_received: manual ? 0 : intent.amount,
    });
    return pm;
  }

  /** The voucher intent of an order's attempt (its metadata says so). */
  voucherIntentOf(orderId: string, attempt = 1): FakeIntent | undefined {
    return [...this.intents.values()].find((i) => i.metadata.order_id === orderId && i.metadata.attempt === String(attempt) && i.metadata.voucher === '1');
  }

  /** The customer's card is refused. */
  decline(intent: FakeIntent, message = 'Your card was declined.') {
    Object.assign(intent, { status: 'requires_payment_method', last_payment_error: { message } });
  }

  /** The webhook event Stripe sends for the intent (or setup) as it now is. */
  event<T extends FakeIntent | FakeSetup | FakeReader | FakeCheckoutSession>(type: string, intent: T, id = `evt_${(++this.seq).toString(36)}${Math.random().toString(36).slice(2, 8)}`) {
    return { id, object: 'event', type, api_version: '2025-01-01', created: Math.floor(Date.now() / 1000), data: { object: { ...intent } as T } };
  }
}
