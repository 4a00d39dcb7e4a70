// Live-update benchmark (not a test): how fast and how completely do order changes reach screens?
//
//   npm run bench:live
//
// It creates its own database (dropped at the end), starts the API + Socket.io hub in this process
// (no pages, no workers), connects many socket.io clients as kitchen screens, manager screens and
// customer tracking pages, then makes a steady flow of order moves through the HTTP API and measures,
// for every move, when each socket that should see it received the matching `order:updated` event.
//
// Knobs (environment): BENCH_SECONDS (30), BENCH_RATE moves/s (50), BENCH_KITCHEN (400),
// BENCH_MANAGER (50), BENCH_TRACKING (50) sockets, BENCH_GRACE_MS (3000) wait for stragglers,
// BENCH_DATABASE_BASE_URL (postgres://postgres@127.0.0.1:5432), REDIS_URL.
//
// Client and server share this process and its cores: the figures include the cost of the
// 500 clients parsing every event, so they are pessimistic for the hub alone.
import { randomBytes } from 'node:crypto';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import pg from 'pg';
import pino from 'pino';
import { io as ioClient, type Socket } from 'socket.io-client';
import { migrate } from '../db/migrate-runner.ts';
import { BASE_DB, REDIS_URL, dropBenchData, percentile, say, sleep } from './bench-common.ts';
import { seed } from '../db/seed-data.ts';
import { PIZZERIAS } from '../db/catalogue.ts';
import { createApp, type App } from '../server/app.ts';
import { parseConfig } from '../src/lib/server/config.ts';
import type { ClientToServerEvents, OrderUpdated, ServerToClientEvents, SubscribeRequest } from '../src/lib/realtime/contract.ts';
import type { OrderStatus } from '../src/lib/domain/order-states.ts';

type ClientSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

const int = (name: string, dflt: number, min = 0) => {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return dflt;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < min) throw new Error(`${name} must be a number >= ${min}, got "${raw}"`);
  return n;
};

const SECONDS = int('BENCH_SECONDS', 30, 1);
const RATE = int('BENCH_RATE', 50, 1);
const N_KITCHEN = Math.floor(int('BENCH_KITCHEN', 400));
const N_MANAGER = Math.floor(int('BENCH_MANAGER', 50));
const N_TRACKING = Math.floor(int('BENCH_TRACKING', 50));
const GRACE_MS = int('BENCH_GRACE_MS', 3000);
const CONNECT_BATCH = 50;
/** Untracked orders kept waiting for their next move; below this the next move places a new order. */
const OPEN_ORDERS = 10;

const suffix = `${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
const dbName = `ocpizza_bench_${suffix}`;
const benchUrl = `${BASE_DB}/${dbName}`;
const queuePrefix = `ocpizza_bench_${suffix}`;
const password = randomBytes(12).toString('base64url');


// ---------- statistics ----------

const ms = (v: number) => (Number.isFinite(v) ? `${v.toFixed(1)} ms` : 'n/a');
function summary(values: number[]) {
  const s = Float64Array.from(values).sort();
  return { n: s.length, min: s[0], p50: percentile(s, 50), p99: percentile(s, 99), max: s[s.length - 1] };
}

// ---------- HTTP ----------

class Http {
  constructor(readonly base: string) {}
  /** Returns the body and the time the answer arrived (headers in), before the body is parsed. */
  async post(path: string, body: unknown, cookie?: string) {
    const res = await fetch(this.base + path, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(cookie ? { cookie } : {}) },
      body: JSON.stringify(body),
    });
    const answeredAt = performance.now();
    const json = (await res.json().catch(() => null)) as any;
    return { status: res.status, body: json, answeredAt, setCookie: res.headers.get('set-cookie') };
  }
  async login(email: string): Promise<string> {
    const r = await this.post('/api/auth/login', { email, password });
    if (r.status !== 200 || !r.setCookie) throw new Error(`login ${email} failed: ${r.status} ${JSON.stringify(r.body)}`);
    return r.setCookie.split(';')[0];
  }
}

// ---------- what sockets receive ----------

const keyOf = (orderId: string, version: number) => `${orderId}#${version}`;

