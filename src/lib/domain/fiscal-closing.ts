// A shop's closings (clôtures): what a day, a month, a fiscal year of its fiscal journal adds up to,
// and the perpetual grand totals since its first sale. Pure: the entries come from the journal
// (src/lib/server/fiscal/closings.ts), and the same arithmetic gives the takings page its figures,
// so the page shows what the auditor sees.
//
// Which entries a day's closing covers (the rule, written on every closing as `covers.rule`):
// every entry of the shop's chain numbered up to the chain's last number when the closing is made
// (`throughSeq`), whose day is the closed day or before, and that no earlier day's closing covered.
// An entry's day is its order's business day (the Paris date the order was placed on, the day its
// ticket number belongs to); an entry without an order, the Paris date of its time. Days are closed
// one after the other, so the entries an earlier closing did not cover are those numbered after its
// `throughSeq`, and those it left for later (`pending`: of a day after it, a preorder's). Hence an
// entry written after its day was closed (a refund the next morning) is covered by the next day's
// closing, and no entry is counted twice or missed. A month's closing adds up its days' closings, a
// year's its months' (listed on them by number); closings and duplicates add nothing to the totals.
import type { SalesKind } from './fiscal-chain.ts';
import { PAYMENT_WAYS, type PaymentWay } from './payment-split.ts';
import { vatBreakdown } from './vat.ts';

export const CLOSING_LEVELS = ['day', 'month', 'year'] as const;
export type ClosingLevel = (typeof CLOSING_LEVELS)[number];

/** The version of the coverage rule above, written on each closing. */
export const CLOSING_RULE = 'entries-up-to-throughSeq-of-day-or-before-not-covered-before:1';

/** Kinds that carry no money: left out of the totals (a closing, a receipt printed again). */
export const NO_MONEY_KINDS = ['closing', 'duplicate'] as const satisfies readonly SalesKind[];

/** The entries that state an order's whole sale, its lines: the sale, and a correction of it. */
export const SALE_BODY_KINDS = ['sale', 'sale_correction'] as const satisfies readonly SalesKind[];
/** The entries that change an order's sale stated before them: the totals read that statement with them (`prev`). */
export const SALE_CHANGING_KINDS = ['sale_correction', 'cancellation'] as const satisfies readonly SalesKind[];

/** The kinds that state what was sold (a sale, a correction of it, its cancellation). */
const SALES_STATEMENT_KINDS = ['sale', 'sale_correction', 'cancellation'];

/** A VAT line of a closing: rate in basis points (5,5 % is 550), amounts in cents. */
export interface RateLine {
  rateBp: number;
  netCents: number;
  vatCents: number;
  grossCents: number;
}

export interface ClosingTotals {
  /** Entries with money covered. */
  entries: number;
  counts: { sales: number; cancellations: number; corrections: number; refunds: number; creditNotes: number; payments: number };
  /** Orders sold, net: sales less cancellations. */
  ordersSold: number;
  /** What was sold, taxes included (sales, their corrections and cancellations), and per rate. */
  salesCents: number;
  sales: RateLine[];
  /** Managers' refunds as credit notes: how many, the money given back, by reason, and the VAT they give back per rate. */
  creditNotes: { count: number; cents: number; byReason: Record<string, number>; vat: RateLine[] };
  /** Sales less the credit notes, per rate: the turnover (chiffre d'affaires). */
  netSalesCents: number;
  net: RateLine[];
  /** Money taken by way (every way present). */
  taken: Record<PaymentWay, number>;
  takenCents: number;
  /** Money given back: to the card online, or cash at the shop. */
  givenBack: { onlineCents: number; cashCents: number };
  givenBackCents: number;
  /** Taken less given back. */
  moneyCents: number;
  /** Discounts (promo codes, points) on the orders sold, and the delivery fees sold. */
  discounts: { count: number; cents: number };
  deliveryFeesCents: number;
  /**
   * The grand total in absolute value: every sale statement and every credit note counted as a
   * positive amount (a sale of 30 € then its cancellation is 60 €), which only ever grows, beside
   * the signed totals above (a closing's perpetual totals carry both).
   */
  absoluteCents: number;
}

