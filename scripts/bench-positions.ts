// Positions only where they are watched (not a test): what each of two hubs reads of the chain's
// drivers' positions, and the CPU it spends on them, with every hub reading every position (the
// hubs' shared stream, POSITIONS_TO_HUBS=all) and then with each hub reading only the shops its
// screens watch (sharded pub/sub, POSITIONS_TO_HUBS=watching), in one run on the same data.
//
//   npm run bench:positions
//
// It creates its own database (migrated, seeded, with BENCH_SHOPS shops and BENCH_DRIVERS drivers
// spread over them, all on shift; dropped at the end, also on failure) and queue prefix. For each
// mode it starts TWO built servers (`node dist/server/index.js`): each shop's manager map is open
// on one hub (shops alternately on A and B, as one map per shop spreads over the hubs), head
// office's map on hub A; the phones connect alternately to A and B and each sends a position every
// BENCH_EVERY_MS for BENCH_SECONDS. It prints, per hub: positions it read per second (watching: its
// own count on /metrics; all: every position of the chain, which every hub reads from the stream),
// its CPU (kernel's count, this process apart) per position the chain accepted, and what the maps
// lost (a position its shop's map never got) or got twice.
//
// Knobs (environment): BENCH_SHOPS (60), BENCH_DRIVERS (600), BENCH_EVERY_MS (5000), BENCH_SECONDS (30).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import pg from 'pg';
import { io as ioClient, type Socket } from 'socket.io-client';
import { BASE_DB, REDIS_URL, cpuSeconds, dropBenchData, say, sleep } from './bench-common.ts';
import type { DriverPosition } from '../src/lib/shapes/views.ts';

const SHOPS = Number(process.env.BENCH_SHOPS ?? 60);
const DRIVERS = Number(process.env.BENCH_DRIVERS ?? 600);
const EVERY_MS = Number(process.env.BENCH_EVERY_MS ?? 5000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 30);
const MODES = ['all', 'watching'] as const;
type Mode = (typeof MODES)[number];

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });

