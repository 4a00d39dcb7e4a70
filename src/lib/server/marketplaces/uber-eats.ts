// Uber Eats as a delivery platform (provider id `uber_eats`), through its Marketplace APIs
// (developer.uber.com/docs/eats). The documented endpoints this file speaks to:
//   POST UBER_EATS_AUTH_URL (/oauth/v2/token)              client_credentials token, one per purpose and only
//                                                          its scope (a scope Uber did not grant, the reports'
//                                                          say, stops no order); authorization_code for activation
//   GET  UBER_EATS_AUTHORIZE_URL (/oauth/v2/authorize)     the merchant's consent (scope eats.pos_provisioning)
//   GET  /v1/eats/stores                                   List All Stores, with the merchant's user token
//   POST /v1/eats/stores/{store_id}/pos_data               Activate Integration {integrator_store_id, is_order_manager}
//   GET  /v1/eats/stores/{store_id}/pos_data               Get Integration Details          (eats.store)
//   GET  /v2/eats/order/{order_id}                         Get Order Details            (eats.order)
//   POST /v1/eats/orders/{order_id}/accept_pos_order       Accept Order {reason, pickup_time}  (eats.order)
//   POST /v1/eats/orders/{order_id}/deny_pos_order         Deny Order {reason: {code, explanation}}
//   POST /v1/eats/orders/{order_id}/cancel                 Cancel Order {reason, details}
//   POST /v1/eats/orders/{order_id}/restaurantdelivery/status  Update Delivery Status {status: started|delivered},
//                                                          only for an order the shop delivers
//                                                          (eats.store.orders.restaurantdelivery.status)
//   PUT  /v2/eats/stores/{store_id}/menus                  Upload Menu                  (eats.store)
//   POST /v2/eats/stores/{store_id}/menus/items/{item_id}  Update Item: suspension_info (eats.store)
//   POST /v1/eats/store/{store_id}/status                  Set Restaurant Status ONLINE|PAUSED (eats.store.status.write)
//   POST /v1/delivery/store/{store_id}/update-store-prep-time  the busy time as `delay_config` (eats.store)
//   POST /v1/eats/report                                   Reporting: PAYMENT_DETAILS_REPORT (eats.report)
// Webhooks (X-Uber-Signature), as the webhooks guide lists them: orders.notification and
// orders.scheduled.notification (a scheduled order, stores on 1.0.0), orders.cancel (orders.failure
// for a store on API version 1.0.0), orders.release (fast order release), store.provisioned and
// store.deprovisioned; delivery.state_changed is read when it comes, but the guide does not list it:
// a courier's time is read from the order itself (deliveries[]), else none is shown. Anything else is
// read as `other`.
// Two things the public reference leaves open, taken here as the fake in tests/ models them:
// the inner fields of `delay_config` ({ delay_duration: seconds }), and reading a report job back
// (GET /v1/eats/report/{workflow_id}, the same report_metadata.sections[] the eats.report.success
// webhook carries) since the interface asks for the report in one call.
// One generation of Uber's order API, the one whose order its webhooks point to (resource_href:
// /v2/eats/order/{id}) and whose reference documents each call above: read, accept, deny and cancel
// under /v1/eats/orders. It has no call for "preparing" (accepting starts the order on Uber's side)
// nor for "ready": Uber sends its courier for the pickup_time our accept gives (the kitchen's own
// promise); nor for the handover to its courier or to an eater who collects (the courier's app and
// Uber close those): no-ops. The newer generation's calls (/v1/delivery/order/…) are not mixed in.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { Config } from '../kernel/config.ts';
import type {
  DenyReason, MarketplaceActivation, MarketplaceMenu, MarketplaceNotice, MarketplaceOrderIn, MarketplaceOrderRef, MarketplaceProvider, MarketplaceReport, MarketplaceStep,
  PlatformIntegration, PlatformStoreChoice,
} from './provider.ts';
import { ACCEPT_WINDOW_MS, DENY_CODES, noticesOf, orderOf, reportOfCsv, suspensionOf, uberMenuOf } from './uber-eats-shapes.ts';

