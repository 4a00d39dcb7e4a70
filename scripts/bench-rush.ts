// Rush-hour benchmark (not a test): the system as users run it, at chain scale, beside a bare relay.
//
//   npm run bench:rush
//
// What it measures. It creates its own database (migrated, seeded, stock raised so nothing runs
// out; dropped at the end, also on failure) and its own queue prefix, then starts the BUILT server
// (`node dist/server/index.js`) and workers (`node dist/workers/index.js`) as processes of their own
// (it runs `npm run build` first only if dist/server/index.js or build/handler.js is missing).
// It places one pickup order per customer through the API (pay on delivery, in parallel batches),
// then connects the rush-hour mix: BENCH_SOCKETS sockets, of which BENCH_STAFF staff screens
// (per shop kitchen screens and manager screens, plus head-office `hq` screens) and the rest
// customers, each following their own order with its tracking token. It then moves orders through
// the HTTP API (`POST /api/orders/:id/status`, received → preparing → ready → collected, with the
// session of the order's shop) at BENCH_RATE moves a second, open loop (each move is sent when its
// time comes, not when the previous one answered; at most BENCH_IN_FLIGHT requests in flight).
// For every move it knows which screens should receive it (its shop's kitchen and manager screens,
// every hq screen, the order's own tracking page) and records when each did:
//   - screen latency = receipt − the API's answer for that move (negative when the event arrives
//     before the answer; reported as is);
//   - lost = an expected delivery that did not come within BENCH_GRACE_MS; duplicated = the same
//     order version twice on one screen;
//   - the API's move latency (request sent → answer), the server's peak RSS (VmHWM) and CPU.
// In the same run it measures a bare relay with the same clients, mix and rate: a minimal process
// (this file with --bare) that LISTENs on Postgres and relays each NOTIFY payload to Socket.io rooms,
// and answers one HTTP endpoint that makes the move as one statement (UPDATE of a plain table and
// pg_notify of the order as the API returned it, so the payload is the same size). No auth, no
// event table, no queue: it is the floor. Its screen latency = receipt − that endpoint's answer.
// It prints, per system: moves, deliveries expected / received / lost / duplicated, screen latency
// p50 / p99 / max, API move latency p50 / p99, server peak RSS and CPU, and the ratio of the p99s.
//
// Ceiling mode (BENCH_CEILING=1): for each system, raises the rate step by step (BENCH_CEILING_RATES,
// each step BENCH_STEP_SECONDS long), stops at the first step that fails and reports the highest
// rate at which the screen p99 stayed ≤ 50 ms with nothing lost, and the moves were made at the rate
// asked (≥ 95 % of it: a system whose API falls behind would otherwise pass on screen latency alone,
// measured from its late answers). "sent → screen" is the latency from the move sent, API included;
// the ceiling is also reported with sent → screen p99 ≤ 50 ms (the stricter of the two, and the fair
// one for a system whose API answers only once its screens are told).
//
// Knobs (environment): BENCH_SOCKETS (5000), BENCH_STAFF (80), BENCH_RATE moves/s (200),
// BENCH_SECONDS (30), BENCH_IN_FLIGHT (200), BENCH_GRACE_MS (5000), BENCH_CEILING (unset),
// BENCH_CEILING_RATES (100,200,400,700,1000,1500), BENCH_STEP_SECONDS (15),
// BENCH_IDLE_SOCKETS (0: after the moves, that many storefront visitors with the live menu open are
// connected, and the server's RSS is read with them all held), BENCH_SYSTEMS (project,bare), BENCH_SERVERS (1: server processes per system, each
// on its own port, the project's sharing rooms through Redis as behind the Nginx site; the sockets are dealt out among them
// and the moves sent to each in turn; the bare relay gets as many), BENCH_NODE_FLAGS (extra flags for the measured processes), BENCH_CONNECT_BATCH (100), BENCH_PLACE_CONCURRENCY (16),
// BENCH_DATABASE_BASE_URL (postgres://postgres@127.0.0.1:5432), BENCH_REPORT_JSON (a file to write the report to as JSON), BENCH_TIMELINE (prints, per second of each phase, the slowest moves),
// REDIS_URL (redis://127.0.0.1:6379).
//
// The load generator (this process: every socket client and every HTTP move) shares the machine's
// cores with the system it measures (server, workers, Postgres, Redis): on a 2-core machine the
// figures include the clients' own cost of parsing every event, so they are pessimistic for both
// systems alike.
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { BASE_DB, REDIS_URL, cpuSeconds, dropBenchData, ensureBuilt, peakRssMiB, rssMiB, say, sleep } from './bench-common.ts';
import { bare, IDLE_PER_CLIENT, idleClients } from './bench-rush-children.ts';
import {
  BARE_NEXT, CEILING, CEILING_P99_MS, CEILING_RATES, CONNECT_BATCH, IDLE_SOCKETS, NEXT, PLACE_CONCURRENCY, RATE, REPORT_JSON, SECONDS, SERVERS, SOCKETS, STAFF,
  STEP_SECONDS, SYSTEMS, f1, freePort, machineTicks, pooled, post, postgresCpu, postgresCpuSince, projectEnv, startBareRelays, startNode, stop, waitReady,
  type MoveFn, type Order, type PhaseResult, type Screen, type Shop, type SystemReport,
} from './bench-rush-common.ts';
import { achieved, line, passes, passesFromSent, phase, Screens, staffMix } from './bench-rush-phase.ts';

