// The rush-hour benchmark's measurements (scripts/bench-rush.ts): the screens and where each
// receipt goes, and one measured phase: moves sent open loop at a rate, what each screen received,
// what it cost the processes and the database.
import { performance } from 'node:perf_hooks';
import type pg from 'pg';
import { io as ioClient, type Socket } from 'socket.io-client';
import { cpuSeconds, percentile, say, sleep } from './bench-common.ts';
import {
  CEILING_P99_MS, GRACE_MS, IN_FLIGHT, STAFF, f1, machineTicks, postgresCpu, postgresCpuSince, sortedOf,
  type MoveFn, type MoveRecord, type Order, type PhaseResult, type Screen, type Shop,
} from './bench-rush-common.ts';

/** The screens' side: every socket, and where each receipt goes. */
export class Screens {
  sockets: Socket[] = [];
  moves = new Map<string, MoveRecord>();
  /**
   * Each order's newest version a screen showed: the kitchen's screen moves an order from the
   * version it shows, which the workers' own changes move too (a ticket marked late, urgent).
   */
  versions = new Map<string, number>();
  disconnects = 0;
  unexpected = 0;
  /** One base per server process: the sockets are dealt out among them in turn. */
  constructor(readonly bases: string[]) {}

  connect(screen: Screen, auth: { cookie?: string; trackingToken?: string }, subscribeReq: unknown): Promise<void> {
    const socket = ioClient(this.bases[this.sockets.length % this.bases.length], {
      transports: ['websocket'],
      forceNew: true,
      reconnection: false, // a dropped socket must show up as lost deliveries
      extraHeaders: auth.cookie ? { cookie: auth.cookie } : undefined,
      auth: auth.trackingToken ? { trackingToken: auth.trackingToken } : {},
      timeout: 30_000,
    });
    this.sockets.push(socket);
    const seen = new Set<string>();
    socket.on('order:updated', (e: { order: { id: string; version: number } }) => {
      const t = performance.now();
      if (e.order.version > (this.versions.get(e.order.id) ?? 0)) this.versions.set(e.order.id, e.order.version);
      const key = `${e.order.id}#${e.order.version}`;
      const m = this.moves.get(key);
      if (!m) return; // not a measured move (placement, set-up)
      if (seen.has(key)) {
        m.duplicates++;
        return;
      }
      seen.add(key);
      if (!receives(screen, m.order)) this.unexpected++;
      else m.receipts.push(t);
    });
    socket.on('disconnect', (reason) => {
      if (reason !== 'io client disconnect') this.disconnects++;
    });
    return new Promise<void>((resolve, reject) => {
      socket.once('connect_error', reject);
      socket.once('connect', () => {
        socket.timeout(30_000).emit('subscribe', subscribeReq, (err: Error | null, ack: any) => {
          if (err) return reject(err);
          if (!ack || 'error' in ack) return reject(new Error(`subscribe ${JSON.stringify(subscribeReq)} refused: ${JSON.stringify(ack?.error)}`));
          resolve();
        });
      });
    });
  }

  close() {
    for (const s of this.sockets) s.disconnect();
    this.sockets = [];
  }
}

const receives = (s: Screen, o: Order) => s.kind === 'hq' || (s.kind === 'order' ? s.order === o : s.shop === o.shop);

/** The fixed mix: per shop kitchen and manager screens, head-office screens, one customer per followed order. */
export function staffMix(shops: Shop[]): Screen[] {
  // 80 staff screens: 8 kitchen + 6 manager per shop (70) and 10 at head office, scaled for other counts
  const perShop = Math.floor((STAFF * 7) / 8 / shops.length);
  const kitchenPerShop = Math.ceil((perShop * 8) / 14);
  const managerPerShop = perShop - kitchenPerShop;
  const hq = STAFF - perShop * shops.length;
  const screens: Screen[] = [];
  for (const s of shops) {
    for (let i = 0; i < kitchenPerShop; i++) screens.push({ kind: 'kitchen', shop: s.id, order: null });
    for (let i = 0; i < managerPerShop; i++) screens.push({ kind: 'shop', shop: s.id, order: null });
  }
  for (let i = 0; i < hq; i++) screens.push({ kind: 'hq', shop: null, order: null });
  return screens;
}

interface PhaseArgs {
  system: string;
  screens: Screens;
  screenList: Screen[];
  orders: Order[];
  shops: Map<number, Shop>;
  next: Record<string, string>;
  move: MoveFn;
  rate: number;
  seconds: number;
  pids: { server: number[]; workers?: number };
  watch?: { pool: pg.Pool; db: string };
}

