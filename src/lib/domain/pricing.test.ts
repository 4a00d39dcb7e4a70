import { describe, expect, it } from 'vitest';
import { amountToCollect, priceOrder, type PricedProduct } from './pricing.ts';

const catalogue = new Map<number, PricedProduct>([
  [1, { id: 1, name: 'Margherita', category: 'pizza', priceCents: 1050 }],
  [2, { id: 2, name: 'Coca-Cola 33 cl', category: 'drink', priceCents: 300 }],
]);

describe('server-side prices', () => {
  it('prices from the catalogue and merges repeated lines', () => {
    const r = priceOrder([{ productId: 1, quantity: 1 }, { productId: 2, quantity: 2 }, { productId: 1, quantity: 1 }], catalogue, 'pickup');
    expect(r.ok && r.lines.map((l) => [l.productId, l.quantity, l.lineTotalCents])).toEqual([[1, 2, 2100], [2, 2, 600]]);
    expect(r.ok && r.totalCents).toBe(2700);
  });

  it('adds the delivery fee below the free-delivery threshold only', () => {
    const small = priceOrder([{ productId: 1, quantity: 1 }], catalogue, 'delivery');
    expect(small.ok && [small.deliveryFeeCents, small.totalCents]).toEqual([250, 1300]);
    const big = priceOrder([{ productId: 1, quantity: 3 }], catalogue, 'delivery');
    expect(big.ok && [big.deliveryFeeCents, big.totalCents]).toEqual([0, 3150]);
  });

  it('names products that are not in the catalogue', () => {
    expect(priceOrder([{ productId: 9, quantity: 1 }], catalogue, 'pickup')).toEqual({ ok: false, unknownProductIds: [9] });
  });

  it('collects the balance left after an online payment', () => {
    expect(amountToCollect(2700, 0)).toBe(2700);
    expect(amountToCollect(2700, 2700)).toBe(0);
  });
});
