import express, { type NextFunction, type Request, type Response } from 'express';
import type { Store } from 'express-rate-limit';
import { z } from 'zod';
import { customerRateLimit, limiterFactory } from './rate-limits.ts';
import { UUID, assignSchema, deliverSchema, lendSchema, offerAnswerSchema, failedSchema, idParam, listSchema, versionSchema, loginSchema, modifySchema, placeOrderSchema, shiftSchema, statusSchema, whereSchema } from '../src/lib/order-requests.ts';
import { SESSION_COOKIE, cachedUserForSession, login, logout, readCookie, type SessionUser } from '../src/lib/server/auth.ts';
import { getMenu, getPizzeria, listCategories, listPizzerias } from '../src/lib/server/catalogue.ts';
import type { Config } from '../src/lib/server/config.ts';
import { alertsOfShops } from '../src/lib/server/alerts.ts';
import type { Db } from '../src/lib/server/db.ts';
import type { OrderView } from '../src/lib/realtime/contract.ts';
import { AppError, conflict, forbidden, invalid, notFound, unauthorized } from '../src/lib/server/errors.ts';
import { AddressApiGeocoder, type Geocoder } from '../src/lib/server/geocoder.ts';
import { IDEMPOTENCY_KEY_PATTERN } from '../src/lib/server/idempotency.ts';
import { geocodeForStorefront, shopsForSpot } from '../src/lib/server/places.ts';
import { deliveryTrail, type PositionStore } from '../src/lib/server/positions.ts';
import { driversOfShops } from '../src/lib/server/drivers.ts';
import { createI18n, pickLocale } from '../src/lib/i18n/index.ts';
import { auditQuery, countSchema, deliverySchema, movementsQuery, thresholdSchema, tonightSchema } from '../src/lib/back-office-requests.ts';
import { countStock, mayKeepStock, receiveDelivery, setLowThreshold, setOffTonight, stockMovements, stockOfShop } from '../src/lib/server/stock.ts';
import { searchAudit } from '../src/lib/server/audit.ts';
import { createMailer, type Mailer } from '../src/lib/server/mailer.ts';
import { forgotSchema, passwordSchema, pauseSchema, shopCreateSchema, shopSettingsSchema, staffCreateSchema, staffQuery, staffUpdateSchema } from '../src/lib/back-office-requests.ts';
import { createShopSettings, setOnlinePaused, updateShop } from '../src/lib/server/shops.ts';
import { ingredientCreateSchema, ingredientSchema, productCreateSchema, productSchema } from '../src/lib/back-office-requests.ts';
import { categoryCreateSchema, categoryMoveSchema, categorySchema, optionSchema } from '../src/lib/back-office-requests.ts';
import { createIngredient, createProduct, getProduct, listIngredients, listProducts, setProductPhoto, updateIngredient, updateProduct } from '../src/lib/server/menu.ts';
import { createCategory, createOption, deleteCategory, deleteOption, listCategoryRecords, moveCategory, updateCategory, updateOption } from '../src/lib/server/menu.ts';
import { MAX_UPLOAD_BYTES, mediaStoreFrom, type MediaStore } from '../src/lib/server/media.ts';
import { createStaff, getStaff, linkInfo, listStaff, requestPasswordReset, sendAccountLink, setPasswordWithLink, setStaffActive, updateStaff, type AccountLinks } from '../src/lib/server/staff.ts';
import { shopFigures } from '../src/lib/server/figures.ts';
import { answerOffer, assignByHand, lendDriver } from '../src/lib/server/dispatch.ts';
import { MAX_PHOTO_BYTES, deliverOrder, failDelivery, getPhoto, redeliver, savePhoto } from '../src/lib/server/delivery.ts';
import { reportError } from '../src/lib/server/observability.ts';
import { originAllowed } from '../src/lib/server/origin.ts';
import { paymentFormOf, storePaymentEvent } from '../src/lib/server/payments.ts';
import { sharedAccountQueue, type QueueOf } from '../src/lib/server/queues.ts';
import { verifyPaymentEvent } from '../src/lib/server/payment-webhook.ts';
import { demoPaymentEvent, parseDemoCard } from '../src/lib/server/demo-payments.ts';
import { closeShift, currentShift, declareCash, shiftsOfShop } from '../src/lib/server/cash.ts';
import { receiptOf, receiptPdf } from '../src/lib/server/receipts.ts';
import { orderForStaff } from '../src/lib/realtime/audiences.ts';
import { cashCloseSchema, cashDeclareSchema, shiftsQuery, takingsQuery } from '../src/lib/back-office-requests.ts';
import { takingsOfDay } from '../src/lib/server/takings.ts';
import { takingsCsv } from '../src/lib/server/takings-csv.ts';
import {
  advanceOrder,
  cancelByToken,
  canActOnShop,
  deliveryPin,
  getOrder,
  getOrderIdByToken,
  listOrders,
  modifyByToken,
  placeOrder,
  setShift,
  type OrderLimits,
  type StaffActor,
} from '../src/lib/server/orders.ts';

