// Recall and undo, on real Postgres, Redis, Socket.io and the workers: a "ready" bumped by mistake
// goes back to the oven within the window (KITCHEN_UNDO_SECONDS), and the kitchen, the shop and the
// customer's tracking page follow; a driver it was offered to drops it; it is dispatched again when
// ready again, and the customer is not told "ready" twice. Outside the window, after a driver took
// it, or once handed over: refused with a clear reason. The kitchen's strip of its last bumps says
// which can still go back, and until when. A shop of each test's own. (Priority, the urgent mark:
// tests/road/order-priority.test.ts.)
import { describe, expect, it } from 'vitest';
import type { RecentBump, RecentBumpsAnswer } from '../../src/lib/shapes/kitchen-requests.ts';
import type { OrderUpdated } from '../../src/lib/realtime/contract.ts';
import { seededProduct, Client, collect, connectSocket, createShop, move, placeThroughApi, reactorPast, subscribe, userId, waitUntil } from '../helpers.ts';
import { dispatchJobOptions } from '../../src/lib/server/kernel/queues.ts';
import { useMessages, useStack } from '../services.ts';

const messages = useMessages();
const stack = useStack({
  env: () => ({
    LOG_LEVEL: 'error', KITCHEN_UNDO_SECONDS: '120', DISPATCH_RETRY_MS: '300', DISPATCH_PRESENT_ONLY: 'false', OFFER_TIMEOUT_SECONDS: '90',
    ...messages.env(),
  }),
  workers: true,
});

async function shopWithScreens(tag: string) {
  const shop = await createShop(stack.pool, tag);
  const [kitchen, manager, counter, driver] = await Promise.all(
    [shop.email('kitchen'), shop.email('manager'), shop.email('counter'), shop.email('driver1')].map((e) => new Client(stack.base).login(e)),
  );
  const screen = async (cookie: string, req: Parameters<typeof subscribe>[1]) => {
    const socket = await connectSocket(stack.base, { cookie });
    stack.sockets.push(socket);
    const seen = collect(socket);
    await subscribe(socket, req);
    return seen;
  };
  return { shop, kitchen, manager, counter, driver, screen };
}

const place = async (shop: number, fulfilment: 'delivery' | 'pickup' = 'pickup') =>
  placeThroughApi(stack.base, { pizzeriaId: shop, productId: seededProduct('margherita'), fulfilment });

