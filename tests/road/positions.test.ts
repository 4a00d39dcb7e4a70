// Drivers' positions on a real hub, Redis and Postgres: checked, kept in Redis (never as order
// events), limited per driver, shown to the managers of the driver's shop (head office's map takes
// them from its fleet pushes) and to the tracking page of an order only while the driver carries
// it, stale after a minute, and a sampled trail.
import { describe, expect, it } from 'vitest';
import type { DriverPosition, FleetUpdate, TrackedDriverPosition } from '../../src/lib/shapes/views.ts';
import { DriverStates, createPositionStore } from '../../src/lib/server/road/positions.ts';
import { seededProduct, Client, addressFor, connectSocket, createShop, handOver, move, subscribe, userId, waitUntil, type TestSocket, assignDriver } from '../helpers.ts';
import { useStack } from '../services.ts';
import { EVENING_TICK_MS as FLEET_REFRESH_MS } from '../../workers/evening-owner.ts';

const stack = useStack({ env: { POSITIONS_PER_10S: '6' }, workers: true });
const margherita = seededProduct('margherita');

async function socketFor(opts: { cookie?: string; trackingToken?: string }) {
  const s = await connectSocket(stack.base, opts);
  stack.sockets.push(s);
  return s;
}

/** A shop of its own with a driver on shift and their phone's socket. */
async function shopWithDriver(tag: string) {
  const shop = await createShop(stack.pool, tag);
  const driver = await new Client(stack.base).login(shop.email('driver1'));
  expect((await driver.post('/api/driver/shift', { onShift: true })).status).toBe(200);
  const phone = await socketFor({ cookie: driver.cookie });
  return { shop, driver, phone, driverId: await userId(stack.pool, shop.email('driver1')) };
}

let clock = Date.now();
/** A position a phone would send: a fresh time each call (positions only go forward). */
function fix(lat = 48.8601, lng = 2.3702, accuracy = 12) {
  clock = Math.max(clock + 1, Date.now());
  return { lat, lng, accuracy, at: clock };
}

function share(phone: TestSocket, p: unknown): Promise<{ data?: { accepted: true }; error?: { code: string; message: string } }> {
  return new Promise((resolve) => phone.emit('driver:position', p as never, resolve as never));
}

