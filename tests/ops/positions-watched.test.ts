// Drivers' positions reach only the hubs whose screens watch them. Two real hub processes on the
// same Postgres and Redis (7: sharded pub/sub): hub A holds the map of shop 1's manager, hub B the
// map of shop 2's. Shop 1's drivers send positions (from either hub): hub A's map gets every one,
// and hub B's process reads none of them (its own count on /metrics). A screen of shop 1 opened on
// hub B later gets the next position within a second, and none once it has gone; the tracking
// page of an order gets its driver's positions on a hub that watches nothing else of the shop;
// head office's map gets no live stream and shows each driver from its fleet pushes (each shop's
// evening computed by the owner of the evenings, here in this process, and relayed by the hubs).
import { spawn, type ChildProcess } from 'node:child_process';
import { Redis } from 'ioredis';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { DriverPosition, FleetUpdate, TrackedDriverPosition } from '../../src/lib/shapes/views.ts';
import { EVENING_TICK_MS as FLEET_REFRESH_MS, startEveningOwner } from '../../workers/evening-owner.ts';
import { createPositionStore } from '../../src/lib/server/road/positions.ts';
import { DEFAULT_ETA_SETTINGS } from '../../src/lib/domain/eta.ts';
import { Client, addressFor, assignDriver, childEnv, connectSocket, createShop, freePort, move, seededProduct, subscribe, testPool, userId, waitUntil, type TestSocket } from '../helpers.ts';
import { fileDatabase } from '../file-database.ts';

const pool = testPool();
const hubs: { child: ChildProcess; base: string; out: string[] }[] = [];
const opened: TestSocket[] = [];
const margherita = seededProduct('margherita');

async function startHub(name: string) {
  const port = await freePort();
  const out: string[] = [];
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/index.ts'], {
    env: childEnv({
      NODE_ENV: 'test',
      DATABASE_URL: fileDatabase().databaseUrl,
      // their own channels: other test servers of this run are not part of this pair
      QUEUE_PREFIX: prefix,
      DEMO_PASSWORD: inject('demoPassword'),
      GEOCODER_URL: inject('geocoderUrl'),
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      SOCKET_CONNECTS_PER_MINUTE: '100000',
      SOCKET_MAX_PER_ADDRESS: '100000',
      POSITIONS_PER_10S: '1000',
    }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d) => out.push(`${name}: ${d}`));
  child.stderr!.on('data', (d) => out.push(`${name}: ${d}`));
  const base = `http://127.0.0.1:${port}`;
  await waitUntil(async () => child.exitCode === null && (await fetch(`${base}/readyz`).then((r) => r.ok, () => false)), 30_000, `hub ${name} to be ready`);
  hubs.push({ child, base, out });
  return base;
}

let a: string;
let b: string;
let prefix = '';
const ownerRedis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { maxRetriesPerRequest: 1 });
let owner: Awaited<ReturnType<typeof startEveningOwner>> | null = null;
beforeAll(async () => {
  prefix = `${fileDatabase().queuePrefix}_watch`;
  [a, b] = await Promise.all([startHub('A'), startHub('B')]);
  owner = await startEveningOwner({
    db: pool, databaseUrl: fileDatabase().databaseUrl, redis: ownerRedis, prefix, positions: createPositionStore(ownerRedis, prefix),
    road: { mode: 'scooter', eta: DEFAULT_ETA_SETTINGS }, log: pino({ level: 'warn' }),
  });
}, 60_000);
afterAll(async () => {
  await owner?.close();
  ownerRedis.disconnect();
  for (const s of opened) s.close();
  for (const h of hubs) {
    h.child.kill('SIGTERM');
    await new Promise((r) => h.child.once('exit', r));
  }
  await pool.end();
});

async function socketOn(base: string, opts: { cookie?: string; trackingToken?: string }) {
  const s = await connectSocket(base, opts);
  opened.push(s);
  return s;
}
async function screen(base: string, email: string, req: Parameters<typeof subscribe>[1]) {
  const s = await socketOn(base, { cookie: (await new Client(base).login(email)).cookie });
  expect((await subscribe(s, req)).data).toBeTruthy();
  const seen: (DriverPosition | TrackedDriverPosition)[] = [];
  s.on('driver:position', (p) => seen.push(p));
  return { socket: s, seen };
}

/** What a hub's process counts on /metrics: positions it read from Redis for its screens, and published. */
async function countsOf(base: string) {
  const text = await (await fetch(`${base}/metrics`)).text();
  const read = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
  return { received: read('ocpizza_positions_received_total'), published: read('ocpizza_positions_published_total'), channels: read('ocpizza_position_channels') };
}

let clock = Date.now();
async function share(phone: TestSocket, lat: number) {
  clock = Math.max(clock + 1, Date.now());
  const ack = await phone.timeout(5000).emitWithAck('driver:position', { lat, lng: 2.37, accuracy: 10, at: clock });
  expect(ack, JSON.stringify(ack)).toEqual({ data: { accepted: true } });
}

async function phoneOn(base: string, email: string) {
  const driver = await new Client(base).login(email);
  expect((await driver.post('/api/driver/shift', { onShift: true })).status).toBe(200);
  return { driver, phone: await socketOn(base, { cookie: driver.cookie }) };
}