type Idle = { sockets: number; connectSeconds: number; rssBefore: number; rssAfter: number; total: number };

async function main() {
  const started = Date.now();
  const rush = new Rush();
  const customers = SOCKETS - STAFF;
  say(`OC Pizza Live: rush-hour benchmark: ${SOCKETS} sockets (${STAFF} staff screens, ${customers} customers), ` +
    (CEILING ? `ceiling mode, rates ${CEILING_RATES.join(', ')} moves/s, ${STEP_SECONDS} s each` : `${RATE} moves/s for ${SECONDS} s`) + `; systems: ${SYSTEMS.join(', ')}`);

  // something else running on the machine skews everything: say so
  const idle0 = machineTicks();
  await sleep(2000);
  const idle1 = machineTicks();
  const busyBefore = (idle1.busy - idle0.busy) / Math.max(1, idle1.total - idle0.total);
  say(`machine ${Math.round(busyBefore * 100)}% busy before the start${busyBefore > 0.15 ? ': something else is running, the figures will show it' : ''}`);

  ensureBuilt();

  await rush.admin.connect();
  await rush.admin.query(`CREATE DATABASE ${rush.dbName}`);
  let interrupted = false;
  process.once('SIGINT', () => {
    interrupted = true;
    say('interrupted: cleaning up');
    void rush.cleanup().finally(() => process.exit(130));
  });

  try {
    await rush.prepare();
    await rush.startProject();
    await rush.signIn();
    await rush.placeOrders(customers, true);
    if (!CEILING && rush.movesLeft() < rush.movesNeeded(0)) await rush.placeOrders(Math.ceil((rush.movesNeeded(0) - rush.movesLeft()) / 3), false);
    await rush.settle();
    // the bare relay's table: the same orders, as they were placed
    await rush.pool.query(`CREATE TABLE bare_orders (id uuid PRIMARY KEY, pizzeria_id int NOT NULL, status text NOT NULL, version int NOT NULL, doc jsonb NOT NULL)`);
    if (SYSTEMS.includes('project')) {
      await rush.runProject();
      if (IDLE_SOCKETS > 0) await rush.holdIdle();
    }
    await Promise.all([...rush.servers.map(stop), stop(rush.workers)]);
    if (SYSTEMS.includes('bare')) await rush.runBare();
  } finally {
    if (!interrupted) await rush.cleanup();
  }
  return report(rush.reports, rush.idle, customers, started);
}

