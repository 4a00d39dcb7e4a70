import { describe, expect, it } from 'vitest';
import { grossByRate, paidByLine, proRataByRate, unitsRefundCents } from './refunds.ts';

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

describe('what a line was paid after a discount', () => {
  it('shares each rate\'s discount among its lines, adding up to what the rate sold', () => {
    // a margherita (10,50 € at 10 %) and a beer (4,00 € at 20 %), 69 % off: 7,25 € off at 10 %, 2,76 € at 20 %
    const paid = paidByLine([{ itemId: 1, rate: 10, grossCents: 1050 }, { itemId: 2, rate: 20, grossCents: 400 }], [{ rate: 10, cents: 725 }, { rate: 20, cents: 276 }]);
    expect(paid).toEqual(new Map([[1, 325], [2, 124]]));
    // two lines at one rate: pro rata, the odd cent to the largest remainder
    const two = paidByLine([{ itemId: 1, rate: 10, grossCents: 1000 }, { itemId: 2, rate: 10, grossCents: 500 }], [{ rate: 10, cents: 100 }]);
    expect(two).toEqual(new Map([[1, 933], [2, 467]]));
    expect([...two.values()].reduce((a, b) => a + b, 0)).toBe(1400);
  });

  it('points\' discount is the free pizza\'s alone', () => {
    const paid = paidByLine(
      [{ itemId: 1, rate: 10, grossCents: 1050 }, { itemId: 2, rate: 10, grossCents: 1250 }, { itemId: 3, rate: 10, grossCents: 300 }],
      [{ rate: 10, cents: 1250 }],
      2,
    );
    expect(paid).toEqual(new Map([[1, 1050], [2, 0], [3, 300]]));
  });

  it('refunding a line unit by unit adds up to what it was paid', () => {
    const parts = [unitsRefundCents(1000, 3, 0, 1), unitsRefundCents(1000, 3, 1, 1), unitsRefundCents(1000, 3, 2, 1)];
    expect(parts).toEqual([333, 334, 333]);
    expect(unitsRefundCents(1000, 3, 0, 3)).toBe(1000);
    expect(unitsRefundCents(124, 1, 0, 1)).toBe(124);
  });
});
