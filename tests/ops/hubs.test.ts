// Two hub processes behind one load balancer, as a chain runs them: each relays order events from
// Postgres to its own sockets, and what does not come from Postgres (drivers' positions, the
// system page's screens) crosses between them through Redis streams. Every screen, on either
// hub, gets each order event and each position exactly once.
import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { DriverPosition, SystemStatus } from '../../src/lib/shapes/views.ts';
import type { OrderUpdated } from '../../src/lib/realtime/contract.ts';
import { seededProduct, Client, addressFor, childEnv, connectSocket, createShop, freePort, move, subscribe, testPool, waitUntil, type TestSocket, assignDriver } from '../helpers.ts';
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
      // their own streams: other test servers of this run are not part of this pair
      QUEUE_PREFIX: `${fileDatabase().queuePrefix}_hubs`,
      DEMO_PASSWORD: inject('demoPassword'),
      GEOCODER_URL: inject('geocoderUrl'),
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      SOCKET_CONNECTS_PER_MINUTE: '100000',
      SOCKET_MAX_PER_ADDRESS: '100000',
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
beforeAll(async () => {
  [a, b] = await Promise.all([startHub('A'), startHub('B')]);
  // each hub sees the other's heartbeat before the test relies on it
  await new Promise((r) => setTimeout(r, 3500));
}, 60_000);
afterAll(async () => {
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
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('two hubs', () => {
  it('order events reach screens on both hubs, each exactly once; positions cross hubs, each exactly once', async () => {
    const shop = await createShop(pool, 'hubs');
    const kitchenA = await socketOn(a, { cookie: (await new Client(a).login(shop.email('kitchen'))).cookie });
    const kitchenB = await socketOn(b, { cookie: (await new Client(b).login(shop.email('kitchen'))).cookie });
    const managerA = await socketOn(a, { cookie: (await new Client(a).login(shop.email('manager'))).cookie });
    const managerB = await socketOn(b, { cookie: (await new Client(b).login(shop.email('manager'))).cookie });
    for (const [s, scope] of [[kitchenA, 'kitchen'], [kitchenB, 'kitchen'], [managerA, 'shop'], [managerB, 'shop']] as const) {
      expect((await subscribe(s, { scope, pizzeriaId: shop.id })).data).toBeTruthy();
    }
    const events = new Map<TestSocket, OrderUpdated[]>();
    const positions = new Map<TestSocket, DriverPosition[]>();
    for (const s of [kitchenA, kitchenB, managerA, managerB]) {
      events.set(s, []);
      positions.set(s, []);
      s.on('order:updated', (e) => events.get(s)!.push(e));
      s.on('driver:position', (p) => positions.get(s)!.push(p as DriverPosition));
    }

    // orders placed through either hub, from a number of this run's own (the limit per phone counts every file's orders)
    const noePhone = `07${String(Date.now()).slice(-8)}`;
    const placed = [];
    for (const base of [a, b, a, b]) {
      const r = await new Client(base).post('/api/orders', {
        pizzeriaId: shop.id, fulfilment: 'delivery', customer: { name: 'Noé', phone: noePhone }, address: addressFor(shop.id),
        items: [{ productId: margherita, quantity: 1 }], payment: 'on_delivery',
      });
      expect(r.status, JSON.stringify(r.body)).toBe(201);
      placed.push(r.body);
    }
    await waitUntil(() => [kitchenA, kitchenB].every((s) => events.get(s)!.length >= 4), 10_000, 'both kitchens to see the four orders');

    // a driver on hub A, the customer's tracking page on hub B
    const driver = await new Client(a).login(shop.email('driver1'));
    await driver.post('/api/driver/shift', { onShift: true });
    const phone = await socketOn(a, { cookie: driver.cookie });
    const kitchen = await new Client(b).login(shop.email('kitchen'));
    await move(kitchen, placed[0].id, 'preparing');
    await move(kitchen, placed[0].id, 'ready');
    expect((await assignDriver(pool, placed[0].id)).assigned).toBe(true);
    await move(driver, placed[0].id, 'out_for_delivery');
    const page = await socketOn(b, { trackingToken: placed[0].trackingToken });
    await subscribe(page, { scope: 'order' });
    const pageSaw: unknown[] = [];
    page.on('driver:position', (p) => pageSaw.push(p));

    let at = Date.now();
    for (let i = 0; i < 5; i++) {
      const ack = await new Promise<{ data?: unknown; error?: unknown }>((resolve) =>
        phone.emit('driver:position', { lat: 48.86 + i * 0.001, lng: 2.37, accuracy: 10, at: (at += 1000) - 5000 }, resolve as never),
      );
      expect(ack, JSON.stringify(ack)).toEqual({ data: { accepted: true } });
    }
    await waitUntil(() => [managerA, managerB].every((s) => positions.get(s)!.length >= 5) && pageSaw.length >= 5, 10_000, 'positions on both hubs');
    await sleep(1000); // anything that would come twice has come by now

    for (const s of [managerA, managerB]) {
      const lats = positions.get(s)!.map((p) => p.lat);
      expect(lats).toEqual([48.86, 48.861, 48.862, 48.863, 48.864]);
    }
    expect(pageSaw).toHaveLength(5);
    // kitchens never get positions
    expect(positions.get(kitchenA)).toHaveLength(0);
    expect(positions.get(kitchenB)).toHaveLength(0);
    // each event once per screen, on both hubs
    for (const s of [kitchenA, kitchenB, managerA, managerB]) {
      const ids = events.get(s)!.map((e) => e.eventId);
      expect(new Set(ids).size, 'no event twice').toBe(ids.length);
    }
    const placedEvents = (s: TestSocket) => events.get(s)!.filter((e) => e.type === 'order.placed').map((e) => e.order.id).sort();
    expect(placedEvents(kitchenA)).toEqual(placed.map((p) => p.id).sort());
    expect(placedEvents(kitchenB)).toEqual(placed.map((p) => p.id).sort());
    expect(events.get(managerA)!.map((e) => e.eventId)).toEqual(events.get(managerB)!.map((e) => e.eventId));
  });

  it("the system page on one hub lists the screens connected to the other", async () => {
    const shop = await createShop(pool, 'hubs-system');
    const kitchenOnA = await socketOn(a, { cookie: (await new Client(a).login(shop.email('kitchen'))).cookie });
    await subscribe(kitchenOnA, { scope: 'kitchen', pizzeriaId: shop.id });
    const admin = await socketOn(b, { cookie: (await new Client(b).login('admin@ocpizza.test')).cookie });
    const statuses: SystemStatus[] = [];
    admin.on('system:status', (s) => statuses.push(s));
    await subscribe(admin, { scope: 'system' });
    await waitUntil(() => statuses.some((s) => s.screens.some((x) => x.socketId === kitchenOnA.id)), 10_000, 'the kitchen on hub A to show on hub B');
    const last = statuses.findLast((s) => s.screens.some((x) => x.socketId === kitchenOnA.id))!;
    expect(last.screens.find((x) => x.socketId === kitchenOnA.id)).toMatchObject({ role: 'kitchen', pizzeriaId: shop.id, scopes: ['kitchen'] });
  });
});
