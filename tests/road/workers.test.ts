// The workers, in-process against real Postgres and Redis (BullMQ): payments, preparation timers
// and delivery assignment, observed the way screens see them, through the hub's sockets.
import { describe, expect, it } from 'vitest';
import {
  seededProduct,
  Client,
  SHOPS,
  collect,
  connectSocket,
  createShop,
  storedEvents,
  prepTimerOf,
  subscribe,
  userId,
  waitUntil,
  handOver,
  move,
  placeThroughApi,
  payOnDemoPage,
  CARDS,
} from '../helpers.ts';
import { useStack } from '../services.ts';
import type { OrderUpdated } from '../../src/lib/realtime/contract.ts';
import { jobId } from '../../src/lib/server/kernel/queues.ts';

const ENV = { PREP_TARGET_SECONDS: '1', DISPATCH_RETRY_MS: '300' };
const LIVE_TIMEOUT = 15_000;

const stack = useStack({ env: ENV, workers: true });
const margherita = seededProduct('margherita');

async function watch(email: string, scope: 'kitchen' | 'shop') {
  const client = await new Client(stack.base).login(email);
  const socket = await connectSocket(stack.base, { cookie: client.cookie });
  stack.sockets.push(socket);
  const seen = collect(socket);
  expect(await subscribe(socket, { scope })).toMatchObject({ data: {} });
  return { client, seen };
}

const place = (shop: number, overrides: Record<string, unknown> = {}) =>
  placeThroughApi(stack.base, { pizzeriaId: shop, productId: margherita, ...overrides });

const isEvent = (id: string, pred: (e: OrderUpdated) => boolean) => (e: OrderUpdated) => e.order.id === id && pred(e);

describe('online payment', () => {
  it('when a customer pays online, the order goes from pending payment to the kitchen by itself, and the kitchen screen sees it live', async () => {
    const kitchen = await watch('kitchen.bastille@ocpizza.test', 'kitchen');
    const placed = await place(SHOPS.bastille, { payment: 'online' });
    expect(placed.status).toBe('pending_payment');
    expect((await payOnDemoPage(stack.base, placed.trackingToken)).accepted).toBe(true);

    const received = await kitchen.seen.waitFor(isEvent(placed.id, (e) => e.order.status === 'received'), LIVE_TIMEOUT);
    // the card is held: taken when the kitchen starts
    expect(received.order).toMatchObject({ version: 3, payment: { method: 'online', status: 'authorised' } });
    expect(received.order.paidCents).toBe(received.order.totalCents);
    expect(kitchen.seen.events.filter((e) => e.order.id === placed.id).map((e) => [e.type, e.order.status, e.order.version])).toEqual([
      ['order.placed', 'pending_payment', 1],
      ['order.payment_ready', 'pending_payment', 2],
      ['order.status', 'received', 3],
    ]);

    // the customer's tracking page, resuming from the order it was shown, sees the same step
    const [placedEvent] = await storedEvents(stack.pool, placed.id);
    const tracking = await connectSocket(stack.base, { trackingToken: placed.trackingToken });
    stack.sockets.push(tracking);
    const trackingSeen = collect(tracking);
    await subscribe(tracking, { scope: 'order', lastEventId: placedEvent.id });
    expect((await trackingSeen.waitFor(isEvent(placed.id, (e) => e.order.version === 3))).order.status).toBe('received');
    expect((await new Client(stack.base).get(`/api/track/${placed.trackingToken}`)).body).toMatchObject({ status: 'received', amountToCollect: 0 });
  });

  it('when the customer cancels before paying, the payment page takes no card, and a hold made meanwhile elsewhere is let go', async () => {
    const placed = await place(SHOPS.bastille, { payment: 'online' });
    // the payment is ready on the page when the customer cancels
    await waitUntil(async () => (await stack.workers.queues.payments.getJob(jobId.paymentBegin(placed.id, 1)))?.finishedOn, LIVE_TIMEOUT, 'the payment to start');
    expect((await new Client(stack.base).post(`/api/track/${placed.trackingToken}/cancel`)).status).toBe(200);
    const late = await new Client(stack.base).post(`/api/track/${placed.trackingToken}/demo-pay`, { number: CARDS.accepted, expiry: '12/34', cvc: '123' });
    expect(late.status).toBe(409);
    expect(late.body.error.code).toBe('not_pending');
    expect((await storedEvents(stack.pool, placed.id)).map((e) => e.status)).toEqual(['pending_payment', 'pending_payment', 'cancelled']);
    expect((await new Client(stack.base).get(`/api/track/${placed.trackingToken}`)).body).toMatchObject({ status: 'cancelled', paidCents: 0, payment: { status: 'failed' } });
  });
});

