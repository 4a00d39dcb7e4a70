import { describe, expect, it } from 'vitest';
import { isWeekStart, reconcileWeek, weekStartOf, type OurPlatformOrder, type ReportedWeek } from './marketplace-reconcile.ts';

const ours: OurPlatformOrder[] = [
  { externalId: 'A', number: 12, totalCents: 2500, commissionCents: 750 },
  { externalId: 'B', number: 10, totalCents: 1050, commissionCents: 315 },
  { externalId: 'C', number: 14, totalCents: 1400, commissionCents: 420 },
];
const line = (externalId: string, totalCents: number, refundCents = 0) => {
  const commissionCents = Math.round(totalCents * 0.3);
  return { externalId, totalCents, commissionCents, refundCents, payoutCents: totalCents - commissionCents - refundCents };
};

describe('a platform week held against our orders', () => {
  it('agrees when the report has every order at our total, and the payout is ours less their commission and refunds', () => {
    const report: ReportedWeek = { orders: [line('A', 2500), line('B', 1050, 1050), line('C', 1400)], adjustmentsCents: 0, payoutCents: 0 };
    report.payoutCents = report.orders.reduce((n, o) => n + o.payoutCents, 0);
    const w = reconcileWeek(ours, report);
    expect(w.ours).toEqual({ count: 3, totalCents: 4950, expectedCommissionCents: 1485 });
    expect(w.theirs).toEqual({ count: 3, totalCents: 4950, refundsCents: 1050, commissionCents: 750 + 315 + 420, adjustmentsCents: 0, payoutCents: 4950 - 1485 - 1050 });
    expect(w.expectedPayoutCents).toBe(w.theirs!.payoutCents);
    expect(w.differences).toEqual([]);
  });

  it('lists an order only we have, one only they have, a total that differs and a payout that is not the sum of its orders', () => {
    const report: ReportedWeek = { orders: [line('A', 2400), line('C', 1400), line('Z', 900)], adjustmentsCents: -200, payoutCents: 1000 };
    const w = reconcileWeek(ours, report);
    expect(w.differences).toEqual([
      { kind: 'missing_there', externalId: 'B', number: 10, ourTotalCents: 1050 },
      { kind: 'total_differs', externalId: 'A', number: 12, ourTotalCents: 2500, theirTotalCents: 2400 },
      { kind: 'missing_here', externalId: 'Z', theirTotalCents: 900 },
      { kind: 'payout_differs', reportedCents: 1000, ordersCents: 1680 + 980 + 630 - 200 },
    ]);
  });

  it('shows our side alone before the report is fetched', () => {
    const w = reconcileWeek(ours, null);
    expect(w).toEqual({ ours: { count: 3, totalCents: 4950, expectedCommissionCents: 1485 }, theirs: null, expectedPayoutCents: null, differences: [] });
  });

  it('names a week by its Monday', () => {
    expect(weekStartOf('2026-11-27')).toBe('2026-11-23');
    expect(weekStartOf('2026-11-23')).toBe('2026-11-23');
    expect(weekStartOf('2026-11-29')).toBe('2026-11-23');
    expect(isWeekStart('2026-11-23')).toBe(true);
    expect(isWeekStart('2026-11-24')).toBe(false);
    expect(isWeekStart('2026-02-30')).toBe(false);
    expect(isWeekStart('23/11/2026')).toBe(false);
  });
});
