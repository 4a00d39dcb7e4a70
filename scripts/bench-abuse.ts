// Abuse benchmark (not a test): do normal screens stay live while one hostile client floods the hub?
//
//   npm run bench:abuse
//
// It creates its own database (dropped at the end) and runs, twice, the API + Socket.io hub as a
// process of its own: once with only normal screens, once with a hostile client beside them. The
// normal screens are 500 sockets, each from its own address (forwarded by a trusted proxy, as
// behind a load balancer): per shop 4 kitchen tablets and 3 manager screens, 5 head-office screens,
// and customers each following their order. This process makes a steady flow of order moves
// through the HTTP API and measures, for each move, when every screen that should see it received
// it. The hostile client (another process, one address) opens connections as fast as it can and
// floods each with subscribes to made-up shops and replays from the first event.
//
// Then, with the order and message limits at their defaults (the runs above raise them: their 460
// orders come from one phone), the workers in this process sending to a mail server and an SMS
// gateway of its own: hoarding (unpaid online orders trying to take a 60-dough shop off sale, from one
// client and from many) and relay (60 orders to one victim's email and phone in a minute from one
// address, each cancelled: what reaches the victim).
// SMS pumping: sign-in codes asked for by the dozen from a few addresses, to far-away ranges and to
// one French range: requests made, texts sent.
// Far-slot hoarding: pickups paid at the door for a slot six days ahead trying to take a 60-dough
// shop off sale (one client, then ten); whether an honest customer still orders soon and for tomorrow.
//
// Knobs (environment): BENCH_SECONDS (30), BENCH_RATE moves/s (40), BENCH_TRACKING (460), BENCH_ONLY
// (hub | limits: one part only),
// BENCH_HOSTILE_NICE (19: the hostile process's niceness, as if it ran on a machine of its own),
// BENCH_DATABASE_BASE_URL (postgres://postgres@127.0.0.1:5432), REDIS_URL.
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeSync } from 'node:fs';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import pg from 'pg';
import pino from 'pino';
import { io as ioClient, type Socket } from 'socket.io-client';
import { migrate } from '../db/migrate-runner.ts';
import { seed } from '../db/seed-data.ts';
import { BASE_DB, REDIS_URL, cpuSeconds, dropBenchData, peakRssMiB, percentile, say, sleep } from './bench-common.ts';
import { benchPool, portOf, startChild } from './bench-abuse-procs.ts';
import { runLimits, sayLimits, type LimitsRun } from './bench-abuse-limits.ts';
import type { ClientToServerEvents, ServerToClientEvents, SubscribeRequest } from '../src/lib/realtime/contract.ts';

type ClientSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