/** One measured phase at one rate: open loop, bounded in flight; waits for stragglers. */
export async function phase(a: PhaseArgs): Promise<PhaseResult> {
  const { pids, watch } = a;
  const serverCpuNow = () => pids.server.reduce((t, pid) => t + cpuSeconds(pid), 0);
  const cpu0 = { server: serverCpuNow(), workers: pids.workers ? cpuSeconds(pids.workers) : 0, gen: process.cpuUsage(), machine: machineTicks(), pg: postgresCpu() };
  const db = watch ? new DbWatch(watch) : null;
  await db?.start();
  const sent = await sendMoves(a);
  const { records, start } = sent;
  const elapsed = (performance.now() - start) / 1000;
  const cpu1 = { server: serverCpuNow(), workers: pids.workers ? cpuSeconds(pids.workers) : 0, gen: process.cpuUsage(cpu0.gen), machine: machineTicks(), pg: postgresCpuSince(cpu0.pg) };
  await db?.stop(records.length, elapsed);
  if (sent.ranOut) say(`  (no order had a move left after ${records.length} moves: place more customers or shorten the run)`);

  // stragglers: until every delivery is in or the grace period is over
  const graceEnd = performance.now() + GRACE_MS;
  const outstanding = () => records.some((r) => !r.failed && r.receipts.length < r.expected);
  while (performance.now() < graceEnd && outstanding()) await sleep(50);

  const t = tally(records);
  if (process.env.BENCH_TIMELINE) timeline(records, start);
  // forget the keys of this phase (the map is keyed by the version each move made)
  a.screens.moves.clear();
  const unexpected = a.screens.unexpected;
  a.screens.unexpected = 0;
  const lat = sortedOf(t.latencies);
  const fromSent = sortedOf(t.fromSent);
  const apiSorted = sortedOf(t.api);
  return {
    system: a.system, rate: a.rate, seconds: elapsed, moves: records.length - t.failedMoves, failedMoves: t.failedMoves, lateStarts: sent.lateStarts,
    expected: t.expected, received: t.received, lost: t.expected - t.received, duplicated: t.duplicated, unexpected,
    p50: percentile(lat, 50), p99: percentile(lat, 99), max: lat.length ? lat[lat.length - 1] : NaN, sentP50: percentile(fromSent, 50), sentP99: percentile(fromSent, 99),
    apiP50: percentile(apiSorted, 50), apiP99: percentile(apiSorted, 99),
    serverCpu: (cpu1.server - cpu0.server) / elapsed,
    workersCpu: (cpu1.workers - cpu0.workers) / elapsed,
    machineCpu: (cpu1.machine.busy - cpu0.machine.busy) / Math.max(1, cpu1.machine.total - cpu0.machine.total),
    postgresCpu: cpu1.pg / elapsed,
    generatorCpu: (cpu1.gen.user + cpu1.gen.system) / 1e6 / elapsed,
  };
}

/** How many screens should receive a move of each order: its shop's staff screens, every hq screen, its own tracking page. */
function expectationsOf(screenList: Screen[]) {
  const receiversOf = new Map<number, number>(); // shop → staff screens that see it
  let hqCount = 0;
  for (const s of screenList) {
    if (s.kind === 'hq') hqCount++;
    else if (s.shop !== null) receiversOf.set(s.shop, (receiversOf.get(s.shop) ?? 0) + 1);
  }
  return (o: Order) => (receiversOf.get(o.shop) ?? 0) + hqCount + (o.token ? 1 : 0);
}

