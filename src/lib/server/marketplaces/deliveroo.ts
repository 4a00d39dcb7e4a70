// Deliveroo as a delivery platform (MarketplaceProvider). The documented endpoints it speaks to
// (api-docs.deliveroo.com), on DELIVEROO_API_URL with a bearer token from DELIVEROO_AUTH_URL
// (OAuth2 client credentials, basic auth; tokens last 5 minutes):
//   Order API  PATCH /order/v1/orders/{order_id}               accepted | rejected (+ reject_reason, notes) | confirmed
//              POST  /order/v1/orders/{order_id}/sync_status   succeeded: the order reached our kitchen
//              POST  /order/v1/orders/{order_id}/prep_stage    in_kitchen | ready_for_collection | collected
//              GET   /order/v1/orders/{order_id}               the order
//   Menu API   PUT   /menu/v1/brands/{brand_id}/menus/{menu_id}                            the menu and its sites
//              PUT   /menu/v2/brands/{brand_id}/sites/{site_id}/menu/item_unavailabilities  every unavailable and hidden item at once
//              POST  /menu/v2/brands/{brand_id}/sites/{site_id}/menu/item_unavailabilities  some items' status: available | unavailable | hidden
//   Integrator PUT   /order/v1/integrator/webhooks/order-events            our Order Events webhook's address
//              PUT   /order/v1/integrator/brands/{brand_id}/sites-config   each site's webhook type: ORDER_EVENTS
//                (a site connected from the back office: its orders come to us, accepted or rejected here)
//   Site API   PUT   /site/v1/brands/{brand_id}/sites/{site_id}/status          open | closed
//              PUT   /site/v1/brands/{brand_id}/sites/{site_id}/workload/mode   BUSY | QUIET
//              GET/PUT /site/v1/brands/{brand_id}/sites/{site_id}/workload/times  the preparation minutes of each mode (busy − quiet: a multiple of 5)
// Webhooks (Order Events, Rider Events): X-Deliveroo-Hmac-Sha256 = hex HMAC-SHA256 keyed by the
// webhook secret over `${X-Deliveroo-Sequence-Guid} ${raw body}` (a space between: the legacy POS
// webhooks used " \n ", these do not); the sequence guid is the event's id, and a retry carries it again.
// Deliveroo's public APIs have no payout report (its statements are Partner Hub downloads): this
// provider has no `report`, and the reconciliation says it is not available for Deliveroo.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { Config } from '../kernel/config.ts';
import { DELIVEROO_ACCEPT_MINUTES, deliverooOrderIn, readDeliverooWebhook, type DeliverooOrder } from './deliveroo-orders.ts';
import { deliverooMenuUpload, unavailableIds } from './deliveroo-menu.ts';
import type {
  AvailabilityChange, DenyReason, MarketplaceMenu, MarketplaceNotice, MarketplaceOrderIn, MarketplaceOrderRef, MarketplaceProvider, MarketplaceSiteConnection, MarketplaceStep, PlatformSite,
} from './provider.ts';

/** A refusal or a failure of Deliveroo's API: a 4xx other than 429 will not pass by being retried. */
export class DeliverooError extends Error {
  readonly permanent: boolean;
  constructor(message: string, readonly status: number | null) {
    super(message);
    this.name = 'DeliverooError';
    this.permanent = status !== null && status >= 400 && status < 500 && status !== 429;
  }
}

export interface DeliverooOptions {
  clientId?: string;
  clientSecret?: string;
  webhookSecret?: string;
  brandId?: string;
  apiUrl: string;
  authUrl: string;
  timeoutMs?: number;
  /** The clock the token's expiry is read with (tests move it). */
  now?: () => number;
  acceptMinutes?: number;
  /** Our Order Events webhook's public address, told to Deliveroo when a site is connected. */
  webhookUrl?: string;
}

/** Our reasons in Deliveroo's (reject_reason: closing_early, busy, ingredient_unavailable, other). */
const REJECT_REASONS: Record<DenyReason, string> = {
  store_closed: 'closing_early',
  store_busy: 'busy',
  item_unavailable: 'ingredient_unavailable',
  other: 'other',
};

/** Each kitchen step as a Deliveroo prep stage; a delivery by the shop's own driver has none. */
const PREP_STAGES: Record<MarketplaceStep, string | null> = {
  preparing: 'in_kitchen',
  ready: 'ready_for_collection',
  collected: 'collected',
  delivered: null,
};

