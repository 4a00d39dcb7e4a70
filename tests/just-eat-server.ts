// A small server speaking the part of Just Eat Takeaway's JET Connect the product uses, written from
// Just Eat's published OpenAPI reference, https://uk.api.just-eat.io/docs (its "JET Connect" tags),
// and https://developers.just-eat.com/documentation/jet-connect. Each call, with its source:
//   Receive Order (JET → us), JetConnectForManageOrderStatus_receiveOrderPost: the order POSTed whole,
//     with X-JET-Connect-Hash "HMAC-SHA256 t=<unix ms>,signature=<base64 HMAC-SHA256 of the body>"
//     when an HMAC secret was given, and our key in Authorization (the `api_key` scheme). The answer
//     decides: 200 {OrderId} injected; 202 {OrderId} pending, failed to inject after 3 minutes
//     without news; any other status a failure, the order sent to the tablet to be keyed in by hand.
//   POST /order/{id}/sent-to-pos-success {happenedAt} (updateOrderStatusSuccess) and
//   POST /order/{id}/sent-to-pos-failed {happenedAt, errorCode, errorMessage} (markOrderInjectionFailed):
//     204 for a pending order; 400 {message} for one not found or no longer pending.
//   Cancel Order Notification (notifyOrderCancellation): {orderID, reason {code}, happenedAt},
//     answered 200 with the same body; a 500 is retried up to 5 times.
//   Driver Status Notification (receiveDriverStatusUpdate): {orderID, driverStatus {code}, happenedAt}.
//   POST /menus (ingestMenuFromPos): restaurants, menus and callback_url required; a menu's name,
//     reference, type (DELIVERY|COLLECTION) and categories; a category's name, description, items;
//     an item's name and plu; a modifier's name, description and pick; hours "hh:mm - hh:mm".
//     202 {success: true}; 403 {success: false, error_message: "Restaurant not registered"}.
//   POST /item-availability (updateItemAvailability): event AVAILABLE|UNAVAILABLE, itemReferences,
//     restaurant; nextAvailableAt only when UNAVAILABLE and in the future. 202 {success: true}.
//   PUT /restaurants/{restaurantReference}/offline | /online (setRestaurantOffline|Online): 202, 404
//     for a restaurant JET Connect does not know.
// Every call needs the brand's key as X-Flyt-Api-Key, else 401 {message}. It records every call
// and every webhook it posts, and keeps restaurants (menus, unavailable items, online) and orders.
import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface JetCall {
  method: string;
  path: string;
  body: any;
  headers: Record<string, string | string[] | undefined>;
  status?: number;
}

export interface JetRestaurant {
  ref: string;
  online: boolean;
  menus: any[];
  unavailable: Set<string>;
}

export type JetOrderStatus = 'sent' | 'pending' | 'injected' | 'failed_to_inject' | 'backup_flow';

export interface JetFakeOrder {
  body: any;
  status: JetOrderStatus;
  /** What sent-to-pos-failed said, if we said it. */
  failure?: { errorCode: string; errorMessage: string };
}

export interface JetOrderSpec {
  type?: 'delivery-by-delivery-partner' | 'delivery-by-merchant' | 'collection-by-customer';
  items?: { plu: string; name: string; price: number; notes?: string; children?: { plu: string; name: string; price: number }[] }[];
  kitchenNotes?: string;
  firstName?: string;
}

export interface JetWebhook {
  kind: 'order' | 'cancel' | 'driver';
  raw: string;
  headers: Record<string, string>;
  status: number;
  answer: string;
  at: number;
}

type Reply = { status: number; body?: unknown };

const FAILURE_CODES = /^(UNKNOWN|INACTIVE|INCORRECT_SETUP|IN_USE|TIMEOUT|NOT_SUPPORTED|MENU_ERROR|MALFORMED_REQUEST|AUTH_FAILED|STORE_CLOSED|TENDER_ERROR)$/;
const HOURS = /^[0-2][0-9]:[0-5][0-9] - [0-2][0-9]:[0-5][0-9]$/;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const unix = (ms: number) => String(Math.floor(ms / 1000));

