// What the rush-hour benchmark's parts share (scripts/bench-rush.ts, bench-rush-phase.ts,
// bench-rush-children.ts): its knobs, its readings of the machine, its requests and processes, the
// shapes of what it measures.
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer as createNetServer } from 'node:net';
import { performance } from 'node:perf_hooks';
import { cpuSeconds, say } from './bench-common.ts';

export const num = (name: string, dflt: number, min = 0) => {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return dflt;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < min) throw new Error(`${name} must be a number >= ${min}, got "${raw}"`);
  return n;
};

export const NOTIFY_CHANNEL = 'bench_rush_moves';

// the knobs (docs in scripts/bench-rush.ts)
export const SOCKETS = Math.floor(num('BENCH_SOCKETS', 5000, 1));
/** Where to write the report as JSON as well (bench:smoke reads it). */
export const REPORT_JSON = process.env.BENCH_REPORT_JSON || '';
export const STAFF = Math.min(SOCKETS, Math.floor(num('BENCH_STAFF', 80, 0)));
export const RATE = num('BENCH_RATE', 200, 1);
export const SECONDS = num('BENCH_SECONDS', 30, 1);
export const IN_FLIGHT = Math.floor(num('BENCH_IN_FLIGHT', 200, 1));
export const GRACE_MS = num('BENCH_GRACE_MS', 5000);
export const CEILING = !!process.env.BENCH_CEILING && process.env.BENCH_CEILING !== '0';
export const IDLE_SOCKETS = num('BENCH_IDLE_SOCKETS', 0);
export const CEILING_RATES = (process.env.BENCH_CEILING_RATES ?? '100,200,400,700,1000,1500').split(',').map(Number).filter((n) => n > 0);
export const STEP_SECONDS = num('BENCH_STEP_SECONDS', 15, 1);
export const SYSTEMS = (process.env.BENCH_SYSTEMS ?? 'project,bare').split(',').map((s) => s.trim());
export const CONNECT_BATCH = Math.floor(num('BENCH_CONNECT_BATCH', 100, 1));
export const PLACE_CONCURRENCY = Math.floor(num('BENCH_PLACE_CONCURRENCY', 16, 1));
/** Server processes per system: the sockets are dealt out among them, the moves sent to each in turn. */
export const SERVERS = Math.floor(num('BENCH_SERVERS', 1, 1));
export const CEILING_P99_MS = 50;

export const NEXT: Record<string, string> = { received: 'preparing', preparing: 'ready', ready: 'collected' };
export const BARE_NEXT: Record<string, string> = { ...NEXT, collected: 'received' }; // the bare table has no rules: it cycles

export const sortedOf = (values: number[]) => Float64Array.from(values).sort();

/** CPU seconds of every Postgres process on the machine (its backends for every database), by pid. */
export function postgresCpu(): Map<number, number> {
  const out = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() !== 'postgres') continue;
      out.set(Number(entry), cpuSeconds(Number(entry)));
    } catch {
      /* gone meanwhile */
    }
  }
  return out;
}
export const postgresCpuSince = (before: Map<number, number>) => {
  let total = 0;
  for (const [pid, secs] of postgresCpu()) total += secs - (before.get(pid) ?? 0);
  return total;
};
/** The whole machine's busy and total CPU ticks (all cores), from /proc/stat. */
export function machineTicks() {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const total = f.reduce((a, b) => a + b, 0);
  const idle = f[3] + (f[4] ?? 0);
  return { busy: total - idle, total };
}

export async function freePort(): Promise<number> {
  const srv = createNetServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const port = (srv.address() as { port: number }).port;
  await new Promise((resolve) => srv.close(resolve));
  return port;
}

export async function post(base: string, path: string, body: unknown, cookie?: string, headers: Record<string, string> = {}) {
  const res = await fetch(base + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(cookie ? { cookie } : {}), ...headers },
    body: JSON.stringify(body),
  });
  const answeredAt = performance.now();
  const json = (await res.json().catch(() => null)) as any;
  return { status: res.status, body: json, answeredAt, setCookie: res.headers.get('set-cookie') };
}

/** Runs tasks with at most `n` at once. */
export async function pooled<T>(items: T[], n: number, f: (item: T, i: number) => Promise<void>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        await f(items[i], i);
      }
    }),
  );
}