const num = (name: string, dflt: number) => {
  const raw = process.env[name];
  const n = raw ? Number(raw) : dflt;
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number, got "${raw}"`);
  return n;
};
const SECONDS = num('BENCH_SECONDS', 30);
const RATE = num('BENCH_RATE', 40);
const N_TRACKING = Math.floor(num('BENCH_TRACKING', 460));
// the attacker's own CPU is not the server's in production: here it shares 2 cores with the server,
// Postgres and the screens, so it runs at a lower priority (it still floods with whatever is left);
// BENCH_HOSTILE_NICE=0 makes it compete as an equal
const HOSTILE_NICE = Number(process.env.BENCH_HOSTILE_NICE ?? 19);

// ---------- the server, as a process of its own ----------

async function serve() {
  const { createApp } = await import('../server/app.ts');
  const { parseConfig } = await import('../src/lib/server/kernel/config.ts');
  // the hub runs place hundreds of orders from one phone; the limits run keeps every default
  const raised = process.env.BENCH_DEFAULT_LIMITS === 'true' ? {} : { RATE_LIMIT_ORDERS: '1000000', ORDERS_PER_CONTACT_PER_HOUR: '1000000' };
  const config = parseConfig({ ...process.env, LOG_LEVEL: 'silent', ...raised });
  const app = await createApp({ config, log: pino({ level: 'silent' }) });
  const port = await app.listen(0, '127.0.0.1');
  // how long the server's event loop was held up: whether the server itself kept up
  const loop = monitorEventLoopDelay({ resolution: 10 });
  process.on('message', (m: { type?: string }) => {
    if (m.type === 'loop-start') loop.enable();
    if (m.type === 'loop-report') {
      loop.disable();
      process.send?.({ loopP50: loop.percentile(50) / 1e6, loopP99: loop.percentile(99) / 1e6, loopMax: loop.max / 1e6 });
    }
  });
  process.send?.({ port });
  process.on('SIGTERM', () => void app.close(2000).then(() => process.exit(0)));
}

// ---------- the hostile client, as a process of its own ----------

async function hostile() {
  const base = process.env.BENCH_BASE!;
  const token = process.env.BENCH_TOKEN!;
  const until = Date.now() + SECONDS * 1000;
  const stats = { attempts: 0, connected: 0, refused: 0, calls: 0, refusedCalls: 0, disconnected: 0 };
  const headers = { 'x-forwarded-for': '198.51.100.66' };
  async function one(): Promise<void> {
    stats.attempts++;
    const s: ClientSocket = ioClient(base, { transports: ['websocket'], extraHeaders: headers, reconnection: false, auth: { trackingToken: token }, timeout: 5000 });
    const up = await new Promise<boolean>((resolve) => {
      s.once('connect', () => resolve(true));
      s.once('connect_error', () => resolve(false));
    });
    if (!up) {
      stats.refused++;
      s.close();
      return;
    }
    stats.connected++;
    const down = new Promise<void>((resolve) => s.once('disconnect', () => (stats.disconnected++, resolve())));
    // as fast as the socket lets it: made-up shops and replays of everything
    for (let i = 0; i < 2000 && s.connected && Date.now() < until; i++) {
      const req: SubscribeRequest = i % 2 ? { scope: 'menu', pizzeriaId: 100_000 + i } : { scope: 'order', lastEventId: 0 };
      stats.calls++;
      s.emit('subscribe', req, (ack) => {
        if ('error' in ack) stats.refusedCalls++;
      });
      if (i % 50 === 49) await sleep(0);
    }
    await Promise.race([down, sleep(1000)]);
    s.close();
  }
  const lanes = Array.from({ length: 20 }, async () => {
    while (Date.now() < until) await one().catch(() => {});
  });
  await Promise.all(lanes);
  process.send?.(stats);
}

// ---------- the normal screens and the moves ----------

interface Run {
  label: string;
  p50: number;
  p99: number;
  max: number;
  expected: number;
  received: number;
  lost: number;
  duplicates: number;
  peakMiB: number;
  /** The move's own HTTP answer time: the write path, which every delivery waits for. */
  apiP50: number;
  apiP99: number;
  /** The server's CPU use during the moves, in cores. */
  serverCpu: number;
  /** The server's event loop delay during the moves, ms. */
  loopP50: number;
  loopP99: number;
  loopMax: number;
  moves: number;
  hostile?: Record<string, number>;
}

async function runOnce(dbUrl: string, queuePrefix: string, withHostile: boolean): Promise<Run> {
  const label = withHostile ? 'with a hostile client' : 'normal screens only';
  say(`\n-- ${label}`);
  const pool = benchPool(dbUrl, 4, 'moves');
  const server = startChild(['--serve'], { DATABASE_URL: dbUrl, REDIS_URL, QUEUE_PREFIX: queuePrefix, NODE_ENV: 'test' });
  const run = new HubRun(`http://127.0.0.1:${await portOf(server)}`);
  const { shops, cookies, admin } = await run.signIn(pool);
  const orders = await run.placeTracked(shops, (await pool.query<{ id: number }>(`SELECT id FROM products WHERE category = 'pizza' ORDER BY id LIMIT 1`)).rows[0].id);
  await run.openScreens(shops, cookies, admin, orders);

  let hostileChild: ChildProcess | undefined;
  let hostileStats: Promise<Record<string, number>> | undefined;
  if (withHostile) {
    hostileChild = startChild(['--hostile'], { BENCH_BASE: run.base, BENCH_TOKEN: orders[0].token, BENCH_SECONDS: String(SECONDS) }, HOSTILE_NICE);
    hostileStats = new Promise((resolve) => hostileChild!.once('message', (m: Record<string, number>) => resolve(m)));
  }

  const start = performance.now();
  const cpuAtStart = cpuSeconds(server.pid!);
  server.send({ type: 'loop-start' });
  const moves = await run.move(orders, cookies, start);
  const serverCpu = (cpuSeconds(server.pid!) - cpuAtStart) / ((performance.now() - start) / 1000);
  const loop = new Promise<{ loopP50: number; loopP99: number; loopMax: number }>((resolve) => server.once('message', resolve));
  server.send({ type: 'loop-report' });
  const serverLoop = await loop;
  const settleBy = performance.now() + 10_000;
  while (run.received < run.expected && performance.now() < settleBy) await sleep(50);
  const hostileResult = hostileStats ? await hostileStats : undefined;
  const peakMiB = peakRssMiB(server.pid!);
  for (const s of run.sockets) s.close();
  server.kill('SIGTERM');
  await new Promise((resolve) => server.once('exit', resolve));
  hostileChild?.kill();
  await pool.end();
  const { expected, received, duplicates } = run;
  const sorted = run.latencies.sort((a, b) => a - b);
  const answers = run.answerTimes.sort((a, b) => a - b);
  return {
    label, moves, expected, received, duplicates, lost: expected - received, peakMiB,
    apiP50: percentile(answers, 50), apiP99: percentile(answers, 99), serverCpu, ...serverLoop,
    p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted.at(-1) ?? NaN, hostile: hostileResult,
  };
}

