import { describe, expect, it } from 'vitest';
import { KEPT_WITHIN_MINUTES, isKept, promiseFigures } from './promise-figures.ts';

describe('promiseFigures', () => {
  it('says how many promises were kept, by how much they missed, and hour by hour', () => {
    const f = promiseFigures([
      { hour: 19, errorMinutes: -4 },
      { hour: 19, errorMinutes: 2 },
      { hour: 20, errorMinutes: 0 },
      { hour: 20, errorMinutes: 10 },
      { hour: 20, errorMinutes: -1 },
    ]);
    // 10 minutes late is the only one past the 5 minutes a promise is kept within
    expect(f).toMatchObject({ count: 5, kept: 4 / 5, mae: 3.4, p90: 10, median: 0 });
    expect(f.byHour).toEqual([
      { hour: 19, count: 2, kept: 1, mae: 3, p90: 4, median: -4 },
      { hour: 20, count: 3, kept: 2 / 3, mae: 3.7, p90: 10, median: 0 },
    ]);
  });

  it('keeps a promise done up to 5 minutes past it, early or not, and no later: one window for every shop and every row', () => {
    expect(KEPT_WITHIN_MINUTES).toBe(5);
    expect([-30, -5, 0, 4.9, 5].every(isKept)).toBe(true);
    expect([5.1, 6, 15].some(isKept)).toBe(false);
  });

  it('lists the hours in the order of the service: an evening past midnight ends with its small hours', () => {
    const f = promiseFigures([{ hour: 0, errorMinutes: 1 }, { hour: 23, errorMinutes: 1 }, { hour: 19, errorMinutes: 1 }]);
    expect(f.byHour.map((h) => h.hour)).toEqual([19, 23, 0]);
  });

  it('says nothing of a day without orders done', () => {
    expect(promiseFigures([])).toEqual({ count: 0, kept: 0, mae: null, p90: null, median: null, byHour: [] });
  });
});