// sessions live in Postgres: the second pair of hubs takes the first pair's cookies
const cookies = new Map<string, string>();
async function login(base: string, email: string, password: string): Promise<string> {
  const held = cookies.get(email);
  if (held) return held;
  const res = await fetch(`${base}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password }) });
  const cookie = res.headers.get('set-cookie');
  if (res.status !== 200 || !cookie) throw new Error(`login ${email} failed: ${res.status}`);
  cookies.set(email, cookie.split(';')[0]);
  return cookies.get(email)!;
}

function connect(base: string, cookie: string): Promise<Socket> {
  const socket = ioClient(base, { transports: ['websocket'], extraHeaders: { cookie }, reconnection: false });
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', reject);
  });
}

interface Shop { id: number; slug: string; lat: number; lng: number }
interface Driver { id: number; email: string; shop: number }

/** BENCH_SHOPS shops (the seeded five first), a manager each, and BENCH_DRIVERS drivers on shift spread over them. */
async function addChain(pool: pg.Pool): Promise<{ shops: Shop[]; drivers: Driver[] }> {
  const have = Number((await pool.query('SELECT count(*) AS n FROM pizzerias')).rows[0].n);
  for (let i = have; i < SHOPS; i++) {
    const slug = `bench-${i}`;
    const { rows } = await pool.query<{ id: number }>(
      `INSERT INTO pizzerias (slug, name, address, lat, lng) VALUES ($1, $2, '1 rue de Test, 75011 Paris', $3, $4) RETURNING id`,
      [slug, `OC Pizza ${slug}`, 48.8 + (i % 20) * 0.01, 2.3 + Math.floor(i / 20) * 0.01],
    );
    await addUser(pool, `manager.${slug}@ocpizza.test`, 'manager', rows[0].id);
  }
  const shops = (await pool.query<Shop>('SELECT id, slug, lat, lng FROM pizzerias ORDER BY id LIMIT $1', [SHOPS])).rows;
  for (let i = 0; i < DRIVERS; i++) await addUser(pool, `bench-driver${i}@ocpizza.test`, 'driver', shops[i % shops.length].id);
  const drivers = (await pool.query<{ id: number; email: string; pizzeria_id: number }>(`SELECT id, email, pizzeria_id FROM users WHERE email LIKE 'bench-driver%' ORDER BY id`)).rows;
  return { shops, drivers: drivers.map((d) => ({ id: d.id, email: d.email, shop: d.pizzeria_id })) };
}
const addUser = (pool: pg.Pool, email: string, role: string, shop: number) =>
  pool.query(
    `INSERT INTO users (email, password_hash, name, role, pizzeria_id, on_shift)
     SELECT $1, password_hash, $1, $2::user_role, $3, $2::text = 'driver' FROM users WHERE email = 'admin@ocpizza.test' ON CONFLICT (email) DO NOTHING`,
    [email, role, shop],
  );

const children: ChildProcess[] = [];
async function stopHubs() {
  await Promise.all(
    children.splice(0).map(
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

async function startHubs(o: { dbUrl: string; queuePrefix: string; password: string; mode: Mode }): Promise<string[]> {
  const ports = [await freePort(), await freePort()];
  const env = {
    ...process.env, DATABASE_URL: o.dbUrl, REDIS_URL, QUEUE_PREFIX: o.queuePrefix, HOST: '127.0.0.1', NODE_ENV: 'test', LOG_LEVEL: 'warn',
    DEMO_PASSWORD: o.password, SOCKET_CONNECTS_PER_MINUTE: '100000', SOCKET_MAX_PER_ADDRESS: '100000', GEOCODER_URL: 'none', MAP_TILE_URL: 'none',
    POSITIONS_TO_HUBS: o.mode, RATE_LIMIT_LOGIN: '100000',
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

const receivedOn = async (base: string) => Number(/^ocpizza_positions_received_total (\S+)$/m.exec(await (await fetch(`${base}/metrics`)).text())?.[1] ?? 0);

/** One mode: two fresh hubs, the maps, the phones, SECONDS of positions; what each hub read and spent. */
async function runMode(mode: Mode, o: { dbUrl: string; queuePrefix: string; password: string; shops: Shop[]; drivers: Driver[] }) {
  const sockets: Socket[] = [];
  try {
    const bases = await startHubs({ ...o, queuePrefix: `${o.queuePrefix}_${mode}`, mode });
    // each shop's map on one hub, head office's on hub A
    const seen = new Map<number, Set<string>>();
    let duplicated = 0;
    for (const [i, s] of o.shops.entries()) {
      const base = bases[i % 2];
      const socket = await connect(base, await login(base, `manager.${s.slug}@ocpizza.test`, o.password));
      sockets.push(socket);
      const ack = await socket.timeout(10_000).emitWithAck('subscribe', { scope: 'shop', pizzeriaId: s.id });
      if (!ack || !('data' in ack)) throw new Error(`a map could not subscribe: ${JSON.stringify(ack)}`);
      const mine = new Set<string>();
      seen.set(s.id, mine);
      socket.on('driver:position', (p: DriverPosition) => {
        const key = `${p.driverId}:${Date.parse(p.at)}`;
        if (mine.has(key)) duplicated++;
        mine.add(key);
      });
    }
    const hq = await connect(bases[0], await login(bases[0], 'admin@ocpizza.test', o.password));
    sockets.push(hq);
    await hq.timeout(10_000).emitWithAck('subscribe', { scope: 'hq' });
    const phones: { d: Driver; socket: Socket }[] = [];
    for (const [i, d] of o.drivers.entries()) {
      const socket = await connect(bases[i % 2], await login(bases[i % 2], d.email, o.password));
      sockets.push(socket);
      phones.push({ d, socket });
    }
    await sleep(2000);
    const cpu0 = children.map((c) => cpuSeconds(c.pid!));
    const got0 = await Promise.all(bases.map(receivedOn));
    const sent = await sharePositions(phones, new Map(o.shops.map((s) => [s.id, s])));
    await sleep(2000);
    const cpu = children.map((c, i) => cpuSeconds(c.pid!) - cpu0[i]);
    const got = (await Promise.all(bases.map(receivedOn))).map((n, i) => n - got0[i]);
    let lost = 0;
    for (const [key, shop] of sent) if (!seen.get(shop)?.has(key)) lost++;
    // every hub reads every entry of the shared stream: the chain's every position
    const read = mode === 'all' ? [sent.size, sent.size] : got;
    return { mode, accepted: sent.size, read, cpu, lost, duplicated };
  } finally {
    for (const s of sockets) s.close();
    await stopHubs();
  }
}

/** Every phone sends a position every EVERY_MS (staggered) for SECONDS: the positions accepted, by key, with their shop. */
async function sharePositions(phones: { d: Driver; socket: Socket }[], shopAt: Map<number, Shop>) {
  const sent = new Map<string, number>();
  const endAt = Date.now() + SECONDS * 1000;
  await Promise.all(
    phones.map(async ({ d, socket }, i) => {
      await sleep((EVERY_MS * i) / phones.length);
      for (let step = 0; Date.now() < endAt; step++) {
        const home = shopAt.get(d.shop)!;
        const at = Date.now();
        const p = { lat: home.lat + 0.0005 * Math.sin(step / 5 + i), lng: home.lng + 0.0005 * Math.cos(step / 5 + i), accuracy: 8, at };
        const ack = await socket.timeout(5000).emitWithAck('driver:position', p).catch(() => null);
        if (ack && 'data' in ack) sent.set(`${d.id}:${at}`, d.shop);
        await sleep(Math.max(0, at + EVERY_MS - Date.now()));
      }
    }),
  );
  return sent;
}

async function main() {
  const suffix = `${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  const dbName = `ocpizza_positions_${suffix}`;
  const dbUrl = `${BASE_DB}/${dbName}`;
  const queuePrefix = `ocpizza_positions_${suffix}`;
  const password = randomBytes(12).toString('base64url');
  say(`OC Pizza Live: positions only where they are watched: ${DRIVERS} drivers of ${SHOPS} shops, a position every ${EVERY_MS / 1000} s for ${SECONDS} s, two hubs, each shop's map on one of them`);
  if (!existsSync('dist/server/index.js') || !existsSync('build/handler.js')) {
    say('building (dist/ or build/ missing): npm run build');
    if (spawnSync('npm', ['run', 'build'], { stdio: 'inherit' }).status !== 0) throw new Error('npm run build failed');
  }
  const admin = new pg.Client({ connectionString: `${BASE_DB}/postgres` });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${dbName}`);
  const pool = new pg.Pool({ connectionString: dbUrl, max: 2 });
  try {
    const { migrate } = await import('../db/migrate-runner.ts');
    const { seed } = await import('../db/seed-data.ts');
    await migrate(dbUrl);
    await seed(pool, password);
    const chain = await addChain(pool);
    const results = [];
    for (const mode of MODES) {
      results.push(await runMode(mode, { dbUrl, queuePrefix, password, ...chain }));
    }
    say('');
    say('| hubs read | positions accepted /s | hub A reads /s | hub B reads /s | hub A CPU ms per position | hub B CPU ms per position | lost | twice |');
    say('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
    for (const r of results) {
      const perS = (n: number) => (n / SECONDS).toFixed(1);
      const perPos = (cpu: number) => ((cpu * 1000) / Math.max(1, r.accepted)).toFixed(3);
      say(`| ${r.mode === 'all' ? 'every position (all)' : 'watched shops (watching)'} | ${perS(r.accepted)} | ${perS(r.read[0])} | ${perS(r.read[1])} | ${perPos(r.cpu[0])} | ${perPos(r.cpu[1])} | ${r.lost} | ${r.duplicated} |`);
    }
    say(`(CPU per position: the hub's own CPU over the sending window, divided by the positions the whole chain accepted; each hub accepts half of them from its own phones.)`);
  } finally {
    await stopHubs();
    await pool.end().catch(() => {});
    await dropBenchData(admin, dbName, queuePrefix);
    for (const mode of MODES) await dropBenchData(admin, dbName, `${queuePrefix}_${mode}`).catch(() => {});
    await admin.end();
    say(`cleaned up: hubs stopped, database ${dbName} dropped, queue prefix ${queuePrefix} emptied`);
  }
}

await main();