export class FakeJustEat {
  readonly apiKey = 'jet-connect-brand-key-0001';
  readonly webhookKey = 'oc-pizza-jet-webhook-key-0001';
  readonly webhookSecret = 'oc-pizza-jet-hmac-secret-0001';
  /** Where Receive Order, Cancel Order and Driver Status are posted (one endpoint for all three). */
  target: string | null = null;
  /** A pending order fails to inject this long after our 202 without news (JET: 3 minutes). */
  pendingMs = 3 * 60_000;
  /** The waits between the 5 retries of a notification answered 500. */
  retryDelaysMs = [200, 400, 800, 1_600, 3_200];
  readonly restaurants = new Map<string, JetRestaurant>();
  readonly orders = new Map<string, JetFakeOrder>();
  readonly calls: JetCall[] = [];
  readonly webhooks: JetWebhook[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly inFlight = new Set<Promise<unknown>>();
  private seq = 0;
  private server: Server | null = null;
  url = '';

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      let raw = '';
      req.on('data', (c) => (raw += c));
      req.on('end', () => {
        const call: JetCall = { method: req.method!, path: decodeURIComponent(req.url!.split('?')[0]), body: null, headers: req.headers };
        this.calls.push(call);
        const reply = this.handle(call, raw, req.headers['x-flyt-api-key']);
        call.status = reply.status;
        res.writeHead(reply.status, { 'content-type': 'application/json' });
        res.end(reply.body === undefined ? '' : JSON.stringify(reply.body));
      });
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.url;
  }

  async stop(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    await this.settle();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }

