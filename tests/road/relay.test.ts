// The live relay, end to end: Postgres order_events → NOTIFY → hub → Socket.io rooms, with real
// sockets, real sessions and a real database. No mocks of Postgres or Socket.io.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import {
  seededProduct,
  Client,
  SHOPS,
  addressFor,
  collect,
  connectSocket,
  appendEvent,
  createShop,
  customer,
  storedEvents,
  subscribe,
  userId,
  waitUntil,
  type TestSocket,
  handOver,
  move,
  assignDriver,
  publishAll,
} from '../helpers.ts';
import { useStack } from '../services.ts';
import type { OrderUpdated } from '../../src/lib/realtime/contract.ts';
import { listEventsAfter, publishEvents } from '../../src/lib/server/events/events.ts';
import { advanceOrder, getOrder } from '../../src/lib/server/orders/index.ts';
import { fileDatabase } from '../file-database.ts';

const PgClient = pg.Client;
const RESUME_MAX_EVENTS = 5;

const stack = useStack({ env: { RESUME_MAX_EVENTS: String(RESUME_MAX_EVENTS) } });
const margherita = seededProduct('margherita');
const openSockets: TestSocket[] = [];

afterEach(() => {
  for (const s of openSockets.splice(0)) s.disconnect();
});
afterAll(async () => {
  await stack.pool.query(`UPDATE users SET on_shift = false WHERE email LIKE 'driver%.bastille@ocpizza.test'`);
});

async function socket(opts: Parameters<typeof connectSocket>[1] = {}) {
  const s = await connectSocket(stack.base, opts);
  openSockets.push(s);
  return s;
}

async function staffSocket(email: string) {
  const c = await new Client(stack.base).login(email);
  return { client: c, socket: await socket({ cookie: c.cookie }) };
}

function deliveryOrder(shop: number, quantity = 1) {
  return { pizzeriaId: shop, fulfilment: 'delivery', customer, address: addressFor(shop), items: [{ productId: margherita, quantity }], payment: 'on_delivery' };
}

async function placeOrder(shop: number) {
  const r = await new Client(stack.base).post('/api/orders', deliveryOrder(shop));
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body as { id: string; trackingToken: string; version: number };
}

const ofOrder = (events: OrderUpdated[], id: string) => events.filter((e) => e.order.id === id);
const summary = (events: OrderUpdated[]) => events.map((e) => [e.type, e.order.status, e.order.version]);

