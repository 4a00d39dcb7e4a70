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
import { migrate } from '../db/migrate-runner.ts';
import { BASE_DB, REDIS_URL, dropBenchData, percentile, say, sleep } from './bench-common.ts';
import { connect, Http, inBatches, keyOf, spread, subscribe, type ClientSocket, type Receipts } from './bench-live-clients.ts';
import { seed } from '../db/seed-data.ts';
import { PIZZERIAS } from '../db/catalogue.ts';
import { createApp, type App } from '../server/app.ts';
import { parseConfig } from '../src/lib/server/kernel/config.ts';
import type { OrderStatus } from '../src/lib/domain/order-states.ts';

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

async function main(): Promise<boolean> {
  say(`OC Pizza Live: live-update benchmark`);
  say(`database ${dbName}, queue prefix ${queuePrefix}`);

  const admin = new pg.Client({ connectionString: `${BASE_DB}/postgres` });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${dbName}`);
  let app: { app: App; port: number } | undefined;
  const sockets: ClientSocket[] = [];
  let setupPool: pg.Pool | undefined;
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

    const hubEmitAt = new Map<string, number>();
    app = await startApp(hubEmitAt);
    const base = `http://127.0.0.1:${app.port}`;
    const http = new Http(base, password);
    const shops = await signIn(http, shopRows);
    const orderBody = orderMaker(pizzas, drinks);
    const tracked = await placeTracked(http, shops, orderBody);
    // let the hub relay those before anyone listens, so no socket sees events from the set-up
    const { rows: lastRow } = await setupPool.query<{ last: number | null }>('SELECT max(id)::int AS last FROM order_events');
    const settleBy = Date.now() + 10_000;
    while (app.app.hub.relay.deliveredUpTo < (lastRow[0].last ?? 0) && Date.now() < settleBy) await sleep(20);

    const rec: Receipts = { byKey: new Map(), duplicates: 0, disconnects: 0 };
    await connectScreens(base, shops, tracked.map((t) => t.token), rec, sockets);
    await sleep(500);

    const run = new MoveRun(http, shops, tracked.map((t) => t.order), orderBody);
    const done = await run.run();
    await sleep(GRACE_MS); // stragglers
    return report(run, done, rec, hubEmitAt);
  } finally {
    for (const s of sockets.splice(0)) s.disconnect();
    await app?.app.close().catch((err) => say(`closing the app: ${(err as Error).message}`));
    await setupPool?.end().catch(() => {});
    await dropBenchData(admin, dbName, queuePrefix);
    await admin.end();
    say(`cleaned up: sockets closed, server stopped, database ${dbName} dropped`);
  }
}

/** The API and the hub in this process, telling when the hub emitted each event. */
async function startApp(hubEmitAt: Map<string, number>): Promise<{ app: App; port: number }> {
  const config = parseConfig({ ...process.env, DATABASE_URL: benchUrl, REDIS_URL, LOG_LEVEL: 'silent', QUEUE_PREFIX: queuePrefix, RATE_LIMIT_ORDERS: '1000000',
    // every screen of this benchmark comes from 127.0.0.1 (bench:abuse gives each its own address)
    SOCKET_CONNECTS_PER_MINUTE: '1000000', SOCKET_MAX_PER_ADDRESS: '1000000' });
  const app = await createApp({
    config,
    log: pino({ level: 'silent' }),
    onRelayed: (e) => hubEmitAt.set(keyOf(e.order.id, e.order.version), performance.now()),
  });
  const port = await app.listen(0, '127.0.0.1');
  return { app, port };
}

/** One login per shop and role; every socket of a shop reuses its cookie. */
async function signIn(http: Http, shopRows: { id: number; slug: string }[]): Promise<Shop[]> {
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
  return shops;
}

type OrderBody = (shop: Shop) => object;

