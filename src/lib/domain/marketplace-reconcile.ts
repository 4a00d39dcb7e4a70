// A delivery platform's week, held against our own orders: what we sold through the platform (our
// platform orders of the store and week, not cancelled) beside what the platform's payout report
// says of them (their total, the refunds it granted its customers, its commission, what it pays the
// shop), and every difference between the two: an order in their report we do not have, one we have
// that they do not, a total that differs, a payout that is not the sum of its orders. Pure: the
// service (src/lib/server/marketplaces/reconcile.ts) reads the rows and the report.

/** One of our platform orders of the week. */
export interface OurPlatformOrder {
  externalId: string;
  number: number;
  totalCents: number;
  /** The commission we expected when it was accepted (the store's rate), if known. */
  commissionCents: number | null;
}

/** What a platform's payout report says (MarketplaceReport, src/lib/server/marketplaces/provider.ts). */
export interface ReportedWeek {
  orders: { externalId: string; totalCents: number; commissionCents: number; refundCents: number; payoutCents: number }[];
  adjustmentsCents: number;
  payoutCents: number;
}

export type ReconcileDifference =
  | { kind: 'missing_here'; externalId: string; theirTotalCents: number }
  | { kind: 'missing_there'; externalId: string; number: number; ourTotalCents: number }
  | { kind: 'total_differs'; externalId: string; number: number; ourTotalCents: number; theirTotalCents: number }
  | { kind: 'payout_differs'; reportedCents: number; ordersCents: number };

export interface ReconciledWeek {
  /** Ours: how many and their total. */
  ours: { count: number; totalCents: number; expectedCommissionCents: number };
  /** Theirs, from the report (null: no report fetched yet). */
  theirs: { count: number; totalCents: number; refundsCents: number; commissionCents: number; adjustmentsCents: number; payoutCents: number } | null;
  /** What the shop should be paid by our orders: our total, less their commission and refunds, plus their adjustments. */
  expectedPayoutCents: number | null;
  differences: ReconcileDifference[];
}

const sum = <T>(xs: readonly T[], f: (x: T) => number) => xs.reduce((n, x) => n + f(x), 0);

/** Our week beside the platform's report of it, and every difference, ours first by number, then theirs. */
export function reconcileWeek(ours: readonly OurPlatformOrder[], report: ReportedWeek | null): ReconciledWeek {
  const mine = {
    count: ours.length,
    totalCents: sum(ours, (o) => o.totalCents),
    expectedCommissionCents: sum(ours, (o) => o.commissionCents ?? 0),
  };
  if (!report) return { ours: mine, theirs: null, expectedPayoutCents: null, differences: [] };
  const theirs = {
    count: report.orders.length,
    totalCents: sum(report.orders, (o) => o.totalCents),
    refundsCents: sum(report.orders, (o) => o.refundCents),
    commissionCents: sum(report.orders, (o) => o.commissionCents),
    adjustmentsCents: report.adjustmentsCents,
    payoutCents: report.payoutCents,
  };
  const differences: ReconcileDifference[] = [];
  const byId = new Map(report.orders.map((o) => [o.externalId, o]));
  for (const o of [...ours].sort((a, b) => a.number - b.number)) {
    const r = byId.get(o.externalId);
    if (!r) differences.push({ kind: 'missing_there', externalId: o.externalId, number: o.number, ourTotalCents: o.totalCents });
    else if (r.totalCents !== o.totalCents) differences.push({ kind: 'total_differs', externalId: o.externalId, number: o.number, ourTotalCents: o.totalCents, theirTotalCents: r.totalCents });
  }
  const ourIds = new Set(ours.map((o) => o.externalId));
  for (const r of report.orders) if (!ourIds.has(r.externalId)) differences.push({ kind: 'missing_here', externalId: r.externalId, theirTotalCents: r.totalCents });
  const ordersPayout = sum(report.orders, (o) => o.payoutCents) + report.adjustmentsCents;
  if (ordersPayout !== report.payoutCents) differences.push({ kind: 'payout_differs', reportedCents: report.payoutCents, ordersCents: ordersPayout });
  const expectedPayoutCents = mine.totalCents - theirs.commissionCents - theirs.refundsCents + theirs.adjustmentsCents;
  return { ours: mine, theirs, expectedPayoutCents, differences };
}

/** The Monday (YYYY-MM-DD) of the week of a date (YYYY-MM-DD). */
export function weekStartOf(day: string): string {
  const d = new Date(`${day}T00:00:00Z`);
  const back = (d.getUTCDay() + 6) % 7;
  d.setUTCDate(d.getUTCDate() - back);
  return d.toISOString().slice(0, 10);
}

/** Whether a text is a Monday as YYYY-MM-DD (a week's first day). */
export function isWeekStart(s: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(s)) return false;
  const d = new Date(`${s}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s && d.getUTCDay() === 1;
}