  /** Waits for every webhook under way (and its retries). */
  async settle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }

  addRestaurant(ref: string): JetRestaurant {
    const r: JetRestaurant = { ref, online: true, menus: [], unavailable: new Set() };
    this.restaurants.set(ref, r);
    return r;
  }

  /** The X-JET-Connect-Hash of a body, as the reference documents it. */
  hash(raw: string, secret = this.webhookSecret, t = Date.now()): string {
    return `HMAC-SHA256 t=${t},signature=${createHmac('sha256', secret).update(raw).digest('base64')}`;
  }

  /** A customer orders at this restaurant: the order is posted to the target (Receive Order). */
  placeOrder(ref: string, spec: JetOrderSpec = {}): JetFakeOrder {
    if (!this.restaurants.has(ref)) throw new Error(`no restaurant ${ref} on the fake JET Connect`);
    const body = this.orderBody(ref, spec);
    const order: JetFakeOrder = { body, status: 'sent' };
    this.orders.set(body.id, order);
    this.track(this.deliverOrder(order, JSON.stringify(body)));
    return order;
  }

  /** The same order posted again, body and signature as they were (a network retry). */
  resendOrder(id: string): Promise<JetWebhook> {
    const sent = this.webhooks.find((w) => w.kind === 'order' && JSON.parse(w.raw).id === id);
    if (!sent) throw new Error(`order ${id} was never posted`);
    return this.track(this.post('order', sent.raw, sent.headers));
  }

  /** JET cancels the order (the customer, support…): the Cancel Order Notification, retried on a 500. */
  cancelOrder(id: string, code = 'custCancelledChangedMind'): void {
    const raw = JSON.stringify({ orderID: id, reason: { code }, happenedAt: new Date().toISOString() });
    this.track(this.notify('cancel', raw));
  }

  driverStatus(id: string, code: string): void {
    const raw = JSON.stringify({ orderID: id, driverStatus: { code }, happenedAt: new Date().toISOString() });
    this.track(this.notify('driver', raw));
  }

  /** A raw post to the target with exactly these headers (a forgery, a tampered body…). */
  async sendRaw(raw: string, headers: Record<string, string>): Promise<number> {
    const res = await fetch(this.targetUrl(), { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: raw });
    await res.arrayBuffer();
    return res.status;
  }

  /** The headers JET Connect sends with a body: our key, and the HMAC on an order. */
  signed(raw: string, withHash = true): Record<string, string> {
    return { 'content-type': 'application/json', authorization: this.webhookKey, ...(withHash ? { 'x-jet-connect-hash': this.hash(raw) } : {}) };
  }

  private orderBody(ref: string, spec: JetOrderSpec) {
    const n = ++this.seq;
    const type = spec.type ?? 'delivery-by-delivery-partner';
    const items = (spec.items ?? [{ plu: 'p1', name: 'Margherita', price: 1050 }]).map((i) => ({
      description: '', name: i.name, plu: i.plu, price: i.price, notes: i.notes ?? '',
      children: (i.children ?? []).map((c) => ({ description: '', name: c.name, plu: c.plu, price: c.price })),
    }));
    const food = items.reduce((s, i) => s + i.price + i.children.reduce((c, o) => c + o.price, 0), 0);
    const now = Date.now();
    const person = { first_name: spec.firstName ?? 'Camille', last_name: 'Martin', phone_number: '+33 1 70 00 00 00', phone_masking_code: '482193' };
    return {
      id: `${n.toString(16).padStart(8, '0')}-f520-4438-a44f-0fcdbb29e166`,
      third_party_order_reference: String(22_721_760 + n),
      type,
      posLocationId: ref,
      location: { id: 1296, timezone: 'Europe/Paris' },
      menu_reference: '',
      items,
      created_at: unix(now),
      ...(type === 'delivery-by-merchant' ? { deliver_at: unix(now + 40 * 60_000), delivery_notes: 'Interphone 12' } : { collect_at: unix(now + 20 * 60_000) }),
      ...(type === 'collection-by-customer' ? { collection_notes: 'Je passe à pied', collector: person } : {}),
      kitchen_notes: spec.kitchenNotes ?? '',
      payment_method: 'CARD',
      tender_type: 'Flyt',
      payment: { items_in_cart: { inc_tax: food, tax: Math.round(food / 11) }, adjustments: [], final: { inc_tax: food, tax: Math.round(food / 11) }, deposit: 0 },
      ...(type === 'delivery-by-delivery-partner' ? { driver: { first_name: 'John', last_name: 'Smith', phone_number: '555-111-3344' } } : {}),
      ...(type === 'collection-by-customer' ? {} : {
        delivery: {
          ...person, ...(type === 'delivery-by-delivery-partner' ? { first_name: '********', last_name: '********' } : {}),
          line_one: '12 rue de la Roquette', line_two: 'Bât. B', city: 'Paris', postcode: '75011', email: 'customer@email.hidden',
          coordinates: { latitude: 48.8553, longitude: 2.3749, latitude_as_string: '48.8553', longitude_as_string: '2.3749' },
        },
      }),
      extras: {},
      promotions: [],
    };
  }

  private async deliverOrder(order: JetFakeOrder, raw: string): Promise<void> {
    const sent = await this.post('order', raw, this.signed(raw));
    if (sent.status === 200) order.status = 'injected';
    else if (sent.status === 202) {
      order.status = 'pending';
      const t = setTimeout(() => {
        this.timers.delete(t);
        if (order.status === 'pending') order.status = 'failed_to_inject';
      }, this.pendingMs);
      this.timers.add(t);
    } else order.status = 'backup_flow';
  }

  private async notify(kind: JetWebhook['kind'], raw: string): Promise<void> {
    for (let attempt = 0; attempt <= this.retryDelaysMs.length; attempt++) {
      if (attempt > 0) await sleep(this.retryDelaysMs[attempt - 1]);
      const sent = await this.post(kind, raw, this.signed(raw, false));
      if (sent.status < 500) return;
    }
  }

  private async post(kind: JetWebhook['kind'], raw: string, headers: Record<string, string>): Promise<JetWebhook> {
    let status = 0;
    let answer = '';
    try {
      const res = await fetch(this.targetUrl(), { method: 'POST', headers, body: raw });
      status = res.status;
      answer = await res.text();
    } catch {
      // unreachable: recorded with status 0, as JET records a failed delivery
    }
    const w: JetWebhook = { kind, raw, headers, status, answer, at: Date.now() };
    this.webhooks.push(w);
    return w;
  }

  private track<T>(p: Promise<T>): Promise<T> {
    this.inFlight.add(p);
    return p.finally(() => this.inFlight.delete(p));
  }

  private targetUrl(): string {
    if (!this.target) throw new Error('the fake JET Connect has no webhook target');
    return this.target;
  }

  private handle(call: JetCall, raw: string, key: string | string[] | undefined): Reply {
    if (!key) return { status: 401, body: { message: 'No API key found in request' } };
    if (key !== this.apiKey) return { status: 401, body: { message: 'Invalid authentication credentials' } };
    try {
      call.body = raw === '' ? null : JSON.parse(raw);
    } catch {
      return { status: 400, body: { message: 'malformed JSON' } };
    }
    const { method, path, body } = call;
    let m = /^\/order\/([^/]+)\/(sent-to-pos-success|sent-to-pos-failed)$/.exec(path);
    if (m && method === 'POST') return this.orderStatus(m[1], m[2], body);
    if (method === 'POST' && path === '/menus') return this.ingestMenus(body);
    if (method === 'POST' && path === '/item-availability') return this.itemAvailability(body);
    m = /^\/restaurants\/([^/]+)\/(offline|online)$/.exec(path);
    if (m && method === 'PUT') {
      const r = this.restaurants.get(m[1]);
      if (!r) return { status: 404, body: { success: false, error_message: 'Restaurant not found' } };
      r.online = m[2] === 'online';
      return { status: 202, body: { success: true } };
    }
    return { status: 404, body: { message: `no such endpoint ${method} ${path}` } };
  }

  private orderStatus(id: string, what: string, body: any): Reply {
    const o = this.orders.get(id);
    if (!o) return { status: 400, body: { message: `order ${id} not found` } };
    if (typeof body?.happenedAt !== 'string' || Number.isNaN(Date.parse(body.happenedAt))) return { status: 400, body: { message: 'happenedAt is required' } };
    if (o.status !== 'pending') return { status: 400, body: { message: `order ${id} is not pending` } };
    if (what === 'sent-to-pos-success') {
      o.status = 'injected';
      return { status: 204 };
    }
    if (!FAILURE_CODES.test(body?.errorCode ?? '') || typeof body?.errorMessage !== 'string') return { status: 400, body: { message: 'errorCode and errorMessage are required' } };
    o.status = 'backup_flow';
    o.failure = { errorCode: body.errorCode, errorMessage: body.errorMessage };
    return { status: 204 };
  }

  private ingestMenus(body: any): Reply {
    const bad = (why: string): Reply => ({ status: 400, body: { success: false, error_message: `Baseline menus not valid: ${why}` } });
    if (!Array.isArray(body?.restaurants) || !Array.isArray(body?.menus) || typeof body?.callback_url !== 'string' || !URL.canParse(body.callback_url)) return bad('restaurants, menus and callback_url are required');
    for (const menu of body.menus) {
      if (typeof menu?.name !== 'string' || typeof menu?.reference !== 'string' || !['DELIVERY', 'COLLECTION'].includes(menu?.type) || !Array.isArray(menu?.categories)) return bad('a menu needs name, reference, type and categories');
      const hours = Object.values(menu.availability ?? {}).flat() as unknown[];
      if (hours.some((h) => typeof h !== 'string' || !HOURS.test(h))) return bad('availability is "hh:mm - hh:mm"');
      for (const c of menu.categories) {
        if (typeof c?.name !== 'string' || typeof c?.description !== 'string' || !Array.isArray(c?.items)) return bad('a category needs name, description and items');
        for (const i of c.items) {
          if (typeof i?.name !== 'string' || typeof i?.plu !== 'string' || (i.price !== undefined && !Number.isInteger(i.price))) return bad('an item needs name and plu, its price in cents');
          if ((i.modifiers ?? []).some((g: any) => typeof g?.name !== 'string' || typeof g?.description !== 'string' || typeof g?.pick?.pick_same_option !== 'boolean')) return bad('a modifier needs name, description and pick');
        }
      }
    }
    const unknown = body.restaurants.filter((r: string) => !this.restaurants.has(r));
    if (unknown.length) return { status: 403, body: { success: false, error_message: 'Restaurant not registered' } };
    for (const ref of body.restaurants) {
      const r = this.restaurants.get(ref)!;
      r.menus = body.menus;
      const items = body.menus.flatMap((m: any) => m.categories.flatMap((c: any) => c.items));
      const options = items.flatMap((i: any) => (i.modifiers ?? []).flatMap((g: any) => g.options ?? []));
      r.unavailable = new Set([...items, ...options].filter((i: any) => i.out_of_stock === true).map((i: any) => i.plu));
    }
    return { status: 202, body: { success: true } };
  }

  private itemAvailability(body: any): Reply {
    const event = body?.event;
    if (!['AVAILABLE', 'UNAVAILABLE'].includes(event) || !Array.isArray(body?.itemReferences) || typeof body?.restaurant !== 'string') {
      return { status: 400, body: { success: false, error_message: 'event, itemReferences and restaurant are required' } };
    }
    if (body.nextAvailableAt !== undefined && (event !== 'UNAVAILABLE' || !(Date.parse(body.nextAvailableAt) > Date.now()))) {
      return { status: 400, body: { success: false, error_message: 'nextAvailableAt is for UNAVAILABLE, in the future' } };
    }
    const r = this.restaurants.get(body.restaurant);
    if (!r) return { status: 403, body: { success: false, error_message: 'Restaurant not registered' } };
    for (const ref of body.itemReferences) {
      if (event === 'UNAVAILABLE') r.unavailable.add(ref);
      else r.unavailable.delete(ref);
    }
    return { status: 202, body: { success: true } };
  }
}