describe('taking a bump back', () => {
  it('within the window a ready order goes back to the oven, and the kitchen, the shop and the customer follow', async () => {
    const { shop, kitchen, manager, screen } = await shopWithScreens('recall');
    const kitchenSeen = await screen(kitchen.cookie, { scope: 'kitchen', pizzeriaId: shop.id });
    const shopSeen = await screen(manager.cookie, { scope: 'shop', pizzeriaId: shop.id });
    const o = await place(shop.id);
    const tracking = await connectSocket(stack.base, { trackingToken: o.trackingToken });
    stack.sockets.push(tracking);
    const customerSeen = collect(tracking);
    await subscribe(tracking, { scope: 'order' });

    await move(kitchen, o.id, 'preparing');
    const ready = await move(kitchen, o.id, 'ready');
    const back = await kitchen.post(`/api/orders/${o.id}/recall`, { version: ready.version });
    expect(back.status, JSON.stringify(back.body)).toBe(200);
    expect(back.body.status).toBe('preparing');
    expect(back.body.timestamps.ready).toBeUndefined();
    // the original start stays the start
    expect(back.body.timestamps.preparing).toBe(ready.timestamps.preparing);
    const recalled = (e: OrderUpdated) => e.order.id === o.id && e.type === 'order.recalled' && e.order.status === 'preparing';
    await Promise.all([kitchenSeen, shopSeen, customerSeen].map((seen) => seen.waitFor(recalled)));

    // a second recall finds it in the oven: a start is not undone
    const again = await kitchen.post(`/api/orders/${o.id}/recall`, {});
    expect(again.status).toBe(409);
    expect(again.body.error).toMatchObject({ code: 'in_the_oven', message: expect.stringMatching(/start is not undone/) });
    // and an ordinary move cannot take a ready order back
    await move(kitchen, o.id, 'ready');
    const sneaky = await kitchen.post(`/api/orders/${o.id}/status`, { to: 'preparing' });
    expect(sneaky.status).toBe(409);
    expect(sneaky.body.error.message).toMatch(/recall/);
  });

  it('outside the window, after hand-over, or from another shop or role: refused with a reason, and nothing changes', async () => {
    const { shop, kitchen, counter } = await shopWithScreens('recall-refused');
    const other = await shopWithScreens('recall-other');
    const o = await place(shop.id);
    await move(kitchen, o.id, 'preparing');
    await move(kitchen, o.id, 'ready');
    expect((await counter.post(`/api/orders/${o.id}/recall`, {})).status).toBe(403);
    expect((await other.kitchen.post(`/api/orders/${o.id}/recall`, {})).status).toBe(404);
    expect((await new Client(stack.base).post(`/api/orders/${o.id}/recall`, {})).status).toBe(401);

    // three minutes ago (the guard wants every change of an order to bump its version)
    await stack.pool.query(`UPDATE orders SET ready_at = now() - interval '3 minutes', version = version + 1 WHERE id = $1`, [o.id]);
    const late = await kitchen.post(`/api/orders/${o.id}/recall`, {});
    expect(late.status).toBe(409);
    expect(late.body.error).toMatchObject({ code: 'too_late', message: expect.stringMatching(/more than 2 min ago/) });

    const p = await place(shop.id);
    await move(kitchen, p.id, 'preparing');
    await move(kitchen, p.id, 'ready');
    await move(counter, p.id, 'collected');
    const handed = await kitchen.post(`/api/orders/${p.id}/recall`, {});
    expect(handed.status).toBe(409);
    expect(handed.body.error.code).toBe('handed_over');
    const status = async (id: string) => (await stack.pool.query('SELECT status FROM orders WHERE id = $1', [id])).rows[0].status;
    expect([await status(o.id), await status(p.id)]).toEqual(['ready', 'collected']);
  });

  it('an offer open to a driver is withdrawn and their phone drops it; once a driver has it, it stays; ready again, it is dispatched again', async () => {
    const { shop, kitchen, driver, screen } = await shopWithScreens('recall-offer');
    await driver.post('/api/driver/shift', { onShift: true });
    const phone = await screen(driver.cookie, { scope: 'driver' });
    const o = await place(shop.id, 'delivery');
    await move(kitchen, o.id, 'preparing');
    await move(kitchen, o.id, 'ready');
    // dispatch offers it to the driver on shift
    await phone.waitFor((e) => e.order.id === o.id && e.type === 'order.offered');

    const back = await kitchen.post(`/api/orders/${o.id}/recall`, {});
    expect(back.status, JSON.stringify(back.body)).toBe(200);
    expect(back.body.offer).toBeNull();
    const dropped = await phone.waitFor((e) => e.order.id === o.id && e.type === 'order.recalled');
    expect(dropped.order.releasedDriverId).toBe(await userId(stack.pool, shop.email('driver1')));
    expect(dropped.order.offer).toBeNull();

    // the race a recall can meet: the first dispatch runs once more after it, finds the order in the
    // oven and finishes ("not needed"), its job kept under its id for an hour. The recall drops a
    // waiting dispatch; one running at that instant (a busy machine) cannot be dropped and meets the
    // race by itself; otherwise it is added again here, as it would have been.
    const dispatches = stack.workers.queues.dispatch;
    const first = dispatchJobOptions(o.id, 300);
    const afterRecall = await waitUntil(async () => {
      const job = await dispatches.getJob(first.jobId);
      if (!job) return 'dropped';
      return (await job.isCompleted()) ? 'finished' : null;
    }, 20_000, 'the first dispatch dropped by the recall, or finished');
    if (afterRecall === 'dropped') await dispatches.add('assign', { orderId: o.id }, first);
    await waitUntil(async () => (await dispatches.getJob(first.jobId))?.returnvalue === 'not needed', 10_000, 'a dispatch finished on an order in the oven');

    // ready again: offered again all the same, accepted; now a driver has it and the bump stays
    await move(kitchen, o.id, 'ready');
    await waitUntil(async () => (await driver.get(`/api/orders/${o.id}`)).body.offer?.driverId !== undefined, 15_000, 'a second offer');
    expect((await driver.post(`/api/orders/${o.id}/offer`, { accept: true })).status).toBe(200);
    const taken = await kitchen.post(`/api/orders/${o.id}/recall`, {});
    expect(taken.status).toBe(409);
    expect(taken.body.error.code).toBe('driver_has_it');
  });
});

