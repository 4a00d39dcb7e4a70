import { randomUUID } from 'node:crypto';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import compression from 'compression';
import helmet from 'helmet';
import express from 'express';
import { Redis } from 'ioredis';
import { redisTls } from '../src/lib/server/redis-options.ts';
import pino, { type Logger } from 'pino';
import { pinoHttp } from 'pino-http';
import { RedisStore, type RedisReply } from 'rate-limit-redis';
import { lastBackup } from '../src/lib/server/backup.ts';
import type { Config } from '../src/lib/server/config.ts';
import { createPool, setDb, type Db } from '../src/lib/server/db.ts';
import { lastMaintenanceRun, ping, shopSlugs } from '../src/lib/server/operations-queries.ts';
import type { OrderUpdated, SystemStatus } from '../src/lib/realtime/contract.ts';
import { pendingMigrations } from '../db/migrate-runner.ts';
import { addJob, createQueues, jobId, type Queues } from '../src/lib/server/queues.ts';
import { createPositionStore } from '../src/lib/server/positions.ts';
import { MEDIA_KEY, mediaStoreFrom } from '../src/lib/server/media.ts';
import { createApi } from './api/index.ts';
import { customerRateLimit } from './rate-limits.ts';
import { createHub } from './hub.ts';
import { createMetrics, type Metrics } from './metrics.ts';

export interface AppOptions {
  config: Config;
  /** Serve the built SvelteKit pages from build/handler.js (production); the API and hub alone otherwise. */
  withPages?: boolean;
  log?: Logger;
  onRelayed?: (e: OrderUpdated, lagMs: number) => void;
}

export interface App {
  http: HttpServer;
  db: Db;
  redis: Redis;
  queues: Queues;
  metrics: Metrics;
  hub: Awaited<ReturnType<typeof createHub>>;
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

export async function createApp(opts: AppOptions): Promise<App> {
  const { config } = opts;
  const log = opts.log ?? pino({ level: config.LOG_LEVEL });
  const db = createPool(config.DATABASE_URL, 20);
  setDb(db); // the SvelteKit pages in this process share the pool
  const redis = new Redis(config.REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1, enableOfflineQueue: false, tls: redisTls(config) });
  redis.on('error', () => {});
  await redis.connect().catch((err) => log.warn({ err }, 'redis not reachable yet'));
  // read-only handles on the workers' queues, for metrics and the operations page
  const queueRedis = new Redis(config.REDIS_URL, { maxRetriesPerRequest: null, lazyConnect: true, tls: redisTls(config) });
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
  let shuttingDown = false;

  /** What /readyz answers (and the ocpizza_ready metric), each check with a time limit. */
  async function readiness() {
    const checks = { postgres: false, redis: false, schema: false, accepting: !shuttingDown };
    let pending: string[] = [];
    await Promise.all([
      withTimeout(ping(db), 2000).then(() => (checks.postgres = true), () => {}),
      withTimeout(redis.ping(), 1000).then(() => (checks.redis = true), () => {}),
      withTimeout(pendingMigrations(db), 2000).then((p) => ((pending = p), (checks.schema = p.length === 0)), () => {}),
    ]);
    // Redis carries jobs and rate limits, not the pages or the orders: without it this server still
    // serves (workers catch up when it is back), so it stays in the pool and says it is degraded
    const ready = checks.postgres && checks.schema && checks.accepting;
    return { ready, checks, pending };
  }

  // the metrics are made before the hub they count: they read it through this reference
  const hubRef: { current?: Awaited<ReturnType<typeof createHub>> } = {};
  const metrics = createMetrics({
    db,
    queues: () => queues.all,
    socketsByRole: () => {
      const counts: Record<string, number> = {};
      for (const s of hubRef.current?.io.of('/').sockets.values() ?? []) {
        const role = s.data.user?.role ?? (s.data.trackedOrderId ? 'customer' : 'anonymous');
        counts[role] = (counts[role] ?? 0) + 1;
      }
      return counts;
    },
    readiness,
    relayListening: () => hubRef.current?.relayListening() ?? false,
    screensByShop: () => {
      const counts = new Map<string, { role: string; pizzeria: string; count: number }>();
      for (const s of hubRef.current?.io.of('/').sockets.values() ?? []) {
        const u = s.data.user;
        if (!u || !['kitchen', 'driver', 'counter'].includes(u.role)) continue;
        const pizzeria = slugs.get(u.pizzeriaId ?? 0) ?? String(u.pizzeriaId);
        const key = `${pizzeria}:${u.role}`;
        const entry = counts.get(key) ?? { role: u.role, pizzeria, count: 0 };
        entry.count++;
        counts.set(key, entry);
      }
      return [...counts.values()];
    },
  });
  // shop slugs for metric labels (shops are few and rarely added: read at start)
  const slugs = await shopSlugs(db).catch(() => new Map<number, string>());

  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', trustProxy(config.TRUST_PROXY));

