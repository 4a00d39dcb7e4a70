// The day's takings per shop, for the manager closing the day and for the accountant: read from the
// fiscal journal (src/lib/server/fiscal/), so that what the page shows is what the auditor sees, and
// a closed day shows exactly what its closing (clôture) covers.
//
// Which entries are a day's: those its daily closing covers (src/lib/domain/fiscal-closing.ts): an
// entry counts on its order's business day, the Paris date the order was placed on (a delivery
// handed over after midnight, a refund made later the same night count there), unless that day was
// already closed when it was written: then it counts on the first day still open (a refund the next
// morning counts the next day). A day still open shows what its closing would cover now, the
// journal brought up to date first (the orders of the day whose money it has not written yet).
//
// From the journal: what was taken, by way (as on the receipt, src/lib/domain/payment-split.ts;
// online, what the provider captured); what was given back (online by the provider, or cash at the
// shop); the sales (sale, corrections, cancellations after payment) and their VAT per rate, taken out
// once per rate and shop (src/lib/domain/vat.ts); the discounts and delivery fees sold; the managers'
// refunds (credit notes, refund-request.ts) by reason with the VAT they give back per rate, and so
// the net sales. From the orders of the business day, what is not money yet and so not in the
// journal: card holds not captured (held, not counted), refunds still due, money still to collect,
// orders still open and those cancelled.
import { isFinal } from '../../domain/order-states.ts';
import { voucherPart } from '../../domain/meal-vouchers.ts';
import { PAYMENT_WAYS, splitPayment, type CollectedMethod, type PaymentWay } from '../../domain/payment-split.ts';
import type { VatLine } from '../../domain/vat.ts';
import type { Db, Queryable } from '../kernel/db.ts';
import { forbidden, notFound } from '../kernel/errors.ts';
import { canActOnShop, type StaffActor } from '../kernel/actors.ts';
import { REFUND_REASONS, type RefundReason } from '../../domain/refunds.ts';
import type { ClosingTotals, RateLine } from '../../domain/fiscal-closing.ts';
import { bringDayUpToDate, dayOfJournal } from '../fiscal/closings.ts';
import type { FiscalKey } from '../fiscal/keys.ts';
import { can, may, runsChain } from '../../domain/permissions.ts';
import { chainTips, noTips, tipsOfDay, type TipTakings } from './takings-tips.ts';
import { chainPlatforms, platformTakingsOfDay, type PlatformTakings } from './takings-platforms.ts';

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
   * Promo codes' discounts on the orders sold (src/lib/server/offers/promos.ts): the sales above are what
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
  /** The drivers' tips, apart: never sales (takings-tips.ts). */
  tips: TipTakings;
  /** Its delivery platforms' orders apart, per platform (takings-platforms.ts). */
  platforms: PlatformTakings[];
}

export interface DayTakings {
  date: string;
  shops: ShopTakings[];
  /** The chain's total (every shop shown): sums of the shops' figures, VAT per rate included. */
  total: TakingsFigures & { platforms: PlatformTakings[]; tips: TipTakings };
}

/** Today in Paris, as YYYY-MM-DD. */
export async function todayInParis(q: Queryable): Promise<string> {
  const { rows } = await q.query<{ day: string }>(`SELECT (now() AT TIME ZONE 'Europe/Paris')::date::text AS day`);
  return rows[0].day;
}

/** Who may read which shops' takings: a manager their own, head office any; nobody else. */
export function checkTakingsReader(actor: StaffActor, pizzeriaId: number | 'all'): void {
  if (!may(actor.role, can.runShop)) throw forbidden('takings are for managers and head office');
  if (pizzeriaId === 'all' ? !runsChain(actor) : !canActOnShop(actor, pizzeriaId)) throw forbidden('not your shop');
}

interface ShopRow {
  id: number;
  slug: string;
  name: string;
}

/** The shops asked for (null: every shop), in their order. */
export async function shopsForTakings(q: Queryable, pizzeriaIds: number[] | null): Promise<ShopRow[]> {
  const { rows } = await q.query<ShopRow>(
    // a training shop sells nothing: never in the chain's takings (its own page says nothing taken)
    `SELECT id, slug, name FROM pizzerias WHERE ($1::int[] IS NULL AND NOT training) OR id = ANY($1) ORDER BY id`,
    [pizzeriaIds],
  );
  return rows;
}

interface OrderMoneyRow {
  pizzeria_id: number;
  status: string;
  reached_kitchen: boolean;
  paid_cents: number;
  refunded_cents: number;
  paid_with: 'online' | 'cash' | 'card' | 'phone' | 'marketplace' | null;
  payment_status: string;
  collected_cents: number | null;
  collected_method: CollectedMethod | null;
  meal_voucher_cents: number;
  meal_voucher_issuer: string | null;
  amount_due_cents: number;
  refund_due_cents: number;
}

/** Every order of the shops' business day with what is not money yet: a hold, a refund due, money to collect, its status. */
export async function orderMoneyOfDay(q: Queryable, pizzeriaIds: number[], day: string): Promise<OrderMoneyRow[]> {
  const { rows } = await q.query<OrderMoneyRow>(
    `SELECT o.pizzeria_id, o.status, o.received_at IS NOT NULL AS reached_kitchen, o.paid_cents, o.refunded_cents,
       CASE WHEN o.payment_method = 'marketplace' THEN 'marketplace' ELSE o.paid_with::text END AS paid_with, o.payment_status,
       o.collected_cents, o.collected_method, o.meal_voucher_cents, o.meal_voucher_issuer, o.amount_due_cents, o.refund_due_cents
     FROM orders o WHERE o.pizzeria_id = ANY($1) AND o.business_day = $2::date`,
    [pizzeriaIds, day],
  );
  return rows;
}

