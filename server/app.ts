import { randomUUID } from 'node:crypto';
import type { PaymentWebhook } from '../src/lib/server/money/provider.ts';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import compression from 'compression';
import helmet from 'helmet';
import express from 'express';
import type { Redis } from 'ioredis';
import { createRedis, watchRedis, type RedisStatus } from '../src/lib/server/kernel/redis-options.ts';
import { watchLoop, type LoopWatch } from '../src/lib/server/kernel/loop-watch.ts';
import pino, { type Logger } from 'pino';
import { pinoHttp } from 'pino-http';
import { RedisStore, type RedisReply } from 'rate-limit-redis';
import { lastBackup } from '../src/lib/server/operations/backup.ts';
import type { Config } from '../src/lib/server/kernel/config.ts';
import { createPool, setDb, STATEMENT_TIMEOUT_MS, type Db } from '../src/lib/server/kernel/db.ts';
import { lastMaintenanceRun, ping, shopSlugs } from '../src/lib/server/operations/operations-queries.ts';
import type { OrderUpdated } from '../src/lib/realtime/contract.ts';
import type { DatabaseRole, SystemStatus } from '../src/lib/shapes/views.ts';
import { readDatabaseRole } from '../src/lib/server/operations/database-role.ts';
import { pendingMigrations } from '../db/migrate-runner.ts';
import { addJob, createQueues, jobId, type Queues } from '../src/lib/server/kernel/queues.ts';
import { failingPrinters } from '../src/lib/server/printing/index.ts';
import { createPositionStore } from '../src/lib/server/road/positions.ts';
import { MEDIA_KEY, mediaStoreFrom, type MediaStore } from '../src/lib/server/shops/media.ts';
import { createApi } from './api/index.ts';
import { customerRateLimit } from './rate-limits.ts';
import { createHub } from './hub.ts';
import { can, may } from '../src/lib/domain/permissions.ts';
import { installSaleSeal } from '../src/lib/server/fiscal/seal.ts';
import { fiscalKeyOf, recordKeyOnce } from '../src/lib/server/fiscal/signing.ts';
import type { MarketplaceProvider } from '../src/lib/server/marketplaces/provider.ts';
import { createMetrics, type Metrics } from './metrics.ts';

export interface AppOptions {
  config: Config;
  /** Serve the built SvelteKit pages from build/handler.js (production); the API and hub alone otherwise. */
  withPages?: boolean;
  log?: Logger;
  onRelayed?: (e: OrderUpdated, lagMs: number) => void;
  /** Another payment provider's webhook than the settings' (how a new provider is tried). */
  paymentWebhook?: PaymentWebhook;
  /** Other delivery platforms than the settings' (how a fake platform is tried). */
  marketplaces?: MarketplaceProvider[];
  /** The process's watch of its event loop (server/index.ts); without it, the app watches the loop for /readyz alone. */
  loop?: LoopWatch;
}

type Hub = Awaited<ReturnType<typeof createHub>>;

export interface App {
  http: HttpServer;
  db: Db;
  redis: Redis;
  queues: Queues;
  metrics: Metrics;
  hub: Hub;
  listen(port: number, host?: string): Promise<number>;
  /** Graceful stop: not ready, stop accepting, tell sockets to reconnect, drain, within `timeoutMs`. */
  close(timeoutMs?: number): Promise<void>;
}

/** Set by this server on every page request, from req.ip; whatever a client sent under this name is replaced. */
const CLIENT_ADDRESS_HEADER = 'x-ocpizza-client-address';

const QUIET_PATHS = /^\/(healthz|readyz|metrics|_app\/|favicon)/;

/** Express's "trust proxy" from TRUST_PROXY: true/false, a hop count, or addresses and CIDRs. */
function trustProxy(value: string): boolean | number | string {
  if (value === 'true' || value === 'false') return value === 'true';
  if (/^\d+$/.test(value)) return Number(value);
  return value;
}

/** Rejects after `ms`: a probe must answer even when Redis or Postgres hangs. */
export function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms))),
  ]);
}

