// The shop's plan, as its kitchen hears it: a delivery is fired to leave the oven as its driver
// walks back in, not the moment it is taken; with the driver at the shop it is made at once; the
// kitchen keeps the last word (a held ticket can be started anyway).
import { describe, expect, it } from 'vitest';
import type { KitchenDrivers, OrderForecast } from '../../src/lib/shapes/views.ts';
import { seededProduct, Client, address, connectSocket, createShop, driverOnShift, move, placeThroughApi, subscribe, waitUntil } from '../helpers.ts';
import { useStack } from '../services.ts';

const stack = useStack({ env: { LOG_LEVEL: 'error' }, workers: true });
const MIN = 60_000;

/** A shop with its first driver on shift and sharing a position, and its kitchen's screen. */
async function evening(name: string) {
  const shop = await createShop(stack.pool, name);
  const [kitchen, manager] = await Promise.all([shop.email('kitchen'), shop.email('manager')].map((e) => new Client(stack.base).login(e)));
  const driver = await driverOnShift(stack.base, shop.email('driver1'));
  stack.sockets.push(driver.phone);
  // metres north of the shop (48.86, 2.37)
  const driverAt = driver.at;
  const screen = await connectSocket(stack.base, { cookie: kitchen.cookie });
  stack.sockets.push(screen);
  const heard: KitchenDrivers[] = [];
  screen.on('kitchen:drivers', (e) => heard.push(e));
  await subscribe(screen, { scope: 'kitchen', pizzeriaId: shop.id });
  await waitUntil(() => heard.length > 0, 5000, 'the kitchen screen hears its drivers');
  const driverId = heard[0].drivers[0].id;
  /** The latest plan heard for an order, once it satisfies `ok`. */
  const planned = (orderId: string, ok: (f: KitchenDrivers['plan']['fires'][number]) => boolean, what: string) =>
    waitUntil(() => heard.map((e) => e.plan.fires.find((f) => f.orderId === orderId)).filter((f) => f && ok(f)).at(-1), 8000, what);
  /**
   * Resolves once a plan read after `since` is heard without the order: the screens get only the
   * tickets the plan holds, so an order made now (or started) is no longer in it.
   */
  const released = (orderId: string, since: number, what: string) =>
    waitUntil(() => heard.some((e) => Date.parse(e.plan.at) >= since && !e.plan.fires.some((f) => f.orderId === orderId)), 8000, what);
  return { shop, kitchen, manager, driverId, driverAt, heard, planned, released };
}