export interface Shop {
  id: number;
  slug: string;
  kitchen: string;
  counter: string;
  manager: string;
}
export interface Order {
  id: string;
  shop: number;
  token: string | null; // followed by a customer when set
  doc: Record<string, unknown>; // the order as the API answered at placement (the bare relay's payload)
  status: string;
  version: number;
  busy: boolean;
}
/** What a screen subscribes to, in each system's terms. */
export interface Screen {
  /** menu: a storefront visitor's live menu (the idle sockets); never a receiver of moves */
  kind: 'kitchen' | 'shop' | 'hq' | 'order' | 'menu';
  shop: number | null;
  order: Order | null;
}
export interface MoveRecord {
  order: Order;
  /** The status the move asked for. */
  to: string;
  expected: number;
  sentAt: number;
  answeredAt: number; // NaN until answered
  receipts: number[];
  duplicates: number;
  failed: boolean;
}
export interface PhaseResult {
  system: string;
  rate: number;
  seconds: number;
  moves: number;
  failedMoves: number;
  lateStarts: number;
  expected: number;
  received: number;
  lost: number;
  duplicated: number;
  unexpected: number;
  p50: number;
  p99: number;
  max: number;
  /** From the move sent to each screen's receipt: the API's time included (not negative). */
  sentP50: number;
  sentP99: number;
  apiP50: number;
  apiP99: number;
  serverCpu: number; // cores
  workersCpu: number; // cores
  machineCpu: number; // share of all cores busy
  generatorCpu: number; // cores
  postgresCpu: number; // cores, every Postgres process on the machine
}

export type MoveFn = (o: Order, to: string, cookie: string) => Promise<{ status: number; body: any; answeredAt: number }>;

export const f1 = (v: number) => (Number.isFinite(v) ? v.toFixed(1) : 'n/a');

export interface SystemReport {
  system: string;
  phases: PhaseResult[];
  peakRssMiB: number;
  connectSeconds: number;
}

/** Extra Node flags for the measured processes (BENCH_NODE_FLAGS, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof" to profile them). */
export const NODE_FLAGS = (process.env.BENCH_NODE_FLAGS ?? '').split(/\s+/).filter(Boolean);

export function startNode(args: string[], env: Record<string, string>, label: string, ipc = false): ChildProcess {
  const child = spawn(process.execPath, [...NODE_FLAGS, ...args], {
    env: { ...process.env, ...env },
    stdio: ipc ? ['ignore', 'inherit', 'inherit', 'ipc'] : ['ignore', 'inherit', 'inherit'],
  });
  child.once('exit', (code, signal) => {
    if (!stopping.has(child)) say(`  ${label} exited unexpectedly (${code ?? signal})`);
  });
  return child;
}
export const stopping = new Set<ChildProcess>();

/**
 * The environment of the built server and workers in a benchmark: its own database and queue
 * prefix, and allowances sized for a crowd that all comes from 127.0.0.1.
 */
export function projectEnv(o: { dbUrl: string; queuePrefix: string; password: string; redisUrl: string }): Record<string, string> {
  return {
    DATABASE_URL: o.dbUrl, REDIS_URL: o.redisUrl, QUEUE_PREFIX: o.queuePrefix, HOST: '127.0.0.1', NODE_ENV: 'test', LOG_LEVEL: 'warn',
    DEMO_PASSWORD: o.password, RATE_LIMIT_ORDERS: '100000000',
    // every customer of this benchmark orders from 127.0.0.1: the per-client allowances are a real crowd's
    UNPAID_ORDERS_PER_CLIENT: '100000000', UNPAID_ITEMS_PER_CLIENT: '100000000', UNPAID_STOCK_SHARE: '1',
    ORDERS_PER_CONTACT_PER_HOUR: '100000000', MESSAGES_PER_CLIENT_PER_HOUR: '100000000',
    // every client of this benchmark comes from 127.0.0.1
    SOCKET_CONNECTS_PER_MINUTE: '100000000', SOCKET_MAX_PER_ADDRESS: '100000000',
  };
}

/** Waits until every server answers /readyz (60 s at most, or until one exits). */
export async function waitReady(bases: string[], servers: ChildProcess[]) {
  const readyBy = Date.now() + 60_000;
  for (const [i, b] of bases.entries()) {
    for (;;) {
      const ok = await fetch(`${b}/readyz`).then((r) => r.ok, () => false);
      if (ok) break;
      if (Date.now() > readyBy || servers[i].exitCode !== null) throw new Error('the server did not become ready within 60 s');
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

/** `count` bare relays (scripts/bench-rush.ts --bare) on a database holding a bare_orders table: their addresses (the children are pushed to `children`). */
export async function startBareRelays(dbUrl: string, count: number, children: ChildProcess[]): Promise<string[]> {
  const bases: string[] = [];
  for (let i = 0; i < count; i++) {
    const child = startNode(['--import', 'tsx', 'scripts/bench-rush.ts', '--bare'], { BARE_DATABASE_URL: dbUrl }, 'bare relay', true);
    children.push(child);
    const port = await new Promise<number>((resolve, reject) => {
      child.once('message', (m: { port: number }) => resolve(m.port));
      child.once('exit', (code) => reject(new Error(`the bare relay exited (${code})`)));
    });
    bases.push(`http://127.0.0.1:${port}`);
  }
  return bases;
}
export async function stop(child: ChildProcess | undefined) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  stopping.add(child);
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

