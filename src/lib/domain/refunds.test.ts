import { describe, expect, it } from 'vitest';
import { grossByRate, proRataByRate } from './refunds.ts';

describe('the VAT of a refund', () => {
  it('gives back each rate its share of the order, in cents that add up to the amount', () => {
    // 20.00 of food at 10 %, 5.00 of drinks at 20 %: 10.00 back is 8.00 and 2.00
    expect(proRataByRate(1000, [{ rate: 10, grossCents: 2000 }, { rate: 20, grossCents: 500 }])).toEqual([
      { rate: 10, grossCents: 800 },
      { rate: 20, grossCents: 200 },
    ]);
    // thirds: the odd cent goes to the largest remainder, and the parts add up
    const parts = proRataByRate(100, [{ rate: 5.5, grossCents: 100 }, { rate: 10, grossCents: 100 }, { rate: 20, grossCents: 100 }]);
    expect(parts.reduce((s, p) => s + p.grossCents, 0)).toBe(100);
    expect(parts.map((p) => p.grossCents).sort()).toEqual([33, 33, 34]);
  });

  it('a whole refund gives back exactly what each rate cost', () => {
    const order = [{ rate: 10, grossCents: 1250 }, { rate: 20, grossCents: 350 }, { rate: 10, grossCents: 300 }];
    expect(proRataByRate(1900, order)).toEqual(grossByRate(order));
  });

  it('nothing to share gives nothing back', () => {
    expect(proRataByRate(0, [{ rate: 10, grossCents: 100 }])).toEqual([]);
  });
});
