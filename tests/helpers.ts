import { expect, inject } from 'vitest';
import pg from 'pg';
import { io as ioClient, type Socket } from 'socket.io-client';
import pino from 'pino';
import { parseConfig, type Config } from '../src/lib/server/kernel/config.ts';
import { createApp, type App, type AppOptions } from '../server/app.ts';
import { publishEvents } from '../src/lib/server/events/events.ts';
import { answerOffer, dispatchOrder } from '../src/lib/server/delivery/dispatch.ts';
import { getOrder } from '../src/lib/server/orders/read.ts';
import { DEFAULT_ETA_SETTINGS } from '../src/lib/domain/eta.ts';
import type { ClientToServerEvents, EventType, OrderUpdated, ServerToClientEvents } from '../src/lib/realtime/contract.ts';
import type { OrderView } from '../src/lib/shapes/views.ts';
import { isJob, type JobOf, type QueueOf } from '../src/lib/server/kernel/queues.ts';
import { fileDatabase } from './file-database.ts';
import { saleSeal, setSaleSeal } from '../src/lib/server/orders/seal.ts';

/**
 * The suite places its orders from one address with the same few phones, many awaiting payment, and
 * messages go to the same numbers: raised for every test (the app's and the browser tests' servers);
 * tests/road/hoarding.test.ts and tests/road/message-relay.test.ts check these limits at their defaults.
 */
export const RAISED_ORDER_LIMITS = {
  UNPAID_ORDERS_PER_CLIENT: '100000',
  UNPAID_ITEMS_PER_CLIENT: '100000',
  UNPAID_STOCK_SHARE: '1',
  ORDERS_PER_CONTACT_PER_HOUR: '100000',
  MESSAGES_PER_DESTINATION_PER_HOUR: '100000',
  MESSAGES_PER_CLIENT_PER_HOUR: '100000',
};

export function testConfig(overrides: Record<string, string> = {}): Config {
  return parseConfig({
    NODE_ENV: 'test',
    DATABASE_URL: fileDatabase().databaseUrl,
    QUEUE_PREFIX: fileDatabase().queuePrefix,
    // the file's own anchor file (tests/setup-file.ts), not the checkout's
    FISCAL_ANCHOR_FILE: process.env.FISCAL_ANCHOR_FILE ?? 'off',
    LOG_LEVEL: 'silent',
    DEMO_PASSWORD: inject('demoPassword'),
    GEOCODER_URL: inject('geocoderUrl'),
    MAP_TILE_URL: 'none',
    // dispatch assigns at once, one order a trip, unless a test is about offers and trips (tests/road/dispatch.test.ts)
    OFFER_TIMEOUT_SECONDS: '0',
    BATCH_MAX_PER_TRIP: '1',
    // drivers of most tests go on shift through the API without a phone; tests/road/presence.test.ts has phones
    DISPATCH_PRESENT_ONLY: 'false',
    // the suite's shops keep orders nobody moves: no late notices from the workers' minute timer,
    // which would write to other files' customers (tests/road/late-messages.test.ts calls it itself)
    LATE_NOTICES: 'false',
    // nor the managers' alerts from the plans, which would write to other files' orders
    LATE_ALERTS: 'false',
    // the suite places hundreds of orders from one address; tests/road/api.test.ts checks the limit itself
    RATE_LIMIT_ORDERS: '100000',
    // and asks for sign-in codes from there; tests/road/customer-accounts.test.ts checks that limit itself
    RATE_LIMIT_CUSTOMER_CODES: '100000',
    // and texts hundreds of numbers of a few ranges; tests/road/sms-limits.test.ts checks the texts' limits
    SMS_PER_HOUR: '1000000',
    SMS_PER_RANGE_PER_HOUR: '1000000',
    ...RAISED_ORDER_LIMITS,
    // and opens hundreds of sockets from 127.0.0.1; tests/road/socket-limits.test.ts checks those limits
    SOCKET_CONNECTS_PER_MINUTE: '100000',
    SOCKET_MAX_PER_ADDRESS: '100000',
    ...overrides,
  });
}

