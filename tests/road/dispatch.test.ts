// Dispatch by distance with the workers running, against real Postgres, Redis and Socket.io:
// offers to the nearest driver that expire and go to the next, the driver the shop's plan chose
// first even when another is nearer, declined and accepted offers,
// trips of several orders, a manager's hand (assign, reassign, unassign), and head office lending
// a driver to a neighbouring shop. Each test has shops of its own.
import { describe, expect, it } from 'vitest';
import {
  seededProduct,
  Client,
  collect,
  connectSocket,
  createShop,
  move,
  placeThroughApi,
  subscribe,
  userId,
  waitUntil,
  type TestSocket,
} from '../helpers.ts';
import { useStack } from '../services.ts';
import type { OrderUpdated } from '../../src/lib/realtime/contract.ts';
import { rankDrivers } from '../../src/lib/domain/dispatch-by-distance.ts';
import { DEFAULT_ETA_SETTINGS } from '../../src/lib/domain/eta.ts';
import { firesOf, readEvening } from '../../src/lib/server/kitchen/plan.ts';
import { createPositionStore } from '../../src/lib/server/road/positions.ts';

// offers expire after a second and a half; dispatch looks again every 200 ms
const ENV = { OFFER_TIMEOUT_SECONDS: '1.5', DISPATCH_RETRY_MS: '200', BATCH_MAX_PER_TRIP: '3', PREP_TARGET_SECONDS: '600' };
const LIVE = 15_000;

const stack = useStack({ env: ENV, workers: true });
const margherita = seededProduct('margherita');

const isEvent = (id: string, type: string, pred: (e: OrderUpdated) => boolean = () => true) => (e: OrderUpdated) =>
  e.order.id === id && e.type === type && pred(e);

/** A shop of the test's own with its staff logged in, the manager's screen and each driver's phone listening. */
async function openShop(tag: string) {
  const shop = await createShop(stack.pool, tag);
  const login = (who: Parameters<typeof shop.email>[0]) => new Client(stack.base).login(shop.email(who));
  const [manager, kitchen, d1, d2] = await Promise.all([login('manager'), login('kitchen'), login('driver1'), login('driver2')]);
  const ids = { d1: await userId(stack.pool, shop.email('driver1')), d2: await userId(stack.pool, shop.email('driver2')) };
  const listen = async (client: Client, scope: 'shop' | 'driver') => {
    const socket = await connectSocket(stack.base, { cookie: client.cookie });
    stack.sockets.push(socket);
    const seen = collect(socket);
    expect(await subscribe(socket, { scope })).toMatchObject({ data: {} });
    return { socket, seen };
  };
  return {
    ...shop,
    manager,
    kitchen,
    d1,
    d2,
    ids,
    managerScreen: await listen(manager, 'shop'),
    phone1: await listen(d1, 'driver'),
    phone2: await listen(d2, 'driver'),
  };
}

/** Where a driver's phone says it is, metres north of the shop (48.86, 2.37). */
function shareNorthOfShop(phone: TestSocket, metres: number) {
  const p = { lat: 48.86 + metres / 111_200, lng: 2.37, accuracy: 10, at: Date.now() };
  return new Promise<any>((resolve) => phone.emit('driver:position', p as never, resolve as never));
}

async function readyDelivery(s: Awaited<ReturnType<typeof openShop>>) {
  const o = await placeThroughApi(stack.base, { pizzeriaId: s.id, productId: margherita });
  await move(s.kitchen, o.id, 'preparing');
  await move(s.kitchen, o.id, 'ready');
  return o;
}