/** The run's database, its processes and what the systems are measured with. */
class Rush {
  readonly suffix = `${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  readonly dbName = `ocpizza_rush_${this.suffix}`;
  readonly dbUrl = `${BASE_DB}/${this.dbName}`;
  readonly queuePrefix = `ocpizza_rush_${this.suffix}`;
  readonly password = randomBytes(12).toString('base64url');
  readonly rates = CEILING ? CEILING_RATES : [RATE];
  readonly secondsPerPhase = CEILING ? STEP_SECONDS : SECONDS;
  readonly admin = new pg.Client({ connectionString: `${BASE_DB}/postgres` });
  readonly pool: pg.Pool;
  readonly servers: ChildProcess[] = [];
  workers: ChildProcess | undefined;
  readonly bareChildren: ChildProcess[] = [];
  screens: Screens | undefined;
  idle: Idle | undefined;
  readonly reports: SystemReport[] = [];
  shopRows: { id: number; slug: string }[] = [];
  pizzas: number[] = [];
  drinks: number[] = [];
  readonly bases: string[] = [];
  shops: Shop[] = [];
  shopById = new Map<number, Shop>();
  adminCookie = '';
  /** One per customer; more (followed by no customer) if a ceiling run needs more moves. */
  readonly orders: Order[] = [];
  seq = 0;

  constructor() {
    this.pool = new pg.Pool({ connectionString: this.dbUrl, max: 4 });
    this.pool.on('error', () => {}); // a client the clean-up terminates while it is idle
  }

  get base() {
    return this.bases[0];
  }

  async cleanup() {
    this.screens?.close();
    await Promise.all([...this.servers.map(stop), stop(this.workers), ...this.bareChildren.map(stop)]);
    await this.pool.end().catch(() => {});
    await dropBenchData(this.admin, this.dbName, this.queuePrefix);
    await this.admin.end();
    say(`cleaned up: processes stopped, database ${this.dbName} dropped, queue prefix ${this.queuePrefix} emptied`);
  }

  /** The database migrated and seeded, stock raised so nothing runs out. */
  async prepare() {
    const { migrate } = await import('../db/migrate-runner.ts');
    const { seed } = await import('../db/seed-data.ts');
    await migrate(this.dbUrl);
    await seed(this.pool, this.password);
    await this.pool.query('UPDATE stock SET on_hand = 1000000');
    this.shopRows = (await this.pool.query<{ id: number; slug: string }>('SELECT id, slug FROM pizzerias ORDER BY id')).rows;
    const productRows = (await this.pool.query<{ id: number; category: string }>(`SELECT id, category FROM products ORDER BY id`)).rows;
    this.pizzas = productRows.filter((p) => p.category === 'pizza').map((p) => p.id);
    this.drinks = productRows.filter((p) => p.category === 'drink').map((p) => p.id);
  }

  /** The project: built server and workers, each its own process, each server ready. */
  async startProject() {
    const env = projectEnv({ dbUrl: this.dbUrl, queuePrefix: this.queuePrefix, password: this.password, redisUrl: REDIS_URL });
    for (let i = 0; i < SERVERS; i++) {
      const port = await freePort();
      this.bases.push(`http://127.0.0.1:${port}`);
      this.servers.push(startNode(['dist/server/index.js'], { ...env, PORT: String(port) }, SERVERS > 1 ? `server ${i + 1}` : 'server'));
    }
    this.workers = startNode(['dist/workers/index.js'], env, 'workers');
    await waitReady(this.bases, this.servers);
  }

  async login(email: string) {
    const r = await post(this.base, '/api/auth/login', { email, password: this.password });
    if (r.status !== 200 || !r.setCookie) throw new Error(`login ${email} failed: ${r.status} ${JSON.stringify(r.body)}`);
    return r.setCookie.split(';')[0];
  }

  /** Each shop's kitchen, counter and manager, and head office. */
  async signIn() {
    for (const s of this.shopRows) {
      this.shops.push({ id: s.id, slug: s.slug, kitchen: await this.login(`kitchen.${s.slug}@ocpizza.test`), counter: await this.login(`counter.${s.slug}@ocpizza.test`), manager: await this.login(`manager.${s.slug}@ocpizza.test`) });
    }
    this.shopById = new Map(this.shops.map((s) => [s.id, s]));
    this.adminCookie = await this.login('admin@ocpizza.test');
  }

  serverCpu() {
    return this.servers.reduce((a, s) => a + cpuSeconds(s.pid!), 0);
  }

  /** `n` pickups placed through the API in parallel, each read back as staff screens see it; says what they cost. */
  async placeOrders(n: number, tracked: boolean) {
    const { base, shops, pizzas, drinks } = this;
    const t0 = performance.now();
    const cpu0 = { server: this.serverCpu(), workers: cpuSeconds(this.workers!.pid!), gen: process.cpuUsage(), pg: postgresCpu(), machine: machineTicks() };
    await pooled(Array.from({ length: n }), PLACE_CONCURRENCY, async () => {
      const i = this.seq++;
      const shop = shops[i % shops.length];
      const items = [{ productId: pizzas[i % pizzas.length], quantity: 1 + (i % 2) }];
      if (i % 3 === 0 && drinks.length) items.push({ productId: drinks[i % drinks.length], quantity: 1 });
      // each customer from an address of their own, as behind the Nginx site (TRUST_PROXY: loopback)
      const r = await post(base, '/api/orders', {
        pizzeriaId: shop.id, channel: 'online', fulfilment: 'pickup', customer: { name: `Client ${i}`, phone: `06${String(i).padStart(8, '0')}` }, items, payment: 'on_delivery',
      }, undefined, { 'x-forwarded-for': `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}` });
      if (r.status !== 201) throw new Error(`placing an order failed: ${r.status} ${JSON.stringify(r.body)}`);
      // the order as staff screens see it (the bare relay sends this, so both send as many bytes)
      const v = await fetch(`${base}/api/orders/${r.body.id}`, { headers: { cookie: shop.kitchen } });
      if (v.status !== 200) throw new Error(`reading an order failed: ${v.status}`);
      const doc = (await v.json()) as Record<string, unknown>;
      this.orders.push({ id: r.body.id, shop: shop.id, token: tracked ? r.body.trackingToken : null, doc, status: r.body.status, version: r.body.version, busy: false });
    });
    const secs = (performance.now() - t0) / 1000;
    const gen = process.cpuUsage(cpu0.gen);
    const m = machineTicks();
    const used = {
      server: this.serverCpu() - cpu0.server,
      workers: cpuSeconds(this.workers!.pid!) - cpu0.workers,
      pg: postgresCpuSince(cpu0.pg),
    };
    const pct = (cpuSecs: number) => `${Math.round((cpuSecs / secs) * 100)}%`;
    // CPU per order is steadier than the time from run to run on a shared machine
    say(
      `  ${n} orders placed through the API in ${secs.toFixed(1)} s (${Math.round(n / secs)}/s); CPU (100% = one core): ` +
        `server ${pct(used.server)}, workers ${pct(used.workers)}, Postgres ${pct(used.pg)}, generator ${pct((gen.user + gen.system) / 1e6)}, ` +
        `machine ${Math.round(((m.busy - cpu0.machine.busy) / (m.total - cpu0.machine.total)) * 100)}% of all cores busy; ` +
        `CPU per order: server ${((used.server / n) * 1000).toFixed(1)} ms, workers ${((used.workers / n) * 1000).toFixed(1)} ms, Postgres ${((used.pg / n) * 1000).toFixed(1)} ms`,
    );
  }

  /** Waits until the server and workers are quiet (the placement burst relayed and reacted to). */
  async settle() {
    const until = Date.now() + 60_000;
    const busy = () => this.serverCpu() + cpuSeconds(this.workers!.pid!);
    let before = busy();
    while (Date.now() < until) {
      await sleep(1000);
      const now = busy();
      if (now - before < 0.1) return;
      before = now;
    }
  }

  movesNeeded(from: number) {
    return this.rates.slice(from).reduce((a, r) => a + r * this.secondsPerPhase, 0);
  }

  movesLeft() {
    return this.orders.reduce((a, o) => a + (o.status === 'received' ? 3 : o.status === 'preparing' ? 2 : o.status === 'ready' ? 1 : 0), 0);
  }

  async connectAll(sc: Screens, list: Screen[], subscribeFor: (s: Screen) => { auth: { cookie?: string; trackingToken?: string }; req: unknown }) {
    const t0 = performance.now();
    for (let i = 0; i < list.length; i += CONNECT_BATCH) {
      await Promise.all(list.slice(i, i + CONNECT_BATCH).map((s) => {
        const { auth, req } = subscribeFor(s);
        return sc.connect(s, auth, req);
      }));
    }
    return (performance.now() - t0) / 1000;
  }

  /** This project (built server and workers): the screens connected, then a phase per rate. */
  async runProject() {
    const { shopById, bases } = this;
    say('\n-- this project (built server and workers)');
    const screens = (this.screens = new Screens(bases));
    const list: Screen[] = [...staffMix(this.shops), ...this.orders.filter((o) => o.token).map((o): Screen => ({ kind: 'order', shop: null, order: o }))];
    const connectSeconds = await this.connectAll(screens, list, (s) => {
      if (s.kind === 'order') return { auth: { trackingToken: s.order!.token! }, req: { scope: 'order' } };
      const shop = s.shop === null ? null : shopById.get(s.shop)!;
      return { auth: { cookie: s.kind === 'hq' ? this.adminCookie : s.kind === 'kitchen' ? shop!.kitchen : shop!.manager }, req: { scope: s.kind } };
    });
    say(`  ${screens.sockets.length} sockets connected and subscribed in ${connectSeconds.toFixed(1)} s`);
    await sleep(1000);
    // a pickup handed over with money owed: the counter says how it was taken
    let sent = 0;
    const move: MoveFn = (o, to, cookie) => post(bases[sent++ % bases.length], `/api/orders/${o.id}/status`, { to, version: o.version, ...(to === 'collected' ? { paymentMethod: 'cash' } : {}) }, cookie);
    const phases: PhaseResult[] = [];
    for (const [i, rate] of this.rates.entries()) {
      if (CEILING && this.movesLeft() < rate * this.secondsPerPhase) {
        await this.placeOrders(Math.ceil((this.movesNeeded(i) - this.movesLeft()) / 3), false);
        await this.settle();
      }
      const r = await phase({
        system: 'project', screens, screenList: list, orders: this.orders, shops: shopById, next: NEXT, move, rate, seconds: this.secondsPerPhase,
        pids: { server: this.servers.map((s) => s.pid!), workers: this.workers!.pid! }, watch: { pool: this.pool, db: this.dbName },
      });
      say(line(r));
      phases.push(r);
      if (CEILING && !passes(r)) break;
    }
    const disconnects = screens.disconnects;
    if (disconnects) say(`  ${disconnects} sockets dropped by the server`);
    this.reports.push({ system: 'project', phases, peakRssMiB: Math.max(...this.servers.map((s) => peakRssMiB(s.pid!))), connectSeconds });
    screens.close();
    this.screens = undefined;
  }

  /**
   * Storefront visitors with the live menu open, held and not fed, after the rush (a process may
   * have only so many open files: the rush's sockets are closed first, and the visitors come from
   * child processes of at most IDLE_PER_CLIENT sockets each).
   */
  async holdIdle() {
    const { servers } = this;
    await sleep(3000);
    const before = rssMiB(servers[0].pid!);
    const t0 = performance.now();
    const clients: ChildProcess[] = [];
    for (let left = IDLE_SOCKETS, i = 0; left > 0; left -= IDLE_PER_CLIENT, i++) {
      const n = Math.min(IDLE_PER_CLIENT, left);
      const child = startNode(['--import', 'tsx', 'scripts/bench-rush.ts', '--idle-clients'], { IDLE_BASE: this.base, IDLE_COUNT: String(n), IDLE_SHOPS: this.shopRows.map((r) => r.id).join(',') }, `idle clients ${i + 1}`, true);
      clients.push(child);
      await new Promise<void>((resolve, reject) => {
        child.once('message', (m: { connected?: number; error?: string }) => (m.error ? reject(new Error(m.error)) : resolve()));
        child.once('exit', (code) => reject(new Error(`idle clients exited (${code})`)));
      });
    }
    const idleSeconds = (performance.now() - t0) / 1000;
    await sleep(5000);
    const idle = (this.idle = { sockets: IDLE_SOCKETS, connectSeconds: idleSeconds, rssBefore: before, rssAfter: rssMiB(servers[0].pid!), total: IDLE_SOCKETS });
    say(`  ${IDLE_SOCKETS} idle sockets (live menus) connected and subscribed in ${idleSeconds.toFixed(1)} s: server RSS ${idle.rssBefore.toFixed(0)} → ${idle.rssAfter.toFixed(0)} MiB` +
      ` (${(((idle.rssAfter - idle.rssBefore) * 1024) / IDLE_SOCKETS).toFixed(1)} KiB per idle socket)`);
    await Promise.all(clients.map((c) => stop(c)));
  }

  /** The bare relay: the same orders back to how they were placed, the same screens, a phase per rate. */
  async runBare() {
    say('\n-- bare relay (pg LISTEN/NOTIFY → Socket.io rooms, one UPDATE + pg_notify per move)');
    const bareOrders: Order[] = this.orders.map((o) => ({ ...o, status: String(o.doc.status), version: Number(o.doc.version), busy: false }));
    for (let i = 0; i < bareOrders.length; i += 500) {
      const chunk = bareOrders.slice(i, i + 500);
      await this.pool.query(
        `INSERT INTO bare_orders (id, pizzeria_id, status, version, doc)
         SELECT * FROM unnest($1::uuid[], $2::int[], $3::text[], $4::int[], $5::jsonb[])`,
        [chunk.map((o) => o.id), chunk.map((o) => o.shop), chunk.map((o) => o.status), chunk.map((o) => o.version), chunk.map((o) => JSON.stringify(o.doc))],
      );
    }
    await this.pool.query('VACUUM ANALYZE bare_orders');
    const bareBases = await startBareRelays(this.dbUrl, SERVERS, this.bareChildren);
    const screens = (this.screens = new Screens(bareBases));
    const list: Screen[] = [...staffMix(this.shops), ...bareOrders.filter((o) => o.token).map((o): Screen => ({ kind: 'order', shop: null, order: o }))];
    const connectSeconds = await this.connectAll(screens, list, (s) => ({ auth: {}, req: { room: s.kind === 'order' ? `order:${s.order!.id}` : s.kind === 'hq' ? 'hq' : `${s.kind}:${s.shop}` } }));
    say(`  ${screens.sockets.length} sockets connected and subscribed in ${connectSeconds.toFixed(1)} s`);
    await sleep(1000);
    let sent = 0;
    const move: MoveFn = (o, to) => post(bareBases[sent++ % bareBases.length], '/move', { id: o.id, to, version: o.version });
    const phases: PhaseResult[] = [];
    for (const rate of this.rates) {
      const r = await phase({
        system: 'bare', screens, screenList: list, orders: bareOrders, shops: this.shopById, next: BARE_NEXT, move, rate, seconds: this.secondsPerPhase,
        pids: { server: this.bareChildren.map((c) => c.pid!) }, watch: { pool: this.pool, db: this.dbName },
      });
      say(line(r));
      phases.push(r);
      if (CEILING && !passes(r)) break;
    }
    this.reports.push({ system: 'bare', phases, peakRssMiB: Math.max(...this.bareChildren.map((c) => peakRssMiB(c.pid!))), connectSeconds });
    screens.close();
    this.screens = undefined;
  }
}