/** An entry as the totals read it; `prev`: for a correction or a cancellation, what its order's last sale statement said before it. */
export interface TotalsEntry {
  kind: string;
  salesCents: number;
  vatCents: number;
  moneyCents: number;
  body: Record<string, any>;
  prev?: Record<string, any> | null;
}

const noWays = () => Object.fromEntries(PAYMENT_WAYS.map((w) => [w, 0])) as Record<PaymentWay, number>;

export function emptyTotals(): ClosingTotals {
  return {
    entries: 0,
    counts: { sales: 0, cancellations: 0, corrections: 0, refunds: 0, creditNotes: 0, payments: 0 },
    ordersSold: 0,
    salesCents: 0,
    sales: [],
    creditNotes: { count: 0, cents: 0, byReason: {}, vat: [] },
    netSalesCents: 0,
    net: [],
    taken: noWays(),
    takenCents: 0,
    givenBack: { onlineCents: 0, cashCents: 0 },
    givenBackCents: 0,
    moneyCents: 0,
    discounts: { count: 0, cents: 0 },
    deliveryFeesCents: 0,
    absoluteCents: 0,
  };
}

/** VAT taken out once per rate of what was sold per rate (basis points), lines of nothing left out. */
export function rateLines(grossByRate: Map<number, number>): RateLine[] {
  return vatBreakdown([...grossByRate].map(([bp, grossCents]) => ({ rate: bp / 100, grossCents })))
    .filter((v) => v.grossCents !== 0)
    .map((v) => ({ rateBp: Math.round(v.rate * 100), netCents: v.netCents, vatCents: v.vatCents, grossCents: v.grossCents }));
}

const addTo = (m: Map<number, number>, k: number, v: number) => m.set(k, (m.get(k) ?? 0) + v);
const discountOf = (b: Record<string, any> | null | undefined): number => (b?.discount?.cents as number | undefined) ?? 0;
const feeOf = (b: Record<string, any> | null | undefined): number => (b?.deliveryFeeCents as number | undefined) ?? 0;

/**
 * What a period's entries add up to. VAT per rate is taken out once per rate of the period's sales
 * (as on a receipt and the takings page: src/lib/domain/vat.ts); a longer period adds its closings'
 * lines instead (addTotals), so a month is exactly the sum of its days.
 */
export function totalsOf(entries: readonly TotalsEntry[]): ClosingTotals {
  const t = emptyTotals();
  const sales = new Map<number, number>();
  const credits = new Map<number, number>();
  for (const e of entries) {
    if ((NO_MONEY_KINDS as readonly string[]).includes(e.kind)) continue;
    t.entries += 1;
    const b = e.body;
    if (e.kind === 'sale') t.counts.sales += 1;
    else if (e.kind === 'cancellation') t.counts.cancellations += 1;
    else if (e.kind === 'refund') t.counts.refunds += 1;
    else if (e.kind === 'payment') t.counts.payments += 1;
    else t.counts.corrections += 1;
    if (SALES_STATEMENT_KINDS.includes(e.kind)) {
      t.salesCents += e.salesCents;
      t.absoluteCents += Math.abs(e.salesCents);
      for (const v of b.vat ?? []) addTo(sales, v.rateBp, v.grossCents);
      // a sale states its discount and fee; a correction states them again (the difference counts); a cancellation takes them back
      const now = e.kind === 'cancellation' ? null : b;
      const before = e.kind === 'sale' ? null : e.prev;
      t.discounts.cents += discountOf(now) - discountOf(before);
      t.discounts.count += (discountOf(now) > 0 ? 1 : 0) - (discountOf(before) > 0 ? 1 : 0);
      t.deliveryFeesCents += feeOf(now) - feeOf(before);
    }
    if (e.kind === 'refund' && typeof b.refundId === 'number') {
      // a manager's credit note: the VAT it gives back per rate, and the money
      t.creditNotes.count += 1;
      const cents = (b.refunds ?? []).reduce((s: number, r: { cents: number }) => s + r.cents, 0);
      t.creditNotes.cents += cents;
      t.absoluteCents += Math.abs(cents);
      const reason = String(b.reason ?? 'other');
      t.creditNotes.byReason[reason] = (t.creditNotes.byReason[reason] ?? 0) + cents;
      for (const v of b.vat ?? []) addTo(credits, v.rateBp, -v.grossCents);
    }
    for (const p of b.payments ?? []) t.taken[p.way as PaymentWay] = (t.taken[p.way as PaymentWay] ?? 0) + p.cents;
    for (const r of b.refunds ?? []) {
      if (r.via === 'online') t.givenBack.onlineCents += r.cents;
      else t.givenBack.cashCents += r.cents;
    }
    t.moneyCents += e.moneyCents;
  }
  t.counts.creditNotes = t.creditNotes.count;
  t.ordersSold = t.counts.sales - t.counts.cancellations;
  t.sales = rateLines(sales);
  t.creditNotes.vat = rateLines(credits);
  const net = new Map(sales);
  for (const [bp, g] of credits) addTo(net, bp, -g);
  t.net = rateLines(net);
  t.netSalesCents = t.salesCents - t.creditNotes.cents;
  t.takenCents = PAYMENT_WAYS.reduce((s, w) => s + t.taken[w], 0);
  t.givenBackCents = t.givenBack.onlineCents + t.givenBack.cashCents;
  return t;
}