function header(headers: IncomingHttpHeaders, name: string): string | null {
  const v = headers[name];
  const s = Array.isArray(v) ? v[0] : v;
  return typeof s === 'string' && s !== '' ? s : null;
}

/** The signature Deliveroo puts on a webhook of this sequence guid and body. */
export function deliverooSignature(secret: string, guid: string, rawBody: Buffer | string): string {
  return createHmac('sha256', secret).update(`${guid} `).update(rawBody).digest('hex');
}

export class DeliverooProvider implements MarketplaceProvider {
  readonly id = 'deliveroo';
  readonly label = 'Deliveroo';
  readonly configured: boolean;
  private token: { value: string; expiresAt: number } | null = null;
  private tokenPending: Promise<string> | null = null;
  private readonly now: () => number;

  constructor(private readonly opts: DeliverooOptions) {
    this.configured = Boolean(opts.clientId && opts.clientSecret && opts.webhookSecret && opts.brandId);
    this.now = opts.now ?? Date.now;
  }

  verify(rawBody: Buffer, headers: IncomingHttpHeaders): boolean {
    const guid = header(headers, 'x-deliveroo-sequence-guid');
    const given = header(headers, 'x-deliveroo-hmac-sha256');
    if (!this.opts.webhookSecret || !guid || !given) return false;
    const expected = Buffer.from(deliverooSignature(this.opts.webhookSecret, guid, rawBody), 'utf8');
    const received = Buffer.from(given.toLowerCase(), 'utf8');
    return received.length === expected.length && timingSafeEqual(received, expected);
  }

  read(rawBody: Buffer, headers: IncomingHttpHeaders): MarketplaceNotice[] {
    const guid = header(headers, 'x-deliveroo-sequence-guid');
    if (!guid) throw new Error('a Deliveroo webhook this system cannot read: no X-Deliveroo-Sequence-Guid');
    return readDeliverooWebhook(rawBody, guid, this.opts.acceptMinutes ?? DELIVEROO_ACCEPT_MINUTES);
  }

  async fetchOrder(ref: MarketplaceOrderRef): Promise<MarketplaceOrderIn> {
    return deliverooOrderIn(await this.order(ref), this.opts.acceptMinutes ?? DELIVEROO_ACCEPT_MINUTES);
  }

  /**
   * Accepts, then tells Deliveroo the order reached the kitchen (the sync status, else the tablet
   * asks the staff to check the till). Deliveroo keeps its own prepare_for time: the shop's extra
   * minutes reach it as busy mode (setStoreStatus), so readyAt is not sent. A job retried after
   * Deliveroo took the acceptance finds the order accepted and goes on (Deliveroo answers 409).
   */
  async accept(ref: MarketplaceOrderRef, _readyAt: Date): Promise<void> {
    await this.transition(ref, { status: 'accepted' }, ['accepted', 'confirmed']);
    try {
      await this.call('POST', `${this.orderPath(ref)}/sync_status`, { status: 'succeeded', occurred_at: new Date(this.now()).toISOString() });
    } catch (e) {
      // 409: a sync status was already given, or its 3 minutes passed; the order is accepted all the same
      if (!(e instanceof DeliverooError && e.status === 409)) throw e;
    }
  }

  async deny(ref: MarketplaceOrderRef, reason: DenyReason, explanation: string): Promise<void> {
    await this.transition(ref, { status: 'rejected', reject_reason: REJECT_REASONS[reason], notes: explanation || null }, ['rejected']);
  }

  /** PATCHes the order's status; a 409 on an order already where we want it (a retry) is success. */
  private async transition(ref: MarketplaceOrderRef, body: Record<string, unknown>, already: string[]): Promise<void> {
    try {
      await this.call('PATCH', this.orderPath(ref), body);
    } catch (e) {
      if (!(e instanceof DeliverooError && e.status === 409)) throw e;
      if (!already.includes((await this.order(ref)).status ?? '')) throw e;
    }
  }

  private async order(ref: MarketplaceOrderRef): Promise<DeliverooOrder> {
    const body = (await this.call('GET', this.orderPath(ref))) as { order?: DeliverooOrder } & DeliverooOrder;
    return body?.order ?? body;
  }

