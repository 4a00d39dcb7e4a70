// The promise learns the road from the shop's own deliveries: a shop whose drivers took a quarter of
// an hour for a door 550 m away last week at this hour promises longer than the rule, with the wider
// window its late deliveries earned; a shop with no history keeps the rule and a 5-minute window.
// It learns the kitchen the same way: a shop whose kitchen makes a pizza in 4 minutes where the rule
// says 10 promises less than the rule.
import { describe, expect, it } from 'vitest';
import { seededProduct, Client, address, createShop, deliveryOrder } from '../helpers.ts';
import { useStack } from '../services.ts';
import { forgetRoads } from '../../src/lib/server/road/road-model.ts';

const stack = useStack({ env: { LOG_LEVEL: 'error' } });

interface ShopSeen { id: number; promiseMinutes: number; promiseRange: { from: number; to: number } }
const seenFrom = async (shop: number): Promise<ShopSeen> => {
  const r = await new Client(stack.base).get(`/api/delivery/where?lat=${address.lat}&lng=${address.lng}`);
  expect(r.status).toBe(200);
  return (r.body.shops as ShopSeen[]).find((s) => s.id === shop)!;
};

describe('the road as the shop drove it', () => {
  it('a slow history at this hour lengthens the promise and widens its window; no history keeps the rule', async () => {
    const slow = await createShop(stack.pool, 'road-slow');
    const rule = await createShop(stack.pool, 'road-rule');
    // last week's deliveries of the slow shop, one a day, each its driver's only door: left at this
    // hour a day ago or more, delivered 15 minutes later, 12 minutes past their promise
    for (let day = 1; day <= 10; day++) {
      const r = await new Client(stack.base).post('/api/orders', deliveryOrder(slow.id, [{ productId: seededProduct('margherita'), quantity: 1 }]));
      expect(r.status, JSON.stringify(r.body)).toBe(201);
      // walked through its steps as the database allows them, then dated back to its day
      for (const status of ['preparing', 'ready', 'out_for_delivery', 'delivered']) {
        await stack.pool.query('UPDATE orders SET version = version + 1, status = $2 WHERE id = $1', [r.body.id, status]);
      }
      await stack.pool.query(
        `UPDATE orders SET version = version + 1, out_for_delivery_at = now() - make_interval(days => $2),
           delivered_at = now() - make_interval(days => $2) + interval '15 minutes', promised_at = now() - make_interval(days => $2) + interval '3 minutes'
         WHERE id = $1`,
        [r.body.id, day],
      );
    }

    // what a server learned is kept 10 minutes: this one learned nothing when those orders were placed
    forgetRoads();
    const [learned, plain] = await Promise.all([seenFrom(slow.id), seenFrom(rule.id)]);
    // 550 m in 15 minutes (5 km/h at the slowest it believes) against the rule's 2 at 22 km/h: about
    // 7 minutes more on the road, said in fives
    expect(learned.promiseMinutes).toBeGreaterThanOrEqual(plain.promiseMinutes + 5);
    // promises missed by 12 minutes: a window of 15 either side; the rule's shop, 5
    expect(learned.promiseRange).toEqual({ from: learned.promiseMinutes - 15, to: learned.promiseMinutes + 15 });
    expect(plain.promiseRange).toEqual({ from: plain.promiseMinutes - 5, to: plain.promiseMinutes + 5 });

    // an order placed now is promised the same as the storefront said
    const placed = await new Client(stack.base).post('/api/orders', deliveryOrder(slow.id, [{ productId: seededProduct('margherita'), quantity: 1 }]));
    const { rows } = await stack.pool.query<{ minutes: number }>('SELECT round(extract(epoch FROM promised_at - created_at) / 60)::int AS minutes FROM orders WHERE id = $1', [placed.body.id]);
    expect(Math.abs(rows[0].minutes - learned.promiseMinutes)).toBeLessThanOrEqual(5);
  });
});

describe('the kitchen as the shop made it', () => {
  it("a kitchen that makes its orders quickly promises less than the rule's fixed estimate; a shop with no history keeps the rule", async () => {
    const quick = await createShop(stack.pool, 'kitchen-quick');
    const rule = await createShop(stack.pool, 'kitchen-rule');
    // the quick shop's last twelve evenings, an order a day started at this hour and ready 4 minutes
    // later (the rule says 10 for one pizza: 8, and 2 a pizza); nothing of the road is learned (no
    // time on the road), so only the kitchen differs
    for (let day = 1; day <= 12; day++) {
      const r = await new Client(stack.base).post('/api/orders', deliveryOrder(quick.id, [{ productId: seededProduct('margherita'), quantity: 1 }]));
      expect(r.status, JSON.stringify(r.body)).toBe(201);
      for (const status of ['preparing', 'ready', 'out_for_delivery', 'delivered']) {
        await stack.pool.query('UPDATE orders SET version = version + 1, status = $2 WHERE id = $1', [r.body.id, status]);
      }
      await stack.pool.query(
        `UPDATE orders SET version = version + 1, received_at = now() - make_interval(days => $2),
           preparing_at = now() - make_interval(days => $2) + interval '1 minute', ready_at = now() - make_interval(days => $2) + interval '5 minutes'
         WHERE id = $1`,
        [r.body.id, day],
      );
    }

    forgetRoads();
    const [learned, plain] = await Promise.all([seenFrom(quick.id), seenFrom(rule.id)]);
    // the rule: 10 in the kitchen, 4 to hand over, about 2 on the road, said 20; at the quick
    // kitchen's pace (0.4) the kitchen's 10 are 4: said 10 or 15
    expect(plain.promiseMinutes).toBe(20);
    expect(learned.promiseMinutes).toBeLessThanOrEqual(plain.promiseMinutes - 5);

    // an order placed now is promised as the storefront said
    const placed = await new Client(stack.base).post('/api/orders', deliveryOrder(quick.id, [{ productId: seededProduct('margherita'), quantity: 1 }]));
    const { rows } = await stack.pool.query<{ minutes: number }>('SELECT round(extract(epoch FROM promised_at - created_at) / 60)::int AS minutes FROM orders WHERE id = $1', [placed.body.id]);
    expect(Math.abs(rows[0].minutes - learned.promiseMinutes)).toBeLessThanOrEqual(5);
  });
});
