// The day's takings per shop, for the manager closing the day and for the accountant.
//
// Which day an order counts on: its business day, the Paris date it was placed on (the day its
// number belongs to, orders.business_day). Everything about the order counts there, whenever the
// money moved: a delivery handed over after midnight, a refund made later. So a day's figures are
// its tickets' figures, and they reconcile with the tickets, the drivers' shifts and the receipts.
//
// What was taken, by way (src/lib/domain/payment-split.ts, as on the receipt): online is what the
// payment provider captured (payment_movements); a card hold not yet captured is shown apart, as
// held, and is not counted; at the door and at the counter, cash and card, is what the handover
// collected; marked paid at the shop before the kitchen, cash or card at the counter, or by phone.
// Refunds: online, what the provider refunded (a hold let go is not a refund: nothing was taken);
// at the shop, what was given back on handover or by a manager in cash (on an order paid online too,
// for the part collected at the counter or the door). Sales and VAT: the orders sold that day (not
// cancelled, and paid: handed over, or paid ahead), VAT per rate taken out of prices that include
// it, rounded once per rate and shop (src/lib/domain/vat.ts). Refunds a manager granted
// (refund-request.ts) count on their order's day too: in the refunds above by how the money
// went back, and apart, by reason, with the VAT they give back per rate (the lines refunded at their
// own rates; an amount pro rata of the order's rates), so the sales less them and their VAT are the
// day's net sales.
import { HANDED_OVER_STATUSES, isFinal, sqlList } from '../../domain/order-states.ts';
import { PAYMENT_WAYS, splitPayment, type PaymentWay } from '../../domain/payment-split.ts';
import { DELIVERY_FEE_VAT_RATE, vatBreakdown, type VatLine } from '../../domain/vat.ts';
import type { Queryable } from '../db.ts';
import { forbidden, notFound } from '../errors.ts';
import { canActOnShop, type StaffActor } from '../orders/actors.ts';
import { REFUND_REASONS, type GrossAtRate, type RefundReason } from '../../domain/refunds.ts';
import { refundsOfDay } from './refund-reads.ts';
import { can, may } from '../../domain/permissions.ts';

export interface TakingsFigures {
  /** What was taken, by way; every way is present (0 when none). */
  takenCents: Record<PaymentWay, number>;
  totalTakenCents: number;
  /** Card holds authorised and not captured yet: not counted in what was taken. */
  heldCents: number;
  refunds: { onlineCents: number; shopCents: number };
  totalRefundsCents: number;
  /** Taken less refunded. */
  netCents: number;
  /** Still owed back (a refund not made yet), and still to collect on orders not handed over yet. */
  refundDueCents: number;
  toCollectCents: number;
  orders: { paid: number; cancelled: number; open: number };
  /** What the orders sold cost, taxes included, delivery fees included. */
  salesCents: number;
  /**
   * Promo codes' discounts on the orders sold (src/lib/server/promos.ts): the sales above are what
   * was paid, net of them; gross is before them. Their VAT is out of the VAT lines (taken per rate
   * from what was paid).
   */
  discounts: { count: number; cents: number; grossSalesCents: number };
  averageTicketCents: number;
  deliveryFeesCents: number;
  vat: VatLine[];
  /**
   * Refunds managers granted on the day's orders (refund-request.ts; already counted in
   * `refunds` above by how the money went back): how many, how much, by reason, and the VAT they give
   * back, per rate (by the lines refunded, else pro rata of the order).
   */
  granted: { count: number; cents: number; byReason: Record<RefundReason, number>; vat: VatLine[] };
  /** Sales less the refunds granted, and its VAT per rate (what was sold and kept). */
  netSalesCents: number;
  netVat: VatLine[];
}

export interface ShopTakings extends TakingsFigures {
  shop: { id: number; slug: string; name: string };
}

export interface DayTakings {
  date: string;
  shops: ShopTakings[];
  /** The chain's total (every shop shown): sums of the shops' figures, VAT per rate included. */
  total: TakingsFigures;
}

/** Today in Paris, as YYYY-MM-DD. */
export async function todayInParis(q: Queryable): Promise<string> {
  const { rows } = await q.query<{ day: string }>(`SELECT (now() AT TIME ZONE 'Europe/Paris')::date::text AS day`);
  return rows[0].day;
}

/** Who may read which shops' takings: a manager their own, head office any; nobody else. */
export function checkTakingsReader(actor: StaffActor, pizzeriaId: number | 'all'): void {
  if (!may(actor.role, can.runShop)) throw forbidden('takings are for managers and head office');
  if (pizzeriaId === 'all' ? actor.role !== 'admin' : !canActOnShop(actor, pizzeriaId)) throw forbidden('not your shop');
}

