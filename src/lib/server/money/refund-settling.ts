// Refunds given back: cash at once when a manager grants it, through the payment provider by the
// workers, each settled once whatever the job repeats.
import type { OrderView } from '../../shapes/views.ts';
import { transaction, type Db, type Queryable, type Tx } from '../kernel/db.ts';
import { recordEvent } from '../orders/record.ts';
import { returnPointsOfRefundedReward } from '../offers/loyalty.ts';
import type { PaymentProvider } from './provider.ts';
import { type OrderMoney, orderMoney, providerPaymentOf } from './refund-parts.ts';

/**
 * The refund given back: the order's refunded and granted amounts, the row done, and its event (the
 * customer is told; a refund of nothing but a free pizza moves no money and tells nothing), and the
 * points spent given back if the line they bought is now refunded whole.
 */
export async function settle(
  tx: Tx, o: OrderMoney, row: { id: string; amount_cents: number }, done: { provider: string | null; reference: string | null; payment?: string },
): Promise<OrderView> {
  if (done.provider) {
    await tx.query(
      `INSERT INTO payment_movements (order_id, kind, amount_cents, provider, payment_intent_id, refund_id, detail) VALUES ($1, 'refunded', $2, $3, $4, $5, $6)`,
      [o.id, row.amount_cents, done.provider, done.payment ?? o.payment_reference, done.reference, `refund ${row.id} by a manager`],
    );
  }
  // the order's own count, not the one read before: a request in two ways settles its cash row now, its card row later
  const { rows: after } = await tx.query<{ refunded_cents: number }>(
    `UPDATE orders SET refunded_cents = refunded_cents + $2, granted_refund_cents = granted_refund_cents + $2,
       refunded_at = CASE WHEN $2 > 0 THEN now() ELSE refunded_at END, version = version + 1
     WHERE id = $1 RETURNING refunded_cents`,
    [o.id, row.amount_cents],
  );
  await tx.query(
    `UPDATE order_refunds SET status = 'done', settled_at = now(), provider = $2, provider_refund_id = $3, refunded_after_cents = $4 WHERE id = $1`,
    [row.id, done.provider, done.reference, after[0].refunded_cents],
  );
  await returnPointsOfRefundedReward(tx, o.id);
  return (await recordEvent(tx, o.id, row.amount_cents > 0 ? 'order.refund_made' : 'order.modified', { kind: 'system', name: `refunds:${row.id}` })).order;
}

/** Orders with a refund through the provider still pending (the reconciler queues their job again). */
export async function ordersWithPendingRefunds(q: Queryable): Promise<{ orderId: string; firstId: number }[]> {
  const { rows } = await q.query<{ order_id: string; first_id: string }>(
    `SELECT order_id, min(id) AS first_id FROM order_refunds WHERE status = 'pending' AND method = 'provider' GROUP BY order_id`,
  );
  return rows.map((r) => ({ orderId: r.order_id, firstId: Number(r.first_id) }));
}

/**
 * The workers give back an order's pending refunds through the provider, oldest first, each under
 * its own idempotency key: a job that runs again (a crash after the provider answered, a retry)
 * gets the refund the first call made, and the row is settled once. A refusal (the provider's own
 * answer, which a retry will not change) marks the row failed with its reason; anything else
 * throws, for the job to try again.
 */
export async function makePendingRefunds(dbp: Db, provider: PaymentProvider, orderId: string): Promise<{ done: number; failed: number }> {
  const { rows } = await dbp.query<{ id: string; amount_cents: number }>(
    `SELECT r.id, r.amount_cents FROM order_refunds r WHERE r.order_id = $1 AND r.status = 'pending' AND r.method = 'provider' ORDER BY r.id`,
    [orderId],
  );
  // paid online, the order's payment; paid at the shop, the card terminal's or the QR code's
  const payment = await providerPaymentOf(dbp, orderId);
  const result = { done: 0, failed: 0 };
  for (const r of rows) {
    let answer: { amountCents: number; reference: string } | { refused: string };
    try {
      if (!payment) throw Object.assign(new Error('the order has no payment at the provider'), { refusal: true });
      answer = await provider.refund({ orderId, amountCents: r.amount_cents, paymentReference: payment, idempotencyKey: `refund-${r.id}` });
    } catch (err) {
      if (!provider.isRefusal(err) && !(err as { refusal?: boolean }).refusal) throw err;
      answer = { refused: (err as Error).message || 'refused by the payment provider' };
    }
    await transaction(dbp, async (tx) => {
      const o = await orderMoney(tx, orderId);
      const { rows: still } = await tx.query<{ id: string; amount_cents: number }>(`SELECT id, amount_cents FROM order_refunds WHERE id = $1 AND status = 'pending' FOR UPDATE`, [r.id]);
      if (!still[0]) return;
      if ('refused' in answer) {
        await tx.query(`UPDATE order_refunds SET status = 'failed', settled_at = now(), provider = $2, failure = $3 WHERE id = $1`, [r.id, provider.name, answer.refused.slice(0, 500)]);
        await tx.query('UPDATE orders SET version = version + 1 WHERE id = $1', [orderId]);
        await recordEvent(tx, orderId, 'order.modified', { kind: 'system', name: `refunds:${r.id}` });
        result.failed += 1;
        return;
      }
      await settle(tx, o, still[0], { provider: provider.name, reference: answer.reference, payment: payment! });
      result.done += 1;
    });
  }
  return result;
}