/** Each purpose's scope: a token asks for its own only (a scope Uber did not grant stops that purpose alone). */
export const UBER_EATS_SCOPE = { orders: 'eats.order', store: 'eats.store', status: 'eats.store.status.write', reports: 'eats.report' } as const;
/** The merchant user's scope that lists their stores and activates one for the app. */
export const UBER_EATS_PROVISIONING_SCOPE = 'eats.pos_provisioning';
/** Telling the eater where the shop's own driver is needs its own scope (granted by Uber on request). */
export const UBER_EATS_DELIVERY_STATUS_SCOPE = 'eats.store.orders.restaurantdelivery.status';

/** A call Uber Eats refused or failed: its HTTP status, and whether trying again could help. */
export class UberEatsError extends Error {
  /** A 4xx other than 401 (the token is dropped and fetched again), 408 and 429: the same call would fail the same way. */
  readonly permanent: boolean;
  constructor(
    readonly status: number,
    message: string,
    readonly body: unknown = null,
  ) {
    super(message);
    this.name = 'UberEatsError';
    this.permanent = status >= 400 && status < 500 && ![401, 408, 429].includes(status);
  }
}

export interface UberEatsOptions {
  clientId: string | null;
  /** Also the key Uber signs its webhooks with. */
  clientSecret: string | null;
  apiUrl: string;
  authUrl: string;
  /** Uber's consent page (OAuth authorize), where a merchant's user activates stores for the app. */
  authorizeUrl?: string;
  timeoutMs?: number;
  /** How long Uber leaves an order unanswered before cancelling it (its guide: 11.5 min). */
  acceptWindowMs?: number;
  /** How often and how many times a report job is read back before giving up. */
  reportPollMs?: number;
  reportPolls?: number;
  /** How long a sold-out item stays suspended if nobody restores it (days). */
  suspendDays?: number;
}