/** Postgres, Redis and read-only handles on the workers' queues (for metrics and the operations page). */
async function connectStores(config: Config, log: Logger) {
  const db = createPool(config.DATABASE_URL, 20, { statementTimeoutMs: STATEMENT_TIMEOUT_MS.server });
  setDb(db); // the SvelteKit pages in this process share the pool
  const redis = createRedis(config, { lazyConnect: true, maxRetriesPerRequest: 1, enableOfflineQueue: false });
  redis.on('error', () => {});
  await redis.connect().catch((err) => log.warn({ err }, 'redis not reachable yet'));
  const queueRedis = createRedis(config, { maxRetriesPerRequest: null, lazyConnect: true });
  queueRedis.on('error', () => {});
  const queues = createQueues(queueRedis, config.QUEUE_PREFIX);
  // Redis away: /readyz and /metrics say so; one line a minute in the logs is enough
  let lastQueueWarning = 0;
  for (const q of queues.all) {
    q.on('error', (err) => {
      if (Date.now() - lastQueueWarning < 60_000) return;
      lastQueueWarning = Date.now();
      log.warn({ err: err.message }, 'queues unreachable (Redis)');
    });
  }
  return { db, redis, queueRedis, queues };
}

/**
 * The Postgres this server reaches and its standbys (src/lib/server/operations/database-role.ts), asked at most
 * once a second however many probes, scrapes and pages want it; null when Postgres does not answer.
 */
function databaseRoleOf(db: Db, standbysExpected: number) {
  let last: { at: number; role: Promise<DatabaseRole | null> } | null = null;
  return (): Promise<DatabaseRole | null> => {
    if (last && Date.now() - last.at < 1000) return last.role;
    last = { at: Date.now(), role: withTimeout(readDatabaseRole(db, standbysExpected), 2000).catch(() => null) };
    return last.role;
  };
}

/** Whether this connection is up, or comes up within `ms` (a server just started: its queues still connecting). */
function upWithin(r: Redis, ms: number): Promise<boolean> {
  if (r.status === 'ready') return Promise.resolve(true);
  return new Promise((resolve) => {
    const done = (up: boolean) => {
      clearTimeout(timer);
      r.off('ready', onReady);
      resolve(up);
    };
    const onReady = () => done(true);
    const timer = setTimeout(() => done(false), ms);
    r.on('ready', onReady);
  });
}

/** What /readyz answers (and the ocpizza_ready metric), each check with a time limit. */
function readinessOf(db: Db, redis: Redis, queueRedis: Redis, redisStatus: () => Promise<RedisStatus>, accepting: () => boolean, loop: LoopWatch) {
  return async () => {
    // loop: this process's event loop turned without a long hold-up lately (kernel/loop-watch.ts);
    // queues: the connection the jobs go through is up (its own, apart from `redis`: one can be lost
    // while the other answers), read from its state, never a command left waiting in its queue
    const checks = { postgres: false, redis: false, queues: false, schema: false, accepting: accepting(), loop: loop.healthy() };
    let pending: string[] = [];
    let where: RedisStatus | null = null;
    await Promise.all([
      withTimeout(ping(db), 2000).then(() => (checks.postgres = true), () => {}),
      withTimeout(redis.ping(), 1000).then(() => (checks.redis = true), () => {}),
      upWithin(queueRedis, 1000).then((up) => (checks.queues = up)),
      redisStatus().then((s) => (where = s), () => {}),
      withTimeout(pendingMigrations(db), 2000).then((p) => ((pending = p), (checks.schema = p.length === 0)), () => {}),
    ]);
    // Redis carries jobs and rate limits, not the pages or the orders: without it this server still
    // serves (workers catch up when it is back), so it stays in the pool and says it is degraded
    const ready = checks.postgres && checks.schema && checks.accepting && checks.loop;
    return { ready, checks, pending, redis: where as RedisStatus | null };
  };
}

