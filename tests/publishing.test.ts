// Publishing order events (src/lib/server/events.ts, db/migrations/0008_event_inbox.sql): a change
// writes its event to the inbox; the hubs publish it at once, the workers only as a backup when no
// hub did. No hub runs in this file: the followers here are the only publishers.
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import pg from 'pg';
import { createShop, customer, productId, testPool, userId } from './helpers.ts';
import type { OrderUpdated } from '../src/lib/realtime/contract.ts';
import { EventFollower, PUBLISH_BACKUP_DELAY_MS, PUBLISH_SWEEP_MS } from '../src/lib/server/event-follower.ts';
import { publishEvents } from '../src/lib/server/events.ts';
import { advanceOrder, placeOrder } from '../src/lib/server/orders.ts';

let pool: pg.Pool;
let margherita: number;
// a shop of its own, well stocked: the seeded shops' stock is shared by the whole suite
let shop: Awaited<ReturnType<typeof createShop>>;
const followers: EventFollower[] = [];

beforeAll(async () => {
  pool = testPool();
  margherita = await productId(pool, 'margherita');
  shop = await createShop(pool, 'publishing');
});
afterEach(async () => {
  for (const f of followers.splice(0)) await f.close();
});
afterAll(async () => {
  await pool.end();
});

const newestId = async () => Number((await pool.query('SELECT coalesce(max(id), 0) AS m FROM order_events')).rows[0].m);
const inInbox = async (orderId: string) =>
  Number((await pool.query('SELECT count(*) AS n FROM order_event_inbox WHERE order_id = $1', [orderId])).rows[0].n);

async function follow(name: string, publish: 'now' | 'backup' | false) {
  const seen: { event: OrderUpdated; at: number }[] = [];
  const follower = new EventFollower({
    db: pool,
    databaseUrl: inject('databaseUrl'),
    name,
    startAfter: await newestId(),
    publish,
    onEvents: (events) => {
      for (const event of events) seen.push({ event, at: Date.now() });
    },
  });
  followers.push(follower);
  await follower.start();
  return seen;
}

const place = (announce?: boolean) =>
  placeOrder(
    pool,
    { pizzeriaId: shop.id, channel: 'online', fulfilment: 'pickup', customer, items: [{ productId: margherita, quantity: 1 }], payment: 'on_delivery' },
    { kind: 'customer' },
    { announce },
  );

/** Every notification sent on `channel` from now on, with its payload. */
async function listen(channel: string) {
  const client = new pg.Client({ connectionString: inject('databaseUrl') });
  await client.connect();
  const heard: string[] = [];
  client.on('notification', (n) => heard.push(n.payload ?? ''));
  await client.query(`LISTEN ${channel}`);
  listeners.push(client);
  return heard;
}
const listeners: pg.Client[] = [];
afterEach(async () => {
  for (const c of listeners.splice(0)) await c.end();
});