describe('a change reaches every screen that may see it', () => {
  it('when an order is placed and moved, the kitchen screen and the customer tracking it see every step in order, with each version', async () => {
    const kitchen = await staffSocket('kitchen.bastille@ocpizza.test');
    const kitchenSeen = collect(kitchen.socket);
    const kitchenAck = await subscribe(kitchen.socket, { scope: 'kitchen' });
    expect(kitchenAck).toEqual({ data: { lastEventId: expect.any(Number) } });

    // screens that must not see this shop's tickets
    const otherManager = await staffSocket('manager.canal@ocpizza.test');
    const otherKitchen = await staffSocket('kitchen.canal@ocpizza.test');
    const anonymous = await socket();
    const intruders = [otherManager.socket, otherKitchen.socket, anonymous].map((s) => ({ s, seen: collect(s) }));
    for (const { s } of intruders) {
      const ack = await subscribe(s, { scope: 'kitchen', pizzeriaId: SHOPS.bastille });
      expect(ack).toEqual({ error: { code: 'forbidden', message: expect.any(String) } });
    }
    expect(await subscribe(anonymous, { scope: 'order' })).toMatchObject({ error: { code: 'forbidden' } });

    const placed = await placeOrder(SHOPS.bastille);
    // the tracking page opens after the order is placed, resuming from before it existed
    const tracking = await socket({ trackingToken: placed.trackingToken });
    const customerSeen = collect(tracking);
    const trackAck = await subscribe(tracking, { scope: 'order', lastEventId: kitchenAck.data.lastEventId });
    expect(trackAck.data.lastEventId).toBeGreaterThan(kitchenAck.data.lastEventId);

    // a driver of the shop starts a shift and watches their own deliveries; their colleague stays off shift
    const driver = await staffSocket('driver1.bastille@ocpizza.test');
    const colleague = await staffSocket('driver2.bastille@ocpizza.test');
    await stack.pool.query(`UPDATE users SET on_shift = false WHERE email = 'driver2.bastille@ocpizza.test'`);
    expect((await driver.client.post('/api/driver/shift', { onShift: true })).body).toEqual({ onShift: true });
    const driverSeen = collect(driver.socket);
    const colleagueSeen = collect(colleague.socket);
    expect(await subscribe(driver.socket, { scope: 'driver' })).toMatchObject({ data: {} });
    expect(await subscribe(colleague.socket, { scope: 'driver' })).toMatchObject({ data: {} });

    await move(kitchen.client, placed.id, 'preparing');
    await move(kitchen.client, placed.id, 'ready');
    const assigned = await assignDriver(stack.pool, placed.id);
    expect(assigned).toMatchObject({ assigned: true, driverId: await userId(stack.pool, 'driver1.bastille@ocpizza.test') });
    await move(driver.client, placed.id, 'out_for_delivery');
    await handOver(stack.pool, driver.client, placed.id);

    const last = (e: OrderUpdated) => e.order.id === placed.id && e.order.version === 6;
    await kitchenSeen.waitFor(last);
    await customerSeen.waitFor(last);
    await driverSeen.waitFor(last);

    const expected = [
      ['order.placed', 'received', 1],
      ['order.status', 'preparing', 2],
      ['order.status', 'ready', 3],
      ['order.assigned', 'ready', 4],
      ['order.status', 'out_for_delivery', 5],
      ['order.status', 'delivered', 6],
    ];
    const stored = (await storedEvents(stack.pool, placed.id)).map((e) => e.id);
    for (const seen of [kitchenSeen, customerSeen]) {
      const mine = ofOrder(seen.events, placed.id);
      expect(summary(mine)).toEqual(expected);
      expect(mine.map((e) => e.eventId)).toEqual(stored);
    }
    // the driver room gets the order from the moment it is theirs
    const driverMine = ofOrder(driverSeen.events, placed.id);
    expect(summary(driverMine)).toEqual(expected.slice(3));
    expect(driverMine[0].order.driver).toMatchObject({ id: assigned.assigned && assigned.driverId });

    // by now everything relayed for this order was sent; nobody else got any of it
    expect(colleagueSeen.events).toEqual([]);
    for (const { seen } of intruders) expect(seen.events).toEqual([]);
  });

  it('refuses a tracking socket with an unknown token at the door', async () => {
    await expect(connectSocket(stack.base, { trackingToken: 'no-such-token-xxxxxxxxxxxxxxxx' })).rejects.toThrow(/unknown tracking token/);
  });

  it('answers a malformed subscription with an error ack and joins nothing', async () => {
    const { socket: s } = await staffSocket('kitchen.bastille@ocpizza.test');
    const seen = collect(s);
    expect(await subscribe(s, { scope: 'kitchen', pizzeriaId: -1 } as never)).toMatchObject({ error: { code: 'invalid' } });
    expect(await subscribe(s, { scope: 'everything' } as never)).toMatchObject({ error: { code: 'invalid' } });
    expect(await subscribe(s, { scope: 'kitchen', lastEventId: 'yesterday' } as never)).toMatchObject({ error: { code: 'invalid' } });
    // a witness subscribed properly gets the next ticket; the malformed one got nothing
    const { socket: witness } = await staffSocket('kitchen.bastille@ocpizza.test');
    const witnessSeen = collect(witness);
    await subscribe(witness, { scope: 'kitchen' });
    const placed = await placeOrder(SHOPS.bastille);
    await witnessSeen.waitFor((e) => e.order.id === placed.id);
    expect(seen.events).toEqual([]);
  });
});