const noWays = () => Object.fromEntries(PAYMENT_WAYS.map((w) => [w, 0])) as Record<PaymentWay, number>;

const noReasons = () => Object.fromEntries(REFUND_REASONS.map((r) => [r, 0])) as Record<RefundReason, number>;

/** A journal's VAT line (rate in basis points) as the page writes it (rate in percent). */
const vatLine = (l: RateLine): VatLine => ({ rate: l.rateBp / 100, netCents: l.netCents, vatCents: l.vatCents, grossCents: l.grossCents });

/**
 * One shop's figures: the money, the sales, their VAT and the credit notes from what its journal
 * says of the day (`journal`); what is not money yet (holds, refunds due, money to collect, orders
 * still open or cancelled) from its orders of the business day.
 */
export function figuresOf(orders: readonly OrderMoneyRow[], journal: ClosingTotals): TakingsFigures {
  let heldCents = 0;
  let refundDueCents = 0;
  let toCollectCents = 0;
  const counts = { paid: journal.ordersSold, cancelled: 0, open: 0 };
  for (const o of orders) {
    for (const part of splitPayment({ status: o.status, paidCents: o.paid_cents, paidWith: o.paid_with, collectedCents: o.collected_cents, collectedMethod: o.collected_method, voucher: voucherPart(o.meal_voucher_cents, o.meal_voucher_issuer) })) {
      // online, a hold not taken yet is held
      if (part.way === 'online' && o.payment_status === 'authorised') heldCents += part.amountCents - o.refunded_cents;
    }
    // a platform's order cancelled: the platform gives its customer the money back, not the shop
    if (o.paid_with !== 'marketplace') refundDueCents += o.refund_due_cents;
    if (!isFinal(o.status) && o.status !== 'pending_payment') {
      counts.open += 1;
      toCollectCents += o.amount_due_cents;
    }
    // an online checkout abandoned before payment is no order the shop saw
    if (o.status === 'cancelled' && o.reached_kitchen) counts.cancelled += 1;
  }
  const takenCents = noWays();
  for (const w of PAYMENT_WAYS) takenCents[w] = journal.taken[w] ?? 0;
  const byReason = noReasons();
  for (const [reason, cents] of Object.entries(journal.creditNotes.byReason)) {
    if ((REFUND_REASONS as readonly string[]).includes(reason)) byReason[reason as RefundReason] += cents;
  }
  return {
    takenCents,
    totalTakenCents: journal.takenCents,
    heldCents,
    refunds: { onlineCents: journal.givenBack.onlineCents, shopCents: journal.givenBack.cashCents },
    totalRefundsCents: journal.givenBackCents,
    netCents: journal.moneyCents,
    refundDueCents,
    toCollectCents,
    orders: counts,
    salesCents: journal.salesCents,
    discounts: { count: journal.discounts.count, cents: journal.discounts.cents, grossSalesCents: journal.salesCents + journal.discounts.cents },
    averageTicketCents: counts.paid ? Math.round(journal.salesCents / counts.paid) : 0,
    deliveryFeesCents: journal.deliveryFeesCents,
    vat: journal.sales.map(vatLine),
    granted: { count: journal.creditNotes.count, cents: journal.creditNotes.cents, byReason, vat: journal.creditNotes.vat.map(vatLine) },
    netSalesCents: journal.netSalesCents,
    netVat: journal.net.map(vatLine),
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
 * `day` is a Paris date (YYYY-MM-DD), today by default. With `key`, an open day's journal is
 * brought up to date first (bringDayUpToDate); without, it is read as it is.
 */
export async function takingsOfDay(db: Db, actor: StaffActor, pizzeriaId: number | 'all', day?: string, opts: { key?: FiscalKey } = {}): Promise<DayTakings> {
  checkTakingsReader(actor, pizzeriaId);
  const date = day ?? (await todayInParis(db));
  const shops = await shopsForTakings(db, pizzeriaId === 'all' ? null : [pizzeriaId]);
  if (pizzeriaId !== 'all' && !shops.length) throw notFound('pizzeria');
  const ids = shops.map((s) => s.id);
  if (opts.key) await bringDayUpToDate(db, opts.key, ids, date);
  const [orders, journal, platforms, tips] = await Promise.all([
    orderMoneyOfDay(db, ids, date), Promise.all(ids.map((id) => dayOfJournal(db, id, date))), platformTakingsOfDay(db, ids, date), tipsOfDay(db, ids, date),
  ]);
  const perShop = shops.map((shop, i) => ({
    shop, ...figuresOf(orders.filter((o) => o.pizzeria_id === shop.id), journal[i].totals), platforms: platforms.get(shop.id) ?? [], tips: tips.get(shop.id) ?? noTips(),
  }));
  return { date, shops: perShop, total: { ...chainTotal(perShop), platforms: chainPlatforms(perShop.map((s) => s.platforms)), tips: chainTips(perShop.map((s) => s.tips)) } };
}