describe('the customer, told once', () => {
  it('a pickup taken back to the oven and bumped again: their page says "in the oven" again, and "ready" reaches them once, by email and text', async () => {
    const { shop, kitchen } = await shopWithScreens('recall-told');
    const email = `recall.${shop.slug}@example.test`;
    const phone = '06 44 55 66 01';
    const o = await placeThroughApi(stack.base, {
      pizzeriaId: shop.id, productId: seededProduct('margherita'), fulfilment: 'pickup', customer: { name: 'Inès Roux', phone, email }, lang: 'fr',
    });
    const tracking = await connectSocket(stack.base, { trackingToken: o.trackingToken });
    stack.sockets.push(tracking);
    const customerSeen = collect(tracking);
    await subscribe(tracking, { scope: 'order' });
    const mails = () => messages.smtp.inbox.filter((m) => (m.to as { text: string } | undefined)?.text === email);
    const texts = () => messages.gateway.texts.filter((t) => t.to === '+33644556601');
    const readySteps = async () =>
      (await stack.pool.query(`SELECT channel, status FROM customer_notifications WHERE order_id = $1 AND step = 'ready' ORDER BY channel`, [o.id])).rows;

    await move(kitchen, o.id, 'preparing');
    await move(kitchen, o.id, 'ready');
    await waitUntil(async () => (await readySteps()).filter((r) => r.status === 'sent').length === 2, 20_000, 'the "ready" email and text');
    // and the "received" ones, which a busy machine may send after "ready": counted before, not after
    const receivedSent = async () => (await stack.pool.query(`SELECT count(*)::int AS n FROM customer_notifications WHERE order_id = $1 AND step = 'received' AND status = 'sent'`, [o.id])).rows[0].n;
    await waitUntil(async () => (await receivedSent()) === 2, 20_000, 'the "received" email and text');
    const [mailsBefore, textsBefore] = [mails().length, texts().length];

    const back = await kitchen.post(`/api/orders/${o.id}/recall`, {});
    expect(back.status, JSON.stringify(back.body)).toBe(200);
    // the tracking page follows: in the oven again, its ready time gone
    const again = await customerSeen.waitFor((e) => e.order.id === o.id && e.type === 'order.recalled');
    expect(again.order.status).toBe('preparing');
    expect(again.order.timestamps.ready).toBeUndefined();

    const second = await move(kitchen, o.id, 'ready');
    // once the workers have reacted to the second "ready" (their place is past its event), and a moment more
    const { rows } = await stack.pool.query<{ id: string }>(`SELECT max(id) AS id FROM order_events WHERE order_id = $1`, [o.id]);
    const lastEvent = Number(rows[0].id);
    await waitUntil(() => reactorPast(stack.pool, { eventId: lastEvent }), 20_000, 'the workers past the second ready');
    await new Promise((r) => setTimeout(r, 1000));
    expect(second.status).toBe('ready');
    expect([mails().length, texts().length]).toEqual([mailsBefore, textsBefore]);
    expect(await readySteps()).toEqual([{ channel: 'email', status: 'sent' }, { channel: 'sms', status: 'sent' }]);
  });
});