interface ShopRow {
  id: number;
  slug: string;
  name: string;
}

/** The shops asked for (null: every shop), in their order. */
export async function shopsForTakings(q: Queryable, pizzeriaIds: number[] | null): Promise<ShopRow[]> {
  const { rows } = await q.query<ShopRow>(
    `SELECT id, slug, name FROM pizzerias WHERE $1::int[] IS NULL OR id = ANY($1) ORDER BY id`,
    [pizzeriaIds],
  );
  return rows;
}

interface OrderMoneyRow {
  pizzeria_id: number;
  status: string;
  sold: boolean;
  reached_kitchen: boolean;
  total_cents: number;
  discount_cents: number;
  paid_cents: number;
  refunded_cents: number;
  paid_with: 'online' | 'cash' | 'card' | 'phone' | null;
  payment_status: string;
  collected_cents: number | null;
  collected_method: 'cash' | 'card' | null;
  amount_due_cents: number;
  refund_due_cents: number;
  captured_cents: number;
  online_refunded_cents: number;
  /** Given back in cash by a manager (on an order paid online: the part the counter or the driver collected). */
  cash_refunded_cents: number;
}

// sold: not cancelled, and paid (handed over, or paid ahead and captured), as a receipt says
const SOLD = `o.status <> 'cancelled' AND o.paid_cents > 0
  AND (o.status IN (${sqlList(HANDED_OVER_STATUSES)}) OR o.payment_status IN ('paid', 'refunded'))`;

/** Every order of the shops' business day with its money: what it was paid, how, refunded, and what the provider captured and refunded. */
export async function orderMoneyOfDay(q: Queryable, pizzeriaIds: number[], day: string): Promise<OrderMoneyRow[]> {
  const { rows } = await q.query<OrderMoneyRow>(
    `SELECT o.pizzeria_id, o.status, ${SOLD} AS sold, o.received_at IS NOT NULL AS reached_kitchen,
       o.total_cents, o.discount_cents, o.paid_cents, o.refunded_cents, o.paid_with, o.payment_status, o.collected_cents, o.collected_method,
       o.amount_due_cents, o.refund_due_cents,
       coalesce(m.captured, 0)::int AS captured_cents, coalesce(m.refunded, 0)::int AS online_refunded_cents,
       coalesce(c.cash, 0)::int AS cash_refunded_cents
     FROM orders o
     LEFT JOIN LATERAL (
       SELECT sum(amount_cents) FILTER (WHERE kind = 'captured') AS captured, sum(amount_cents) FILTER (WHERE kind = 'refunded') AS refunded
       FROM payment_movements WHERE order_id = o.id
     ) m ON true
     LEFT JOIN LATERAL (
       SELECT sum(amount_cents) AS cash FROM order_refunds WHERE order_id = o.id AND status = 'done' AND method = 'cash'
     ) c ON true
     WHERE o.pizzeria_id = ANY($1) AND o.business_day = $2::date`,
    [pizzeriaIds, day],
  );
  return rows;
}

/** What the shops' orders sold that day cost, taxes included, per VAT rate; the delivery fees apart (their rate is the food's). */
export async function salesByRate(q: Queryable, pizzeriaIds: number[], day: string): Promise<{ pizzeria_id: number; kind: 'items' | 'delivery' | 'discount'; rate: number; gross_cents: number; orders?: number }[]> {
  const { rows } = await q.query(
    `WITH sold AS (
       SELECT o.id, o.pizzeria_id, o.total_cents + o.discount_cents AS total_cents FROM orders o
       WHERE o.pizzeria_id = ANY($1) AND o.business_day = $2::date AND ${SOLD}
     ), lines AS (
       SELECT s.pizzeria_id, s.id, i.vat_rate, i.unit_price_cents * i.quantity AS gross
       FROM sold s JOIN order_items i ON i.order_id = s.id
     )
     SELECT pizzeria_id, 'items' AS kind, vat_rate AS rate, sum(gross)::int AS gross_cents FROM lines GROUP BY pizzeria_id, vat_rate
     UNION ALL
     SELECT s.pizzeria_id, 'delivery', $3::numeric, sum(greatest(0, s.total_cents - coalesce(l.items, 0)))::int
     FROM sold s LEFT JOIN (SELECT id, sum(gross) AS items FROM lines GROUP BY id) l ON l.id = s.id
     GROUP BY s.pizzeria_id
     UNION ALL
     -- a promo code's or loyalty points' discount, as it was spread over the order's rates when placed: off each rate's sales
     SELECT s.pizzeria_id, 'discount', (d->>'rate')::numeric, -sum((d->>'cents')::int)::int
     FROM sold s JOIN order_discounts r ON r.order_id = s.id, jsonb_array_elements(r.by_rate) d
     GROUP BY s.pizzeria_id, (d->>'rate')::numeric`,
    [pizzeriaIds, day, DELIVERY_FEE_VAT_RATE],
  );
  return rows.map((r) => ({ pizzeria_id: r.pizzeria_id, kind: r.kind, rate: Number(r.rate), gross_cents: r.gross_cents }));
}