declare module 'express-serve-static-core' {
  interface Request {
    user?: SessionUser | null;
  }
}

// the back office's schemas speak in message keys (src/lib/back-office-requests.ts): the API answers in English
const english = createI18n('en').t;

function parse<T extends z.ZodType>(schema: T, value: unknown): z.infer<T> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const fields: Record<string, string> = {};
  for (const issue of r.error.issues) {
    const key = issue.path.join('.') || 'body';
    fields[key] ??= issue.message.startsWith('form.') ? english(issue.message) : issue.message;
  }
  throw invalid(fields);
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

const staffActor = (u: SessionUser): StaffActor => ({ kind: 'staff', id: u.id, role: u.role, pizzeriaId: u.pizzeriaId, name: u.name });

function requireStaff(req: Request, roles?: SessionUser['role'][]): SessionUser {
  if (!req.user) throw unauthorized();
  if (roles && !roles.includes(req.user.role)) throw forbidden(`this needs one of: ${roles.join(', ')}`);
  return req.user;
}

/** An order as the API answers it: whole to its customer (the tracking link), as their screen sees it to staff (audiences.ts). */
const orderResponse = (whole: Awaited<ReturnType<typeof getOrder>> & object, staff?: SessionUser) => {
  const o = staff ? orderForStaff(staff, whole) : whole;
  return { ...o, total: o.totalCents, amountToCollect: o.amountDueCents };
};

/**
 * The JSON API as mounted at /api, by the production server and by `vite dev` alike: the session
 * user, the routes, and errors rendered as `{ error: { code, message, requestId } }`.
 */
