// The road at rush hour (not a test): drivers' phones sharing their position every 5 s, across two
// hub processes, and how long each position takes to reach the managers' maps.
//
//   npm run bench:road
//
// It creates its own database (migrated, seeded, with BENCH_DRIVERS drivers spread over the five
// shops, all on shift; dropped at the end, also on failure) and queue prefix, and starts TWO built
// servers (`node dist/server/index.js`) on the same Postgres and Redis, as two hubs behind a load
// balancer would be. Drivers' phones connect alternately to one hub and the other; each shop has
// a manager map open on each hub, and head office one on each hub. Every phone sends a position
// every BENCH_EVERY_MS (staggered), for BENCH_SECONDS. For every position accepted it knows the
// two maps that must show it (its shop's, one on each hub; head office's maps take no live stream,
// their fleet pushes carry each driver's latest position) and records when each did:
// latency = receipt − send (one clock: this process), split between maps on the phone's hub and
// maps on the other hub (those go through the shop's Redis channel). Lost = not received within
// 5 s; duplicated = the same position twice on one map.
//
// Knobs (environment): BENCH_DRIVERS (40), BENCH_EVERY_MS (5000), BENCH_SECONDS (60),
// BENCH_DATABASE_BASE_URL (postgres://postgres@127.0.0.1:5432), REDIS_URL (redis://127.0.0.1:6379).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import pg from 'pg';
import { io as ioClient, type Socket } from 'socket.io-client';
import { BASE_DB, REDIS_URL, cpuSeconds, dropBenchData, peakRssMiB, percentile, say, sleep } from './bench-common.ts';
import type { DriverPosition } from '../src/lib/shapes/views.ts';

const DRIVERS = Number(process.env.BENCH_DRIVERS ?? 40);
const EVERY_MS = Number(process.env.BENCH_EVERY_MS ?? 5000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 60);
const GRACE_MS = 5000;

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

