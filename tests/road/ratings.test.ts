// Customers' ratings, against real Postgres, Redis and Socket.io: an order is rated by its tracking
// link once it is in the customer's hands, once, with 1 to 5 stars for the food and the delivery (a
// pickup rates the food only) and a comment; anything else is refused and writes nothing. The
// managers read them per shop and per driver over a period, a shop's manager only their shop; a
// low one is an alert their live page receives.
import { describe, expect, it } from 'vitest';
import type { LowRatingAlert } from '../../src/lib/shapes/views.ts';
import { Client, connectSocket, countOf, createShop, deleteRedisKeys, handOver, move, placeThroughApi, seededProduct, startTestApp, subscribe, userId, waitUntil, type TestSocket } from '../helpers.ts';
import { useStack } from '../services.ts';
import { fileDatabase } from '../file-database.ts';

const stack = useStack();
const margherita = seededProduct('margherita');

/** A shop of the test's own, its kitchen, counter and manager signed in, both drivers on shift. */
async function openShop(tag: string) {
  const shop = await createShop(stack.pool, tag);
  const [kitchen, counter, manager, driver1, driver2] = await Promise.all(
    (['kitchen', 'counter', 'manager', 'driver1', 'driver2'] as const).map((who) => new Client(stack.base).login(shop.email(who))),
  );
  for (const d of [driver1, driver2]) expect((await d.post('/api/driver/shift', { onShift: true })).status).toBe(200);
  return { shop, kitchen, counter, manager, drivers: [driver1, driver2] as const };
}
type Open = Awaited<ReturnType<typeof openShop>>;

/** An order placed by a customer, taken to the door by a driver the manager chose (or to the counter, for a pickup). */
async function handedOver(s: Open, how: { driver: 0 | 1 } | 'pickup') {
  const placed = await placeThroughApi(stack.base, { pizzeriaId: s.shop.id, productId: margherita, ...(how === 'pickup' ? { fulfilment: 'pickup' } : {}) });
  await move(s.kitchen, placed.id, 'preparing');
  await move(s.kitchen, placed.id, 'ready');
  if (how === 'pickup') {
    await move(s.counter, placed.id, 'collected');
  } else {
    const driver = s.drivers[how.driver];
    const driverId = await userId(stack.pool, s.shop.email(how.driver === 0 ? 'driver1' : 'driver2'));
    const assigned = await s.manager.post(`/api/orders/${placed.id}/assign`, { driverId });
    expect(assigned.status, JSON.stringify(assigned.body)).toBe(200);
    await move(driver, placed.id, 'out_for_delivery');
    await handOver(stack.pool, driver, placed.id);
  }
  return placed;
}

const rate = (token: string, body: unknown) => new Client(stack.base).post(`/api/track/${token}/rating`, body);
const ratingsOf = (orderId: string) => countOf(stack.pool, 'SELECT count(*) AS n FROM order_ratings WHERE order_id = $1', [orderId]);
const auditOf = (orderId: string) => countOf(stack.pool, `SELECT count(*) AS n FROM audit_log WHERE entity = 'order' AND entity_id = $1 AND action = 'rating.create'`, [orderId]);

