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
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import pg from 'pg';
import pino from 'pino';
import { io as ioClient, type Socket } from 'socket.io-client';
import { migrate } from '../db/migrate-runner.ts';
import { seed } from '../db/seed-data.ts';
import { BASE_DB, REDIS_URL, cpuSeconds, dropBenchData, peakRssMiB, percentile, say, sleep } from './bench-common.ts';
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

/** A pool of this process's own: a connection cut (a database dropped at the end) is said, not thrown. */
function benchPool(connectionString: string, max: number, name: string): pg.Pool {
  const pool = new pg.Pool({ connectionString, max });
  pool.on('error', (err) => writeSync(2, `(${name} pool: ${err.message})\n`));
  return pool;
}


// ---------- the server, as a process of its own ----------

async function serve() {
  const { createApp } = await import('../server/app.ts');
  const { parseConfig } = await import('../src/lib/server/config.ts');
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

function startChild(args: string[], env: Record<string, string>, niceness = 0): ChildProcess {
  const node = [process.execPath, '--import', 'tsx', 'scripts/bench-abuse.ts', ...args];
  return spawn(niceness ? 'nice' : node[0], niceness ? ['-n', String(niceness), ...node] : node.slice(1), {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
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
  const port = await new Promise<number>((resolve, reject) => {
    server.once('message', (m: { port: number }) => resolve(m.port));
    server.once('exit', (code) => reject(new Error(`server exited (${code})`)));
  });
  const base = `http://127.0.0.1:${port}`;
  let addressSeq = 0;
  const nextAddress = () => {
    addressSeq++;
    return `10.${(addressSeq >> 16) & 255}.${(addressSeq >> 8) & 255}.${addressSeq & 255}`;
  };
  async function post(path: string, body: unknown, cookie?: string) {
    const res = await fetch(base + path, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': nextAddress(), ...(cookie ? { cookie } : {}) },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as any, cookie: res.headers.get('set-cookie')?.split(';')[0] };
  }
  const login = async (email: string) => (await post('/api/auth/login', { email, password: process.env.BENCH_PASSWORD })).cookie!;

  const shops = (await pool.query<{ id: number; slug: string }>('SELECT id, slug FROM pizzerias ORDER BY id')).rows;
  const pizza = (await pool.query<{ id: number }>(`SELECT id FROM products WHERE category = 'pizza' ORDER BY id LIMIT 1`)).rows[0].id;
  const cookies = new Map<number, { kitchen: string; manager: string }>();
  for (const s of shops) cookies.set(s.id, { kitchen: await login(`kitchen.${s.slug}@ocpizza.test`), manager: await login(`manager.${s.slug}@ocpizza.test`) });
  const admin = await login('admin@ocpizza.test');

  // the tracked orders, placed before the clock starts
  interface Tracked { id: string; token: string; shop: number; version: number; status: string }
  const orders: Tracked[] = [];
  for (let i = 0; i < N_TRACKING; i++) {
    const shop = shops[i % shops.length].id;
    const r = await post('/api/orders', {
      pizzeriaId: shop, fulfilment: 'pickup', customer: { name: 'Client Test', phone: '06 12 34 56 78' },
      items: [{ productId: pizza, quantity: 1 }], payment: 'on_delivery',
    });
    if (r.status !== 201) throw new Error(`placing an order: ${r.status} ${JSON.stringify(r.body)}`);
    orders.push({ id: r.body.id, token: r.body.trackingToken, shop, version: r.body.version, status: r.body.status });
  }

  // who should see what: key order:version → time the move was sent, and receipts per screen
  const sentAt = new Map<string, number>();
  const latencies: number[] = [];
  const answerTimes: number[] = [];
  let received = 0;
  let duplicates = 0;
  let expected = 0;
  const sockets: ClientSocket[] = [];
  function screen(auth: { cookie?: string; trackingToken?: string }, sub: SubscribeRequest) {
    return new Promise<void>((resolve, reject) => {
      const s: ClientSocket = ioClient(base, {
        transports: ['websocket'],
        extraHeaders: { 'x-forwarded-for': nextAddress(), ...(auth.cookie ? { cookie: auth.cookie } : {}) },
        auth: auth.trackingToken ? { trackingToken: auth.trackingToken } : {},
      });
      const seen = new Set<string>();
      s.on('order:updated', (e) => {
        const key = `${e.order.id}:${e.order.version}`;
        const t0 = sentAt.get(key);
        if (t0 === undefined) return; // not a move of the measured window
        if (seen.has(key)) return void duplicates++;
        seen.add(key);
        received++;
        latencies.push(performance.now() - t0);
      });
      s.once('connect', () => s.emit('subscribe', sub, (ack) => ('error' in ack ? reject(new Error(ack.error.message)) : resolve())));
      s.once('connect_error', reject);
      sockets.push(s);
    });
  }
  const watchers: { shop: number | null; order: string | null }[] = [];
  const batch: Promise<void>[] = [];
  const add = (auth: { cookie?: string; trackingToken?: string }, sub: SubscribeRequest, watcher: (typeof watchers)[number]) => {
    batch.push(screen(auth, sub));
    watchers.push(watcher);
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
  say(`${sockets.length} normal screens subscribed`);
  const receiversOf = (o: Tracked) => watchers.filter((w) => (w.order === null && (w.shop === null || w.shop === o.shop)) || w.order === o.id).length;

  let hostileChild: ChildProcess | undefined;
  let hostileStats: Promise<Record<string, number>> | undefined;
  if (withHostile) {
    hostileChild = startChild(['--hostile'], { BENCH_BASE: base, BENCH_TOKEN: orders[0].token, BENCH_SECONDS: String(SECONDS) }, HOSTILE_NICE);
    hostileStats = new Promise((resolve) => hostileChild!.once('message', (m: Record<string, number>) => resolve(m)));
  }

  // the moves: the kitchen of each order's shop bumps it along, at RATE per second
  const NEXT: Record<string, string> = { received: 'preparing', preparing: 'ready', ready: 'collected' };
  let moves = 0;
  const inflight: Promise<void>[] = [];
  const start = performance.now();
  const cpuAtStart = cpuSeconds(server.pid!);
  server.send({ type: 'loop-start' });
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
    sentAt.set(`${o.id}:${o.version}`, performance.now());
    expected += receiversOf(o);
    moves++;
    const order = o;
    const sent = performance.now();
    inflight.push(
      // a pickup handed over says how the customer paid at the counter (they owed it)
      post(`/api/orders/${order.id}/status`, { to, version: order.version - 1, ...(to === 'collected' ? { paymentMethod: 'cash' } : {}) }, cookies.get(order.shop)!.kitchen).then((r) => {
        if (r.status !== 200) throw new Error(`move ${to}: ${r.status} ${JSON.stringify(r.body)}`);
        answerTimes.push(performance.now() - sent);
      }),
    );
  }
  await Promise.all(inflight);
  const serverCpu = (cpuSeconds(server.pid!) - cpuAtStart) / ((performance.now() - start) / 1000);
  const loop = new Promise<{ loopP50: number; loopP99: number; loopMax: number }>((resolve) => server.once('message', resolve));
  server.send({ type: 'loop-report' });
  const serverLoop = await loop;
  const settleBy = performance.now() + 10_000;
  while (received < expected && performance.now() < settleBy) await sleep(50);
  const hostileResult = hostileStats ? await hostileStats : undefined;
  const peakMiB = peakRssMiB(server.pid!);
  for (const s of sockets) s.close();
  server.kill('SIGTERM');
  await new Promise((resolve) => server.once('exit', resolve));
  hostileChild?.kill();
  await pool.end();
  const sorted = latencies.sort((a, b) => a - b);
  const answers = answerTimes.sort((a, b) => a - b);
  return {
    label, moves, expected, received, duplicates, lost: expected - received, peakMiB,
    apiP50: percentile(answers, 50), apiP99: percentile(answers, 99), serverCpu, ...serverLoop,
    p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted.at(-1) ?? NaN, hostile: hostileResult,
  };
}

// ---------- hoarding and relay, with the default limits ----------

interface LimitsRun {
  hoard: { tries: string[]; heldUnpaid: number; free: number; onMenu: string; real: number; realStatus: string };
  relay: { answers: Record<number, number>; code: string; cancels: number; emails: number; texts: number; limited: number; ms: number };
}

async function runLimits(dbUrl: string, queuePrefix: string): Promise<LimitsRun> {
  say('\n-- hoarding and relay, default limits');
  const { parseConfig } = await import('../src/lib/server/config.ts');
  const { startWorkers } = await import('../workers/workers.ts');
  const { SMTPServer } = await import('smtp-server');
  const { createServer } = await import('node:http');
  // the victim's mailbox and phone: a mail server and an SMS gateway in this process
  const mails: string[] = [];
  const smtp = new SMTPServer({
    authOptional: true, disabledCommands: ['STARTTLS'], logger: false,
    onData(stream, session, done) {
      stream.resume();
      stream.on('end', () => (mails.push(...session.envelope.rcptTo.map((r) => r.address)), done()));
    },
  });
  const texts: string[] = [];
  const gateway = createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => (raw += c));
    req.on('end', () => (texts.push(JSON.parse(raw).to), res.writeHead(200, { 'content-type': 'application/json' }).end('{"id":"x"}')));
  });
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
  await new Promise<void>((resolve) => gateway.listen(0, '127.0.0.1', resolve));
  const smtpPort = (smtp.server.address() as AddressInfo).port;
  const smsPort = (gateway.address() as AddressInfo).port;
  const env = {
    DATABASE_URL: dbUrl, REDIS_URL, QUEUE_PREFIX: queuePrefix, NODE_ENV: 'test', BENCH_DEFAULT_LIMITS: 'true',
    SMTP_URL: `smtp://127.0.0.1:${smtpPort}`, SMS_HTTP_URL: `http://127.0.0.1:${smsPort}/messages`, SMS_HTTP_TOKEN: 'bench-gateway',
  };
  const workers = await startWorkers(parseConfig({ ...process.env, ...env, LOG_LEVEL: 'silent' }), pino({ level: 'silent' }), { schedule: false });
  const server = startChild(['--serve'], env);
  const port = await new Promise<number>((resolve, reject) => {
    server.once('message', (m: { port: number }) => resolve(m.port));
    server.once('exit', (code) => reject(new Error(`server exited (${code})`)));
  });
  const base = `http://127.0.0.1:${port}`;
  const pool = benchPool(dbUrl, 2, 'limits');
  let seq = 0;
  const client = () => {
    seq++;
    return { ip: `192.0.2.${seq}`, phone: `07 00 00 ${String(seq).padStart(4, '0').replace(/(\d\d)(\d\d)/, '$1 $2')}`, email: `client${seq}@example.test` };
  };
  const post = async (path: string, ip: string, body: unknown = {}) => {
    const res = await fetch(base + path, { method: 'POST', headers: { 'content-type': 'application/json', 'x-forwarded-for': ip }, body: JSON.stringify(body) });
    return { status: res.status, body: (await res.json()) as any };
  };
  const pizzas = (await pool.query<{ id: number }>(`SELECT id FROM products WHERE category = 'pizza' ORDER BY id LIMIT 3`)).rows.map((r) => r.id);
  const lines = (n: number) => pizzas.map((productId, i) => ({ productId, quantity: Math.max(0, Math.min(20, n - 20 * i)) })).filter((l) => l.quantity > 0);
  const [shop, other] = (await pool.query<{ id: number }>('SELECT id FROM pizzerias ORDER BY id LIMIT 2')).rows.map((r) => r.id);
  const order = (who: ReturnType<typeof client>, n: number, payment: 'online' | 'on_delivery', pizzeriaId = shop) =>
    post('/api/orders', who.ip, { pizzeriaId, fulfilment: 'pickup', payment, items: lines(n), customer: { name: 'Client', phone: who.phone, email: who.email } });

  // hoarding: the shop has 60 dough balls; one client asks 50 then 10 unpaid, then 20 more clients 20 each
  await pool.query(`UPDATE stock SET on_hand = 60 WHERE pizzeria_id = $1 AND ingredient_id = (SELECT id FROM ingredients WHERE slug = 'pate')`, [shop]);
  const tries: string[] = [];
  const hostile = client();
  for (const n of [50, 10]) {
    const r = await order(hostile, n, 'online');
    tries.push(`${n} → ${r.status}${r.body.error ? ` ${r.body.error.code}` : ''}`);
  }
  const many: Record<string, number> = {};
  for (let i = 0; i < 20; i++) {
    const r = await order(client(), 20, 'online');
    const key = `${r.status}${r.body.error ? ` ${r.body.error.code}` : ''}`;
    many[key] = (many[key] ?? 0) + 1;
  }
  tries.push(`20 clients × 20 → ${Object.entries(many).map(([k, n]) => `${n}× ${k}`).join(', ')}`);
  const level = (await pool.query<{ free: number; reserved: number }>(
    `SELECT l.free, l.reserved FROM stock_levels l JOIN ingredients i ON i.id = l.ingredient_id WHERE l.pizzeria_id = $1 AND i.slug = 'pate'`, [shop])).rows[0];
  const menu = (await (await fetch(`${base}/api/pizzerias/${shop}/menu`)).json()) as { category: string; available: boolean }[];
  const onMenu = `${menu.filter((p) => p.category === 'pizza' && p.available).length} of ${menu.filter((p) => p.category === 'pizza').length}`;
  const real = await order(client(), level.free, 'on_delivery');

  // relay: 60 orders in a minute to one victim from one address (at another shop), each taken one cancelled
  const victim = { ip: '192.0.2.250', phone: '07 99 99 99 99', email: 'victim@example.test' };
  const t0 = performance.now();
  const answers: Record<number, number> = {};
  const taken: { id: string; trackingToken: string }[] = [];
  let code = '';
  for (let i = 0; i < 60; i++) {
    const r = await order(victim, 1, 'on_delivery', other);
    answers[r.status] = (answers[r.status] ?? 0) + 1;
    if (r.status === 201) taken.push(r.body);
    else code ||= r.body.error?.code;
  }
  let cancels = 0;
  // from a second address: the first used its RATE_LIMIT_ORDERS (60 in 10 min) on the orders
  for (const t of taken) if ((await post(`/api/track/${t.trackingToken}/cancel`, '192.0.2.251')).status === 200) cancels++;
  const ms = performance.now() - t0;
  const ids = taken.map((t) => t.id);
  const settleBy = performance.now() + 30_000;
  let decided: { last_error: string | null }[] = [];
  while (performance.now() < settleBy) {
    decided = (await pool.query(`SELECT last_error FROM customer_notifications WHERE order_id = ANY($1) AND status = 'sent'`, [ids])).rows;
    if (decided.length >= ids.length * 4) break;
    await sleep(100);
  }
  const limited = decided.filter((r) => r.last_error?.startsWith('not sent: too many')).length;
  const result: LimitsRun = {
    hoard: { tries, heldUnpaid: level.reserved, free: level.free, onMenu, real: level.free, realStatus: `${real.status}${real.body.error ? ` ${real.body.error.code}` : ''}` },
    relay: { answers, code, cancels, emails: mails.filter((m) => m === victim.email).length, texts: texts.filter((t) => t === '+33799999999').length, limited, ms },
  };
  await smsPumping(post, texts);
  await promoHoarding(post, pool, other);
  await farSlotHoarding(post, base, pool);
  server.kill('SIGTERM');
  await new Promise((resolve) => server.once('exit', resolve));
  await workers.close(2000);
  await pool.end();
  await new Promise<void>((resolve) => smtp.close(() => resolve()));
  await new Promise<void>((resolve) => gateway.close(() => resolve()));
  return result;
}

// ---------- SMS pumping, with the default limits ----------

/**
 * Sign-in codes asked for by the dozen, from a few addresses: to satellite and far-away ranges (33
 * from 3 addresses, as the attack was seen), then a run on one block of French numbers (60 from 6
 * addresses), while honest customers of five ranges ask theirs. Prints requests made and texts sent.
 */
async function smsPumping(post: (path: string, ip: string, body?: unknown) => Promise<{ status: number; body: any }>, texts: string[]) {
  say('\n-- SMS pumping, default limits');
  const tally = async (label: string, asks: { phone: string; ip: string }[], e164: (phone: string) => string) => {
    const before = texts.length;
    const answers: Record<string, number> = {};
    for (const a of asks) {
      const r = await post('/api/customer/code', a.ip, { phone: a.phone });
      const key = `${r.status}${r.body?.error ? ` ${r.body.error.code}` : ''}`;
      answers[key] = (answers[key] ?? 0) + 1;
    }
    await sleep(300);
    const numbers = new Set(asks.map((a) => e164(a.phone)));
    const sent = texts.slice(before).filter((t) => numbers.has(t)).length;
    say(`SMS pumping, ${label}: ${asks.length} requests made, ${sent} texts sent (answers: ${Object.entries(answers).map(([k, n]) => `${n}× ${k}`).join(', ')})`);
  };
  const plain = (phone: string) => phone.replace(/[\s.]/g, '').replace(/^0(\d{9})$/, '+33$1');
  const far = ['+881631', '+88216', '+870773', '+269332', '+371200', '+232760', '+252610', '+5352', '+375291', '+68870', '+67455'];
  await tally('satellite and far-away ranges, 3 addresses', Array.from({ length: 33 }, (_, i) => ({ phone: `${far[i % far.length]}${String(100000 + i)}`, ip: `198.51.100.${1 + (i % 3)}` })), plain);
  await tally('one French range (+33 6 12 34), 6 addresses', Array.from({ length: 60 }, (_, i) => ({ phone: `+3361234${String(1000 + i)}`, ip: `198.51.100.${10 + Math.floor(i / 10)}` })), plain);
  await tally('honest customers of five ranges', ['+33 6 20 11 22 33', '+33 7 81 22 33 44', '+262 692 11 22 33', '+590 690 22 33 44', '+596 696 33 44 55'].map((phone, i) => ({ phone, ip: `203.0.113.${i + 1}` })), plain);
}

// ---------- promo hoarding, with the default limits ----------

/**
 * A "first 5 customers" code (5 uses) against one client placing orders to pay at the counter, each
 * with another phone and email, cancelling and placing again; then an honest customer from another
 * address. And a once-per-customer code tried by a guest with other phones and lookalike emails.
 * Prints the uses the hoarder holds and whether the honest customer still gets the code.
 */
async function promoHoarding(post: (path: string, ip: string, body?: unknown) => Promise<{ status: number; body: any }>, pool: pg.Pool, shop: number) {
  say('\n-- promo hoarding, default limits');
  const code = `FIRST5${Date.now().toString(36).toUpperCase()}`;
  const once = `ONCE${Date.now().toString(36).toUpperCase()}`;
  const { rows } = await pool.query<{ id: number }>(`INSERT INTO promo_codes (code, kind, value, max_uses) VALUES ($1, 'amount', 300, 5) RETURNING id`, [code]);
  await pool.query(`INSERT INTO promo_codes (code, kind, value, max_uses_per_customer) VALUES ($1, 'percent', 10, 1)`, [once]);
  const pizza = (await pool.query<{ id: number }>(`SELECT id FROM products WHERE category = 'pizza' ORDER BY id LIMIT 1`)).rows[0].id;
  let n = 0;
  const pickup = (ip: string, promoCode: string, email = `promo${++n}@example.test`) =>
    post('/api/orders', ip, { pizzeriaId: shop, fulfilment: 'pickup', payment: 'on_delivery', promoCode, items: [{ productId: pizza, quantity: 1 }],
      customer: { name: 'Client', phone: `07 10 00 ${String(++n).padStart(4, '0').replace(/(\d\d)(\d\d)/, '$1 $2')}`, email } });
  const tally = (answers: { status: number; body: any }[]) => {
    const by: Record<string, number> = {};
    const key = (r: { status: number; body: any }) => `${r.status}${r.body?.error ? ` ${r.body.error.code}` : ''}`;
    for (const r of answers) by[key(r)] = (by[key(r)] ?? 0) + 1;
    return Object.entries(by).map(([k, c]) => `${c}× ${k}`).join(', ');
  };
  const hoarder = '192.0.2.200';
  const first = [];
  for (let i = 0; i < 5; i++) first.push(await pickup(hoarder, code));
  // cancelling gives a use back: three rounds of cancel and place again, five orders each
  const rounds = [];
  for (let round = 0; round < 3; round++) {
    for (const r of [...first, ...rounds].filter((a) => a.status === 201)) await post(`/api/track/${r.body.trackingToken}/cancel`, hoarder);
    for (let i = 0; i < 5; i++) rounds.push(await pickup(hoarder, code));
  }
  const held = (await pool.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM promo_redemptions r JOIN orders o ON o.id = r.order_id WHERE r.promo_code_id = $1 AND o.status <> 'cancelled' AND o.client_address = $2::inet`,
    [rows[0].id, hoarder])).rows[0].n;
  const honest = await pickup('203.0.113.90', code);
  say(`Promo hoarding ("first 5 customers" code, one address, orders paid at the counter, a new phone and email each):`);
  say(`  5 orders → ${tally(first)}; then 3 × (cancel, 5 more) → ${tally(rounds)}`);
  say(`  uses the hoarder holds: ${held} of 5; an honest customer from another address → ${honest.status}${honest.body.error ? ` ${honest.body.error.code}` : ` (total ${(honest.body.total / 100).toFixed(2)} EUR)`}`);
  const lookalikes = ['Jean.Dupont@gmail.com', 'jeandupont@gmail.com', 'jean.dupont+1@gmail.com', 'JEAN.DUPONT@GMAIL.COM'];
  const guest = [];
  for (const [i, email] of lookalikes.entries()) guest.push(await pickup(`192.0.2.${210 + i}`, once, email));
  say(`  once-per-customer code, a guest with 4 phones and lookalike emails → ${tally(guest)} (uses: ${guest.filter((g) => g.status === 201).length})`);
}

// ---------- far-slot hoarding, with the default limits ----------

/**
 * A shop with 60 dough balls (its oven taking any slot's orders): one client places two pickups paid
 * at the door, 30 pizzas each, for a slot six days ahead (the attack of round 4), then 20 and 10;
 * then 10 clients 20 each, as far ahead. Prints what they took and whether an honest customer still
 * orders for the first slot and for tomorrow.
 */
async function farSlotHoarding(post: (path: string, ip: string, body?: unknown) => Promise<{ status: number; body: any }>, base: string, pool: pg.Pool) {
  say('\n-- far-slot hoarding, default limits');
  const shop = (await pool.query<{ id: number }>('SELECT id FROM pizzerias ORDER BY id OFFSET 2 LIMIT 1')).rows[0].id;
  await pool.query('UPDATE pizzerias SET oven_minutes_per_slot = 5000 WHERE id = $1', [shop]);
  await pool.query(`UPDATE stock SET on_hand = 60 WHERE pizzeria_id = $1 AND ingredient_id = (SELECT id FROM ingredients WHERE slug = 'pate')`, [shop]);
  const pizzas = (await pool.query<{ id: number }>(`SELECT id FROM products WHERE category = 'pizza' ORDER BY id LIMIT 3`)).rows.map((r) => r.id);
  const lines = (n: number) => pizzas.map((productId, i) => ({ productId, quantity: Math.max(0, Math.min(20, n - 20 * i)) })).filter((l) => l.quantity > 0);
  const { slots } = (await (await fetch(`${base}/api/pizzerias/${shop}/slots?fulfilment=pickup&pizzas=30`)).json()) as { slots: { start: string }[] };
  const at = (ms: number) => slots.find((s) => Date.parse(s.start) >= ms)?.start ?? slots.at(-1)!.start;
  const sixDays = at(Date.now() + 6 * 86_400_000);
  const tomorrow = at(Date.now() + 86_400_000);
  let n = 0;
  const pickup = (items: number, slot: string, who = ++n) =>
    post('/api/orders', `192.0.2.${100 + who}`, { pizzeriaId: shop, fulfilment: 'pickup', payment: 'on_delivery', slot, items: lines(items),
      customer: { name: 'Client', phone: `07 20 00 ${String(who).padStart(4, '0').replace(/(\d\d)(\d\d)/, '$1 $2')}`, email: `far${who}@example.test` } });
  const said = (r: { status: number; body: any }) => `${r.status}${r.body?.error ? ` ${r.body.error.code}` : ''}`;
  const hostile = ++n;
  const attack = [];
  for (const items of [30, 30, 20, 10]) attack.push(`${items} → ${said(await pickup(items, sixDays, hostile))}`);
  const many: Record<string, number> = {};
  for (let i = 0; i < 10; i++) {
    const k = said(await pickup(20, sixDays));
    many[k] = (many[k] ?? 0) + 1;
  }
  const level = (await pool.query<{ free: number; reserved: number }>(
    `SELECT l.free, l.reserved FROM stock_levels l JOIN ingredients i ON i.id = l.ingredient_id WHERE l.pizzeria_id = $1 AND i.slug = 'pate'`, [shop])).rows[0];
  const menu = (await (await fetch(`${base}/api/pizzerias/${shop}/menu`)).json()) as { category: string; available: boolean }[];
  const onMenu = `${menu.filter((p) => p.category === 'pizza' && p.available).length} of ${menu.filter((p) => p.category === 'pizza').length}`;
  const soon = await pickup(2, slots[0].start);
  const next = await pickup(2, tomorrow);
  say(`Far-slot hoarding (a shop with 60 dough balls, pickups paid at the door for ${sixDays}, default limits):`);
  say(`  one client: ${attack.join('; ')}`);
  say(`  10 clients × 20 → ${Object.entries(many).map(([k, c]) => `${c}× ${k}`).join(', ')}`);
  say(`  held: ${level.reserved} doughs; free: ${level.free}; pizzas still on the menu: ${onMenu}`);
  say(`  an honest customer, 2 pizzas for the first slot (${slots[0].start}) → ${said(soon)}; for tomorrow (${tomorrow}) → ${said(next)}`);
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
  if (limits) {
    const { hoard, relay } = limits;
    say('\nHoarding (a shop with 60 dough balls, unpaid online orders, default limits):');
    for (const t of hoard.tries) say(`  ${t}`);
    say(`  held by unpaid orders: ${hoard.heldUnpaid} doughs; free: ${hoard.free}; pizzas still on the menu: ${hoard.onMenu}`);
    say(`  a real customer paying on delivery asks the ${hoard.real} left → ${hoard.realStatus}`);
    say(`Relay (60 orders to one victim's email and phone from one address, each taken one then cancelled, in ${(relay.ms / 1000).toFixed(1)} s):`);
    say(`  answers: ${Object.entries(relay.answers).map(([s, n]) => `${n}× ${s}`).join(', ')} (refused: ${relay.code}); cancels: ${relay.cancels}`);
    say(`  reached the victim: ${relay.emails} emails, ${relay.texts} texts; recorded and not sent: ${relay.limited}`);
  }
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