/** A new order's body each call: a pizza or two, a drink every third order, to pick up. */
function orderMaker(pizzas: number[], drinks: number[]): OrderBody {
  let orderSeq = 0;
  return (shop: Shop) => {
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
}

/** The orders customers follow: placed before the sockets connect, advanced during the run. */
async function placeTracked(http: Http, shops: Shop[], orderBody: OrderBody): Promise<{ token: string; order: OpenOrder }[]> {
  const tokens: { token: string; order: OpenOrder }[] = [];
  const trackingPerShop = spread(N_TRACKING, shops.length);
  for (const [i, shop] of shops.entries()) {
    for (let j = 0; j < trackingPerShop[i]; j++) {
      const r = await http.post('/api/orders', orderBody(shop));
      if (r.status !== 201) throw new Error(`placing a tracked order failed: ${r.status} ${JSON.stringify(r.body)}`);
      const o: OpenOrder = { id: r.body.id, version: r.body.version, status: r.body.status, shop, tracking: 1, busy: false };
      tokens.push({ token: r.body.trackingToken, order: o });
    }
  }
  return tokens;
}

/** The screens: kitchens and managers per shop, a tracking page per followed order, connected and subscribed in batches. */
async function connectScreens(base: string, shops: Shop[], tokens: string[], rec: Receipts, sockets: ClientSocket[]) {
  const kitchenPerShop = spread(N_KITCHEN, shops.length);
  const managerPerShop = spread(N_MANAGER, shops.length);
  const tasks: (() => Promise<ClientSocket>)[] = [];
  const screen = (shop: Shop, cookie: string, scope: 'kitchen' | 'shop') => async () => {
    const s = await connect(base, { cookie }, rec);
    sockets.push(s);
    await subscribe(s, { scope });
    shop.screens++;
    return s;
  };
  for (const [i, shop] of shops.entries()) {
    for (let j = 0; j < kitchenPerShop[i]; j++) tasks.push(screen(shop, shop.kitchenCookie, 'kitchen'));
    for (let j = 0; j < managerPerShop[i]; j++) tasks.push(screen(shop, shop.managerCookie, 'shop'));
  }
  for (const token of tokens)
    tasks.push(async () => {
      const s = await connect(base, { trackingToken: token }, rec);
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
}

// ---------- the moves ----------

const LOOP_RES_MS = 5; // the histogram includes the sampling interval: subtract it

/** The steady flow of moves: new orders placed, untracked ones and now and then a tracked one advanced. */
class MoveRun {
  readonly http: Http;
  readonly shops: Shop[];
  readonly tracked: OpenOrder[];
  readonly orderBody: OrderBody;
  readonly totalMoves = Math.round(SECONDS * RATE);
  readonly moves: Move[] = [];
  readonly apiTimes: number[] = [];
  readonly failures: string[] = [];
  placed = 0;
  advanced = 0;
  maxInFlight = 0;
  shopTurn = 0;
  /** Untracked orders waiting for their next move, oldest first. */
  readonly idle: OpenOrder[] = [];
  trackedTurn = 0;
  readonly trackedEvery: number;

  constructor(http: Http, shops: Shop[], tracked: OpenOrder[], orderBody: OrderBody) {
    this.http = http;
    this.shops = shops;
    this.tracked = tracked;
    this.orderBody = orderBody;
    this.trackedEvery = N_TRACKING ? Math.max(1, Math.floor(this.totalMoves / (tracked.length * 3))) : 0;
  }

  async advance(o: OpenOrder) {
    const to = NEXT[o.status]!;
    const cookie = to === 'collected' ? o.shop.counterCookie : o.shop.kitchenCookie;
    o.busy = true;
    const sentAt = performance.now();
    // a pickup handed over with money owed says how the customer paid
    const r = await this.http.post(`/api/orders/${o.id}/status`, { to, version: o.version, ...(to === 'collected' ? { paymentMethod: 'cash' } : {}) }, cookie);
    o.busy = false;
    if (r.status !== 200) {
      this.failures.push(`${to}: ${r.status} ${JSON.stringify(r.body)}`);
      return;
    }
    o.version = r.body.version;
    o.status = r.body.status;
    this.advanced++;
    this.moves.push({ key: keyOf(r.body.id, r.body.version), expected: o.shop.screens + o.tracking, sentAt, answeredAt: r.answeredAt });
    this.apiTimes.push(r.answeredAt - sentAt);
    if (!o.tracking && NEXT[o.status]) this.idle.push(o);
  }

  async place() {
    const shop = this.shops[this.shopTurn++ % this.shops.length];
    const sentAt = performance.now();
    const r = await this.http.post('/api/orders', this.orderBody(shop));
    if (r.status !== 201) {
      this.failures.push(`place: ${r.status} ${JSON.stringify(r.body)}`);
      return;
    }
    this.placed++;
    this.moves.push({ key: keyOf(r.body.id, r.body.version), expected: shop.screens, sentAt, answeredAt: r.answeredAt });
    this.apiTimes.push(r.answeredAt - sentAt);
    this.idle.push({ id: r.body.id, version: r.body.version, status: r.body.status, shop, tracking: 0, busy: false });
  }

  nextTracked(): OpenOrder | undefined {
    const { tracked } = this;
    for (let k = 0; k < tracked.length; k++) {
      const o = tracked[(this.trackedTurn + k) % tracked.length];
      if (!o.busy && NEXT[o.status]) {
        this.trackedTurn = (this.trackedTurn + k + 1) % tracked.length;
        return o;
      }
    }
    return undefined;
  }

  oneMove(i: number): Promise<void> {
    if (this.trackedEvery && i % this.trackedEvery === 0) {
      const o = this.nextTracked();
      if (o) return this.advance(o);
    }
    if (this.idle.length >= OPEN_ORDERS) return this.advance(this.idle.shift()!);
    return this.place();
  }

  /** BENCH_RATE moves a second for BENCH_SECONDS, each started on time whatever the others wait for. */
  async run() {
    const interval = 1000 / RATE;
    let inFlight = 0;
    const loopDelay = monitorEventLoopDelay({ resolution: LOOP_RES_MS });
    loopDelay.enable();
    const cpuBefore = process.cpuUsage();
    const pending = new Set<Promise<void>>();
    const runStart = performance.now();
    for (let i = 0; i < this.totalMoves; i++) {
      const due = runStart + i * interval;
      const wait = due - performance.now();
      if (wait > 1) await sleep(wait);
      const p = this.oneMove(i)
        .catch((err) => void this.failures.push(`error: ${(err as Error).message}`))
        .finally(() => {
          inFlight--;
          pending.delete(p);
        });
      inFlight++;
      this.maxInFlight = Math.max(this.maxInFlight, inFlight);
      pending.add(p);
    }
    await Promise.all([...pending]);
    const runSeconds = (performance.now() - runStart) / 1000;
    const cpu = process.cpuUsage(cpuBefore);
    loopDelay.disable();
    return { runSeconds, cpu, loopDelay };
  }
}

/** What reached the sockets against what should have, and the times; whether anything was lost or failed. */
function report(run: MoveRun, done: Awaited<ReturnType<MoveRun['run']>>, rec: Receipts, hubEmitAt: Map<string, number>): boolean {
  const { moves, failures } = run;
  const { runSeconds, cpu, loopDelay } = done;
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
  const api = summary(run.apiTimes);
  const hub = summary(hubLags);
  const negative = latencies.filter((v) => v < 0).length;

  say('');
  say(`moves:                 ${moves.length} in ${runSeconds.toFixed(1)} s (target ${RATE}/s for ${SECONDS} s: ${run.placed} orders placed, ${run.advanced} status changes; ${failures.length} failed)`);
  say(`events expected:       ${expected}`);
  say(`events received:       ${received}`);
  say(`events lost:           ${lost}`);
  say(`duplicate deliveries:  ${rec.duplicates}`);
  say(`unexpected deliveries: ${unexpected + over} (events no socket there should have got)`);
  say(`socket disconnects:    ${rec.disconnects}`);
  say(`latency (socket receipt - API answer): p50 ${ms(lat.p50)}, p99 ${ms(lat.p99)}, max ${ms(lat.max)} (min ${ms(lat.min)}; ${negative} before the API answer)`);
  say(`hub emit - API answer: p50 ${ms(hub.p50)}, p99 ${ms(hub.p99)}, max ${ms(hub.max)}`);
  say(`API answer time:       p50 ${ms(api.p50)}, p99 ${ms(api.p99)}, max ${ms(api.max)} (at most ${run.maxInFlight} requests in flight)`);
  const eld = (ns: number) => ms(Math.max(0, ns / 1e6 - LOOP_RES_MS));
  say(`event loop delay:      p50 ${eld(loopDelay.percentile(50))}, p99 ${eld(loopDelay.percentile(99))}, max ${eld(loopDelay.max)}`);
  say(`process CPU:           ${(((cpu.user + cpu.system) / 1e6 / runSeconds) * 100).toFixed(0)}% of one core during the moves (clients and server share it)`);
  say(`peak RSS:              ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`);
  if (failures.length) say(`first failures: ${failures.slice(0, 5).join(' | ')}`);
  return lost > 0 || failures.length > 0;
}

main().then(
  (failed) => process.exit(failed ? 1 : 0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