function listen(socket: TestSocket) {
  const got: (DriverPosition | TrackedDriverPosition)[] = [];
  socket.on('driver:position', (p) => got.push(p));
  return got;
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Places a delivery at the shop and takes it to `ready`, assigned to the shop's driver on shift. */
async function readyDelivery(shop: { id: number; email: (w: 'kitchen') => string }) {
  const customer = new Client(stack.base);
  const placed = await customer.post('/api/orders', {
    pizzeriaId: shop.id, fulfilment: 'delivery', customer: { name: 'Léa', phone: '0611223344' }, address: addressFor(shop.id),
    items: [{ productId: margherita, quantity: 1 }], payment: 'on_delivery',
  });
  expect(placed.status, JSON.stringify(placed.body)).toBe(201);
  const kitchen = await new Client(stack.base).login(shop.email('kitchen'));
  await move(kitchen, placed.body.id, 'preparing');
  await move(kitchen, placed.body.id, 'ready');
  const assigned = await assignDriver(stack.pool, placed.body.id);
  expect(assigned.assigned).toBe(true);
  return { id: placed.body.id as string, token: placed.body.trackingToken as string };
}

describe('a driver shares positions', () => {
  it('accepts a well-formed position from a driver on shift, and refuses bad ones with a reason, keeping nothing', async () => {
    const { phone, driverId } = await shopWithDriver('pos-check');
    expect(await share(phone, fix())).toEqual({ data: { accepted: true } });
    const store = createPositionStore(stack.app.redis, (await import('../helpers.ts')).testConfig().QUEUE_PREFIX);
    const kept = await store.ofDriver(driverId);
    expect(kept).toMatchObject({ lat: 48.8601, lng: 2.3702, accuracy: 12, stale: false });

    const now = Date.now();
    const bad: [unknown, string][] = [
      [{ ...fix(), lat: 91 }, 'invalid'],
      [{ ...fix(), lng: '2.3' }, 'invalid'],
      [{ lat: 48.86, lng: 2.37, at: now }, 'invalid'], // no accuracy
      [{ ...fix(), accuracy: -1 }, 'invalid'],
      [{ ...fix(), extra: 1 }, 'invalid'],
      [{ ...fix(), at: now + 5 * 60_000 }, 'invalid'], // the phone's clock is ahead
      [{ ...fix(), at: now - 60 * 60_000 }, 'invalid'], // an hour old
      [{ ...fix(), at: kept!.at }, 'out_of_order'], // the same time again
      [{ ...fix(), at: kept!.at - 5000 }, 'out_of_order'], // backwards
      ['garbage', 'invalid'],
    ];
    for (const [p, code] of bad) {
      const r = await share(phone, p);
      expect(r.error?.code, JSON.stringify(p)).toBe(code);
    }
    expect(await store.ofDriver(driverId)).toEqual(kept);
  });

  it('refuses a driver off shift, and anyone who is not a driver', async () => {
    const { driver, phone } = await shopWithDriver('pos-shift');
    // the hub knew this driver on shift a moment ago: the shift's end is what it goes by now
    expect((await share(phone, fix())).data).toBeTruthy();
    await driver.post('/api/driver/shift', { onShift: false });
    expect((await share(phone, fix())).error?.code).toBe('off_shift');
    expect((await driver.post('/api/driver/shift', { onShift: true })).status).toBe(200);
    expect((await share(phone, fix())).data).toBeTruthy();
    const shop = await createShop(stack.pool, 'pos-role');
    const kitchen = await new Client(stack.base).login(shop.email('kitchen'));
    expect((await share(await socketFor({ cookie: kitchen.cookie }), fix())).error?.code).toBe('forbidden');
    expect((await share(await socketFor({}), fix())).error?.code).toBe('forbidden');
  });

  it('limits each driver to a few positions per 10 seconds', async () => {
    const { phone } = await shopWithDriver('pos-rate');
    const answers = [];
    for (let i = 0; i < 8; i++) answers.push(await share(phone, fix()));
    expect(answers.slice(0, 6).every((a) => a.data?.accepted)).toBe(true);
    expect(answers.slice(6).map((a) => a.error?.code)).toEqual(['rate_limited', 'rate_limited']);
  });

  it('never writes an order event or a notification: positions stay out of Postgres but for the trail', async () => {
    const { phone } = await shopWithDriver('pos-notify');
    const count = async () =>
      Number((await stack.pool.query('SELECT (SELECT count(*) FROM order_events) + (SELECT count(*) FROM order_event_inbox) AS n')).rows[0].n);
    const before = await count();
    for (let i = 0; i < 3; i++) expect((await share(phone, fix())).data).toBeTruthy();
    expect(await count()).toBe(before);
  });
});

describe('who sees a position', () => {
  it("reaches the managers of the driver's shop, not another shop's manager; head office's map has it from its fleet", async () => {
    const { shop, phone, driverId } = await shopWithDriver('pos-see');
    const manager = await new Client(stack.base).login(shop.email('manager'));
    const mine = await socketFor({ cookie: manager.cookie });
    expect((await subscribe(mine, { scope: 'shop', pizzeriaId: shop.id })).data).toBeTruthy();
    const other = await createShop(stack.pool, 'pos-other');
    const otherManager = await new Client(stack.base).login(other.email('manager'));
    const theirs = await socketFor({ cookie: otherManager.cookie });
    await subscribe(theirs, { scope: 'shop', pizzeriaId: other.id });
    const admin = await new Client(stack.base).login('admin@ocpizza.test');
    const hq = await socketFor({ cookie: admin.cookie });
    await subscribe(hq, { scope: 'hq' });
    const [seenMine, seenTheirs, seenHq] = [listen(mine), listen(theirs), listen(hq)];
    const fleets: FleetUpdate[] = [];
    hq.on('fleet:updated', (f) => fleets.push(f));

    expect((await share(phone, fix(48.861, 2.372))).data).toBeTruthy();
    await waitUntil(() => seenMine.length > 0, 5000, 'the position at our manager');
    // then the other shop's driver shares one, sent after ours: once their manager has it, ours
    // would have reached them (and head office) before it
    const otherDriver = await new Client(stack.base).login(other.email('driver1'));
    expect((await otherDriver.post('/api/driver/shift', { onShift: true })).status).toBe(200);
    const otherPhone = await socketFor({ cookie: otherDriver.cookie });
    const otherDriverId = await userId(stack.pool, other.email('driver1'));
    expect((await share(otherPhone, fix(48.87, 2.38))).data).toBeTruthy();
    await waitUntil(() => seenTheirs.length > 0, 5000, "the other shop's position");
    expect(seenMine).toHaveLength(1);
    expect(seenMine[0]).toMatchObject({ driverId, pizzeriaId: shop.id, lat: 48.861, lng: 2.372, accuracy: 12, carrying: [] });
    expect(seenTheirs.map((p) => p.driverId)).toEqual([otherDriverId]);
    // head office takes no live stream of the chain's positions: its map shows each driver where
    // the shop's fleet push (on subscribing, after an order changes, every 15 s) says they are
    expect(seenHq).toEqual([]);
    const onHqMap = () => fleets.findLast((f) => f.pizzeriaId === shop.id)?.drivers.find((d) => d.id === driverId)?.position;
    await waitUntil(() => onHqMap()?.lat === 48.861, FLEET_REFRESH_MS + 5000, "the driver on head office's map");
    expect(onHqMap()).toMatchObject({ lat: 48.861, lng: 2.372, stale: false });

    // and the map's snapshot has it, with the driver's load
    const drivers = (await manager.get(`/api/drivers?pizzeriaId=${shop.id}`)).body;
    expect(drivers.find((d: { id: number }) => d.id === driverId)).toMatchObject({ onShift: true, load: 0, position: { lat: 48.861, stale: false } });
    expect((await otherManager.get(`/api/drivers?pizzeriaId=${shop.id}`)).status).toBe(403);
  });

  it("reaches an order's tracking page only while the driver carries it: not before pick-up, not after delivery", async () => {
    const { shop, driver, phone, driverId } = await shopWithDriver('pos-track');
    const order = await readyDelivery(shop);
    const other = await readyDelivery(shop); // the same driver's, another customer's
    const page = await socketFor({ trackingToken: order.token });
    await subscribe(page, { scope: 'order' });
    const stranger = await socketFor({ trackingToken: (await readyOrderElsewhere()).token });
    await subscribe(stranger, { scope: 'order' });
    const [seen, strangerSaw] = [listen(page), listen(stranger)];

    // assigned, not picked up: nothing (the page's first position below, sent through the same
    // stream after this one, is the only one it gets)
    expect((await share(phone, fix(48.8605, 2.3705))).data).toBeTruthy();
    expect((await new Client(stack.base).get(`/api/track/${order.token}`)).body.driverPosition).toBeNull();

    await move(driver, order.id, 'out_for_delivery');
    expect((await share(phone, fix(48.862, 2.371))).data).toBeTruthy();
    await waitUntil(() => seen.length > 0, 5000, 'the position on the tracking page');
    expect(seen).toEqual([expect.objectContaining({ driverId, lat: 48.862, lng: 2.371 })]);
    // the tracking page learns nothing of the driver's other orders
    expect(seen[0]).not.toHaveProperty('carrying');
    expect((await new Client(stack.base).get(`/api/track/${order.token}`)).body.driverPosition).toMatchObject({ lat: 48.862, lng: 2.371 });
    // the other order is still at the shop: its page sees nothing yet
    expect((await new Client(stack.base).get(`/api/track/${other.token}`)).body.driverPosition).toBeNull();

    await handOver(stack.pool, driver, order.id);
    expect((await share(phone, fix(48.863, 2.37))).data).toBeTruthy();
    await sleep(300); // proves an absence: nothing later is sent to these pages to wait for instead
    expect(seen).toHaveLength(1);
    expect((await new Client(stack.base).get(`/api/track/${order.token}`)).body.driverPosition).toBeNull();
    expect(strangerSaw).toHaveLength(0);
  });

  it('is stale after a minute without news, on the map and for the tracking page', async () => {
    const { shop, driver, phone, driverId } = await shopWithDriver('pos-stale');
    const order = await readyDelivery(shop);
    await move(driver, order.id, 'out_for_delivery');
    // a position the phone took 70 s ago (it was in a tunnel): kept, but already stale
    expect((await share(phone, { ...fix(), at: Date.now() - 70_000 })).data).toBeTruthy();
    const manager = await new Client(stack.base).login(shop.email('manager'));
    const d = (await manager.get(`/api/drivers?pizzeriaId=${shop.id}`)).body.find((x: { id: number }) => x.id === driverId);
    expect(d.position.stale).toBe(true);
    expect(d.carrying).toEqual([order.id]);
    expect((await new Client(stack.base).get(`/api/track/${order.token}`)).body.driverPosition).toBeNull();
  });
});

describe('the trail of a delivery', () => {
  it('keeps a sampled trail while the order is carried, for the manager; none before pick-up or after delivery', async () => {
    const { shop, driver, phone } = await shopWithDriver('pos-trail');
    const order = await readyDelivery(shop);
    await share(phone, fix(48.8601, 2.3702)); // before pick-up
    await move(driver, order.id, 'out_for_delivery');
    // three fixes a second apart and a few metres apart: one trail point; then 200 m further: another
    await share(phone, fix(48.8602, 2.3703));
    await share(phone, fix(48.86021, 2.37031));
    await share(phone, fix(48.86022, 2.37032));
    expect(await share(phone, fix(48.8622, 2.3703))).toEqual({ data: { accepted: true } });
    await handOver(stack.pool, driver, order.id);
    // after delivery: taken (the sixth of the limit's six), yet not on the trail
    expect(await share(phone, fix(48.87, 2.38))).toEqual({ data: { accepted: true } });
    const manager = await new Client(stack.base).login(shop.email('manager'));
    const trail = (await manager.get(`/api/orders/${order.id}/trail`)).body;
    expect(trail.map((p: { lat: number }) => p.lat)).toEqual([48.8602, 48.8622]);
    expect(trail[0]).toMatchObject({ accuracy: 12 });
    const other = await createShop(stack.pool, 'pos-trail-other');
    const stranger = await new Client(stack.base).login(other.email('manager'));
    expect((await stranger.get(`/api/orders/${order.id}/trail`)).status).toBe(404);
  });

  it('a hub that has not heard of the delivery yet (its relay behind) adds nothing to the trail once the order is delivered', async () => {
    const { shop, driver, phone, driverId } = await shopWithDriver('pos-trail-late');
    const order = await readyDelivery(shop);
    await move(driver, order.id, 'out_for_delivery');
    // another hub's view of the driver, read while the order is carried: nothing will tell it of the delivery
    const states = new DriverStates();
    states.listening = true;
    expect((await states.of(stack.pool, driverId))?.carrying).toEqual([order.id]);
    const store = createPositionStore(stack.app.redis, stack.config.QUEUE_PREFIX);
    await share(phone, fix(48.8602, 2.3703));
    await handOver(stack.pool, driver, order.id);
    // its next position, 2 km further, reaches that hub, which still believes the order carried
    const late = fix(48.88, 2.3703);
    await store.record(stack.pool, driverId, late, late.at, states);
    const manager = await new Client(stack.base).login(shop.email('manager'));
    const trail = (await manager.get(`/api/orders/${order.id}/trail`)).body;
    expect(trail.map((p: { lat: number }) => p.lat)).toEqual([48.8602]);
  });
});

async function readyOrderElsewhere() {
  const shop = await createShop(stack.pool, 'pos-elsewhere');
  const placed = await new Client(stack.base).post('/api/orders', {
    pizzeriaId: shop.id, fulfilment: 'delivery', customer: { name: 'Tom', phone: '0611223355' }, address: addressFor(shop.id),
    items: [{ productId: margherita, quantity: 1 }], payment: 'on_delivery',
  });
  return { token: placed.body.trackingToken as string };
}