async function until<T>(what: string, fn: () => T | undefined, ms = 5000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('publishing order events', () => {
  it('a change committed with no publisher running waits in the inbox, unseen, and is not lost', async () => {
    const reader = await follow('test-reader', false);
    const placed = await place();
    await new Promise((r) => setTimeout(r, PUBLISH_BACKUP_DELAY_MS * 2));
    expect(await inInbox(placed.order.id)).toBe(1);
    expect(reader.filter((s) => s.event.order.id === placed.order.id)).toEqual([]);
    // a publisher that starts later publishes it, and the reader gets it then
    await follow('test-hub', 'now');
    await until('the reader to get it', () => reader.find((s) => s.event.order.id === placed.order.id));
    expect(await inInbox(placed.order.id)).toBe(0);
  });

  it('a hub publishes a change at once; the workers, with no hub running, a moment later', async () => {
    const hub = await follow('test-hub', 'now');
    let t0 = Date.now();
    const first = await place();
    const byHub = await until('the hub to publish', () => hub.find((s) => s.event.order.id === first.order.id));
    expect(byHub.at - t0).toBeLessThan(PUBLISH_BACKUP_DELAY_MS);
    await followers.splice(0)[0].close();

    const workers = await follow('test-workers', 'backup');
    t0 = Date.now();
    const second = await place();
    const byWorkers = await until('the workers to publish', () => workers.find((s) => s.event.order.id === second.order.id));
    expect(byWorkers.at - t0).toBeGreaterThanOrEqual(PUBLISH_BACKUP_DELAY_MS - 20);
    expect(await inInbox(second.order.id)).toBe(0);
  });

  it('with a hub and the workers both running, every event is published once, in each order’s version order', async () => {
    const hub = await follow('test-hub', 'now');
    const workers = await follow('test-workers', 'backup');
    const kitchen = { kind: 'staff' as const, id: await userId(pool, shop.email('kitchen')), role: 'kitchen' as const, pizzeriaId: shop.id, name: 'k' };
    const orders = await Promise.all(Array.from({ length: 10 }, () => place()));
    await Promise.all(
      orders.map(async (o) => {
        await advanceOrder(pool, kitchen, o.order.id, 'preparing');
        await advanceOrder(pool, kitchen, o.order.id, 'ready');
      }),
    );
    const ids = new Set(orders.map((o) => o.order.id));
    for (const seen of [hub, workers]) {
      await until('all 30 events', () => (seen.filter((s) => ids.has(s.event.order.id)).length >= 30 ? true : undefined));
      const mine = seen.filter((s) => ids.has(s.event.order.id)).map((s) => s.event);
      expect(mine).toHaveLength(30);
      const eventIds = mine.map((e) => e.eventId);
      expect(eventIds).toEqual([...new Set(eventIds)].sort((a, b) => a - b));
      for (const id of ids) expect(mine.filter((e) => e.order.id === id).map((e) => e.order.version)).toEqual([1, 2, 3]);
    }
  });

  it('a change whose writer publishes it itself wakes no publisher; left unpublished, the workers still publish it', async () => {
    const inbox = await listen('order_event_inbox');
    const hub = await follow('test-hub', 'now');
    const kitchen = { kind: 'staff' as const, id: await userId(pool, shop.email('kitchen')), role: 'kitchen' as const, pizzeriaId: shop.id, name: 'k' };
    // written as the API writes when its hub publishes right after: no notification, so nobody publishes
    const placed = await place(false);
    await advanceOrder(pool, kitchen, placed.order.id, 'preparing', undefined, { announce: false });
    await new Promise((r) => setTimeout(r, PUBLISH_BACKUP_DELAY_MS * 2));
    expect(await inInbox(placed.order.id)).toBe(2);
    expect(hub.filter((s) => s.event.order.id === placed.order.id)).toEqual([]);
    // its writer stopped before publishing: the workers' sweep publishes both, in order
    const workers = await follow('test-workers', 'backup');
    await until('the workers to publish', () => (workers.filter((s) => s.event.order.id === placed.order.id).length === 2 ? true : undefined), PUBLISH_SWEEP_MS * 5);
    expect(workers.filter((s) => s.event.order.id === placed.order.id).map((s) => s.event.order.version)).toEqual([1, 2]);
    await until('the hub to relay them', () => (hub.filter((s) => s.event.order.id === placed.order.id).length === 2 ? true : undefined));
    expect(await inInbox(placed.order.id)).toBe(0);
    // none of the inbox's notifications named them (each names the newest row its statement wrote, announced)
    const { rows } = await pool.query<{ id: number }>("SELECT id FROM order_events WHERE order_id = $1", [placed.order.id]);
    expect(rows).toHaveLength(2);
    expect(inbox.every((p) => p !== '')).toBe(true);
  });

  it('a publish that finds nothing to move notifies nobody', async () => {
    const published = await listen('order_events');
    // whatever other work left in the inbox goes first; then nothing is left
    while ((await publishEvents(pool)).events.length) { /* again */ }
    await publishEvents(pool);
    await publishEvents(pool);
    await new Promise((r) => setTimeout(r, 100));
    // every notification names the newest event of its publish: never an empty one
    expect(published.filter((p) => p === '')).toEqual([]);
  });
});
