// Just Eat Takeaway as a delivery platform (provider id `just_eat`), through JET Connect, its public
// point-of-sale API (formerly Flyt): Just Eat, Takeaway.com, Skip The Dishes and Menulog. Documented in
// Just Eat's OpenAPI reference, https://uk.api.just-eat.io/docs (the "JET Connect for Manage Order
// Status", "... Product Catalogue" and "... Partner Availability" tags), and its guide,
// https://developers.just-eat.com/documentation/jet-connect. Every call carries the brand's API key
// as X-Flyt-Api-Key. The endpoints this file speaks to:
//   Receive Order (webhook, to us)   the whole order; answered 202 {OrderId} to take it in later
//                                    (https://uk.api.just-eat.io/docs#tag/JET-Connect-for-Manage-Order-Status,
//                                    operation JetConnectForManageOrderStatus_receiveOrderPost)
//   POST /order/{id}/sent-to-pos-success   {happenedAt}: we took it (on JUST_EAT_ORDER_STATUS_URL,
//                                    https://order-injection-status-updater.flyt-platform.com; updateOrderStatusSuccess)
//   POST /order/{id}/sent-to-pos-failed    {happenedAt, errorCode, errorMessage}: we did not
//                                    (markOrderInjectionFailed; JET sends the order to the tablet's backup flow)
//   Cancel Order Notification (webhook) {orderID, reason {code}, happenedAt}, answered 200 with the same body
//                                    (JetConnectForManageOrderStatus_notifyOrderCancellation)
//   Driver Status Notification (webhook) {orderID, driverStatus {code}, happenedAt} (receiveDriverStatusUpdate)
//   POST /menus                      menu ingestion for the restaurants named (on JUST_EAT_API_URL,
//                                    https://api.flytplatform.com; JetConnectForManageProductCatalogue_ingestMenuFromPos)
//   POST /item-availability          {event: AVAILABLE|UNAVAILABLE, itemReferences, restaurant, happenedAt}
//                                    (JetConnectForManageProductCatalogue_updateItemAvailability)
//   PUT  /restaurants/{ref}/offline | /online   (JetConnectForManagePartnerAvailability_setRestaurantOffline|Online)
// Webhooks are authenticated as JET Connect documents them: the key given to JET comes back as the
// Authorization header (the reference's `api_key` scheme), and an order is signed with the HMAC
// secret given to JET: X-JET-Connect-Hash: `HMAC-SHA256 t=<unix ms>,signature=<base64 HMAC-SHA256 of
// the body>` (the reference's example: secret `key`, body `example` → FGwot7AqiDIthEv6TippJm35DaRpRac5NSLd/wSp9go=).
// What the documentation leaves open, taken here in its simplest documented form:
//   - whether `t` is part of the signed text: the example signs the body alone, so `t` is not checked;
//   - how the other webhooks (cancel, driver) are authenticated: the Authorization key alone;
//   - an item's quantity: order items carry none, so each entry is one of them;
//   - whether a closed day may be left out of a menu's availability (the schema requires the seven days,
//     its text says a closed day may be omitted): every day is sent, a closed one without hours;
//   - JET gives no event id: each notice's id is made of the order and its event (a retry repeats it).
// JET Connect publishes no call for these, so they do nothing or say so: a kitchen step (preparing,
// ready, collected: JET tells its courier itself), reading an order (it is pushed whole), a cancel by
// the shop (its /orders/{brand}/{id}/cancel is "not yet generally available": the tablet cancels),
// the busy minutes (no preparation-time call), the payout report (none).
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { Config } from '../kernel/config.ts';
import { justEatMenu, readJustEatWebhook } from './just-eat-shapes.ts';
import type { DenyReason, MarketplaceMenu, MarketplaceNotice, MarketplaceOrderIn, MarketplaceOrderRef, MarketplaceProvider, MarketplaceReport, MarketplaceStep } from './provider.ts';

/** A call JET Connect refused or failed: a 4xx other than 408 and 429 fails the same way again. */
export class JustEatError extends Error {
  readonly permanent: boolean;
  constructor(message: string, readonly status: number | null) {
    super(message);
    this.name = 'JustEatError';
    this.permanent = status !== null && status >= 400 && status < 500 && status !== 408 && status !== 429;
  }
}

