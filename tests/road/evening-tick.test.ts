// The evenings' tick (workers/evening-owner.ts): a shop with no open order is computed again only
// when the clock or Redis says something new of it — a driver on shift who moved, a phone gone —
// and then its evening is published with the new position; a shop whose drivers said nothing new
// is not published again. Several shops are asked of Redis at each tick, as at a chain's scale.
import pino from 'pino';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { eveningNames, type EveningState } from '../../src/lib/server/flows/evenings.ts';
import { createRedis } from '../../src/lib/server/kernel/redis-options.ts';
import { createPositionStore } from '../../src/lib/server/road/positions.ts';
import { startEveningOwner } from '../../workers/evening-owner.ts';
import { Client, connectSocket, createShop, userId, waitUntil, type TestSocket } from '../helpers.ts';
import { useStack } from '../services.ts';

// no workers of the stack: the owner below is the only one of this queue prefix
const stack = useStack({ workers: false });
const closers: (() => Promise<unknown> | unknown)[] = [];
afterAll(async () => {
  for (const close of closers.reverse()) await close();
});

let clock = Date.now();
function share(phone: TestSocket, lat: number, lng: number): Promise<{ data?: unknown; error?: { message: string } }> {
  clock = Math.max(clock + 1, Date.now());
  return new Promise((resolve) => phone.emit('driver:position', { lat, lng, accuracy: 10, at: clock } as never, resolve as never));
}

describe("the evenings' tick", () => {
  it('publishes again the shop whose driver moved, with the new position, and not the shops whose drivers said nothing new', async () => {
    const shops: { id: number; driverId: number; phone: TestSocket }[] = [];
    for (const tag of ['tick-a', 'tick-b', 'tick-c']) {
      const shop = await createShop(stack.pool, tag);
      const driver = await new Client(stack.base).login(shop.email('driver1'));
      expect((await driver.post('/api/driver/shift', { onShift: true })).status).toBe(200);
      const phone = await connectSocket(stack.base, { cookie: driver.cookie });
      stack.sockets.push(phone);
      shops.push({ id: shop.id, driverId: await userId(stack.pool, shop.email('driver1')), phone });
      expect((await share(phone, 48.86, 2.37)).data).toBeTruthy();
    }

    const prefix = stack.config.QUEUE_PREFIX;
    const redis = createRedis(stack.config, { maxRetriesPerRequest: 1 });
    closers.push(() => redis.disconnect());
    const published: EveningState[] = [];
    const listener = new Redis(stack.config.REDIS_URL);
    closers.push(() => listener.disconnect());
    await listener.subscribe(eveningNames(prefix).updates);
    listener.on('message', (_channel: string, message: string) => published.push(JSON.parse(message.slice(message.indexOf(' ') + 1)) as EveningState));
    const owner = await startEveningOwner({
      db: stack.app.db, databaseUrl: stack.config.DATABASE_URL, redis, prefix, positions: createPositionStore(redis, prefix),
      road: { mode: stack.config.DELIVERY_MODE, eta: stack.config.eta }, log: pino({ level: 'silent' }), tickMs: 300,
    });
    closers.push(() => owner.close());
    const positionOf = (s: EveningState | undefined, driverId: number) => s?.fleet.drivers.find((d) => d.id === driverId)?.position ?? null;
    const lastOf = (shop: number) => published.findLast((s) => s.shop === shop);
    // at its start the owner computes every shop, and publishes what it had not published yet
    await waitUntil(() => shops.every((s) => positionOf(lastOf(s.id), s.driverId)?.lat === 48.86), 15_000, 'every shop published with its driver');
    // a gap of a few ticks with nothing new: nothing published again
    await new Promise((r) => setTimeout(r, 1_500));
    const before = published.length;
    await new Promise((r) => setTimeout(r, 1_500));
    expect(published.slice(before).filter((s) => shops.some((x) => x.id === s.shop))).toEqual([]);

    // the second shop's driver moves: no order, no shift change, only Redis says it
    const [a, b, c] = shops;
    const count = published.length;
    expect((await share(b.phone, 48.871, 2.381)).data).toBeTruthy();
    await waitUntil(() => positionOf(lastOf(b.id), b.driverId)?.lat === 48.871, 10_000, "the second shop's evening with its driver's new position");
    expect(positionOf(lastOf(b.id), b.driverId)).toMatchObject({ lat: 48.871, lng: 2.381 });
    await new Promise((r) => setTimeout(r, 1_000));
    expect(published.slice(count).map((s) => s.shop).filter((shop) => shop === a.id || shop === c.id)).toEqual([]);
  });
});
