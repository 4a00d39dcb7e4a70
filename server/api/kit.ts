// What every resource's router shares: the context the API is built with, the request's checks
// (who may call, what the body and query must be), and one rule for answers: a route that writes
// answers only once its change is published and on its way to the screens (`ApiContext.relayed`),
// because the route builder awaits it before answering, not because the route remembers to.
import type { MarketplaceProvider } from '../../src/lib/server/marketplaces/provider.ts';
import type { PaymentWebhook } from '../../src/lib/server/money/provider.ts';
import type { TerminalProvider } from '../../src/lib/server/money/terminal.ts';
import type { DoorQrProvider } from '../../src/lib/server/money/door-qr.ts';
import express, { type Request, type RequestHandler, type Response } from 'express';
import type { z } from 'zod';
import type { SessionUser } from '../../src/lib/server/staff/auth.ts';
import type { Config } from '../../src/lib/server/kernel/config.ts';
import type { Db } from '../../src/lib/server/kernel/db.ts';
import { AppError, forbidden, invalid, notFound, unauthorized } from '../../src/lib/server/kernel/errors.ts';
import type { Geocoder } from '../../src/lib/server/road/geocoder.ts';
import type { Mailer } from '../../src/lib/server/kernel/mailer.ts';
import type { MediaStore } from '../../src/lib/server/shops/media.ts';
import type { PositionStore } from '../../src/lib/server/road/positions.ts';
import type { PrintJob } from '../../src/lib/server/printing/index.ts';
import type { QueueOf } from '../../src/lib/server/kernel/queues.ts';
import type { OrderLimits, StaffActor } from '../../src/lib/server/orders/index.ts';
import type { PlaceOptions } from '../../src/lib/server/orders/place.ts';
import { IDEMPOTENCY_KEY_PATTERN } from '../../src/lib/server/kernel/idempotency.ts';
import type { OrderView } from '../../src/lib/shapes/views.ts';
import { orderForStaff } from '../../src/lib/realtime/audiences.ts';
import { createI18n, pickLocale } from '../../src/lib/i18n/index.ts';
import { readCookie } from '../../src/lib/server/staff/auth.ts';
import { may, type Capability } from '../../src/lib/domain/permissions.ts';
import type { SignedInCustomer } from '../../src/lib/server/customers/account.ts';
import type { SmsProvider } from '../../src/lib/server/kernel/sms.ts';
import { UUID, idParam } from '../../src/lib/shapes/order-requests.ts';
import type { limiterFactory } from '../rate-limits.ts';

declare module 'express-serve-static-core' {
  interface Request {
    user?: SessionUser | null;
    /** The signed-in customer (their own cookie), if any. */
    customer?: SignedInCustomer | null;
  }
}

export interface ApiLog {
  error: (o: object, m: string) => void;
  warn: (o: object, m: string) => void;
}