/** VAT lines added rate by rate, as each was rounded (nothing taken out again). */
function addLines(a: readonly RateLine[], b: readonly RateLine[]): RateLine[] {
  const by = new Map<number, RateLine>();
  for (const l of [...a, ...b]) {
    const v = by.get(l.rateBp) ?? { rateBp: l.rateBp, netCents: 0, vatCents: 0, grossCents: 0 };
    by.set(l.rateBp, { rateBp: l.rateBp, netCents: v.netCents + l.netCents, vatCents: v.vatCents + l.vatCents, grossCents: v.grossCents + l.grossCents });
  }
  return [...by.values()].filter((l) => l.grossCents !== 0 || l.vatCents !== 0).sort((x, y) => x.rateBp - y.rateBp);
}

/** Two periods' totals as one: a month of its days, the perpetual grand totals of the previous ones and this period. */
export function addTotals(a: ClosingTotals, b: ClosingTotals): ClosingTotals {
  const taken = noWays();
  for (const w of PAYMENT_WAYS) taken[w] = (a.taken[w] ?? 0) + (b.taken[w] ?? 0);
  const byReason: Record<string, number> = { ...a.creditNotes.byReason };
  for (const [r, c] of Object.entries(b.creditNotes.byReason)) byReason[r] = (byReason[r] ?? 0) + c;
  const c = (k: keyof ClosingTotals['counts']) => a.counts[k] + b.counts[k];
  return {
    entries: a.entries + b.entries,
    counts: { sales: c('sales'), cancellations: c('cancellations'), corrections: c('corrections'), refunds: c('refunds'), creditNotes: c('creditNotes'), payments: c('payments') },
    ordersSold: a.ordersSold + b.ordersSold,
    salesCents: a.salesCents + b.salesCents,
    sales: addLines(a.sales, b.sales),
    creditNotes: { count: a.creditNotes.count + b.creditNotes.count, cents: a.creditNotes.cents + b.creditNotes.cents, byReason, vat: addLines(a.creditNotes.vat, b.creditNotes.vat) },
    netSalesCents: a.netSalesCents + b.netSalesCents,
    net: addLines(a.net, b.net),
    taken,
    takenCents: a.takenCents + b.takenCents,
    givenBack: { onlineCents: a.givenBack.onlineCents + b.givenBack.onlineCents, cashCents: a.givenBack.cashCents + b.givenBack.cashCents },
    givenBackCents: a.givenBackCents + b.givenBackCents,
    moneyCents: a.moneyCents + b.moneyCents,
    discounts: { count: a.discounts.count + b.discounts.count, cents: a.discounts.cents + b.discounts.cents },
    deliveryFeesCents: a.deliveryFeesCents + b.deliveryFeesCents,
    // a closing written before the absolute total was kept says nothing of it: counted from what follows
    absoluteCents: (a.absoluteCents ?? 0) + (b.absoluteCents ?? 0),
  };
}

