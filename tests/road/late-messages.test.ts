// A customer whose order the shop's plan expects late hears it once, by email and text, before the
// promised time has passed, and never before the shop's managers: with real Postgres, Redis (BullMQ,
// the drivers' positions), the workers, a hub and a manager's socket, an SMTP server in the test
// process and a local HTTP server playing the SMS gateway.
import { randomInt } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { createPositionStore } from '../../src/lib/server/road/positions.ts';
import { actOnLateForecasts } from '../../workers/late-forecasts.ts';
import { seededProduct, Client, collect, connectSocket, createShop, deliveryOrder, driverOnShift, storedEvents, subscribe, waitUntil } from '../helpers.ts';
import { useMessages, useStack } from '../services.ts';

const messages = useMessages();
const stack = useStack({ env: () => ({ ...messages.env(), LOG_LEVEL: 'error' }), workers: true });
const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { lazyConnect: true });
afterAll(() => redis.disconnect());

describe('told before it is late, after the managers', () => {
  it("the managers' alert reaches their screen before the customer's text; then one email and one text, with how late, while the promise has not passed; neither again at the next look", async () => {
    const shop = await createShop(stack.pool, 'late-msg');
    const driver = await driverOnShift(stack.base, shop.email('driver1'));
    stack.sockets.push(driver.phone);
    const driverAt = driver.at;
    // the driver at the shop when the delivery is promised (in about 20 minutes)
    await driverAt(20);

    const n = randomInt(10_000_000, 99_999_999);
    const customer = { name: 'Lina Morel', phone: `07${n}`, email: `lina${n}@example.test` };
    const r = await new Client(stack.base).post('/api/orders', deliveryOrder(shop.id, [{ productId: seededProduct('margherita'), quantity: 1 }], { customer }));
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    const orderId: string = r.body.id;
    const { rows } = await stack.pool.query<{ promised_at: Date }>('SELECT promised_at FROM orders WHERE id = $1', [orderId]);
    // then sent 9 km out: back in about 33 minutes
    await driverAt(9000);

    // the shop's manager on their live page: how many texts the customer had when the alert arrived
    const manager = await new Client(stack.base).login(shop.email('manager'));
    const screen = await connectSocket(stack.base, { cookie: manager.cookie });
    stack.sockets.push(screen);
    const seen = collect(screen);
    await subscribe(screen, { scope: 'shop', pizzeriaId: shop.id });
    const textsTo = () => messages.gateway.texts.filter((t) => t.to === `+337${n}`);
    // the late texts only: the order's "received" text may come before or after the alert
    const lateTexts = () => textsTo().filter((t) => /retard/.test(t.text));
    let textsWhenAlerted: number | null = null;
    screen.on('order:updated', (e) => {
      if (e.order.id === orderId && e.type === 'order.late_expected') textsWhenAlerted ??= lateTexts().length;
    });

    const deps = { db: stack.pool, positions: createPositionStore(redis, stack.config.QUEUE_PREFIX), queues: stack.workers.queues, road: { mode: stack.config.DELIVERY_MODE, eta: stack.config.eta } };
    const first = await actOnLateForecasts(deps, { alerts: true, notices: true });
    expect(first.alerted).toContain(orderId);
    expect(first.told).toContain(orderId);
    const alert = await seen.waitFor((e) => e.order.id === orderId && e.type === 'order.late_expected', 10_000);
    expect(alert.order.lateExpected!.minutes).toBeGreaterThanOrEqual(10);

    const mail = await waitUntil(() => messages.smtp.inbox.find((m) => (m.to as { text: string } | undefined)?.text === customer.email && /retard/.test(m.subject ?? '')), 30_000, 'the email');
    expect(mail!.subject).toBe(`Commande n°${r.body.number}\u00a0: un peu de retard`);
    const late = Number(/environ (\d+) minutes de plus/.exec(mail!.text ?? '')?.[1]);
    expect(late).toBeGreaterThanOrEqual(10);
    const text = await waitUntil(() => textsTo().find((t) => /retard/.test(t.text)), 30_000, 'the text');
    expect(text!.text).toContain(`en retard d’environ ${late} min`);
    // told before the promised time, not after
    expect(rows[0].promised_at.getTime()).toBeGreaterThan(Date.now());

    // the managers first: their screen had the alert while the customer had no late text yet, and the
    // alert's event was written before either message was claimed
    expect(textsWhenAlerted).toBe(0);
    const { rows: times } = await stack.pool.query<{ alerted: Date; claimed: Date }>(
      `SELECT (SELECT created_at FROM order_events WHERE order_id = $1 AND type = 'order.late_expected') AS alerted,
              (SELECT min(created_at) FROM customer_notifications WHERE order_id = $1 AND step LIKE 'delayed-%') AS claimed`,
      [orderId],
    );
    expect(times[0].alerted.getTime()).toBeLessThan(times[0].claimed.getTime());

    // the next look raises nothing and tells nobody again
    await waitUntil(async () => (await stack.pool.query("SELECT 1 FROM customer_notifications WHERE order_id = $1 AND step LIKE 'delayed-%' AND status = 'sent'", [orderId])).rowCount === 2, 30_000, 'both marked sent');
    const again = await actOnLateForecasts(deps, { alerts: true, notices: true });
    expect(again.alerted).not.toContain(orderId);
    expect(again.told).not.toContain(orderId);
    // nothing queued to tell it again (a send would be a job of the order's delay), and the sent ones cannot be claimed twice
    const pending = await stack.workers.queues.notifications.getJobs(['waiting', 'delayed', 'prioritized', 'active']);
    expect(pending.filter((j) => j?.data.orderId === orderId && String(j.data.step).startsWith('delayed-'))).toEqual([]);
    expect(messages.smtp.inbox.filter((m) => (m.to as { text: string } | undefined)?.text === customer.email && /retard/.test(m.subject ?? ''))).toHaveLength(1);
    expect((await storedEvents(stack.pool, orderId)).filter((e) => e.type === 'order.late_expected')).toHaveLength(1);
  });
});
