// Tips given after the delivery, and in cash. An after-delivery tip is a payment of its own, through
// the same provider as the orders' (Stripe, or the demo page), taken at once (no hold): the customer
// asks on the tracking page, the workers make the provider's payment (tip-begin), the customer pays
// it on the payment page, and the provider's event marks it paid here, once whatever it repeats
// (kept in payment_events by its id, and the tip's row moves from pending to paid only once). One
// after-delivery tip per order. A cash tip is declared by the driver who delivered, per order, once.
import { tipAmountProblem } from '../../domain/tip-split.ts';
import { transaction, type Db, type Queryable, type Tx } from '../kernel/db.ts';
import { AppError, conflict, forbidden, invalid, notFound } from '../kernel/errors.ts';
import type { PaymentNotice } from './notices.ts';
import { shareTip } from './tips.ts';

/** What the tracking page shows of the order's after-delivery tip, and what its payment page needs. */
export interface TipForm {
  tipId: string;
  orderId: string;
  number: number;
  amountCents: number;
  status: 'pending' | 'paid' | 'released' | 'refunded';
  intentId: string | null;
  clientSecret: string | null;
}

const TIP_FORM = `SELECT t.id, t.order_id, o.number, t.amount_cents, t.status, t.payment_intent_id, t.client_secret
  FROM tips t JOIN orders o ON o.id = t.order_id WHERE t.order_id = $1 AND t.moment = 'after_delivery'`;

const formOf = (r: Record<string, any>): TipForm => ({
  tipId: String(r.id), orderId: r.order_id, number: r.number, amountCents: r.amount_cents, status: r.status, intentId: r.payment_intent_id, clientSecret: r.client_secret,
});

export async function tipFormOf(q: Queryable, orderId: string): Promise<TipForm | null> {
  const { rows } = await q.query(TIP_FORM, [orderId]);
  return rows[0] ? formOf(rows[0]) : null;
}

/**
 * The customer asks to tip the driver of a delivered order (the tracking link's holder): the tip is
 * kept, pending, for the workers to make its payment. Asked again for the same amount while unpaid:
 * the same tip. Refused: an order not delivered, not a delivery of ours, one tipped already (paid, or
 * pending for another amount), an amount out of bounds.
 */
export async function askTipAfterDelivery(dbp: Db, orderId: string, amountCents: number): Promise<{ tip: TipForm; fresh: boolean }> {
  const problem = tipAmountProblem(amountCents, 'card');
  if (problem) throw invalid({ amountCents: problem });
  return transaction(dbp, async (tx) => {
    const { rows } = await tx.query(`SELECT pizzeria_id, status, fulfilment, payment_method FROM orders WHERE id = $1 FOR UPDATE`, [orderId]);
    const o = rows[0];
    if (!o) throw notFound('order');
    if (o.fulfilment !== 'delivery' || o.payment_method === 'marketplace') throw conflict('not_tippable', 'a tip goes to our driver: only our deliveries take one');
    if (o.status !== 'delivered') throw conflict('not_delivered', 'the driver can be thanked once the order is delivered');
    const earlier = await tipFormOf(tx, orderId);
    if (earlier && (earlier.status !== 'pending' || earlier.amountCents !== amountCents)) {
      throw conflict('already_tipped', earlier.status === 'pending' ? 'a tip is already waiting for its payment' : 'this order was tipped already: thank you');
    }
    if (earlier) return { tip: earlier, fresh: false };
    await tx.query(`INSERT INTO tips (order_id, pizzeria_id, way, moment, amount_cents) VALUES ($1, $2, 'card', 'after_delivery', $3)`, [orderId, o.pizzeria_id, amountCents]);
    return { tip: (await tipFormOf(tx, orderId))!, fresh: true };
  });
}

/** A tip whose payment the workers are to make (pending, none made yet). */
export async function tipToBegin(q: Queryable, tipId: string): Promise<{ tipId: string; orderId: string; number: number; pizzeriaId: number; amountCents: number } | null> {
  const { rows } = await q.query(
    `SELECT t.id, t.order_id, o.number, t.pizzeria_id, t.amount_cents FROM tips t JOIN orders o ON o.id = t.order_id
     WHERE t.id = $1 AND t.moment = 'after_delivery' AND t.status = 'pending' AND t.payment_intent_id IS NULL`,
    [tipId],
  );
  const r = rows[0];
  return r ? { tipId: String(r.id), orderId: r.order_id, number: r.number, pizzeriaId: r.pizzeria_id, amountCents: r.amount_cents } : null;
}

/** After-delivery tips still waiting for the workers to make their payment (a lost job): what the reconciler queues again. */
export async function tipsToBegin(q: Queryable): Promise<string[]> {
  const { rows } = await q.query(`SELECT id FROM tips WHERE moment = 'after_delivery' AND status = 'pending' AND payment_intent_id IS NULL AND created_at > now() - interval '1 day'`);
  return rows.map((r) => String(r.id));
}

