// A small server speaking the part of Uber Eats' Marketplace APIs the product calls, modelled on
// developer.uber.com/docs/eats: client-credentials tokens per scope set (POST /oauth/v2/token), a
// call without a valid bearer refused 401 and one whose token lacks the endpoint's scope 403;
// orders (GET /v2/eats/order/{id}; accept_pos_order, deny_pos_order and cancel answered 409 when
// the order is not in a state that allows it; restaurantdelivery/status only for an order the shop
// delivers; the newer generation's /v1/delivery/order/… calls are not served: 404), menus (PUT /v2/eats/stores/{id}/menus, item suspensions through
// POST …/menus/items/{item}), store status and busy time, and the payment details report (POST
// /v1/eats/report, the job read back, its CSV downloaded). Uber's side is played by `placeOrder`
// (its orders.notification webhook, and the order cancelled with orders.cancel if nobody answers
// within the accept window), `cancelOrder`, `courier`, `fastRelease` and `report`. Every call is
// kept in `calls` so tests can check what the provider sent.
//
// Store activation, as Uber's authentication and integration configuration guides describe it
// (developer.uber.com/docs/eats/guides/authentication: client_credentials for stores already
// connected, authorization_code for store discovery and activation; /docs/eats/guides/pos-provision):
// a merchant's user authorizes the app on GET /oauth/v2/authorize (`merchants` says which stores
// each user may authorize; `consent` plays the user's answer) and is sent back to the redirect_uri
// with a code; the code is exchanged at POST /oauth/v2/token (grant_type=authorization_code) for a
// user token of scope eats.pos_provisioning; GET /v1/eats/stores lists that user's stores
// (references/api/v1/get-eats-stores: `stores`, `next_key`); POST /v1/eats/stores/{id}/pos_data with
// that token activates the integration (references/api/v1/post-eats-stores-storeid-posdata:
// is_order_manager nominates the app to accept, deny and cancel the store's orders; read here from
// the JSON body, as PATCH …/pos_data documents its fields); GET …/pos_data reads it back (eats.store);
// store.provisioned is then sent (references/api/webhooks/store-provisioned). Until a store has the
// app as its order manager, accept_pos_order, deny_pos_order and cancel answer 403 (the order
// integration guide: only the order manager app accepts, denies or cancels); `provision` plays a
// store Uber pre-integrated during onboarding (the guide's first mechanism).
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { UberWebhookSender } from './uber-eats-webhooks.ts';

type Json = Record<string, any>;

export interface UberCall {
  method: string;
  path: string;
  body: Json | null;
  status: number;
}

export interface FakeUberOrder {
  /** The order as GET /v2/eats/order/{id} answers it. */
  order: Json;
  accepted: Json | null;
  denied: Json | null;
  cancelled: { by: 'shop' | 'uber'; reason: string } | null;
  deliveryStatuses: string[];
  deadline: NodeJS.Timeout | null;
}

export interface FakeUberStore {
  status: 'ONLINE' | 'PAUSED';
  reason: string | null;
  delaySeconds: number;
  defaultPrepSeconds: number | null;
  menu: Json | null;
  /** Suspended items: until when (Unix seconds). */
  suspended: Map<string, number>;
}

export interface PayoutRow {
  orderId: string | null;
  salesCents: number;
  feeCents: number;
  refundCents: number;
  payoutCents: number;
  description?: string;
}

const ORDER_SCOPES = ['eats.order', 'eats.store.orders.read'];
const DENY_CODES = ['STORE_CLOSED', 'POS_NOT_READY', 'POS_OFFLINE', 'ITEM_AVAILABILITY', 'MISSING_ITEM', 'MISSING_INFO', 'PRICING', 'CAPACITY', 'ADDRESS', 'SPECIAL_INSTRUCTIONS', 'OTHER'];
const CANCEL_CODES = ['OUT_OF_ITEMS', 'KITCHEN_CLOSED', 'CUSTOMER_CALLED_TO_CANCEL', 'RESTAURANT_TOO_BUSY', 'CANNOT_COMPLETE_CUSTOMER_NOTE', 'OTHER'];
const euros = (cents: number) => (cents / 100).toFixed(2);
const money = (amount: number) => ({ amount, currency_code: 'EUR', formatted_amount: `€${euros(amount)}` });

