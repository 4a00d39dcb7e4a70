import { describe, expect, inject, it } from 'vitest';
import { seededProduct, Client, SHOPS, addressFor, deliveryOrder, startTestApp, countOf, orderCount, reservedSum } from '../helpers.ts';
import { useStack } from '../services.ts';
import { flagLate } from '../../src/lib/server/orders/index.ts';
import { fileDatabase } from '../file-database.ts';

const stack = useStack();
const margherita = seededProduct('margherita');
const coca = seededProduct('coca-cola');

const count = (sql: string, params: unknown[] = []) => countOf(stack.pool, sql, params);
// events recorded, published or still in the inbox (one statement: a publish moves them atomically)
const eventCount = () => count('SELECT (SELECT count(*) FROM order_events) + (SELECT count(*) FROM order_event_inbox) AS n');

const onlineOrder = (overrides: Record<string, unknown> = {}) =>
  deliveryOrder(SHOPS.montmartre, [{ productId: margherita, quantity: 2 }, { productId: coca, quantity: 1 }], overrides);

describe('accounts', () => {
  it('logs staff in with a session cookie that is httpOnly and SameSite=Lax', async () => {
    const res = await fetch(`${stack.base}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'kitchen.bastille@ocpizza.test', password: inject('demoPassword') }),
    });
    expect(res.status).toBe(200);
    const cookie = res.headers.get('set-cookie')!;
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Lax/i);
    expect((await res.json()).user).toMatchObject({ role: 'kitchen', pizzeriaId: SHOPS.bastille });
  });

  it('answers an unknown email and a wrong password with the same 401', async () => {
    const a = await new Client(stack.base).post('/api/auth/login', { email: 'nobody@ocpizza.test', password: 'whatever-123' });
    const b = await new Client(stack.base).post('/api/auth/login', { email: 'kitchen.bastille@ocpizza.test', password: 'wrong-password' });
    expect(a.status).toBe(401);
    expect(b.status).toBe(401);
    const { requestId: ra, ...ea } = a.body.error;
    const { requestId: rb, ...eb } = b.body.error;
    expect(ea).toEqual(eb);
    expect(ra).toBeTruthy(); // every error response names its request, for the logs
    expect(ra).not.toBe(rb);
  });

  it('forgets the session on logout', async () => {
    const c = await new Client(stack.base).login('manager.canal@ocpizza.test');
    expect((await c.get('/api/orders')).status).toBe(200);
    const cookie = c.cookie;
    await c.post('/api/auth/logout');
    c.cookie = cookie; // replaying the old cookie must not work
    expect((await c.get('/api/orders')).status).toBe(401);
  });
});

describe('catalogue', () => {
  it('lists the five pizzerias with their coordinates', async () => {
    const r = await new Client(stack.base).get('/api/pizzerias');
    expect(r.status).toBe(200);
    // other test files may add shops of their own to the shared database
    expect(r.body.map((p: { slug: string }) => p.slug)).toEqual(expect.arrayContaining(['bastille', 'montmartre', 'batignolles', 'montparnasse', 'canal']));
    expect(r.body[0]).toMatchObject({ slug: 'bastille', lat: expect.any(Number), lng: expect.any(Number) });
  });

  it('gives a shop menu with availability from live stock', async () => {
    const r = await new Client(stack.base).get(`/api/pizzerias/${SHOPS.montmartre}/menu`);
    expect(r.status).toBe(200);
    expect(r.body.filter((p: any) => p.category === 'pizza').length).toBeGreaterThanOrEqual(12);
    expect(r.body.find((p: any) => p.slug === 'margherita')).toMatchObject({ available: true, priceCents: 1050 });
    expect((await new Client(stack.base).get('/api/pizzerias/999/menu')).status).toBe(404);
    // in the visitor's language, French where no English was written
    const en = await new Client(stack.base).get(`/api/pizzerias/${SHOPS.montmartre}/menu?lang=en`);
    expect(en.body.find((p: any) => p.slug === 'reine')).toMatchObject({ name: 'Regina', description: 'Tomato, mozzarella, ham, mushrooms, oregano' });
    expect(r.body.find((p: any) => p.slug === 'reine')).toMatchObject({ name: 'Reine' });
    expect((await new Client(stack.base).get('/api/pizzerias/abc/menu')).status).toBe(422);
  });
});

describe('placing an order', () => {
  it('prices on the server, numbers the order and reserves stock', async () => {
    const before = await reservedSum(stack.pool);
    const r = await new Client(stack.base).post('/api/orders', onlineOrder({ items: [{ productId: margherita, quantity: 2 }] }));
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ status: 'received', total: 2100 + 250, version: 1, number: expect.any(Number) });
    expect(r.body.trackingToken).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(await reservedSum(stack.pool)).toBeGreaterThan(before);
  });

  it('starts an online payment as pending_payment', async () => {
    const r = await new Client(stack.base).post('/api/orders', onlineOrder({ payment: 'online' }));
    expect(r.status).toBe(201);
    expect(r.body.status).toBe('pending_payment');
  });

  it('ignores any price the client sends, and refuses unknown fields', async () => {
    const r = await new Client(stack.base).post('/api/orders', { ...onlineOrder(), total: 1 });
    expect(r.status).toBe(422);
    expect(r.body.error.code).toBe('invalid');
  });

  it('refuses bad input with field errors and changes nothing', async () => {
    const [orders, reserved, events] = [await orderCount(stack.pool), await reservedSum(stack.pool), await eventCount()];
    const c = new Client(stack.base);
    const cases: [unknown, string][] = [
      [onlineOrder({ items: [] }), 'items'],
      [onlineOrder({ customer: { name: '', phone: '06 12 34 56 78' } }), 'customer.name'],
      [onlineOrder({ customer: { name: 'A', phone: 'call me' } }), 'customer.phone'],
      [onlineOrder({ address: { ...addressFor(SHOPS.montmartre), postcode: '7501' } }), 'address.postcode'],
      [onlineOrder({ items: [{ productId: margherita, quantity: 0 }] }), 'items.0.quantity'],
      [onlineOrder({ items: [{ productId: margherita, quantity: 999 }] }), 'items.0.quantity'],
      [onlineOrder({ fulfilment: 'teleport' }), 'fulfilment'],
      [onlineOrder({ address: undefined }), 'address'],
      [onlineOrder({ items: [{ productId: 424242, quantity: 1 }] }), 'items'],
      [onlineOrder({ pizzeriaId: 999 }), 'pizzeriaId'],
    ];
    for (const [body, field] of cases) {
      const r = await c.post('/api/orders', body);
      expect(r.status, JSON.stringify(body)).toBe(422);
      expect(Object.keys(r.body.error.fields ?? {}), field).toContain(field);
    }
    expect((await c.request('POST', '/api/orders', undefined, '{"pizzeriaId": ')).status).toBe(400);
    expect((await c.request('POST', '/api/orders', undefined, JSON.stringify({ ...onlineOrder(), customer: { name: 'x'.repeat(40_000), phone: '0612345678' } }))).status).toBe(413);
    expect([await orderCount(stack.pool), await reservedSum(stack.pool), await eventCount()]).toEqual([orders, reserved, events]);
  });

  it('takes phone and counter orders only from shop staff of that shop', async () => {
    const anon = await new Client(stack.base).post('/api/orders', onlineOrder({ channel: 'phone' }));
    expect(anon.status).toBe(401);
    const counter = await new Client(stack.base).login('counter.montmartre@ocpizza.test');
    const ok = await counter.post('/api/orders', onlineOrder({ channel: 'phone' }));
    expect(ok.status).toBe(201);
    const other = await counter.post('/api/orders', onlineOrder({ channel: 'counter', pizzeriaId: SHOPS.canal, fulfilment: 'pickup', address: undefined }));
    expect(other.status).toBe(403);
    const kitchen = await new Client(stack.base).login('kitchen.montmartre@ocpizza.test');
    expect((await kitchen.post('/api/orders', onlineOrder({ channel: 'counter' }))).status).toBe(403);
  });

  it('refuses an order the shop cannot make, naming the items, and reserves nothing', async () => {
    const burrata = seededProduct('burrata');
    const reserved = await reservedSum(stack.pool);
    const r = await new Client(stack.base).post('/api/orders', onlineOrder({ pizzeriaId: SHOPS.batignolles, items: [{ productId: burrata, quantity: 5 }, { productId: coca, quantity: 1 }] }));
    expect(r.status).toBe(409);
    expect(r.body.error.code).toBe('unavailable');
    expect(r.body.error.items).toEqual([{ productId: burrata, name: 'Burrata' }]);
    expect(await reservedSum(stack.pool)).toBe(reserved);
  });
});

describe('tracking', () => {
  it('shows the order with its items and timeline to whoever holds the token', async () => {
    const placed = await new Client(stack.base).post('/api/orders', onlineOrder());
    const r = await new Client(stack.base).get(`/api/track/${placed.body.trackingToken}`);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ id: placed.body.id, status: 'received', total: placed.body.total });
    expect(r.body.items.map((i: any) => i.name)).toEqual(['Margherita', 'Coca-Cola 33 cl']);
    expect(r.body.timestamps.received).toBeTruthy();
    expect((await new Client(stack.base).get('/api/track/not-a-real-token-at-all-xxxxx')).status).toBe(404);
  });

  it('lets the customer modify the basket until the kitchen starts, re-pricing it', async () => {
    const placed = await new Client(stack.base).post('/api/orders', onlineOrder());
    const c = new Client(stack.base);
    const r = await c.patch(`/api/track/${placed.body.trackingToken}`, { items: [{ productId: margherita, quantity: 3 }] });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ total: 3150, version: 2 });
    const kitchen = await new Client(stack.base).login('kitchen.montmartre@ocpizza.test');
    expect((await kitchen.post(`/api/orders/${placed.body.id}/status`, { to: 'preparing' })).status).toBe(200);
    const late = await c.patch(`/api/track/${placed.body.trackingToken}`, { items: [{ productId: margherita, quantity: 1 }] });
    expect(late.status).toBe(409);
    expect(late.body.error.code).toBe('too_late');
    expect((await c.get(`/api/track/${placed.body.trackingToken}`)).body.total).toBe(3150);
  });

  it('cancels before preparation, releasing the stock, and refuses once started', async () => {
    const reserved = await reservedSum(stack.pool);
    const placed = await new Client(stack.base).post('/api/orders', onlineOrder());
    const c = new Client(stack.base);
    const r = await c.post(`/api/track/${placed.body.trackingToken}/cancel`);
    expect(r.status).toBe(200);
    expect(r.body.status).toBe('cancelled');
    expect(await reservedSum(stack.pool)).toBe(reserved);
    expect((await c.post(`/api/track/${placed.body.trackingToken}/cancel`)).status).toBe(409);

    const second = await new Client(stack.base).post('/api/orders', onlineOrder());
    const kitchen = await new Client(stack.base).login('kitchen.montmartre@ocpizza.test');
    await kitchen.post(`/api/orders/${second.body.id}/status`, { to: 'preparing' });
    const tooLate = await c.post(`/api/track/${second.body.trackingToken}/cancel`);
    expect(tooLate.status).toBe(409);
    expect(tooLate.body.error.code).toBe('too_late');
  });
});

describe('staff moves', () => {
  it('lists orders only within the actor’s shops', async () => {
    const manager = await new Client(stack.base).login('manager.montmartre@ocpizza.test');
    const mine = await manager.get('/api/orders');
    expect(mine.status).toBe(200);
    expect(mine.body.every((o: any) => o.pizzeriaId === SHOPS.montmartre)).toBe(true);
    expect((await manager.get(`/api/orders?pizzeriaId=${SHOPS.canal}`)).status).toBe(403);
    expect((await manager.get('/api/orders?status=flying')).status).toBe(422);
    const admin = await new Client(stack.base).login('admin@ocpizza.test');
    expect((await admin.get(`/api/orders?pizzeriaId=${SHOPS.canal}`)).status).toBe(200);
    expect((await new Client(stack.base).get('/api/orders')).status).toBe(401);
  });

  it('moves an order along the table, refusing skips, stale versions and other shops', async () => {
    const placed = await new Client(stack.base).post('/api/orders', onlineOrder());
    const id = placed.body.id;
    const kitchen = await new Client(stack.base).login('kitchen.montmartre@ocpizza.test');
    const otherKitchen = await new Client(stack.base).login('kitchen.canal@ocpizza.test');
    const driver = await new Client(stack.base).login('driver1.montmartre@ocpizza.test');
    const events = await eventCount();

    expect((await kitchen.post(`/api/orders/${id}/status`, { to: 'ready' })).status).toBe(409);
    expect((await kitchen.post(`/api/orders/${id}/status`, { to: 'preparing', version: 7 })).body.error.code).toBe('stale');
    expect((await otherKitchen.post(`/api/orders/${id}/status`, { to: 'preparing' })).status).toBe(403);
    expect((await driver.post(`/api/orders/${id}/status`, { to: 'preparing' })).status).toBe(403);
    expect((await kitchen.post(`/api/orders/${id}/status`, { to: 'nowhere' })).status).toBe(422);
    expect((await kitchen.post(`/api/orders/not-an-id/status`, { to: 'preparing' })).status).toBe(404);
    expect(await eventCount()).toBe(events);

    const started = await kitchen.post(`/api/orders/${id}/status`, { to: 'preparing', version: 1 });
    expect(started.status).toBe(200);
    expect(started.body).toMatchObject({ status: 'preparing', version: 2 });
    expect((await kitchen.post(`/api/orders/${id}/status`, { to: 'ready', version: 2 })).body.status).toBe('ready');
    // the database itself refuses a move the table refuses, whoever writes
    await expect(stack.pool.query(`UPDATE orders SET status = 'received', version = version + 1 WHERE id = $1`, [id])).rejects.toThrow(/cannot move/);
  });

  it('a cook who taps "ready" on a ticket the late flag (or the card captured) changed meanwhile is not refused; a received order changed meanwhile still is', async () => {
    const kitchen = await new Client(stack.base).login('kitchen.montmartre@ocpizza.test');
    const placed = await new Client(stack.base).post('/api/orders', onlineOrder());
    const started = await kitchen.post(`/api/orders/${placed.body.id}/status`, { to: 'preparing', version: 1 });
    expect(started.body).toMatchObject({ status: 'preparing', version: 2 });
    // the preparation timer flags it late while the cook's screen still shows version 2
    expect(await flagLate(stack.pool, placed.body.id)).toBeTruthy();
    const ready = await kitchen.post(`/api/orders/${placed.body.id}/status`, { to: 'ready', version: 2 });
    expect(ready.status).toBe(200);
    expect(ready.body).toMatchObject({ status: 'ready', version: 4 });
    // a version from the future is nonsense, still refused
    const other = await new Client(stack.base).post('/api/orders', onlineOrder());
    await kitchen.post(`/api/orders/${other.body.id}/status`, { to: 'preparing', version: 1 });
    expect((await kitchen.post(`/api/orders/${other.body.id}/status`, { to: 'ready', version: 9 })).body.error.code).toBe('stale');
    // before the oven the customer may still change the order: the cook must see it first
    const changed = await new Client(stack.base).post('/api/orders', onlineOrder());
    await stack.pool.query('UPDATE orders SET version = version + 1 WHERE id = $1', [changed.body.id]);
    expect((await kitchen.post(`/api/orders/${changed.body.id}/status`, { to: 'preparing', version: 1 })).body.error.code).toBe('stale');
  });

  it('shows one order to staff of its shop only', async () => {
    const placed = await new Client(stack.base).post('/api/orders', onlineOrder());
    const manager = await new Client(stack.base).login('manager.montmartre@ocpizza.test');
    const r = await manager.get(`/api/orders/${placed.body.id}`);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ id: placed.body.id, amountToCollect: placed.body.total });
    const stranger = await new Client(stack.base).login('manager.canal@ocpizza.test');
    expect((await stranger.get(`/api/orders/${placed.body.id}`)).status).toBe(404);
    const driver = await new Client(stack.base).login('driver1.montmartre@ocpizza.test');
    expect((await driver.get(`/api/orders/${placed.body.id}`)).status).toBe(404); // not assigned to them
    expect((await new Client(stack.base).get(`/api/orders/${placed.body.id}`)).status).toBe(401);
    expect((await manager.get('/api/auth/me')).body.user).toMatchObject({ role: 'manager', pizzeriaId: SHOPS.montmartre });
    expect((await new Client(stack.base).get('/api/auth/me')).body.user).toBeNull();
  });

  it('lets a driver set their shift, and nobody else', async () => {
    const driver = await new Client(stack.base).login('driver2.canal@ocpizza.test');
    expect((await driver.post('/api/driver/shift', { onShift: true })).body).toEqual({ onShift: true });
    expect((await driver.post('/api/driver/shift', { onShift: 'yes' })).status).toBe(422);
    const kitchen = await new Client(stack.base).login('kitchen.canal@ocpizza.test');
    expect((await kitchen.post('/api/driver/shift', { onShift: true })).status).toBe(403);
    await driver.post('/api/driver/shift', { onShift: false });
  });
});

describe('health', () => {
  it('is healthy and ready when Postgres and Redis answer', async () => {
    expect((await fetch(`${stack.base}/healthz`)).status).toBe(200);
    const ready = await fetch(`${stack.base}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ready', checks: { postgres: true, redis: true, queues: true, loop: true } });
  });

  it('says not ready for a while after its event loop was held up, then ready again', async () => {
    // the app runs in this process: holding this loop holds the server's (EVENT_LOOP_STALL_MS 2 s)
    const until = Date.now() + 2600;
    while (Date.now() < until) { /* a handler that computes for 2.6 s */ }
    const held = await fetch(`${stack.base}/readyz`);
    expect(held.status).toBe(503);
    expect(await held.json()).toMatchObject({ status: 'not_ready', checks: { postgres: true, loop: false } });
  });
});

describe('rate limits', () => {
  it('stops guessing a password after a few failures, and floods of anonymous orders, but never staff', async () => {
    const limited = await startTestApp({ RATE_LIMIT_LOGIN: '3', RATE_LIMIT_ORDERS: '2', QUEUE_PREFIX: `${fileDatabase().queuePrefix}_rl` });
    try {
      const guesser = new Client(limited.base);
      for (let i = 0; i < 3; i++) {
        expect((await guesser.post('/api/auth/login', { email: 'manager.bastille@ocpizza.test', password: `guess-${i}` })).status).toBe(401);
      }
      const blocked = await guesser.post('/api/auth/login', { email: 'manager.bastille@ocpizza.test', password: inject('demoPassword') });
      expect(blocked.status).toBe(429);
      expect(blocked.body.error.code).toBe('rate_limited');
      // another account from the same place is not locked out by it
      expect((await new Client(limited.base).post('/api/auth/login', { email: 'manager.canal@ocpizza.test', password: inject('demoPassword') })).status).toBe(200);

      const before = await orderCount(stack.pool);
      const anon = new Client(limited.base);
      expect((await anon.post('/api/orders', onlineOrder())).status).toBe(201);
      expect((await anon.post('/api/orders', onlineOrder())).status).toBe(201);
      expect((await anon.post('/api/orders', onlineOrder())).status).toBe(429);
      expect(await orderCount(stack.pool)).toBe(before + 2);
      const counter = await new Client(limited.base).login('counter.montmartre@ocpizza.test');
      expect((await counter.post('/api/orders', onlineOrder({ channel: 'phone' }))).status).toBe(201);
    } finally {
      await limited.app.close();
      await stack.pool.query(`DELETE FROM login_failures WHERE email = 'manager.bastille@ocpizza.test'`);
    }
  });
});
