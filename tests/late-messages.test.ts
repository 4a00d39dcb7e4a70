// A customer whose order the shop's plan expects late hears it once, by email and text, before the
// promised time has passed: with real Postgres, Redis (BullMQ, the drivers' positions), the workers,
// an SMTP server in the test process and a local HTTP server playing the SMS gateway.
import { randomInt } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { createPositionStore } from '../src/lib/server/positions.ts';
import { tellDelays } from '../workers/workers.ts';
import { seededProduct, Client, createShop, deliveryOrder, driverOnShift, waitUntil } from './helpers.ts';
import { useMessages, useStack } from './services.ts';

const messages = useMessages();
const stack = useStack({ env: () => ({ ...messages.env(), LOG_LEVEL: 'error' }), workers: true });
const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { lazyConnect: true });
afterAll(() => redis.disconnect());

describe('told before it is late', () => {
  it('one email and one text, with how late, while the promise has not passed; not again at the next look', async () => {
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
    const { rows } = await stack.pool.query<{ promised_at: Date }>('SELECT promised_at FROM orders WHERE id = $1', [r.body.id]);
    // then sent 9 km out: back in about 33 minutes
    await driverAt(9000);

    const deps = { db: stack.pool, positions: createPositionStore(redis, stack.config.QUEUE_PREFIX), queues: stack.workers.queues, road: { mode: stack.config.DELIVERY_MODE, eta: stack.config.eta } };
    expect(await tellDelays(deps)).toContain(r.body.id);
    const mail = await waitUntil(() => messages.smtp.inbox.find((m) => (m.to as { text: string } | undefined)?.text === customer.email && /retard/.test(m.subject ?? '')), 30_000, 'the email');
    expect(mail!.subject).toBe(`Commande n°${r.body.number}\u00a0: un peu de retard`);
    const late = Number(/environ (\d+) minutes de plus/.exec(mail!.text ?? '')?.[1]);
    expect(late).toBeGreaterThanOrEqual(10);
    const text = await waitUntil(() => messages.gateway.texts.find((t) => t.to === `+337${n}` && /retard/.test(t.text)), 30_000, 'the text');
    expect(text!.text).toContain(`en retard d’environ ${late} min`);
    // told before the promised time, not after
    expect(rows[0].promised_at.getTime()).toBeGreaterThan(Date.now());

    // the next look tells nobody again
    await waitUntil(async () => (await stack.pool.query("SELECT 1 FROM customer_notifications WHERE order_id = $1 AND step LIKE 'delayed-%' AND status = 'sent'", [r.body.id])).rowCount === 2, 30_000, 'both marked sent');
    expect(await tellDelays(deps)).not.toContain(r.body.id);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(messages.smtp.inbox.filter((m) => (m.to as { text: string } | undefined)?.text === customer.email && /retard/.test(m.subject ?? ''))).toHaveLength(1);
  });
});
