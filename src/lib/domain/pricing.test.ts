import { describe, expect, it } from 'vitest';
import {
  MAX_ITEMS_PER_ORDER,
  MAX_QUANTITY_PER_PRODUCT,
  checkQuantities,
  priceOrder,
  type PricedProduct,
} from './pricing.ts';

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

});

describe('quantity caps, counted after merging', () => {
  it('accepts up to the cap of one product, in one line or several', () => {
    const r = checkQuantities([{ productId: 1, quantity: 12 }, { productId: 1, quantity: MAX_QUANTITY_PER_PRODUCT - 12 }]);
    expect(r).toEqual({ ok: true, lines: [{ productId: 1, quantity: MAX_QUANTITY_PER_PRODUCT }], totalItems: MAX_QUANTITY_PER_PRODUCT });
  });

  it('refuses three lines of twenty of one product, naming it', () => {
    const r = checkQuantities([1, 2, 3].map(() => ({ productId: 7, quantity: 20 })));
    expect(r.ok).toBe(false);
    expect(!r.ok && r.fields.items).toMatch(/at most 20 of one product.*product 7: 60/);
  });

  it('refuses an order of more items than the order cap, even when each product is within its cap', () => {
    const lines = Array.from({ length: 30 }, (_, i) => ({ productId: i + 1, quantity: 20 }));
    const r = checkQuantities(lines);
    expect(!r.ok && r.fields.items).toMatch(/at most 50 items per order \(this one has 600\)/);
    const atCap = checkQuantities(Array.from({ length: 5 }, (_, i) => ({ productId: i + 1, quantity: MAX_ITEMS_PER_ORDER / 5 })));
    expect(atCap.ok).toBe(true);
    expect(checkQuantities([...Array.from({ length: 5 }, (_, i) => ({ productId: i + 1, quantity: 10 })), { productId: 9, quantity: 1 }]).ok).toBe(false);
  });
});