/** An item of a cart as Uber lists it (our pushed id as its id). */
export function cartItem(id: string, title: string, quantity: number, unitCents: number, options: { id: string; title: string; cents: number }[] = []): Json {
  const optionsCents = options.reduce((s, o) => s + o.cents, 0);
  return {
    id, instance_id: randomUUID(), title, quantity,
    price: { unit_price: money(unitCents), total_price: money((unitCents + optionsCents) * quantity) },
    selected_modifier_groups: options.length ? [{ id: 'g-options', title: 'Options', selected_items: options.map((o) => ({ id: o.id, title: o.title, quantity: 1, price: { unit_price: money(o.cents), total_price: money(o.cents) } })) }] : [],
  };
}

class Refusal extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
  }
}

export class FakeUberEats {
  readonly clientId = 'uber-test-client-id';
  readonly clientSecret = 'uber-test-client-secret-0123456789';
  /** The scopes Uber granted this client (a token asking for another is refused). */
  allowedScopes = new Set(['eats.order', 'eats.store', 'eats.store.status.write', 'eats.report', 'eats.store.orders.read', 'eats.store.orders.restaurantdelivery.status']);
  tokenSeconds = 2_592_000;
  /** How long an order may stay unanswered before Uber cancels it (11.5 min; tests shorten it). */
  acceptWindowMs = 11.5 * 60_000;
  /** How many reads of a report job answer "not yet" before its files are named. */
  reportPendingReads = 1;
  readonly calls: UberCall[] = [];
  readonly orders = new Map<string, FakeUberOrder>();
  readonly stores = new Map<string, FakeUberStore>();
  /** Each merchant user's stores, as GET /v1/eats/stores lists them for that user's token (user id → stores). */
  readonly merchants = new Map<string, { store_id: string; name: string; location: Json }[]>();
  /** The user who answers Uber's consent page next, and whether they allow the app (else error=access_denied). */
  consent: { user: string; allow: boolean } = { user: 'merchant-user-1', allow: true };
  /** Each store's integration (POST/GET …/pos_data): present once activated. */
  readonly integrations = new Map<string, { integration_enabled: boolean; is_order_manager: boolean; integrator_store_id: string | null }>();
  private readonly codes = new Map<string, { user: string; redirectUri: string; scope: string }>();
  readonly webhooks = new UberWebhookSender(this.clientSecret);
  tokenRequests = 0;
  private readonly tokens = new Map<string, { scopes: Set<string>; until: number; user?: string }>();
  private readonly payouts = new Map<string, PayoutRow[]>();
  private readonly jobs = new Map<string, { storeIds: string[]; start: string; reads: number }>();
  private server: Server | null = null;
  private base = '';
  private seq = 0;