interface Receipts {
  /** (order, version) → receipt times, one per socket that got it */
  byKey: Map<string, number[]>;
  duplicates: number;
  disconnects: number;
}

function connect(base: string, auth: { cookie?: string; trackingToken?: string }, rec: Receipts): Promise<ClientSocket> {
  const socket: ClientSocket = ioClient(base, {
    transports: ['websocket'],
    forceNew: true,
    reconnection: false, // a dropped socket must show up as lost events, not be papered over
    extraHeaders: auth.cookie ? { cookie: auth.cookie } : undefined,
    auth: auth.trackingToken ? { trackingToken: auth.trackingToken } : {},
    timeout: 20_000,
  });
  const seen = new Set<string>();
  socket.on('order:updated', (e: OrderUpdated) => {
    const t = performance.now();
    const k = keyOf(e.order.id, e.order.version);
    if (seen.has(k)) {
      rec.duplicates++;
      return;
    }
    seen.add(k);
    let list = rec.byKey.get(k);
    if (!list) rec.byKey.set(k, (list = []));
    list.push(t);
  });
  socket.on('disconnect', (reason) => {
    if (reason !== 'io client disconnect') rec.disconnects++;
  });
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', (err) => reject(err));
  });
}

function subscribe(socket: ClientSocket, req: SubscribeRequest): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.timeout(20_000).emit('subscribe', req, (err: Error | null, res: any) => {
      if (err) return reject(err);
      if (!res || 'error' in res) return reject(new Error(`subscribe ${JSON.stringify(req)} refused: ${JSON.stringify(res?.error)}`));
      resolve();
    });
  });
}

async function inBatches<T>(tasks: (() => Promise<T>)[], size: number): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < tasks.length; i += size) out.push(...(await Promise.all(tasks.slice(i, i + size).map((t) => t()))));
  return out;
}

/** n items spread over k buckets as evenly as possible */
const spread = (n: number, k: number) => Array.from({ length: k }, (_, i) => Math.floor(n / k) + (i < n % k ? 1 : 0));

// ---------- the run ----------

interface Shop {
  id: number;
  slug: string;
  kitchenCookie: string;
  counterCookie: string;
  managerCookie: string;
  screens: number; // kitchen + manager sockets subscribed to this shop
}

interface OpenOrder {
  id: string;
  version: number;
  status: OrderStatus;
  shop: Shop;
  tracking: number; // tracking sockets following it
  busy: boolean;
}

interface Move {
  key: string;
  expected: number;
  sentAt: number;
  answeredAt: number;
}

const NEXT: Partial<Record<OrderStatus, OrderStatus>> = { received: 'preparing', preparing: 'ready', ready: 'collected' };

