// The JSON API as mounted at /api, by the production server and by `vite dev` alike: the checks
// every request passes (its origin, its session), then one router per resource, then errors
// rendered as `{ error: { code, message, requestId } }`.
import { doorQrProviderFor, paymentWebhookFor, terminalProviderFor } from '../../src/lib/server/money/provider-choice.ts';
import type { DoorQrProvider } from '../../src/lib/server/money/door-qr.ts';
import { doorQrRoutes } from './door-qr.ts';
import type { TerminalProvider } from '../../src/lib/server/money/terminal.ts';
import { terminalRoutes } from './terminal.ts';
import { mealVoucherRoutes } from './meal-vouchers.ts';
import type { PaymentWebhook } from '../../src/lib/server/money/provider.ts';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { Store } from 'express-rate-limit';
import { SESSION_COOKIE, cachedUserForSession, readCookie, type SessionUser } from '../../src/lib/server/staff/auth.ts';
import type { Config } from '../../src/lib/server/kernel/config.ts';
import { isDatabaseUnavailable, type Db } from '../../src/lib/server/kernel/db.ts';
import { AppError, notFound } from '../../src/lib/server/kernel/errors.ts';
import { AddressApiGeocoder } from '../../src/lib/server/road/geocoder.ts';
import { createMailer, type Mailer } from '../../src/lib/server/kernel/mailer.ts';
import { smsProviderFrom } from '../../src/lib/server/kernel/sms.ts';
import { guardSms } from '../../src/lib/server/messages/sms-limits.ts';
import type { Redis } from 'ioredis';
import { CUSTOMER_COOKIE, customerForSession } from '../../src/lib/server/customers/account.ts';
import { mediaStoreFrom, type MediaStore } from '../../src/lib/server/shops/media.ts';
import { reportError } from '../../src/lib/server/kernel/observability.ts';
import { originAllowed } from '../../src/lib/server/kernel/origin.ts';
import type { PositionStore } from '../../src/lib/server/road/positions.ts';
import type { PrintJob } from '../../src/lib/server/printing/index.ts';
import type { QueueOf } from '../../src/lib/server/kernel/queues.ts';
import type { OrderView } from '../../src/lib/shapes/views.ts';
import { customerRateLimit, limiterFactory } from '../rate-limits.ts';
import type { ApiContext, ApiLog } from './kit.ts';
import { accountRoutes } from './account.ts';
import { customerRoutes } from './customer.ts';
import { counterRoutes } from './counter.ts';
import { dispatchRoutes } from './dispatch.ts';
import { doorRoutes } from './door.ts';
import { driverRoutes } from './driver.ts';
import { driverPayRoutes } from './driver-pay.ts';
import { kitchenRoutes } from './kitchen.ts';
import { liveRoutes } from './live.ts';
import { menuRoutes } from './menu.ts';
import { moneyRoutes } from './money.ts';
import { fiscalCorrectionRoutes } from './fiscal-corrections.ts';
import { marketplaceAdminRoutes } from './marketplace-admin.ts';
import { orderRoutes } from './orders.ts';
import { paymentRoutes, paymentWebhook } from './payments.ts';
import { marketplaceWebhooks } from './marketplace-hooks.ts';
import type { MarketplaceProvider } from '../../src/lib/server/marketplaces/provider.ts';
import { ratingRoutes } from './ratings.ts';
import { promoRoutes } from './promos.ts';
import { shopRoutes } from './shops.ts';
import { speedRoutes } from './speed.ts';
import { staffRoutes } from './staff.ts';
import { stockRoutes } from './stock.ts';
import { storefrontRoutes } from './storefront.ts';
import { trackingRoutes } from './tracking.ts';
import { tipRoutes } from './tips.ts';