/** The report: a row per system and rate, the ratios, the idle sockets, the ceilings; whether anything was lost, duplicated or refused. */
function report(reports: SystemReport[], idle: Idle | undefined, customers: number, started: number): boolean {
  const rates = CEILING ? CEILING_RATES : [RATE];
  say(`\nOC Pizza Live: rush hour, ${SOCKETS} sockets (${STAFF} staff, ${customers} customers), ${SERVERS} server process${SERVERS > 1 ? 'es' : ''} per system, ${new Date().toISOString().slice(0, 10)}, ${Math.round((Date.now() - started) / 1000)} s in all`);
  say('CPU: 100% = one core (the machine has ' + String(cpus().length) + '); machine busy: share of all cores during the moves.');
  say('Screen latency: each subscribed screen\'s receipt − the API\'s answer for the move (the bare relay: its endpoint\'s answer, after the UPDATE + NOTIFY committed).');
  say('| system | rate /s (made) | moves | deliveries expected | received | lost | duplicated | screen p50 ms | screen p99 ms | screen max ms | sent → screen p99 ms | API p50 ms | API p99 ms | server CPU | Postgres CPU | machine busy | server peak RSS MiB |');
  say('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const rep of reports) {
    for (const r of rep.phases) {
      say(`| ${rep.system} | ${r.rate} (${Math.round(achieved(r))}) | ${r.moves} | ${r.expected} | ${r.received} | ${r.lost} | ${r.duplicated} | ${f1(r.p50)} | ${f1(r.p99)} | ${f1(r.max)} | ${f1(r.sentP99)} | ${f1(r.apiP50)} | ${f1(r.apiP99)} | ${Math.round(r.serverCpu * 100)}% | ${Math.round(r.postgresCpu * 100)}% | ${Math.round(r.machineCpu * 100)}% | ${f1(rep.peakRssMiB)} |`);
    }
  }
  const project = reports.find((r) => r.system === 'project');
  const bareRep = reports.find((r) => r.system === 'bare');
  if (project && bareRep) {
    for (const p of project.phases) {
      const b = bareRep.phases.find((x) => x.rate === p.rate);
      if (!b) continue;
      say(
        p.p99 <= 0
          ? `p99 at ${p.rate}/s: project ${f1(p.p99)} ms, bare ${f1(b.p99)} ms: the project's screens had each move before its API answered`
          : `p99 ratio at ${p.rate}/s (project / bare): ${f1(p.p99 / b.p99)}`,
      );
      say(`sent → screen p99 ratio at ${p.rate}/s (project / bare): ${f1(p.sentP99 / b.sentP99)}`);
    }
  }
  if (idle) {
    say(`idle sockets: ${idle.sockets} more held (${idle.total} open): server RSS ${idle.rssAfter.toFixed(0)} MiB (${idle.rssBefore.toFixed(0)} MiB before them)`);
  }
  if (CEILING) {
    for (const rep of reports) {
      const ok = rep.phases.filter(passes).map((r) => r.rate);
      const strict = rep.phases.filter(passesFromSent).map((r) => r.rate);
      say(`ceiling from the move sent, ${rep.system}: ${strict.length ? `${Math.max(...strict)} moves/s` : `below ${rates[0]} moves/s`} with sent → screen p99 ≤ ${CEILING_P99_MS} ms as well`);
      say(`ceiling, ${rep.system}: ${ok.length ? `${Math.max(...ok)} moves/s` : `below ${rates[0]} moves/s`} with screen p99 ≤ ${CEILING_P99_MS} ms, nothing lost, and the rate kept (≥ 95 %)` +
        (rep.phases.length === rates.length && rep.phases.every(passes) ? ' (every step passed: the ceiling is higher)' : ''));
    }
  }
  if (REPORT_JSON) writeFileSync(REPORT_JSON, JSON.stringify({ sockets: SOCKETS, staff: STAFF, reports }, null, 2));
  return reports.some((rep) => rep.phases.some((r) => r.lost > 0 || r.duplicated > 0 || r.failedMoves > 0));
}

if (process.argv.includes('--bare')) {
  await bare();
} else if (process.argv.includes('--idle-clients')) {
  await idleClients();
} else {
  main().then(
    (bad) => process.exit(bad && !CEILING ? 1 : 0),
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
}