  /** A scheduled order is confirmed (accepted → confirmed) as the kitchen starts it, as Deliveroo asks. */
  async step(ref: MarketplaceOrderRef, step: MarketplaceStep): Promise<void> {
    const stage = PREP_STAGES[step];
    if (!stage) return;
    if (step === 'preparing') {
      const o = await this.order(ref);
      if (o.asap === false && o.status === 'accepted') await this.call('PATCH', this.orderPath(ref), { status: 'confirmed' });
    }
    await this.call('POST', `${this.orderPath(ref)}/prep_stage`, { stage, occurred_at: new Date(this.now()).toISOString() });
  }

  /**
   * Deliveroo lets a site reject an order only while it is placed; an accepted order is cancelled by
   * Deliveroo's customer service, which then sends the `canceled` status ("Canceled Orders"). So a
   * cancel is a rejection: before acceptance it is one, after it Deliveroo answers 409 and the error
   * (permanent) says to call Deliveroo.
   */
  async cancel(ref: MarketplaceOrderRef, reason: string): Promise<void> {
    try {
      await this.transition(ref, { status: 'rejected', reject_reason: 'other', notes: reason || null }, ['rejected', 'canceled']);
    } catch (e) {
      if (e instanceof DeliverooError && e.status === 409) {
        throw new DeliverooError(`Deliveroo cancels an accepted order only through its customer service: call Deliveroo to cancel ${ref.externalId} (${e.message})`, 409);
      }
      throw e;
    }
  }

  /** One menu per site (prices may differ by shop), then the site's unavailable items replaced at once. */
  async pushMenu(storeId: string, menu: MarketplaceMenu): Promise<void> {
    const menuPath = `/menu/v1/brands/${encodeURIComponent(this.brand())}/menus/${encodeURIComponent(`site-${storeId}`)}`;
    await this.call('PUT', menuPath, deliverooMenuUpload(storeId, menu));
    await this.call('PUT', this.unavailabilitiesPath(storeId), { unavailable_ids: unavailableIds(menu), hidden_ids: [] });
  }

  /**
   * Deliveroo greys an `unavailable` item out until its morning stock reset; a `hidden` one stays off
   * the menu until told otherwise. A sold-out of today goes as unavailable (the customer sees it
   * sold out); one still true on a later day comes as `lasting` (sync.ts re-tells it once a day) and
   * goes as hidden, which the reset leaves alone.
   */
  async setAvailability(storeId: string, items: AvailabilityChange[]): Promise<void> {
    if (items.length === 0) return;
    const item_unavailabilities = items.map((i) => ({ item_id: i.id, status: i.available ? 'available' : i.lasting ? 'hidden' : 'unavailable' }));
    await this.call('POST', this.unavailabilitiesPath(storeId), { item_unavailabilities });
  }

  /**
   * The site open or closed, and busy mode with its minutes (QUIET when the shop adds none). Busy
   * mode's preparation time is the quiet one plus the shop's minutes, rounded up to the 5 minutes
   * Deliveroo counts in (workload times: busy − quiet a multiple of 5).
   */
  async setStoreStatus(storeId: string, status: { open: boolean; busyMinutes: number }): Promise<void> {
    const site = this.sitePath(storeId);
    await this.call('PUT', `${site}/status`, { status: status.open ? 'open' : 'closed' });
    const minutes = Math.ceil(Math.max(0, status.busyMinutes) / 5) * 5;
    if (minutes > 0) {
      const times = (await this.call('GET', `${site}/workload/times`)) as { quiet?: unknown } | null;
      const quiet = typeof times?.quiet === 'number' ? times.quiet : 0;
      await this.call('PUT', `${site}/workload/times`, { quiet, busy: quiet + minutes });
    }
    await this.call('PUT', `${site}/workload/mode`, { mode: minutes > 0 ? 'BUSY' : 'QUIET' });
  }

  /**
   * A site connected from the back office: our webhook's address for order events, then every site
   * of the chain's brand set to send them (ORDER_EVENTS: the order to accept or reject, its status
   * and its rider, here rather than on Deliveroo's tablet). The whole list each time, so a
   * configuration kept per brand loses no site.
   */
  readonly siteConnection: MarketplaceSiteConnection = {
    connect: async (sites: PlatformSite[]) => {
      if (!this.opts.webhookUrl) throw new DeliverooError('the webhook address (PUBLIC_ORIGIN) is not known', null);
      await this.call('PUT', '/order/v1/integrator/webhooks/order-events', { webhook_url: this.opts.webhookUrl });
      await this.call('PUT', `/order/v1/integrator/brands/${encodeURIComponent(this.brand())}/sites-config`, {
        sites: sites.map((s) => ({ location_id: s.storeId, orders_api_webhook_type: 'ORDER_EVENTS', name: s.name })),
      });
    },
  };