export interface ApiDeps {
  db: Db;
  config: Config;
  log: ApiLog;
  limiterStore?: (prefix: string) => Store;
  /** Where the chain's texts are counted (sms-limits.ts), with every server and worker; absent: by this process alone. */
  redis?: Redis;
  /**
   * Called after a change commits, before the answer: the hub publishes and relays it, so that when
   * the API says "done", every screen is already being told. `by`: the member of staff who made it.
   */
  relayed?: (by?: SessionUser | null) => Promise<void>;
  /**
   * Whether `relayed` publishes what the API committed (a hub runs in this process): the order's
   * rush-hour changes (place, move, change, cancel) then commit without waking the publishers.
   */
  publishesChanges?: () => boolean;
  /** The newest view of an open order this process's hub relayed (a move is checked against it: advanceOrder's `seen`). */
  seenOrder?: (orderId: string) => OrderView | undefined;
  /** Drivers' latest positions (Redis), for the maps. */
  positions?: PositionStore;
  /** Outgoing email (staff invitations and password resets). */
  mailer?: Mailer;
  /** Where product photos are kept. */
  media?: MediaStore;
  /** Hands a payment provider's event, kept in Postgres (signature checked), to the workers, once per event id. */
  enqueuePaymentEvent?: (eventId: string) => Promise<unknown>;
  /** Hands a tip given after the delivery to the workers, to make its payment. */
  enqueueTipPayment?: (tipId: string) => Promise<unknown>;
  /** Hands a copy of an order's label or ticket to the workers' printing queue. */
  enqueuePrint?: (job: PrintJob) => Promise<unknown>;
  /** Hands an erased account's payment-provider customer to the workers to delete. */
  enqueueCustomerErasure?: (customerRef: string) => Promise<unknown>;
  /** The payment provider's webhook reader: the settings' (paymentWebhookFor) unless given (null: none). */
  paymentWebhook?: PaymentWebhook | null;
  /** The counter's card terminal's provider: the settings' (terminalProviderFor) unless given (null: none). */
  terminal?: TerminalProvider | null;
  /** Paying at the door by QR code: the settings' (doorQrProviderFor) unless given (null: none). */
  doorQr?: DoorQrProvider | null;
  /** The workers' accounts queue (password resets); the shared one from the environment without it. */
  accountQueue?: QueueOf<'accounts'>;
  /** The delivery platforms (the settings' unless given: a fake platform in tests) and the workers' queue for them. */
  marketplaces?: MarketplaceProvider[];
  marketplaceQueue?: QueueOf<'marketplaces'>;
}