describe('the API answers once the change is on its way to the screens', () => {
  it('when the kitchen moves an order, or a customer places, changes or cancels one, the hub has relayed the event before the answer comes back', async () => {
    const shop = await createShop(stack.pool, 'answers');
    const kitchen = await new Client(stack.base).login(shop.email('kitchen'));
    const relayedUpTo = () => stack.app.hub.relay.deliveredUpTo;
    const eventOf = async (orderId: string, version: number) =>
      Number((await stack.pool.query(`SELECT id FROM order_events WHERE order_id = $1 AND (payload->>'version')::int = $2`, [orderId, version])).rows[0]?.id ?? 0);

    const placed = await placeOrder(shop.id);
    const afterPlace = relayedUpTo();
    expect(await eventOf(placed.id, 1)).toBeGreaterThan(0);
    expect(afterPlace).toBeGreaterThanOrEqual(await eventOf(placed.id, 1));

    const changed = await new Client(stack.base).patch(`/api/track/${placed.trackingToken}`, { items: [{ productId: margherita, quantity: 2 }] });
    expect(changed.status).toBe(200);
    expect(relayedUpTo()).toBeGreaterThanOrEqual(await eventOf(placed.id, 2));

    await move(kitchen, placed.id, 'preparing');
    expect(relayedUpTo()).toBeGreaterThanOrEqual(await eventOf(placed.id, 3));

    const other = await placeOrder(shop.id);
    expect((await new Client(stack.base).post(`/api/track/${other.trackingToken}/cancel`)).status).toBe(200);
    expect(relayedUpTo()).toBeGreaterThanOrEqual(await eventOf(other.id, 2));
  });
});

describe('a screen that was away catches up', () => {
  it('when a kitchen screen reconnects with the last event it saw, it receives exactly the events it missed, and nothing of other shops', async () => {
    const kitchen = await staffSocket('kitchen.montparnasse@ocpizza.test');
    const seen = collect(kitchen.socket);
    await subscribe(kitchen.socket, { scope: 'kitchen' });
    const first = await placeOrder(SHOPS.montparnasse);
    const lastSeen = await seen.waitFor((e) => e.order.id === first.id);

    kitchen.socket.disconnect();
    // while it is away: its shop moves on, and another shop is busy too
    await move(kitchen.client, first.id, 'preparing');
    const second = await placeOrder(SHOPS.montparnasse);
    await placeOrder(SHOPS.canal);
    await move(kitchen.client, first.id, 'ready');
    const missed = await listEventsAfter(stack.pool, { pizzeriaId: SHOPS.montparnasse }, lastSeen.eventId, 100);
    expect(missed).toHaveLength(3);
    const before = seen.events.length;

    kitchen.socket.connect();
    await new Promise<void>((resolve) => kitchen.socket.once('connect', () => resolve()));
    const ack = await subscribe(kitchen.socket, { scope: 'kitchen', lastEventId: lastSeen.eventId });
    // replayed events are emitted before the ack, on the same connection
    const replayed = seen.events.slice(before);
    expect(replayed.map((e) => e.eventId)).toEqual(missed.map((e) => e.eventId));
    expect(replayed.map((e) => [e.order.id, e.type, e.order.version])).toEqual([
      [first.id, 'order.status', 2],
      [second.id, 'order.placed', 1],
      [first.id, 'order.status', 3],
    ]);
    expect(ack).toEqual({ data: { lastEventId: missed.at(-1)!.eventId } });
  });

  it('a customer whose tracking page reconnects gets the steps it missed', async () => {
    const placed = await placeOrder(SHOPS.montparnasse);
    const [placedEvent] = await storedEvents(stack.pool, placed.id);
    const tracking = await socket({ trackingToken: placed.trackingToken });
    const seen = collect(tracking);
    expect(await subscribe(tracking, { scope: 'order', lastEventId: placedEvent.id })).toEqual({ data: { lastEventId: placedEvent.id } });
    tracking.disconnect();
    const kitchen = await new Client(stack.base).login('kitchen.montparnasse@ocpizza.test');
    await move(kitchen, placed.id, 'preparing');
    tracking.connect();
    await new Promise<void>((resolve) => tracking.once('connect', () => resolve()));
    const ack = await subscribe(tracking, { scope: 'order', lastEventId: placedEvent.id });
    expect(summary(seen.events)).toEqual([['order.status', 'preparing', 2]]);
    expect(ack).toEqual({ data: { lastEventId: seen.events[0].eventId } });
  });

  it('a screen that claims an event newer than any is told to reload a snapshot', async () => {
    const { socket: s } = await staffSocket('kitchen.montparnasse@ocpizza.test');
    const seen = collect(s);
    const { rows } = await stack.pool.query('SELECT max(id)::int AS last FROM order_events');
    const ack = await subscribe(s, { scope: 'kitchen', lastEventId: rows[0].last + 1000 });
    expect(ack).toEqual({ data: { resync: true, lastEventId: rows[0].last } });
    expect(seen.events).toEqual([]);
  });

  it(`a screen that missed more than ${RESUME_MAX_EVENTS} events is told to reload a snapshot instead of a flood`, async () => {
    const kitchen = await staffSocket('kitchen.montparnasse@ocpizza.test');
    const seen = collect(kitchen.socket);
    const { data } = await subscribe(kitchen.socket, { scope: 'kitchen' });
    kitchen.socket.disconnect();
    for (let i = 0; i <= RESUME_MAX_EVENTS; i++) await placeOrder(SHOPS.montparnasse);
    kitchen.socket.connect();
    await new Promise<void>((resolve) => kitchen.socket.once('connect', () => resolve()));
    const { rows } = await stack.pool.query('SELECT max(id)::int AS last FROM order_events');
    const ack = await subscribe(kitchen.socket, { scope: 'kitchen', lastEventId: data.lastEventId });
    expect(ack).toEqual({ data: { resync: true, lastEventId: rows[0].last } });
    expect(seen.events).toEqual([]);
  });
});

