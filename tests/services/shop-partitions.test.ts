// Publishing partitioned by shop (db/migrations/0114): a publish takes the locks of its shops'
// partitions only, so one shop's publish never waits for another partition's; ids still come from
// one sequence, so across partitions a higher id can commit first, and every reader is shown to
// skip nothing: a shop's, an order's and a partition's readers by construction, a reader of the
// whole chain by reading up to the settled id. No hub runs in this file: the test publishes.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { appendEvent, createShop, customer, testPool } from '../helpers.ts';
import { listEventsAfter, listPartitionEventsAfter, listSettledEventsAfter, partitionOf, publishEvents, settledEventId } from '../../src/lib/server/events/events.ts';
import { getOrder } from '../../src/lib/server/orders/index.ts';
import { placeOrder } from '../../src/lib/server/flows/placing.ts';
import { fileDatabase } from '../file-database.ts';

let pool: pg.Pool;
const held: pg.Client[] = [];
let shops: { x: number; y: number };
let orders: { x: string; y: string };

async function client() {
  const c = new pg.Client({ connectionString: fileDatabase().databaseUrl });
  await c.connect();
  held.push(c);
  return c;
}

async function counterOrder(shop: number): Promise<string> {
  const { rows } = await pool.query(`SELECT id, role, pizzeria_id, name FROM users WHERE email LIKE 'counter.%' AND pizzeria_id = $1`, [shop]);
  const counter = { kind: 'staff' as const, id: rows[0].id, role: rows[0].role, pizzeriaId: rows[0].pizzeria_id, name: rows[0].name };
  const { rows: p } = await pool.query(`SELECT id FROM products WHERE slug = 'coca-cola'`);
  const placed = await placeOrder(pool, {
    pizzeriaId: shop, channel: 'counter', fulfilment: 'pickup', customer,
    items: [{ productId: p[0].id, quantity: 1 }], payment: 'on_delivery',
  }, counter);
  return placed.order.id;
}

beforeAll(async () => {
  pool = testPool();
  // two shops in two partitions
  const x = await createShop(pool, 'part-x');
  let y = await createShop(pool, 'part-y');
  while (partitionOf(y.id) === partitionOf(x.id)) y = await createShop(pool, 'part-y');
  shops = { x: x.id, y: y.id };
  orders = { x: await counterOrder(shops.x), y: await counterOrder(shops.y) };
  await publishEvents(pool);
});
afterEach(async () => {
  for (const c of held.splice(0)) {
    await c.query('ROLLBACK').catch(() => undefined);
    await c.end();
  }
});
afterAll(async () => {
  await pool.end();
});

const newest = async () => Number((await pool.query('SELECT coalesce(max(id), 0) AS m FROM order_events')).rows[0].m);

/** An event of `order` written to the inbox and committed, as a change would. */
async function committedEvent(orderId: string, actor: string) {
  const c = await pool.connect();
  try {
    await c.query('BEGIN');
    await appendEvent(c, 'order.modified', actor, (await getOrder(c, orderId))!);
    await c.query('COMMIT');
  } finally {
    c.release();
  }
}