/** Queue, backup and maintenance state for the operations page. */
function systemInfoOf(db: Db, queues: Queues, databaseRole: () => Promise<DatabaseRole | null>, redisStatus: () => Promise<RedisStatus>) {
  return async (): Promise<Pick<SystemStatus, 'queues' | 'backup' | 'maintenance' | 'printers' | 'database' | 'redis'>> => {
    const [queueStates, backup, maintenance, printers, database, redis] = await Promise.all([
      Promise.all(
        queues.all.map(async (q) => {
          const c = await withTimeout(q.getJobCounts('waiting', 'active', 'delayed', 'failed'), 1000);
          return { name: q.name, waiting: c.waiting ?? 0, active: c.active ?? 0, delayed: c.delayed ?? 0, failed: c.failed ?? 0 };
        }),
      ).catch(() => []),
      lastBackup(db),
      lastMaintenanceRun(db),
      failingPrinters(db).catch(() => []),
      databaseRole(),
      redisStatus().catch(() => null),
    ]);
    const last = backup.last;
    return {
      database,
      printers,
      redis,
      queues: queueStates,
      backup: last
        ? {
            lastAt: (last.finished_at ?? last.started_at)?.toISOString() ?? null,
            ok: last.ok,
            bytes: last.bytes === null ? null : Number(last.bytes),
            error: last.error,
            lastSuccessAt: backup.lastSuccessful?.finished_at?.toISOString() ?? null,
          }
        : null,
      maintenance,
    };
  };
}

/** What every answer gets: its log line and request id, its timing, the security headers. */
function useBasics(app: express.Express, opts: { log: Logger; metrics: Metrics; config: Config; stopping: () => boolean }) {
  app.disable('x-powered-by');
  app.set('trust proxy', trustProxy(opts.config.TRUST_PROXY));
  app.use(
    pinoHttp({
      logger: opts.log,
      genReqId: (req, res) => {
        const given = req.headers['x-request-id'];
        const id = typeof given === 'string' && /^[\w.-]{1,64}$/.test(given) ? given : randomUUID();
        res.setHeader('x-request-id', id);
        return id;
      },
      autoLogging: { ignore: (req) => QUIET_PATHS.test(req.url ?? '') },
      customLogLevel: (_req, res, err) => (err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info'),
      serializers: { req: (req) => ({ id: req.id, method: req.method, url: req.url }), res: (res) => ({ statusCode: res.statusCode }) },
    }),
  );
  app.use(opts.metrics.httpMiddleware);
  // the usual security headers on every response (helmet: nosniff, frame and referrer policies, HSTS,
  // cross-origin isolation of the window); the pages' Content Security Policy is SvelteKit's (with
  // a nonce per page, svelte.config.js), and anything else answered here gets the strictest one
  app.use(
    helmet({
      contentSecurityPolicy: false,
      crossOriginEmbedderPolicy: false,
      strictTransportSecurity: opts.config.secureCookies ? { maxAge: 31_536_000, includeSubDomains: true } : false,
      referrerPolicy: { policy: 'strict-origin-when-cross-origin' },
      xFrameOptions: { action: 'deny' },
    }),
  );
  app.use((req, res, next) => {
    // the driver shares their position and may take a photo; nothing else uses a device
    res.setHeader('permissions-policy', 'geolocation=(self), camera=(self), microphone=(), payment=(), usb=()');
    if (!req.path.startsWith('/api/') && req.path !== '/metrics' && req.path !== '/healthz' && req.path !== '/readyz') return next();
    res.setHeader('content-security-policy', "default-src 'none'; frame-ancestors 'none'");
    next();
  });
  // while stopping, a kept-alive connection closes after its response instead of lingering until the forced close
  app.use((_req, res, next) => {
    if (opts.stopping()) res.setHeader('connection', 'close');
    next();
  });
}

/** /healthz, /readyz and /metrics (behind METRICS_TOKEN when set). */
function useProbes(
  app: express.Express,
  opts: { config: Config; metrics: Metrics; readiness: ReturnType<typeof readinessOf>; databaseRole: () => Promise<DatabaseRole | null> },
) {
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    const [{ ready, checks, pending, redis }, database] = await Promise.all([opts.readiness(), opts.databaseRole()]);
    // which Postgres node leads and whether its standby is in sync: said, not a reason to leave the
    // pool (a leader without its standby still takes orders; the alert calls the operator)
    res.status(ready ? 200 : 503).json({
      status: ready ? (checks.redis && checks.queues ? 'ready' : 'degraded') : 'not_ready',
      checks,
      // where Redis is: the master's address (null: not reached), through Sentinel or not, its replicas
      redis,
      ...(pending.length ? { pendingMigrations: pending } : {}),
      database: database && {
        leader: database.node,
        primary: database.primary,
        timeline: database.timeline,
        syncStandby: database.syncStandby,
        standbysExpected: database.standbysExpected,
        inSync: database.inSync,
      },
    });
  });
  app.get('/metrics', async (req, res) => {
    if (opts.config.METRICS_TOKEN && req.headers.authorization !== `Bearer ${opts.config.METRICS_TOKEN}`) {
      res.status(401).json({ error: { code: 'unauthorized', message: 'a bearer token is required for /metrics' } });
      return;
    }
    res.setHeader('content-type', opts.metrics.registry.contentType);
    res.end(await opts.metrics.registry.metrics());
  });
}

