// Publishing order events (src/lib/server/events/events.ts, db/migrations/0008_event_inbox.sql): a change
// writes its event to the inbox; the hubs publish it at once, the workers only as a backup when no
// hub did. No hub runs in this file: the followers here are the only publishers.
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import pg from 'pg';
import { seededProduct, createShop, customer, testPool, userId } from '../helpers.ts';
import type { OrderUpdated } from '../../src/lib/realtime/contract.ts';
import { EventFollower, PUBLISH_BACKUP_DELAY_MS, PUBLISH_SWEEP_MS } from '../../src/lib/server/events/event-follower.ts';
import { publishEvents, type Published } from '../../src/lib/server/events/events.ts';
import { advanceOrder } from '../../src/lib/server/orders/index.ts';
import { placeOrder } from '../../src/lib/server/flows/placing.ts';
import { fileDatabase } from '../file-database.ts';

// every publish, as it is: the test reads which publisher's publish moved an event out of the inbox
vi.mock('../../src/lib/server/events/events.ts', async (importOriginal) => {
  const events = await importOriginal<typeof import('../../src/lib/server/events/events.ts')>();
  return { ...events, publishEvents: vi.fn(events.publishEvents) };
});

let pool: pg.Pool;
const margherita = seededProduct('margherita');
// a shop of its own, well stocked: the seeded shops' stock is shared by the whole suite
let shop: Awaited<ReturnType<typeof createShop>>;
const followers: EventFollower[] = [];

beforeAll(async () => {
  pool = testPool();
  shop = await createShop(pool, 'publishing');
});
afterEach(async () => {
  for (const f of followers.splice(0)) await f.close();
  for (const p of followerPools.splice(0)) await p.end();
});
afterAll(async () => {
  await pool.end();
});

const newestId = async () => Number((await pool.query('SELECT coalesce(max(id), 0) AS m FROM order_events')).rows[0].m);
const inInbox = async (orderId: string) =>
  Number((await pool.query('SELECT count(*) AS n FROM order_event_inbox WHERE order_id = $1', [orderId])).rows[0].n);

/** Each follower's own pool: its publishes are the calls made with it. */
const followerPools: pg.Pool[] = [];
const poolOf = new Map<unknown, pg.Pool>();

/** The publishes made with `db`, each as the orders whose events it moved from the inbox to order_events. */
async function publishesWith(db: pg.Pool): Promise<string[][]> {
  const { calls, results } = vi.mocked(publishEvents).mock;
  const publishes: string[][] = [];
  for (const [i, [q]] of calls.entries()) {
    if (q === db) publishes.push(((await results[i].value) as Published).events.map((e) => e.order.id));
  }
  return publishes;
}

async function follow(name: string, publish: 'now' | 'backup' | false, gatherMs?: number) {
  const seen: { event: OrderUpdated; at: number }[] = [];
  const db = testPool();
  followerPools.push(db);
  const follower = new EventFollower({
    db,
    databaseUrl: fileDatabase().databaseUrl,
    name,
    startAfter: await newestId(),
    publish,
    gatherMs,
    onEvents: (events) => {
      for (const event of events) seen.push({ event, at: Date.now() });
    },
  });
  followers.push(follower);
  poolOf.set(seen, db);
  await follower.start();
  return seen;
}
/** This follower's publishes, each as the orders whose events it moved (rather than read after another's publish). */
const publishesBy = (seen: unknown) => publishesWith(poolOf.get(seen)!);
/** The orders whose events this follower published itself. */
const publishedBy = async (seen: unknown) => (await publishesBy(seen)).flat();

const place = (announce?: boolean) =>
  placeOrder(
    pool,
    { pizzeriaId: shop.id, channel: 'online', fulfilment: 'pickup', customer, items: [{ productId: margherita, quantity: 1 }], payment: 'on_delivery' },
    { kind: 'customer' },
    { announce },
  );

/** Every notification sent on `channel` from now on, with its payload. */
async function listen(channel: string) {
  const client = new pg.Client({ connectionString: fileDatabase().databaseUrl });
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

async function until<T>(what: string, fn: () => T | undefined | Promise<T | undefined>, ms = 5000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('publishing order events', () => {
  it('a follower that gathers what publishes announce (the workers) still gets every event after a gathering found nothing left to read', async () => {
    const hub = await follow('test-hub', 'now');
    const workers = await follow('test-workers', 'backup', 300);
    const first = await place();
    await until('the hub to deliver it', () => hub.find((s) => s.event.order.id === first.order.id));
    // the workers read it before their gathering ends (as a publish of their own would hand it)
    await followers[1].drain({ read: true });
    expect(workers.map((s) => s.event.order.id)).toContain(first.order.id);
    // their gathering ends with nothing left to read; the next event still reaches them
    await new Promise((r) => setTimeout(r, 400));
    const second = await place();
    await until('the workers to deliver the next one', () => workers.find((s) => s.event.order.id === second.order.id), 3000);
    expect(workers.filter((s) => s.event.order.id === first.order.id)).toHaveLength(1);
  });

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

  it('a hub publishes a change at once, and the workers leave it to the hub; with no hub running, the workers publish it', async () => {
    const hub = await follow('test-hub', 'now');
    const backup = await follow('test-workers', 'backup');
    const backupPublishes = (await publishesBy(backup)).length;
    const first = await place();
    // both deliver it, and the workers' delayed publish, which the change's notification set off, has run
    await until('the hub to deliver it', () => hub.find((s) => s.event.order.id === first.order.id));
    await until('the workers to deliver it', () => backup.find((s) => s.event.order.id === first.order.id));
    await until('the workers’ delayed publish', async () => ((await publishesBy(backup)).length > backupPublishes ? true : undefined));
    // the hub moved it from the inbox; the workers' publish found it gone
    expect(await publishedBy(hub)).toContain(first.order.id);
    expect(await publishedBy(backup)).not.toContain(first.order.id);
    for (const f of followers.splice(0)) await f.close();

    const workers = await follow('test-workers', 'backup');
    const second = await place();
    await until('the workers to deliver it', () => workers.find((s) => s.event.order.id === second.order.id));
    // nobody else runs: the workers' own publish moved it
    expect(await publishedBy(workers)).toContain(second.order.id);
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
    // a notification of ours, committed after them: a session hears notifications in commit order
    await pool.query("SELECT pg_notify('order_events', 'after')");
    await until('our own notification', () => (published.includes('after') ? true : undefined));
    // every notification names the newest event of its publish: never an empty one
    expect(published.filter((p) => p === '')).toEqual([]);
  });
});
