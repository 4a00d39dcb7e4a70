import { describe, expect, it } from 'vitest';
import { promiseFigures } from './promise-figures.ts';

describe('promiseFigures', () => {
  it('says how many promises were kept, by how much they missed, and hour by hour', () => {
    const f = promiseFigures([
      { hour: 19, errorMinutes: -4 },
      { hour: 19, errorMinutes: 2 },
      { hour: 20, errorMinutes: 0 },
      { hour: 20, errorMinutes: 10 },
      { hour: 20, errorMinutes: -1 },
    ]);
    expect(f).toMatchObject({ count: 5, kept: 3 / 5, mae: 3.4, p90: 10, median: 0 });
    expect(f.byHour).toEqual([
      { hour: 19, count: 2, kept: 0.5, mae: 3, p90: 4, median: -4 },
      { hour: 20, count: 3, kept: 2 / 3, mae: 3.7, p90: 10, median: 0 },
    ]);
  });

  it('says nothing of a day without orders done', () => {
    expect(promiseFigures([])).toEqual({ count: 0, kept: 0, mae: null, p90: null, median: null, byHour: [] });
  });
});