describe('positions only where they are watched', () => {
  it("a hub that holds no screen of a shop reads none of its positions; a screen opened there later gets them within a second, the tracking page its driver's, head office its fleet", async () => {
    const [shop1, shop2] = [await createShop(pool, 'watch-1'), await createShop(pool, 'watch-2')];
    const mapA = await screen(a, shop1.email('manager'), { scope: 'shop', pizzeriaId: shop1.id });
    const mapB = await screen(b, shop2.email('manager'), { scope: 'shop', pizzeriaId: shop2.id });
    // shop 1's drivers: one phone on each hub (a phone's hub is the load balancer's choice)
    const one = await phoneOn(a, shop1.email('driver1'));
    const two = await phoneOn(b, shop1.email('driver2'));
    const before = { a: await countsOf(a), b: await countsOf(b) };
    expect(before.b.channels).toBe(1); // shop 2's room only

    for (let i = 0; i < 5; i++) {
      await share(one.phone, 48.86 + i * 0.001);
      await share(two.phone, 48.87 + i * 0.001);
    }
    await waitUntil(() => mapA.seen.length >= 10, 10_000, "shop 1's ten positions on hub A's map");
    const afterShop1 = { a: await countsOf(a), b: await countsOf(b) };
    expect(afterShop1.a.received - before.a.received).toBe(10);
    expect(afterShop1.b.published - before.b.published, 'hub B published its phone\'s five').toBe(5);
    // hub B's process read none of shop 1's positions, and its map saw none
    expect(afterShop1.b.received - before.b.received).toBe(0);
    expect(mapB.seen).toEqual([]);

    // the tracking page of an order driver 1 carries, on hub B (which watches nothing of shop 1)
    const placed = await new Client(a).post('/api/orders', {
      pizzeriaId: shop1.id, fulfilment: 'delivery', customer: { name: 'Noé', phone: `07${String(Date.now()).slice(-8)}` }, address: addressFor(shop1.id),
      items: [{ productId: margherita, quantity: 1 }], payment: 'on_delivery',
    });
    expect(placed.status, JSON.stringify(placed.body)).toBe(201);
    const kitchen = await new Client(a).login(shop1.email('kitchen'));
    await move(kitchen, placed.body.id, 'preparing');
    await move(kitchen, placed.body.id, 'ready');
    await pool.query('UPDATE users SET on_shift = false WHERE email = $1', [shop1.email('driver2')]);
    const assigned = await assignDriver(pool, placed.body.id);
    expect(assigned).toMatchObject({ assigned: true, driverId: await userId(pool, shop1.email('driver1')) });
    await move(one.driver, placed.body.id, 'out_for_delivery');
    const page = await socketOn(b, { trackingToken: placed.body.trackingToken });
    await subscribe(page, { scope: 'order' });
    const pageSaw: TrackedDriverPosition[] = [];
    page.on('driver:position', (p) => pageSaw.push(p as TrackedDriverPosition));
    const beforePage = await countsOf(b);
    for (const lat of [48.88, 48.881, 48.882]) await share(one.phone, lat);
    await waitUntil(() => pageSaw.length >= 3 && mapA.seen.length >= 13, 10_000, "the driver's positions on the tracking page");
    expect(pageSaw.map((p) => p.lat)).toEqual([48.88, 48.881, 48.882]);
    expect(pageSaw[0]).not.toHaveProperty('carrying'); // the customer's cut
    // hub B read the page's three, not the shop's
    expect((await countsOf(b)).received - beforePage.received).toBe(3);
    expect(mapB.seen).toEqual([]);
    page.close();

    // shop 1's manager opens the map on hub B too: the next position reaches it within a second
    const lateMap = await screen(b, shop1.email('manager'), { scope: 'shop', pizzeriaId: shop1.id });
    const joinedAt = Date.now();
    await share(one.phone, 48.89);
    await waitUntil(() => lateMap.seen.some((p) => p.lat === 48.89), 1000, 'the next position on the map opened on hub B');
    expect(Date.now() - joinedAt).toBeLessThan(1000);
    // and once it has gone, hub B stops reading shop 1 again
    lateMap.socket.close();
    await waitUntil(async () => (await countsOf(b)).channels === 1, 5000, "hub B's channels back to shop 2's");
    const beforeGone = await countsOf(b);
    await share(one.phone, 48.891);
    await waitUntil(() => mapA.seen.some((p) => p.lat === 48.891), 5000, 'the position on hub A');
    expect((await countsOf(b)).received).toBe(beforeGone.received);

    // head office on hub B: no live stream, each driver where the fleet push says (within its refresh)
    const hq = await socketOn(b, { cookie: (await new Client(b).login('admin@ocpizza.test')).cookie });
    const fleets: FleetUpdate[] = [];
    hq.on('fleet:updated', (f) => fleets.push(f));
    const hqSaw: unknown[] = [];
    hq.on('driver:position', (p) => hqSaw.push(p));
    expect((await subscribe(hq, { scope: 'hq' })).data).toBeTruthy();
    const beforeHq = await countsOf(b);
    await share(one.phone, 48.892);
    const onHqMap = () => fleets.findLast((f) => f.pizzeriaId === shop1.id)?.drivers.find((d) => d.id === assigned.driverId)?.position;
    await waitUntil(() => onHqMap()?.lat === 48.892, FLEET_REFRESH_MS + 5000, "driver 1 on head office's map");
    expect(hqSaw).toEqual([]);
    expect((await countsOf(b)).received).toBe(beforeHq.received);
  });
});