describe('preparation timer', () => {
  it('when a pizza stays in the oven past the target, the order is flagged late, live; one that is ready in time is not, when its timer fires', async () => {
    const kitchen = await watch('kitchen.bastille@ocpizza.test', 'kitchen');
    const quick = await place(SHOPS.bastille, { fulfilment: 'pickup', address: undefined });
    const slow = await place(SHOPS.bastille, { fulfilment: 'pickup', address: undefined });
    await move(kitchen.client, quick.id, 'preparing');
    await move(kitchen.client, slow.id, 'preparing');
    const ready = await move(kitchen.client, quick.id, 'ready');
    expect(ready.late).toBe(false);

    // the slow one: its timer (started after the quick one's) fires and flags it
    const late = await kitchen.seen.waitFor(isEvent(slow.id, (e) => e.type === 'order.late'), LIVE_TIMEOUT);
    expect(late.order).toMatchObject({ status: 'preparing', late: true, version: 3 });
    expect((await kitchen.client.get(`/api/orders/${slow.id}`)).body).toMatchObject({ late: true, status: 'preparing' });

    // the quick one: its shop's timer for its second has run, and found it out of the oven
    const timer = (await prepTimerOf(stack.workers.queues.prep, stack.pool, quick.id))!;
    await waitUntil(async () => (await timer.getState()) === 'completed', LIVE_TIMEOUT, "the quick order's timer to run");
    expect((await kitchen.client.get(`/api/orders/${quick.id}`)).body.late).toBe(false);
    expect((await storedEvents(stack.pool, quick.id)).map((e) => e.type)).not.toContain('order.late');
    expect(kitchen.seen.events.filter((e) => e.order.id === quick.id && e.type === 'order.late')).toEqual([]);

    // a late order still moves on normally
    await move(kitchen.client, slow.id, 'ready');
    await move(kitchen.client, slow.id, 'collected');
    await move(kitchen.client, quick.id, 'collected');
  });
});

