// Tips for the drivers (src/lib/domain/tip-split.ts says who gets one). A tip is never a sale: it is
// not in the order's money (paid_cents, its payment's movements), so neither the takings' sales, the
// VAT nor the fiscal journal ever count it; the shop passes it on to the drivers, as `tip_shares`.
// - At checkout, by card: it rides on the order's own card hold (the hold is the order's total plus
//   the tip, orders.card_tip_cents). Captured with the order, it is paid; a hold let go (the order
//   cancelled) lets it go too. A refund of the order gives back the order's money only: the tip stays
//   the driver's, unless a manager refunds the tip itself (tip-refunds.ts: its shares taken back).
// - After the delivery, on the tracking page: a payment of its own (tip-payments.ts).
// - In cash: declared by the driver who delivered, per order.
// Its shares are written once the tip is paid and the order delivered, whichever comes last, once.
import { savesCardFirst } from '../../domain/card-holds.ts';
import { splitTip, tipAmountProblem, type TipWay } from '../../domain/tip-split.ts';
import type { Queryable, Tx } from '../kernel/db.ts';
import { AppError, invalid } from '../kernel/errors.ts';
import { placingStep } from '../orders/steps.ts';

const refuse = (message: string) => new AppError(422, 'tip_refused', message, { fields: { tipCents: message } });

/**
 * The checkout's tip: only on a delivery of the storefront paid by card now (it rides on that
 * payment). An order for a slot far ahead saves the card and holds it the day before: no tip then
 * (the customer may tip on the tracking page once delivered).
 */
export const checkoutTipStep = placingStep<never>({
  check(input) {
    const cents = input.tipCents ?? 0;
    if (!cents) return;
    const problem = tipAmountProblem(cents, 'card');
    if (problem) throw invalid({ tipCents: problem });
    if (input.fulfilment !== 'delivery') throw refuse('a tip goes to the driver: only a delivery takes one');
    if (input.channel !== 'online' || input.payment !== 'online') throw refuse('a tip at checkout is paid by card with the order');
  },
  async judge(_tx, { input, prepared }) {
    if (input.tipCents && prepared.later && savesCardFirst(new Date(prepared.later.slotAt).getTime(), Date.now())) {
      throw refuse('an order this far ahead is paid the day before: tip on the tracking page once it is delivered');
    }
    return null;
  },
  async record(tx, { input }, placed) {
    const cents = input.tipCents ?? 0;
    if (!cents) return;
    const { rows } = await tx.query<{ pizzeria_id: number }>(
      `UPDATE orders SET card_tip_cents = $2, version = version + 1 WHERE id = $1 AND payment_method = 'online' RETURNING pizzeria_id`,
      [placed.id, cents],
    );
    // nothing left to pay by card (a discount took it all): no payment for the tip to ride on
    if (!rows[0]) throw refuse('nothing is paid by card on this order: tip on the tracking page once it is delivered');
    await tx.query(
      `INSERT INTO tips (order_id, pizzeria_id, way, moment, amount_cents) VALUES ($1, $2, 'card', 'checkout', $3)`,
      [placed.id, rows[0].pizzeria_id, cents],
    );
  },
});

/**
 * The order's hold was captured for `takenCents` (the order's part and its checkout tip): the tip is
 * paid, and what the order itself was paid is the rest. Returns the tip's part (0: no tip held).
 */
export async function takeHeldTip(tx: Tx, orderId: string, takenCents: number, paymentId: string | null): Promise<number> {
  const { rows } = await tx.query<{ id: string; amount_cents: number }>(
    `SELECT id, amount_cents FROM tips WHERE order_id = $1 AND moment = 'checkout' AND status = 'pending' FOR UPDATE`,
    [orderId],
  );
  const tip = rows[0];
  // a capture smaller than the tip (never asked so): the order is paid first, the tip not at all
  if (!tip || takenCents < tip.amount_cents) return 0;
  await tx.query(`UPDATE tips SET status = 'paid', settled_at = now(), payment_intent_id = $2 WHERE id = $1`, [tip.id, paymentId]);
  await shareTip(tx, tip.id);
  return tip.amount_cents;
}

/** The order's hold was let go whole (the order cancelled): its checkout tip goes with it. */
export async function releaseHeldTip(tx: Tx, orderId: string): Promise<void> {
  await tx.query(`UPDATE tips SET status = 'released', settled_at = now() WHERE order_id = $1 AND moment = 'checkout' AND status = 'pending'`, [orderId]);
}

/** The checkout tip still held with the order's card (0: none): what a capture takes on top of the order. */
export const HELD_TIP = `coalesce((SELECT t.amount_cents FROM tips t WHERE t.order_id = orders.id AND t.moment = 'checkout' AND t.status = 'pending'), 0)`;

/**
 * Writes the shares of a paid tip once its order is delivered (by the drivers who carried it:
 * tip-split.ts), once: the tip's row locked, nothing written when it has shares already. Not paid
 * yet, or not delivered yet: nothing now (the other one, when it comes, writes them).
 */