export interface JustEatOptions {
  /** The brand's JET Connect API key (X-Flyt-Api-Key). */
  apiKey?: string;
  /** The key given to JET for its webhooks: their Authorization header. */
  webhookKey?: string;
  /** The HMAC secret given to JET: X-JET-Connect-Hash on its orders. */
  webhookSecret?: string;
  apiUrl: string;
  orderStatusUrl: string;
  /** Where JET posts the menu ingestion's result (the menus' required callback_url). */
  callbackUrl: string;
  timeoutMs?: number;
  now?: () => number;
}

/** Our reasons in JET Connect's failure codes (sent-to-pos-failed `errorCode`). */
const FAILURE_CODES: Record<DenyReason, string> = {
  store_closed: 'STORE_CLOSED',
  store_busy: 'UNKNOWN',
  item_unavailable: 'MENU_ERROR',
  other: 'UNKNOWN',
};

function header(headers: IncomingHttpHeaders, name: string): string | null {
  const v = headers[name];
  const s = Array.isArray(v) ? v[0] : v;
  return typeof s === 'string' && s !== '' ? s : null;
}

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The X-JET-Connect-Hash JET puts on a body, signed at `t` (unix ms). */
export function justEatSignature(secret: string, rawBody: Buffer | string, t = Date.now()): string {
  return `HMAC-SHA256 t=${t},signature=${createHmac('sha256', secret).update(rawBody).digest('base64')}`;
}

function hashMatches(secret: string, rawBody: Buffer, given: string): boolean {
  const m = /^HMAC-SHA256 t=[0-9]+,signature=([A-Za-z0-9+/=]+)$/.exec(given.trim());
  if (!m) return false;
  return sameText(m[1], createHmac('sha256', secret).update(rawBody).digest('base64'));
}

const looksLikeOrder = (rawBody: Buffer): boolean => {
  try {
    const b = JSON.parse(rawBody.toString('utf8')) as Record<string, unknown>;
    return Boolean(b && typeof b === 'object' && ('items' in b || 'posLocationId' in b));
  } catch {
    return false;
  }
};

export class JustEat implements MarketplaceProvider {
  readonly id = 'just_eat';
  readonly label = 'Just Eat';
  readonly configured: boolean;
  private readonly now: () => number;

  constructor(private readonly opts: JustEatOptions) {
    this.configured = Boolean(opts.apiKey && opts.webhookKey && opts.webhookSecret);
    this.now = opts.now ?? Date.now;
  }

  /** The Authorization key on every webhook; on an order, the HMAC too (a hash given is always checked). */
  verify(rawBody: Buffer, headers: IncomingHttpHeaders): boolean {
    const { webhookKey, webhookSecret } = this.opts;
    const auth = header(headers, 'authorization');
    if (!webhookKey || !webhookSecret || !auth || !sameText(auth, webhookKey)) return false;
    const hash = header(headers, 'x-jet-connect-hash');
    if (hash) return hashMatches(webhookSecret, rawBody, hash);
    return !looksLikeOrder(rawBody);
  }

  read(rawBody: Buffer, _headers: IncomingHttpHeaders = {}): MarketplaceNotice[] {
    return readJustEatWebhook(rawBody, this.now());
  }

  /** An order is taken in later (202 with its id, then sent-to-pos-success or -failed); anything else is echoed with 200. */
  answer(rawBody: Buffer, notices: MarketplaceNotice[]): { status: number; body: unknown } {
    const first = notices[0];
    if (first?.kind === 'order') return { status: 202, body: { OrderId: first.order.externalId } };
    return { status: 200, body: JSON.parse(rawBody.toString('utf8')) as unknown };
  }

  async fetchOrder(ref: MarketplaceOrderRef): Promise<MarketplaceOrderIn> {
    throw new JustEatError(`JET Connect has no call to read an order: ${ref.externalId} comes whole in its Receive Order webhook`, 404);
  }

  /** We took it: JET Connect's order leaves its pending state. Its ready time is JET's (no field for ours). */
  async accept(ref: MarketplaceOrderRef, _readyAt: Date): Promise<void> {
    await this.call(this.opts.orderStatusUrl, 'POST', `/order/${encodeURIComponent(ref.externalId)}/sent-to-pos-success`, { happenedAt: this.at() });
  }

