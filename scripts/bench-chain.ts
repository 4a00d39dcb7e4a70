// Chain benchmark (not a test): what the system costs per unit of work as a chain grows.
//
//   npm run bench:chain                 N = 5, 50 and 500 shops, one after the other
//   npm run bench:chain -- --shops 50   one N
//   npm run bench:chain -- --shops 50 --kill-workers
//                                       one of the two workers processes killed (SIGKILL) halfway
//                                       through the orders: the other takes over (bench-chain-texts.ts)
//   npm run bench:chain -- --shops 500 --statements
//                                       also prints the statements Postgres ran during the orders,
//                                       by calls per order event (pg_stat_statements must be loaded:
//                                       docs/benchmarks.md says how)
//
// For each N it creates its own database (migrated, seeded; the first seeded shop cloned into N
// shops in a few statements: settings, stock raised so nothing runs out, kitchen stations, staff —
// a manager, a kitchen, a counter and three drivers each, every driver on shift; sessions written
// as a login writes them) and queue prefix, and starts TWO built servers and TWO built workers
// processes (`node dist/server/index.js`, `node dist/workers/index.js`) on them, as two hubs
// behind the Nginx site. It opens, dealt out between the two servers: a kitchen screen per shop,
// head office's live screen (`hq`, the head-office account) on each server, every driver's phone,
// and a tracking page per open order. Then, for BENCH_CHAIN_SECONDS, it places orders through the
// API at a Friday rate (BENCH_CHAIN_ORDERS_PER_HOUR per shop), half pickups, half deliveries, pay
// on delivery, and moves each through every status, BENCH_CHAIN_STEP_MS apart (received →
// preparing → ready → collected; or → assigned by the manager → out for delivery → delivered by
// its driver with the cash); the first driver of each shop shares a position every
// BENCH_CHAIN_POSITION_MS; head office's board (the manager page's data, `GET /manager/__data.json`)
// is read 20 times over the run. Then an idle phase (BENCH_CHAIN_IDLE_SECONDS) with every screen
// still open and nothing happening. Then the project is stopped and the bare relay (the rush
// benchmark's: LISTEN → Socket.io rooms, one UPDATE + pg_notify per move) is measured with the same
// screens (kitchen per shop, head office ×2, a tracking page per order) at the order-event rate the
// project had, for 15 s.
//
// It prints, per N: CPU per order placed and per order event (the order_events rows written) of
// each process kind — both servers, both workers, this database's Postgres backends (their pids
// from pg_stat_activity every 500 ms, their CPU read from /proc; a backend that ends is counted up to its last reading) and
// Redis (the machine's one, shared) — the generator (this process) apart; Postgres transactions per
// order event (pg_stat_database); idle CPU per second; sent → screen p50/p99 (each screen that
// should show a move: its shop's kitchen, both head-office screens, its tracking page); lost and
// duplicated deliveries; head office's board read time p50/p99; the bare relay's CPU per move; the
// customers' texts (the workers' reactions, counted at a gateway of this process's own) expected,
// lost and sent twice, and how long after its event a text came.
//
// Knobs (environment): BENCH_CHAIN_SECONDS (60), BENCH_CHAIN_IDLE_SECONDS (15),
// BENCH_CHAIN_ORDERS_PER_HOUR (40), BENCH_CHAIN_STEP_MS (4000), BENCH_CHAIN_POSITION_MS (10000),
// BENCH_DATABASE_BASE_URL (postgres://postgres@127.0.0.1:5432), REDIS_URL (redis://127.0.0.1:6379).
import { execSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { cpus } from 'node:os';
import type { ChildProcess } from 'node:child_process';
import { ensureBuilt, say, sleep } from './bench-common.ts';
import { BARE_NEXT, f1, machineTicks, num, post, startBareRelays, stop, stopping, type Order, type PhaseResult, type Screen, type Shop } from './bench-rush-common.ts';
import { phase, Screens } from './bench-rush-phase.ts';
import { ChainSetup, cpuBetween, readCpu, redisPid, type CpuUsed } from './bench-chain-setup.ts';
import { openStaffScreens, runLoad, type LoadResult } from './bench-chain-load.ts';
import { checkTexts, TextSink, type TextsResult } from './bench-chain-texts.ts';

const SECONDS = num('BENCH_CHAIN_SECONDS', 60, 10);
const IDLE_SECONDS = num('BENCH_CHAIN_IDLE_SECONDS', 15, 5);
const ORDERS_PER_HOUR = num('BENCH_CHAIN_ORDERS_PER_HOUR', 40, 1);
const STEP_MS = num('BENCH_CHAIN_STEP_MS', 4000, 200);
const POSITION_MS = num('BENCH_CHAIN_POSITION_MS', 10000, 1000);
const BARE_SECONDS = 15;
const KILL_WORKERS = process.argv.includes('--kill-workers');
const STATEMENTS = process.argv.includes('--statements');
/** With a kill: the slowest text of the events made after it must come within this (issue 59). */
const TAKEOVER_BUDGET_MS = 10_000;

interface ChainResult {
  n: number;
  load: LoadResult;
  events: number;
  transactions: number;
  busy: CpuUsed;
  idle: CpuUsed;
  /** Rows Postgres read a second during the idle phase. */
  idleRows: number;
  sockets: number;
  bare: PhaseResult | null;
  texts: TextsResult;
  /** Share of all the machine's cores busy (every process, other work included) during the orders and during the idle phase. */
  machineBusy: number;
  machineIdleBusy: number;
}

function shopCounts(): number[] {
  const i = process.argv.indexOf('--shops');
  if (i < 0) return [5, 50, 500];
  const n = Number(process.argv[i + 1]);
  if (!Number.isInteger(n) || n < 1 || n > 5000) throw new Error(`--shops wants a whole number of shops (1 to 5000), got "${process.argv[i + 1]}"`);
  return [n];
}

async function runOne(n: number): Promise<ChainResult> {
  say(`\n-- ${n} shops`);
  const setup = new ChainSetup(n);
  const bareChildren: ChildProcess[] = [];
  let bareScreens: Screens | undefined;
  const sink = new TextSink();
  let killer: NodeJS.Timeout | undefined;
  try {
    await setup.create();
    await sink.start();
    await setup.start(sink.env());
    setup.watchBackends();
    const { screens, phones } = await openStaffScreens(setup);
    say(`  ${screens.length} staff screens and ${phones.length} drivers' phones connected`);
    await sleep(5000); // the hubs' first reads of every shop done
    const redis = redisPid();
    const [tx0, ev0, cpu0] = [await setup.transactions(), await setup.lastEventId(), await readCpu(setup, redis)];
    const counting = STATEMENTS && (await setup.resetStatements());
    if (STATEMENTS && !counting) say('  --statements: pg_stat_statements is not loaded (shared_preload_libraries): not counted');
    const m0 = machineTicks();
    let killedAt: number | null = null;
    if (KILL_WORKERS) {
      killer = setTimeout(() => {
        const victim = setup.workers[0];
        stopping.add(victim);
        victim.kill('SIGKILL');
        killedAt = Date.now();
        say(`  workers 1 killed (SIGKILL) after ${SECONDS / 2} s of orders`);
      }, (SECONDS * 1000) / 2);
    }
    const load = await runLoad({ setup, screens, phones, seconds: SECONDS, ordersPerHour: ORDERS_PER_HOUR, stepMs: STEP_MS, positionMs: POSITION_MS, boardReads: 20 });
    const cpu1 = await readCpu(setup, redis);
    const m1 = machineTicks();
    const events = await setup.eventsSince(ev0);
    const texts = await checkTexts(setup.pool, sink, ev0, killedAt);
    say(`  texts: ${texts.expected} expected, ${texts.received} received, ${texts.lost} lost, ${texts.duplicated} sent twice` +
      (killedAt === null ? '' : `; after the kill, the slowest of ${texts.afterKillTexts} texts came ${f1(texts.afterKillMax ?? NaN)} ms after it`));
    const transactions = (await setup.transactions()) - tx0;
    if (counting) {
      say(`  statements during the orders, by calls (calls per order event, Postgres' time per call):`);
      for (const st of await setup.statements()) say(`    ${String(st.calls).padStart(7)}  ${(st.calls / Math.max(1, events)).toFixed(2).padStart(6)}  ${(st.ms / Math.max(1, st.calls)).toFixed(3)} ms  ${st.query}`);
    }
    const busy = cpuBetween(cpu0, cpu1);
    say(`  ${load.orders} orders (${load.deliveries} delivered), ${events} order events in ${busy.seconds.toFixed(0)} s; deliveries to screens ${load.expected} expected, ${load.lost} lost, ${load.duplicated} duplicated` +
      (load.lost ? ` (${Object.entries(load.lostByKind).map(([k, v]) => `${k}: ${v}`).join(', ')})` : '') + `; positions ${load.positionsSent} (${load.positionsRefused} refused)`);
    // idle: every staff screen and phone still open, nothing happening
    await sleep(3000);
    const rows0 = await setup.rowsRead();
    const [idle0, mi0] = [await readCpu(setup, redis), machineTicks()];
    await sleep(IDLE_SECONDS * 1000);
    const idle = cpuBetween(idle0, await readCpu(setup, redis));
    const mi1 = machineTicks();
    const idleRows = ((await setup.rowsRead()) - rows0) / (idle.seconds + 1.5);
    const share = (a: typeof m0, b: typeof m0) => (b.busy - a.busy) / Math.max(1, b.total - a.total);
    const template = await orderDoc(setup);
    const sockets = screens.filter((s) => s.kind !== 'order').length + phones.length;
    for (const s of screens) s.socket.disconnect();
    for (const p of phones) p.socket.disconnect();
    await setup.stopProject();
    bareScreens = new Screens([]);
    const bare = await runBare(setup, template, Math.max(1, events / busy.seconds), bareChildren, bareScreens);
    return { n, load, events, transactions, busy, idle, idleRows, sockets, bare, texts, machineBusy: share(m0, m1), machineIdleBusy: share(mi0, mi1) };
  } finally {
    clearTimeout(killer);
    sink.close();
    bareScreens?.close();
    await Promise.all(bareChildren.map(stop));
    await setup.cleanup();
  }
}

/** One order as staff screens see it: the bare relay's payload is the same size. */
async function orderDoc(setup: ChainSetup): Promise<Record<string, unknown>> {
  const { rows } = await setup.pool.query<{ id: string }>(`SELECT id FROM orders WHERE fulfilment = 'delivery' LIMIT 1`);
  const r = await fetch(`${setup.bases[0]}/api/orders/${rows[0].id}`, { headers: { cookie: setup.adminCookie } });
  if (r.status !== 200) throw new Error(`reading an order: ${r.status}`);
  return (await r.json()) as Record<string, unknown>;
}

/** The bare relay on two processes, the same screens, moves at the project's order-event rate. */
async function runBare(setup: ChainSetup, template: Record<string, unknown>, rate: number, children: ChildProcess[], screens: Screens): Promise<PhaseResult> {
  const count = Math.min(1000, Math.max(100, setup.shops.length * 2));
  const orders: Order[] = Array.from({ length: count }, (_, i) => {
    const shop = setup.shops[i % setup.shops.length].id;
    const id = randomUUID();
    return { id, shop, token: 'followed', doc: { ...template, id, pizzeriaId: shop, status: 'received', version: 1 }, status: 'received', version: 1, busy: false };
  });
  await setup.pool.query(`CREATE TABLE bare_orders (id uuid PRIMARY KEY, pizzeria_id int NOT NULL, status text NOT NULL, version int NOT NULL, doc jsonb NOT NULL)`);
  await setup.pool.query(`INSERT INTO bare_orders SELECT * FROM unnest($1::uuid[], $2::int[], $3::text[], $4::int[], $5::jsonb[])`,
    [orders.map((o) => o.id), orders.map((o) => o.shop), orders.map(() => 'received'), orders.map(() => 1), orders.map((o) => JSON.stringify(o.doc))]);
  const bases = await startBareRelays(setup.dbUrl, 2, children);
  screens.bases.push(...bases);
  const list: Screen[] = [
    ...setup.shops.map((s): Screen => ({ kind: 'kitchen', shop: s.id, order: null })),
    { kind: 'hq', shop: null, order: null }, { kind: 'hq', shop: null, order: null },
    ...orders.map((o): Screen => ({ kind: 'order', shop: null, order: o })),
  ];
  for (let i = 0; i < list.length; i += 100) {
    await Promise.all(list.slice(i, i + 100).map((s) => screens.connect(s, {}, { room: s.kind === 'order' ? `order:${s.order!.id}` : s.kind === 'hq' ? 'hq' : `kitchen:${s.shop}` })));
  }
  await sleep(1000);
  const shops = new Map<number, Shop>(setup.shops.map((s) => [s.id, { id: s.id, slug: s.slug, kitchen: '', counter: '', manager: '' }]));
  let sent = 0;
  return phase({
    system: 'bare', screens, screenList: list, orders, shops, next: BARE_NEXT, rate, seconds: BARE_SECONDS,
    move: (o, to) => post(bases[sent++ % bases.length], '/move', { id: o.id, to, version: o.version }), pids: { server: children.map((c) => c.pid!) },
  });
}

const ms = (secs: number, per: number) => (per > 0 ? f1((secs * 1000) / per) : 'n/a');
const total = (c: CpuUsed) => c.servers + c.workers + c.postgres + c.redis;

function report(results: ChainResult[], started: number) {
  const commit = execSync('git rev-parse --short HEAD').toString().trim();
  const dirty = execSync('git status --porcelain --untracked-files=no').toString().trim() ? ' (with changes not committed)' : '';
  say(`\nOC Pizza Live: chain benchmark, commit ${commit}${dirty}, ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, ` +
    `${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}, ${Math.round((Date.now() - started) / 1000)} s in all`);
  say(`Two servers, two workers; ${ORDERS_PER_HOUR} orders an hour per shop for ${SECONDS} s (steps ${STEP_MS} ms apart), a position every ${POSITION_MS / 1000} s from one driver per shop; idle ${IDLE_SECONDS} s. CPU in ms of one core.`);
  const rows: [string, (r: ChainResult) => string][] = [
    ['orders placed / order events / moves measured', (r) => `${r.load.orders} / ${r.events} / ${r.load.moves}`],
    ['orders placed a second (while placing) / order events a second (whole run)', (r) => `${(r.load.orders / r.load.placingSeconds).toFixed(2)} / ${(r.events / r.busy.seconds).toFixed(1)}`],
    ['run: seconds placing / seconds until the last order was handed over', (r) => `${r.load.placingSeconds.toFixed(0)} / ${r.busy.seconds.toFixed(0)}`],
    ['sockets held (staff, phones) + tracking pages', (r) => `${r.sockets} + ${r.load.orders}`],
    ['machine busy, all cores, every process (orders / idle)', (r) => `${Math.round(r.machineBusy * 100)}% / ${Math.round(r.machineIdleBusy * 100)}%`],
    ['positions shared (refused)', (r) => `${r.load.positionsSent} (${r.load.positionsRefused})`],
    ...(['servers', 'workers', 'postgres', 'redis'] as const).map((k): [string, (r: ChainResult) => string] => [`CPU per order placed: ${k}`, (r) => ms(r.busy[k], r.load.orders)]),
    ['CPU per order placed: all', (r) => ms(total(r.busy), r.load.orders)],
    ...(['servers', 'workers', 'postgres', 'redis'] as const).map((k): [string, (r: ChainResult) => string] => [`CPU per order event: ${k}`, (r) => ms(r.busy[k], r.events)]),
    ['CPU per order event: all', (r) => ms(total(r.busy), r.events)],
    ['CPU per order event above idle: all', (r) => ms(total(r.busy) - (total(r.idle) / r.idle.seconds) * r.busy.seconds, r.events)],
    ['Postgres transactions per order event (per order)', (r) => `${(r.transactions / r.events).toFixed(1)} (${(r.transactions / r.load.orders).toFixed(0)})`],
    ['idle CPU per second, head office open: servers / workers / Postgres / Redis', (r) => (['servers', 'workers', 'postgres', 'redis'] as const).map((k) => f1((r.idle[k] * 1000) / r.idle.seconds)).join(' / ')],
    ['idle CPU per second: all', (r) => f1((total(r.idle) * 1000) / r.idle.seconds)],
    ['idle rows read a second by Postgres', (r) => String(Math.round(r.idleRows))],
    ['sent → screen p50 / p99 ms', (r) => `${f1(r.load.p50)} / ${f1(r.load.p99)}`],
    ['screen deliveries expected / lost / duplicated', (r) => `${r.load.expected} / ${r.load.lost} / ${r.load.duplicated}`],
    ['orders refused or failed on the way', (r) => String(r.load.refused)],
    ['texts to customers expected / lost / sent twice', (r) => `${r.texts.expected} / ${r.texts.lost} / ${r.texts.duplicated}`],
    ['event → text p50 / p99 ms', (r) => `${f1(r.texts.delayP50)} / ${f1(r.texts.delayP99)}`],
    ...(KILL_WORKERS ? [['workers killed: slowest text of the 10 s after, ms after the kill', (r: ChainResult) => `${f1(r.texts.afterKillMax ?? NaN)} (${r.texts.afterKillTexts} texts)`] as [string, (r: ChainResult) => string]] : []),
    ["head office's board read p50 / p99 ms", (r) => `${f1(r.load.boardP50)} / ${f1(r.load.boardP99)} (${r.load.boardReads} reads)`],
    ['bare relay: moves, CPU per move (relay)', (r) => (r.bare ? `${r.bare.moves}, ${ms(r.bare.serverCpu * r.bare.seconds, r.bare.moves)}` : 'n/a')],
    ['bare relay: Postgres CPU per move (every database)', (r) => (r.bare ? ms(r.bare.postgresCpu * r.bare.seconds, r.bare.moves) : 'n/a')],
    ['bare relay: sent → screen p50 / p99 ms, lost / duplicated', (r) => (r.bare ? `${f1(r.bare.sentP50)} / ${f1(r.bare.sentP99)}, ${r.bare.lost} / ${r.bare.duplicated}` : 'n/a')],
  ];
  say(`| | ${results.map((r) => `${r.n} shops`).join(' | ')} |`);
  say(`| --- | ${results.map(() => '---').join(' | ')} |`);
  for (const [label, f] of rows) say(`| ${label} | ${results.map(f).join(' | ')} |`);
  if (results.length > 1) {
    const [a, b] = [results[0], results[results.length - 1]];
    say(`idle CPU per second, ${b.n} shops / ${a.n} shops: ${(total(b.idle) / b.idle.seconds / (total(a.idle) / a.idle.seconds)).toFixed(1)}×; ` +
      `CPU per order event: ${((total(b.busy) / b.events) / (total(a.busy) / a.events)).toFixed(2)}×`);
  }
  return results.some((r) => r.load.lost > 0 || r.load.duplicated > 0 || r.load.refused > 0 || r.texts.lost > 0 || r.texts.duplicated > 0 ||
    (KILL_WORKERS && (r.texts.afterKillMax === null || r.texts.afterKillMax > TAKEOVER_BUDGET_MS)));
}

async function main() {
  const started = Date.now();
  const counts = shopCounts();
  say(`OC Pizza Live: chain benchmark, ${counts.join(', ')} shops`);
  ensureBuilt();
  const results: ChainResult[] = [];
  for (const n of counts) results.push(await runOne(n));
  return report(results, started);
}

main().then(
  (bad) => process.exit(bad ? 1 : 0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
