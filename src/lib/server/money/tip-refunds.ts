// A manager gives back a card tip (a shop's manager on their shop's orders, head office on any):
// whole, once, through the payment provider that took it, by the same road as an order's refund
// (refund-request.ts): the request is kept on the tip's row with the order locked, its event
// ('order.refund_requested') has the workers' refund job call the provider under the key
// `tip-refund-<tip id>` (a double tap, a retried job: one refund at the provider), and the answer
// settles the row once. Done, the tip reads refunded and the drivers' shares of it are taken back
// (their phones told by the `driver_money` notice, migration 0100). A tip is never a sale: its
// refund moves none of the order's money, takings' sales, VAT nor fiscal journal (tips.ts).
// What may be refunded: src/lib/domain/tip-split.ts (tipRefundRefusal).
import { tipRefundRefusal, type TipMoment, type TipRefundRefusal, type TipWay } from '../../domain/tip-split.ts';
import { audit } from '../kernel/audit.ts';
import { transaction, type Db, type Queryable, type Tx } from '../kernel/db.ts';
import { conflict, notFound } from '../kernel/errors.ts';
import type { StaffActor } from '../kernel/actors.ts';
import { recordEvent } from '../orders/record.ts';
import type { PaymentProvider } from './provider.ts';
import { checkRefunder } from './refund-parts.ts';

/** A tip of an order as the manager's order page shows it, with whether it can be refunded. */
export interface OrderTip {
  tipId: string;
  way: TipWay;
  moment: TipMoment;
  amountCents: number;
  status: 'pending' | 'paid' | 'released' | 'refunded';
  refund: { state: 'pending' | 'done' | 'failed'; by: string | null; requestedAt: string | null; refundedAt: string | null; failure: string | null } | null;
  /** Why it cannot be refunded (null: it can). */
  why: TipRefundRefusal | null;
}

interface TipRow {
  id: string;
  order_id: string;
  way: TipWay;
  moment: TipMoment;
  amount_cents: number;
  status: OrderTip['status'];
  refund_state: 'pending' | 'done' | 'failed' | null;
  refund_requested_by_name: string | null;
  refund_requested_at: Date | null;
  refunded_at: Date | null;
  refund_failure: string | null;
}

const TIP_COLUMNS = `id, order_id, way, moment, amount_cents, status, refund_state, refund_requested_by_name, refund_requested_at, refunded_at, refund_failure`;

const refusalOf = (r: TipRow) => tipRefundRefusal({ way: r.way, status: r.status, refundState: r.refund_state });

const viewOf = (r: TipRow): OrderTip => ({
  tipId: String(r.id), way: r.way, moment: r.moment, amountCents: r.amount_cents, status: r.status,
  refund: r.refund_state
    ? { state: r.refund_state, by: r.refund_requested_by_name, requestedAt: r.refund_requested_at?.toISOString() ?? null, refundedAt: r.refunded_at?.toISOString() ?? null, failure: r.refund_failure }
    : null,
  why: refusalOf(r),
});

/** What each refusal says (the API's message; the pages say it in their own words). */
export const TIP_REFUND_REFUSED: Record<TipRefundRefusal | 'no_tip', string> = {
  no_tip: 'this order has no tip to refund',
  cash_tip: 'a cash tip was handed to the driver at the door, not taken by the payment provider: it is given back in person',
  tip_not_paid: 'this tip was never taken from the card (still held with the order, or let go)',
  tip_already_refunded: 'this tip was refunded already',
  tip_refund_pending: 'this tip is being refunded: the payment provider has not answered yet',
};

async function orderShop(q: Queryable, orderId: string, lock: boolean): Promise<{ pizzeria_id: number; number: number }> {
  const { rows } = await q.query(`SELECT pizzeria_id, number FROM orders WHERE id = $1${lock ? ' FOR UPDATE' : ''}`, [orderId]);
  if (!rows[0]) throw notFound('order');
  return rows[0];
}

/** The order's tips, for its manager (or head office). */
export async function tipsOfOrder(q: Queryable, actor: StaffActor, orderId: string): Promise<OrderTip[]> {
  checkRefunder(actor, (await orderShop(q, orderId, false)).pizzeria_id);
  const { rows } = await q.query<TipRow>(`SELECT ${TIP_COLUMNS} FROM tips WHERE order_id = $1 ORDER BY id`, [orderId]);
  return rows.map(viewOf);
}

/** The tip a request names, or, none named, the order's first refundable one (else its first card tip, else its first). */
function chosenTip(tips: TipRow[], tipId: string | null): TipRow {
  if (tipId) {
    const named = tips.find((t) => String(t.id) === tipId);
    if (!named) throw notFound('tip');
    return named;
  }
  const tip = tips.find((t) => !refusalOf(t)) ?? tips.find((t) => t.way === 'card') ?? tips[0];
  if (!tip) throw conflict('no_tip', TIP_REFUND_REFUSED.no_tip);
  return tip;
}

/**
 * A manager asks to refund a tip of an order: kept pending for the workers to give it back through
 * the provider. The same Idempotency-Key again (a double tap, a retry) answers the same tip and asks
 * nothing more; refused with the reason and nothing changed: no tip, a cash tip, one never taken,
 * one refunded or being refunded, a non-manager (403).
 */