export async function shareTip(tx: Tx, tipId: string): Promise<number> {
  const { rows } = await tx.query<{ amount_cents: number; way: TipWay; order_id: string; pizzeria_id: number; driver_id: number | null; earned_at: Date }>(
    `SELECT t.amount_cents, t.way, t.order_id, t.pizzeria_id, o.driver_id, greatest(t.settled_at, o.delivered_at) AS earned_at
     FROM tips t JOIN orders o ON o.id = t.order_id
     WHERE t.id = $1 AND t.status = 'paid' AND o.status = 'delivered'
       AND NOT EXISTS (SELECT 1 FROM tip_shares s WHERE s.tip_id = t.id)
     FOR UPDATE OF t`,
    [tipId],
  );
  const tip = rows[0];
  if (!tip) return 0;
  const shares = splitTip(tip.amount_cents, tip.way, await carriersOf(tx, tip.order_id), tip.driver_id);
  if (!shares.length) return 0;
  await tx.query(
    `INSERT INTO tip_shares (tip_id, driver_id, pizzeria_id, way, amount_cents, earned_at)
     SELECT $1, d, $2, $3, c, $4 FROM unnest($5::int[], $6::int[]) AS s(d, c)
     ON CONFLICT (tip_id, driver_id) DO NOTHING`,
    [tipId, tip.pizzeria_id, tip.way, tip.earned_at, shares.map((s) => s.driverId), shares.map((s) => s.amountCents)],
  );
  return shares.length;
}

/**
 * The drivers who carried the order while it was out for delivery, in the order they had it: its
 * events (published, or still in the inbox) and its delivery trail.
 */
async function carriersOf(q: Queryable, orderId: string): Promise<number[]> {
  const { rows } = await q.query<{ driver_id: number }>(
    `SELECT driver_id FROM (
       SELECT (payload->'driver'->>'id')::int AS driver_id, created_at AS at FROM order_events
       WHERE order_id = $1 AND payload->>'status' = 'out_for_delivery' AND jsonb_typeof(payload->'driver') = 'object'
       UNION ALL
       SELECT (payload->'driver'->>'id')::int, created_at FROM order_event_inbox
       WHERE order_id = $1 AND payload->>'status' = 'out_for_delivery' AND jsonb_typeof(payload->'driver') = 'object'
       UNION ALL
       SELECT driver_id, at FROM delivery_trail WHERE order_id = $1
     ) c WHERE driver_id IS NOT NULL GROUP BY driver_id ORDER BY min(at)`,
    [orderId],
  );
  return rows.map((r) => r.driver_id);
}

/** Writes the shares of the order's paid tips still without them (the order delivered): the workers' job, repeated harmlessly. */
export async function shareTipsOfOrder(tx: Tx, orderId: string): Promise<number> {
  const { rows } = await tx.query<{ id: string }>(`SELECT id FROM tips WHERE order_id = $1 AND status = 'paid' ORDER BY id`, [orderId]);
  let written = 0;
  for (const r of rows) written += await shareTip(tx, r.id);
  return written;
}

/** Delivered orders with a paid tip still to share (a lost job): what the reconciler queues again. */
export async function ordersWithTipsToShare(q: Queryable): Promise<string[]> {
  const { rows } = await q.query<{ order_id: string }>(
    `SELECT DISTINCT t.order_id FROM tips t JOIN orders o ON o.id = t.order_id
     WHERE t.status = 'paid' AND o.status = 'delivered' AND o.driver_id IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM tip_shares s WHERE s.tip_id = t.id)`,
  );
  return rows.map((r) => r.order_id);
}

/** What each of these drivers earned in tips between `from` and `to` (by card, in cash), from their shares. */
export async function tipsOfDrivers(
  q: Queryable,
  driverIds: number[],
  from: Date,
  to: Date,
): Promise<{ driverId: number; cardCents: number; cashCents: number; tips: number }[]> {
  const { rows } = await q.query(
    `SELECT driver_id, coalesce(sum(amount_cents) FILTER (WHERE way = 'card'), 0)::int AS card, coalesce(sum(amount_cents) FILTER (WHERE way = 'cash'), 0)::int AS cash,
            count(*)::int AS tips
     FROM tip_shares WHERE driver_id = ANY($1::int[]) AND earned_at >= $2 AND earned_at < $3 GROUP BY driver_id ORDER BY driver_id`,
    [driverIds, from, to],
  );
  return rows.map((r) => ({ driverId: r.driver_id, cardCents: r.card, cashCents: r.cash, tips: r.tips }));
}

/** The card tips of a receipt: taken from the card, and given back since by a manager (tip-refunds.ts). */
export interface ReceiptTips {
  paidCents: number;
  refundedCents: number;
}

/** The card tips taken on an order (at checkout, after the delivery), and those refunded since: lines under the receipt's total, never a sale of it. */
export async function cardTipsOfReceipt(q: Queryable, orderId: string): Promise<ReceiptTips> {
  const { rows } = await q.query(
    `SELECT coalesce(sum(amount_cents) FILTER (WHERE status IN ('paid', 'refunded')), 0)::int AS paid, coalesce(sum(amount_cents) FILTER (WHERE status = 'refunded'), 0)::int AS refunded
     FROM tips WHERE order_id = $1 AND way = 'card'`,
    [orderId],
  );
  return { paidCents: rows[0].paid, refundedCents: rows[0].refunded };
}
