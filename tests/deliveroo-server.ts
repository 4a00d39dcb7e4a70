// A small server speaking the part of Deliveroo's APIs the provider calls, written from Deliveroo's
// published documentation (each endpoint's page below) and serving those paths only: any other
// path is a 404, as Deliveroo answers it.
//   Tokens: OAuth2 client credentials, basic auth, 5 minutes (https://api-docs.deliveroo.com/v2.0/docs/authentication).
//   Order API:
//     PATCH /order/v1/orders/{id}              placed → accepted | rejected, accepted → confirmed, else 409
//       (https://api-docs.deliveroo.com/reference/patch-order-1)
//     POST  /order/v1/orders/{id}/sync_status  once, else 409 (https://api-docs.deliveroo.com/v2.0/reference/create-sync-status-1)
//     POST  /order/v1/orders/{id}/prep_stage   on an accepted order, occurred_at within an hour back and 5 minutes ahead
//       (https://api-docs.deliveroo.com/docs/prep-stages-endpoint)
//     GET   /order/v1/orders/{id}
//   Integrator configuration (the Order API's webhook set-up, as
//   https://www.withone.ai/knowledge/deliveroo/conn_mod_def%3A%3AGJEDkmWLPMA%3A%3Aps0RUe1mSKm0zbP7iA8o2g and
//   https://www.withone.ai/knowledge/deliveroo/conn_mod_def%3A%3AGJEDlIBXjKA%3A%3AadhFS9B8QGqk2yV7s6v94A give it):
//     PUT   /order/v1/integrator/webhooks/order-events          {webhook_url}: where order events go
//     PUT   /order/v1/integrator/brands/{brand_id}/sites-config {sites: [{location_id, orders_api_webhook_type, name}]},
//       type POS | ORDER_EVENTS | POS_AND_ORDER_EVENTS; only a site set to order events has its orders posted
//       to the webhook (a site left on POS keeps them on Deliveroo's tablet). Two things the pages leave
//       open, modelled here: the sites listed are updated and the others kept; a location the brand
//       does not have changes nothing.
//     GET   /order/v1/integrator/brands/{brand_id}/sites-config
//   Menu API (https://api-docs.deliveroo.com/v2.0/docs/menu-api-overview):
//     PUT   /menu/v1/brands/{brand_id}/menus/{id}   a menu and its sites (https://api-docs.deliveroo.com/docs/menu-api-guidelines:
//       allergies, contains_alcohol for any age-restricted item)
//     PUT   /menu/v2/brands/{brand_id}/sites/{site_id}/menu/item_unavailabilities   replaces every unavailable and hidden item;
//       ids the menu lacks are ignored (https://api-docs.deliveroo.com/v2.0/reference/put_v2-brands-brand-id-sites-site-id-menu-item-unavailabilities)
//     POST  /menu/v2/brands/{brand_id}/sites/{site_id}/menu/item_unavailabilities   available | unavailable | hidden for the items named;
//       one id the menu lacks fails the whole request with 404
//       (https://api-docs.deliveroo.com/v2.0/reference/post_v2-brands-brand-id-sites-site-id-menu-item-unavailabilities)
//     The morning stock reset (morningReset): `unavailable` items are available again, `hidden` ones are
//       not affected (both pages above, "Statuses").
//   Site API (https://api-docs.deliveroo.com/v2.0/docs/site, https://api-docs.deliveroo.com/v2.0/reference/introduction-2):
//     PUT   /site/v1/brands/{brand_id}/sites/{site_id}/status           open | closed
//     PUT   /site/v1/brands/{brand_id}/sites/{site_id}/workload/mode    BUSY | QUIET
//     GET/PUT /site/v1/brands/{brand_id}/sites/{site_id}/workload/times  the preparation minutes of each mode: busy above
//       quiet by a multiple of 5 ("set the preparation time for each mode"; the body as
//       https://www.withone.ai/knowledge/deliveroo/conn_mod_def%3A%3AGJEDhLNj9zg%3A%3A-NhjsUmIRs2l4-RuIfnbOA gives it)
//   No payout endpoint: Deliveroo's statements are Partner Hub downloads
//     (https://partners.deliveroo.com/docs/ lists the Order, Menu and Site APIs only;
//     https://help.deliveroo.com/en/articles/2037435-invoices-and-payments).
// Every API call needs a bearer token it issued, else 401. It keeps sites, orders, menus,
// unavailabilities, status and workload, records every call, can fail the next calls of a path as
// told (failNext), and plays Deliveroo's side: an order placed (order.new), the auto-rejection at
// the acceptance deadline, a cancellation by customer service, the rider's events — each a signed
// webhook, retried (deliveroo-webhooks.ts).
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildOrder, postWithRetries, signature, type FakeOrder, type OrderSpec, type Sent, type WebhookAttempt } from './deliveroo-webhooks.ts';