/** What the routers are built with (server/api/index.ts makes it from createApi's dependencies). */
export interface ApiContext {
  db: Db;
  config: Config;
  log: ApiLog;
  /** Addresses to spots; null when GEOCODER_URL is none. */
  geocoder: Geocoder | null;
  /** Drivers' latest positions (Redis), for the maps; null without Redis. */
  positions: PositionStore | null;
  mailer: Mailer;
  /** Text messages (a customer's sign-in code). */
  sms: SmsProvider;
  media: MediaStore;
  /**
   * Resolves once what the API committed is published and relayed by this process's hub (at once
   * without one). `by`: the member of staff who made the change (a driver's own move: the hub forgets
   * what it kept of that driver at once, not only when the relay brings the event).
   */
  relayed: (by?: SessionUser | null) => Promise<void>;
  /** Whether a change should wake the publishers itself (false when `relayed` publishes it). */
  announce: () => boolean;
  /** The newest view of an open order this process's hub relayed (a move is checked against it). */
  seenOrder: (orderId: string) => OrderView | undefined;
  /** Limits per client address, counted in Redis by every server together. */
  limiter: ReturnType<typeof limiterFactory>;
  /** What a customer (anyone not signed in as staff) may ask in 10 minutes. */
  customerLimiter: RequestHandler;
  /** What one client may hold unpaid, and ask for one phone or email. */
  orderLimits: OrderLimits;
  /** Hands a kept payment event to the workers; absent: payments are not taken online here. */
  enqueuePaymentEvent?: (eventId: string) => Promise<unknown>;
  /** Hands a tip given after the delivery to the workers, to make its payment (absent: the reconciler queues it). */
  enqueueTipPayment?: (tipId: string) => Promise<unknown>;
  /** Hands a copy of an order's label or ticket to the workers (absent: no queue here, printing answers 503). */
  enqueuePrint?: (job: PrintJob) => Promise<unknown>;
  /** Hands an erased account's provider customer to the workers to delete (absent, or Redis away: the reconciler queues it). */
  enqueueCustomerErasure?: (customerRef: string) => Promise<unknown>;
  /** The payment provider's webhook reader (null when payments are not taken online). */
  paymentWebhook: PaymentWebhook | null;
  /** The counter's card terminal's provider (null when payments are off: the counter declares the card). */
  terminal: TerminalProvider | null;
  /** Paying at the door by QR code (null when payments are off: the driver takes cash or declares the card). */
  doorQr: DoorQrProvider | null;
  /** The workers' accounts queue (password resets); the shared one from the environment without it. */
  accountQueue?: QueueOf<'accounts'>;
  /** The delivery platforms (their webhooks): the settings' (marketplaces/registry.ts) unless given. */
  marketplaces?: MarketplaceProvider[];
  /** The workers' queue for the platforms' orders and notices (absent: the webhooks keep them for the reconciler). */
  marketplaceQueue?: QueueOf<'marketplaces'>;
}

export type Role = SessionUser['role'];

// ---------- checks ----------

// the back office's schemas speak in message keys (src/lib/shapes/back-office-requests.ts): the API answers in English
const english = createI18n('en').t;

/** The value as the schema reads it, or a 400 naming each field that is wrong. */
export function parse<T extends z.ZodType>(schema: T, value: unknown): z.infer<T> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const fields: Record<string, string> = {};
  for (const issue of r.error.issues) {
    const key = issue.path.join('.') || 'body';
    fields[key] ??= issue.message.startsWith('form.') ? english(issue.message) : issue.message;
  }
  throw invalid(fields);
}

export const staffActor = (u: SessionUser): StaffActor => ({ kind: 'staff', id: u.id, role: u.role, pizzeriaId: u.pizzeriaId, name: u.name });

/** The `:id` of the path as a numeric id (a shop, a product, a staff member), or a 400. */
export const numericId = (req: Request, name = 'id') => parse(idParam, req.params[name]);

/** The `:id` of the path as an order id; anything else is no order (404). */
export function orderId(req: Request): string {
  const id = String(req.params.id);
  if (!UUID.test(id)) throw notFound('order');
  return id;
}

/**
 * How an order is placed through the API, beside what it is: its Idempotency-Key (422 when
 * malformed), the geocoder, the road, the limits on customers, the client's address, the drivers.
 */
export function placeOptions(ctx: ApiContext, req: Request): PlaceOptions {
  const key = req.get('idempotency-key');
  if (key !== undefined && !IDEMPOTENCY_KEY_PATTERN.test(key)) throw invalid({ 'Idempotency-Key': '8 to 100 letters, digits, "-" or "_" (e.g. a UUID)' });
  return {
    idempotencyKey: key,
    geocoder: ctx.geocoder,
    eta: ctx.config.eta,
    travelMode: ctx.config.DELIVERY_MODE,
    log: (msg, err) => ctx.log.error({ err }, msg),
    limits: ctx.orderLimits,
    clientAddress: req.ip,
    announce: ctx.announce(),
    positions: ctx.positions,
  };
}

/** The visitor's language: ?lang=, else the language cookie the pages set, else French. */
export const visitorLocale = (req: Request) => pickLocale(typeof req.query.lang === 'string' ? req.query.lang : readCookie(req.headers.cookie, 'ocp_lang'));

/** An order as the API answers it: whole to its customer (the tracking link), as their screen sees it to staff (audiences.ts). */
export const orderResponse = (whole: OrderView, staff?: SessionUser) => {
  const o = staff ? orderForStaff(staff, whole) : whole;
  return { ...o, total: o.totalCents, amountToCollect: o.amountDueCents };
};