describe('a customer rates their order', () => {
  it('is refused until the order is delivered, accepted once after, and refused the second time without changing the first', async () => {
    const s = await openShop('rate-once');
    const placed = await placeThroughApi(stack.base, { pizzeriaId: s.shop.id, productId: margherita });
    const notYet = async () => {
      const r = await rate(placed.trackingToken, { food: 5, delivery: 5 });
      expect(r.status, JSON.stringify(r.body)).toBe(409);
      expect(r.body.error.code).toBe('not_delivered');
    };
    await notYet();
    await move(s.kitchen, placed.id, 'preparing');
    await move(s.kitchen, placed.id, 'ready');
    const driverId = await userId(stack.pool, s.shop.email('driver1'));
    expect((await s.manager.post(`/api/orders/${placed.id}/assign`, { driverId })).status).toBe(200);
    await move(s.drivers[0], placed.id, 'out_for_delivery');
    await notYet();
    expect(await ratingsOf(placed.id)).toBe(0);
    expect((await new Client(stack.base).get(`/api/track/${placed.trackingToken}/rating`)).body).toEqual({ rating: null });

    await handOver(stack.pool, s.drivers[0], placed.id);
    const given = await rate(placed.trackingToken, { food: 4, delivery: 5, comment: '  Très bonne,\r\nlivreur sympa  ' });
    expect(given.status, JSON.stringify(given.body)).toBe(201);
    expect(given.body.rating).toMatchObject({ food: 4, delivery: 5, comment: 'Très bonne,\nlivreur sympa' });
    expect((await new Client(stack.base).get(`/api/track/${placed.trackingToken}/rating`)).body.rating).toEqual(given.body.rating);
    // the shop and the driver are kept with it, and the audit log has it as the customer's
    const row = (await stack.pool.query('SELECT pizzeria_id, driver_id, fulfilment FROM order_ratings WHERE order_id = $1', [placed.id])).rows[0];
    expect(row).toEqual({ pizzeria_id: s.shop.id, driver_id: driverId, fulfilment: 'delivery' });
    const audit = (await stack.pool.query(`SELECT actor_id, actor, pizzeria_id, after FROM audit_log WHERE entity = 'order' AND entity_id = $1`, [placed.id])).rows;
    expect(audit).toEqual([{ actor_id: null, actor: 'customer (tracking link)', pizzeria_id: s.shop.id, after: expect.objectContaining({ number: placed.number, food: 4, delivery: 5 }) }]);

    const again = await rate(placed.trackingToken, { food: 1, delivery: 1, comment: 'En fait non' });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('already_rated');
    expect((await new Client(stack.base).get(`/api/track/${placed.trackingToken}/rating`)).body.rating).toEqual(given.body.rating);
    expect(await ratingsOf(placed.id)).toBe(1);
    expect(await auditOf(placed.id)).toBe(1);
  });

  it('refuses stars out of 1-5, a comment over 500 characters, a malformed body and an unknown link, and writes nothing', async () => {
    const s = await openShop('rate-bad');
    const placed = await handedOver(s, { driver: 0 });
    const cases: [unknown, string][] = [
      [{ food: 0, delivery: 5 }, 'food'],
      [{ food: 6, delivery: 5 }, 'food'],
      [{ food: 5, delivery: 0 }, 'delivery'],
      [{ food: 5, delivery: 6 }, 'delivery'],
      [{ food: 4.5, delivery: 5 }, 'food'],
      [{ food: '5', delivery: 5 }, 'food'],
      [{ delivery: 5 }, 'food'],
      // a delivery rates its delivery too
      [{ food: 5 }, 'delivery'],
      [{ food: 5, delivery: 5, comment: 'x'.repeat(501) }, 'comment'],
      [{ food: 5, delivery: 5, comment: 'nul\u0000' }, 'comment'],
      [{ food: 5, delivery: 5, tip: 2 }, 'body'],
    ];
    for (const [body, field] of cases) {
      const r = await rate(placed.trackingToken, body);
      expect(r.status, JSON.stringify(body)).toBe(422);
      expect(r.body.error.code).toBe('invalid');
      expect(Object.keys(r.body.error.fields), JSON.stringify(body)).toContain(field);
    }
    const malformed = await new Client(stack.base).request('POST', `/api/track/${placed.trackingToken}/rating`, undefined, '{"food": 5,');
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.code).toBe('bad_json');
    for (const token of ['unknown-token-of-no-order-at-all', 'x', placed.trackingToken.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A'))]) {
      const r = await rate(token, { food: 5, delivery: 5 });
      expect(r.status, token).toBe(404);
      expect((await new Client(stack.base).get(`/api/track/${token}/rating`)).status).toBe(404);
    }
    expect(await ratingsOf(placed.id)).toBe(0);
    expect(await auditOf(placed.id)).toBe(0);
    // exactly 500 characters is fine
    const ok = await rate(placed.trackingToken, { food: 5, delivery: 5, comment: 'é'.repeat(500) });
    expect(ok.status, JSON.stringify(ok.body)).toBe(201);
  });

  it("is counted with the tracking link's other writes per client address, and a refused one writes nothing", async () => {
    const s = await openShop('rate-limit');
    const placed = await handedOver(s, { driver: 0 });
    // an app of its own counting under a prefix of its own: the rest of the run's requests do not count here
    const prefix = `${fileDatabase().queuePrefix}_ratings_rl`;
    const limited = await startTestApp({ RATE_LIMIT_ORDERS: '2', QUEUE_PREFIX: prefix });
    try {
      const customer = new Client(limited.base);
      expect((await customer.post(`/api/track/${placed.trackingToken}/rating`, { food: 0, delivery: 5 })).status).toBe(422);
      expect((await customer.post(`/api/track/${placed.trackingToken}/rating`, { food: 5 })).status).toBe(422);
      const third = await customer.post(`/api/track/${placed.trackingToken}/rating`, { food: 5, delivery: 5 });
      expect(third.status).toBe(429);
      expect(third.body.error.code).toBe('rate_limited');
      expect(await ratingsOf(placed.id)).toBe(0);
    } finally {
      await limited.app.close();
      await deleteRedisKeys(prefix);
    }
  });

  it('a pickup rates the food only', async () => {
    const s = await openShop('rate-pickup');
    const placed = await handedOver(s, 'pickup');
    const withDelivery = await rate(placed.trackingToken, { food: 4, delivery: 5 });
    expect(withDelivery.status).toBe(422);
    expect(withDelivery.body.error.fields).toEqual({ delivery: 'a pickup has no delivery to rate' });
    expect(await ratingsOf(placed.id)).toBe(0);
    const r = await rate(placed.trackingToken, { food: 3 });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    expect(r.body.rating).toMatchObject({ food: 3, delivery: null, comment: null });
  });
});

