import { describe, expect, it } from 'vitest';
import {
  addTotals, daysFrom, emptyTotals, monthPeriod, nextDay, periodsClosedBy, seqRanges, splitByDay, sumTotals, totalsOf, yearPeriod, type TotalsEntry,
} from './fiscal-closing.ts';

const vat = (rateBp: number, grossCents: number) => {
  const vatCents = Math.round((grossCents * rateBp) / (10000 + rateBp));
  return { rateBp, grossCents, vatCents, netCents: grossCents - vatCents };
};

// a day: a counter sale paid cash 14,50 (10,50 at 10 %, 4,00 at 20 %), a delivery paid at the door
// 13,00 (with 2,50 of fees) with a 3,00 promo, the beer of the first refunded by the manager, an
// online sale cancelled after payment and refunded, and a correction of a sale down by 1,00
const day: TotalsEntry[] = [
  { kind: 'sale', salesCents: 1450, vatCents: 162, moneyCents: 1450, body: { vat: [vat(1000, 1050), vat(2000, 400)], payments: [{ way: 'counter_cash', cents: 1450 }], deliveryFeeCents: 0, discount: null } },
  { kind: 'sale', salesCents: 1300, vatCents: 118, moneyCents: 1300, body: { vat: [vat(1000, 1300)], payments: [{ way: 'door_cash', cents: 1300 }], deliveryFeeCents: 250, discount: { cents: 300 } } },
  { kind: 'refund', salesCents: -400, vatCents: -67, moneyCents: -400, body: { refundId: 7, reason: 'quality', vat: [vat(2000, -400)], refunds: [{ via: 'cash', cents: 400 }] } },
  { kind: 'sale', salesCents: 1050, vatCents: 95, moneyCents: 1050, body: { vat: [vat(1000, 1050)], payments: [{ way: 'online', cents: 1050 }], deliveryFeeCents: 0, discount: null } },
  { kind: 'cancellation', salesCents: -1050, vatCents: -95, moneyCents: 0, body: { vat: [vat(1000, -1050)] }, prev: { deliveryFeeCents: 0, discount: null } },
  { kind: 'refund', salesCents: 0, vatCents: 0, moneyCents: -1050, body: { refundId: null, reason: 'cancelled', vat: [], refunds: [{ via: 'online', cents: 1050 }] } },
  { kind: 'sale_correction', salesCents: -100, vatCents: -9, moneyCents: 0, body: { vat: [vat(1000, -100)], deliveryFeeCents: 250, discount: { cents: 400 } }, prev: { deliveryFeeCents: 250, discount: { cents: 300 } } },
  { kind: 'duplicate', salesCents: 0, vatCents: 0, moneyCents: 0, body: {} },
];

describe('a period\'s totals', () => {
  it('add up the sales per VAT rate (VAT taken out once per rate), the money per way, the refunds, the credit notes and the counts', () => {
    const t = totalsOf(day);
    expect(t.entries).toBe(7);
    expect(t.counts).toEqual({ sales: 3, cancellations: 1, corrections: 1, refunds: 2, creditNotes: 1, payments: 0 });
    expect(t.ordersSold).toBe(2);
    expect(t.salesCents).toBe(1450 + 1300 + 1050 - 1050 - 100);
    // 10 %: 10,50 + 13,00 + 10,50 − 10,50 − 1,00 = 22,50; 20 %: 4,00
    expect(t.sales).toEqual([
      { rateBp: 1000, grossCents: 2250, vatCents: 205, netCents: 2045 },
      { rateBp: 2000, grossCents: 400, vatCents: 67, netCents: 333 },
    ]);
    // the beer given back: nothing left at 20 %
    expect(t.creditNotes).toEqual({ count: 1, cents: 400, byReason: { quality: 400 }, vat: [{ rateBp: 2000, grossCents: 400, vatCents: 67, netCents: 333 }] });
    expect(t.net).toEqual([{ rateBp: 1000, grossCents: 2250, vatCents: 205, netCents: 2045 }]);
    expect(t.netSalesCents).toBe(2250);
    expect(t.taken).toMatchObject({ counter_cash: 1450, door_cash: 1300, online: 1050, door_card: 0 });
    expect(t.takenCents).toBe(3800);
    expect(t.givenBack).toEqual({ onlineCents: 1050, cashCents: 400 });
    expect(t.moneyCents).toBe(3800 - 1450);
    // the promo stated 3,00 then 4,00 by the correction: 4,00 in all, on one order
    expect(t.discounts).toEqual({ count: 1, cents: 400 });
    expect(t.deliveryFeesCents).toBe(250);
  });

  it('of nothing are zero, with every payment way present', () => {
    expect(totalsOf([])).toEqual(emptyTotals());
    expect(Object.values(emptyTotals().taken).every((v) => v === 0)).toBe(true);
  });

  it('of two periods added are the totals of both, so a month is its days and the perpetual grand totals the previous ones plus this period', () => {
    const a = totalsOf(day.slice(0, 3));
    const b = totalsOf(day.slice(3));
    const both = addTotals(a, b);
    expect(both.salesCents).toBe(totalsOf(day).salesCents);
    expect(both.takenCents).toBe(totalsOf(day).takenCents);
    expect(both.moneyCents).toBe(totalsOf(day).moneyCents);
    expect(both.counts).toEqual(totalsOf(day).counts);
    expect(both.creditNotes.byReason).toEqual({ quality: 400 });
    // VAT lines add as each was rounded: gross exactly, VAT as the days said
    expect(both.net.map((l) => l.grossCents)).toEqual(totalsOf(day).net.map((l) => l.grossCents));
    expect(both.net[0].vatCents).toBe(a.net[0].vatCents + b.net[0].vatCents);
    expect(sumTotals([a, b, emptyTotals()])).toEqual(both);
    expect(addTotals(emptyTotals(), a)).toEqual(a);
  });
});