/** Product photos (the MEDIA_DIR folder or the S3 bucket), content-addressed: cached by browsers and proxies for a year. */
function useMedia(app: express.Express, media: MediaStore) {
  app.get('/media/products/:file', async (req, res) => {
    const key = `products/${req.params.file}`;
    const bytes = MEDIA_KEY.test(key) ? await media.get(key) : null;
    if (!bytes) {
      res.status(404).json({ error: { code: 'not_found', message: 'no such photo' } });
      return;
    }
    res.setHeader('cache-control', 'public, max-age=31536000, immutable');
    res.type('image/webp').send(bytes);
  });
}

/** The built SvelteKit pages (build/handler.js), behind the same client address and limits as the API. */
async function usePages(app: express.Express, config: Config, limiterStore: (prefix: string) => RedisStore) {
  const handlerPath = join(process.cwd(), 'build', 'handler.js');
  if (!existsSync(handlerPath)) throw new Error('build/handler.js is missing: run `npm run build` first');
  // SvelteKit's handler assumes https unless told: this server speaks http, and a TLS proxy in
  // front says so with X-Forwarded-Proto. PUBLIC_ORIGIN (or ORIGIN) pins the origin instead.
  if (config.PUBLIC_ORIGIN && !process.env.ORIGIN) process.env.ORIGIN = config.PUBLIC_ORIGIN;
  process.env.PROTOCOL_HEADER ??= 'x-forwarded-proto';
  // the pages' getClientAddress() is the address the API sees (req.ip, which honours TRUST_PROXY),
  // so failed logins on the login page and on the API are counted by one client address
  process.env.ADDRESS_HEADER = CLIENT_ADDRESS_HEADER;
  const { handler } = (await import(handlerPath)) as { handler: express.RequestHandler };
  // the account forms do what the API's account routes do, counted with them per client address
  app.post(['/account/forgot', '/account/password'], customerRateLimit(config, limiterStore));
  // pages and their data compressed here too, for a deployment with no Nginx in front (a PaaS);
  // the built files go as the build's own .br/.gz, which this leaves alone
  app.use(compression({ threshold: 1024 }));
  app.use((req, _res, next) => {
    req.headers['x-forwarded-proto'] ??= 'http';
    req.headers[CLIENT_ADDRESS_HEADER] = req.ip ?? req.socket.remoteAddress ?? 'unknown'; // never the client's own
    next();
  }, handler);
}

/**
 * The server, built in the order its parts depend on each other: the stores, the metrics, the HTTP
 * server and its hub, then what the HTTP server answers (basics, probes, photos, the API, pages).
 * Nothing answers before `listen`, so the routes are added once the hub they need exists.
 */
