// The day's tips apart: what customers gave the drivers, by card (collected by the shop with its
// card payments, owed to the drivers) and in cash (declared by the drivers, in their pocket). A tip
// is never a sale: it is in none of the takings' sales, VAT, money taken nor the fiscal journal; it
// is counted here only, by its order's business day.
import type { Queryable } from '../kernel/db.ts';

export interface TipTakings {
  /** Card tips paid (at checkout with the order, or after the delivery): collected for the drivers. */
  cardCents: number;
  card: number;
  /** Cash tips the drivers declared: theirs, not the shop's cash. */
  cashCents: number;
  cash: number;
  /** Card tips still held with an order's card (captured when the kitchen starts it). */
  heldCents: number;
  /** Card tips a manager gave back to the customer (tip-refunds.ts): no longer in `cardCents`, nor the drivers'. */
  refundedCents: number;
  refunded: number;
}

export const noTips = (): TipTakings => ({ cardCents: 0, card: 0, cashCents: 0, cash: 0, heldCents: 0, refundedCents: 0, refunded: 0 });

/** Per shop, the tips of the orders of its business day `day`. */
export async function tipsOfDay(q: Queryable, pizzeriaIds: number[], day: string): Promise<Map<number, TipTakings>> {
  const { rows } = await q.query(
    `SELECT t.pizzeria_id,
       coalesce(sum(t.amount_cents) FILTER (WHERE t.way = 'card' AND t.status = 'paid'), 0)::int AS card_cents,
       count(*) FILTER (WHERE t.way = 'card' AND t.status = 'paid')::int AS card,
       coalesce(sum(t.amount_cents) FILTER (WHERE t.way = 'cash' AND t.status = 'paid'), 0)::int AS cash_cents,
       count(*) FILTER (WHERE t.way = 'cash' AND t.status = 'paid')::int AS cash,
       coalesce(sum(t.amount_cents) FILTER (WHERE t.moment = 'checkout' AND t.status = 'pending' AND o.payment_status = 'authorised'), 0)::int AS held_cents,
       coalesce(sum(t.amount_cents) FILTER (WHERE t.status = 'refunded'), 0)::int AS refunded_cents,
       count(*) FILTER (WHERE t.status = 'refunded')::int AS refunded
     FROM tips t JOIN orders o ON o.id = t.order_id
     WHERE t.pizzeria_id = ANY($1) AND o.business_day = $2::date GROUP BY t.pizzeria_id`,
    [pizzeriaIds, day],
  );
  return new Map(rows.map((r) => [r.pizzeria_id as number, { cardCents: r.card_cents, card: r.card, cashCents: r.cash_cents, cash: r.cash, heldCents: r.held_cents, refundedCents: r.refunded_cents, refunded: r.refunded }]));
}

/** The chain's tips: the shops' added up. */
export function chainTips(shops: readonly TipTakings[]): TipTakings {
  const t = noTips();
  for (const s of shops) {
    t.cardCents += s.cardCents; t.card += s.card; t.cashCents += s.cashCents; t.cash += s.cash; t.heldCents += s.heldCents; t.refundedCents += s.refundedCents; t.refunded += s.refunded;
  }
  return t;
}