  /** We cannot take it: JET Connect sends it to the restaurant's tablet (its backup flow), where it is keyed in or refused. */
  async deny(ref: MarketplaceOrderRef, reason: DenyReason, explanation: string): Promise<void> {
    await this.call(this.opts.orderStatusUrl, 'POST', `/order/${encodeURIComponent(ref.externalId)}/sent-to-pos-failed`, {
      happenedAt: this.at(),
      errorCode: FAILURE_CODES[reason],
      errorMessage: explanation || reason,
    });
  }

  /** JET Connect has no call for a kitchen step: its courier and its customer are told by JET itself. */
  async step(_ref: MarketplaceOrderRef, _step: MarketplaceStep): Promise<void> {}

  async cancel(ref: MarketplaceOrderRef, _reason: string): Promise<void> {
    throw new JustEatError(`JET Connect has no generally available cancel for the restaurant: cancel ${ref.externalId} on the Just Eat tablet`, 409);
  }

  async pushMenu(storeId: string, menu: MarketplaceMenu): Promise<void> {
    await this.call(this.opts.apiUrl, 'POST', '/menus', justEatMenu(storeId, menu, this.opts.callbackUrl));
  }

  /** One request per direction: the items sold out, then those back. */
  async setAvailability(storeId: string, items: { id: string; available: boolean }[]): Promise<void> {
    for (const available of [false, true]) {
      const itemReferences = items.filter((i) => i.available === available).map((i) => i.id);
      if (itemReferences.length === 0) continue;
      await this.call(this.opts.apiUrl, 'POST', '/item-availability', { event: available ? 'AVAILABLE' : 'UNAVAILABLE', itemReferences, restaurant: storeId, happenedAt: this.at() });
    }
  }

  /** Offline or online; JET Connect has no call for a preparation time, so the busy minutes stay here. */
  async setStoreStatus(storeId: string, status: { open: boolean; busyMinutes: number }): Promise<void> {
    const path = `/restaurants/${encodeURIComponent(storeId)}/${status.open ? 'online' : 'offline'}`;
    await this.call(this.opts.apiUrl, 'PUT', path, status.open ? undefined : {});
  }

  async report(storeId: string, _weekStart: string): Promise<MarketplaceReport> {
    throw new JustEatError(`JET Connect publishes no payout report (restaurant ${storeId})`, 404);
  }

  private at(): string {
    return new Date(this.now()).toISOString();
  }

  private async call(base: string, method: string, path: string, body?: unknown): Promise<unknown> {
    if (!this.opts.apiKey) throw new JustEatError('Just Eat is not configured (JUST_EAT_API_KEY, JUST_EAT_WEBHOOK_KEY, JUST_EAT_WEBHOOK_SECRET)', null);
    let res: Response;
    try {
      res = await fetch(`${base.replace(/\/$/, '')}${path}`, {
        method,
        headers: { 'x-flyt-api-key': this.opts.apiKey, 'x-jet-application': 'oc-pizza-live', accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.opts.timeoutMs ?? 10_000),
      });
    } catch (e) {
      throw new JustEatError(`Just Eat could not be reached for ${method} ${path}: ${(e as Error).message}`, null);
    }
    const text = await res.text();
    if (!res.ok) throw new JustEatError(`Just Eat answered ${res.status} to ${method} ${path}: ${text.slice(0, 300)}`, res.status);
    return text === '' ? null : (JSON.parse(text) as unknown);
  }
}

export function justEatFor(config: Config): MarketplaceProvider {
  const origin = (config.PUBLIC_ORIGIN ?? `http://localhost:${config.PORT}`).replace(/\/$/, '');
  return new JustEat({
    apiKey: config.JUST_EAT_API_KEY,
    webhookKey: config.JUST_EAT_WEBHOOK_KEY,
    webhookSecret: config.JUST_EAT_WEBHOOK_SECRET,
    apiUrl: config.JUST_EAT_API_URL,
    orderStatusUrl: config.JUST_EAT_ORDER_STATUS_URL,
    callbackUrl: `${origin}/api/marketplaces/just_eat/webhook`,
  });
}