export async function createApp(opts: AppOptions): Promise<App> {
  const { config } = opts;
  const log = opts.log ?? pino({ level: config.LOG_LEVEL });
  const { db, redis, queueRedis, queues } = await connectStores(config, log);
  // every sale, payment and refund this server makes is sealed in its own transaction (fiscal/seal.ts)
  const fiscal = fiscalKeyOf(config);
  installSaleSeal(fiscal, { sales: config.FISCAL_SEAL_SALES });
  await recordKeyOnce(db, fiscal).catch((err) => log.warn({ err }, 'the signing key could not be recorded in the technical events journal yet (the workers record it at their start)'));
  let stopping = false;
  const redisStatus = watchRedis(redis, config);
  // the process's own watch (server/index.ts: it also ends a loop stuck for good), or one for this app alone
  const loop = opts.loop ?? watchLoop({ name: 'server', stallMs: config.EVENT_LOOP_STALL_MS, exitAfterMs: 0 });
  const readiness = readinessOf(db, redis, queueRedis, redisStatus, () => !stopping, loop);
  const databaseRole = databaseRoleOf(db, config.DATABASE_SYNC_STANDBYS);
  const metrics = createMetrics({ db, queues: () => queues.all, readiness, databaseRole, redis: redisStatus });
  // drivers' positions, in Redis: the hub keeps them, the API reads them for the maps
  const positions = createPositionStore(redis, config.QUEUE_PREFIX);

  const app = express();
  const http = createHttpServer(app);
  const hub = await createHub(http, {
    db, config, redis, positions,
    log: log.child({ module: 'hub' }),
    systemInfo: systemInfoOf(db, queues, databaseRole, redisStatus),
    onRelayed: (e, lagMs) => {
      metrics.relayed(e, lagMs);
      opts.onRelayed?.(e, lagMs);
    },
  });
  // shop slugs for metric labels (shops are few and rarely added: read at start)
  metrics.countScreens(hub.io, await shopSlugs(db).catch(() => new Map<number, string>()), () => hub.relayListening());
  metrics.countPositions(hub.positionCounts);

  useBasics(app, { log, metrics, config, stopping: () => stopping });
  useProbes(app, { config, metrics, readiness, databaseRole });
  const media = mediaStoreFrom(config);
  useMedia(app, media);
  const limiterStore = (prefix: string) =>
    new RedisStore({ prefix, sendCommand: (command: string, ...args: string[]) => redis.call(command, ...args) as Promise<RedisReply> });
  app.use('/api', createApi({
    db, config, log, positions, media, limiterStore, redis,
    enqueuePaymentEvent: (eventId) => addJob(queues.payments, 'event', { eventId }, { jobId: jobId.paymentEvent(eventId) }),
    enqueueTipPayment: (tipId) => addJob(queues.payments, 'tip-begin', { tipId }, { jobId: jobId.tipBegin(tipId) }),
    accountQueue: queues.accounts,
    enqueuePrint: (j) => addJob(queues.printing, 'print', j, { jobId: jobId.print(j.orderId, j.kind, j.copy), backoff: { type: 'exponential', delay: 2000 } }),
    enqueueCustomerErasure: (customerRef) => addJob(queues.payments, 'delete-customer', { customerRef }, { jobId: jobId.deleteCustomer(customerRef) }),
    paymentWebhook: opts.paymentWebhook,
    marketplaces: opts.marketplaces,
    marketplaceQueue: queues.marketplaces,
    relayed: (by) => {
      // a driver's own move (a pick-up, a delivery): their next position is checked against it even if
      // the relay is slow to bring its event (publishNow gives up waiting after a second)
      if (by && may(by.role, can.drive)) hub.driverWrote(by.id);
      return hub.relay.publishNow();
    },
    publishesChanges: () => hub.relay.publishing,
    seenOrder: (id) => hub.relay.seen(id),
  }));
  if (opts.withPages) await usePages(app, config, limiterStore);

  const close = async (timeoutMs = config.SHUTDOWN_TIMEOUT_MS) => {
    stopping = true;
    // keep serving while /readyz says not ready, so a load balancer moves traffic away first
    if (config.SHUTDOWN_DRAIN_MS > 0) await new Promise((resolve) => setTimeout(resolve, config.SHUTDOWN_DRAIN_MS));
    const closed = new Promise<void>((resolve) => (http.listening ? http.close(() => resolve()) : resolve()));
    http.closeIdleConnections();
    // armed before the hub closes: io.close() waits for the HTTP server, hence for every connection
    const force = setTimeout(() => http.closeAllConnections(), timeoutMs);
    await hub.close();
    await closed;
    clearTimeout(force);
    await Promise.allSettled([db.end(), queues.close()]);
    queueRedis.disconnect();
    redis.disconnect();
    if (!opts.loop) await loop.stop();
  };
  const listen = (port: number, host?: string) =>
    new Promise<number>((resolve) => {
      http.listen(port, host, () => {
        const addr = http.address();
        resolve(typeof addr === 'object' && addr ? addr.port : port);
      });
    });
  return { http, db, redis, queues, metrics, hub, listen, close };
}