describe('offers', () => {
  it('goes to the driver nearest the shop; unanswered it expires and goes to the next; declined, to the next; accepted, the delivery is theirs', async () => {
    const s = await openShop('offers');
    await s.d1.post('/api/driver/shift', { onShift: true });
    await s.d2.post('/api/driver/shift', { onShift: true });
    // driver 2 is 150 m from the shop, driver 1 two kilometres away
    expect(await shareNorthOfShop(s.phone2.socket, 150)).toMatchObject({ data: {} });
    expect(await shareNorthOfShop(s.phone1.socket, 2000)).toMatchObject({ data: {} });

    const o = await readyDelivery(s);
    const first = await s.phone2.seen.waitFor(isEvent(o.id, 'order.offered'), LIVE);
    expect(first.order).toMatchObject({ driver: null, offer: { driverId: s.ids.d2 }, status: 'ready' });
    // the offer lasts OFFER_TIMEOUT_SECONDS from when it was made (its event is written a moment
    // later in the same transaction: a loaded machine's transaction can take half a second)
    const left = Date.parse(first.order.offer!.expiresAt) - Date.parse(first.at);
    expect(left).toBeGreaterThan(0);
    expect(left).toBeLessThanOrEqual(1600);
    const { rows: [made] } = await stack.pool.query<{ ms: number }>(
      'SELECT (extract(epoch FROM expires_at - offered_at) * 1000)::float8 AS ms FROM delivery_offers WHERE order_id = $1 ORDER BY id LIMIT 1', [o.id]);
    expect(made.ms).toBe(1500);
    // the manager sees it offered; driver 1's phone was told nothing
    await s.managerScreen.seen.waitFor(isEvent(o.id, 'order.offered'), LIVE);
    expect(s.phone1.seen.events.filter((e) => e.order.id === o.id)).toEqual([]);
    // driver 1 cannot take an offer made to driver 2
    expect((await s.d1.post(`/api/orders/${o.id}/offer`, { accept: true })).body.error.code).toBe('offer_gone');

    // driver 2 does not answer: it expires, their phone drops it, and driver 1 gets the offer
    const expired = await s.phone2.seen.waitFor(isEvent(o.id, 'order.offer_expired'), LIVE);
    expect(expired.order).toMatchObject({ offer: null, driver: null, releasedDriverId: s.ids.d2 });
    const second = await s.phone1.seen.waitFor(isEvent(o.id, 'order.offered'), LIVE);
    expect(second.order.offer).toMatchObject({ driverId: s.ids.d1 });
    // not before the first offer's time was up (the first event's own time can come a moment after
    // the offer was made: on a loaded machine its 1.5 s, counted from that event, read as 1.375 s)
    expect(Date.parse(second.at)).toBeGreaterThanOrEqual(Date.parse(first.order.offer!.expiresAt));
    // too late for driver 2
    expect((await s.d2.post(`/api/orders/${o.id}/offer`, { accept: true })).status).toBe(409);

    // driver 1 declines: everyone has been asked, so it goes round again, to the nearest
    const declined = await s.d1.post(`/api/orders/${o.id}/offer`, { accept: false, version: second.order.version });
    expect(declined.status).toBe(200);
    expect(declined.body).toMatchObject({ offer: null, driver: null });
    const third = await s.phone2.seen.waitFor((e) => e.order.id === o.id && e.type === 'order.offered' && e.eventId > second.eventId, LIVE);
    expect(third.order.offer).toMatchObject({ driverId: s.ids.d2 });

    // a stale answer is refused and changes nothing; the right one makes the delivery theirs
    expect((await s.d2.post(`/api/orders/${o.id}/offer`, { accept: true, version: third.order.version - 1 })).body.error.code).toBe('stale');
    const accepted = await s.d2.post(`/api/orders/${o.id}/offer`, { accept: true, version: third.order.version });
    expect(accepted.status).toBe(200);
    expect(accepted.body).toMatchObject({ driver: { id: s.ids.d2 }, offer: null, waitingForDriver: false });
    // a repeated accept (a phone that sent it twice) answers the same, and nothing else happens
    expect((await s.d2.post(`/api/orders/${o.id}/offer`, { accept: true })).body).toMatchObject({ driver: { id: s.ids.d2 }, version: accepted.body.version });
    await s.managerScreen.seen.waitFor(isEvent(o.id, 'order.assigned', (e) => e.order.driver?.id === s.ids.d2), LIVE);

    // every offer is kept with its outcome
    const { rows } = await stack.pool.query('SELECT driver_id, outcome FROM delivery_offers WHERE order_id = $1 ORDER BY id', [o.id]);
    expect(rows).toEqual([
      { driver_id: s.ids.d2, outcome: 'expired' },
      { driver_id: s.ids.d1, outcome: 'declined' },
      { driver_id: s.ids.d2, outcome: 'accepted' },
    ]);
    // bad answers: not a driver, malformed
    expect((await s.manager.post(`/api/orders/${o.id}/offer`, { accept: true })).status).toBe(403);
    expect((await s.d2.post(`/api/orders/${o.id}/offer`, { accept: 'yes' })).status).toBe(422);
  });

  it("goes first to the driver the shop's plan chose for it, though another is nearer by dispatch's own ranking; declined, by the ranking", async () => {
    const s = await openShop('plan-first');
    await s.d1.post('/api/driver/shift', { onShift: true });
    await s.d2.post('/api/driver/shift', { onShift: true });
    // driver 2 is at the shop, driver 1 two kilometres away
    expect(await shareNorthOfShop(s.phone2.socket, 20)).toMatchObject({ data: {} });
    expect(await shareNorthOfShop(s.phone1.socket, 2000)).toMatchObject({ data: {} });
    // an order in the oven, promised first: the plan gives it to driver 2, at the shop now
    const first = await placeThroughApi(stack.base, { pizzeriaId: s.id, productId: margherita });
    await move(s.kitchen, first.id, 'preparing');
    // another promised 20 minutes after it (too far apart to ride together), in the oven: the plan
    // gives it to the next driver free, driver 1 (back in about 7 minutes; driver 2 out with the first)
    const o = await placeThroughApi(stack.base, { pizzeriaId: s.id, productId: margherita });
    await stack.pool.query(
      `UPDATE orders SET promised_at = (SELECT promised_at FROM orders WHERE id = $2) + interval '20 minutes', version = version + 1 WHERE id = $1`,
      [o.id, first.id],
    );
    await move(s.kitchen, o.id, 'preparing');
    // the plan as the kitchen's tickets and the managers' map read it
    const positions = createPositionStore(stack.app.redis, stack.config.QUEUE_PREFIX);
    const fires = firesOf(await readEvening(stack.pool, s.id, positions, { mode: 'scooter', eta: DEFAULT_ETA_SETTINGS }));
    expect(fires.find((f) => f.orderId === first.id)?.driverId).toBe(s.ids.d2);
    expect(fires.find((f) => f.orderId === o.id)?.driverId).toBe(s.ids.d1);
    // dispatch's own ranking for it prefers driver 2, at the shop with nothing to carry
    const shop = { lat: 48.86, lng: 2.37 };
    const at = (metres: number) => ({ at: { lat: 48.86 + metres / 111_200, lng: 2.37 }, sentAt: Date.now() });
    const drivers = [
      { driverId: s.ids.d1, onShift: true, activeDeliveries: 0, idleSince: 0, mode: 'scooter' as const, position: at(2000) },
      { driverId: s.ids.d2, onShift: true, activeDeliveries: 0, idleSince: 0, mode: 'scooter' as const, position: at(20) },
    ];
    const { rows } = await stack.pool.query<{ promised_at: Date }>('SELECT promised_at FROM orders WHERE id = $1', [o.id]);
    expect(rankDrivers(drivers, shop, { promisedAt: rows[0].promised_at.getTime(), deliveryMinutes: 3 }, Date.now())[0].driverId).toBe(s.ids.d2);

    // ready: the first offer (as the manager's screen sees them all) goes to the plan's driver, not the nearest
    await move(s.kitchen, o.id, 'ready');
    const offered = await s.managerScreen.seen.waitFor(isEvent(o.id, 'order.offered'), LIVE);
    expect(offered.order.offer).toMatchObject({ driverId: s.ids.d1 });
    await s.phone1.seen.waitFor(isEvent(o.id, 'order.offered'), LIVE);
    // driver 1 declines (or, on a slow machine, lets it expire): then by the ranking, to driver 2
    expect([200, 409]).toContain((await s.d1.post(`/api/orders/${o.id}/offer`, { accept: false, version: offered.order.version })).status);
    const next = await s.phone2.seen.waitFor(isEvent(o.id, 'order.offered'), LIVE);
    expect(next.order.offer).toMatchObject({ driverId: s.ids.d2 });
    expect(next.eventId).toBeGreaterThan(offered.eventId);
  });

  it('orders ready together the same way ride together: one offer of the trip to one driver', async () => {
    const s = await openShop('trip');
    // ready while nobody is on shift, so both wait
    const a = await readyDelivery(s);
    const b = await readyDelivery(s);
    await s.managerScreen.seen.waitFor(isEvent(b.id, 'order.waiting_driver'), LIVE);
    await s.d1.post('/api/driver/shift', { onShift: true });
    const offerA = await s.phone1.seen.waitFor(isEvent(a.id, 'order.offered'), LIVE);
    const offerB = await s.phone1.seen.waitFor(isEvent(b.id, 'order.offered'), LIVE);
    expect(offerA.order.offer!.expiresAt).toBe(offerB.order.offer!.expiresAt);
    for (const e of [offerA, offerB]) await s.d1.post(`/api/orders/${e.order.id}/offer`, { accept: true });
    const { rows } = await stack.pool.query('SELECT count(*)::int AS n FROM orders WHERE id = ANY($1) AND driver_id = $2', [[a.id, b.id], s.ids.d1]);
    expect(rows[0].n).toBe(2);
  });

  it('a driver who ends their shift with an offer open declines it: the next driver has it at once', async () => {
    const s = await openShop('shift-end');
    await s.d1.post('/api/driver/shift', { onShift: true });
    const o = await readyDelivery(s);
    const offered = await s.phone1.seen.waitFor(isEvent(o.id, 'order.offered'), LIVE);
    await s.d2.post('/api/driver/shift', { onShift: true });
    await s.d1.post('/api/driver/shift', { onShift: false });
    const gone = await s.phone1.seen.waitFor(isEvent(o.id, 'order.offer_declined'), LIVE);
    expect(gone.order).toMatchObject({ offer: null, releasedDriverId: s.ids.d1 });
    await s.phone2.seen.waitFor(isEvent(o.id, 'order.offered'), LIVE);
    // declined when the shift ended, not left to expire
    const { rows } = await stack.pool.query('SELECT driver_id, outcome FROM delivery_offers WHERE order_id = $1 ORDER BY id', [o.id]);
    expect(rows[0]).toEqual({ driver_id: s.ids.d1, outcome: 'declined' });
    expect(offered.order.offer!.driverId).toBe(s.ids.d1);
    expect((await s.d1.post(`/api/orders/${o.id}/offer`, { accept: true })).body.error.code).toBe('offer_gone');
  });
});