describe('event ids are given in commit order, without writers waiting for each other', () => {
  let orderId: string;
  let client: (n: number) => Promise<pg.PoolClient[]>;
  const held: pg.PoolClient[] = [];

  beforeAll(async () => {
    orderId = (await placeOrder(SHOPS.canal)).id;
    client = async (n) => {
      const cs = await Promise.all(Array.from({ length: n }, () => stack.pool.connect()));
      held.push(...cs);
      return cs;
    };
  });
  afterEach(async () => {
    for (const c of held.splice(0)) {
      await c.query('ROLLBACK').catch(() => {});
      c.release();
    }
  });

  const maxId = async () => Number((await stack.pool.query('SELECT coalesce(max(id), 0) AS m FROM order_events')).rows[0].m);
  const published = async (actor: string) =>
    (await stack.pool.query<{ id: number }>('SELECT id FROM order_events WHERE actor = $1', [actor])).rows.map((r) => r.id);
  /**
   * Publishes, and the committed event's ids once published: a publish under way elsewhere (the
   * stack's hub) may be moving it as ours skips it (the partitions' SKIP LOCKED), so ask until it is.
   */
  const publishedNow = async (actor: string) =>
    (await waitUntil(async () => {
      await publishEvents(stack.pool);
      const ids = await published(actor);
      return ids.length ? ids : null;
    }, 10_000, `${actor} published`))!;

  /** A reader that keeps asking for "events after the last one I saw", as the relay does. */
  function startReader(from: number) {
    const seen: { id: number; actor: string }[] = [];
    let last = from;
    let stop = false;
    const readBatch = async () => {
      const { rows } = await stack.pool.query<{ id: number; actor: string }>(
        'SELECT id, actor FROM order_events WHERE id > $1 ORDER BY id LIMIT 1000',
        [last],
      );
      seen.push(...rows);
      if (rows.length) last = rows.at(-1)!.id;
    };
    const loop = (async () => {
      while (!stop) await readBatch();
      // a last look once the writers are done and their events published
      await readBatch();
    })();
    return {
      seen,
      async stop() {
        stop = true;
        await loop;
        return seen;
      },
    };
  }

  it('an event held uncommitted blocks no one and is not published; when it commits it gets a later id than one committed meanwhile, and no reader skips it', async () => {
    const [a, b] = await client(2);
    const order = (await getOrder(stack.pool, orderId))!;
    const reader = startReader(await maxId());
    const tag = `test:${Date.now()}`;

    await a.query('BEGIN');
    await appendEvent(a, 'order.modified', `${tag}:a`, order);
    // B appends and commits while A's event is still open: it does not wait for A
    await b.query('BEGIN');
    await appendEvent(b, 'order.modified', `${tag}:b`, order);
    await b.query('COMMIT');
    const [bId] = await publishedNow(`${tag}:b`);
    expect(bId).toBeGreaterThan(0);
    expect(await published(`${tag}:a`)).toEqual([]); // not committed, not published

    await a.query('COMMIT');
    const [aId] = await publishedNow(`${tag}:a`);
    expect(aId).toBeGreaterThan(bId);
    const seen = (await reader.stop()).filter((e) => e.actor.startsWith(tag));
    expect(seen).toEqual([{ id: bId, actor: `${tag}:b` }, { id: aId, actor: `${tag}:a` }]);
  });

  it('the hub publishes a committed event by itself, within moments', async () => {
    const [a] = await client(1);
    const order = (await getOrder(stack.pool, orderId))!;
    const actor = `test:${Date.now()}:alone`;
    await a.query('BEGIN');
    await appendEvent(a, 'order.modified', actor, order);
    await a.query('COMMIT');
    await waitUntil(async () => (await published(actor)).length === 1, 10_000, 'the hub to publish the event');
  });

  it('a reader polling all along never skips an event nor sees one twice, while many writers commit in random order and several publishers race', async () => {
    const writers = await client(8);
    // their own connections: the pool keeps room for the reader
    const publishers = await Promise.all(
      [1, 2, 3].map(async () => {
        const c = new PgClient({ connectionString: fileDatabase().databaseUrl });
        await c.connect();
        return c;
      }),
    );
    const order = (await getOrder(stack.pool, orderId))!;
    const reader = startReader(await maxId());
    const tag = `test:${Date.now()}`;
    const pause = () => new Promise((r) => setTimeout(r, Math.random() * 15));
    let writing = true;
    // besides the hub, three more publishers keep publishing at once, as several hubs and the workers would
    const racing = publishers.map(async (p) => {
      while (writing) {
        await publishEvents(p, 3);
        await pause();
      }
    });
    const appended: string[] = [];
    await Promise.all(
      writers.map(async (w, i) => {
        for (let round = 0; round < 5; round++) {
          await w.query('BEGIN');
          await pause();
          const actor = `${tag}:w${i}:${round}`;
          await appendEvent(w, 'order.modified', actor, order);
          await pause(); // hold the event uncommitted for a while
          await w.query('COMMIT');
          appended.push(actor);
        }
      }),
    );
    writing = false;
    await Promise.all(racing);
    await Promise.all(publishers.map((p) => p.end()));
    await publishAll(stack.pool);
    const seen = (await reader.stop()).filter((e) => e.actor.startsWith(tag));
    expect(appended).toHaveLength(40);
    // every event once, in id order, and ids given in commit order: each writer's rounds in sequence
    expect(seen.map((e) => e.actor).sort()).toEqual([...appended].sort());
    expect(seen.map((e) => e.id)).toEqual([...new Set(seen.map((e) => e.id))].sort((x, y) => x - y));
    for (let i = 0; i < 8; i++) {
      const mine = seen.filter((e) => e.actor.startsWith(`${tag}:w${i}:`)).map((e) => e.actor);
      expect(mine).toEqual([0, 1, 2, 3, 4].map((r) => `${tag}:w${i}:${r}`));
    }
  });

  it('one order moved by several hands at once: its events carry its versions in id order, once each', async () => {
    const placed = await placeOrder(SHOPS.canal);
    const kitchen = {
      kind: 'staff' as const,
      id: await userId(stack.pool, 'kitchen.canal@ocpizza.test'),
      role: 'kitchen' as const,
      pizzeriaId: SHOPS.canal,
      name: 'kitchen',
    };
    // two screens bump the same ticket at once, twice over: each move that lands is one version
    const tries = ['preparing', 'preparing', 'ready', 'ready'] as const;
    await Promise.allSettled(tries.map((to) => advanceOrder(stack.pool, kitchen, placed.id, to)));
    const order = (await getOrder(stack.pool, placed.id))!;
    expect(order.version).toBeGreaterThanOrEqual(2);
    await waitUntil(async () => (await storedEvents(stack.pool, placed.id)).length === order.version, 10_000, 'the moves to be published');
    const stored = await storedEvents(stack.pool, placed.id);
    expect(stored.map((e) => e.version)).toEqual(Array.from({ length: order.version }, (_, i) => i + 1));
  });
});