/** The moves, each sent when its time comes (not when the previous one answered), at most IN_FLIGHT at once. */
async function sendMoves(a: PhaseArgs) {
  const { orders, next, screens } = a;
  const expectedFor = expectationsOf(a.screenList);
  const records: MoveRecord[] = [];
  const total = Math.round(a.rate * a.seconds);
  const interval = 1000 / a.rate;
  let cursor = 0;
  let inFlight = 0;
  let lateStarts = 0;
  let slotFree: (() => void) | null = null;
  const pending = new Set<Promise<void>>();
  const pick = (): Order | undefined => {
    for (let k = 0; k < orders.length; k++) {
      const o = orders[(cursor + k) % orders.length];
      if (!o.busy && next[o.status]) {
        cursor = (cursor + k + 1) % orders.length;
        return o;
      }
    }
    return undefined;
  };
  const start = performance.now();
  let ranOut = false;
  for (let i = 0; i < total; i++) {
    const due = start + i * interval;
    const wait = due - performance.now();
    if (wait > 1) await sleep(wait);
    while (inFlight >= IN_FLIGHT) await new Promise<void>((r) => (slotFree = r));
    if (performance.now() - due > 10) lateStarts++;
    const o = pick();
    if (!o) {
      ranOut = true;
      break;
    }
    o.version = Math.max(o.version, screens.versions.get(o.id) ?? 0);
    const to = next[o.status];
    const shop = a.shops.get(o.shop)!;
    const cookie = to === 'collected' ? shop.counter : shop.kitchen;
    const rec: MoveRecord = { order: o, to, expected: expectedFor(o), sentAt: performance.now(), answeredAt: NaN, receipts: [], duplicates: 0, failed: false };
    const key = `${o.id}#${o.version + 1}`;
    screens.moves.set(key, rec); // before sending: an event may arrive before the answer
    records.push(rec);
    o.busy = true;
    inFlight++;
    const p = a.move(o, to, cookie)
      .then(
        (r) => {
          rec.answeredAt = r.answeredAt;
          if (r.status !== 200 || r.body?.version !== o.version + 1) {
            rec.failed = true;
            if (records.filter((x) => x.failed).length <= 3) say(`  move ${to} of ${o.id} refused: ${r.status} ${JSON.stringify(r.body)}`);
            return;
          }
          o.version = r.body.version;
          o.status = to;
        },
        (err: Error) => {
          rec.failed = true;
          rec.answeredAt = performance.now();
          say(`  move failed: ${err.message}`);
        },
      )
      .finally(() => {
        o.busy = false;
        inFlight--;
        pending.delete(p);
        const f = slotFree;
        slotFree = null;
        f?.();
      });
    pending.add(p);
  }
  await Promise.all([...pending]);
  return { records, start, lateStarts, ranOut };
}

/**
 * What a move costs Postgres (the commits of every process on this database, and the WAL written
 * and flushed: the whole cluster's, on a quiet machine this run's), and what the database's
 * sessions are doing, sampled every 100 ms: where a move waits.
 */
class DbWatch {
  readonly watch: { pool: pg.Pool; db: string };
  cost0: { commits: number; syncs: number; bytes: number } | null = null;
  readonly waits = new Map<string, number>();
  /** the statements that wait on a lock */
  readonly lockedOn = new Map<string, number>();
  samples = 0;
  sampling = true;
  sampler: Promise<void> = Promise.resolve();

  constructor(watch: { pool: pg.Pool; db: string }) {
    this.watch = watch;
  }

  async pgCost() {
    const r = await this.watch.pool.query<{ commits: string; syncs: string; bytes: string }>(
      `SELECT (SELECT xact_commit FROM pg_stat_database WHERE datname = $1) AS commits, wal_sync AS syncs, wal_bytes AS bytes FROM pg_stat_wal`, [this.watch.db]).catch(() => null);
    return r?.rows[0] ? { commits: Number(r.rows[0].commits), syncs: Number(r.rows[0].syncs), bytes: Number(r.rows[0].bytes) } : null;
  }

  async start() {
    this.cost0 = await this.pgCost();
    this.sampler = (async () => {
      while (this.sampling) {
        const r = await this.watch.pool.query<{ w: string; q: string | null }>(
          `SELECT state || ' / ' || coalesce(wait_event_type || ':' || wait_event, 'on CPU') AS w,
                  CASE WHEN wait_event_type = 'Lock' THEN left(regexp_replace(query, '\\s+', ' ', 'g'), 70) END AS q
             FROM pg_stat_activity
            WHERE datname = $1 AND state <> 'idle' AND pid <> pg_backend_pid() AND backend_type = 'client backend'`, [this.watch.db]).catch(() => ({ rows: [] }));
        this.samples++;
        for (const { w, q } of r.rows) {
          this.waits.set(w, (this.waits.get(w) ?? 0) + 1);
          if (q) this.lockedOn.set(q, (this.lockedOn.get(q) ?? 0) + 1);
        }
        await sleep(100);
      }
    })();
  }

  /** Stops sampling and says what the `n` moves of `elapsed` seconds cost. */
  async stop(n: number, elapsed: number) {
    this.sampling = false;
    await this.sampler;
    const { cost0, samples, waits, lockedOn } = this;
    const cost1 = await this.pgCost();
    if (cost0 && cost1 && n) {
      say(`  Postgres per move: ${((cost1.commits - cost0.commits) / n).toFixed(2)} transactions on this database (reads included), ${((cost1.syncs - cost0.syncs) / n).toFixed(2)} WAL flushes, ${((cost1.bytes - cost0.bytes) / n / 1024).toFixed(1)} KiB of WAL (${Math.round((cost1.syncs - cost0.syncs) / elapsed)} flushes/s)`);
    }
    if (samples && waits.size) {
      const top = [...waits].sort((a, b) => b[1] - a[1]).slice(0, 6).map(([w, c]) => `${w} ${(c / samples).toFixed(1)}`);
      say(`  database sessions busy, on average (state / wait): ${top.join('; ')}`);
      const locked = [...lockedOn].sort((a, b) => b[1] - a[1]).slice(0, 3).map(([q, c]) => `${(c / samples).toFixed(1)} × "${q}"`);
      if (locked.length) say(`  waiting on a lock in: ${locked.join('; ')}`);
    }
  }
}