interface Tracked { id: string; token: string; shop: number; version: number; status: string }
type Cookies = Map<number, { kitchen: string; manager: string }>;
type Auth = { cookie?: string; trackingToken?: string };

/** The kitchen of each order's shop bumps it along. */
const NEXT: Record<string, string> = { received: 'preparing', preparing: 'ready', ready: 'collected' };

/** One run against the server at `base`: the normal screens, each from its own address, and the moves, with who should see what. */
class HubRun {
  readonly base: string;
  addressSeq = 0;
  /** key order:version → when the move was sent */
  readonly sentAt = new Map<string, number>();
  readonly latencies: number[] = [];
  readonly answerTimes: number[] = [];
  received = 0;
  duplicates = 0;
  expected = 0;
  readonly sockets: ClientSocket[] = [];
  readonly watchers: { shop: number | null; order: string | null }[] = [];

  constructor(base: string) {
    this.base = base;
  }

  nextAddress() {
    this.addressSeq++;
    const n = this.addressSeq;
    return `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
  }

  async post(path: string, body: unknown, cookie?: string) {
    const res = await fetch(this.base + path, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': this.nextAddress(), ...(cookie ? { cookie } : {}) },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as any, cookie: res.headers.get('set-cookie')?.split(';')[0] };
  }

  async login(email: string) {
    return (await this.post('/api/auth/login', { email, password: process.env.BENCH_PASSWORD })).cookie!;
  }

  async signIn(pool: pg.Pool) {
    const shops = (await pool.query<{ id: number; slug: string }>('SELECT id, slug FROM pizzerias ORDER BY id')).rows;
    const cookies: Cookies = new Map();
    for (const s of shops) cookies.set(s.id, { kitchen: await this.login(`kitchen.${s.slug}@ocpizza.test`), manager: await this.login(`manager.${s.slug}@ocpizza.test`) });
    const admin = await this.login('admin@ocpizza.test');
    return { shops, cookies, admin };
  }

  /** The tracked orders, placed before the clock starts. */
  async placeTracked(shops: { id: number }[], pizza: number): Promise<Tracked[]> {
    const orders: Tracked[] = [];
    for (let i = 0; i < N_TRACKING; i++) {
      const shop = shops[i % shops.length].id;
      const r = await this.post('/api/orders', {
        pizzeriaId: shop, fulfilment: 'pickup', customer: { name: 'Client Test', phone: '06 12 34 56 78' },
        items: [{ productId: pizza, quantity: 1 }], payment: 'on_delivery',
      });
      if (r.status !== 201) throw new Error(`placing an order: ${r.status} ${JSON.stringify(r.body)}`);
      orders.push({ id: r.body.id, token: r.body.trackingToken, shop, version: r.body.version, status: r.body.status });
    }
    return orders;
  }

  /** A screen subscribed, counting what it receives of the measured moves. */
  screen(auth: Auth, sub: SubscribeRequest) {
    return new Promise<void>((resolve, reject) => {
      const s: ClientSocket = ioClient(this.base, {
        transports: ['websocket'],
        extraHeaders: { 'x-forwarded-for': this.nextAddress(), ...(auth.cookie ? { cookie: auth.cookie } : {}) },
        auth: auth.trackingToken ? { trackingToken: auth.trackingToken } : {},
      });
      const seen = new Set<string>();
      s.on('order:updated', (e) => {
        const key = `${e.order.id}:${e.order.version}`;
        const t0 = this.sentAt.get(key);
        if (t0 === undefined) return; // not a move of the measured window
        if (seen.has(key)) return void this.duplicates++;
        seen.add(key);
        this.received++;
        this.latencies.push(performance.now() - t0);
      });
      s.once('connect', () => s.emit('subscribe', sub, (ack) => ('error' in ack ? reject(new Error(ack.error.message)) : resolve())));
      s.once('connect_error', reject);
      this.sockets.push(s);
    });
  }

  /** Per shop 4 kitchen tablets and 3 manager screens, 5 head-office screens, and each tracked order's customer. */
  async openScreens(shops: { id: number }[], cookies: Cookies, admin: string, orders: Tracked[]) {
    const batch: Promise<void>[] = [];
    const add = (auth: Auth, sub: SubscribeRequest, watcher: { shop: number | null; order: string | null }) => {
      batch.push(this.screen(auth, sub));
      this.watchers.push(watcher);
    };
    for (const s of shops) {
      const c = cookies.get(s.id)!;
      for (let i = 0; i < 4; i++) add({ cookie: c.kitchen }, { scope: 'kitchen' }, { shop: s.id, order: null });
      for (let i = 0; i < 3; i++) add({ cookie: c.manager }, { scope: 'shop' }, { shop: s.id, order: null });
    }
    for (let i = 0; i < 5; i++) add({ cookie: admin }, { scope: 'hq' }, { shop: null, order: null });
    for (let i = 0; i < orders.length; i++) {
      add({ trackingToken: orders[i].token }, { scope: 'order' }, { shop: null, order: orders[i].id });
      if (batch.length >= 50) await Promise.all(batch.splice(0));
    }
    await Promise.all(batch);
    say(`${this.sockets.length} normal screens subscribed`);
  }

  receiversOf(o: Tracked) {
    return this.watchers.filter((w) => (w.order === null && (w.shop === null || w.shop === o.shop)) || w.order === o.id).length;
  }

  /** The moves, at RATE per second for SECONDS from `start`: how many were sent. */
  async move(orders: Tracked[], cookies: Cookies, start: number): Promise<number> {
    let moves = 0;
    const inflight: Promise<void>[] = [];
    let cursor = 0;
    for (let i = 0; performance.now() - start < SECONDS * 1000; i++) {
      const due = start + (i * 1000) / RATE;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      let o: Tracked | undefined;
      for (let k = 0; k < orders.length && !o; k++) {
        const c = orders[(cursor + k) % orders.length];
        if (NEXT[c.status]) o = c;
      }
      if (!o) break;
      cursor = (orders.indexOf(o) + 1) % orders.length;
      const to = NEXT[o.status];
      o.status = to;
      o.version++;
      this.sentAt.set(`${o.id}:${o.version}`, performance.now());
      this.expected += this.receiversOf(o);
      moves++;
      const order = o;
      const sent = performance.now();
      inflight.push(
        // a pickup handed over says how the customer paid at the counter (they owed it)
        this.post(`/api/orders/${order.id}/status`, { to, version: order.version - 1, ...(to === 'collected' ? { paymentMethod: 'cash' } : {}) }, cookies.get(order.shop)!.kitchen).then((r) => {
          if (r.status !== 200) throw new Error(`move ${to}: ${r.status} ${JSON.stringify(r.body)}`);
          this.answerTimes.push(performance.now() - sent);
        }),
      );
    }
    await Promise.all(inflight);
    return moves;
  }
}

async function main() {
  const suffix = `${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  const dbName = `ocpizza_abuse_${suffix}`;
  const admin = new pg.Client({ connectionString: `${BASE_DB}/postgres` });
  await admin.connect();
  const password = randomBytes(12).toString('base64url');
  process.env.BENCH_PASSWORD = password;
  const runs: Run[] = [];
  const only = process.env.BENCH_ONLY;
  let limits: LimitsRun | undefined;
  try {
    for (const withHostile of only === 'limits' ? [] : [false, true]) {
      const name = `${dbName}_${withHostile ? 'h' : 'n'}`;
      await admin.query(`CREATE DATABASE ${name}`);
      const url = `${BASE_DB}/${name}`;
      const queuePrefix = `ocpizza_abuse_${suffix}_${withHostile ? 'h' : 'n'}`;
      try {
        await migrate(url);
        const pool = benchPool(url, 2, 'seed');
        await seed(pool, password);
        await pool.query('UPDATE stock SET on_hand = 1000000');
        await pool.end();
        runs.push(await runOnce(url, queuePrefix, withHostile));
      } finally {
        await dropBenchData(admin, name, queuePrefix);
      }
    }
    if (only !== 'hub') {
      const name = `${dbName}_l`;
      const queuePrefix = `ocpizza_abuse_${suffix}_l`;
      await admin.query(`CREATE DATABASE ${name}`);
      try {
        const url = `${BASE_DB}/${name}`;
        await migrate(url);
        const pool = benchPool(url, 2, 'seed');
        await seed(pool, password);
        await pool.end();
        limits = await runLimits(url, queuePrefix).catch((err) => {
          writeSync(2, `the limits run failed: ${(err as Error).stack}\n`);
          throw err;
        });
      } finally {
        await dropBenchData(admin, name, queuePrefix);
      }
    }
  } finally {
    await admin.end();
  }
  const f = (v: number) => (Number.isFinite(v) ? v.toFixed(1) : 'n/a');
  if (limits) sayLimits(limits);
  if (!runs.length) process.exit(0);
  say(`\nOC Pizza Live: abuse benchmark, ${SECONDS} s at ${RATE} moves/s, ${N_TRACKING + 40} normal screens`);
  say('Latency: from the move sent through the API to each screen\'s receipt (it includes the API\'s own answer time, shown apart).');
  say('| run | moves | deliveries expected | received | lost | duplicates | p50 ms | p99 ms | max ms | API answer p50 / p99 ms | server CPU | server event loop delay p99 / max ms | server peak RSS MiB |');
  say('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const r of runs) {
    say(`| ${r.label} | ${r.moves} | ${r.expected} | ${r.received} | ${r.lost} | ${r.duplicates} | ${f(r.p50)} | ${f(r.p99)} | ${f(r.max)} | ${f(r.apiP50)} / ${f(r.apiP99)} | ${Math.round(r.serverCpu * 100)}% of a core | ${f(r.loopP99)} / ${f(r.loopMax)} | ${f(r.peakMiB)} |`);
  }
  const h = runs.find((r) => r.hostile)?.hostile;
  if (h) {
    say(`hostile client (nice ${HOSTILE_NICE}): ${h.attempts} connection attempts, ${h.connected} let in, ${h.refused} refused at the handshake; ` +
      `${h.calls} subscribe calls sent, ${h.refusedCalls} refused; disconnected by the server ${h.disconnected} times`);
  }
  process.exit(runs.some((r) => r.lost > 0 || r.duplicates > 0) ? 1 : 0);
}

const mode = process.argv[2];
if (mode === '--serve') await serve();
else if (mode === '--hostile') await hostile();
else await main();
