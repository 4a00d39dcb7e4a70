import { inject } from 'vitest';
import pg from 'pg';
import { io as ioClient, type Socket } from 'socket.io-client';
import pino from 'pino';
import { parseConfig, type Config } from '../src/lib/server/config.ts';
import { createApp, type App } from '../server/app.ts';
import type { ClientToServerEvents, OrderUpdated, ServerToClientEvents } from '../src/lib/realtime/contract.ts';

export function testConfig(overrides: Record<string, string> = {}): Config {
  return parseConfig({
    NODE_ENV: 'test',
    DATABASE_URL: inject('databaseUrl'),
    QUEUE_PREFIX: inject('queuePrefix'),
    LOG_LEVEL: 'silent',
    DEMO_PASSWORD: inject('demoPassword'),
    // the suite places hundreds of orders from one address; tests/api.test.ts checks the limit itself
    RATE_LIMIT_ORDERS: '100000',
    ...overrides,
  });
}

export const silentLog = pino({ level: 'silent' });

export async function startTestApp(overrides: Record<string, string> = {}): Promise<{ app: App; base: string; config: Config }> {
  const config = testConfig(overrides);
  const app = await createApp({ config, log: silentLog });
  const port = await app.listen(0, '127.0.0.1');
  return { app, base: `http://127.0.0.1:${port}`, config };
}

export function testPool(): pg.Pool {
  return new pg.Pool({ connectionString: inject('databaseUrl'), max: 10 });
}

/** A tiny HTTP client that keeps its session cookie, as a browser would. */
export class Client {
  cookie = '';
  constructor(readonly base: string) {}

  async request(method: string, path: string, body?: unknown, raw?: string) {
    const res = await fetch(this.base + path, {
      method,
      headers: {
        ...(body !== undefined || raw !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(this.cookie ? { cookie: this.cookie } : {}),
      },
      body: raw ?? (body !== undefined ? JSON.stringify(body) : undefined),
    });
    const setCookie = res.headers.get('set-cookie');
    if (setCookie) this.cookie = setCookie.split(';')[0];
    const text = await res.text();
    let json: any;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      json = text;
    }
    return { status: res.status, body: json };
  }
  get = (p: string) => this.request('GET', p);
  post = (p: string, b?: unknown) => this.request('POST', p, b ?? {});
  patch = (p: string, b?: unknown) => this.request('PATCH', p, b ?? {});

  async login(email: string, password = inject('demoPassword')) {
    const r = await this.post('/api/auth/login', { email, password });
    if (r.status !== 200) throw new Error(`login ${email} failed: ${r.status} ${JSON.stringify(r.body)}`);
    return this;
  }
}

export type TestSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

export function connectSocket(base: string, opts: { cookie?: string; trackingToken?: string } = {}): Promise<TestSocket> {
  const socket: TestSocket = ioClient(base, {
    transports: ['websocket'],
    extraHeaders: opts.cookie ? { cookie: opts.cookie } : undefined,
    auth: opts.trackingToken ? { trackingToken: opts.trackingToken } : {},
    reconnectionDelay: 100,
    reconnectionDelayMax: 500,
  });
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', (err) => reject(err));
  });
}

/** Collects order events a socket receives and waits for one matching a predicate. */
export function collect(socket: TestSocket) {
  const events: OrderUpdated[] = [];
  const waiters: { pred: (e: OrderUpdated) => boolean; resolve: (e: OrderUpdated) => void }[] = [];
  socket.on('order:updated', (e) => {
    events.push(e);
    for (const w of [...waiters]) if (w.pred(e)) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve(e);
    }
  });
  return {
    events,
    waitFor(pred: (e: OrderUpdated) => boolean, timeoutMs = 10_000): Promise<OrderUpdated> {
      const found = events.find(pred);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error('timed out waiting for an order event')), timeoutMs);
        waiters.push({ pred, resolve: (e) => (clearTimeout(t), resolve(e)) });
      });
    },
  };
}

export function subscribe(socket: TestSocket, req: Parameters<ClientToServerEvents['subscribe']>[0]) {
  return new Promise<any>((resolve) => socket.emit('subscribe', req, resolve));
}

export const SHOPS = { bastille: 1, montmartre: 2, batignolles: 3, montparnasse: 4, canal: 5 } as const;

export async function productId(pool: pg.Pool, slug: string): Promise<number> {
  const { rows } = await pool.query('SELECT id FROM products WHERE slug = $1', [slug]);
  return rows[0].id;
}

export const customer = { name: 'Camille Martin', phone: '06 12 34 56 78' };
export const address = { street: '5 rue Oberkampf', postcode: '75011', city: 'Paris', lat: 48.8643, lng: 2.3736 };

/** Polls `check` until it returns a truthy value (for states, not events: use collect().waitFor for events). */
export async function waitUntil<T>(check: () => Promise<T> | T, timeoutMs = 10_000, what = 'a condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export async function userId(pool: pg.Pool, email: string): Promise<number> {
  const { rows } = await pool.query('SELECT id FROM users WHERE email = $1', [email]);
  return rows[0].id;
}

/** The events of one order as stored, oldest first. */
export async function storedEvents(pool: pg.Pool, orderId: string): Promise<{ id: number; type: string; version: number; status: string }[]> {
  const { rows } = await pool.query(
    `SELECT id, type, (payload->>'version')::int AS version, payload->>'status' AS status FROM order_events WHERE order_id = $1 ORDER BY id`,
    [orderId],
  );
  return rows;
}