describe('periods', () => {
  it('count days across months and years', () => {
    expect(nextDay('2026-02-28')).toBe('2026-03-01');
    expect(nextDay('2024-02-28')).toBe('2024-02-29');
    expect(nextDay('2026-12-31')).toBe('2027-01-01');
    expect(nextDay('2026-03-01', -1)).toBe('2026-02-28');
    expect(daysFrom('2026-11-29', '2026-12-02')).toEqual(['2026-11-29', '2026-11-30', '2026-12-01', '2026-12-02']);
    expect(daysFrom('2026-11-29', '2026-11-28')).toEqual([]);
  });

  it('name a month and a fiscal year, whichever month the year starts', () => {
    expect(monthPeriod('2026-02-14')).toEqual({ level: 'month', from: '2026-02-01', to: '2026-02-28', key: '2026-02' });
    expect(yearPeriod('2026-11-27')).toEqual({ level: 'year', from: '2026-01-01', to: '2026-12-31', key: '2026' });
    expect(yearPeriod('2026-03-10', 7)).toEqual({ level: 'year', from: '2025-07-01', to: '2026-06-30', key: '2025-07/2026-06' });
    expect(yearPeriod('2026-07-01', 7).from).toBe('2026-07-01');
  });

  it('fall due with their last day: a month with its last day, a year with its last month\'s', () => {
    expect(periodsClosedBy('2026-11-27').map((p) => p.key)).toEqual(['2026-11-27']);
    expect(periodsClosedBy('2026-11-30').map((p) => p.key)).toEqual(['2026-11-30', '2026-11']);
    expect(periodsClosedBy('2026-12-31').map((p) => p.key)).toEqual(['2026-12-31', '2026-12', '2026']);
    expect(periodsClosedBy('2026-12-31', 7).map((p) => p.key)).toEqual(['2026-12-31', '2026-12']);
    expect(periodsClosedBy('2027-06-30', 7).map((p) => p.key)).toEqual(['2027-06-30', '2027-06', '2026-07/2027-06']);
  });
});

describe('what a day\'s closing covers', () => {
  it('the entries not covered yet of its day or before, in number order; those of a later day are left for later', () => {
    const candidates = [
      { seq: 12, day: '2026-11-26' },
      { seq: 9, day: '2026-11-25' }, // written after the 25th was closed: covered by the 26th
      { seq: 13, day: '2026-11-27' }, // a preorder for tomorrow
      { seq: 14, day: '2026-11-26' },
    ];
    const { covered, pending } = splitByDay(candidates, '2026-11-26');
    expect(covered.map((e) => e.seq)).toEqual([9, 12, 14]);
    expect(pending.map((e) => e.seq)).toEqual([13]);
  });

  it('lists them as ranges of numbers', () => {
    expect(seqRanges([5, 3, 4, 9, 10, 12])).toEqual([[3, 5], [9, 10], [12, 12]]);
    expect(seqRanges([])).toEqual([]);
  });
});