export interface DeliverooCall {
  method: string;
  path: string;
  body: any;
  /** What the fake answered. */
  status?: number;
}

export interface FakeSite {
  id: string;
  status: 'open' | 'closed';
  workload: 'BUSY' | 'QUIET';
  /** The preparation minutes of each workload mode (workload/times). */
  quietMinutes: number;
  busyMinutes: number;
  menuId: string | null;
  unavailable: Set<string>;
  hidden: Set<string>;
  /** The site's webhook type (sites-config): only ORDER_EVENTS and POS_AND_ORDER_EVENTS post its orders to us. */
  webhookType: 'POS' | 'ORDER_EVENTS' | 'POS_AND_ORDER_EVENTS';
}

type Reply = { status: number; body?: unknown; type?: string };

const REJECT_REASONS = ['closing_early', 'busy', 'ingredient_unavailable', 'other'];
const PREP_STAGES = ['in_kitchen', 'ready_for_collection_soon', 'ready_for_collection', 'collected'];
const error = (status: number, message: string): Reply => ({ status, body: { error: { code: status === 404 ? 'not_found' : 'bad_request', message } } });

export class FakeDeliveroo {
  readonly clientId = 'oc-pizza-client';
  readonly clientSecret = 'oc-pizza-client-secret-0001';
  readonly webhookSecret = 'oc-pizza-webhook-secret-0001';
  readonly brandId = 'oc-pizza-brand';
  /** The lifetime of a token (Deliveroo: 5 minutes). */
  tokenTtlSeconds = 300;
  /** Where the Order Events and Rider Events webhooks are posted. */
  target: string | null = null;
  /** The waits between tries of a webhook not answered 2xx (Deliveroo backs off exponentially). */
  retryDelaysMs = [1_000, 2_000, 4_000, 8_000, 16_000];
  /** An order not accepted this long after it is placed is rejected by Deliveroo (10 minutes). */
  acceptDeadlineMs = 10 * 60_000;
  readonly sites = new Map<string, FakeSite>();
  readonly orders = new Map<string, FakeOrder & { sync_status?: string; prep_stages: { stage: string; occurred_at: string; delay?: number }[] }>();
  readonly menus = new Map<string, { name: string; menu: any; site_ids: string[] }>();
  /** The order events webhook's address the integrator registered (webhooks/order-events). */
  orderEventsUrl: string | null = null;
  /** Answers to give instead of serving: the next calls whose path includes the key get this status. */
  private readonly failures: { pathIncludes: string; status: number; times: number }[] = [];
  readonly tokens = new Map<string, number>();
  readonly calls: DeliverooCall[] = [];
  readonly attempts: WebhookAttempt[] = [];
  private readonly riders = new Map<string, { at: string; status: string }[]>();
  private readonly deadlines = new Map<string, NodeJS.Timeout>();
  private readonly inFlight = new Set<Promise<boolean>>();
  private last: Sent | null = null;
  private seq = 0;
  private guid = 1_499_765_000;
  private server: Server | null = null;
  url = '';

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      let raw = '';
      req.on('data', (c) => (raw += c));
      req.on('end', () => {
        const call: DeliverooCall = { method: req.method!, path: decodeURIComponent(req.url!.split('?')[0]), body: null };
        this.calls.push(call);
        const reply = this.handle(req, raw, call);
        call.status = reply.status;
        res.writeHead(reply.status, { 'content-type': reply.type ?? 'application/json' });
        res.end(reply.body === undefined ? '' : typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body));
      });
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.url;
  }

  get authUrl(): string {
    return `${this.url}/oauth2/token`;
  }

  async stop(): Promise<void> {
    for (const t of this.deadlines.values()) clearTimeout(t);
    await this.settle();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }

  /** A site of the brand; `linked: false`: not yet set to send us its order events (its orders stay on Deliveroo's tablet). */
  addSite(id: string, { linked = true }: { linked?: boolean } = {}): FakeSite {
    const site: FakeSite = {
      id, status: 'open', workload: 'QUIET', quietMinutes: 10, busyMinutes: 10, menuId: null, unavailable: new Set(), hidden: new Set(), webhookType: linked ? 'ORDER_EVENTS' : 'POS',
    };
    this.sites.set(id, site);
    return site;
  }

  /** A customer orders: the order is placed, order.new is posted (retried), the acceptance clock starts. */
  placeOrder(siteId: string, spec: OrderSpec = {}): FakeOrder {
    if (!this.sites.has(siteId)) throw new Error(`no site ${siteId} on the fake Deliveroo`);
    const order = { ...buildOrder(++this.seq, siteId, spec), prep_stages: [] };
    this.orders.set(order.id, order);
    this.deadlines.set(order.id, setTimeout(() => this.autoReject(order.id), this.acceptDeadlineMs));
    // a site on POS webhooks only: the order is on Deliveroo's tablet, not posted to the order events webhook
    if (this.sites.get(siteId)!.webhookType !== 'POS') this.send('order.new', { order });
    return order;
  }

  /** Deliveroo's customer service cancels the order (the customer asked): order.status_update canceled. */
  cancelOrder(id: string): void {
    this.setStatus(this.order(id), 'canceled');
  }

  /** A rider event for the order: its status and, when coming, the seconds until it reaches the site. */
  rider(orderId: string, status: string, etaSeconds: number | null = null): void {
    const order = this.order(orderId);
    const at = new Date().toISOString();
    const log = [...(this.riders.get(orderId) ?? []), { at, status }];
    this.riders.set(orderId, log);
    const eta = etaSeconds === null ? null : new Date(Date.now() + etaSeconds * 1000).toISOString();
    this.send('rider.status_update', {
      order_id: order.id, location_id: order.location_id, stacked_with: [],
      riders: [{ estimated_arrival_time: eta, at, accuracy_in_meters: 10, lat: 48.85, lon: 2.37, status, status_log: log }],
    });
  }

  /** Deliveroo's morning stock reset: every `unavailable` item of the site is available again; `hidden` ones stay hidden. */
  morningReset(siteId: string): void {
    const site = this.sites.get(siteId);
    if (!site) throw new Error(`no site ${siteId} on the fake Deliveroo`);
    site.unavailable.clear();
  }

  /** The next `times` calls whose path includes `pathIncludes` are answered `status` (a 5xx, a 404 of an unknown item…). */
  failNext(pathIncludes: string, status: number, times = 1): void {
    this.failures.push({ pathIncludes, status, times });
  }

  /** The last webhook again, the same sequence guid and signature (a retry Deliveroo makes). */
  resendLast(): Promise<boolean> {
    if (!this.last) throw new Error('no webhook sent yet');
    return this.track(postWithRetries(this.targetUrl(), this.last, [], this.attempts));
  }

  /** A raw post to the target, with exactly these headers (a forgery, a tampered body…). */
  async sendRaw(body: string, headers: Record<string, string>): Promise<number> {
    const res = await fetch(this.targetUrl(), { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
    await res.arrayBuffer();
    return res.status;
  }

  /** The headers Deliveroo would sign this body with, under this sequence guid. */
  signed(event: string, raw: string, guid = String(++this.guid)): Record<string, string> {
    return {
      'content-type': 'application/json',
      'x-deliveroo-sequence-guid': guid,
      'x-deliveroo-hmac-sha256': signature(this.webhookSecret, guid, raw),
      'x-deliveroo-payload-type': `event/${event}`,
      'x-deliveroo-webhook-version': '1',
    };
  }

  /** Waits for every webhook under way (their retries too). */
  async settle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }

  private send(event: string, body: unknown): void {
    const raw = JSON.stringify({ event, body });
    this.last = { event, raw, headers: this.signed(event, raw) };
    if (this.target) void this.track(postWithRetries(this.target, this.last, this.retryDelaysMs, this.attempts));
  }

  private track(p: Promise<boolean>): Promise<boolean> {
    this.inFlight.add(p);
    return p.finally(() => this.inFlight.delete(p));
  }

  private targetUrl(): string {
    if (!this.target) throw new Error('the fake Deliveroo has no webhook target');
    return this.target;
  }

  private order(id: string) {
    const o = this.orders.get(id);
    if (!o) throw new Error(`no order ${id} on the fake Deliveroo`);
    return o;
  }

  private autoReject(id: string): void {
    const o = this.orders.get(id);
    if (o?.status === 'placed') this.setStatus(o, 'rejected');
  }

  private setStatus(o: FakeOrder, status: FakeOrder['status']): void {
    o.status = status;
    o.status_log.push({ at: new Date().toISOString(), status });
    if (status !== 'placed') clearTimeout(this.deadlines.get(o.id));
    this.send('order.status_update', { order: o });
  }

  private handle(req: IncomingMessage, raw: string, call: DeliverooCall): Reply {
    const path = call.path;
    let body: any;
    try {
      body = raw === '' ? null : req.headers['content-type']?.includes('json') ? JSON.parse(raw) : raw;
    } catch {
      return error(400, 'invalid JSON');
    }
    call.body = body;
    if (req.method === 'POST' && path === '/oauth2/token') return this.issueToken(req, raw);
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (!token || !((this.tokens.get(token) ?? 0) > Date.now())) return { status: 401, body: { error: { code: 'unauthorized', message: 'invalid or expired token' } } };
    const failure = this.failures.find((f) => f.times > 0 && path.includes(f.pathIncludes));
    if (failure) {
      failure.times--;
      return error(failure.status, `failing as told (${failure.status})`);
    }
    return this.route(req.method!, path, body);
  }

  private issueToken(req: IncomingMessage, raw: string): Reply {
    const basic = Buffer.from(`${this.clientId}:${this.clientSecret}`).toString('base64');
    if (req.headers.authorization !== `Basic ${basic}`) return { status: 401, body: { error: 'invalid_client' } };
    if (new URLSearchParams(raw).get('grant_type') !== 'client_credentials') return { status: 400, body: { error: 'unsupported_grant_type' } };
    const token = `tok_${this.tokens.size + 1}_${Math.random().toString(36).slice(2)}`;
    this.tokens.set(token, Date.now() + this.tokenTtlSeconds * 1000);
    return { status: 200, body: { access_token: token, token_type: 'Bearer', expires_in: this.tokenTtlSeconds } };
  }

  private route(method: string, path: string, body: any): Reply {
    if (path === '/order/v1/integrator/webhooks/order-events' && method === 'PUT') return this.setOrderEventsUrl(body);
    let m = /^\/order\/v1\/integrator\/brands\/([^/]+)\/sites-config$/.exec(path);
    if (m) return m[1] !== this.brandId ? error(404, 'brand not found') : method === 'PUT' ? this.setSitesConfig(body) : method === 'GET' ? this.sitesConfig() : error(404, 'no such endpoint');
    m = /^\/order\/v1\/orders\/([^/]+)(\/sync_status|\/prep_stage)?$/.exec(path);
    if (m) return this.orderCall(method, m[1], m[2] ?? '', body);
    m = /^\/menu\/v1\/brands\/([^/]+)\/menus\/([^/]+)$/.exec(path);
    if (m && method === 'PUT') return m[1] === this.brandId ? this.putMenu(m[2], body) : error(404, 'brand not found');
    m = /^\/menu\/v2\/brands\/([^/]+)\/sites\/([^/]+)\/menu\/item_unavailabilities$/.exec(path);
    if (m) return this.withSite(m[1], m[2], (site) => this.unavailabilities(method, site, body));
    m = /^\/site\/v1\/brands\/([^/]+)\/sites\/([^/]+)\/(status|workload\/mode|workload\/times)$/.exec(path);
    if (m) return this.withSite(m[1], m[2], (site) => this.siteCall(`${method} ${m![3]}`, site, body));
    return error(404, `no such endpoint ${method} ${path}`);
  }

  private setOrderEventsUrl(body: any): Reply {
    const url = body?.webhook_url;
    if (typeof url !== 'string' || !/^https?:\/\/[^\s]+$/.test(url)) return error(400, 'Invalid webhook URL');
    this.orderEventsUrl = url;
    return { status: 200, body: { message: 'Webhook URL updated successfully' } };
  }

  private setSitesConfig(body: any): Reply {
    const sites = body?.sites;
    const types = ['POS', 'ORDER_EVENTS', 'POS_AND_ORDER_EVENTS'];
    if (!Array.isArray(sites) || sites.some((x: any) => typeof x?.location_id !== 'string' || !types.includes(x?.orders_api_webhook_type))) {
      return error(400, 'sites: location_id and orders_api_webhook_type (POS, ORDER_EVENTS, POS_AND_ORDER_EVENTS) are required');
    }
    for (const x of sites) {
      const site = this.sites.get(x.location_id);
      if (site) site.webhookType = x.orders_api_webhook_type;
    }
    return { status: 200, body: { sites } };
  }

  private sitesConfig(): Reply {
    return { status: 200, body: { sites: [...this.sites.values()].map((x) => ({ location_id: x.id, orders_api_webhook_type: x.webhookType })) } };
  }

  private withSite(brand: string, siteId: string, then: (site: FakeSite) => Reply): Reply {
    const site = this.sites.get(siteId);
    return brand === this.brandId && site ? then(site) : error(404, 'site not found');
  }

  private orderCall(method: string, id: string, sub: string, body: any): Reply {
    const o = this.orders.get(id);
    if (!o) return error(404, 'order not found');
    if (method === 'GET' && sub === '') return { status: 200, body: o };
    if (method === 'PATCH' && sub === '') return this.patchOrder(o, body);
    if (method === 'POST' && sub === '/sync_status') {
      if (o.sync_status) return error(409, 'sync status already sent');
      if (!['succeeded', 'failed'].includes(body?.status) || typeof body?.occurred_at !== 'string') return error(400, 'status and occurred_at are required');
      o.sync_status = body.status;
      return { status: 204 };
    }
    if (method === 'POST' && sub === '/prep_stage') return this.prepStage(o, body);
    return error(404, 'no such endpoint');
  }

  private patchOrder(o: FakeOrder, body: any): Reply {
    const to = body?.status;
    if (!['accepted', 'rejected', 'confirmed'].includes(to)) return error(400, 'status must be accepted, rejected or confirmed');
    if (to === 'rejected' && !REJECT_REASONS.includes(body.reject_reason)) return error(400, 'reject_reason is required to reject');
    const allowed = o.status === 'placed' ? to !== 'confirmed' : o.status === 'accepted' && to === 'confirmed';
    if (!allowed) return { status: 409, body: { error: { code: 'conflict', message: `order is ${o.status}: cannot become ${to}` } } };
    this.setStatus(o, to);
    return { status: 204 };
  }

  private prepStage(o: FakeOrder & { prep_stages: { stage: string; occurred_at: string; delay?: number }[] }, body: any): Reply {
    const at = Date.parse(body?.occurred_at ?? '');
    if (!PREP_STAGES.includes(body?.stage) || !(at > Date.now() - 3_600_000 && at < Date.now() + 300_000)) return error(400, 'stage or occurred_at invalid');
    if (body.delay !== undefined && (body.stage !== 'in_kitchen' || ![0, 2, 4, 6, 8, 10].includes(body.delay))) return error(400, 'delay invalid');
    if (o.status !== 'accepted' && o.status !== 'confirmed') return error(409, `order is ${o.status}`);
    o.prep_stages.push({ stage: body.stage, occurred_at: body.occurred_at, ...(body.delay === undefined ? {} : { delay: body.delay }) });
    return { status: 204 };
  }

  private putMenu(menuId: string, body: any): Reply {
    const menu = body?.menu;
    if (typeof body?.name !== 'string' || !Array.isArray(body?.site_ids) || !Array.isArray(menu?.items) || !Array.isArray(menu?.categories)) return error(400, 'name, menu and site_ids are required');
    const ids = new Set(menu.items.map((i: any) => i.id));
    const modifiers = new Set((menu.modifiers ?? []).map((g: any) => g.id));
    const dangling = [
      ...menu.categories.flatMap((c: any) => c.item_ids.filter((i: string) => !ids.has(i))),
      ...(menu.modifiers ?? []).flatMap((g: any) => g.item_ids.filter((i: string) => !ids.has(i))),
      ...menu.items.flatMap((i: any) => (i.modifier_ids ?? []).filter((g: string) => !modifiers.has(g))),
    ];
    if (dangling.length > 0) return error(400, `unknown ids: ${dangling.join(', ')}`);
    if (menu.items.some((i: any) => !Number.isInteger(i.price_info?.price) || i.price_info.price < 0)) return error(400, 'price_info.price must be an integer in fractional units');
    const unknown = body.site_ids.filter((s: string) => !this.sites.has(s));
    if (unknown.length > 0) return error(400, `unknown sites: ${unknown.join(', ')}`);
    this.menus.set(menuId, body);
    for (const s of body.site_ids) this.sites.get(s)!.menuId = menuId;
    return { status: 200, body: { id: menuId, name: body.name } };
  }

  private siteCall(call: string, site: FakeSite, body: any): Reply {
    if (call === 'PUT status') {
      if (body?.status !== 'open' && body?.status !== 'closed') return error(400, 'status must be open or closed');
      site.status = body.status;
      return { status: 200, body: { status: site.status } };
    }
    if (call === 'PUT workload/mode') {
      if (body?.mode !== 'BUSY' && body?.mode !== 'QUIET') return error(400, 'mode must be BUSY or QUIET');
      site.workload = body.mode;
      return { status: 200, body: { mode: site.workload } };
    }
    if (call === 'GET workload/times') return { status: 200, body: { busy: site.busyMinutes, quiet: site.quietMinutes } };
    if (call === 'PUT workload/times') {
      const { busy, quiet } = body ?? {};
      if (!Number.isInteger(busy) || !Number.isInteger(quiet) || quiet < 0 || busy <= quiet || (busy - quiet) % 5 !== 0) {
        return error(400, 'busy must be above quiet by a multiple of 5 minutes');
      }
      site.busyMinutes = busy;
      site.quietMinutes = quiet;
      return { status: 200, body: { busy, quiet } };
    }
    return error(404, `no such endpoint ${call}`);
  }

  /** The ids of the site's menu (items and their choices). */
  private menuItemIds(site: FakeSite): Set<string> {
    const menu = site.menuId ? this.menus.get(site.menuId)?.menu : null;
    return new Set((menu?.items ?? []).map((i: any) => i.id));
  }

  private unavailabilities(method: string, site: FakeSite, body: any): Reply {
    if (method === 'POST') return this.updateUnavailabilities(site, body);
    if (method !== 'PUT') return error(404, `no such endpoint ${method} item_unavailabilities`);
    if (!Array.isArray(body?.unavailable_ids) || !Array.isArray(body?.hidden_ids)) return error(400, 'unavailable_ids and hidden_ids are required');
    // ids the site's menu does not hold are ignored (the request still succeeds)
    const known = this.menuItemIds(site);
    site.unavailable = new Set(body.unavailable_ids.filter((i: string) => known.has(i)));
    site.hidden = new Set(body.hidden_ids.filter((i: string) => known.has(i)));
    return { status: 200, body: { unavailable_ids: [...site.unavailable], hidden_ids: [...site.hidden] } };
  }

  private updateUnavailabilities(site: FakeSite, body: any): Reply {
    const list = body?.item_unavailabilities;
    if (!Array.isArray(list) || list.some((u: any) => typeof u?.item_id !== 'string' || !['available', 'unavailable', 'hidden'].includes(u.status))) {
      return error(400, 'item_unavailabilities: item_id and status (available, unavailable, hidden) required');
    }
    const known = this.menuItemIds(site);
    const unknown = list.filter((u: any) => !known.has(u.item_id)).map((u: any) => u.item_id);
    if (unknown.length > 0) return error(404, `items not on the site's menu: ${unknown.join(', ')}`);
    for (const u of list) {
      site.unavailable.delete(u.item_id);
      site.hidden.delete(u.item_id);
      if (u.status === 'unavailable') site.unavailable.add(u.item_id);
      if (u.status === 'hidden') site.hidden.add(u.item_id);
    }
    return { status: 200, body: { unavailable_ids: [...site.unavailable], hidden_ids: [...site.hidden] } };
  }
}
