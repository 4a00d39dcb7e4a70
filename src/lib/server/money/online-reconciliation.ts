// A shop's online takings of a day against the payment provider's records, as the takings page
// shows them beside the card terminal's and the QR codes': every card hold captured for the shop's
// orders of that business day (payment_movements) and every titre-restaurant taken online for them
// (meal_voucher_payments), each by its provider payment, against the provider's captured payments
// of those orders; a captured payment the provider holds for the shop and no order of the till
// knows (made that day) is a difference too. A tip paid after the delivery is its own payment, in
// the day's tips, not here; the terminal's and the QR codes' payments have their own reconciliations.
import type { Queryable } from '../kernel/db.ts';
import { UUID } from '../../shapes/order-requests.ts';
import { reconciled, type TerminalReconciliation } from './terminal.ts';

/** A payment taken online as the provider's records have it. */
export interface ProviderOnlinePayment {
  id: string;
  amountCents: number;
  shopId: number | null;
  orderId: string | null;
  createdAt: Date;
}

/** The provider's captured online payments made between two instants (its order payments and titres-restaurant). */
export interface OnlineRecords {
  taken(from: Date, to: Date): Promise<ProviderOnlinePayment[]>;
}

const DAY_MS = 86_400_000;

export async function onlineReconciliation(q: Queryable, provider: OnlineRecords, shopId: number, date: string): Promise<TerminalReconciliation> {
  const { rows: day } = await q.query<{ from: Date; to: Date }>(
    `SELECT ($1::date::timestamp AT TIME ZONE 'Europe/Paris') AS from, (($1::date + 1)::timestamp AT TIME ZONE 'Europe/Paris') AS to`,
    [date],
  );
  const { from, to } = day[0];
  const { rows } = await q.query<{ ref: string; cents: number; order_id: string }>(
    `SELECT m.payment_intent_id AS ref, sum(m.amount_cents)::int AS cents, min(o.id::text) AS order_id
     FROM payment_movements m JOIN orders o ON o.id = m.order_id
     WHERE o.pizzeria_id = $1 AND o.business_day = $2 AND m.kind = 'captured' AND m.payment_intent_id IS NOT NULL GROUP BY 1
     UNION ALL
     SELECT v.payment_intent_ref, v.amount_cents, v.order_id::text FROM meal_voucher_payments v JOIN orders o ON o.id = v.order_id
     WHERE o.pizzeria_id = $1 AND o.business_day = $2 AND v.channel = 'online' AND v.state = 'taken' AND v.payment_intent_ref IS NOT NULL`,
    [shopId, date],
  );
  const recorded = new Map(rows.map((r) => [r.ref, r.cents]));
  // an order's payment is made when it is placed, or the day before its slot (an order for later): looked for around the day
  const listed = await provider.taken(new Date(from.getTime() - 2 * DAY_MS), new Date(to.getTime() + DAY_MS));
  const named = [...new Set(listed.map((p) => p.orderId).filter((id): id is string => !!id && UUID.test(id)))];
  const { rows: known } = await q.query<{ id: string; mine: boolean }>(
    'SELECT id, pizzeria_id = $2 AND business_day = $3 AS mine FROM orders WHERE id = ANY($1::uuid[])',
    [named, shopId, date],
  );
  const orders = new Map(known.map((o) => [o.id, o.mine]));
  const inDay = (p: ProviderOnlinePayment) => p.createdAt >= from && p.createdAt < to;
  const ours = listed.filter((p) => {
    const mine = p.orderId ? orders.get(p.orderId) : undefined;
    // one of the day's orders of the shop; else a payment of the shop that day no order of the till knows
    return mine === true || recorded.has(p.id) || (mine === undefined && p.shopId === shopId && inDay(p));
  });
  return reconciled(shopId, recorded, ours.map((p) => ({ ...p, shopId })));
}