async function login(base: string, email: string, password: string): Promise<string> {
  const res = await fetch(`${base}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password }) });
  const cookie = res.headers.get('set-cookie');
  if (res.status !== 200 || !cookie) throw new Error(`login ${email} failed: ${res.status}`);
  return cookie.split(';')[0];
}

function connect(base: string, cookie: string): Promise<Socket> {
  const socket = ioClient(base, { transports: ['websocket'], extraHeaders: { cookie }, reconnection: false });
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', reject);
  });
}

const children: ChildProcess[] = [];
async function stopAll() {
  await Promise.all(
    children.map(
      (c) =>
        new Promise<void>((resolve) => {
          if (c.exitCode !== null || c.signalCode !== null) return resolve();
          c.once('exit', () => resolve());
          c.kill('SIGTERM');
          setTimeout(() => c.kill('SIGKILL'), 15_000).unref();
        }),
    ),
  );
}

async function main() {
  const suffix = `${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  const dbName = `ocpizza_road_${suffix}`;
  const dbUrl = `${BASE_DB}/${dbName}`;
  const queuePrefix = `ocpizza_road_${suffix}`;
  const password = randomBytes(12).toString('base64url');
  say(`OC Pizza Live: the road at rush hour: ${DRIVERS} drivers sharing a position every ${EVERY_MS / 1000} s for ${SECONDS} s, across two hubs`);
  if (!existsSync('dist/server/index.js') || !existsSync('build/handler.js')) {
    say('building (dist/ or build/ missing): npm run build');
    if (spawnSync('npm', ['run', 'build'], { stdio: 'inherit' }).status !== 0) throw new Error('npm run build failed');
  }
  const admin = new pg.Client({ connectionString: `${BASE_DB}/postgres` });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${dbName}`);
  const pool = new pg.Pool({ connectionString: dbUrl, max: 2 });
  const sockets: Socket[] = [];
  try {
    const { migrate } = await import('../db/migrate-runner.ts');
    const { seed } = await import('../db/seed-data.ts');
    await migrate(dbUrl);
    await seed(pool, password);
    const shops = (await pool.query<Shop>('SELECT id, slug, lat, lng FROM pizzerias ORDER BY id')).rows;
    await addDrivers(pool, shops);
    const bases = await startHubs({ dbUrl, queuePrefix, password });
    const maps = await openMaps(bases, shops, password, sockets);
    const phones = await connectPhones(pool, bases, password, sockets);
    say(`${phones.length} phones and ${maps.screens.length} maps connected; sharing positions`);
    const cpu0 = children.map((c) => cpuSeconds(c.pid!));
    const { sent, refused } = await sharePositions(phones, new Map(shops.map((s) => [s.id, s])));
    await sleep(GRACE_MS);
    const cpu = children.map((c, i) => cpuSeconds(c.pid!) - cpu0[i]);
    report(maps, sent, refused, cpu);
  } finally {
    for (const s of sockets) s.close();
    await stopAll();
    await pool.end().catch(() => {});
    await dropBenchData(admin, dbName, queuePrefix);
    await admin.end();
    say(`cleaned up: hubs stopped, database ${dbName} dropped, queue prefix ${queuePrefix} emptied`);
  }
}

interface Shop {
  id: number;
  slug: string;
  lat: number;
  lng: number;
}

/** BENCH_DRIVERS drivers spread over the shops (the seeded ones first), all on shift. */
async function addDrivers(pool: pg.Pool, shops: Shop[]) {
  for (let i = 0; i < DRIVERS; i++) {
    const shop = shops[i % shops.length];
    const n = Math.floor(i / shops.length) + 1;
    await pool.query(
      `INSERT INTO users (email, password_hash, name, role, pizzeria_id, on_shift)
       SELECT $1, password_hash, $2, 'driver', $3, true FROM users WHERE email = 'admin@ocpizza.test'
       ON CONFLICT (email) DO UPDATE SET on_shift = true`,
      [`driver${n}.${shop.slug}@ocpizza.test`, `Driver ${n} ${shop.slug}`, shop.id],
    );
  }
}

/** The two built servers on the same Postgres and Redis, each ready: their addresses. */
async function startHubs(o: { dbUrl: string; queuePrefix: string; password: string }): Promise<string[]> {
  const ports = [await freePort(), await freePort()];
  const env = {
    ...process.env, DATABASE_URL: o.dbUrl, REDIS_URL, QUEUE_PREFIX: o.queuePrefix, HOST: '127.0.0.1', NODE_ENV: 'test', LOG_LEVEL: 'warn',
    DEMO_PASSWORD: o.password, SOCKET_CONNECTS_PER_MINUTE: '100000', SOCKET_MAX_PER_ADDRESS: '100000', GEOCODER_URL: 'none', MAP_TILE_URL: 'none',
  };
  for (const port of ports) children.push(spawn(process.execPath, ['dist/server/index.js'], { env: { ...env, PORT: String(port) }, stdio: ['ignore', 'inherit', 'inherit'] }));
  const bases = ports.map((p) => `http://127.0.0.1:${p}`);
  for (const base of bases) {
    const by = Date.now() + 60_000;
    while (!(await fetch(`${base}/readyz`).then((r) => r.ok, () => false))) {
      if (Date.now() > by) throw new Error(`${base} did not become ready within 60 s`);
      await sleep(200);
    }
  }
  return bases;
}

interface MapScreen { hub: number; shop: number | 'hq'; seen: Set<string> }
interface Maps {
  screens: MapScreen[];
  received: { key: string; hub: number; atMs: number }[];
  duplicated: number;
}

/** The maps: each shop's manager on each hub, head office on each hub. */
async function openMaps(bases: string[], shops: Shop[], password: string, sockets: Socket[]): Promise<Maps> {
  const maps: Maps = { screens: [], received: [], duplicated: 0 };
  const listen = async (hub: number, shop: number | 'hq', cookie: string) => {
    const socket = await connect(bases[hub], cookie);
    sockets.push(socket);
    // a manager's page joins its shop's room (head office: every shop's) by subscribing
    const ack = await socket.timeout(10_000).emitWithAck('subscribe', { scope: shop === 'hq' ? 'hq' : 'shop' });
    if (!ack || !('data' in ack)) throw new Error(`a map could not subscribe: ${JSON.stringify(ack)}`);
    const screen: MapScreen = { hub, shop, seen: new Set() };
    maps.screens.push(screen);
    socket.on('driver:position', (p: DriverPosition) => {
      const key = `${p.driverId}:${Date.parse(p.at)}`;
      if (screen.seen.has(key)) maps.duplicated++;
      screen.seen.add(key);
      maps.received.push({ key, hub, atMs: Date.now() });
    });
  };
  const adminCookie = await login(bases[0], 'admin@ocpizza.test', password);
  for (const hub of [0, 1]) {
    await listen(hub, 'hq', adminCookie);
    for (const s of shops) await listen(hub, s.id, await login(bases[hub], `manager.${s.slug}@ocpizza.test`, password));
  }
  return maps;
}

interface Phone { id: number; shop: number; hub: number; socket: Socket }

/** The phones, alternately on each hub. */
async function connectPhones(pool: pg.Pool, bases: string[], password: string, sockets: Socket[]): Promise<Phone[]> {
  const drivers = (await pool.query<{ id: number; email: string; pizzeria_id: number }>(`SELECT id, email, pizzeria_id FROM users WHERE role = 'driver' AND on_shift ORDER BY id`)).rows;
  const phones: Phone[] = [];
  for (const [i, d] of drivers.entries()) {
    const hub = i % 2;
    const socket = await connect(bases[hub], await login(bases[hub], d.email, password));
    sockets.push(socket);
    phones.push({ id: d.id, shop: d.pizzeria_id, hub, socket });
  }
  return phones;
}

/** Every phone sends a position every EVERY_MS (staggered) for SECONDS: the positions accepted, by key, and how many were refused. */
async function sharePositions(phones: Phone[], shopAt: Map<number, Shop>) {
  const sent = new Map<string, { sentMs: number; hub: number; shop: number }>();
  let refused = 0;
  const endAt = Date.now() + SECONDS * 1000;
  await Promise.all(
    phones.map(async (phone, i) => {
      await sleep((EVERY_MS * i) / phones.length);
      let step = 0;
      while (Date.now() < endAt) {
        const home = shopAt.get(phone.shop)!;
        const at = Date.now();
        const p = { lat: home.lat + 0.0005 * Math.sin(step / 5 + i), lng: home.lng + 0.0005 * Math.cos(step / 5 + i), accuracy: 8, at };
        step++;
        const ack = await phone.socket.timeout(5000).emitWithAck('driver:position', p).catch(() => null);
        if (ack && 'data' in ack) sent.set(`${phone.id}:${at}`, { sentMs: at, hub: phone.hub, shop: phone.shop });
        else refused++;
        await sleep(Math.max(0, at + EVERY_MS - Date.now()));
      }
    }),
  );
  return { sent, refused };
}

/** Latencies by the map's hub against the phone's, and what was lost or duplicated. */
function report(maps: Maps, sent: Map<string, { sentMs: number; hub: number; shop: number }>, refused: number, cpu: number[]) {
  const same: number[] = [];
  const other: number[] = [];
  for (const r of maps.received) {
    const s = sent.get(r.key);
    if (!s) continue;
    (r.hub === s.hub ? same : other).push(r.atMs - s.sentMs);
  }
  let expected = 0;
  let got = 0;
  for (const [key, s] of sent) {
    for (const m of maps.screens) {
      if (m.shop !== s.shop) continue;
      expected++;
      if (m.seen.has(key)) got++;
    }
  }
  const stats = (xs: number[]) => {
    const sorted = [...xs].sort((a, b) => a - b);
    return `p50 ${percentile(sorted, 50)} ms, p99 ${percentile(sorted, 99)} ms, max ${sorted.at(-1) ?? NaN} ms (${sorted.length})`;
  };
  say(`positions accepted ${sent.size}, refused ${refused}`);
  say(`map deliveries expected ${expected}, received ${got}, lost ${expected - got}, duplicated ${maps.duplicated}`);
  say(`position → map, same hub:  ${stats(same)}`);
  say(`position → map, other hub: ${stats(other)}`);
  say(`position → map, all:       ${stats([...same, ...other])}`);
  say(`hubs: peak RSS ${children.map((c) => peakRssMiB(c.pid!).toFixed(0)).join(' / ')} MiB, CPU ${cpu.map((c) => c.toFixed(1)).join(' / ')} s over ${SECONDS} s`);
}

await main();
