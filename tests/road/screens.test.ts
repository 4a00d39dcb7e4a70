// Each screen gets what it needs, with real sockets on a real hub and Postgres: the kitchen the
// first name and the fulfilment (never the phone, the address, the door code or the spot), a driver
// offered a delivery the street without its number and the distance, the driver who took it all of
// it; live, when a screen replays what it missed, and in the API's answers.
import { describe, expect, it } from 'vitest';
import { DEFAULT_ETA_SETTINGS } from '../../src/lib/domain/eta.ts';
import type { OrderUpdated } from '../../src/lib/realtime/contract.ts';
import { dispatchOrder } from '../../src/lib/server/delivery/dispatch.ts';
import { seededProduct, Client, collect, connectSocket, createShop, move, subscribe, userId } from '../helpers.ts';
import { useStack } from '../services.ts';

const stack = useStack({ env: { LOG_LEVEL: 'error' } });

const PHONE = '06 12 34 56 78';
const SPOT = { lat: 48.8551, lng: 2.3751 };
const ADDRESS = { street: '12 bis rue de la Roquette', postcode: '75011', city: 'Paris', ...SPOT, locatedBy: 'pin', doorCode: '4B21', floor: '3e gauche', instructions: 'Sonner chez Martin' };
/** What only the shop, the customer and the driver carrying the order may read. */
const PRIVATE = [PHONE, '0612345678', '12 bis', '4B21', '3e gauche', 'Sonner', 'Martin', '75011', String(SPOT.lat), String(SPOT.lng)];
const leaks = (payload: unknown) => PRIVATE.filter((p) => JSON.stringify(payload).includes(p));

async function socketOf(cookie: string, req: Parameters<typeof subscribe>[1]) {
  const socket = await connectSocket(stack.base, { cookie });
  stack.sockets.push(socket);
  const seen = collect(socket);
  const ack = await subscribe(socket, req);
  expect(ack).toMatchObject({ data: { lastEventId: expect.any(Number) } });
  return { socket, seen, lastEventId: ack.data.lastEventId as number };
}

