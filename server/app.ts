import { randomUUID } from 'node:crypto';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import express from 'express';
import { Redis } from 'ioredis';
import pino, { type Logger } from 'pino';
import { SESSION_COOKIE, readCookie, userForSession } from '../src/lib/server/auth.ts';
import type { Config } from '../src/lib/server/config.ts';
import { createPool, setDb, type Db } from '../src/lib/server/db.ts';
import { createApi, errorMiddleware } from './api.ts';
import { createHub } from './hub.ts';
import type { OrderUpdated } from '../src/lib/realtime/contract.ts';

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
  hub: Awaited<ReturnType<typeof createHub>>;
  listen(port: number, host?: string): Promise<number>;
  close(): Promise<void>;
}

export async function createApp(opts: AppOptions): Promise<App> {
  const { config } = opts;
  const log = opts.log ?? pino({ level: config.LOG_LEVEL });
  const db = createPool(config.DATABASE_URL, 20);
  setDb(db); // the SvelteKit pages in this process share the pool
  const redis = new Redis(config.REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1, enableOfflineQueue: false });
  redis.on('error', () => {});
  await redis.connect().catch((err) => log.warn({ err }, 'redis not reachable yet'));

  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');

  app.use((req, res, next) => {
    req.id = (req.headers['x-request-id'] as string | undefined)?.slice(0, 64) || randomUUID();
    res.setHeader('x-request-id', req.id);
    next();
  });

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    const checks = { postgres: false, redis: false };
    await Promise.all([
      db.query('SELECT 1').then(() => (checks.postgres = true), () => {}),
      redis.ping().then(() => (checks.redis = true), () => {}),
    ]);
    const ready = checks.postgres && checks.redis;
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not_ready', checks });
  });

  app.use('/api', async (req, _res, next) => {
    try {
      req.user = await userForSession(db, readCookie(req.headers.cookie, SESSION_COOKIE));
      next();
    } catch (err) {
      next(err);
    }
  });
  app.use('/api', createApi({ db, config }));
  app.use('/api', errorMiddleware(log));

  if (opts.withPages) {
    const handlerPath = join(process.cwd(), 'build', 'handler.js');
    if (!existsSync(handlerPath)) throw new Error('build/handler.js is missing: run `npm run build` first');
    // SvelteKit's handler assumes https unless told: this server speaks http, and a TLS proxy in
    // front says so with X-Forwarded-Proto. PUBLIC_ORIGIN (or ORIGIN) pins the origin instead.
    if (config.PUBLIC_ORIGIN && !process.env.ORIGIN) process.env.ORIGIN = config.PUBLIC_ORIGIN;
    process.env.PROTOCOL_HEADER ??= 'x-forwarded-proto';
    const { handler } = (await import(handlerPath)) as { handler: express.RequestHandler };
    app.use((req, _res, next) => {
      req.headers['x-forwarded-proto'] ??= 'http';
      next();
    }, handler);
  }

  const http = createHttpServer(app);
  const hub = await createHub(http, {
    db,
    databaseUrl: config.DATABASE_URL,
    log: log.child({ module: 'hub' }),
    resumeMaxEvents: config.RESUME_MAX_EVENTS,
    onRelayed: opts.onRelayed,
  });

  return {
    http,
    db,
    redis,
    hub,
    listen(port, host) {
      return new Promise((resolve) => {
        http.listen(port, host, () => {
          const addr = http.address();
          resolve(typeof addr === 'object' && addr ? addr.port : port);
        });
      });
    },
    async close() {
      await hub.close();
      await new Promise<void>((resolve) => (http.listening ? http.close(() => resolve()) : resolve()));
      await db.end();
      redis.disconnect();
    },
  };
}