describe('the relay survives losing its listening connection', () => {
  const hubListening = async () =>
    ((await stack.pool.query(`SELECT 1 FROM pg_stat_activity WHERE application_name = 'ocpizza-hub' AND datname = current_database()`)).rowCount ?? 0) > 0;
  // kills the hub's LISTEN connection, once the hub has one again: after a kill it reconnects with a backoff,
  // which on a busy machine can outlast the next round's order
  const killListener = async () => {
    await waitUntil(hubListening, 10_000, 'the hub to listen again');
    return (
      (
        await stack.pool.query(
          `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'ocpizza-hub' AND datname = current_database()`,
        )
      ).rowCount ?? 0
    );
  };

  it('when the hub’s LISTEN connection is killed while orders keep moving, a subscribed screen still gets every event, without a gap', async () => {
    const manager = await staffSocket('manager.canal@ocpizza.test');
    const seen = collect(manager.socket);
    await subscribe(manager.socket, { scope: 'shop' });
    const kitchen = await new Client(stack.base).login('kitchen.canal@ocpizza.test');

    const orders: string[] = [];
    for (let round = 0; round < 4; round++) {
      const placed = await placeOrder(SHOPS.canal);
      orders.push(placed.id);
      expect(await killListener()).toBeGreaterThan(0);
      await move(kitchen, placed.id, 'preparing');
      await move(kitchen, placed.id, 'ready');
    }
    // a last event committed right after a kill, with nothing after it: only the catch-up on reconnect delivers it
    expect(await killListener()).toBeGreaterThan(0);
    const lastOne = await placeOrder(SHOPS.canal);
    orders.push(lastOne.id);

    await seen.waitFor((e) => e.order.id === lastOne.id, 20_000);
    for (const id of orders.slice(0, -1)) await seen.waitFor((e) => e.order.id === id && e.order.version === 3, 20_000);

    for (const id of orders) {
      const mine = ofOrder(seen.events, id);
      const stored = await storedEvents(stack.pool, id);
      expect(mine.map((e) => e.eventId)).toEqual(stored.map((e) => e.id));
      expect(mine.map((e) => e.order.version)).toEqual(stored.map((_, i) => i + 1));
    }
    // and the whole stream for the shop arrived in id order, once each
    const ids = seen.events.map((e) => e.eventId);
    expect(ids).toEqual([...new Set(ids)].sort((x, y) => x - y));
  });

  it('when events are committed while the hub cannot listen at all, they arrive as soon as it is back, with nothing after them to announce them', async () => {
    const manager = await staffSocket('manager.canal@ocpizza.test');
    const seen = collect(manager.socket);
    await subscribe(manager.socket, { scope: 'shop' });
    const placed = await placeOrder(SHOPS.canal);
    await seen.waitFor((e) => e.order.id === placed.id);
    const kitchenActor = {
      kind: 'staff' as const,
      id: await userId(stack.pool, 'kitchen.canal@ocpizza.test'),
      role: 'kitchen' as const,
      pizzeriaId: SHOPS.canal,
      name: 'Cuisine Canal',
    };
    const dbName = (await stack.pool.query('SELECT current_database() AS d')).rows[0].d;
    const adminUrl = new URL(fileDatabase().databaseUrl);
    adminUrl.pathname = '/postgres';
    const admin = new PgClient({ connectionString: adminUrl.toString() });
    await admin.connect();
    // the test's pool keeps open connections; new connections to the database are refused for a while
    await Promise.all([stack.pool.query('SELECT 1'), stack.pool.query('SELECT 1')]);
    await waitUntil(hubListening, 10_000, 'the hub to listen');
    try {
      await admin.query(`ALTER DATABASE ${dbName} WITH ALLOW_CONNECTIONS false`);
      expect(await killListener()).toBeGreaterThan(0);
      // pg_terminate_backend only signals: the backend leaves pg_stat_activity once it has exited
      await waitUntil(async () => !(await hubListening()), 10_000, 'the hub’s connection to end');
      await advanceOrder(stack.pool, kitchenActor, placed.id, 'preparing');
      // the hub really was away when it committed, and nothing else will notify after it
      expect((await stack.pool.query(`SELECT 1 FROM pg_stat_activity WHERE application_name = 'ocpizza-hub' AND datname = current_database()`)).rowCount).toBe(0);
    } finally {
      await admin.query(`ALTER DATABASE ${dbName} WITH ALLOW_CONNECTIONS true`);
      await admin.end();
    }
    const e = await seen.waitFor((e) => e.order.id === placed.id && e.order.version === 2, 20_000);
    expect(e.order.status).toBe('preparing');
    expect(ofOrder(seen.events, placed.id).map((x) => x.order.version)).toEqual([1, 2]);
  });
});
