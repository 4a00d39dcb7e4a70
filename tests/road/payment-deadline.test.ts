// An unpaid online order keeps its payment deadline when it is changed: re-sending it every few
// minutes must not hold its stock forever. Real Postgres, Redis and BullMQ, the workers in this process.
import { describe, expect, it } from 'vitest';
import { seededProduct, Client, createShop, placeThroughApi, waitUntil } from '../helpers.ts';
import { useStack } from '../services.ts';

// half an hour to pay: the test brings the deadline near by moving the order's start back
const EXPIRY = { PAYMENT_EXPIRY_MINUTES: '30' };

const stack = useStack({ env: EXPIRY, workers: true });
const margherita = seededProduct('margherita');

describe('the payment deadline of an unpaid online order', () => {
  it('an unpaid order changed just before its deadline still expires at that deadline, and its stock is given back', { timeout: 40_000 }, async () => {
    const shop = await createShop(stack.pool, 'deadline');
    const placed = await placeThroughApi(stack.base, { pizzeriaId: shop.id, productId: margherita, quantity: 1, fulfilment: 'pickup', payment: 'online' });
    expect(placed.status).toBe('pending_payment');
    // the order has been waiting for 29 min 57 s: its deadline is 3 s away
    await stack.pool.query(`UPDATE orders SET pending_payment_at = now() - interval '29 minutes 57 seconds', version = version + 1 WHERE id = $1`, [placed.id]);
    const { rows: d } = await stack.pool.query<{ deadline: Date }>(`SELECT pending_payment_at + interval '30 minutes' AS deadline FROM orders WHERE id = $1`, [placed.id]);

    // the same order sent again, one more pizza: a new payment is asked for the new total
    const changed = await new Client(stack.base).patch(`/api/track/${placed.trackingToken}`, { items: [{ productId: margherita, quantity: 2 }] });
    expect(changed.status, JSON.stringify(changed.body)).toBe(200);
    expect(changed.body).toMatchObject({ status: 'pending_payment', payment: { attempt: 2 } });

    const expired = await waitUntil(async () => {
      const t = (await new Client(stack.base).get(`/api/track/${placed.trackingToken}`)).body;
      return t.status === 'cancelled' && t;
    }, 20_000, 'the changed order to expire at its first deadline');
    expect(expired.cancelReason).toBe('payment_expired');
    const { rows } = await stack.pool.query<{ cancelled_at: Date }>('SELECT cancelled_at FROM orders WHERE id = $1', [placed.id]);
    expect(rows[0].cancelled_at.getTime()).toBeGreaterThanOrEqual(d[0].deadline.getTime());
    expect((await stack.pool.query('SELECT count(*)::int AS n FROM stock_reservations WHERE order_id = $1', [placed.id])).rows[0].n).toBe(0);
  });
});
