import { describe, expect, it } from 'vitest';
import { checkVoucher, closedDayOf, easterSunday, eligibleCents, frenchPublicHolidays, parisDay, voucherMaxCents } from './meal-vouchers.ts';

// a Tuesday lunch in Paris (2026-11-24 12:30 CET), and the Sunday before it
const TUESDAY = Date.parse('2026-11-24T11:30:00Z');
const SUNDAY = Date.parse('2026-11-22T11:30:00Z');
// two pizzas and a soda (10 %, 5.5 %) and a beer (20 %): 36 € of food, 4 € of beer
const lines = [{ rate: 10, paidCents: 3000 }, { rate: 5.5, paidCents: 600 }, { rate: 20, paidCents: 400 }];
const ask = { lines, dueCents: 4000, usedTodayCents: 0, dailyLimitCents: 2500, at: TUESDAY, openOnClosedDays: false };

describe('titres-restaurant', () => {
  it('pay only food and soft drinks: the beer is kept off', () => {
    expect(eligibleCents(lines)).toBe(3600);
    expect(checkVoucher({ ...ask, lines: [{ rate: 10, paidCents: 1000 }, { rate: 20, paidCents: 3000 }], amountCents: 1200 })).toEqual({ refused: 'not_eligible', maxCents: 1000 });
  });

  it('pay at most the daily amount per card, counting what the card paid already today', () => {
    expect(checkVoucher({ ...ask, amountCents: 2500 })).toEqual({ ok: true });
    expect(checkVoucher({ ...ask, amountCents: 2501 })).toEqual({ refused: 'daily_limit', maxCents: 2500 });
    expect(checkVoucher({ ...ask, usedTodayCents: 1000, amountCents: 1600 })).toEqual({ refused: 'daily_limit', maxCents: 1500 });
    // the legal amount is a setting
    expect(checkVoucher({ ...ask, dailyLimitCents: 3000, amountCents: 2800 })).toEqual({ ok: true });
    expect(voucherMaxCents({ ...ask, usedTodayCents: 2000 })).toBe(500);
  });

  it('are refused on Sundays and public holidays, unless the shop accepts them those days', () => {
    expect(checkVoucher({ ...ask, at: SUNDAY, amountCents: 1000 })).toEqual({ refused: 'sunday' });
    expect(checkVoucher({ ...ask, at: SUNDAY, openOnClosedDays: true, amountCents: 1000 })).toEqual({ ok: true });
    // 11 November, a Wednesday in 2026
    expect(checkVoucher({ ...ask, at: Date.parse('2026-11-11T12:00:00Z'), amountCents: 1000 })).toEqual({ refused: 'holiday' });
    expect(voucherMaxCents({ ...ask, at: SUNDAY })).toBe(0);
  });

  it("count the day in Paris: Saturday 23:30 in Paris is Saturday, though it is Sunday nowhere yet, and Sunday 00:30 is Sunday", () => {
    expect(parisDay(Date.parse('2026-11-21T22:30:00Z'))).toBe('2026-11-21');
    expect(closedDayOf(parisDay(Date.parse('2026-11-21T22:30:00Z')))).toBeNull();
    expect(closedDayOf(parisDay(Date.parse('2026-11-21T23:30:00Z')))).toBe('sunday');
  });

  it("know France's moving holidays: Easter Monday, Ascension, Whit Monday", () => {
    expect(easterSunday(2026)).toBe('2026-04-05');
    expect(easterSunday(2027)).toBe('2027-03-28');
    expect(frenchPublicHolidays(2026)).toEqual(['2026-01-01', '2026-04-06', '2026-05-01', '2026-05-08', '2026-05-14', '2026-05-25', '2026-07-14', '2026-08-15', '2026-11-01', '2026-11-11', '2026-12-25']);
    expect(closedDayOf('2027-05-06')).toBe('holiday'); // Ascension 2027
    expect(closedDayOf('2026-11-24')).toBeNull();
  });

  it('never pay more than the order still owes', () => {
    expect(checkVoucher({ ...ask, dueCents: 1500, amountCents: 2000 })).toEqual({ refused: 'more_than_due', maxCents: 1500 });
  });
});