/** Many periods' totals as one. */
export const sumTotals = (list: readonly ClosingTotals[]): ClosingTotals => list.reduce(addTotals, emptyTotals());

// ---- periods (days as YYYY-MM-DD; all arithmetic in UTC on dates, no time of day involved) ----

const dateOf = (day: string) => new Date(`${day}T00:00:00Z`);
const dayOf = (d: Date) => d.toISOString().slice(0, 10);

/** The day after (or `n` days after). */
export const nextDay = (day: string, n = 1): string => {
  const d = dateOf(day);
  d.setUTCDate(d.getUTCDate() + n);
  return dayOf(d);
};

/** The days from `from` to `to`, both included (none when `from` is after `to`). */
export function daysFrom(from: string, to: string): string[] {
  const out: string[] = [];
  for (let d = from; d <= to; d = nextDay(d)) out.push(d);
  return out;
}

/** A period of a level: its first and last days, and the key that names it (`2026-11-27`, `2026-11`, `2026` or `2026-07/2027-06`). */
export interface Period {
  level: ClosingLevel;
  from: string;
  to: string;
  key: string;
}

export const dayPeriod = (day: string): Period => ({ level: 'day', from: day, to: day, key: day });

/** The month a day is in. */
export function monthPeriod(day: string): Period {
  const from = `${day.slice(0, 7)}-01`;
  const d = dateOf(from);
  d.setUTCMonth(d.getUTCMonth() + 1);
  d.setUTCDate(0);
  return { level: 'month', from, to: dayOf(d), key: day.slice(0, 7) };
}

/** The fiscal year a day is in, the year starting on the first of `startMonth` (1 to 12). */
export function yearPeriod(day: string, startMonth = 1): Period {
  const y = Number(day.slice(0, 4));
  const m = Number(day.slice(5, 7));
  const startYear = m >= startMonth ? y : y - 1;
  const mm = String(startMonth).padStart(2, '0');
  const from = `${startYear}-${mm}-01`;
  const end = dateOf(`${startYear + 1}-${mm}-01`);
  end.setUTCDate(0);
  const to = dayOf(end);
  return { level: 'year', from, to, key: startMonth === 1 ? String(startYear) : `${from.slice(0, 7)}/${to.slice(0, 7)}` };
}

/** The closings that fall due once `day` is closed: its own, its month's when it is the month's last day, its year's when that is the year's last. */
export function periodsClosedBy(day: string, yearStartMonth = 1): Period[] {
  const out = [dayPeriod(day)];
  const month = monthPeriod(day);
  if (month.to !== day) return out;
  out.push(month);
  const year = yearPeriod(day, yearStartMonth);
  if (year.to === day) out.push(year);
  return out;
}

/**
 * Of the entries a closing may cover (those after the last closing, and those it left for later),
 * the ones of `day` or before (covered), and the others (left for later), by their number.
 */
export function splitByDay<E extends { seq: number; day: string }>(candidates: readonly E[], day: string): { covered: E[]; pending: E[] } {
  const covered: E[] = [];
  const pending: E[] = [];
  for (const e of candidates) (e.day <= day ? covered : pending).push(e);
  const bySeq = (a: E, b: E) => a.seq - b.seq;
  return { covered: covered.sort(bySeq), pending: pending.sort(bySeq) };
}

/** Numbers as ranges ([first, last] pairs): how a closing lists what it covers, short. */
export function seqRanges(seqs: readonly number[]): [number, number][] {
  const out: [number, number][] = [];
  for (const s of [...seqs].sort((a, b) => a - b)) {
    const last = out.at(-1);
    if (last && s === last[1] + 1) last[1] = s;
    else out.push([s, s]);
  }
  return out;
}