describe('preparation timers shared by a shop', () => {
  it('pizzas a shop starts together share one timer per second they fall due: each still in the oven then is flagged late, the one out of it is not, and no timer is queued per pizza', async () => {
    // a shop of its own: the demo shops' stock is shared by the whole suite
    const shop = await createShop(stack.pool, 'shared-timers');
    const kitchen = await watch(shop.email('kitchen'), 'kitchen');
    const orders = await Promise.all(Array.from({ length: 6 }, () => place(shop.id, { fulfilment: 'pickup', address: undefined })));
    await Promise.all(orders.map((o) => move(kitchen.client, o.id, 'preparing')));
    const [quick, ...slow] = orders;
    await move(kitchen.client, quick.id, 'ready');

    for (const o of slow) await kitchen.seen.waitFor(isEvent(o.id, (e) => e.type === 'order.late'), LIVE_TIMEOUT);
    const { prep } = stack.workers.queues;
    const timers = await Promise.all(orders.map((o) => prepTimerOf(prep, stack.pool, o.id)));
    // one timer for each second in which these pizzas fall due (start + 1 s target, rounded up)
    const { rows } = await stack.pool.query<{ preparing_at: Date }>('SELECT preparing_at FROM orders WHERE id = ANY($1)', [orders.map((o) => o.id)]);
    const dueSeconds = new Set(rows.map((r) => Math.ceil((r.preparing_at.getTime() + 1 + 1000) / 1000)));
    expect(new Set(timers.map((t) => t!.id)).size).toBe(dueSeconds.size);
    expect(dueSeconds.size).toBeLessThan(orders.length);
    for (const o of orders) expect(await prep.getJob(jobId.prep(o.id))).toBeUndefined();

    // the quick one's timer ran too, and left it on time
    await waitUntil(async () => (await timers[0]!.getState()) === 'completed', LIVE_TIMEOUT, "the quick order's timer to run");
    expect((await kitchen.client.get(`/api/orders/${quick.id}`)).body.late).toBe(false);
    for (const o of slow) expect((await kitchen.client.get(`/api/orders/${o.id}`)).body).toMatchObject({ status: 'preparing', late: true });
    for (const o of orders) {
      if (o !== quick) await move(kitchen.client, o.id, 'ready');
      await move(kitchen.client, o.id, 'collected');
    }
  });

  it('a pizza taken back to the oven after its time has passed is flagged late at once', async () => {
    const shop = await createShop(stack.pool, 'recalled-late');
    const kitchen = await watch(shop.email('kitchen'), 'kitchen');
    const o = await place(shop.id, { fulfilment: 'pickup', address: undefined });
    await move(kitchen.client, o.id, 'preparing');
    await move(kitchen.client, o.id, 'ready');
    // its timer runs and finds it out of the oven
    const timer = (await waitUntil(() => prepTimerOf(stack.workers.queues.prep, stack.pool, o.id), LIVE_TIMEOUT, 'its timer'))!;
    await waitUntil(async () => (await timer.getState()) === 'completed', LIVE_TIMEOUT, 'its timer to run');
    expect((await kitchen.client.get(`/api/orders/${o.id}`)).body.late).toBe(false);

    // taken back: it keeps its start, more than its second ago
    const back = await kitchen.client.post(`/api/orders/${o.id}/recall`, {});
    expect(back.status).toBe(200);
    const late = await kitchen.seen.waitFor(isEvent(o.id, (e) => e.type === 'order.late'), LIVE_TIMEOUT);
    expect(late.order).toMatchObject({ status: 'preparing', late: true });
    await move(kitchen.client, o.id, 'ready');
    await move(kitchen.client, o.id, 'collected');
  });
});

