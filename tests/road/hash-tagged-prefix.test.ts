// On Redis Cluster, BullMQ needs its prefix to be a hash tag, `{ocpizza}` (docs.bullmq.io, Patterns,
// Redis Cluster): every key of a queue then hashes to one slot, as its scripts need. The install runs
// whole on such a prefix, against the real Redis: the hub, the workers, their queues and lease; an
// order paid online goes through the payment's jobs to the kitchen, and every key and stream the
// install wrote carries the hash tag, so Redis Cluster would put them all in the same slot.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { Client, connectSocket, createShop, deleteRedisKeys, driverOnShift, payAndWaitReceived, placeThroughApi, seededProduct, subscribe, waitUntil } from '../helpers.ts';
import { useStack } from '../services.ts';
import { jobId } from '../../src/lib/server/kernel/queues.ts';

const tag = `t_${randomBytes(4).toString('hex')}`;
const prefix = `{${tag}}`;
// registered before the stack's own: runs after it has closed, so nothing writes under the prefix again
afterAll(() => deleteRedisKeys(prefix));

// two hubs: what crosses from one to the other goes through the hubs' Redis stream, <prefix>:hub, and
// positions through their shop's channel
const stack = useStack({ workers: true, hubs: 2, env: { QUEUE_PREFIX: prefix } });
const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
afterAll(() => redis.disconnect());

/** The part of a key Redis Cluster hashes (its specification, "Hash tags"): between the first { and the next }, when not empty; else the whole key. */
function hashedPart(key: string): string {
  const open = key.indexOf('{');
  const close = open < 0 ? -1 : key.indexOf('}', open + 1);
  return close > open + 1 ? key.slice(open + 1, close) : key;
}

async function keysUnder(pattern: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    keys.push(...found);
    cursor = next;
  } while (cursor !== '0');
  return keys;
}

describe('a hash-tagged queue prefix, for Redis Cluster', () => {
  let shop: Awaited<ReturnType<typeof createShop>>;
  beforeAll(async () => {
    shop = await createShop(stack.pool, 'hashtag');
  });

  it('is the prefix the stack runs on', () => {
    expect(stack.config.QUEUE_PREFIX).toBe(prefix);
  });

  it('takes an order paid online to the kitchen through the queues, under the hash tag', async () => {
    const placed = await placeThroughApi(stack.base, { pizzeriaId: shop.id, productId: seededProduct('margherita'), fulfilment: 'pickup', payment: 'online' });
    const t = await payAndWaitReceived(stack.base, placed.trackingToken);
    expect(t).toMatchObject({ status: 'received', payment: { status: 'authorised', paidWith: 'online' } });
    const job = await stack.workers.queues.payments.getJob(jobId.paymentBegin(placed.id, 1));
    expect(job?.finishedOn).toBeTruthy();
    // BullMQ's keys of that job: <prefix>:<queue>:<job id>
    expect(await redis.exists(`${prefix}:payments:${job!.id}`)).toBe(1);
    expect((await new Client(stack.base).get(`/api/track/${placed.trackingToken}`)).body.status).toBe('received');
  });

  it("carries a driver's position from one hub to the manager's screen on the other, through its shop's channel", async () => {
    const manager = await new Client(stack.hubs[1].base).login(shop.email('manager'));
    const screen = await connectSocket(stack.hubs[1].base, { cookie: manager.cookie });
    stack.sockets.push(screen);
    const seen: { driverId: number; lat: number }[] = [];
    screen.on('driver:position', (p) => seen.push(p));
    expect(await subscribe(screen, { scope: 'shop' })).toMatchObject({ data: {} });
    const driver = await driverOnShift(stack.hubs[0].base, shop.email('driver1'));
    stack.sockets.push(driver.phone);
    expect(await driver.at(100)).toEqual({ data: { accepted: true } });
    await waitUntil(() => seen.length > 0, 10_000, "the position on the other hub's screen");
    expect(seen[0].lat).toBeCloseTo(48.86 + 100 / 111_200, 6);
  });

  it("keeps every key and stream of the install in one hash slot: the queues', the hubs' stream, positions, rate limits", async () => {
    // positions cross by their shop's channel (a channel is no key: Cluster spreads the shops over its
    // shards); the hubs' stream carries what goes to every hub: a broadcast through the adapter writes it
    stack.hubs[0].app.hub.io.to('no-screen').emit('server:restarting');
    await waitUntil(async () => (await redis.exists(`${prefix}:hub`)) === 1, 5000, "the hubs' stream");
    const keys = await keysUnder(`${prefix}:*`);
    const kinds = new Set(keys.map((k) => k.slice(prefix.length + 1).split(':')[0]));
    expect([...kinds]).toEqual(expect.arrayContaining(['payments', 'prep-timers', 'hub', 'pos', 'rl']));
    expect(await redis.type(`${prefix}:hub`)).toBe('stream');
    expect(keys.filter((k) => hashedPart(k) !== tag)).toEqual([]);
    // and nothing of the install under the prefix without its braces
    expect(await keysUnder(`${tag}*`)).toEqual([]);
  });
});