interface HeldToken {
  token: string;
  until: number;
  pending: Promise<string> | null;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const path = (...parts: string[]) => parts.map((p, i) => (i % 2 === 1 ? encodeURIComponent(p) : p)).join('');
/** An answer's JSON, its text when it is not JSON, null when empty. */
function jsonOf(text: string): unknown {
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
/** An integration as Get Integration Details or the activation answers it. */
function integrationOf(j: Record<string, unknown> | null): PlatformIntegration {
  const enabled = j?.integration_enabled ?? j?.pos_integration_enabled;
  return { enabled: enabled !== false, orderManager: typeof j?.is_order_manager === 'boolean' ? j.is_order_manager : null };
}
const addDays = (day: string, n: number) => new Date(Date.parse(`${day}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);

export class UberEats implements MarketplaceProvider {
  readonly id = 'uber_eats';
  readonly label = 'Uber Eats';
  readonly configured: boolean;
  /** Tokens asked for since start (one per scope set until it nears its expiry). */
  tokenRequests = 0;
  private readonly tokens = new Map<string, HeldToken>();

  constructor(private readonly opts: UberEatsOptions) {
    this.configured = Boolean(opts.clientId && opts.clientSecret);
  }

  /**
   * A store activated by its merchant (the authentication guide's authorization_code flow, the
   * integration configuration guide's third way): the merchant's user consents on Uber's page, we
   * list the stores their token may set up, and activate one with us as its order manager.
   */
  readonly activation: MarketplaceActivation = {
    authorizeUrl: (redirectUri, state) => {
      const q = new URLSearchParams({ client_id: this.opts.clientId ?? '', response_type: 'code', redirect_uri: redirectUri, scope: UBER_EATS_PROVISIONING_SCOPE, state });
      return `${this.opts.authorizeUrl ?? 'https://auth.uber.com/oauth/v2/authorize'}?${q}`;
    },
    authorized: async (code, redirectUri) => {
      const { token, seconds } = await this.askToken({ grant_type: 'authorization_code', code, redirect_uri: redirectUri });
      return { accessToken: token, expiresInSeconds: seconds, stores: await this.userStores(token) };
    },
    activate: async (accessToken, storeId, ours) => {
      const body = { integrator_store_id: ours, integration_enabled: true, is_order_manager: true };
      const answer = (await this.call('POST', path('/v1/eats/stores/', storeId, '/pos_data'), body, UBER_EATS_PROVISIONING_SCOPE, accessToken)) as Record<string, unknown> | null;
      return integrationOf(answer ?? body);
    },
    integration: async (storeId) => integrationOf((await this.call('GET', path('/v1/eats/stores/', storeId, '/pos_data'), undefined, UBER_EATS_SCOPE.store)) as Record<string, unknown> | null),
  };

  /** The stores a merchant's user token may set up (List All Stores, every page). */
  private async userStores(token: string): Promise<PlatformStoreChoice[]> {
    const stores: PlatformStoreChoice[] = [];
    let key = '';
    for (let page = 0; page < 50; page++) {
      const q = new URLSearchParams({ limit: '50', ...(key ? { start_key: key } : {}) });
      const answer = (await this.call('GET', `/v1/eats/stores?${q}`, undefined, UBER_EATS_PROVISIONING_SCOPE, token)) as { stores?: unknown; next_key?: unknown } | null;
      for (const st of Array.isArray(answer?.stores) ? (answer.stores as Record<string, any>[]) : []) {
        const id = typeof st.store_id === 'string' ? st.store_id : typeof st.id === 'string' ? st.id : null;
        if (!id) continue;
        const loc = st.location ?? {};
        const address = [loc.address, loc.postal_code, loc.city].filter((x: unknown) => typeof x === 'string' && x).join(' ');
        stores.push({ id, name: typeof st.name === 'string' ? st.name : id, address: address || null });
      }
      key = typeof answer?.next_key === 'string' ? answer.next_key : '';
      if (!key) break;
    }
    return stores;
  }

  verify(rawBody: Buffer, headers: IncomingHttpHeaders): boolean {
    const secret = this.opts.clientSecret;
    const given = headers['x-uber-signature'];
    if (!secret || typeof given !== 'string' || !/^[0-9a-fA-F]+$/.test(given) || given.length % 2 !== 0) return false;
    const expected = createHmac('sha256', secret).update(rawBody).digest();
    const got = Buffer.from(given.toLowerCase(), 'hex');
    return got.length === expected.length && timingSafeEqual(got, expected);
  }

  read(rawBody: Buffer, _headers: IncomingHttpHeaders = {}): MarketplaceNotice[] {
    return noticesOf(rawBody);
  }

  async fetchOrder(ref: MarketplaceOrderRef): Promise<MarketplaceOrderIn> {
    return orderOf(await this.order(ref), this.opts.acceptWindowMs ?? ACCEPT_WINDOW_MS);
  }

  async accept(ref: MarketplaceOrderRef, readyAt: Date): Promise<void> {
    await this.call('POST', path('/v1/eats/orders/', ref.externalId, '/accept_pos_order'), {
      reason: 'Accepted by the shop',
      pickup_time: Math.round(readyAt.getTime() / 1000),
    }, UBER_EATS_SCOPE.orders);
  }

  async deny(ref: MarketplaceOrderRef, reason: DenyReason, explanation: string): Promise<void> {
    await this.call('POST', path('/v1/eats/orders/', ref.externalId, '/deny_pos_order'), {
      reason: { code: DENY_CODES[reason] ?? 'OTHER', explanation: explanation || reason },
    }, UBER_EATS_SCOPE.orders);
  }

  async step(ref: MarketplaceOrderRef, step: MarketplaceStep): Promise<void> {
    if (step === 'preparing' || step === 'ready') return;
    // the handover and the delivery are Uber's to tell, but for an order the shop delivers itself
    const order = await this.order(ref);
    if (order.type !== 'DELIVERY_BY_RESTAURANT') return;
    const status = step === 'collected' ? 'started' : 'delivered';
    await this.call('POST', path('/v1/eats/orders/', ref.externalId, '/restaurantdelivery/status'), { status }, UBER_EATS_DELIVERY_STATUS_SCOPE);
  }

  async cancel(ref: MarketplaceOrderRef, reason: string): Promise<void> {
    await this.call('POST', path('/v1/eats/orders/', ref.externalId, '/cancel'), { reason: 'OTHER', details: reason }, UBER_EATS_SCOPE.orders);
  }

  async pushMenu(storeId: string, menu: MarketplaceMenu): Promise<void> {
    await this.call('PUT', path('/v2/eats/stores/', storeId, '/menus'), uberMenuOf(menu, this.suspendUntil()), UBER_EATS_SCOPE.store);
  }

  async setAvailability(storeId: string, items: { id: string; available: boolean }[]): Promise<void> {
    const until = this.suspendUntil();
    for (const item of items) {
      await this.call('POST', path('/v2/eats/stores/', storeId, '/menus/items/', item.id), { suspension_info: suspensionOf(item.available, until) }, UBER_EATS_SCOPE.store);
    }
  }

  async setStoreStatus(storeId: string, status: { open: boolean; busyMinutes: number }): Promise<void> {
    await this.call('POST', path('/v1/eats/store/', storeId, '/status'), status.open ? { status: 'ONLINE' } : { status: 'PAUSED', reason: 'Paused by the shop' }, UBER_EATS_SCOPE.status);
    const seconds = Math.max(0, Math.round(status.busyMinutes * 60));
    await this.call('POST', path('/v1/delivery/store/', storeId, '/update-store-prep-time'), { delay_config: { delay_duration: seconds } }, UBER_EATS_SCOPE.store);
  }

  async report(storeId: string, weekStart: string): Promise<MarketplaceReport> {
    const job = (await this.call('POST', '/v1/eats/report', {
      report_type: 'PAYMENT_DETAILS_REPORT',
      store_uuids: [storeId],
      start_date: weekStart,
      end_date: addDays(weekStart, 6),
    }, UBER_EATS_SCOPE.reports)) as { workflow_id?: unknown } | null;
    const workflowId = typeof job?.workflow_id === 'string' ? job.workflow_id : null;
    if (!workflowId) throw new UberEatsError(502, 'Uber Eats report: no workflow_id in the answer');
    const urls = await this.reportSections(workflowId);
    const csvs: string[] = [];
    for (const url of urls) {
      const res = await fetch(url, { signal: AbortSignal.timeout(this.opts.timeoutMs ?? 15_000) });
      if (!res.ok) throw new UberEatsError(res.status, `Uber Eats report download: ${res.status}`);
      csvs.push(await res.text());
    }
    return reportOfCsv(csvs, storeId, weekStart);
  }

  /** The report's files, once Uber has made them (its job read back until it names them). */
  private async reportSections(workflowId: string): Promise<string[]> {
    const polls = this.opts.reportPolls ?? 30;
    for (let i = 0; i < polls; i++) {
      const job = (await this.call('GET', path('/v1/eats/report/', workflowId), undefined, UBER_EATS_SCOPE.reports)) as { report_metadata?: { sections?: { download_url?: unknown }[] } } | null;
      const sections = job?.report_metadata?.sections;
      if (Array.isArray(sections)) return sections.map((s) => s.download_url).filter((u): u is string => typeof u === 'string');
      await sleep(this.opts.reportPollMs ?? 2_000);
    }
    throw new UberEatsError(504, `Uber Eats report ${workflowId}: not ready after ${polls} reads`);
  }

  private async order(ref: MarketplaceOrderRef): Promise<Record<string, any>> {
    const order = await this.call('GET', path('/v2/eats/order/', ref.externalId), undefined, UBER_EATS_SCOPE.orders);
    if (!order || typeof order !== 'object') throw new UberEatsError(502, `Uber Eats order ${ref.externalId}: no order in the answer`);
    return order as Record<string, any>;
  }

  private suspendUntil(): number {
    return Math.round(Date.now() / 1000) + (this.opts.suspendDays ?? 30) * 86_400;
  }

  /** One API call with the token of that scope set; a 401 drops the token so the next try asks for a new one. */
  private async call(method: string, at: string, body: unknown, scope: string, userToken?: string): Promise<unknown> {
    const token = userToken ?? (await this.tokenFor(scope));
    const res = await fetch(`${this.opts.apiUrl.replace(/\/$/, '')}${at}`, {
      method,
      headers: { authorization: `Bearer ${token}`, accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(this.opts.timeoutMs ?? 15_000),
    });
    const text = await res.text();
    const json = jsonOf(text);
    if (res.status === 401 && !userToken) this.tokens.delete(scope);
    if (!res.ok) throw new UberEatsError(res.status, `Uber Eats ${method} ${at}: ${res.status} ${text.slice(0, 300)}`, json);
    return json;
  }

  /** The token of a scope set, asked for once and kept until shortly before it expires (one request at a time). */
  private tokenFor(scope: string): Promise<string> {
    const held = this.tokens.get(scope);
    if (held?.pending) return held.pending;
    if (held && held.until > Date.now()) return Promise.resolve(held.token);
    const pending = this.askToken({ grant_type: 'client_credentials', scope }).then(
      ({ token, seconds }) => {
        const margin = Math.min(300, seconds / 10);
        this.tokens.set(scope, { token, until: Date.now() + (seconds - margin) * 1000, pending: null });
        return token;
      },
      (e: unknown) => {
        this.tokens.delete(scope);
        throw e;
      },
    );
    this.tokens.set(scope, { token: '', until: 0, pending });
    return pending;
  }

  /** A token: the app's own for a scope (client_credentials), or a merchant user's for the code they gave. */
  private async askToken(grant: { grant_type: 'client_credentials'; scope: string } | { grant_type: 'authorization_code'; code: string; redirect_uri: string }): Promise<{ token: string; seconds: number }> {
    const { clientId, clientSecret } = this.opts;
    if (!clientId || !clientSecret) throw Object.assign(new Error('Uber Eats is not configured (UBER_EATS_CLIENT_ID, UBER_EATS_CLIENT_SECRET)'), { permanent: true });
    this.tokenRequests++;
    const res = await fetch(this.opts.authUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams({ client_id: clientId, client_secret: clientSecret, ...grant }).toString(),
      signal: AbortSignal.timeout(this.opts.timeoutMs ?? 15_000),
    });
    const text = await res.text();
    if (!res.ok) throw new UberEatsError(res.status, `Uber Eats token: ${res.status} ${text.slice(0, 300)}`);
    const answer = JSON.parse(text) as { access_token?: unknown; expires_in?: unknown };
    if (typeof answer.access_token !== 'string') throw new UberEatsError(502, 'Uber Eats token: no access_token in the answer');
    return { token: answer.access_token, seconds: typeof answer.expires_in === 'number' ? answer.expires_in : 3600 };
  }
}

/** The chain's Uber Eats client, from the settings (configured only with both credentials). */
export function uberEatsFor(config: Config): MarketplaceProvider {
  return new UberEats({
    clientId: config.UBER_EATS_CLIENT_ID ?? null,
    clientSecret: config.UBER_EATS_CLIENT_SECRET ?? null,
    apiUrl: config.UBER_EATS_API_URL,
    authUrl: config.UBER_EATS_AUTH_URL,
    authorizeUrl: config.UBER_EATS_AUTHORIZE_URL,
  });
}