describe('publishing partitioned by shop', () => {
  it("a shop's publish does not wait for another partition's under way; a chain reader waits for it and skips nothing, a partition's reader does not wait", async () => {
    const from = await newest();
    const tag = `parts:${Date.now()}`;
    // shop X's publish is under way: its lock and its id taken, not committed yet (its flush)
    await committedEvent(orders.x, `${tag}:x`);
    const slow = await client();
    await slow.query('BEGIN');
    const [xId] = (await slow.query('SELECT event_id FROM publish_order_events()')).rows.map((r) => Number(r.event_id));
    // shop Y's event, published meanwhile: no wait for X's partition, and a higher id, committed first
    await committedEvent(orders.y, `${tag}:y`);
    const t0 = Date.now();
    const { events } = await publishEvents(pool);
    expect(Date.now() - t0).toBeLessThan(1000);
    const yId = events.find((e) => e.order.id === orders.y)!.eventId;
    expect(yId).toBeGreaterThan(xId);

    // a reader of "every event after N" with no care would read Y's and move past X's for good
    expect((await listEventsAfter(pool, { all: true }, from, 100)).map((e) => e.eventId)).toEqual([yId]);
    // a partition's reader (the reactor's) reads Y's at once: it waits for no other partition
    expect((await listPartitionEventsAfter(pool, new Map([[partitionOf(shops.y), from]]), 100)).map((e) => e.eventId)).toEqual([yId]);
    // a reader of the whole chain reads up to the settled id: it waits for X's publish to end
    let settledRead: number[] | null = null;
    const reading = listSettledEventsAfter(pool, from, 100).then((es) => (settledRead = es.map((e) => e.eventId)));
    await new Promise((r) => setTimeout(r, 300));
    expect(settledRead).toBeNull();
    await slow.query('COMMIT');
    await reading;
    expect(settledRead).toEqual([xId, yId]);
    expect(await settledEventId(pool)).toBeGreaterThanOrEqual(yId);
  });

  it('two publishers racing over many writers of both shops: each shop’s and each order’s events in commit order, and every reader skips none', async () => {
    const from = await newest();
    const tag = `race:${Date.now()}`;
    const publishers = await Promise.all([1, 2, 3].map(() => client()));
    let writing = true;
    const pause = () => new Promise((r) => setTimeout(r, Math.random() * 10));
    const racing = publishers.map(async (p) => {
      while (writing) {
        await publishEvents(p, 3);
        await pause();
      }
    });
    // a chain reader and a partition reader polling all along, as the relay and the reactor do
    const chain: number[] = [];
    const parts = new Map([[partitionOf(shops.x), from], [partitionOf(shops.y), from]]);
    const byPart: number[] = [];
    const polling = (async () => {
      let last = from;
      while (writing) {
        const es = await listSettledEventsAfter(pool, last, 1000);
        chain.push(...es.map((e) => e.eventId));
        if (es.length) last = es.at(-1)!.eventId;
        const ps = await listPartitionEventsAfter(pool, parts, 1000);
        for (const e of ps) parts.set(e.part, e.eventId);
        byPart.push(...ps.map((e) => e.eventId));
      }
    })();
    // four writers per order, each committing its rounds one after the other
    await Promise.all(
      ['x', 'y'].flatMap((s) =>
        [0, 1, 2, 3].map(async (w) => {
          for (let round = 0; round < 5; round++) {
            await pause();
            await committedEvent(orders[s as 'x' | 'y'], `${tag}:${s}:${w}:${round}`);
          }
        }),
      ),
    );
    writing = false;
    await Promise.all(racing);
    await polling;
    await publishEvents(pool);
    const { rows } = await pool.query<{ id: number; actor: string }>(`SELECT id, actor FROM order_events WHERE actor LIKE $1 ORDER BY id`, [`${tag}:%`]);
    expect(rows).toHaveLength(40);
    // each writer's rounds in id order (they committed in that order)
    for (const s of ['x', 'y']) {
      for (const w of [0, 1, 2, 3]) {
        const mine = rows.filter((r) => r.actor.startsWith(`${tag}:${s}:${w}:`)).map((r) => r.actor);
        expect(mine).toEqual([0, 1, 2, 3, 4].map((r) => `${tag}:${s}:${w}:${r}`));
      }
    }
    // the readers read the rest after the last publish
    for (const e of await listSettledEventsAfter(pool, chain.at(-1) ?? from, 1000)) chain.push(e.eventId);
    for (const e of await listPartitionEventsAfter(pool, parts, 1000)) byPart.push(e.eventId);
    const ours = new Set(rows.map((r) => r.id));
    // every event once: the chain reader in id order, the partitions' reader each partition in id order
    expect(chain.filter((id) => ours.has(id))).toEqual(rows.map((r) => r.id));
    expect([...byPart].filter((id) => ours.has(id)).sort((a, b) => a - b)).toEqual(rows.map((r) => r.id));
    expect(new Set(byPart).size).toBe(byPart.length);
  });
});