export async function requestTipRefund(dbp: Db, actor: StaffActor, orderId: string, tipId: string | null, key: string): Promise<{ tip: OrderTip; repeated: boolean }> {
  return transaction(dbp, async (tx) => {
    // the order locked, as an order's refund does: two requests at once are taken one after the other
    const o = await orderShop(tx, orderId, true);
    checkRefunder(actor, o.pizzeria_id);
    const { rows: replay } = await tx.query<TipRow>(`SELECT ${TIP_COLUMNS} FROM tips WHERE refund_key = $1`, [key]);
    if (replay[0]) {
      if (replay[0].order_id !== orderId || (tipId && String(replay[0].id) !== tipId)) {
        throw conflict('idempotency_key_reused', 'this Idempotency-Key was used for another refund: use a new key for a new refund');
      }
      return { tip: viewOf(replay[0]), repeated: true };
    }
    const { rows: tips } = await tx.query<TipRow>(`SELECT ${TIP_COLUMNS} FROM tips WHERE order_id = $1 ORDER BY id FOR UPDATE`, [orderId]);
    const tip = chosenTip(tips, tipId);
    const why = refusalOf(tip);
    if (why) throw conflict(why, TIP_REFUND_REFUSED[why]);
    const { rows } = await tx.query<TipRow>(
      `UPDATE tips SET refund_state = 'pending', refund_key = $2, refund_requested_by = $3, refund_requested_by_name = $4, refund_requested_at = now(), refund_failure = NULL
       WHERE id = $1 RETURNING ${TIP_COLUMNS}`,
      [tip.id, key, actor.id, `${actor.name} (${actor.role})`],
    );
    await audit(tx, actor, {
      action: 'tip.refund', entity: 'order', entityId: orderId, pizzeriaId: o.pizzeria_id,
      before: { tipId: Number(tip.id), status: tip.status },
      after: { tipId: Number(tip.id), number: o.number, amountCents: tip.amount_cents, way: tip.way, moment: tip.moment },
    });
    await tx.query('UPDATE orders SET version = version + 1 WHERE id = $1', [orderId]);
    await recordEvent(tx, orderId, 'order.refund_requested', actor);
    return { tip: viewOf(rows[0]), repeated: false };
  });
}

/** Orders with a tip refund the provider has not answered yet (the reconciler queues their job again). */
export async function ordersWithPendingTipRefunds(q: Queryable): Promise<{ orderId: string; tipId: string }[]> {
  const { rows } = await q.query(`SELECT order_id, min(id) AS tip_id FROM tips WHERE refund_state = 'pending' GROUP BY order_id`);
  return rows.map((r) => ({ orderId: r.order_id, tipId: String(r.tip_id) }));
}

type ProviderAnswer = { reference: string } | { refused: string };

/**
 * The workers give back the order's tips waiting for their refund, each under its own idempotency
 * key: a job that runs again gets the refund the first call made, and the row is settled once. A
 * refusal (the provider's answer, which a retry will not change) marks it failed with the reason;
 * anything else throws, for the job to try again.
 */
export async function makePendingTipRefunds(dbp: Db, provider: PaymentProvider, orderId: string): Promise<{ done: number; failed: number }> {
  const { rows } = await dbp.query<{ id: string; amount_cents: number; reference: string | null }>(
    `SELECT t.id, t.amount_cents, coalesce(t.payment_intent_id, o.payment_reference) AS reference
     FROM tips t JOIN orders o ON o.id = t.order_id WHERE t.order_id = $1 AND t.refund_state = 'pending' AND t.way = 'card' ORDER BY t.id`,
    [orderId],
  );
  const result = { done: 0, failed: 0 };
  for (const r of rows) {
    let answer: ProviderAnswer;
    try {
      if (!r.reference) throw Object.assign(new Error('the tip has no payment at the provider'), { refusal: true });
      answer = await provider.refund({ orderId, amountCents: r.amount_cents, paymentReference: r.reference, idempotencyKey: `tip-refund-${r.id}` });
    } catch (err) {
      if (!provider.isRefusal(err) && !(err as { refusal?: boolean }).refusal) throw err;
      answer = { refused: (err as Error).message || 'refused by the payment provider' };
    }
    const settled = await transaction(dbp, (tx) => settleTipRefund(tx, orderId, r.id, answer));
    if (settled) result[settled] += 1;
  }
  return result;
}

/** The provider's answer kept, once: refused, the tip stays paid; done, it is refunded and its shares taken back. */
async function settleTipRefund(tx: Tx, orderId: string, tipId: string, answer: ProviderAnswer): Promise<'done' | 'failed' | null> {
  await orderShop(tx, orderId, true);
  const { rows: still } = await tx.query(`SELECT id FROM tips WHERE id = $1 AND refund_state = 'pending' FOR UPDATE`, [tipId]);
  if (!still[0]) return null;
  if ('refused' in answer) {
    await tx.query(`UPDATE tips SET refund_state = 'failed', refund_failure = $2 WHERE id = $1`, [tipId, answer.refused.slice(0, 500)]);
  } else {
    // the drivers' shares taken back: every reader of their tips (phone, pay, payroll) reads the shares
    const { rows: shares } = await tx.query<{ driver_id: number; amount_cents: number }>(
      `DELETE FROM tip_shares WHERE tip_id = $1 RETURNING driver_id, amount_cents`,
      [tipId],
    );
    await tx.query(
      `UPDATE tips SET status = 'refunded', refund_state = 'done', refund_reference = $2, refunded_at = now(), refund_shares = $3 WHERE id = $1`,
      [tipId, answer.reference, JSON.stringify(shares.map((s) => ({ driverId: s.driver_id, amountCents: s.amount_cents })))],
    );
  }
  // the order's screens (the manager's, the customer's tracking) read its tips again
  await tx.query('UPDATE orders SET version = version + 1 WHERE id = $1', [orderId]);
  await recordEvent(tx, orderId, 'order.modified', { kind: 'system', name: `tip-refunds:${tipId}` });
  return 'refused' in answer ? 'failed' : 'done';
}