/** The routers' context from the API's dependencies (defaults for what a `vite dev` server does not give). */
function contextOf(deps: ApiDeps): ApiContext {
  const { config } = deps;
  return {
    db: deps.db,
    config,
    log: deps.log,
    geocoder: config.GEOCODER_URL === 'none' ? null : new AddressApiGeocoder(config.GEOCODER_URL, { timeoutMs: config.GEOCODER_TIMEOUT_MS }),
    positions: deps.positions ?? null,
    mailer: deps.mailer ?? createMailer({ smtpUrl: config.SMTP_URL, from: config.MAIL_FROM, log: deps.log as never, production: config.NODE_ENV === 'production' }),
    sms: guardSms(smsProviderFrom(config, deps.log as never), config, { db: deps.db, log: deps.log, redis: deps.redis }),
    media: deps.media ?? mediaStoreFrom(config),
    relayed: deps.relayed ?? (() => Promise.resolve()),
    announce: () => !(deps.relayed && deps.publishesChanges?.()),
    seenOrder: (id) => deps.seenOrder?.(id),
    // floods of anonymous requests (failed logins are counted by the login service), per client address
    limiter: limiterFactory(config, deps.limiterStore),
    customerLimiter: customerRateLimit(config, deps.limiterStore),
    // what one client may hold unpaid, and ask for one phone or email (counted in Postgres, src/lib/server/orders/index.ts)
    orderLimits: {
      ordersPerClient: config.UNPAID_ORDERS_PER_CLIENT,
      itemsPerClient: config.UNPAID_ITEMS_PER_CLIENT,
      stockShare: config.UNPAID_STOCK_SHARE,
      aheadHours: config.UNPAID_AHEAD_HOURS,
      ordersPerContactPerHour: config.ORDERS_PER_CONTACT_PER_HOUR,
    },
    enqueuePaymentEvent: deps.enqueuePaymentEvent,
    enqueueTipPayment: deps.enqueueTipPayment,
    enqueuePrint: deps.enqueuePrint,
    enqueueCustomerErasure: deps.enqueueCustomerErasure,
    paymentWebhook: deps.paymentWebhook === undefined ? paymentWebhookFor(config) : deps.paymentWebhook,
    terminal: deps.terminal === undefined ? terminalProviderFor(config) : deps.terminal,
    doorQr: deps.doorQr === undefined ? doorQrProviderFor(config) : deps.doorQr,
    accountQueue: deps.accountQueue,
    marketplaces: deps.marketplaces,
    marketplaceQueue: deps.marketplaceQueue,
  };
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export function createApi(deps: ApiDeps): express.Router {
  const ctx = contextOf(deps);
  const r = express.Router();
  // a page of another origin must not change state with a staff cookie (absent Origin: not a browser)
  r.use((req, _res, next) => {
    if (SAFE_METHODS.has(req.method) || originAllowed(req.headers.origin, { host: req.host, protocol: req.protocol }, ctx.config)) return next();
    next(new AppError(403, 'bad_origin', 'requests that change something must come from our own pages'));
  });
  r.use(async (req, _res, next) => {
    try {
      req.user = await cachedUserForSession(ctx.db, readCookie(req.headers.cookie, SESSION_COOKIE));
      // a customer's own cookie is read only when it is there (staff screens and guests send none)
      const customerCookie = readCookie(req.headers.cookie, CUSTOMER_COOKIE);
      req.customer = customerCookie ? await customerForSession(ctx.db, customerCookie) : null;
      next();
    } catch (err) {
      next(err);
    }
  });
  // the payment provider's webhook reads its body raw (its signature is over the bytes): before the JSON parser
  r.use(paymentWebhook(ctx));
  r.use(marketplaceWebhooks(ctx));
  r.use(express.json({ limit: '32kb' }));
  for (const routes of [
    accountRoutes, storefrontRoutes, paymentRoutes, orderRoutes, trackingRoutes, liveRoutes, doorRoutes, dispatchRoutes,
    driverRoutes, stockRoutes, kitchenRoutes, speedRoutes, shopRoutes, menuRoutes, staffRoutes, moneyRoutes, ratingRoutes, customerRoutes, counterRoutes, promoRoutes,
    fiscalCorrectionRoutes, marketplaceAdminRoutes,
    driverPayRoutes, tipRoutes, terminalRoutes, doorQrRoutes, mealVoucherRoutes,
  ]) {
    r.use(routes(ctx));
  }
  r.use((_req, _res, next) => next(notFound('route')));
  r.use(errorMiddleware(ctx.log));
  return r;
}

/** Renders AppError (and body-parser's errors) as `{ error: { code, message, fields? } }`. */
function errorMiddleware(log: ApiLog) {
  return (err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const requestId = String(req.id);
    if (err instanceof AppError) return res.status(err.status).json({ error: { ...err.toJSON().error, requestId } });
    const e = err as { type?: string; status?: number };
    if (e.type === 'entity.too.large') return res.status(413).json({ error: { code: 'too_large', message: 'request body too large', requestId } });
    if (e.type === 'entity.parse.failed') return res.status(400).json({ error: { code: 'bad_json', message: 'malformed JSON body', requestId } });
    if (e.status && e.status >= 400 && e.status < 500) return res.status(e.status).json({ error: { code: 'bad_request', message: String((err as Error).message), requestId } });
    // the database went away under the request (a failover, a restart): nothing was half-done (its
    // transaction rolled back, or committed whole if the loss came during COMMIT); the client tries
    // again in a moment, with the same Idempotency-Key for an order
    if (isDatabaseUnavailable(err)) {
      log.warn({ requestId, path: req.originalUrl, reason: String((err as Error).message) }, 'database unavailable');
      res.setHeader('retry-after', '2');
      return res.status(503).json({ error: { code: 'database_unavailable', message: 'the database is unavailable for a moment, try again', requestId } });
    }
    // last resort: Postgres refused a value (class 22, data exception: out of range, bad encoding,
    // malformed uuid) that validation let through. The input was bad, so the answer is a 4xx, but
    // it is still logged and reported: validation up front should have caught it
    const pgCode = (err as { code?: unknown }).code;
    if (typeof pgCode === 'string' && /^22[0-9A-Z]{3}$/.test(pgCode)) {
      log.error({ err, requestId }, 'invalid value reached the database');
      reportError(err, { requestId, path: req.originalUrl });
      return res.status(400).json({ error: { code: 'bad_request', message: 'a value in the request is malformed or out of range', requestId } });
    }
    log.error({ err, requestId }, 'unhandled error');
    reportError(err, { requestId, path: req.originalUrl });
    res.status(500).json({ error: { code: 'server_error', message: 'something went wrong', requestId } });
  };
}
