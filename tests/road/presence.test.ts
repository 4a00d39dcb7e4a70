// On shift is not the same as present: dispatch offers deliveries only to drivers whose phone is
// connected (to any hub) with a fresh position, and the manager's alerts name the driver on shift
// whose app is closed. The alerts come most urgent first, a ticket late in the oven among them.
// Real Postgres, Redis, Socket.io and workers; two hubs; shops of the test's own.
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
import type { ManagerAlert } from '../../src/lib/domain/alerts.ts';

// deliveries assigned at once (no offer to answer), dispatch looking again every 200 ms, only to
// drivers present; a ticket is late after one second in the oven
const ENV = { DISPATCH_PRESENT_ONLY: 'true', DRIVER_POSITION_FRESH_SECONDS: '120', OFFER_TIMEOUT_SECONDS: '0', DISPATCH_RETRY_MS: '200', PREP_TARGET_SECONDS: '1' };
const LIVE = 15_000;

// two hubs: a phone connected to either counts
const stack = useStack({ env: ENV, workers: true, hubs: 2 });
const margherita = seededProduct('margherita');

async function phone(at: string, client: Client, scope: 'driver' | 'shop') {
  const socket = await connectSocket(at, { cookie: client.cookie });
  stack.sockets.push(socket);
  const seen = collect(socket);
  expect(await subscribe(socket, { scope })).toMatchObject({ data: {} });
  return { socket, seen };
}

/** Where a phone says it is, metres north of a test shop (48.86, 2.37), and when (ms ago). */
function share(socket: TestSocket, metres: number, agoMs = 0) {
  const p = { lat: 48.86 + metres / 111_200, lng: 2.37, accuracy: 10, at: Date.now() - agoMs };
  return new Promise<any>((resolve) => socket.emit('driver:position', p as never, resolve as never));
}

const alertsOf = async (manager: Client, shop: number): Promise<ManagerAlert[]> => {
  const r = await manager.get(`/api/alerts?pizzeriaId=${shop}`);
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body;
};

describe('dispatch and presence', () => {
  it('a driver on shift whose app is closed, or whose phone has said nothing lately, is offered nothing; one connected with a fresh position is; the manager is told who is absent', async () => {
    const shop = await createShop(stack.pool, 'presence');
    const login = (who: Parameters<typeof shop.email>[0]) => new Client(stack.base).login(shop.email(who));
    const [manager, kitchen, d1, d2] = await Promise.all([login('manager'), login('kitchen'), login('driver1'), login('driver2')]);
    const ids = { d1: await userId(stack.pool, shop.email('driver1')), d2: await userId(stack.pool, shop.email('driver2')) };
    const screen = await phone(stack.base, manager, 'shop');
    const ready = async () => {
      const o = await placeThroughApi(stack.base, { pizzeriaId: shop.id, productId: margherita });
      await move(kitchen, o.id, 'preparing');
      await move(kitchen, o.id, 'ready');
      return o;
    };
    const isEvent = (id: string, type: string) => (e: OrderUpdated) => e.order.id === id && e.type === type;

    // driver 1 goes on shift, then closes the app: no phone connected
    await d1.post('/api/driver/shift', { onShift: true });
    const a = await ready();
    // dispatch finds nobody present: the order waits, and nobody was offered it
    await screen.seen.waitFor(isEvent(a.id, 'order.waiting_driver'), LIVE);
    expect((await stack.pool.query('SELECT driver_id, offer_driver_id FROM orders WHERE id = $1', [a.id])).rows[0]).toEqual({ driver_id: null, offer_driver_id: null });
    expect((await stack.pool.query('SELECT count(*)::int AS n FROM delivery_offers WHERE order_id = $1', [a.id])).rows[0].n).toBe(0);

    // the manager's alerts: the waiting delivery first, then driver 1 on shift with the app closed
    const before = await alertsOf(manager, shop.id);
    expect(before.map((x) => [x.kind, x.orderId ?? x.driverId])).toEqual([
      ['waiting_driver', a.id],
      ['app_closed', ids.d1],
    ]);

    // driver 2 goes on shift with the app open (on the other hub), two kilometres away: the delivery is theirs
    await d2.post('/api/driver/shift', { onShift: true });
    const p2 = await phone(stack.hubs[1].base, d2, 'driver');
    expect(await share(p2.socket, 2000)).toMatchObject({ data: {} });
    const assigned = await screen.seen.waitFor(isEvent(a.id, 'order.assigned'), LIVE);
    expect(assigned.order.driver?.id).toBe(ids.d2);

    // driver 1 opens the app, but the phone's only position is five minutes old (out of a tunnel,
    // no GPS since): closer than driver 2 and free, still not offered the next one
    const p1 = await phone(stack.base, d1, 'driver');
    expect(await share(p1.socket, 50, 5 * 60_000)).toMatchObject({ data: {} });
    const b = await ready();
    const next = await screen.seen.waitFor(isEvent(b.id, 'order.assigned'), LIVE);
    expect(next.order.driver?.id).toBe(ids.d2);
    expect(p1.seen.events.filter((e) => e.order.id === b.id || e.order.id === a.id)).toEqual([]);
    expect((await alertsOf(manager, shop.id)).filter((x) => x.kind === 'app_closed').map((x) => x.driverId)).toEqual([ids.d1]);

    // a fresh position: driver 1 is present again, and the manager's alert goes
    expect(await share(p1.socket, 50)).toMatchObject({ data: {} });
    expect((await alertsOf(manager, shop.id)).filter((x) => x.kind === 'app_closed')).toEqual([]);
    // the phone closes: absent again (the hub stops vouching for it at once)
    p1.socket.disconnect();
    await waitUntil(async () => (await alertsOf(manager, shop.id)).some((x) => x.kind === 'app_closed' && x.driverId === ids.d1), LIVE, 'driver 1 to be absent');
  }, 60_000);
});

