import { describe, expect, it } from 'vitest';
import { DELIVERY_FEE_VAT_RATE, VAT_RATES, isVatRate, vatBreakdown, vatRateFor } from './vat.ts';
import { priceOrder } from './pricing.ts';

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

describe('the VAT rate of a line, by the way the order is sold', () => {
  const can = { pickup: 5.5, delivery: 5.5 };
  const pizza = { pickup: 10, delivery: 10 };

  it('takes the product\'s rate for the way of the order: a sealed can at 5.5 % delivered, a pizza at 10 %', () => {
    expect(vatRateFor(can, 'delivery')).toBe(5.5);
    expect(vatRateFor(pizza, 'delivery')).toBe(10);
    expect(vatRateFor({ pickup: 10, delivery: 5.5 }, 'pickup')).toBe(10);
    expect(vatRateFor({ pickup: 10, delivery: 5.5 }, 'delivery')).toBe(5.5);
  });

  it('puts a product that says nothing at 10 %, food to be eaten at once', () => {
    expect(vatRateFor(undefined, 'pickup')).toBe(10);
    expect(vatRateFor({ pickup: 20 }, 'delivery')).toBe(10);
  });

  it('prices a delivered pizza and can each at its own rate, and a change of the product\'s rates later leaves the priced line alone', () => {
    const catalogue = new Map([
      [1, { id: 1, name: 'Margherita', category: 'pizza' as const, priceCents: 1190, vatRates: pizza }],
      [2, { id: 2, name: 'Coca-Cola 33 cl', category: 'drink' as const, priceCents: 300, vatRates: { ...can } }],
    ]);
    const priced = priceOrder([{ productId: 1, quantity: 1 }, { productId: 2, quantity: 1 }], catalogue, 'delivery');
    if (!priced.ok) throw new Error('not priced');
    expect(priced.lines.map((l) => [l.name, l.vatRate])).toEqual([['Margherita', 10], ['Coca-Cola 33 cl', 5.5]]);
    catalogue.get(2)!.vatRates.delivery = 10;
    expect(priced.lines[1].vatRate).toBe(5.5);
    // what the receipt shows: 11.90 € at 10 %, 3.00 € at 5.5 %, and the fee (2.50 €) at the food's 10 %
    expect(vatBreakdown([...priced.lines.map((l) => ({ rate: l.vatRate, grossCents: l.lineTotalCents })), { rate: DELIVERY_FEE_VAT_RATE, grossCents: priced.deliveryFeeCents }])).toEqual([
      { rate: 5.5, netCents: 284, vatCents: 16, grossCents: 300 },
      { rate: 10, netCents: 1309, vatCents: 131, grossCents: 1440 },
    ]);
  });

  it('knows the legal rates of a pizzeria\'s sales, and no other', () => {
    expect(VAT_RATES.every(isVatRate)).toBe(true);
    for (const bad of [0, 2.1, 5, 7, 19.6, 21, Number.NaN]) expect(isVatRate(bad)).toBe(false);
  });
});