describe('the managers read the ratings', () => {
  it('per shop and per driver over a period, with the latest comments; a shop manager only their shop', async () => {
    const a = await openShop('rate-a');
    const b = await openShop('rate-b');
    const rated = async (s: Open, how: Parameters<typeof handedOver>[1], body: object) => {
      const placed = await handedOver(s, how);
      expect((await rate(placed.trackingToken, body)).status).toBe(201);
      return placed;
    };
    const a1 = await rated(a, { driver: 0 }, { food: 5, delivery: 4, comment: 'Parfait' });
    const a2 = await rated(a, { driver: 0 }, { food: 3, delivery: 2, comment: 'Arrivée tiède' });
    await rated(a, { driver: 1 }, { food: 4, delivery: 5 });
    const a4 = await rated(a, 'pickup', { food: 2 });
    await rated(b, { driver: 0 }, { food: 5, delivery: 5, comment: 'Top' });
    const [d1, d2] = await Promise.all([userId(stack.pool, a.shop.email('driver1')), userId(stack.pool, a.shop.email('driver2'))]);

    const mine = await a.manager.get('/api/ratings');
    expect(mine.status, JSON.stringify(mine.body)).toBe(200);
    const today = mine.body.to as string;
    expect(mine.body.from).toBe(new Date(Date.parse(`${today}T12:00:00Z`) - 29 * 86_400_000).toISOString().slice(0, 10));
    expect(mine.body.shops).toEqual([{ id: a.shop.id, name: `OC Pizza ${a.shop.slug}`, count: 4, food: 3.5, delivery: 3.7, deliveryCount: 3, low: 2 }]);
    expect(mine.body.drivers).toEqual([
      { id: d1, name: `driver1 ${a.shop.slug}`, homeShop: a.shop.id, count: 2, food: 4, delivery: 3, deliveryCount: 2, low: 1 },
      { id: d2, name: `driver2 ${a.shop.slug}`, homeShop: a.shop.id, count: 1, food: 4, delivery: 5, deliveryCount: 1, low: 0 },
    ]);
    // newest first: the pickup rated low without a comment, the cold one, the perfect one (the one without a comment nor low is left out)
    expect(mine.body.latest.map((r: LowRatingAlert) => [r.number, r.comment, r.driverName])).toEqual([
      [a4.number, null, null],
      [a2.number, 'Arrivée tiède', `driver1 ${a.shop.slug}`],
      [a1.number, 'Parfait', `driver1 ${a.shop.slug}`],
    ]);

    // another shop: refused when asked, and never mixed in
    const asked = await a.manager.get(`/api/ratings?pizzeriaId=${b.shop.id}`);
    expect(asked.status).toBe(403);
    const theirs = (await b.manager.get('/api/ratings')).body;
    expect(theirs.shops.map((s: { id: number; count: number }) => [s.id, s.count])).toEqual([[b.shop.id, 1]]);
    expect(theirs.latest.map((r: LowRatingAlert) => r.comment)).toEqual(['Top']);
    expect((await a.kitchen.get('/api/ratings')).status).toBe(403);
    expect((await new Client(stack.base).get('/api/ratings')).status).toBe(401);

    // head office: every shop, or the one it asks for
    const hq = await new Client(stack.base).login('admin@ocpizza.test');
    const all = (await hq.get('/api/ratings')).body;
    expect(all.shops.find((s: { id: number }) => s.id === a.shop.id)).toMatchObject({ count: 4, low: 2 });
    expect(all.shops.find((s: { id: number }) => s.id === b.shop.id)).toMatchObject({ count: 1, low: 0 });
    expect(all.shops.length).toBeGreaterThanOrEqual(7);
    const one = (await hq.get(`/api/ratings?pizzeriaId=${b.shop.id}`)).body;
    expect(one.shops.map((s: { id: number }) => s.id)).toEqual([b.shop.id]);

    // another period has none of them; a period backwards or not a date is refused
    const before = (await a.manager.get('/api/ratings?from=2020-01-01&to=2020-01-31')).body;
    expect(before).toMatchObject({ from: '2020-01-01', to: '2020-01-31', drivers: [], latest: [] });
    expect(before.shops[0]).toMatchObject({ count: 0, food: null, delivery: null, low: 0 });
    const backwards = await a.manager.get('/api/ratings?from=2026-02-01&to=2026-01-01');
    expect(backwards.status).toBe(422);
    expect(backwards.body.error.fields.to).toBe('The end date comes after the start date.');
    expect((await a.manager.get('/api/ratings?from=hier')).status).toBe(422);
  });
});