export function createApi(deps: {
  db: Db;
  config: Config;
  log: { error: (o: object, m: string) => void };
  limiterStore?: (prefix: string) => Store;
  /**
   * Called after a change commits, before the answer: the hub publishes and relays it, so that when
   * the API says "done", every screen is already being told.
   */
  relayed?: () => Promise<void>;
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
  /** The workers' accounts queue (password resets); the shared one from the environment without it. */
  accountQueue?: QueueOf<'accounts'>;
}): express.Router {
  const { db, config } = deps;
  const relayed = deps.relayed ?? (() => Promise.resolve());
  const announce = () => !(deps.relayed && deps.publishesChanges?.());
  const geocoder: Geocoder | null =
    config.GEOCODER_URL === 'none' ? null : new AddressApiGeocoder(config.GEOCODER_URL, { timeoutMs: config.GEOCODER_TIMEOUT_MS });
  const r = express.Router();
  // a page of another origin must not change state with a staff cookie (absent Origin: not a browser)
  r.use((req, _res, next) => {
    if (SAFE_METHODS.has(req.method)) return next();
    if (originAllowed(req.headers.origin, { host: req.host, protocol: req.protocol }, config)) return next();
    next(new AppError(403, 'bad_origin', 'requests that change something must come from our own pages'));
  });
  r.use(async (req, _res, next) => {
    try {
      req.user = await cachedUserForSession(db, readCookie(req.headers.cookie, SESSION_COOKIE));
      next();
    } catch (err) {
      next(err);
    }
  });
  // The payment webhook: the raw body, its signature checked against the webhook secret (Stripe's,
  // or in demo mode the local one); a good event is kept in Postgres, then handed to the workers
  // under its id and answered (a bad signature: 400, nothing done). Once kept, a queue that loses the
  // job loses nothing: the reconciler queues again every event not processed. The demo payment
  // page's events take the same road.
  const webhookSecret = config.paymentWebhookSecret;
  const receivePaymentEvent = async (body: Buffer | string, signature: unknown) => {
    if (!webhookSecret || !deps.enqueuePaymentEvent) throw new AppError(404, 'not_found', 'payments are not taken online here');
    const event = verifyPaymentEvent(body, signature, webhookSecret);
    const { toProcess } = await storePaymentEvent(db, event);
    if (toProcess) {
      await deps.enqueuePaymentEvent(event.id).catch((err) => deps.log.error({ err, eventId: event.id }, 'payment event kept, not queued: the reconciler will queue it'));
    }
    return event;
  };
  if (webhookSecret && deps.enqueuePaymentEvent) {
    r.post('/payments/stripe/webhook', express.raw({ type: () => true, limit: '256kb' }), async (req, res) => {
      await receivePaymentEvent(req.body, req.headers['stripe-signature']);
      res.json({ received: true });
    });
  }
  r.use(express.json({ limit: '32kb' }));

  // floods of anonymous orders (failed logins are counted by the login service), per client address
  const limiter = limiterFactory(config, deps.limiterStore);
  const customerLimiter = customerRateLimit(config, deps.limiterStore);
  // what one client may hold unpaid, and ask for one phone or email (counted in Postgres, src/lib/server/orders.ts)
  const orderLimits: OrderLimits = {
    ordersPerClient: config.UNPAID_ORDERS_PER_CLIENT,
    itemsPerClient: config.UNPAID_ITEMS_PER_CLIENT,
    stockShare: config.UNPAID_STOCK_SHARE,
    ordersPerContactPerHour: config.ORDERS_PER_CONTACT_PER_HOUR,
  };

  r.post('/auth/login', async (req, res) => {
    const body = parse(loginSchema, req.body);
    const session = await login(
      db,
      { email: body.email, password: body.password, ip: req.ip ?? 'unknown' },
      { ttlHours: config.SESSION_TTL_HOURS, maxFailures: config.RATE_LIMIT_LOGIN },
    );
    if (session.status === 'locked') throw new AppError(429, 'rate_limited', 'too many failed attempts, try again in a few minutes');
    if (session.status !== 'ok') throw new AppError(401, 'bad_credentials', 'unknown email or wrong password');
    res.cookie(SESSION_COOKIE, session.token, {
      httpOnly: true,
      sameSite: 'lax',
      secure: config.secureCookies,
      expires: session.expiresAt,
      path: '/',
    });
    res.json({ user: session.user });
  });

  r.post('/auth/logout', async (req, res) => {
    await logout(db, readCookie(req.headers.cookie, SESSION_COOKIE));
    res.clearCookie(SESSION_COOKIE, { path: '/' });
    res.json({ ok: true });
  });

  r.get('/auth/me', (req, res) => {
    res.json({ user: req.user ?? null });
  });

  r.get('/pizzerias', async (_req, res) => {
    res.json(await listPizzerias(db));
  });

  // the visitor's language: ?lang=, else the language cookie the pages set, else French
  const visitorLocale = (req: Request) => {
    const lang = typeof req.query.lang === 'string' ? req.query.lang : readCookie(req.headers.cookie, 'ocp_lang');
    return lang === 'en' ? 'en' : 'fr';
  };
  r.get('/pizzerias/:id/menu', async (req, res) => {
    const id = parse(idParam, req.params.id);
    if (!(await getPizzeria(db, id))) throw notFound('pizzeria');
    res.json(await getMenu(db, id, visitorLocale(req)));
  });
  // the menu's sections, in the storefront's order (its tabs)
  r.get('/categories', async (req, res) => {
    res.json(await listCategories(db, visitorLocale(req)));
  });

  // where an address is, and which shops deliver there (open ones first): the storefront asks before checkout
  const whereLimiter = limiter('where', 10 * 60_000, Math.max(60, config.RATE_LIMIT_ORDERS * 2), { skip: (req) => !!req.user });
  r.get('/delivery/where', whereLimiter, async (req, res) => {
    const q = parse(whereSchema, req.query);
    const found = 'lat' in q ? { at: { lat: q.lat, lng: q.lng }, label: null, unavailable: false } : await geocodeForStorefront(geocoder, q);
    const shops = found.at ? await shopsForSpot(db, found.at, { pizzas: q.pizzas, eta: config.eta, mode: config.DELIVERY_MODE }) : [];
    res.json({ ...found, shops });
  });

  // The demo payment page (no Stripe keys): the customer's test card becomes the event Stripe would
  // send, signed here and received like Stripe's. A plain form post (no script) is answered with a
  // redirect: to the tracking page, or back to the form with what to correct.
  if (config.paymentMode === 'demo') {
    r.post('/track/:token/demo-pay', customerLimiter, express.urlencoded({ extended: false, limit: '4kb' }), async (req, res) => {
      const token = String(req.params.token);
      const asForm = req.is('application/x-www-form-urlencoded') === 'application/x-www-form-urlencoded';
      const id = await getOrderIdByToken(db, token);
      const form = id && (await paymentFormOf(db, id, config.PAYMENT_EXPIRY_MINUTES));
      if (!form) throw notFound('order');
      let signed;
      try {
        signed = demoPaymentEvent(form, parseDemoCard(req.body ?? {}), webhookSecret!);
      } catch (err) {
        if (!asForm || !(err instanceof AppError)) throw err;
        const field = Object.keys(err.details.fields ?? {})[0];
        return res.redirect(303, `/track/${encodeURIComponent(token)}/pay?error=${encodeURIComponent(field ? `card.${field}` : err.code)}`);
      }
      await receivePaymentEvent(signed.payload, signed.signature);
      if (asForm) return res.redirect(303, `/track/${encodeURIComponent(token)}${signed.refused ? '/pay?error=refused' : ''}`);
      res.status(202).json({ accepted: !signed.refused, refused: signed.refused });
    });
  }
  r.post('/orders', customerLimiter, async (req, res) => {
    const body = parse(placeOrderSchema, req.body);
    if (body.payment === 'online' && config.paymentMode === 'off') {
      throw invalid({ payment: 'online payment is not offered: pay on delivery or at the counter' }, 'online payment is not offered');
    }
    const key = req.get('idempotency-key');
    if (key !== undefined && !IDEMPOTENCY_KEY_PATTERN.test(key)) {
      throw invalid({ 'Idempotency-Key': '8 to 100 letters, digits, "-" or "_" (e.g. a UUID)' });
    }
    const actor = body.channel === 'online' || !req.user ? { kind: 'customer' as const } : staffActor(req.user);
    if (body.channel !== 'online' && !req.user) throw unauthorized();
    const placed = await placeOrder(db, { ...body, address: body.address ?? null }, actor, {
      idempotencyKey: key,
      geocoder,
      eta: config.eta,
      travelMode: config.DELIVERY_MODE,
      log: (msg, err) => deps.log.error({ err }, msg),
      limits: orderLimits,
      clientAddress: req.ip,
      announce: announce(),
    });
    if (!placed.replayed) await relayed();
    // a replay answers 200 with the order the key first placed, as it is now
    if (placed.replayed) res.setHeader('idempotent-replayed', 'true');
    res.status(placed.replayed ? 200 : 201).json({
      id: placed.order.id,
      number: placed.order.number,
      status: placed.order.status,
      total: placed.order.totalCents,
      trackingToken: placed.trackingToken,
      version: placed.order.version,
    });
  });

  // the receipt of a paid order, for the holder of its tracking link: as data, or as a PDF
  const receiptFor = async (req: Request) => {
    const id = await getOrderIdByToken(db, req.params.token as string);
    if (!id) throw notFound('order');
    const found = await receiptOf(db, id, visitorLocale(req));
    if (!found) throw notFound('order');
    if (found.receipt) return found.receipt;
    if (found.none === 'nothing_charged') throw new AppError(404, 'nothing_charged', 'no receipt: the card was only held, and let go when the order was cancelled (nothing was charged)');
    throw conflict('not_paid', 'the receipt comes once the order is paid');
  };
  r.get('/track/:token/receipt', async (req, res) => {
    res.json(await receiptFor(req));
  });
  r.get('/track/:token/receipt.pdf', async (req, res) => {
    const receipt = await receiptFor(req);
    const pdf = await receiptPdf(receipt, visitorLocale(req));
    res.setHeader('content-type', 'application/pdf');
    res.setHeader('content-disposition', `inline; filename="ocpizza-${receipt.businessDay}-${receipt.number}.pdf"`);
    res.setHeader('cache-control', 'private, no-store');
    res.end(pdf);
  });
  r.get('/track/:token', async (req, res) => {
    const id = await getOrderIdByToken(db, req.params.token);
    const order = id && (await getOrder(db, id));
    if (!order) throw notFound('order');
    // the driver's position only while they carry this order (never before pick-up, never after delivery)
    const carrying = order.status === 'out_for_delivery' && order.driver && deps.positions;
    const driverAt = carrying ? await deps.positions!.ofDriver(order.driver!.id).catch(() => null) : null;
    res.json({
      ...orderResponse(order),
      deliveryPin: await deliveryPin(db, order.id),
      driverPosition: driverAt && !driverAt.stale ? { driverId: driverAt.driverId, lat: driverAt.lat, lng: driverAt.lng, accuracy: driverAt.accuracy, at: new Date(driverAt.at).toISOString() } : null,
    });
  });

  // the drivers for the managers' map: on shift or not, their load, where they are (stale after a
  // minute); a manager sees their shop's, head office one shop's or every shop's
  const shopsAsked = (req: Request, user: SessionUser) => {
    const shop = parse(z.strictObject({ pizzeriaId: idParam.optional() }), req.query).pizzeriaId;
    if (shop) {
      if (!canActOnShop(staffActor(user), shop)) throw forbidden('not your shop');
      return [shop];
    }
    return user.role === 'admin' ? null : [user.pizzeriaId!];
  };
  const allShopIds = async () => (await listPizzerias(db)).map((p) => p.id);
  r.get('/drivers', async (req, res) => {
    const user = requireStaff(req, ['manager', 'admin']);
    res.json(await driversOfShops(db, shopsAsked(req, user) ?? (await allShopIds()), deps.positions ?? null));
  });
  // what needs the manager now, most urgent first (src/lib/domain/alerts.ts)
  r.get('/alerts', async (req, res) => {
    const user = requireStaff(req, ['manager', 'admin']);
    res.json(await alertsOfShops(db, shopsAsked(req, user) ?? (await allShopIds()), deps.positions ?? null, config.DRIVER_POSITION_FRESH_SECONDS * 1000));
  });
  // the evening in figures per shop: done, average kitchen and road times, promises kept
  r.get('/figures', async (req, res) => {
    const user = requireStaff(req, ['manager', 'admin']);
    res.json(await shopFigures(db, shopsAsked(req, user) ?? (await allShopIds())));
  });

  // where the driver went with an order (sampled), for a customer's dispute
  r.get('/orders/:id/trail', async (req, res) => {
    const user = requireStaff(req, ['manager', 'admin']);
    const id = parse(z.string().regex(UUID, 'not an order id'), req.params.id);
    const order = await getOrder(db, id);
    if (!order || !canActOnShop(staffActor(user), order.pizzeriaId)) throw notFound('order');
    res.json(await deliveryTrail(db, id));
  });

  r.post('/track/:token/cancel', customerLimiter, async (req, res) => {
    const { order } = await cancelByToken(db, String(req.params.token), { announce: announce() });
    await relayed();
    res.json(orderResponse(order));
  });

  r.patch('/track/:token', customerLimiter, async (req, res) => {
    const body = parse(modifySchema, req.body);
    const { order } = await modifyByToken(db, String(req.params.token), body.items, body.version, orderLimits, { announce: announce() });
    await relayed();
    res.json(orderResponse(order));
  });

  r.get('/orders', async (req, res) => {
    const user = requireStaff(req);
    const q = parse(listSchema, req.query);
    let shops: number[] | 'all';
    if (q.pizzeriaId) {
      if (!canActOnShop(staffActor(user), q.pizzeriaId)) throw forbidden('not your shop');
      shops = [q.pizzeriaId];
    } else shops = user.role === 'admin' ? 'all' : [user.pizzeriaId!];
    const orders = await listOrders(db, {
      pizzeriaIds: shops,
      statuses: q.status ? [q.status] : undefined,
      driverId: user.role === 'driver' ? user.id : undefined,
    });
    res.json(orders.map((o) => orderResponse(o, user)));
  });

  r.get('/orders/:id', async (req, res) => {
    const user = requireStaff(req);
    if (!UUID.test(req.params.id)) throw notFound('order');
    const order = await getOrder(db, req.params.id);
    if (!order || !canActOnShop(staffActor(user), order.pizzeriaId)) throw notFound('order');
    if (user.role === 'driver' && order.driver?.id !== user.id && order.offer?.driverId !== user.id) throw notFound('order');
    res.json(orderResponse(order, user));
  });

  r.post('/orders/:id/status', async (req, res) => {
    const user = requireStaff(req);
    const body = parse(statusSchema, req.body);
    if (!UUID.test(req.params.id)) throw notFound('order');
    const { order } = await advanceOrder(db, staffActor(user), req.params.id, body.to, body.version, {
      paymentMethod: body.paymentMethod,
      announce: announce(),
      seen: deps.seenOrder?.(req.params.id),
    });
    await relayed();
    res.json(orderResponse(order, user));
  });

  // at the door: delivered with its proof, a photo for the proof, a failed delivery, the manager's decision
  const orderParam = (req: Request) => {
    if (!UUID.test(String(req.params.id))) throw notFound('order');
    return String(req.params.id);
  };
  r.post('/orders/:id/deliver', async (req, res) => {
    const user = requireStaff(req, ['driver', 'manager', 'admin']);
    const body = parse(deliverSchema, req.body);
    const { order } = await deliverOrder(db, staffActor(user), orderParam(req), body);
    await relayed();
    res.json(orderResponse(order, user));
  });
  r.post('/orders/:id/photo', express.raw({ type: () => true, limit: MAX_PHOTO_BYTES }), async (req, res) => {
    const user = requireStaff(req, ['driver']);
    await savePhoto(db, staffActor(user), orderParam(req), Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0));
    res.status(201).json({ ok: true });
  });
  r.get('/orders/:id/photo', async (req, res) => {
    const user = requireStaff(req, ['manager', 'admin']);
    const photo = await getPhoto(db, staffActor(user), orderParam(req));
    res.setHeader('cache-control', 'private, max-age=300');
    res.type(photo.content_type).send(photo.bytes);
  });
  r.post('/orders/:id/failed', async (req, res) => {
    const user = requireStaff(req, ['driver', 'manager', 'admin']);
    const body = parse(failedSchema, req.body);
    const { order } = await failDelivery(db, staffActor(user), orderParam(req), body);
    await relayed();
    res.json(orderResponse(order, user));
  });
  r.post('/orders/:id/redeliver', async (req, res) => {
    const user = requireStaff(req, ['manager', 'admin']);
    const body = parse(versionSchema, req.body);
    const { order } = await redeliver(db, staffActor(user), orderParam(req), body.version);
    await relayed();
    res.json(orderResponse(order, user));
  });

  // dispatch: the driver's answer to an offer, a manager's hand, head office lending a driver
  r.post('/orders/:id/offer', async (req, res) => {
    const user = requireStaff(req, ['driver']);
    const body = parse(offerAnswerSchema, req.body);
    const { order } = await answerOffer(db, staffActor(user), orderParam(req), body);
    await relayed();
    res.json(orderResponse(order, user));
  });
  r.post('/orders/:id/assign', async (req, res) => {
    const user = requireStaff(req, ['manager', 'admin']);
    const body = parse(assignSchema, req.body);
    const { order } = await assignByHand(db, staffActor(user), orderParam(req), body);
    await relayed();
    res.json(orderResponse(order, user));
  });
  r.post('/drivers/:id/lend', async (req, res) => {
    const user = requireStaff(req, ['admin']);
    const driverId = parse(idParam, req.params.id);
    const body = parse(lendSchema, req.body);
    res.json(await lendDriver(db, deps.positions ?? null, staffActor(user), driverId, body.toShop));
  });

  // the back office: a shop's stock (its managers and head office; its kitchen may read it), the audit log (head office)
  const shopParam = (req: Request) => parse(idParam, req.params.id);
  const lang = (req: Request) => pickLocale(typeof req.query.lang === 'string' ? req.query.lang : readCookie(req.headers.cookie, 'ocp_lang'));
  r.get('/shops/:id/stock', async (req, res) => {
    const user = requireStaff(req, ['manager', 'admin', 'kitchen']);
    const shop = shopParam(req);
    if (!mayKeepStock(staffActor(user), shop) && !(user.role === 'kitchen' && user.pizzeriaId === shop)) throw forbidden('not your shop');
    res.json(await stockOfShop(db, shop, lang(req)));
  });
  r.get('/shops/:id/stock/movements', async (req, res) => {
    const user = requireStaff(req, ['manager', 'admin']);
    const shop = shopParam(req);
    if (!mayKeepStock(staffActor(user), shop)) throw forbidden('not your shop');
    res.json(await stockMovements(db, shop, parse(movementsQuery, req.query), lang(req)));
  });
  r.post('/shops/:id/stock/deliveries', async (req, res) => {
    const user = requireStaff(req, ['manager', 'admin']);
    res.status(201).json(await receiveDelivery(db, staffActor(user), shopParam(req), parse(deliverySchema, req.body)));
  });
  r.post('/shops/:id/stock/counts', async (req, res) => {
    const user = requireStaff(req, ['manager', 'admin']);
    res.status(201).json(await countStock(db, staffActor(user), shopParam(req), parse(countSchema, req.body)));
  });
  r.post('/shops/:id/stock/thresholds', async (req, res) => {
    const user = requireStaff(req, ['manager', 'admin']);
    res.json(await setLowThreshold(db, staffActor(user), shopParam(req), parse(thresholdSchema, req.body)));
  });
  // shops: head office keeps their settings and opens new ones; a shop's manager pauses its online orders
  r.put('/shops/:id', async (req, res) => {
    const user = requireStaff(req, ['admin']);
    res.json(await updateShop(db, staffActor(user), shopParam(req), parse(shopSettingsSchema, req.body)));
  });
  r.post('/shops', async (req, res) => {
    const user = requireStaff(req, ['admin']);
    res.status(201).json(await createShopSettings(db, staffActor(user), parse(shopCreateSchema, req.body)));
  });
  r.post('/shops/:id/online', async (req, res) => {
    const user = requireStaff(req, ['manager', 'admin']);
    res.json(await setOnlinePaused(db, staffActor(user), shopParam(req), parse(pauseSchema, req.body).paused));
  });
  r.post('/shops/:id/tonight', async (req, res) => {
    const user = requireStaff(req, ['manager', 'admin']);
    const body = parse(tonightSchema, req.body);
    res.json(await setOffTonight(db, staffActor(user), shopParam(req), body.productId, !body.available));
  });
  // the chain's menu: products and their recipes, ingredients and their allergens (head office)
  const menuId = (req: Request) => parse(idParam, req.params.id);
  r.get('/menu/products', async (req, res) => {
    requireStaff(req, ['admin']);
    res.json(await listProducts(db));
  });
  r.get('/menu/products/:id', async (req, res) => {
    requireStaff(req, ['admin']);
    res.json(await getProduct(db, menuId(req)));
  });
  r.put('/menu/products/:id', async (req, res) => {
    const user = requireStaff(req, ['admin']);
    res.json(await updateProduct(db, staffActor(user), menuId(req), parse(productSchema, req.body)));
  });
  r.post('/menu/products', async (req, res) => {
    const user = requireStaff(req, ['admin']);
    res.status(201).json(await createProduct(db, staffActor(user), parse(productCreateSchema, req.body)));
  });
  const media = deps.media ?? mediaStoreFrom(deps.config);
  r.post('/menu/products/:id/photo', express.raw({ type: () => true, limit: MAX_UPLOAD_BYTES }), async (req, res) => {
    const user = requireStaff(req, ['admin']);
    res.json(await setProductPhoto(db, media, staffActor(user), menuId(req), Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0)));
  });
  r.post('/menu/products/:id/options', async (req, res) => {
    const user = requireStaff(req, ['admin']);
    res.status(201).json(await createOption(db, staffActor(user), menuId(req), parse(optionSchema, req.body)));
  });
  r.put('/menu/options/:id', async (req, res) => {
    const user = requireStaff(req, ['admin']);
    res.json(await updateOption(db, staffActor(user), menuId(req), parse(optionSchema, req.body)));
  });
  r.delete('/menu/options/:id', async (req, res) => {
    const user = requireStaff(req, ['admin']);
    await deleteOption(db, staffActor(user), menuId(req));
    res.status(204).end();
  });
  r.get('/menu/categories', async (req, res) => {
    requireStaff(req, ['admin']);
    res.json(await listCategoryRecords(db));
  });
  r.post('/menu/categories', async (req, res) => {
    const user = requireStaff(req, ['admin']);
    res.status(201).json(await createCategory(db, staffActor(user), parse(categoryCreateSchema, req.body)));
  });
  r.put('/menu/categories/:id', async (req, res) => {
    const user = requireStaff(req, ['admin']);
    res.json(await updateCategory(db, staffActor(user), menuId(req), parse(categorySchema, req.body)));
  });
  r.post('/menu/categories/:id/move', async (req, res) => {
    const user = requireStaff(req, ['admin']);
    res.json(await moveCategory(db, staffActor(user), menuId(req), parse(categoryMoveSchema, req.body).direction));
  });
  r.delete('/menu/categories/:id', async (req, res) => {
    const user = requireStaff(req, ['admin']);
    await deleteCategory(db, staffActor(user), menuId(req));
    res.status(204).end();
  });
  r.get('/menu/ingredients', async (req, res) => {
    requireStaff(req, ['admin', 'manager', 'kitchen']);
    res.json(await listIngredients(db));
  });
  r.put('/menu/ingredients/:id', async (req, res) => {
    const user = requireStaff(req, ['admin']);
    res.json(await updateIngredient(db, staffActor(user), menuId(req), parse(ingredientSchema, req.body)));
  });
  r.post('/menu/ingredients', async (req, res) => {
    const user = requireStaff(req, ['admin']);
    res.status(201).json(await createIngredient(db, staffActor(user), parse(ingredientCreateSchema, req.body)));
  });
  r.get('/audit', async (req, res) => {
    requireStaff(req, ['admin']);
    const q = parse(auditQuery, req.query);
    res.json(await searchAudit(db, { text: q.q, entity: q.entity, page: q.page, pizzeriaId: q.shop }));
  });

  // staff accounts: managers (their shop's kitchen, counter, drivers) and head office (everyone)
  const mailer = deps.mailer ?? createMailer({ smtpUrl: deps.config.SMTP_URL, from: deps.config.MAIL_FROM, log: deps.log as never, production: deps.config.NODE_ENV === 'production' });
  // links point to the configured origin only: a request's Host is whatever its sender wrote
  const links = (): AccountLinks => ({
    mailer,
    origin: deps.config.publicOrigin,
    inviteTtlHours: deps.config.INVITE_TTL_HOURS,
    resetTtlMinutes: deps.config.RESET_TTL_MINUTES,
  });
  const staffId = (req: Request) => parse(idParam, req.params.id);
  r.get('/staff', async (req, res) => {
    const user = requireStaff(req, ['manager', 'admin']);
    res.json(await listStaff(db, staffActor(user), parse(staffQuery, req.query)));
  });
  r.get('/staff/:id', async (req, res) => {
    const user = requireStaff(req, ['manager', 'admin']);
    res.json(await getStaff(db, staffActor(user), staffId(req)));
  });
  r.post('/staff', async (req, res) => {
    const user = requireStaff(req, ['manager', 'admin']);
    res.status(201).json(await createStaff(db, staffActor(user), parse(staffCreateSchema, req.body), links()));
  });
  r.patch('/staff/:id', async (req, res) => {
    const user = requireStaff(req, ['manager', 'admin']);
    res.json(await updateStaff(db, staffActor(user), staffId(req), parse(staffUpdateSchema, req.body)));
  });
  r.post('/staff/:id/disable', async (req, res) => {
    const user = requireStaff(req, ['manager', 'admin']);
    res.json(await setStaffActive(db, staffActor(user), staffId(req), false));
  });
  r.post('/staff/:id/enable', async (req, res) => {
    const user = requireStaff(req, ['manager', 'admin']);
    res.json(await setStaffActive(db, staffActor(user), staffId(req), true));
  });
  r.post('/staff/:id/link', async (req, res) => {
    const user = requireStaff(req, ['manager', 'admin']);
    res.json(await sendAccountLink(db, staffActor(user), staffId(req), links()));
  });
  // the account's owner: forgot the password (no answer says whether the email exists), choose one with a link
  r.post('/account/forgot', customerLimiter, async (req, res) => {
    await requestPasswordReset(deps.accountQueue ?? (await sharedAccountQueue()), parse(forgotSchema, req.body).email);
    res.status(202).json({ ok: true });
  });
  r.get('/account/link', customerLimiter, async (req, res) => {
    const token = parse(passwordSchema.shape.token, req.query.token);
    const info = await linkInfo(db, token);
    if (!info) throw new AppError(410, 'link_expired', 'this link was already used or has expired: ask for a new one');
    res.json(info);
  });
  r.post('/account/password', customerLimiter, async (req, res) => {
    const body = parse(passwordSchema, req.body);
    res.json(await setPasswordWithLink(db, body.token, body.password));
  });

  r.post('/driver/shift', async (req, res) => {
    const user = requireStaff(req, ['driver']);
    const body = parse(shiftSchema, req.body);
    res.json(await setShift(db, staffActor(user), body.onShift));
  });
  // the money drivers bring back: their declaration, the manager's count that closes the shift
  r.get('/driver/cash', async (req, res) => {
    const user = requireStaff(req, ['driver']);
    const shift = await currentShift(db, user.id);
    // a blind count: the driver is not told what the deliveries say
    res.json(shift ? { id: shift.id, startedAt: shift.startedAt, endedAt: shift.endedAt, collections: shift.collections, declaredCashCents: shift.declaredCashCents, declaredCardCents: shift.declaredCardCents } : null);
  });
  r.post('/driver/cash', async (req, res) => {
    const user = requireStaff(req, ['driver']);
    const shift = await declareCash(db, staffActor(user), parse(cashDeclareSchema, req.body));
    res.json({ id: shift.id, declaredCashCents: shift.declaredCashCents, declaredCardCents: shift.declaredCardCents, declaredAt: shift.declaredAt });
  });
  r.get('/shops/:id/shifts', async (req, res) => {
    const user = requireStaff(req, ['manager', 'admin']);
    res.json(await shiftsOfShop(db, staffActor(user), parse(idParam, req.params.id), parse(shiftsQuery, req.query).day));
  });
  r.post('/shops/:id/shifts/:shiftId/close', async (req, res) => {
    const user = requireStaff(req, ['manager', 'admin']);
    res.json(await closeShift(db, staffActor(user), parse(idParam, req.params.id), parse(idParam, req.params.shiftId), parse(cashCloseSchema, req.body)));
  });

  // the day's takings: a shop's (its manager, head office), every shop's with the chain's total (head
  // office); as JSON, or as a CSV file for a spreadsheet (src/lib/server/takings-csv.ts)
  const takingsFor = async (req: Request, shop: number | 'all') => {
    const user = requireStaff(req, ['manager', 'admin']);
    const q = parse(takingsQuery, req.query);
    return { q, day: await takingsOfDay(db, staffActor(user), shop, q.date) };
  };
  const sendCsv = (req: Request, res: Response, day: Awaited<ReturnType<typeof takingsOfDay>>, name: string, lang: 'fr' | 'en' | undefined) => {
    const locale = lang ?? visitorLocale(req);
    res.setHeader('content-type', 'text/csv; charset=utf-8');
    res.setHeader('content-disposition', `attachment; filename="takings-${name}-${day.date}.csv"`);
    res.setHeader('cache-control', 'private, no-store');
    res.send(takingsCsv(day, locale, createI18n(locale).t));
  };
  r.get('/shops/:id/takings', async (req, res) => {
    res.json((await takingsFor(req, parse(idParam, req.params.id))).day);
  });
  r.get('/shops/:id/takings.csv', async (req, res) => {
    const { q, day } = await takingsFor(req, parse(idParam, req.params.id));
    sendCsv(req, res, day, day.shops[0].shop.slug, q.lang);
  });
  r.get('/takings', async (req, res) => {
    res.json((await takingsFor(req, 'all')).day);
  });
  r.get('/takings.csv', async (req, res) => {
    const { q, day } = await takingsFor(req, 'all');
    sendCsv(req, res, day, 'all', q.lang);
  });

  r.use((_req, _res, next) => next(notFound('route')));
  r.use(errorMiddleware(deps.log));
  return r;
}

/** Renders AppError (and body-parser's errors) as `{ error: { code, message, fields? } }`. */
function errorMiddleware(log: { error: (o: object, m: string) => void }) {
  return (err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const requestId = String(req.id);
    if (err instanceof AppError) return res.status(err.status).json({ error: { ...err.toJSON().error, requestId } });
    const e = err as { type?: string; status?: number };
    if (e.type === 'entity.too.large') return res.status(413).json({ error: { code: 'too_large', message: 'request body too large', requestId } });
    if (e.type === 'entity.parse.failed') return res.status(400).json({ error: { code: 'bad_json', message: 'malformed JSON body', requestId } });
    if (e.status && e.status >= 400 && e.status < 500) return res.status(e.status).json({ error: { code: 'bad_request', message: String((err as Error).message), requestId } });
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