  async start(): Promise<string> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.base = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.base;
  }

  async stop(): Promise<void> {
    this.webhooks.stop();
    for (const o of this.orders.values()) if (o.deadline) clearTimeout(o.deadline);
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }

  /** The settings that point the product at this server. */
  env(): Record<string, string> {
    return {
      UBER_EATS_CLIENT_ID: this.clientId, UBER_EATS_CLIENT_SECRET: this.clientSecret, UBER_EATS_API_URL: this.base,
      UBER_EATS_AUTH_URL: `${this.base}/oauth/v2/token`, UBER_EATS_AUTHORIZE_URL: `${this.base}/oauth/v2/authorize`,
    };
  }

  /** A store Uber integrated with the app during onboarding: the app is its order manager. */
  provision(storeId: string): void {
    this.integrations.set(storeId, { integration_enabled: true, is_order_manager: true, integrator_store_id: null });
  }

  /** Every token given so far stops working (a rotated secret, a revoked app). */
  revokeTokens(): void {
    this.tokens.clear();
  }

  store(id: string): FakeUberStore {
    let s = this.stores.get(id);
    if (!s) this.stores.set(id, (s = { status: 'ONLINE', reason: null, delaySeconds: 0, defaultPrepSeconds: null, menu: null, suspended: new Map() }));
    return s;
  }

  /** The items of a store suspended now. */
  suspendedItems(storeId: string): string[] {
    const now = Date.now() / 1000;
    return [...this.store(storeId).suspended].filter(([, until]) => until > now).map(([id]) => id).sort();
  }

  callsTo(method: string, pattern: RegExp): UberCall[] {
    return this.calls.filter((c) => c.method === method && pattern.test(c.path));
  }

  /** An eater orders from a store: the order is kept, its orders.notification sent, and its accept deadline runs. */
  placeOrder(storeId: string, partial: Json = {}, type: 'orders.notification' | 'orders.scheduled.notification' = 'orders.notification'): FakeUberOrder {
    const id = randomUUID();
    const items: Json[] = partial.cart?.items ?? [cartItem('p1', 'Margherita', 1, 1100)];
    const food = items.reduce((s, i) => s + (i.price?.total_price?.amount ?? 0), 0);
    const order: Json = {
      id, display_id: id.slice(-5).toUpperCase(), current_state: 'CREATED', type: 'DELIVERY_BY_UBER',
      store: { id: storeId, name: 'OC Pizza' },
      eater: { first_name: 'Camille', phone: '+33 1 86 76 00 00', phone_code: '424 21 983' },
      placed_at: new Date().toISOString(),
      estimated_ready_for_pickup_at: new Date(Date.now() + 20 * 60_000).toISOString(),
      payment: { charges: { total: money(food), sub_total: money(food), tax: money(Math.round(food / 11)) } },
      deliveries: [],
      ...partial,
      cart: { special_instructions: null, ...partial.cart, items },
    };
    const held: FakeUberOrder = { order, accepted: null, denied: null, cancelled: null, deliveryStatuses: [], deadline: null };
    this.orders.set(id, held);
    held.deadline = setTimeout(() => this.expire(held), this.acceptWindowMs);
    held.deadline.unref();
    this.webhooks.send(this.webhooks.event(type, { resource_id: id, status: 'pos', user_id: storeId }, `${this.base}/v2/eats/order/${id}`));
    return held;
  }

  /**
   * Each store's Orders API version (its integration's setting at Uber). A store on 1.0.0 is told of
   * a cancellation with `orders.failure`, not `orders.cancel` (developer.uber.com/docs/eats/guides/webhooks:
   * "orders.failure — Sent when an order is cancelled. (Only applies to stores configured on API
   * version 1.0.0.)"). Unset: the current version.
   */
  readonly apiVersions = new Map<string, '1.0.0' | '1.2.0'>();

  /** The eater or Uber cancels the order: orders.cancel is sent (orders.failure to a store on 1.0.0). */
  cancelOrder(id: string, reason = 'EATER_CANCELLED'): void {
    const held = this.held(id);
    this.close(held, { by: 'uber', reason });
  }

  /** Uber's courier moves: the order's delivery is updated and delivery.state_changed sent. */
  courier(id: string, state: string, etaSeconds: number | null): void {
    const held = this.held(id);
    const eta = etaSeconds === null ? null : new Date(Date.now() + etaSeconds * 1000).toISOString();
    held.order.deliveries = [{ id: 'courier-1', first_name: 'Karim', current_state: state, estimated_pickup_time: eta }];
    const meta = { resource_id: id, user_id: held.order.store.id, status: state, ...(eta ? { estimated_pickup_time: eta } : {}) };
    this.webhooks.send(this.webhooks.event('delivery.state_changed', meta, `${this.base}/v2/eats/order/${id}`));
  }

  /** Fast order release: the courier reached the shop's geo-fence (orders.release). */
  fastRelease(id: string): void {
    const held = this.held(id);
    this.webhooks.send(this.webhooks.event('orders.release', { resource_id: id, user_id: held.order.store.id, status: 'released' }, `${this.base}/v2/eats/order/${id}`));
  }

  /** What the payment details report of a store will say for the week starting that day. */
  report(storeId: string, weekStart: string, rows: PayoutRow[]): void {
    this.payouts.set(`${storeId}/${weekStart}`, rows);
  }

  private held(id: string): FakeUberOrder {
    const held = this.orders.get(id);
    if (!held) throw new Error(`no Uber order ${id}`);
    return held;
  }

  private expire(held: FakeUberOrder): void {
    if (held.order.current_state === 'CREATED') this.close(held, { by: 'uber', reason: 'TIMEOUT' });
  }

  private close(held: FakeUberOrder, cancelled: FakeUberOrder['cancelled']): void {
    if (held.deadline) clearTimeout(held.deadline);
    held.order.current_state = 'CANCELED';
    held.cancelled = cancelled;
    if (cancelled?.by === 'uber') {
      const meta = { resource_id: held.order.id, user_id: held.order.store.id, status: 'CANCELED', reason: cancelled.reason };
      const type = this.apiVersions.get(String(held.order.store.id)) === '1.0.0' ? 'orders.failure' : 'orders.cancel';
      this.webhooks.send(this.webhooks.event(type, meta, `${this.base}/v2/eats/order/${held.order.id}`));
    }
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const path = req.url!.split('?')[0];
    const call: UberCall = { method: req.method!, path, body: null, status: 0 };
    this.calls.push(call);
    if (path === '/oauth/v2/authorize') {
      const page = this.authorizePage(new URL(req.url!, this.base));
      call.status = page.status;
      res.writeHead(page.status, page.location ? { location: page.location } : { 'content-type': 'application/json' });
      res.end(page.location ? '' : JSON.stringify(page.body));
      return;
    }
    let answer: { status: number; body?: unknown; type?: string };
    try {
      call.body = path === '/oauth/v2/token' ? Object.fromEntries(new URLSearchParams(raw)) : raw ? JSON.parse(raw) : null;
      answer = path === '/oauth/v2/token' ? this.token(call.body ?? {}) : this.route(req, call);
    } catch (e) {
      answer = e instanceof Refusal ? { status: e.status, body: { code: e.code, message: e.message } } : { status: 400, body: { code: 'invalid_request', message: String(e) } };
    }
    call.status = answer.status;
    const text = answer.body === undefined ? '' : typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body);
    res.writeHead(answer.status, text ? { 'content-type': answer.type ?? 'application/json' } : {});
    res.end(text);
  }

  private token(form: Json): { status: number; body: unknown } {
    this.tokenRequests++;
    if (form.client_id !== this.clientId || form.client_secret !== this.clientSecret) return { status: 401, body: { error: 'invalid_client' } };
    if (form.grant_type === 'authorization_code') return this.userToken(form);
    if (form.grant_type !== 'client_credentials') return { status: 400, body: { error: 'unsupported_grant_type' } };
    const scopes = String(form.scope ?? '').split(/\s+/).filter(Boolean);
    this.scopeRequests.push(scopes.join(' '));
    if (!scopes.length || scopes.some((s) => !this.allowedScopes.has(s))) return { status: 400, body: { error: 'invalid_scope' } };
    const token = `uber-token-${++this.seq}-${randomUUID()}`;
    this.tokens.set(token, { scopes: new Set(scopes), until: Date.now() + this.tokenSeconds * 1000 });
    return { status: 200, body: { access_token: token, token_type: 'Bearer', expires_in: this.tokenSeconds, scope: scopes.join(' ') } };
  }

  /** The scope of each client_credentials token asked for, in order. */
  readonly scopeRequests: string[] = [];

  /** The code of a consent given, exchanged once, for the redirect_uri it was given for: a user token (eats.pos_provisioning). */
  private userToken(form: Json): { status: number; body: unknown } {
    const code = this.codes.get(String(form.code ?? ''));
    this.codes.delete(String(form.code ?? ''));
    if (!code || code.redirectUri !== form.redirect_uri) return { status: 400, body: { error: 'invalid_grant' } };
    const token = `uber-user-token-${++this.seq}-${randomUUID()}`;
    this.tokens.set(token, { scopes: new Set(code.scope.split(' ')), until: Date.now() + 3600 * 1000, user: code.user });
    return { status: 200, body: { access_token: token, token_type: 'Bearer', expires_in: 3600, scope: code.scope, refresh_token: `refresh-${randomUUID()}` } };
  }

  /** Uber's consent page, answered at once by `consent`: back to the redirect_uri with a code and the state, or the error. */
  private authorizePage(url: URL): { status: number; body?: unknown; location?: string } {
    const q = url.searchParams;
    const back = q.get('redirect_uri');
    if (q.get('client_id') !== this.clientId || q.get('response_type') !== 'code' || !back) return { status: 400, body: { error: 'invalid_request' } };
    const to = new URL(back);
    if (q.get('state')) to.searchParams.set('state', q.get('state')!);
    if (!this.consent.allow) {
      to.searchParams.set('error', 'access_denied');
      return { status: 302, location: to.toString() };
    }
    const code = `code-${randomUUID()}`;
    this.codes.set(code, { user: this.consent.user, redirectUri: back, scope: q.get('scope') ?? 'eats.pos_provisioning' });
    to.searchParams.set('code', code);
    return { status: 302, location: to.toString() };
  }

  /** The bearer of the call, refused 401 when missing, unknown or expired, 403 when it lacks every one of the scopes. */
  private authorise(req: IncomingMessage, scopes: string[]): { user?: string } {
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    const token = bearer ? this.tokens.get(bearer) : undefined;
    if (!token || token.until < Date.now()) throw new Refusal(401, 'unauthorized', 'Invalid OAuth 2.0 credentials provided.');
    if (!scopes.some((s) => token.scopes.has(s))) throw new Refusal(403, 'forbidden', `this endpoint needs the ${scopes.join(' or ')} scope`);
    return { user: token.user };
  }

  /** Each endpoint: its method and path, the scopes that may call it (null: a pre-signed file), what it does. */
  private readonly routes: [string, RegExp, string[] | null, (p: string[], b: Json) => { status: number; body?: unknown; type?: string }][] = [
    ['GET', /^\/reports\/([^/]+)\.csv$/, null, (p) => ({ status: 200, body: this.csvOf(p[1]), type: 'text/csv' })],
    ['GET', /^\/v2\/eats\/order\/([^/]+)$/, ORDER_SCOPES, (p) => ({ status: 200, body: this.held404(p[1]).order })],
    ['POST', /^\/v1\/eats\/orders\/([^/]+)\/(accept_pos_order|deny_pos_order|cancel)$/, ['eats.order'], (p, b) => this.answerOrder(this.held404(p[1]), p[2], b)],
    ['POST', /^\/v1\/eats\/orders\/([^/]+)\/restaurantdelivery\/status$/, ['eats.store.orders.restaurantdelivery.status'], (p, b) => this.deliveryStatus(this.held404(p[1]), b)],
    ['PUT', /^\/v2\/eats\/stores\/([^/]+)\/menus$/, ['eats.store'], (p, b) => this.uploadMenu(p[1], b)],
    ['POST', /^\/v2\/eats\/stores\/([^/]+)\/menus\/items\/([^/]+)$/, ['eats.store'], (p, b) => this.updateItem(p[1], p[2], b)],
    ['POST', /^\/v1\/eats\/store\/([^/]+)\/status$/, ['eats.store.status.write'], (p, b) => this.setStatus(p[1], b)],
    ['POST', /^\/v1\/delivery\/store\/([^/]+)\/update-store-prep-time$/, ['eats.store'], (p, b) => this.setPrepTime(p[1], b)],
    ['POST', /^\/v1\/eats\/report$/, ['eats.report'], (_p, b) => this.requestReport(b)],
    ['GET', /^\/v1\/eats\/stores\/([^/]+)\/pos_data$/, ['eats.store'], (p) => this.readIntegration(p[1])],
    ['GET', /^\/v1\/eats\/report\/([^/]+)$/, ['eats.report'], (p) => this.readJob(p[1])],
  ];

  private route(req: IncomingMessage, call: UberCall): { status: number; body?: unknown; type?: string } {
    // the merchant user's own calls: their stores, and the activation of one of them
    if (call.method === 'GET' && call.path === '/v1/eats/stores') return { status: 200, body: this.userStores(this.authorise(req, ['eats.pos_provisioning', 'eats.store']).user) };
    const activating = call.method === 'POST' ? /^\/v1\/eats\/stores\/([^/]+)\/pos_data$/.exec(call.path) : null;
    if (activating) return this.activate(this.authorise(req, ['eats.pos_provisioning']).user, decodeURIComponent(activating[1]), call.body ?? {});
    for (const [method, re, scopes, answer] of this.routes) {
      const found = method === call.method ? re.exec(call.path) : null;
      if (!found) continue;
      if (scopes) this.authorise(req, scopes);
      return answer(found.map((part) => decodeURIComponent(part)), call.body ?? {});
    }
    throw new Refusal(404, 'not_found', `no route ${call.method} ${call.path}`);
  }

  private userStores(user: string | undefined): Json {
    // a client_credentials token lists the stores integrated with the app
    const stores = user ? (this.merchants.get(user) ?? []) : [...this.integrations.keys()].map((id) => ({ store_id: id, name: id, location: {} }));
    return { stores, next_key: '' };
  }

  private activate(user: string | undefined, storeId: string, b: Json): { status: number; body?: unknown } {
    if (!user || !(this.merchants.get(user) ?? []).some((s) => s.store_id === storeId)) throw new Refusal(403, 'forbidden', 'this user may not set up this store');
    if (b.is_order_manager !== undefined && typeof b.is_order_manager !== 'boolean') throw new Refusal(400, 'invalid_request', 'is_order_manager must be a boolean');
    const integration = { integration_enabled: b.integration_enabled ?? true, is_order_manager: b.is_order_manager === true, integrator_store_id: typeof b.integrator_store_id === 'string' ? b.integrator_store_id : null };
    this.integrations.set(storeId, integration);
    this.webhooks.send(this.webhooks.event('store.provisioned', { user_id: storeId, resource_id: storeId, status: 'provisioned' }));
    return { status: 200, body: { store_id: storeId, ...integration } };
  }

  private readIntegration(storeId: string): { status: number; body: unknown } {
    const i = this.integrations.get(storeId);
    if (!i) throw new Refusal(404, 'not_found', 'no integration for this store');
    return { status: 200, body: { store_id: storeId, ...i } };
  }

  /** Uber takes the integration away (store.deprovisioned): orders of the store are no longer the app's to answer. */
  deprovision(storeId: string): void {
    this.integrations.delete(storeId);
    this.webhooks.send(this.webhooks.event('store.deprovisioned', { user_id: storeId, resource_id: storeId, status: 'deprovisioned' }));
  }

  private held404(id: string): FakeUberOrder {
    const held = this.orders.get(id);
    if (!held) throw new Refusal(404, 'not_found', 'order not found');
    return held;
  }

  private answerOrder(held: FakeUberOrder, action: string, b: Json): { status: number } {
    if (!this.integrations.get(String(held.order.store.id))?.is_order_manager) throw new Refusal(403, 'forbidden', 'this app is not the order manager of the store');
    const state = held.order.current_state;
    if (action === 'cancel') {
      if (state !== 'ACCEPTED' && state !== 'CREATED') throw new Refusal(409, 'conflict', `order is ${state}`);
      if (!CANCEL_CODES.includes(b.reason)) throw new Refusal(400, 'invalid_reason', 'reason must be a cancel reason code');
      this.close(held, { by: 'shop', reason: `${b.reason}: ${b.details ?? ''}` });
      return { status: 200 };
    }
    if (state !== 'CREATED') throw new Refusal(409, 'conflict', `order is ${state}, not CREATED`);
    if (held.deadline) clearTimeout(held.deadline);
    if (action === 'accept_pos_order') {
      if (typeof b.reason !== 'string') throw new Refusal(400, 'invalid_request', 'reason is required');
      held.accepted = b;
      held.order.current_state = 'ACCEPTED';
      if (Number.isInteger(b.pickup_time)) held.order.estimated_ready_for_pickup_at = new Date(b.pickup_time * 1000).toISOString();
    } else {
      if (!DENY_CODES.includes(b.reason?.code)) throw new Refusal(400, 'invalid_reason', 'reason.code must be a deny reason code');
      held.denied = b;
      held.order.current_state = 'DENIED';
    }
    return { status: 204 };
  }

  private deliveryStatus(held: FakeUberOrder, b: Json): { status: number } {
    if (held.order.type !== 'DELIVERY_BY_RESTAURANT') throw new Refusal(400, 'invalid_request', 'not compatible with Uber-coordinated delivery or pickup orders');
    if (!['started', 'arriving', 'delivered'].includes(b.status)) throw new Refusal(400, 'invalid_request', 'status must be started, arriving or delivered');
    held.deliveryStatuses.push(b.status);
    return { status: 204 };
  }

  private uploadMenu(storeId: string, b: Json): { status: number } {
    const lists = ['menus', 'categories', 'items', 'modifier_groups'];
    if (lists.some((k) => !Array.isArray(b[k])) || b.menus.length === 0) throw new Refusal(400, 'invalid_menu', 'menus, categories, items and modifier_groups are required');
    const ids = new Set<string>();
    for (const item of b.items as Json[]) {
      if (typeof item.id !== 'string' || !item.title?.translations || !Number.isInteger(item.price_info?.price) || item.price_info.price < 0) {
        throw new Refusal(400, 'invalid_menu', `item ${String(item.id)}: id, title and an integer price_info.price are required`);
      }
      ids.add(item.id);
    }
    const named = [...(b.categories as Json[]).flatMap((c) => c.entities ?? []), ...(b.modifier_groups as Json[]).flatMap((g) => g.modifier_options ?? [])];
    const unknown = named.find((e) => !ids.has(e.id));
    if (unknown) throw new Refusal(400, 'invalid_menu', `entity ${unknown.id} is not an item`);
    const store = this.store(storeId);
    store.menu = b;
    store.suspended = new Map();
    for (const item of b.items as Json[]) this.suspend(store, item.id, item.suspension_info);
    return { status: 204 };
  }

  private updateItem(storeId: string, itemId: string, b: Json): { status: number } {
    const store = this.store(storeId);
    const item = (store.menu?.items as Json[] | undefined)?.find((i) => i.id === itemId);
    if (!item) throw new Refusal(404, 'not_found', store.menu ? `item ${itemId} not found` : 'no menu uploaded for this store');
    if (b.price_info) item.price_info = b.price_info;
    if (b.suspension_info) this.suspend(store, itemId, b.suspension_info);
    return { status: 204 };
  }

  private suspend(store: FakeUberStore, itemId: string, info: Json | undefined): void {
    const until = info?.suspension?.suspend_until;
    if (info && !Number.isInteger(until)) throw new Refusal(400, 'invalid_request', 'suspension.suspend_until must be a Unix time (0 to restore)');
    if (until > 0) store.suspended.set(itemId, until);
    else store.suspended.delete(itemId);
  }

  private setStatus(storeId: string, b: Json): { status: number } {
    if (b.status !== 'ONLINE' && b.status !== 'PAUSED') throw new Refusal(400, 'invalid_request', 'status must be ONLINE or PAUSED');
    Object.assign(this.store(storeId), { status: b.status, reason: b.reason ?? null });
    return { status: 204 };
  }

  private setPrepTime(storeId: string, b: Json): { status: number; body: unknown } {
    const given = ['default_prep_time', 'delay_config'].filter((k) => b[k] !== undefined);
    if (given.length !== 1) throw new Refusal(400, 'invalid_request', 'exactly one of default_prep_time and delay_config');
    const store = this.store(storeId);
    if (b.default_prep_time !== undefined) {
      if (!Number.isInteger(b.default_prep_time) || b.default_prep_time < 0 || b.default_prep_time > 10_800) throw new Refusal(400, 'invalid_request', 'default_prep_time: 0 to 10800 seconds');
      store.defaultPrepSeconds = b.default_prep_time;
    } else {
      const seconds = b.delay_config?.delay_duration;
      if (!Number.isInteger(seconds) || seconds < 0 || seconds > 10_800) throw new Refusal(400, 'invalid_request', 'delay_config.delay_duration: 0 to 10800 seconds');
      store.delaySeconds = seconds;
    }
    return { status: 200, body: {} };
  }

  private requestReport(b: Json): { status: number; body: unknown } {
    if (b.report_type !== 'PAYMENT_DETAILS_REPORT' && b.report_type !== 'FINANCE_SUMMARY_REPORT') throw new Refusal(400, 'invalid_request', 'unknown report_type');
    if (!Array.isArray(b.store_uuids) || !/^\d{4}-\d{2}-\d{2}$/.test(b.start_date ?? '') || !/^\d{4}-\d{2}-\d{2}$/.test(b.end_date ?? '')) {
      throw new Refusal(400, 'invalid_request', 'store_uuids, start_date and end_date (YYYY-MM-DD) are required');
    }
    const workflowId = randomUUID();
    this.jobs.set(workflowId, { storeIds: b.store_uuids, start: b.start_date, reads: 0 });
    return { status: 200, body: { workflow_id: workflowId } };
  }

  private readJob(workflowId: string): { status: number; body: unknown } {
    const job = this.jobs.get(workflowId);
    if (!job) throw new Refusal(404, 'not_found', 'report job not found');
    if (job.reads++ < this.reportPendingReads) return { status: 202, body: { job_id: workflowId, status: 'PENDING' } };
    return { status: 200, body: { job_id: workflowId, report_type: 'PAYMENT_DETAILS_REPORT', report_metadata: { sections: [{ download_url: `${this.base}/reports/${workflowId}.csv` }] } } };
  }

  private csvOf(workflowId: string): string {
    const job = this.jobs.get(workflowId);
    if (!job) throw new Refusal(404, 'not_found', 'no such report file');
    const head = 'Store ID,Order ID,Description,"Sales (incl. VAT)",Marketplace Fee,"Refunds (incl. VAT)",Total payout';
    const lines = job.storeIds.flatMap((s) => (this.payouts.get(`${s}/${job.start}`) ?? []).map((r) =>
      [s, r.orderId ?? '', `"${r.description ?? ''}"`, euros(r.salesCents), euros(-r.feeCents), euros(-r.refundCents), euros(r.payoutCents)].join(',')));
    return [head, ...lines].join('\n');
  }
}