const noWays = () => Object.fromEntries(PAYMENT_WAYS.map((w) => [w, 0])) as Record<PaymentWay, number>;

const noReasons = () => Object.fromEntries(REFUND_REASONS.map((r) => [r, 0])) as Record<RefundReason, number>;

/** Per rate, sales less refunds (taxes included), the VAT taken out once per rate. */
function netOfRefunds(sales: readonly GrossAtRate[], refunds: readonly GrossAtRate[]): VatLine[] {
  return vatBreakdown([...sales, ...refunds.map((r) => ({ rate: r.rate, grossCents: -r.grossCents }))]).filter((v) => v.grossCents !== 0);
}

/** One shop's figures from its orders' money, its sales per rate and the refunds its managers granted. */
export function figuresOf(
  orders: readonly OrderMoneyRow[],
  sales: readonly { kind: 'items' | 'delivery' | 'discount'; rate: number; gross_cents: number }[],
  granted: readonly { amount_cents: number; reason: RefundReason; vat: GrossAtRate[] }[] = [],
): TakingsFigures {
  const takenCents = noWays();
  let heldCents = 0;
  let onlineRefunds = 0;
  let shopRefunds = 0;
  let refundDueCents = 0;
  let toCollectCents = 0;
  const counts = { paid: 0, cancelled: 0, open: 0 };
  let salesCents = 0;
  let discounted = 0;
  for (const o of orders) {
    for (const part of splitPayment({ status: o.status, paidCents: o.paid_cents, paidWith: o.paid_with, collectedCents: o.collected_cents, collectedMethod: o.collected_method })) {
      if (part.way === 'online') {
        // online: what the provider took; a hold not taken yet is held
        if (o.payment_status === 'authorised') heldCents += part.amountCents - o.refunded_cents;
      } else takenCents[part.way] += part.amountCents;
    }
    if (o.paid_with === 'online') {
      takenCents.online += o.captured_cents;
      onlineRefunds += o.online_refunded_cents;
      // what the counter or the driver collected on top was given back at the shop
      shopRefunds += o.cash_refunded_cents;
    } else shopRefunds += o.refunded_cents;
    refundDueCents += o.refund_due_cents;
    const finished = isFinal(o.status);
    if (!finished && o.status !== 'pending_payment') {
      counts.open += 1;
      toCollectCents += o.amount_due_cents;
    }
    // an online checkout abandoned before payment is no order the shop saw
    if (o.status === 'cancelled' && o.reached_kitchen) counts.cancelled += 1;
    if (o.sold) {
      counts.paid += 1;
      salesCents += o.total_cents;
      if (o.discount_cents > 0) discounted += 1;
    }
  }
  const totalTakenCents = PAYMENT_WAYS.reduce((s, w) => s + takenCents[w], 0);
  const totalRefundsCents = onlineRefunds + shopRefunds;
  const byReason = noReasons();
  for (const g of granted) byReason[g.reason] += g.amount_cents;
  const grantedCents = granted.reduce((s, g) => s + g.amount_cents, 0);
  const grantedGross = granted.flatMap((g) => g.vat);
  const salesGross = sales.map((s) => ({ rate: s.rate, grossCents: s.gross_cents }));
  const discountCents = -sales.filter((s) => s.kind === 'discount').reduce((n, s) => n + s.gross_cents, 0);
  return {
    takenCents,
    totalTakenCents,
    heldCents,
    refunds: { onlineCents: onlineRefunds, shopCents: shopRefunds },
    totalRefundsCents,
    netCents: totalTakenCents - totalRefundsCents,
    refundDueCents,
    toCollectCents,
    orders: counts,
    salesCents,
    discounts: { count: discounted, cents: discountCents, grossSalesCents: salesCents + discountCents },
    averageTicketCents: counts.paid ? Math.round(salesCents / counts.paid) : 0,
    deliveryFeesCents: sales.filter((s) => s.kind === 'delivery').reduce((n, s) => n + s.gross_cents, 0),
    vat: vatBreakdown(salesGross),
    granted: { count: granted.length, cents: grantedCents, byReason, vat: vatBreakdown(grantedGross) },
    netSalesCents: salesCents - grantedCents,
    netVat: netOfRefunds(salesGross, grantedGross),
  };
}