describe('delivery assignment', () => {
  it('when deliveries are ready, each goes to the on-shift driver with the fewest active deliveries, and a delivery left waiting is picked up as soon as a driver starts a shift', async () => {
    // a shop of its own: who is on shift there is this test's alone
    const shop = await createShop(stack.pool, 'dispatch');
    const manager = await watch(shop.email('manager'), 'shop');
    const kitchen = await new Client(stack.base).login(shop.email('kitchen'));
    const d1 = await new Client(stack.base).login(shop.email('driver1'));
    const d2 = await new Client(stack.base).login(shop.email('driver2'));
    const d1Id = await userId(stack.pool, shop.email('driver1'));
    const d2Id = await userId(stack.pool, shop.email('driver2'));

    async function readyDelivery() {
      const o = await place(shop.id);
      await move(kitchen, o.id, 'preparing');
      await move(kitchen, o.id, 'ready');
      return o;
    }
    const assignedTo = async (id: string) =>
      (await manager.seen.waitFor(isEvent(id, (e) => e.type === 'order.assigned'), LIVE_TIMEOUT)).order;

    // only driver 1 is on shift
    expect((await d1.post('/api/driver/shift', { onShift: true })).body).toEqual({ onShift: true });
    const a = await readyDelivery();
    expect(await assignedTo(a.id)).toMatchObject({ driver: { id: d1Id }, waitingForDriver: false, status: 'ready', version: 4 });

    // both on shift: driver 1 already carries one, so driver 2 gets the next (the tie-break alone would pick driver 1)
    await d2.post('/api/driver/shift', { onShift: true });
    const b = await readyDelivery();
    expect((await assignedTo(b.id)).driver).toMatchObject({ id: d2Id });

    // nobody on shift: the order waits, and screens show it
    await d1.post('/api/driver/shift', { onShift: false });
    await d2.post('/api/driver/shift', { onShift: false });
    const c = await readyDelivery();
    const waiting = await manager.seen.waitFor(isEvent(c.id, (e) => e.type === 'order.waiting_driver'), LIVE_TIMEOUT);
    expect(waiting.order).toMatchObject({ waitingForDriver: true, driver: null, status: 'ready' });
    expect((await kitchen.get(`/api/orders/${c.id}`)).body).toMatchObject({ waitingForDriver: true, driver: null });
    // retries while nobody is free do not repeat the waiting event
    await waitUntil(async () => ((await stack.workers.queues.dispatch.getJob(jobId.dispatch(c.id)))?.attemptsMade ?? 0) >= 3, LIVE_TIMEOUT, 'a few dispatch retries');
    expect((await storedEvents(stack.pool, c.id)).filter((e) => e.type === 'order.waiting_driver')).toHaveLength(1);

    // driver 1 starts a shift: the retry gives them the waiting delivery
    await d1.post('/api/driver/shift', { onShift: true });
    expect(await assignedTo(c.id)).toMatchObject({ driver: { id: d1Id }, waitingForDriver: false });

    // the driver takes it out and delivers it; the other driver cannot touch it
    expect((await d2.post(`/api/orders/${c.id}/status`, { to: 'out_for_delivery' })).status).toBe(403);
    await move(d1, c.id, 'out_for_delivery');
    const delivered = await handOver(stack.pool, d1, c.id);
    expect(delivered).toMatchObject({ status: 'delivered', payment: { status: 'paid' }, amountToCollect: 0 });
    await manager.seen.waitFor(isEvent(c.id, (e) => e.order.status === 'delivered'), LIVE_TIMEOUT);
    expect(manager.seen.events.filter((e) => e.order.id === c.id).map((e) => [e.type, e.order.version])).toEqual([
      ['order.placed', 1],
      ['order.status', 2],
      ['order.status', 3],
      ['order.waiting_driver', 4],
      ['order.assigned', 5],
      ['order.status', 6],
      ['order.status', 7],
    ]);

    // the other two deliveries are finished by their drivers
    for (const [driver, o] of [[d1, a], [d2, b]] as const) {
      await move(driver, o.id, 'out_for_delivery');
      await handOver(stack.pool, driver, o.id);
    }
  });
});

describe('restart', () => {
  it('when the workers were down while a customer paid, they handle it once they are back', async () => {
    const kitchen = await watch('kitchen.bastille@ocpizza.test', 'kitchen');
    const placed = await place(SHOPS.bastille, { payment: 'online' });
    await kitchen.seen.waitFor(isEvent(placed.id, (e) => e.type === 'order.payment_ready'), LIVE_TIMEOUT);
    await stack.stopWorkers();
    // the page takes the card and the server queues the event; nobody acts on it yet
    expect((await payOnDemoPage(stack.base, placed.trackingToken)).accepted).toBe(true);
    expect((await new Client(stack.base).get(`/api/track/${placed.trackingToken}`)).body.status).toBe('pending_payment');
    await stack.startWorkers();
    const received = await kitchen.seen.waitFor(isEvent(placed.id, (e) => e.order.status === 'received'), LIVE_TIMEOUT);
    expect(received.order).toMatchObject({ version: 3, payment: { status: 'authorised' } });
    expect((await storedEvents(stack.pool, placed.id)).map((e) => e.status)).toEqual(['pending_payment', 'pending_payment', 'received']);
  });
});
