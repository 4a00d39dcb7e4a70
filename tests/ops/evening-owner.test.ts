// Each shop's evening is computed by one owner, not by every hub: two hubs (this process) with head
// office open on each, two workers processes (spawned, as they run in production). A change of a
// shop (a driver's shift) reaches its kitchen and both head-office screens as the same reading (the
// same moment of reading, to the millisecond: one computation, relayed by both hubs). The workers
// process that owns the evenings is killed -9: the other takes the lease over within seconds and
// the next change of the shop reaches the screens again.
import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { FleetUpdate, KitchenDrivers } from '../../src/lib/shapes/views.ts';
import { Client, childEnv, connectSocket, createShop, subscribe, waitUntil, workersStartFromNow } from '../helpers.ts';
import { useStack } from '../services.ts';
import { fileDatabase } from '../file-database.ts';
import { EVENING_LEASE } from '../../workers/evening-owner.ts';

const stack = useStack({ env: { LOG_LEVEL: 'error' }, hubs: 2 });

interface Workers {
  child: ChildProcess;
  logs: { msg: string; lease?: string; time: number }[];
}
const workers: Workers[] = [];

function startWorkers(): Workers {
  const child = spawn(process.execPath, ['--import', 'tsx', 'workers/index.ts'], {
    env: childEnv({
      NODE_ENV: 'test',
      DATABASE_URL: fileDatabase().databaseUrl,
      QUEUE_PREFIX: fileDatabase().queuePrefix,
      DEMO_PASSWORD: inject('demoPassword'),
      GEOCODER_URL: inject('geocoderUrl'),
      LOG_LEVEL: 'info',
      SHUTDOWN_TIMEOUT_MS: '2000',
    }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const w: Workers = { child, logs: [] };
  let rest = '';
  child.stdout!.on('data', (d: Buffer) => {
    const lines = (rest + d.toString()).split('\n');
    rest = lines.pop()!;
    for (const line of lines) {
      try {
        w.logs.push(JSON.parse(line));
      } catch {
        // not a log line
      }
    }
  });
  child.stderr!.resume();
  workers.push(w);
  return w;
}
const evenings = () => `${EVENING_LEASE}:${fileDatabase().queuePrefix}`;
const tookEvenings = (w: Workers, since = 0) => w.logs.some((l) => /^evenings' lease taken/.test(l.msg) && l.lease === evenings() && l.time >= since);

beforeAll(async () => {
  await workersStartFromNow(stack.pool);
  startWorkers();
  startWorkers();
  await waitUntil(() => workers.some((w) => tookEvenings(w)), 60_000, 'a workers process to own the evenings');
}, 90_000);
afterAll(async () => {
  for (const w of workers) {
    if (w.child.exitCode !== null || w.child.signalCode) continue;
    w.child.kill('SIGTERM');
    await new Promise((r) => w.child.once('exit', r));
  }
});

/** A screen on a hub, subscribed, and what it heard of the fleet. */
async function screen(base: string, cookie: string, req: Parameters<typeof subscribe>[1]) {
  const socket = await connectSocket(base, { cookie });
  stack.sockets.push(socket);
  const fleet: FleetUpdate[] = [];
  const kitchen: KitchenDrivers[] = [];
  socket.on('fleet:updated', (f) => fleet.push(f));
  socket.on('kitchen:drivers', (k) => kitchen.push(k));
  await subscribe(socket, req);
  return { fleet, kitchen };
}

describe("one owner for each shop's evening", () => {
  it("computes a shop's evening once for every hub, reaches its kitchen and head office, and is taken over when its process is killed", async () => {
    const shop = await createShop(stack.pool, 'owner');
    const [admin, kitchenStaff, driver] = await Promise.all(['admin@ocpizza.test', shop.email('kitchen'), shop.email('driver1')].map((e) => new Client(stack.hubs[0].base).login(e)));
    const hqA = await screen(stack.hubs[0].base, admin.cookie, { scope: 'hq' });
    const hqB = await screen(stack.hubs[1].base, admin.cookie, { scope: 'hq' });
    const kitchen = await screen(stack.hubs[1].base, kitchenStaff.cookie, { scope: 'kitchen', pizzeriaId: shop.id });
    const ofShop = (s: { fleet: FleetUpdate[] }) => s.fleet.filter((f) => f.pizzeriaId === shop.id);
    const onShift = (f: FleetUpdate | undefined) => f?.drivers.find((d) => d.name === `driver1 ${shop.slug}`)?.onShift;

    // a driver starts their shift: the kitchen hears who is on, head office sees them on shift, on both hubs
    const started = Date.now();
    expect((await driver.post('/api/driver/shift', { onShift: true })).status).toBe(200);
    await waitUntil(() => kitchen.kitchen.some((k) => k.drivers.some((d) => d.name === `driver1 ${shop.slug}`)), 5000, 'the kitchen hears the driver on shift');
    const [a, b] = (await waitUntil(() => {
      const [x, y] = [ofShop(hqA).findLast((f) => onShift(f)), ofShop(hqB).findLast((f) => onShift(f))];
      return x && y ? ([x, y] as const) : undefined;
    }, 5000, 'both head-office screens see the driver on shift'))!;
    // one reading of the shop, relayed by both hubs: the same state, read at the same millisecond
    expect(b).toEqual(a);
    expect(Date.parse(a.plan.at)).toBeGreaterThanOrEqual(started);
    const readings = (s: { fleet: FleetUpdate[] }) => new Set(ofShop(s).map((f) => f.plan.at));
    expect(readings(hqB)).toEqual(readings(hqA));

    // the owner of the evenings is killed -9: the other workers process takes the lease over
    const owner = workers.find((w) => tookEvenings(w))!;
    const other = workers.find((w) => w !== owner)!;
    const killedAt = Date.now();
    owner.child.kill('SIGKILL');
    await waitUntil(() => tookEvenings(other, killedAt - 1000), 15_000, 'the other workers process to own the evenings');
    const takeover = other.logs.find((l) => /^evenings' lease taken/.test(l.msg) && l.lease === evenings() && l.time >= killedAt - 1000)!.time - killedAt;
    expect(takeover).toBeLessThan(10_000);

    // the next change of the shop reaches its screens from the new owner
    expect((await driver.post('/api/driver/shift', { onShift: false })).status).toBe(200);
    await waitUntil(() => kitchen.kitchen.at(-1)?.drivers.length === 0, 5000, 'the kitchen hears the shift ended');
    await waitUntil(() => onShift(ofShop(hqA).at(-1)) === false && onShift(ofShop(hqB).at(-1)) === false, 5000, 'head office sees the shift ended');
    expect(ofShop(hqB).at(-1)).toEqual(ofShop(hqA).at(-1));
  }, 60_000);
});