describe('each screen gets what it needs', () => {
  it('the kitchen never sees the phone, address, door code or spot; an offered driver sees the street and the distance; the assigned driver and the shop see it all', async () => {
    const shop = await createShop(stack.pool, 'screens');
    const [kitchen, manager, driver] = await Promise.all([shop.email('kitchen'), shop.email('manager'), shop.email('driver1')].map((e) => new Client(stack.base).login(e)));
    await driver.post('/api/driver/shift', { onShift: true });
    const driverId = await userId(stack.pool, shop.email('driver1'));

    const kitchenScreen = await socketOf(kitchen.cookie, { scope: 'kitchen', pizzeriaId: shop.id });
    const shopScreen = await socketOf(manager.cookie, { scope: 'shop', pizzeriaId: shop.id });
    const phone = await socketOf(driver.cookie, { scope: 'driver' });

    const placed = await new Client(stack.base).post('/api/orders', {
      pizzeriaId: shop.id, fulfilment: 'delivery', customer: { name: 'Camille Martin', phone: PHONE }, address: ADDRESS,
      items: [{ productId: seededProduct('margherita'), quantity: 1 }], payment: 'on_delivery',
    });
    expect(placed.status, JSON.stringify(placed.body)).toBe(201);
    const id = placed.body.id as string;
    const of = (type: string) => (e: OrderUpdated) => e.order.id === id && e.type === type;

    // the kitchen bakes it: what its screen and its own taps' answers carry
    await move(kitchen, id, 'preparing');
    const ready = await kitchen.post(`/api/orders/${id}/status`, { to: 'ready' });
    expect(ready.status).toBe(200);
    expect(leaks(ready.body)).toEqual([]);
    expect(ready.body).toMatchObject({ customer: { name: 'Camille' }, fulfilment: 'delivery', address: null });

    // dispatch offers it to the driver: street and distance only, until they accept
    const offered = await dispatchOrder(stack.pool, null, id, { offerTimeoutMs: 60_000, maxPerTrip: 1, mode: 'scooter', eta: DEFAULT_ETA_SETTINGS });
    expect(offered).toMatchObject({ state: 'offered' });
    const offer = await phone.seen.waitFor(of('order.offered'));
    expect(offer.order.customer).toEqual({ name: 'Camille' });
    expect(offer.order.address).toEqual({ street: 'rue de la Roquette', city: 'Paris', distanceM: expect.any(Number) });
    expect(offer.order.address!.distanceM).toBeGreaterThan(100);
    expect(leaks(offer)).toEqual([]);
    const asked = await driver.get(`/api/orders/${id}`);
    expect(leaks(asked.body)).toEqual([]);
    expect(asked.body.address).toEqual(offer.order.address);

    // accepted: the driver carrying it gets everything
    const accepted = await driver.post(`/api/orders/${id}/offer`, { accept: true });
    expect(accepted.status, JSON.stringify(accepted.body)).toBe(200);
    expect(accepted.body.customer.phone).toBe(PHONE);
    const assigned = await phone.seen.waitFor((e) => e.order.id === id && e.order.driver?.id === driverId);
    expect(assigned.order.customer).toEqual({ name: 'Camille Martin', phone: PHONE });
    expect(assigned.order.address).toMatchObject({ street: ADDRESS.street, postcode: '75011', doorCode: '4B21', floor: '3e gauche', instructions: 'Sonner chez Martin', ...SPOT });

    await move(driver, id, 'out_for_delivery');
    await shopScreen.seen.waitFor((e) => e.order.id === id && e.order.status === 'out_for_delivery');
    await kitchenScreen.seen.waitFor((e) => e.order.id === id && e.order.status === 'out_for_delivery');
    // the kitchen saw every step, and never more than the first name and the fulfilment
    const baked = kitchenScreen.seen.events.filter((e) => e.order.id === id);
    expect(baked.map((e) => e.order.status)).toEqual(['received', 'preparing', 'ready', 'ready', 'ready', 'out_for_delivery']);
    for (const e of baked) {
      expect(leaks(e)).toEqual([]);
      expect(e.order).toMatchObject({ customer: { name: 'Camille' }, fulfilment: 'delivery', address: null });
    }
    // the manager's screen: everything, to call the customer
    const managed = shopScreen.seen.events.filter((e) => e.order.id === id);
    expect(managed).toHaveLength(baked.length);
    for (const e of managed) expect(e.order.customer.phone).toBe(PHONE);

    // a kitchen screen that comes back replays what it missed, cut the same way
    const back = await socketOf(kitchen.cookie, { scope: 'kitchen', pizzeriaId: shop.id, lastEventId: kitchenScreen.lastEventId });
    const replayed = back.seen.events.filter((e) => e.order.id === id);
    expect(replayed.map((e) => e.eventId)).toEqual(baked.map((e) => e.eventId));
    for (const e of replayed) expect(leaks(e)).toEqual([]);
    // so does the driver's phone: the offer as it was offered, the rest whole
    const phoneBack = await socketOf(driver.cookie, { scope: 'driver', lastEventId: phone.lastEventId });
    const again = phoneBack.seen.events.filter((e) => e.order.id === id);
    expect(again.find((e) => e.type === 'order.offered')!.order.address).toEqual(offer.order.address);
    expect(again.at(-1)!.order.address).toMatchObject({ doorCode: '4B21' });

    // and the kitchen's list through the API
    const list = await kitchen.get(`/api/orders?pizzeriaId=${shop.id}`);
    expect(list.body.length).toBeGreaterThan(0);
    expect(leaks(list.body)).toEqual([]);
  });

  it('a driver the delivery is taken from is told so, without the details they no longer need', async () => {
    const shop = await createShop(stack.pool, 'screens-taken');
    const [kitchen, manager, driver] = await Promise.all([shop.email('kitchen'), shop.email('manager'), shop.email('driver1')].map((e) => new Client(stack.base).login(e)));
    await driver.post('/api/driver/shift', { onShift: true });
    const phone = await socketOf(driver.cookie, { scope: 'driver' });
    const placed = await new Client(stack.base).post('/api/orders', {
      pizzeriaId: shop.id, fulfilment: 'delivery', customer: { name: 'Camille Martin', phone: PHONE }, address: ADDRESS,
      items: [{ productId: seededProduct('margherita'), quantity: 1 }], payment: 'on_delivery',
    });
    const id = placed.body.id as string;
    await move(kitchen, id, 'preparing');
    await move(kitchen, id, 'ready');
    const driverId = await userId(stack.pool, shop.email('driver1'));
    expect((await manager.post(`/api/orders/${id}/assign`, { driverId })).status).toBe(200);
    await phone.seen.waitFor((e) => e.order.id === id && e.order.driver?.id === driverId);
    expect((await manager.post(`/api/orders/${id}/assign`, { driverId: null })).status).toBe(200);
    const taken = await phone.seen.waitFor((e) => e.order.id === id && e.order.releasedDriverId === driverId);
    expect(taken.order.driver).toBeNull();
    expect(leaks(taken)).toEqual([]);
  });
});