describe('a low rating', () => {
  /** A staff screen subscribed to a scope, keeping the low ratings it hears. */
  async function screen(client: Client, req: Parameters<typeof subscribe>[1]) {
    const socket: TestSocket = await connectSocket(stack.base, { cookie: client.cookie });
    stack.sockets.push(socket);
    const heard: LowRatingAlert[] = [];
    socket.on('rating:low', (e) => heard.push(e));
    expect(await subscribe(socket, req)).toMatchObject({ data: {} });
    return heard;
  }

  it("raises an alert the shop's managers and head office receive live, naming the order and the comment", async () => {
    const a = await openShop('rate-low');
    const b = await openShop('rate-low-other');
    const hq = await new Client(stack.base).login('admin@ocpizza.test');
    const managerScreen = await screen(a.manager, { scope: 'shop' });
    const hqScreen = await screen(hq, { scope: 'hq' });
    const otherScreen = await screen(b.manager, { scope: 'shop' });

    // a good rating raises nothing; the low one after it is the first the screens hear
    const good = await handedOver(a, { driver: 0 });
    expect((await rate(good.trackingToken, { food: 5, delivery: 3 })).status).toBe(201);
    const low = await handedOver(a, { driver: 1 });
    expect((await rate(low.trackingToken, { food: 4, delivery: 1, comment: 'Livrée froide, 40 min de retard' })).status).toBe(201);
    const expected = {
      orderId: low.id, pizzeriaId: a.shop.id, number: low.number, fulfilment: 'delivery', food: 4, delivery: 1,
      comment: 'Livrée froide, 40 min de retard', driverName: `driver2 ${a.shop.slug}`, at: expect.any(String),
    };
    await waitUntil(() => managerScreen.length > 0 && hqScreen.some((e) => e.orderId === low.id), 10_000, 'the low rating on the screens');
    expect(managerScreen).toEqual([expected]);
    expect(hqScreen.filter((e) => e.pizzeriaId === a.shop.id)).toEqual([expected]);

    // the other shop's manager hears only their own shop's (a pickup's food rated 1 comes after)
    const theirs = await handedOver(b, 'pickup');
    expect((await rate(theirs.trackingToken, { food: 1 })).status).toBe(201);
    await waitUntil(() => otherScreen.length > 0, 10_000, "the other shop's low rating");
    expect(otherScreen.map((e) => [e.orderId, e.delivery, e.comment])).toEqual([[theirs.id, null, null]]);

    // the live page's alerts, read again (a reload), have it too
    const alerts = (await a.manager.get('/api/alerts')).body as { kind: string; number?: number; comment?: string | null; food?: number; delivery?: number | null }[];
    expect(alerts.filter((x) => x.kind === 'low_rating')).toEqual([
      expect.objectContaining({ kind: 'low_rating', pizzeriaId: a.shop.id, orderId: low.id, number: low.number, food: 4, delivery: 1, comment: 'Livrée froide, 40 min de retard' }),
    ]);
  });
});