// ---------- answers ----------

/** An answer other than 200 with the returned body. */
export class Answer {
  constructor(
    readonly status: number,
    readonly body?: unknown,
  ) {}
}
export const created = (body: unknown) => new Answer(201, body);
export const accepted = (body: unknown) => new Answer(202, body);
export const noContent = () => new Answer(204);

/**
 * What a handler returns: a JSON body (200), an Answer, or a function that answers itself (a file,
 * a redirect), called when the route may answer.
 */
export type Reply = unknown;

function send(res: Response, reply: Reply) {
  if (typeof reply === 'function') return (reply as (res: Response) => void)(res);
  if (reply instanceof Answer) {
    res.status(reply.status);
    return reply.body === undefined ? res.end() : res.json(reply.body);
  }
  res.json(reply);
}

// ---------- routes ----------

interface Shape<B extends z.ZodType | undefined, Q extends z.ZodType | undefined> {
  /** The JSON body's schema (a 400 naming the wrong fields otherwise). */
  body?: B;
  /** The query string's schema. */
  query?: Q;
  /** Middleware before the handler: a rate limit, a raw body parser. */
  use?: RequestHandler[];
}
type Parsed<T> = T extends z.ZodType ? z.infer<T> : undefined;

export interface Call<B, Q> {
  req: Request;
  res: Response;
  body: B;
  query: Q;
}
export interface StaffCall<B, Q> extends Call<B, Q> {
  user: SessionUser;
  actor: StaffActor;
}

type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';
const WRITES = new Set<Method>(['post', 'put', 'patch', 'delete']);

type Handler<C> = (call: C) => Promise<Reply> | Reply;
type Route<W> = <B extends z.ZodType | undefined = undefined, Q extends z.ZodType | undefined = undefined>(
  path: string,
  shape: Shape<B, Q>,
  handler: Handler<W & Call<Parsed<B>, Parsed<Q>>>,
) => void;
export type Verbs<W> = Record<Method, Route<W>>;

/**
 * One resource's routes. `anyone` routes are open (a visitor, a customer with a tracking link, a
 * signed-in member of staff all reach them); `staff(can.cook)` routes need a session, and the
 * capability when given. Every route that writes (POST, PUT, PATCH, DELETE) answers once `relayed()` has
 * resolved, so when the API says "done" the screens are already being told.
 */
export class Routes {
  readonly router = express.Router();
  constructor(private readonly ctx: Pick<ApiContext, 'relayed'>) {}

  readonly anyone: Verbs<{ user: SessionUser | null }> = this.verbs((req) => ({ user: req.user ?? null }));

  /** Routes of a signed-in customer (401 signed_out without their cookie). */
  readonly customer: Verbs<{ customer: SignedInCustomer }> = this.verbs((req) => {
    if (!req.customer) throw new AppError(401, 'signed_out', 'sign in with a code first');
    return { customer: req.customer };
  });

  staff(roles?: Capability): Verbs<{ user: SessionUser; actor: StaffActor }> {
    return this.verbs((req) => {
      if (!req.user) throw unauthorized();
      if (roles && !may(req.user.role, roles)) throw forbidden(`this needs one of: ${roles.join(', ')}`);
      return { user: req.user, actor: staffActor(req.user) };
    });
  }

  private verbs<W extends object>(who: (req: Request) => W): Verbs<W> {
    const add = (method: Method) => (path: string, shape: Shape<z.ZodType | undefined, z.ZodType | undefined>, handler: Handler<W & Call<unknown, unknown>>) => {
      const writes = WRITES.has(method);
      this.router[method](path, ...(shape.use ?? []), async (req: Request, res: Response) => {
        const call = {
          ...who(req),
          req,
          res,
          body: shape.body ? parse(shape.body, req.body) : undefined,
          query: shape.query ? parse(shape.query, req.query) : undefined,
        };
        const reply = await handler(call);
        if (writes) await this.ctx.relayed(req.user);
        send(res, reply);
      });
    };
    return { get: add('get'), post: add('post'), put: add('put'), patch: add('patch'), delete: add('delete') } as Verbs<W>;
  }
}