describe("a manager's hand", () => {
  it('reassigns a delivery from one driver to another, and takes it off a driver for dispatch to give to someone else', async () => {
    const s = await openShop('hand');
    await s.d1.post('/api/driver/shift', { onShift: true });
    const o = await readyDelivery(s);
    const offered = await s.phone1.seen.waitFor(isEvent(o.id, 'order.offered'), LIVE);
    const mine = await s.d1.post(`/api/orders/${o.id}/offer`, { accept: true, version: offered.order.version });
    expect(mine.body.driver.id).toBe(s.ids.d1);

    // driver 2 is off shift: refused, nothing changes
    const off = await s.manager.post(`/api/orders/${o.id}/assign`, { driverId: s.ids.d2, version: mine.body.version });
    expect(off.status).toBe(409);
    expect(off.body.error.code).toBe('driver_off_shift');
    await s.d2.post('/api/driver/shift', { onShift: true });

    // reassigned: driver 1's phone drops it, driver 2's shows it
    const moved = await s.manager.post(`/api/orders/${o.id}/assign`, { driverId: s.ids.d2, version: mine.body.version });
    expect(moved.status).toBe(200);
    expect(moved.body).toMatchObject({ driver: { id: s.ids.d2 }, version: mine.body.version + 2 });
    const dropped = await s.phone1.seen.waitFor(isEvent(o.id, 'order.unassigned'), LIVE);
    expect(dropped.order).toMatchObject({ driver: null, releasedDriverId: s.ids.d1 });
    await s.phone2.seen.waitFor(isEvent(o.id, 'order.assigned', (e) => e.order.driver?.id === s.ids.d2), LIVE);
    // driver 1 can no longer pick it up
    expect((await s.d1.post(`/api/orders/${o.id}/status`, { to: 'out_for_delivery' })).status).toBe(403);

    // taken off driver 2: dispatch offers it again (both drivers have had it this trip, so it goes round again)
    const off2 = await s.manager.post(`/api/orders/${o.id}/assign`, { driverId: null, version: moved.body.version });
    expect(off2.body).toMatchObject({ driver: null });
    const again = await s.phone1.seen.waitFor((e) => e.order.id === o.id && e.type === 'order.offered' && e.eventId > offered.eventId, LIVE);
    expect(again.order.offer!.driverId).toBe(s.ids.d1);

    // the same manager's stale screen, another shop's manager, a driver, a driver of another shop: refused, nothing changes
    expect((await s.manager.post(`/api/orders/${o.id}/assign`, { driverId: s.ids.d2, version: mine.body.version })).body.error.code).toBe('stale');
    const other = await openShop('hand-other');
    expect((await other.manager.post(`/api/orders/${o.id}/assign`, { driverId: s.ids.d2 })).status).toBe(403);
    expect((await s.d1.post(`/api/orders/${o.id}/assign`, { driverId: s.ids.d1 })).status).toBe(403);
    const stranger = await s.manager.post(`/api/orders/${o.id}/assign`, { driverId: other.ids.d1 });
    expect(stranger.status).toBe(422);
    expect(stranger.body.error.fields.driverId).toMatch(/not a driver of this shop/);
    expect((await s.manager.post(`/api/orders/${o.id}/assign`, { driverId: 'me' })).status).toBe(422);
    // assigning by hand while the offer is open withdraws it
    const byHand = await s.manager.post(`/api/orders/${o.id}/assign`, { driverId: s.ids.d2 });
    expect(byHand.body).toMatchObject({ driver: { id: s.ids.d2 }, offer: null });
    await s.phone1.seen.waitFor(isEvent(o.id, 'order.unassigned', (e) => e.order.releasedDriverId === s.ids.d1), LIVE);
  });
});

