import { describe, expect, it } from 'vitest';
import { vatBreakdown } from './vat.ts';

describe('VAT on a receipt', () => {
  it('takes the VAT out of what was sold at each rate, and the parts add up to what was paid', () => {
    // two pizzas (10 %), a beer (20 %), a delivery fee (10 %)
    const lines = vatBreakdown([{ rate: 10, grossCents: 2 * 1250 }, { rate: 20, grossCents: 400 }, { rate: 10, grossCents: 250 }]);
    expect(lines).toEqual([
      { rate: 10, netCents: 2500, vatCents: 250, grossCents: 2750 },
      { rate: 20, netCents: 333, vatCents: 67, grossCents: 400 },
    ]);
    expect(lines.reduce((s, l) => s + l.netCents + l.vatCents, 0)).toBe(3150);
  });

  it('rounds once per rate, to the cent, and leaves out rates with nothing sold', () => {
    expect(vatBreakdown([{ rate: 5.5, grossCents: 999 }, { rate: 20, grossCents: 0 }])).toEqual([{ rate: 5.5, netCents: 947, vatCents: 52, grossCents: 999 }]);
    expect(vatBreakdown([])).toEqual([]);
  });
});