/** The deliveries expected and received, and the latencies, of the moves that were not refused. */
function tally(records: MoveRecord[]) {
  let expected = 0;
  let received = 0;
  let duplicated = 0;
  const latencies: number[] = [];
  const fromSent: number[] = [];
  const api: number[] = [];
  let failedMoves = 0;
  for (const r of records) {
    if (r.failed) {
      failedMoves++;
      continue;
    }
    expected += r.expected;
    received += Math.min(r.receipts.length, r.expected);
    duplicated += r.duplicates;
    api.push(r.answeredAt - r.sentAt);
    for (const t of r.receipts) {
      latencies.push(t - r.answeredAt);
      fromSent.push(t - r.sentAt);
    }
  }
  return { expected, received, duplicated, latencies, fromSent, api, failedMoves };
}

/** Where the slow moves fell: per second of the phase, the API's max and the moves over 20 ms, by target status. */
function timeline(records: MoveRecord[], start: number) {
  const bySecond = new Map<number, { max: number; slow: string[] }>();
  for (const r of records) {
    if (r.failed) continue;
    const sec = Math.floor((r.sentAt - start) / 1000);
    const b = bySecond.get(sec) ?? { max: 0, slow: [] };
    const ms = r.answeredAt - r.sentAt;
    b.max = Math.max(b.max, ms);
    if (ms > 20) b.slow.push(`${r.to}@${Math.round((r.sentAt - start) % 1000)}:${Math.round(ms)}`);
    bySecond.set(sec, b);
  }
  say(`  phase started at ${Math.round(performance.timeOrigin + start)}`);
  for (const [sec, b] of [...bySecond].sort((x, y) => x[0] - y[0])) say(`  t=${sec}s API max ${f1(b.max)} ms; over 20 ms (status asked@ms into the second: ms): ${b.slow.join(' ')}`);
}

export function line(r: PhaseResult) {
  return `  ${r.system} @ ${r.rate}/s: ${r.moves} moves in ${r.seconds.toFixed(1)} s (${Math.round(achieved(r))}/s)${r.failedMoves ? ` (${r.failedMoves} refused)` : ''}${r.lateStarts ? ` (${r.lateStarts} sent >10 ms late)` : ''}; ` +
    `deliveries ${r.expected} expected, ${r.received} received, ${r.lost} lost, ${r.duplicated} duplicated${r.unexpected ? `, ${r.unexpected} unexpected` : ''}; ` +
    `screen p50 ${f1(r.p50)} / p99 ${f1(r.p99)} / max ${f1(r.max)} ms (from the move sent: p50 ${f1(r.sentP50)} / p99 ${f1(r.sentP99)} ms); API p50 ${f1(r.apiP50)} / p99 ${f1(r.apiP99)} ms; ` +
    `CPU (100% = one core): server ${Math.round(r.serverCpu * 100)}%${r.workersCpu ? `, workers ${Math.round(r.workersCpu * 100)}%` : ''}, Postgres ${Math.round(r.postgresCpu * 100)}%, generator ${Math.round(r.generatorCpu * 100)}%, machine ${Math.round(r.machineCpu * 100)}% of all cores busy`;
}
/** Kept up: nothing lost or refused, screen p99 within the bound, and the moves made at the rate asked
 * (at least 95 % of it: past that the system, or the load generator beside it, fell behind and the
 * latency from the answer alone would hide it). */
export const achieved = (r: PhaseResult) => r.moves / r.seconds;
export const passes = (r: PhaseResult) => r.lost === 0 && r.failedMoves === 0 && r.p99 <= CEILING_P99_MS && achieved(r) >= 0.95 * r.rate;
/**
 * The same, with the latency counted from the move sent (the API's own time included): a system
 * whose API answers only once its screens are told has a screen latency from the answer at or
 * under zero at any rate, so this is the ceiling that compares it fairly.
 */
export const passesFromSent = (r: PhaseResult) => passes(r) && r.sentP99 <= CEILING_P99_MS;
