// The managers' map is fed by the socket alone: a manager's screen gets its shop's drivers and the
// evening's figures when it subscribes, and again within a second or two of an order changing,
// without asking for them; head office gets every shop's; a kitchen screen gets only who the
// drivers are and when each is expected back at the shop.
import { describe, expect, it } from 'vitest';
import type { FleetUpdate, KitchenDrivers } from '../../src/lib/shapes/views.ts';
import { seededProduct, Client, connectSocket, createShop, driverOnShift, move, placeThroughApi, subscribe, waitUntil } from '../helpers.ts';
import { useStack } from '../services.ts';

const stack = useStack({ env: { LOG_LEVEL: 'error' }, workers: true });

/** A screen subscribed to `req`, and the fleet updates it was sent. */
async function screen(cookie: string, req: Parameters<typeof subscribe>[1]) {
  const socket = await connectSocket(stack.base, { cookie });
  stack.sockets.push(socket);
  const fleet: FleetUpdate[] = [];
  socket.on('fleet:updated', (f) => fleet.push(f));
  const ack = await subscribe(socket, req);
  expect(ack).toMatchObject({ data: { lastEventId: expect.any(Number) } });
  return fleet;
}
const latest = (fleet: FleetUpdate[], shop: number) => fleet.filter((f) => f.pizzeriaId === shop).at(-1);

describe("the managers' map, fed by the socket", () => {
  it("a manager's screen gets its shop's drivers and figures on subscribing, and the figures again when an order is handed over", async () => {
    const shop = await createShop(stack.pool, 'feed');
    const [manager, kitchen, driver] = await Promise.all([shop.email('manager'), shop.email('kitchen'), shop.email('driver1')].map((e) => new Client(stack.base).login(e)));
    await driver.post('/api/driver/shift', { onShift: true });

    const managerFeed = await screen(manager.cookie, { scope: 'shop', pizzeriaId: shop.id });
    const kitchenFeed = await screen(kitchen.cookie, { scope: 'kitchen', pizzeriaId: shop.id });
    const first = (await waitUntil(() => latest(managerFeed, shop.id), 5000, 'the first fleet update'))!;
    expect(first.drivers.map((d) => [d.name, d.onShift, d.worksFor])).toEqual([
      [`driver1 ${shop.slug}`, true, shop.id],
      [`driver2 ${shop.slug}`, false, shop.id],
    ]);
    expect(first.figures).toMatchObject({ pizzeriaId: shop.id, done: 0 });

    const placed = await placeThroughApi(stack.base, { pizzeriaId: shop.id, productId: seededProduct('margherita'), fulfilment: 'pickup' });
    for (const to of ['preparing', 'ready', 'collected']) await move(kitchen, placed.id, to);
    await waitUntil(() => latest(managerFeed, shop.id)?.figures?.done === 1, 5000, 'the figures with the order handed over');
    // only the shop's managers and head office hear of the fleet: never a kitchen screen
    expect(kitchenFeed).toEqual([]);
  });

  it('a kitchen screen hears when each driver is expected back: at once when at the shop, after the ride back when away; never where they are', async () => {
    const shop = await createShop(stack.pool, 'feed-kitchen');
    const kitchen = await new Client(stack.base).login(shop.email('kitchen'));
    const driver = await driverOnShift(stack.base, shop.email('driver1'));
    stack.sockets.push(driver.phone);
    const share = driver.at;

    const socket = await connectSocket(stack.base, { cookie: kitchen.cookie });
    stack.sockets.push(socket);
    const heard: KitchenDrivers[] = [];
    socket.on('kitchen:drivers', (e) => heard.push(e));
    await subscribe(socket, { scope: 'kitchen', pizzeriaId: shop.id });
    const first = await waitUntil(() => heard.at(-1), 5000, 'the first drivers update');
    // on shift, no position yet: nobody can say when
    expect(first).toEqual({
      pizzeriaId: shop.id,
      drivers: [{ id: expect.any(Number), name: `driver1 ${shop.slug}`, backAt: null }],
      plan: { pizzeriaId: shop.id, at: expect.any(String), fires: [] },
    });

    // 2 km north of the shop (48.86, 2.37) with nothing to deliver: back after the ride
    await share(2000);
    const placed = await placeThroughApi(stack.base, { pizzeriaId: shop.id, productId: seededProduct('margherita'), fulfilment: 'pickup' });
    await move(kitchen, placed.id, 'preparing');
    const away = await waitUntil(() => heard.find((e) => e.drivers[0]?.backAt), 5000, 'a time the driver is expected back');
    const minutes = (Date.parse(away!.drivers[0].backAt!) - Date.now()) / 60_000;
    expect(minutes).toBeGreaterThan(5);
    expect(minutes).toBeLessThan(12);
    expect(Object.keys(away!.drivers[0]).sort()).toEqual(['backAt', 'id', 'name']);

    // at the shop: expected now
    await share(20);
    await move(kitchen, placed.id, 'ready');
    const here = await waitUntil(() => heard.find((e) => e.drivers[0]?.backAt && Date.parse(e.drivers[0].backAt) <= Date.now() + 1000), 5000, 'the driver at the shop');
    expect(here).toBeTruthy();
  });

  it('head office gets every shop, each as its own update', async () => {
    const a = await createShop(stack.pool, 'feed-a');
    const b = await createShop(stack.pool, 'feed-b');
    const admin = await new Client(stack.base).login('admin@ocpizza.test');
    const hq = await screen(admin.cookie, { scope: 'hq' });
    await waitUntil(() => latest(hq, a.id) && latest(hq, b.id), 5000, 'both shops');
    expect(latest(hq, b.id)!.drivers.every((d) => d.worksFor === b.id)).toBe(true);
  });
});