export const silentLog = pino({ level: 'silent' });

/** The logger of a test server: silent unless the test asked for a LOG_LEVEL. */
export const testLog = (config: Config) => (config.LOG_LEVEL === 'silent' ? silentLog : pino({ level: config.LOG_LEVEL }));

/**
 * An app of the test's own on the run's database and queues, listening on `port` (any free one by
 * default). The stack of a test file is `useStack` (tests/services.ts); this is for a second app a
 * test starts with other settings.
 */
export async function startTestApp(
  overrides: Record<string, string> = {},
  { port = 0, ...options }: Omit<AppOptions, 'config' | 'log'> & { port?: number } = {},
): Promise<{ app: App; base: string; config: Config }> {
  const config = testConfig(overrides);
  const app = await createApp({ ...options, config, log: testLog(config) });
  const listening = await app.listen(port, '127.0.0.1');
  return { app, base: `http://127.0.0.1:${listening}`, config };
}

/** A pool on the run's database, or on another the test names. */
export function testPool(databaseUrl: string = fileDatabase().databaseUrl): pg.Pool {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 10 });
  // an idle client whose Postgres went away (tests/ops/ha-postgres.test.ts kills it): the pool replaces it
  pool.on('error', () => {});
  pool.on('connect', (client) => client.on('error', () => {}));
  return pool;
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
  put = (p: string, b?: unknown) => this.request('PUT', p, b ?? {});
  delete = (p: string) => this.request('DELETE', p);

  async login(email: string, password = inject('demoPassword')) {
    const r = await this.post('/api/auth/login', { email, password });
    if (r.status !== 200) throw new Error(`login ${email} failed: ${r.status} ${JSON.stringify(r.body)}`);
    return this;
  }
}

/**
 * A staff move through the API that must succeed; returns the order as answered. A pickup handed
 * over says it was paid in cash (needed only when it still owes money), as `handOver` does at the door.
 */
export async function move(staff: Client, orderId: string, to: string) {
  const r = await staff.post(`/api/orders/${orderId}/status`, { to, ...(to === 'collected' ? { paymentMethod: 'cash' } : {}) });
  expect(r.status, `${to}: ${JSON.stringify(r.body)}`).toBe(200);
  return r.body;
}

export type TestSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