/** Keeps the provider's payment of a tip, with its form's secret; the same payment again (a retried job) changes nothing. */
export async function rememberTipIntent(q: Queryable, tipId: string, intent: { id: string; clientSecret: string | null }): Promise<boolean> {
  const { rowCount } = await q.query(
    `UPDATE tips SET payment_intent_id = $2, client_secret = $3 WHERE id = $1 AND status = 'pending' AND payment_intent_id IS NULL`,
    [tipId, intent.id, intent.clientSecret],
  );
  return (rowCount ?? 0) > 0;
}

/**
 * A provider's event about a tip's own payment (ledger.ts asks first, by the payment's id): taken,
 * the tip is paid and shared; refused, the customer may try another card. Null: not a tip's payment.
 */
export async function applyTipNotice(tx: Tx, event: PaymentNotice): Promise<{ outcome: 'captured' | 'failed' | 'ignored' } | null> {
  if (!event.paymentId) return null;
  const { rows } = await tx.query<{ id: string; status: string; amount_cents: number }>(
    `SELECT id, status, amount_cents FROM tips WHERE payment_intent_id = $1 AND moment = 'after_delivery' FOR UPDATE`,
    [event.paymentId],
  );
  const tip = rows[0];
  if (!tip) return null;
  if (event.kind === 'refused' && tip.status === 'pending') return { outcome: 'failed' };
  if (event.kind !== 'taken' || tip.status !== 'pending' || event.takenCents !== tip.amount_cents) return { outcome: 'ignored' };
  await tx.query(`UPDATE tips SET status = 'paid', settled_at = now() WHERE id = $1`, [tip.id]);
  await shareTip(tx, tip.id);
  return { outcome: 'captured' };
}

/**
 * The driver who delivered an order declares the cash tip the customer handed them, once per order;
 * it is theirs at once (a tip_shares row). Refused: someone else's delivery (403), an order not
 * delivered, a pickup, one declared already (409), an amount out of bounds (422).
 */
export async function declareCashTip(dbp: Db, driverId: number, orderId: string, amountCents: number): Promise<{ tipId: string; amountCents: number }> {
  const problem = tipAmountProblem(amountCents, 'cash');
  if (problem) throw invalid({ amountCents: problem });
  return transaction(dbp, async (tx) => {
    const { rows } = await tx.query(`SELECT pizzeria_id, status, fulfilment, driver_id FROM orders WHERE id = $1 FOR UPDATE`, [orderId]);
    const o = rows[0];
    if (!o) throw notFound('order');
    if (o.driver_id !== driverId) throw forbidden('only the driver who delivered this order declares its tip');
    if (o.fulfilment !== 'delivery' || o.status !== 'delivered') throw conflict('not_delivered', 'a cash tip is declared once the order is delivered');
    const { rows: kept } = await tx.query<{ id: string }>(
      `INSERT INTO tips (order_id, pizzeria_id, way, moment, amount_cents, status, declared_by, settled_at)
       VALUES ($1, $2, 'cash', 'declared', $3, 'paid', $4, now()) ON CONFLICT (order_id, moment) DO NOTHING RETURNING id`,
      [orderId, o.pizzeria_id, amountCents, driverId],
    );
    if (!kept[0]) throw new AppError(409, 'already_declared', 'the cash tip of this order was declared already');
    await shareTip(tx, kept[0].id);
    return { tipId: String(kept[0].id), amountCents };
  });
}

/** What a driver's phone shows: their tips since `since` (by card, in cash), and their deliveries of then with the cash tip declared on each. */
export async function driverTips(q: Queryable, driverId: number, since: Date) {
  const [{ rows: earned }, { rows: orders }] = await Promise.all([
    q.query(
      `SELECT coalesce(sum(amount_cents) FILTER (WHERE way = 'card'), 0)::int AS card, coalesce(sum(amount_cents) FILTER (WHERE way = 'cash'), 0)::int AS cash
       FROM tip_shares WHERE driver_id = $1 AND earned_at >= $2`,
      [driverId, since],
    ),
    q.query(
      `SELECT o.id, o.number, o.customer_name, o.delivered_at, t.amount_cents AS cash_tip
       FROM orders o LEFT JOIN tips t ON t.order_id = o.id AND t.moment = 'declared'
       WHERE o.driver_id = $1 AND o.status = 'delivered' AND o.delivered_at >= $2 ORDER BY o.delivered_at DESC LIMIT 30`,
      [driverId, since],
    ),
  ]);
  return {
    cardCents: earned[0].card as number,
    cashCents: earned[0].cash as number,
    deliveries: orders.map((r) => ({ orderId: r.id as string, number: r.number as number, customer: String(r.customer_name).split(' ')[0], deliveredAt: (r.delivered_at as Date).toISOString(), cashTipCents: (r.cash_tip as number | null) ?? null })),
  };
}
