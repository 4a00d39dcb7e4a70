import { describe, expect, it } from 'vitest';
import { isOpenAt, nextOpening, parseTime, type OpeningHours } from './opening-hours.ts';

// a pizzeria's week: lunch and dinner on weekdays, late on Friday and Saturday (past midnight),
// dinner only on Sunday, closed on Monday
const SHOP: OpeningHours = {
  week: {
    2: [['11:30', '14:30'], ['18:00', '23:00']],
    3: [['11:30', '14:30'], ['18:00', '23:00']],
    4: [['11:30', '14:30'], ['18:00', '23:00']],
    5: [['11:30', '14:30'], ['18:00', '01:00']],
    6: [['18:00', '02:00']],
    7: [['18:00', '22:30']],
  },
  closedOn: ['2026-12-25'],
};

// instants in UTC; Paris is UTC+1 in winter, UTC+2 in summer
const at = (iso: string) => new Date(iso);

describe('opening hours, in Paris time', () => {
  it('reads "HH:MM" and refuses anything else', () => {
    expect(parseTime('00:00')).toBe(0);
    expect(parseTime('18:30')).toBe(1110);
    expect(parseTime('24:00')).toBe(1440);
    for (const bad of ['24:01', '7:00', '18h30', '', '25:00', '12:60']) expect(parseTime(bad), bad).toBeNaN();
  });

  it('is open during a span and closed between them, in winter and in summer time', () => {
    // Tuesday 24 November 2026 (winter): 12:00 Paris = 11:00 UTC
    expect(isOpenAt(SHOP, at('2026-11-24T11:00:00Z'))).toBe(true);
    expect(isOpenAt(SHOP, at('2026-11-24T15:00:00Z'))).toBe(false); // 16:00 Paris
    expect(isOpenAt(SHOP, at('2026-11-24T17:00:00Z'))).toBe(true); // 18:00 Paris, opening minute
    expect(isOpenAt(SHOP, at('2026-11-24T22:00:00Z'))).toBe(false); // 23:00 Paris, closing minute
    // Tuesday 23 June 2026 (summer): 12:00 Paris = 10:00 UTC; 17:30 UTC = 19:30 Paris
    expect(isOpenAt(SHOP, at('2026-06-23T10:00:00Z'))).toBe(true);
    expect(isOpenAt(SHOP, at('2026-06-23T13:00:00Z'))).toBe(false); // 15:00 Paris
    expect(isOpenAt(SHOP, at('2026-06-23T17:30:00Z'))).toBe(true);
  });

  it('keeps a late span open past midnight, on the next calendar day', () => {
    // Saturday 28 November 18:00 to Sunday 02:00 Paris
    expect(isOpenAt(SHOP, at('2026-11-29T00:30:00Z'))).toBe(true); // Sunday 01:30 Paris
    expect(isOpenAt(SHOP, at('2026-11-29T01:00:00Z'))).toBe(false); // Sunday 02:00 Paris
    // Monday is closed, and Sunday's span ends at 22:30
    expect(isOpenAt(SHOP, at('2026-11-29T21:00:00Z'))).toBe(true); // Sunday 22:00
    expect(isOpenAt(SHOP, at('2026-11-30T11:00:00Z'))).toBe(false); // Monday noon
  });

  it('stays closed on a closed day, but a span begun the evening before still ends', () => {
    // Friday 25 December 2026 is closed; Thursday 24's span ends at 23:00
    expect(isOpenAt(SHOP, at('2026-12-25T11:00:00Z'))).toBe(false);
    expect(isOpenAt(SHOP, at('2026-12-25T19:00:00Z'))).toBe(false);
    const lateEve: OpeningHours = { week: { 4: [['18:00', '01:00']] }, closedOn: ['2026-12-25'] };
    expect(isOpenAt(lateEve, at('2026-12-24T23:30:00Z'))).toBe(true); // Friday 00:30 Paris, Thursday's span
  });

  it('says when the shop next opens', () => {
    // Tuesday 16:00 Paris → Tuesday 18:00 Paris (17:00 UTC)
    expect(nextOpening(SHOP, at('2026-11-24T15:00:00Z'))?.toISOString()).toBe('2026-11-24T17:00:00.000Z');
    // Sunday 23:00 Paris → Tuesday 11:30 Paris (10:30 UTC), Monday being closed
    expect(nextOpening(SHOP, at('2026-11-29T22:00:00Z'))?.toISOString()).toBe('2026-12-01T10:30:00.000Z');
    // Christmas morning → Saturday 26 December 18:00 Paris
    expect(nextOpening(SHOP, at('2026-12-25T08:00:00Z'))?.toISOString()).toBe('2026-12-26T17:00:00.000Z');
    // open now: now
    expect(nextOpening(SHOP, at('2026-11-24T11:00:00Z'))?.toISOString()).toBe('2026-11-24T11:00:00.000Z');
    // across the change to summer time: Saturday 28 March 2026 at 03:00 Paris → 18:00 Paris (16:00 UTC)
    expect(nextOpening(SHOP, at('2026-03-28T02:00:00Z'))?.toISOString()).toBe('2026-03-28T17:00:00.000Z');
    expect(nextOpening(SHOP, at('2026-03-29T15:00:00Z'))?.toISOString()).toBe('2026-03-29T16:00:00.000Z'); // Sunday, now UTC+2
    expect(nextOpening({ week: {} }, at('2026-11-24T11:00:00Z'))).toBeNull();
  });
});