describe("the shop's plan: fired to meet the driver", () => {
  it('holds a delivery while its driver is far, so that it leaves the oven as the driver walks in; at once once the driver is back', async () => {
    const e = await evening('plan-far');
    // a rush: the manager adds 20 minutes to every new promise, so the order can wait for its driver
    expect((await e.manager.post(`/api/shops/${e.shop.id}/busy`, { minutes: 20 })).status).toBe(200);
    // 6 km out with nothing to deliver: back in about 22 minutes on a scooter
    await e.driverAt(6000);
    const placed = await placeThroughApi(stack.base, { pizzeriaId: e.shop.id, productId: seededProduct('margherita') });
    const { body: order } = await e.kitchen.get(`/api/orders/${placed.id}`);
    const promisedIn = (Date.parse(order.promisedAt) - Date.now()) / MIN;
    expect(promisedIn).toBeGreaterThan(30);

    const held = await e.planned(placed.id, (f) => f.reason === 'driver', 'the order held for its driver');
    expect(held).toMatchObject({ driverId: e.driverId, lateMinutes: 0 });
    const driverIn = (Date.parse(held!.driverAt!) - Date.now()) / MIN;
    expect(driverIn).toBeGreaterThan(15);
    // out of the oven a couple of minutes before the driver, not at once
    expect((Date.parse(held!.fireAt) - Date.now()) / MIN).toBeGreaterThan(5);
    expect(Date.parse(held!.readyAt)).toBeLessThanOrEqual(Date.parse(held!.driverAt!));
    expect(Date.parse(held!.driverAt!) - Date.parse(held!.readyAt)).toBeLessThan(4 * MIN);

    // the driver is back: the next plan fires it now (any order of the shop, or the refresh, brings it);
    // a ticket made now is not held, so the kitchen's plan no longer lists it
    const back = Date.now();
    await e.driverAt(20);
    await placeThroughApi(stack.base, { pizzeriaId: e.shop.id, productId: seededProduct('margherita'), fulfilment: 'pickup' });
    await e.released(placed.id, back, 'the order fired now');
  });

  it('fires at once with nobody on shift, and a held ticket can still be started by the kitchen', async () => {
    const e = await evening('plan-start');
    await e.manager.post(`/api/shops/${e.shop.id}/busy`, { minutes: 20 });
    await e.driverAt(6000);
    const placed = await placeThroughApi(stack.base, { pizzeriaId: e.shop.id, productId: seededProduct('margherita') });
    await e.planned(placed.id, (f) => f.reason === 'driver', 'the order held');
    // the kitchen has the last word: a quiet oven starts it now
    await move(e.kitchen, placed.id, 'preparing');
    // in the oven: not held any more
    const started = Date.now();
    await e.released(placed.id, started, 'the started order no longer held');

    // the driver's shift ends: nobody to wait for, a new delivery is fired at once
    const driver = await new Client(stack.base).login(e.shop.email('driver1'));
    expect((await driver.post('/api/driver/shift', { onShift: false })).status).toBe(200);
    const next = await placeThroughApi(stack.base, { pizzeriaId: e.shop.id, productId: seededProduct('margherita') });
    await e.released(next.id, Date.now(), 'the next order made at once');
    expect(e.heard.some((h) => h.plan.fires.some((f) => f.orderId === next.id))).toBe(false);
  });

  it("tells the customer's tracking page when the plan expects the order, late before it is late, and again as the evening moves", async () => {
    const e = await evening('plan-forecast');
    // promised with its driver at the shop; then the driver is sent 6 km out (a delivery far away)
    await e.driverAt(20);
    const placed = await placeThroughApi(stack.base, { pizzeriaId: e.shop.id, productId: seededProduct('margherita') });
    await e.driverAt(6000);
    const { body: order } = await e.kitchen.get(`/api/orders/${placed.id}`);
    const tracking = await connectSocket(stack.base, { trackingToken: placed.trackingToken });
    stack.sockets.push(tracking);
    const heard: OrderForecast[] = [];
    tracking.on('order:forecast', (f) => heard.push(f));
    await subscribe(tracking, { scope: 'order' });
    const late = await waitUntil(() => heard.find((f) => f.lateMinutes >= 5), 8000, 'a forecast of a late order');
    expect(late!.orderId).toBe(placed.id);
    // the promise has not passed yet: the customer hears it before
    expect(Date.parse(order.promisedAt)).toBeGreaterThan(Date.now());
    expect(Date.parse(late!.expectedAt) - Date.parse(order.promisedAt)).toBeGreaterThanOrEqual(5 * MIN);

    // the driver is back: the next forecast is on time
    await e.driverAt(20);
    await move(e.kitchen, placed.id, 'preparing');
    const onTime = await waitUntil(() => heard.find((f) => f.lateMinutes === 0), 8000, 'a forecast on time');
    expect(Date.parse(onTime!.expectedAt)).toBeLessThanOrEqual(Date.parse(order.promisedAt));
    // only its own order: nothing of the shop's other orders
    expect(new Set(heard.map((f) => f.orderId))).toEqual(new Set([placed.id]));
  });

  it('promises a new delivery behind the drivers: its only driver 6 km out, the storefront and the order say later than the rule', async () => {
    const far = await evening('plan-promise-far');
    const near = await evening('plan-promise-near');
    await far.driverAt(6000);
    await near.driverAt(20);
    const where = await new Client(stack.base).get(`/api/delivery/where?lat=${address.lat}&lng=${address.lng}`);
    const seen = (shop: number) => (where.body.shops as { id: number; promiseMinutes: number }[]).find((s) => s.id === shop)!.promiseMinutes;
    // at the shop: the oven's queue and the road (about 16 minutes, said 20); 6 km out: back in about
    // 22, then the handover and the road
    expect(seen(near.shop.id)).toBe(20);
    expect(seen(far.shop.id)).toBeGreaterThanOrEqual(30);
    const placed = await placeThroughApi(stack.base, { pizzeriaId: far.shop.id, productId: seededProduct('margherita') });
    const { body: order } = await far.kitchen.get(`/api/orders/${placed.id}`);
    const promisedIn = (Date.parse(order.promisedAt) - Date.parse(order.timestamps.created)) / MIN;
    expect(Math.round(promisedIn)).toBe(seen(far.shop.id));
  });
});