  app.use(
    pinoHttp({
      logger: log,
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
  app.use(metrics.httpMiddleware);
  // the usual security headers on every response (helmet: nosniff, frame and referrer policies, HSTS,
  // cross-origin isolation of the window); the pages' Content Security Policy is SvelteKit's (with
  // a nonce per page, svelte.config.js), and anything else answered here gets the strictest one
  app.use(
    helmet({
      contentSecurityPolicy: false,
      crossOriginEmbedderPolicy: false,
      strictTransportSecurity: config.secureCookies ? { maxAge: 31_536_000, includeSubDomains: true } : false,
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
    if (shuttingDown) res.setHeader('connection', 'close');
    next();
  });

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    const { ready, checks, pending } = await readiness();
    res.status(ready ? 200 : 503).json({
      status: ready ? (checks.redis ? 'ready' : 'degraded') : 'not_ready',
      checks,
      ...(pending.length ? { pendingMigrations: pending } : {}),
    });
  });
  app.get('/metrics', async (req, res) => {
    if (config.METRICS_TOKEN && req.headers.authorization !== `Bearer ${config.METRICS_TOKEN}`) {
      res.status(401).json({ error: { code: 'unauthorized', message: 'a bearer token is required for /metrics' } });
      return;
    }
    res.setHeader('content-type', metrics.registry.contentType);
    res.end(await metrics.registry.metrics());
  });

  // product photos (the MEDIA_DIR folder or the S3 bucket), content-addressed: cached by browsers and proxies for a year
  const media = mediaStoreFrom(config);
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

  // drivers' positions, in Redis: the hub keeps them, the API reads them for the maps
  const positions = createPositionStore(redis, config.QUEUE_PREFIX);
  const limiterStore = (prefix: string) =>
    new RedisStore({ prefix, sendCommand: (command: string, ...args: string[]) => redis.call(command, ...args) as Promise<RedisReply> });
  app.use(
    '/api',
    createApi({
      db,
      config,
      log,
      positions,
      media,
      enqueuePaymentEvent: (eventId) => addJob(queues.payments, 'event', { eventId }, { jobId: jobId.paymentEvent(eventId) }),
      accountQueue: queues.accounts,
      limiterStore,
      relayed: () => hubRef.current?.relay.publishNow() ?? Promise.resolve(),
      publishesChanges: () => hubRef.current?.relay.publishing ?? false,
      seenOrder: (id) => hubRef.current?.relay.seen(id),
    }),
  );

  if (opts.withPages) {
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
    const accountForms = customerRateLimit(config, limiterStore);
    app.post(['/account/forgot', '/account/password'], accountForms);
    // pages and their data compressed here too, for a deployment with no Nginx in front (a PaaS);
    // the built files go as the build's own .br/.gz, which this leaves alone
    app.use(compression({ threshold: 1024 }));
    app.use((req, _res, next) => {
      req.headers['x-forwarded-proto'] ??= 'http';
      req.headers[CLIENT_ADDRESS_HEADER] = req.ip ?? req.socket.remoteAddress ?? 'unknown'; // never the client's own
      next();
    }, handler);
  }

  async function systemInfo(): Promise<Pick<SystemStatus, 'queues' | 'backup' | 'maintenance'>> {
    const [queueStates, backup, maintenance] = await Promise.all([
      Promise.all(
        queues.all.map(async (q) => {
          const c = await withTimeout(q.getJobCounts('waiting', 'active', 'delayed', 'failed'), 1000);
          return { name: q.name, waiting: c.waiting ?? 0, active: c.active ?? 0, delayed: c.delayed ?? 0, failed: c.failed ?? 0 };
        }),
      ).catch(() => []),
      lastBackup(db),
      lastMaintenanceRun(db),
    ]);
    return {
      queues: queueStates,
      backup: backup.last
        ? {
            lastAt: (backup.last.finished_at ?? backup.last.started_at)?.toISOString() ?? null,
            ok: backup.last.ok,
            bytes: backup.last.bytes === null ? null : Number(backup.last.bytes),
            error: backup.last.error,
            lastSuccessAt: backup.lastSuccessful?.finished_at?.toISOString() ?? null,
          }
        : null,
      maintenance,
    };
  }

  const http = createHttpServer(app);
  const theHub = await createHub(http, {
    db,
    config,
    redis,
    positions,
    log: log.child({ module: 'hub' }),
    systemInfo,
    onRelayed: (e, lagMs) => {
      metrics.eventsRelayed.inc({ type: e.type });
      metrics.relayLag.observe(lagMs / 1000);
      opts.onRelayed?.(e, lagMs);
    },
  });
  hubRef.current = theHub;

  return {
    http,
    db,
    redis,
    queues,
    metrics,
    hub: theHub,
    listen(port, host) {
      return new Promise((resolve) => {
        http.listen(port, host, () => {
          const addr = http.address();
          resolve(typeof addr === 'object' && addr ? addr.port : port);
        });
      });
    },
    async close(timeoutMs = config.SHUTDOWN_TIMEOUT_MS) {
      shuttingDown = true;
      // keep serving while /readyz says not ready, so a load balancer moves traffic away first
      if (config.SHUTDOWN_DRAIN_MS > 0) await new Promise((resolve) => setTimeout(resolve, config.SHUTDOWN_DRAIN_MS));
      const closed = new Promise<void>((resolve) => (http.listening ? http.close(() => resolve()) : resolve()));
      http.closeIdleConnections();
      // armed before the hub closes: io.close() waits for the HTTP server, hence for every connection
      const force = setTimeout(() => http.closeAllConnections(), timeoutMs);
      await theHub.close();
      await closed;
      clearTimeout(force);
      await Promise.allSettled([db.end(), queues.close()]);
      queueRedis.disconnect();
      redis.disconnect();
    },
  };
}