describe("the manager's alerts", () => {
  it('a ticket late in the oven (past the preparation target) is an alert, ahead of an order past its promise; one in time is not', async () => {
    const shop = await createShop(stack.pool, 'oven');
    const manager = await new Client(stack.base).login(shop.email('manager'));
    const kitchen = await new Client(stack.base).login(shop.email('kitchen'));
    const screen = await phone(stack.base, manager, 'shop');
    const inOven = await placeThroughApi(stack.base, { pizzeriaId: shop.id, productId: margherita, fulfilment: 'pickup' });
    const waiting = await placeThroughApi(stack.base, { pizzeriaId: shop.id, productId: margherita, fulfilment: 'pickup' });
    await move(kitchen, inOven.id, 'preparing');
    // the prep timer flags it late, as the kitchen screen shows it red
    await screen.seen.waitFor((e) => e.order.id === inOven.id && e.type === 'order.late', LIVE);
    // the other order was promised in the past (a promise the kitchen will not keep)
    await stack.pool.query(`UPDATE orders SET promised_at = now() - interval '3 minutes', version = version + 1 WHERE id = $1`, [waiting.id]);

    const alerts = await alertsOf(manager, shop.id);
    expect(alerts.map((x) => [x.kind, x.orderId])).toEqual([
      ['late_in_oven', inOven.id],
      ['late', waiting.id],
    ]);
    expect(alerts[0]).toMatchObject({ pizzeriaId: shop.id, number: inOven.number });

    // out of the oven: no longer an alert
    await move(kitchen, inOven.id, 'ready');
    expect((await alertsOf(manager, shop.id)).map((x) => x.kind)).toEqual(['late']);
    // another shop's manager, the kitchen and a stranger see none of it
    const other = await new Client(stack.base).login('manager.bastille@ocpizza.test');
    expect((await other.get(`/api/alerts?pizzeriaId=${shop.id}`)).status).toBe(403);
    expect((await kitchen.get(`/api/alerts?pizzeriaId=${shop.id}`)).status).toBe(403);
    expect((await new Client(stack.base).get(`/api/alerts?pizzeriaId=${shop.id}`)).status).toBe(401);
  }, 40_000);
});