/** The chain's total: the shops' figures added up (VAT per rate as the shops' lines add up, so the columns of an export add up too). */
export function chainTotal(shops: readonly TakingsFigures[]): TakingsFigures {
  const takenCents = noWays();
  for (const s of shops) for (const w of PAYMENT_WAYS) takenCents[w] += s.takenCents[w];
  const sum = (f: (s: TakingsFigures) => number) => shops.reduce((n, s) => n + f(s), 0);
  const vat = new Map<number, VatLine>();
  for (const line of shops.flatMap((s) => s.vat)) {
    const v = vat.get(line.rate) ?? { rate: line.rate, netCents: 0, vatCents: 0, grossCents: 0 };
    vat.set(line.rate, { rate: line.rate, netCents: v.netCents + line.netCents, vatCents: v.vatCents + line.vatCents, grossCents: v.grossCents + line.grossCents });
  }
  const paid = sum((s) => s.orders.paid);
  const salesCents = sum((s) => s.salesCents);
  // VAT lines of the shops added rate by rate, as they were rounded per shop
  const addLines = (pick: (s: TakingsFigures) => VatLine[]) => {
    const by = new Map<number, VatLine>();
    for (const line of shops.flatMap(pick)) {
      const v = by.get(line.rate) ?? { rate: line.rate, netCents: 0, vatCents: 0, grossCents: 0 };
      by.set(line.rate, { rate: line.rate, netCents: v.netCents + line.netCents, vatCents: v.vatCents + line.vatCents, grossCents: v.grossCents + line.grossCents });
    }
    return [...by.values()].sort((a, b) => a.rate - b.rate);
  };
  const byReason = noReasons();
  for (const s of shops) for (const r of REFUND_REASONS) byReason[r] += s.granted.byReason[r];
  return {
    takenCents,
    totalTakenCents: sum((s) => s.totalTakenCents),
    heldCents: sum((s) => s.heldCents),
    refunds: { onlineCents: sum((s) => s.refunds.onlineCents), shopCents: sum((s) => s.refunds.shopCents) },
    totalRefundsCents: sum((s) => s.totalRefundsCents),
    netCents: sum((s) => s.netCents),
    refundDueCents: sum((s) => s.refundDueCents),
    toCollectCents: sum((s) => s.toCollectCents),
    orders: { paid, cancelled: sum((s) => s.orders.cancelled), open: sum((s) => s.orders.open) },
    salesCents,
    discounts: { count: sum((s) => s.discounts.count), cents: sum((s) => s.discounts.cents), grossSalesCents: sum((s) => s.discounts.grossSalesCents) },
    averageTicketCents: paid ? Math.round(salesCents / paid) : 0,
    deliveryFeesCents: sum((s) => s.deliveryFeesCents),
    vat: [...vat.values()].sort((a, b) => a.rate - b.rate),
    granted: { count: sum((s) => s.granted.count), cents: sum((s) => s.granted.cents), byReason, vat: addLines((s) => s.granted.vat) },
    netSalesCents: sum((s) => s.netSalesCents),
    netVat: addLines((s) => s.netVat),
  };
}

/**
 * The day's takings of one shop, or of every shop (`'all'`, head office) with the chain's total;
 * `day` is a Paris date (YYYY-MM-DD), today by default.
 */
export async function takingsOfDay(q: Queryable, actor: StaffActor, pizzeriaId: number | 'all', day?: string): Promise<DayTakings> {
  checkTakingsReader(actor, pizzeriaId);
  const date = day ?? (await todayInParis(q));
  const shops = await shopsForTakings(q, pizzeriaId === 'all' ? null : [pizzeriaId]);
  if (pizzeriaId !== 'all' && !shops.length) throw notFound('pizzeria');
  const ids = shops.map((s) => s.id);
  const [orders, sales, granted] = await Promise.all([orderMoneyOfDay(q, ids, date), salesByRate(q, ids, date), refundsOfDay(q, ids, date)]);
  const perShop = shops.map((shop) => ({
    shop,
    ...figuresOf(orders.filter((o) => o.pizzeria_id === shop.id), sales.filter((s) => s.pizzeria_id === shop.id), granted.filter((g) => g.pizzeria_id === shop.id)),
  }));
  return { date, shops: perShop, total: chainTotal(perShop) };
}