describe('lending a driver', () => {
  it('head office lends a free driver to a neighbouring shop for the evening: offers come from that shop until the shift ends', async () => {
    const home = await openShop('lend-home');
    const away = await openShop('lend-away');
    const admin = await new Client(stack.base).login('admin@ocpizza.test');
    expect((await home.manager.post(`/api/drivers/${home.ids.d1}/lend`, { toShop: away.id })).status).toBe(403);
    expect((await admin.post(`/api/drivers/${home.ids.d1}/lend`, { toShop: 2_000_000_000 })).status).toBe(422);
    const lent = await admin.post(`/api/drivers/${home.ids.d1}/lend`, { toShop: away.id });
    expect(lent.body).toEqual({ driverId: home.ids.d1, homeShop: home.id, worksFor: away.id });

    // the away shop's manager sees them among its drivers; home's does not
    const names = async (c: Client) => ((await c.get('/api/drivers')).body as { id: number }[]).map((d) => d.id);
    expect(await names(away.manager)).toContain(home.ids.d1);
    expect(await names(home.manager)).not.toContain(home.ids.d1);

    // on shift, the lent driver is offered the away shop's delivery (away's own drivers are off shift)
    const lentDriver = await new Client(stack.base).login(home.email('driver1'));
    await lentDriver.post('/api/driver/shift', { onShift: true });
    const o = await readyDelivery(away);
    const offer = await home.phone1.seen.waitFor(isEvent(o.id, 'order.offered'), LIVE);
    expect(offer.order.offer!.driverId).toBe(home.ids.d1);
    const accepted = await lentDriver.post(`/api/orders/${o.id}/offer`, { accept: true });
    expect(accepted.body.driver.id).toBe(home.ids.d1);
    // busy: cannot be lent back now
    expect((await admin.post(`/api/drivers/${home.ids.d1}/lend`, { toShop: null })).body.error.code).toBe('driver_busy');
    await move(lentDriver, o.id, 'out_for_delivery');
    const { rows } = await stack.pool.query<{ delivery_pin: string }>('SELECT delivery_pin FROM orders WHERE id = $1', [o.id]);
    expect((await lentDriver.post(`/api/orders/${o.id}/deliver`, { proof: { pin: rows[0].delivery_pin }, collected: { amountCents: accepted.body.amountDueCents, method: 'cash' } })).status).toBe(200);

    // the shift ends, and with it the loan
    await lentDriver.post('/api/driver/shift', { onShift: false });
    await waitUntil(async () => (await names(home.manager)).includes(home.ids.d1), 6000, 'the driver back at home');
  });
});