export function connectSocket(
  base: string,
  opts: { cookie?: string; trackingToken?: string; headers?: Record<string, string>; reconnection?: boolean } = {},
): Promise<TestSocket> {
  const socket: TestSocket = ioClient(base, {
    transports: ['websocket'],
    extraHeaders: { ...(opts.cookie ? { cookie: opts.cookie } : {}), ...opts.headers },
    reconnection: opts.reconnection ?? true,
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

/**
 * A driver on shift with their phone connected, as the driver app is: `at(metres)` shares a position
 * that far north of `from` (a test shop's corner by default) and resolves once the hub took it.
 */
export async function driverOnShift(base: string, email: string, from: { lat: number; lng: number } = { lat: 48.86, lng: 2.37 }) {
  const client = await new Client(base).login(email);
  await client.post('/api/driver/shift', { onShift: true });
  const phone = await connectSocket(base, { cookie: client.cookie });
  await subscribe(phone, { scope: 'driver' });
  const at = (metresNorth: number) =>
    new Promise((resolve) => phone.emit('driver:position', { lat: from.lat + metresNorth / 111_200, lng: from.lng, accuracy: 10, at: Date.now() }, resolve as never));
  return {
    client,
    phone,
    at,
    /** The phone closed and the shift ended. */
    async leave() {
      phone.disconnect();
      await client.post('/api/driver/shift', { onShift: false });
    },
  };
}

export const SHOPS = { bastille: 1, montmartre: 2, batignolles: 3, montparnasse: 4, canal: 5 } as const;

/** A product of the demo chain by its slug, as the run's seed made it (read once, in the global setup). */
export function seededProduct(slug: string): number {
  const id = inject('productIds')[slug];
  if (!id) throw new Error(`the demo chain has no product "${slug}"`);
  return id;
}

export const customer = { name: 'Camille Martin', phone: '06 12 34 56 78' };
export const address = { street: '5 rue Oberkampf', postcode: '75011', city: 'Paris', lat: 48.8643, lng: 2.3736 };
/** A delivery address inside each seeded shop's zone (the pin a customer would drop); Oberkampf for a test shop (createShop). */
export const ADDRESSES: Record<number, typeof address> = {
  [SHOPS.bastille]: address,
  [SHOPS.montmartre]: { street: '3 rue Lepic', postcode: '75018', city: 'Paris', lat: 48.8838, lng: 2.3329 },
  [SHOPS.batignolles]: { street: '3 rue des Dames', postcode: '75017', city: 'Paris', lat: 48.8836, lng: 2.3257 },
  [SHOPS.montparnasse]: { street: '10 rue de la Gaîté', postcode: '75014', city: 'Paris', lat: 48.8405, lng: 2.3232 },
  [SHOPS.canal]: { street: '20 quai de Valmy', postcode: '75010', city: 'Paris', lat: 48.87, lng: 2.364 },
};
export const addressFor = (shop: number) => ADDRESSES[shop] ?? address;

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

/**
 * Publishes every event committed to the inbox so far. A publish under way elsewhere (a server's,
 * a workers process's) holds its rows, and ours skips them (SKIP LOCKED): the inbox is asked again
 * until those rows are gone, which they are once that publish has committed (its move deletes them
 * in the transaction that gives them their ids).
 */
export async function publishAll(pool: pg.Pool, timeoutMs = 10_000): Promise<void> {
  for (const until = Date.now() + timeoutMs; ; ) {
    await publishEvents(pool);
    const { rowCount } = await pool.query('SELECT 1 FROM order_event_inbox LIMIT 1');
    if (!rowCount) return;
    if (Date.now() > until) throw new Error(`the inbox still holds events after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The events stored for an order, once everything committed is published (as a hub would do within moments). */
export async function storedEvents(pool: pg.Pool, orderId: string): Promise<{ id: number; type: string; version: number; status: string }[]> {
  // the order's events committed to the inbox are published first; one that another publish (the
  // server's) is moving right now is skipped by this one (SKIP LOCKED), so it is waited for
  for (const until = Date.now() + 5000; ; ) {
    await publishEvents(pool);
    const { rowCount } = await pool.query('SELECT 1 FROM order_event_inbox WHERE order_id = $1 LIMIT 1', [orderId]);
    if (!rowCount || Date.now() > until) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  const { rows } = await pool.query(
    `SELECT id, type, (payload->>'version')::int AS version, payload->>'status' AS status FROM order_events WHERE order_id = $1 ORDER BY id`,
    [orderId],
  );
  return rows;
}

// ---------- operations tests: side databases, child processes, free ports, Prometheus text ----------

const PG_BASE = process.env.TEST_DATABASE_BASE_URL ?? 'postgres://postgres@127.0.0.1:5432';

/** A database name of this run that no other test uses (dropped by its owner with `dropDatabase`). */
export function sideDatabaseName(tag: string): string {
  return `${fileDatabase().queuePrefix}_${tag}_${Math.random().toString(36).slice(2, 8)}`.toLowerCase();
}
export const databaseUrlFor = (name: string) => `${PG_BASE}/${name}`;

async function adminQuery(sql: string, params: unknown[] = []) {
  const admin = new pg.Client({ connectionString: `${PG_BASE}/postgres` });
  await admin.connect();
  try {
    return await admin.query(sql, params);
  } finally {
    await admin.end();
  }
}

export async function databaseExists(name: string): Promise<boolean> {
  return ((await adminQuery('SELECT 1 FROM pg_database WHERE datname = $1', [name])).rowCount ?? 0) > 0;
}

export async function dropDatabase(name: string): Promise<void> {
  // the connections of a stack just closed go away by themselves within moments: waited for, so
  // that none of them is cut while its client still listens (a client cut that way once threw
  // "terminating connection due to administrator command" out of a test file); what is left after
  // that is cut
  for (const until = Date.now() + 5000; Date.now() < until; ) {
    const left = (await adminQuery('SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [name])).rows[0].n;
    if (!left) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  await adminQuery('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [name]);
  await adminQuery(`DROP DATABASE IF EXISTS "${name}"`);
}

/**
 * A separate database for tests that archive, restore or break things: empty, migrated, or migrated
 * and seeded (a clone of the run's template, as the file's own database is).
 */
export async function createSideDatabase(tag: string, opts: { migrate?: boolean; seed?: boolean } = {}) {
  const name = sideDatabaseName(tag);
  if (opts.seed) {
    await adminQuery(`CREATE DATABASE "${name}" TEMPLATE "${inject('templateDatabase')}"`);
    return { name, url: databaseUrlFor(name), drop: () => dropDatabase(name) };
  }
  await adminQuery(`CREATE DATABASE "${name}"`);
  const url = databaseUrlFor(name);
  if (opts.migrate) {
    const { migrate } = await import('../db/migrate-runner.ts');
    await migrate(url);
  }
  return { name, url, drop: () => dropDatabase(name) };
}

/** A TCP port nobody listens on right now. */
export async function freePort(): Promise<number> {
  const { port, release } = await holdPort();
  await release();
  return port;
}

/** A free port kept taken (listened on) until `release`: for a process started later that must have it. */
export async function holdPort(): Promise<{ port: number; release: () => Promise<void> }> {
  const { createServer } = await import('node:net');
  const srv = createServer();
  await new Promise<void>((resolve, reject) => {
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => resolve());
  });
  return { port: (srv.address() as { port: number }).port, release: () => new Promise((resolve) => srv.close(() => resolve())) };
}

/** The environment a child process of ours starts from: this one without anything that configures the app. */
export function childEnv(vars: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^(DATABASE_URL|REDIS_URL|PORT|HOST|QUEUE_PREFIX|SESSION_SECRET|DEMO_PASSWORD|BACKUP_|MAINTENANCE_|EVENT_ARCHIVE|SHUTDOWN_|SENTRY_|LOG_LEVEL|NODE_ENV|VITEST|TEST)/.test(k)) continue;
    env[k] = v;
  }
  return { ...env, NO_COLOR: '1', FORCE_COLOR: '0', ...vars };
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs a command to its end (killed after `timeoutMs`), from the project root unless told. */
export async function run(cmd: string, args: string[], env: Record<string, string>, timeoutMs = 60_000, cwd = process.cwd()): Promise<RunResult> {
  const { spawn } = await import('node:child_process');
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', (err) => (clearTimeout(timer), reject(err)));
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, ms: Date.now() - started });
    });
  });
}

/** `npm run <script> -- <args>` with the given environment. */
export const npmRun = (script: string, args: string[], env: Record<string, string>, timeoutMs?: number) =>
  run('npm', ['run', '--silent', script, ...(args.length ? ['--', ...args] : [])], env, timeoutMs);

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses Prometheus text exposition into samples (comments skipped). */
export function parsePrometheus(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\d+)?$/.exec(line);
    if (!m) throw new Error(`not a Prometheus sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]] = l[2].replace(/\\(.)/g, '$1');
    samples.push({ name: m[1], labels, value: Number(m[3]) });
  }
  return samples;
}

/** The samples of one metric whose labels include `labels`. */
export function samplesOf(samples: Sample[], name: string, labels: Record<string, string> = {}): Sample[] {
  return samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
}

/** Deletes every Redis key under a queue prefix of ours (global teardown only knows the run's own prefix). */
export async function deleteRedisKeys(prefix: string): Promise<void> {
  const { Redis } = await import('ioredis');
  const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      if (keys.length) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

/**
 * A shop of a test's own, with its stock and staff (manager, kitchen, counter, driver1, driver2;
 * the demo password): a test that depends on who is on shift, or on stock levels, uses one, so no
 * other test file's rows can change what it sees.
 */
export async function createShop(pool: pg.Pool, tag: string) {
  const slug = `t-${tag}-${Math.random().toString(36).slice(2, 8)}`;
  const { rows } = await pool.query<{ id: number }>(
    `INSERT INTO pizzerias (slug, name, address, lat, lng) VALUES ($1, $2, '1 rue de Test, 75011 Paris', 48.86, 2.37) RETURNING id`,
    [slug, `OC Pizza ${slug}`],
  );
  const id = rows[0].id;
  await pool.query(`INSERT INTO stock (pizzeria_id, ingredient_id, on_hand) SELECT $1, id, 100000 FROM ingredients`, [id]);
  const roles = { manager: 'manager', kitchen: 'kitchen', counter: 'counter', driver1: 'driver', driver2: 'driver' } as const;
  const email = (who: keyof typeof roles) => `${who}.${slug}@ocpizza.test`;
  for (const [who, role] of Object.entries(roles) as [keyof typeof roles, string][]) {
    await pool.query(
      `INSERT INTO users (email, password_hash, name, role, pizzeria_id)
       SELECT $1, password_hash, $2, $3, $4 FROM users WHERE email = 'admin@ocpizza.test'`,
      [email(who), `${who} ${slug}`, role, id],
    );
  }
  return { id, slug, email };
}

export interface PlacedOrderBody {
  id: string;
  number: number;
  trackingToken: string;
  status: string;
  total: number;
  version: number;
}

/** A delivery order's body for a shop, paid at the door, with these lines: what a test changes goes in `overrides`. */
export function deliveryOrder(pizzeriaId: number, items: { productId: number; quantity: number }[], overrides: Record<string, unknown> = {}) {
  return { pizzeriaId, fulfilment: 'delivery', customer, address: addressFor(pizzeriaId), items, payment: 'on_delivery', ...overrides };
}

/**
 * Places an order through the API as a customer would (one margherita-like line by default: pass
 * the product), and checks it was taken. `overrides` changes any field of the body.
 */
export async function placeThroughApi(base: string, body: { pizzeriaId: number; productId: number; quantity?: number } & Record<string, unknown>) {
  const { productId, quantity = 1, ...overrides } = body;
  const r = await new Client(base).post('/api/orders', {
    fulfilment: 'delivery',
    customer,
    address: addressFor(body.pizzeriaId),
    items: [{ productId, quantity }],
    payment: 'on_delivery',
    ...overrides,
    ...(overrides.fulfilment === 'pickup' ? { address: undefined } : {}),
  });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body as PlacedOrderBody;
}

/**
 * Whether the event reactor's place in the partition of an event's shop has reached it (the event
 * `id`, or an order's newest event): the reactor keeps a place per partition (workers/event-reactor.ts).
 */
export async function reactorPast(pool: pg.Pool, of: { eventId: number } | { orderId: string }): Promise<boolean> {
  const { rows } = await pool.query<{ past: boolean }>(
    `SELECT c.last_event_id >= e.id AS past
       FROM (SELECT id, pizzeria_id FROM order_events WHERE id = $1 OR order_id = $2 ORDER BY id DESC LIMIT 1) e
       JOIN event_cursors c ON c.name = 'workers:' || order_event_part(e.pizzeria_id)`,
    ['eventId' in of ? of.eventId : null, 'orderId' in of ? of.orderId : null],
  );
  return rows[0]?.past ?? false;
}

/** The workers react (and the fiscal journal reads) from now on: what earlier test files left in the shared database is not theirs. */
export async function workersStartFromNow(pool: pg.Pool): Promise<void> {
  await pool.query(
    `INSERT INTO event_cursors (name, last_event_id) SELECT name, (SELECT coalesce(max(id), 0) FROM order_events)
     FROM unnest(ARRAY['fiscal'] || ARRAY(SELECT 'workers:' || p FROM generate_series(0, order_event_parts() - 1) p)) AS name
     ON CONFLICT (name) DO UPDATE SET last_event_id = EXCLUDED.last_event_id`,
  );
}

/**
 * Writes an event for a given view into the inbox in a transaction, as a service does in the
 * order's own (services build the view in their statement: src/lib/server/orders/index.ts): for tests
 * of commit order, which need writers holding events uncommitted.
 */
export async function appendEvent(tx: pg.PoolClient, type: EventType, actor: string, order: OrderView): Promise<void> {
  await tx.query(
    'INSERT INTO order_event_inbox (order_id, pizzeria_id, driver_id, type, actor, payload) VALUES ($1, $2, $3, $4, $5, $6)',
    [order.id, order.pizzeriaId, order.driver?.id ?? null, type, actor, JSON.stringify(order)],
  );
}

/**
 * The driver hands the order over as at the door: the PIN the customer reads from their tracking
 * page, and what was still due collected in cash.
 */
export async function handOver(pool: pg.Pool, driver: Client, orderId: string, method: 'cash' | 'card' = 'cash') {
  const { rows } = await pool.query<{ delivery_pin: string; amount_due_cents: number }>('SELECT delivery_pin, amount_due_cents FROM orders WHERE id = $1', [orderId]);
  const due = Number(rows[0].amount_due_cents);
  const r = await driver.post(`/api/orders/${orderId}/deliver`, {
    proof: { pin: rows[0].delivery_pin },
    ...(due > 0 ? { collected: { amountCents: due, method } } : {}),
  });
  expect(r.status, `delivered: ${JSON.stringify(r.body)}`).toBe(200);
  return r.body;
}

/** How many times this helper dispatched each order (two at once: the second finds it taken, and says so). */
const helperDispatches = new Map<string, number>();

/**
 * Dispatch as the worker does it, assigning at once (no offer) and one order a trip: the driver of
 * the order's shop dispatch ranks first gets it. Where the workers run, their own dispatch of the
 * ready order may come first: the driver it offered the order to accepts it (as their phone would),
 * and a driver it gave the order to keeps it. A second call for the same order finds it taken
 * (`not_needed`), as a second dispatcher does.
 */
export async function assignDriver(pool: pg.Pool, orderId: string) {
  helperDispatches.set(orderId, (helperDispatches.get(orderId) ?? 0) + 1);
  const r = await dispatchOrder(pool, null, orderId, { offerTimeoutMs: 0, maxPerTrip: 1, mode: 'scooter', eta: DEFAULT_ETA_SETTINGS });
  if (r.state === 'assigned') return { assigned: true as const, driverId: r.driverId, order: r.order };
  if (r.state === 'offer_pending' && r.driverId) {
    const { rows: [u] } = await pool.query<{ id: number; name: string; pizzeria_id: number }>('SELECT id, name, pizzeria_id FROM users WHERE id = $1', [r.driverId]);
    const { order } = await answerOffer(pool, { kind: 'staff', id: u.id, role: 'driver', pizzeriaId: u.pizzeria_id, name: u.name }, orderId, { accept: true });
    return { assigned: true as const, driverId: u.id, order };
  }
  // the workers' dispatch gave it a driver already (no other call of this helper dispatched it)
  if (r.state === 'not_needed' && helperDispatches.get(orderId) === 1) {
    const order = await getOrder(pool, orderId);
    if (order?.status === 'ready' && order.driver) return { assigned: true as const, driverId: order.driver.id, order };
  }
  return { assigned: false as const, reason: r.state };
}

/** The test cards of the demo payment page. */
export const CARDS = { accepted: '4242 4242 4242 4242', declined: '4000 0000 0000 0002' } as const;

/**
 * The customer pays on the demo payment page with `card` (once the workers made the payment), as the
 * page does: the server signs the event and the workers act on it. Answers what the page was told.
 */
export async function payOnDemoPage(base: string, token: string, card: string = CARDS.accepted, timeoutMs = 20_000): Promise<{ accepted: boolean; refused: string | null }> {
  return waitUntil(async () => {
    const r = await new Client(base).post(`/api/track/${token}/demo-pay`, { number: card, expiry: '12/34', cvc: '123' });
    if (r.status === 409 && r.body.error.code === 'payment_not_ready') return null;
    expect(r.status, JSON.stringify(r.body)).toBe(202);
    return r.body as { accepted: boolean; refused: string | null };
  }, timeoutMs, 'the payment page to take the card') as Promise<{ accepted: boolean; refused: string | null }>;
}

/** Pays on the demo page and waits until the workers have moved the order to the kitchen. */
export async function payAndWaitReceived(base: string, token: string, timeoutMs = 20_000) {
  expect((await payOnDemoPage(base, token, CARDS.accepted, timeoutMs)).accepted).toBe(true);
  return waitUntil(async () => {
    const t = (await new Client(base).get(`/api/track/${token}`)).body;
    return t.status === 'received' && t;
  }, timeoutMs, 'the payment to take the order to the kitchen');
}

/** A number the database counts (`SELECT … AS n`): orders placed, stock reserved, events written. */
export const countOf = async (pool: pg.Pool, sql: string, params: unknown[] = []) => Number((await pool.query(sql, params)).rows[0].n);
/** Every order in the run's database, and every portion reserved across its shops: what a refused request must leave as it was. */
export const orderCount = (pool: pg.Pool) => countOf(pool, 'SELECT count(*) AS n FROM orders');
export const reservedSum = (pool: pg.Pool) => countOf(pool, 'SELECT coalesce(sum(reserved),0) AS n FROM stock_levels');

/**
 * Sets an order's recorded times to an evening worked out by hand (Paris times on `day`, which
 * becomes its business day): reached the kitchen, started, ready, collected, and when each of its
 * lines was crossed off (null: not crossed off), in the order of its lines.
 */
export async function serviceTimes(
  pool: pg.Pool,
  id: string,
  day: string,
  t: { received: string; started: string; ready: string; collected: string; promised?: string },
  done: (string | null)[] = [],
) {
  const at = (hhmmss: string) => `${day} ${hhmmss} Europe/Paris`;
  await pool.query(
    `UPDATE orders SET business_day = $2::date, received_at = $3::timestamptz, preparing_at = $4::timestamptz, ready_at = $5::timestamptz,
       collected_at = $6::timestamptz, promised_at = coalesce($7::timestamptz, promised_at), version = version + 1 WHERE id = $1`,
    [id, day, at(t.received), at(t.started), at(t.ready), at(t.collected), t.promised ? at(t.promised) : null],
  );
  const { rows } = await pool.query<{ id: number }>('SELECT id FROM order_items WHERE order_id = $1 ORDER BY id', [id]);
  for (const [i, d] of done.entries()) await pool.query('UPDATE order_items SET done_at = $2::timestamptz WHERE id = $1', [rows[i].id, d === null ? null : at(d)]);
}

/**
 * The preparation timer that will flag this order late if it is still in the oven: its shop's timer
 * with the earliest time among those that cover its start (any state: a test checks which). Undefined
 * when none is queued.
 */
export async function prepTimerOf(queue: QueueOf<'prep'>, pool: pg.Pool, orderId: string): Promise<JobOf<'prep'> | undefined> {
  const { rows } = await pool.query<{ pizzeria_id: number; preparing_at: Date | null }>('SELECT pizzeria_id, preparing_at FROM orders WHERE id = $1', [orderId]);
  const order = rows[0];
  if (!order?.preparing_at) return undefined;
  const startedBy = (j: JobOf<'prep'>) => ('startedBy' in j.data ? Date.parse(j.data.startedBy) : NaN);
  const jobs = (await queue.getJobs(['delayed', 'waiting', 'prioritized', 'active', 'completed', 'failed'])).filter(
    (j) => !!j && isJob(j, 'late-sweep') && j.data.pizzeriaId === order.pizzeria_id && startedBy(j) >= order.preparing_at!.getTime(),
  );
  return jobs.sort((a, b) => startedBy(a) - startedBy(b))[0];
}

/**
 * Sells as a process without the journal's seal would (a script on the database, an older server):
 * the sale is committed without its entry, and it is the workers' journal, following the events,
 * that writes it (what these tests are about). The product's own processes seal every sale in its
 * transaction: tests/road/fiscal-sealed-sale.test.ts.
 */
export async function withoutSeal<T>(fn: () => Promise<T>): Promise<T> {
  const seal = saleSeal();
  setSaleSeal(null);
  try {
    return await fn();
  } finally {
    setSaleSeal(seal);
  }
}