  private brand(): string {
    if (!this.opts.brandId) throw new DeliverooError('DELIVEROO_BRAND_ID is not set', null);
    return this.opts.brandId;
  }

  private sitePath(storeId: string): string {
    return `/site/v1/brands/${encodeURIComponent(this.brand())}/sites/${encodeURIComponent(storeId)}`;
  }

  private unavailabilitiesPath(storeId: string): string {
    return `/menu/v2/brands/${encodeURIComponent(this.brand())}/sites/${encodeURIComponent(storeId)}/menu/item_unavailabilities`;
  }

  private orderPath(ref: MarketplaceOrderRef): string {
    return `/order/v1/orders/${encodeURIComponent(ref.externalId)}`;
  }

  /** A call with the cached token; a 401 (the token revoked early) is tried once with a fresh one. */
  private async call(method: string, path: string, body?: unknown): Promise<unknown> {
    let res = await this.send(method, path, body, await this.accessToken());
    if (res.status === 401) {
      this.token = null;
      res = await this.send(method, path, body, await this.accessToken());
    }
    const text = await res.text();
    if (!res.ok) throw new DeliverooError(`Deliveroo answered ${res.status} to ${method} ${path}: ${text.slice(0, 300)}`, res.status);
    if (text === '') return null;
    return (res.headers.get('content-type') ?? '').includes('json') ? JSON.parse(text) : text;
  }

  private async send(method: string, path: string, body: unknown, token: string): Promise<Response> {
    try {
      return await fetch(`${this.opts.apiUrl.replace(/\/$/, '')}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.opts.timeoutMs ?? 10_000),
      });
    } catch (e) {
      throw new DeliverooError(`Deliveroo could not be reached for ${method} ${path}: ${(e as Error).message}`, null);
    }
  }

  /** The token, reused until shortly before it expires (a fifth of its life, at most 30 s, early); one request at a time. */
  private async accessToken(): Promise<string> {
    if (this.token && this.now() < this.token.expiresAt) return this.token.value;
    this.tokenPending ??= this.fetchToken().finally(() => (this.tokenPending = null));
    return this.tokenPending;
  }

  private async fetchToken(): Promise<string> {
    if (!this.configured) throw new DeliverooError('Deliveroo is not configured (DELIVEROO_CLIENT_ID, DELIVEROO_CLIENT_SECRET, DELIVEROO_WEBHOOK_SECRET, DELIVEROO_BRAND_ID)', null);
    const basic = Buffer.from(`${this.opts.clientId}:${this.opts.clientSecret}`).toString('base64');
    let res: Response;
    try {
      res = await fetch(this.opts.authUrl, {
        method: 'POST',
        headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: 'grant_type=client_credentials',
        signal: AbortSignal.timeout(this.opts.timeoutMs ?? 10_000),
      });
    } catch (e) {
      throw new DeliverooError(`Deliveroo's token service could not be reached: ${(e as Error).message}`, null);
    }
    const body = (await res.json().catch(() => null)) as { access_token?: unknown; expires_in?: unknown } | null;
    if (!res.ok || typeof body?.access_token !== 'string') throw new DeliverooError(`Deliveroo refused a token (${res.status})`, res.ok ? 502 : res.status);
    const ttl = typeof body.expires_in === 'number' && body.expires_in > 0 ? body.expires_in : 300;
    this.token = { value: body.access_token, expiresAt: this.now() + (ttl - Math.min(30, ttl / 5)) * 1000 };
    return body.access_token;
  }
}

export function deliverooFor(config: Config): MarketplaceProvider {
  return new DeliverooProvider({
    clientId: config.DELIVEROO_CLIENT_ID,
    clientSecret: config.DELIVEROO_CLIENT_SECRET,
    webhookSecret: config.DELIVEROO_WEBHOOK_SECRET,
    brandId: config.DELIVEROO_BRAND_ID,
    apiUrl: config.DELIVEROO_API_URL,
    authUrl: config.DELIVEROO_AUTH_URL,
    webhookUrl: `${config.publicOrigin}/api/marketplaces/deliveroo/webhook`,
  });
}