describe("the kitchen's last bumps", () => {
  it('lists the shop\'s orders bumped in the last 15 minutes, newest first, each with until when it can go back or why not', async () => {
    const { shop, kitchen, manager, counter, driver } = await shopWithScreens('recent-bumps');
    const other = await shopWithScreens('recent-bumps-other');
    const order = () => place(shop.id);
    const [a, b, c, d, e] = [await order(), await order(), await order(), await order(), await order()];
    for (const o of [a, b, c, d]) await move(kitchen, o.id, 'preparing');
    // c: ready long ago (the guard wants every change of an order to bump its version)
    await move(kitchen, c.id, 'ready');
    await stack.pool.query(`UPDATE orders SET ready_at = now() - interval '3 minutes', version = version + 1 WHERE id = $1`, [c.id]);
    // b: ready, then handed over
    await move(kitchen, b.id, 'ready');
    await move(counter, b.id, 'collected');
    // d: ready, then taken back to the oven: not a bump any more
    await move(kitchen, d.id, 'ready');
    expect((await kitchen.post(`/api/orders/${d.id}/recall`, {})).status).toBe(200);
    // a: the newest bump, still in the window; e is not started
    const readyA = await move(kitchen, a.id, 'ready');

    const r = await kitchen.get(`/api/shops/${shop.id}/recent-bumps`);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    const answer = r.body as RecentBumpsAnswer;
    expect(answer.sinceSeconds).toBe(900);
    expect(answer.bumps.map((x) => x.number)).toEqual([a.number, b.number, c.number]);
    const [first, handed, late] = answer.bumps as RecentBump[];
    expect(first).toMatchObject({ orderId: a.id, status: 'ready', bump: 'ready', version: readyA.version, reason: null, fulfilment: 'pickup', name: 'Camille' });
    expect(Date.parse(first.undoableUntil!) - Date.parse(readyA.timestamps.ready)).toBe(120_000);
    expect(Date.parse(first.undoableUntil!)).toBeGreaterThan(Date.parse(answer.now));
    expect(handed).toMatchObject({ orderId: b.id, status: 'collected', bump: 'collected', undoableUntil: null, reason: { code: 'handed_over' } });
    expect(late).toMatchObject({ orderId: c.id, status: 'ready', undoableUntil: null, reason: { code: 'too_late', message: expect.stringMatching(/too late to undo/) } });
    expect(answer.bumps.some((x) => x.orderId === d.id || x.orderId === e.id)).toBe(false);

    // what it says is what the recall does
    expect((await kitchen.post(`/api/orders/${c.id}/recall`, { version: late.version })).body.error.code).toBe('too_late');
    expect((await kitchen.post(`/api/orders/${a.id}/recall`, { version: first.version })).status).toBe(200);
    expect((await manager.get(`/api/shops/${shop.id}/recent-bumps`)).body.bumps.map((x: RecentBump) => x.number)).toEqual([b.number, c.number]);

    // the shop's kitchen and managers, head office; not the counter, a driver, another shop's kitchen
    expect((await new Client(stack.base).login('admin@ocpizza.test').then((h) => h.get(`/api/shops/${shop.id}/recent-bumps`))).status).toBe(200);
    expect((await counter.get(`/api/shops/${shop.id}/recent-bumps`)).status).toBe(403);
    expect((await driver.get(`/api/shops/${shop.id}/recent-bumps`)).status).toBe(403);
    expect((await other.kitchen.get(`/api/shops/${shop.id}/recent-bumps`)).status).toBe(403);
    expect((await new Client(stack.base).get(`/api/shops/${shop.id}/recent-bumps`)).status).toBe(401);
  });
});