async function main() {
  say(`OC Pizza Live: live-update benchmark`);
  say(`database ${dbName}, queue prefix ${queuePrefix}`);

  const admin = new pg.Client({ connectionString: `${BASE_DB}/postgres` });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${dbName}`);
  let app: App | undefined;
  let sockets: ClientSocket[] = [];
  let setupPool: pg.Pool | undefined;
  let failed = false;
  try {
    await migrate(benchUrl);
    setupPool = new pg.Pool({ connectionString: benchUrl, max: 2 });
    await seed(setupPool, password);
    await setupPool.query('UPDATE stock SET on_hand = 1000000');
    const shopRows = (await setupPool.query<{ id: number; slug: string }>('SELECT id, slug FROM pizzerias ORDER BY id')).rows;
    const productRows = (await setupPool.query<{ id: number; category: string }>(
      `SELECT id, category FROM products ORDER BY id`,
    )).rows;
    const pizzas = productRows.filter((p) => p.category === 'pizza').map((p) => p.id);
    const drinks = productRows.filter((p) => p.category === 'drink').map((p) => p.id);
    if (shopRows.length !== PIZZERIAS.length || !pizzas.length) throw new Error('the seed did not load the demo chain');

    const config = parseConfig({ ...process.env, DATABASE_URL: benchUrl, REDIS_URL, LOG_LEVEL: 'silent', QUEUE_PREFIX: queuePrefix, RATE_LIMIT_ORDERS: '1000000',
      // every screen of this benchmark comes from 127.0.0.1 (bench:abuse gives each its own address)
      SOCKET_CONNECTS_PER_MINUTE: '1000000', SOCKET_MAX_PER_ADDRESS: '1000000' });
    const hubEmitAt = new Map<string, number>();
    app = await createApp({
      config,
      log: pino({ level: 'silent' }),
      onRelayed: (e) => hubEmitAt.set(keyOf(e.order.id, e.order.version), performance.now()),
    });
    const port = await app.listen(0, '127.0.0.1');
    const base = `http://127.0.0.1:${port}`;
    const http = new Http(base);

    // one login per shop and role; every socket of a shop reuses its cookie
    const shops: Shop[] = [];
    for (const s of shopRows) {
      shops.push({
        id: s.id,
        slug: s.slug,
        kitchenCookie: await http.login(`kitchen.${s.slug}@ocpizza.test`),
        counterCookie: await http.login(`counter.${s.slug}@ocpizza.test`),
        managerCookie: await http.login(`manager.${s.slug}@ocpizza.test`),
        screens: 0,
      });
    }

    let orderSeq = 0;
    const orderBody = (shop: Shop) => {
      orderSeq++;
      const items = [{ productId: pizzas[orderSeq % pizzas.length], quantity: 1 + (orderSeq % 2) }];
      if (orderSeq % 3 === 0 && drinks.length) items.push({ productId: drinks[orderSeq % drinks.length], quantity: 1 });
      return {
        pizzeriaId: shop.id,
        channel: 'online',
        fulfilment: 'pickup',
        customer: { name: `Client ${orderSeq}`, phone: '06 12 34 56 78' },
        items,
        payment: 'on_delivery',
      };
    };

    // the orders customers follow: placed before the sockets connect, advanced during the run
    const tracked: OpenOrder[] = [];
    const trackingPerShop = spread(N_TRACKING, shops.length);
    const tokens: { token: string; order: OpenOrder }[] = [];
    for (const [i, shop] of shops.entries()) {
      for (let j = 0; j < trackingPerShop[i]; j++) {
        const r = await http.post('/api/orders', orderBody(shop));
        if (r.status !== 201) throw new Error(`placing a tracked order failed: ${r.status} ${JSON.stringify(r.body)}`);
        const o: OpenOrder = { id: r.body.id, version: r.body.version, status: r.body.status, shop, tracking: 1, busy: false };
        tracked.push(o);
        tokens.push({ token: r.body.trackingToken, order: o });
      }
    }
    // let the hub relay those before anyone listens, so no socket sees events from the set-up
    const { rows: lastRow } = await setupPool.query<{ last: number | null }>('SELECT max(id)::int AS last FROM order_events');
    const settleBy = Date.now() + 10_000;
    while (app.hub.relay.deliveredUpTo < (lastRow[0].last ?? 0) && Date.now() < settleBy) await sleep(20);

    // connect the screens
    const rec: Receipts = { byKey: new Map(), duplicates: 0, disconnects: 0 };
    const kitchenPerShop = spread(N_KITCHEN, shops.length);
    const managerPerShop = spread(N_MANAGER, shops.length);
    const tasks: (() => Promise<ClientSocket>)[] = [];
    for (const [i, shop] of shops.entries()) {
      for (let j = 0; j < kitchenPerShop[i]; j++)
        tasks.push(async () => {
          const s = await connect(base, { cookie: shop.kitchenCookie }, rec);
          sockets.push(s);
          await subscribe(s, { scope: 'kitchen' });
          shop.screens++;
          return s;
        });
      for (let j = 0; j < managerPerShop[i]; j++)
        tasks.push(async () => {
          const s = await connect(base, { cookie: shop.managerCookie }, rec);
          sockets.push(s);
          await subscribe(s, { scope: 'shop' });
          shop.screens++;
          return s;
        });
    }
    for (const t of tokens)
      tasks.push(async () => {
        const s = await connect(base, { trackingToken: t.token }, rec);
        sockets.push(s);
        await subscribe(s, { scope: 'order' });
        return s;
      });
    const connectStart = performance.now();
    await inBatches(tasks, CONNECT_BATCH);
    say(
      `sockets: ${sockets.length} connected and subscribed in ${((performance.now() - connectStart) / 1000).toFixed(1)} s ` +
        `(${N_KITCHEN} kitchen, ${N_MANAGER} manager, ${N_TRACKING} tracking over ${shops.length} shops)`,
    );
    await sleep(500);

    // ---------- the moves ----------
    const totalMoves = Math.round(SECONDS * RATE);
    const interval = 1000 / RATE;
    const moves: Move[] = [];
    const apiTimes: number[] = [];
    const failures: string[] = [];
    let placed = 0;
    let advanced = 0;
    let inFlight = 0;
    let maxInFlight = 0;
    let shopTurn = 0;
    const idle: OpenOrder[] = []; // untracked orders waiting for their next move, oldest first
    let trackedTurn = 0;
    const trackedEvery = N_TRACKING ? Math.max(1, Math.floor(totalMoves / (tracked.length * 3))) : 0;

    async function advance(o: OpenOrder) {
      const to = NEXT[o.status]!;
      const cookie = to === 'collected' ? o.shop.counterCookie : o.shop.kitchenCookie;
      o.busy = true;
      const sentAt = performance.now();
      // a pickup handed over with money owed says how the customer paid
      const r = await http.post(`/api/orders/${o.id}/status`, { to, version: o.version, ...(to === 'collected' ? { paymentMethod: 'cash' } : {}) }, cookie);
      o.busy = false;
      if (r.status !== 200) {
        failures.push(`${to}: ${r.status} ${JSON.stringify(r.body)}`);
        return;
      }
      o.version = r.body.version;
      o.status = r.body.status;
      advanced++;
      moves.push({ key: keyOf(r.body.id, r.body.version), expected: o.shop.screens + o.tracking, sentAt, answeredAt: r.answeredAt });
      apiTimes.push(r.answeredAt - sentAt);
      if (!o.tracking && NEXT[o.status]) idle.push(o);
    }

    async function place() {
      const shop = shops[shopTurn++ % shops.length];
      const sentAt = performance.now();
      const r = await http.post('/api/orders', orderBody(shop));
      if (r.status !== 201) {
        failures.push(`place: ${r.status} ${JSON.stringify(r.body)}`);
        return;
      }
      placed++;
      moves.push({ key: keyOf(r.body.id, r.body.version), expected: shop.screens, sentAt, answeredAt: r.answeredAt });
      apiTimes.push(r.answeredAt - sentAt);
      idle.push({ id: r.body.id, version: r.body.version, status: r.body.status, shop, tracking: 0, busy: false });
    }

    function nextTracked(): OpenOrder | undefined {
      for (let k = 0; k < tracked.length; k++) {
        const o = tracked[(trackedTurn + k) % tracked.length];
        if (!o.busy && NEXT[o.status]) {
          trackedTurn = (trackedTurn + k + 1) % tracked.length;
          return o;
        }
      }
      return undefined;
    }

    function oneMove(i: number): Promise<void> {
      if (trackedEvery && i % trackedEvery === 0) {
        const o = nextTracked();
        if (o) return advance(o);
      }
      if (idle.length >= OPEN_ORDERS) return advance(idle.shift()!);
      return place();
    }

    const LOOP_RES_MS = 5; // the histogram includes the sampling interval: subtract it
    const loopDelay = monitorEventLoopDelay({ resolution: LOOP_RES_MS });
    loopDelay.enable();
    const cpuBefore = process.cpuUsage();
    const pending = new Set<Promise<void>>();
    const runStart = performance.now();
    for (let i = 0; i < totalMoves; i++) {
      const due = runStart + i * interval;
      const wait = due - performance.now();
      if (wait > 1) await sleep(wait);
      const p = oneMove(i)
        .catch((err) => void failures.push(`error: ${(err as Error).message}`))
        .finally(() => {
          inFlight--;
          pending.delete(p);
        });
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      pending.add(p);
    }
    await Promise.all([...pending]);
    const runSeconds = (performance.now() - runStart) / 1000;
    const cpu = process.cpuUsage(cpuBefore);
    loopDelay.disable();
    await sleep(GRACE_MS); // stragglers

    // ---------- counting ----------
    let expected = 0;
    let received = 0;
    const latencies: number[] = [];
    const hubLags: number[] = [];
    const moveKeys = new Set<string>();
    for (const m of moves) {
      moveKeys.add(m.key);
      expected += m.expected;
      const times = rec.byKey.get(m.key) ?? [];
      received += Math.min(times.length, m.expected);
      for (const t of times) latencies.push(t - m.answeredAt);
      const emitted = hubEmitAt.get(m.key);
      if (emitted !== undefined) hubLags.push(emitted - m.answeredAt);
    }
    let unexpected = 0;
    for (const [k, times] of rec.byKey) if (!moveKeys.has(k)) unexpected += times.length;
    let over = 0;
    for (const m of moves) over += Math.max(0, (rec.byKey.get(m.key)?.length ?? 0) - m.expected);
    const lost = expected - received;
    const lat = summary(latencies);
    const api = summary(apiTimes);
    const hub = summary(hubLags);
    const negative = latencies.filter((v) => v < 0).length;

    say('');
    say(`moves:                 ${moves.length} in ${runSeconds.toFixed(1)} s (target ${RATE}/s for ${SECONDS} s: ${placed} orders placed, ${advanced} status changes; ${failures.length} failed)`);
    say(`events expected:       ${expected}`);
    say(`events received:       ${received}`);
    say(`events lost:           ${lost}`);
    say(`duplicate deliveries:  ${rec.duplicates}`);
    say(`unexpected deliveries: ${unexpected + over} (events no socket there should have got)`);
    say(`socket disconnects:    ${rec.disconnects}`);
    say(`latency (socket receipt - API answer): p50 ${ms(lat.p50)}, p99 ${ms(lat.p99)}, max ${ms(lat.max)} (min ${ms(lat.min)}; ${negative} before the API answer)`);
    say(`hub emit - API answer: p50 ${ms(hub.p50)}, p99 ${ms(hub.p99)}, max ${ms(hub.max)}`);
    say(`API answer time:       p50 ${ms(api.p50)}, p99 ${ms(api.p99)}, max ${ms(api.max)} (at most ${maxInFlight} requests in flight)`);
    const eld = (ns: number) => ms(Math.max(0, ns / 1e6 - LOOP_RES_MS));
    say(`event loop delay:      p50 ${eld(loopDelay.percentile(50))}, p99 ${eld(loopDelay.percentile(99))}, max ${eld(loopDelay.max)}`);
    say(`process CPU:           ${(((cpu.user + cpu.system) / 1e6 / runSeconds) * 100).toFixed(0)}% of one core during the moves (clients and server share it)`);
    say(`peak RSS:              ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`);
    if (failures.length) say(`first failures: ${failures.slice(0, 5).join(' | ')}`);
    if (lost > 0 || failures.length) failed = true;
  } finally {
    for (const s of sockets) s.disconnect();
    sockets = [];
    await app?.close().catch((err) => say(`closing the app: ${(err as Error).message}`));
    await setupPool?.end().catch(() => {});
    await dropBenchData(admin, dbName, queuePrefix);
    await admin.end();
    say(`cleaned up: sockets closed, server stopped, database ${dbName} dropped`);
  }
  return failed;
}

main().then(
  (failed) => process.exit(failed ? 1 : 0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
