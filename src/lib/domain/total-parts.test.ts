import { describe, expect, it } from 'vitest';
import { totalParts } from './total-parts.ts';

// lines + fee − promo − points = total, for what the receipt and the tracking card show
const adds = (total: number, p: ReturnType<typeof totalParts>) =>
  expect(p.itemsCents + p.deliveryFeeCents - (p.promo?.discountCents ?? 0) - (p.loyalty?.discountCents ?? 0)).toBe(total);

describe('what an order total is made of', () => {
  it('a delivery with a promo code: its lines, the fee the total leaves, less the code', () => {
    // 29,50 € of lines, 2,50 € of delivery, 16,00 € off with the code: 16,00 € paid
    const p = totalParts(1600, [1250, 1050, 650], { kind: 'promo', code: 'HIVER', points: null, discountCents: 1600 });
    expect(p).toEqual({ itemsCents: 2950, deliveryFeeCents: 250, promo: { code: 'HIVER', discountCents: 1600 }, loyalty: null });
    adds(1600, p);
  });

  it('a pickup paid partly with points: no fee, the points line', () => {
    const p = totalParts(1450, [1250, 1050, 400], { kind: 'loyalty', code: null, points: 60, discountCents: 1250 });
    expect(p).toEqual({ itemsCents: 2700, deliveryFeeCents: 0, promo: null, loyalty: { points: 60, discountCents: 1250 } });
    adds(1450, p);
  });

  it('an order without a discount: the lines and the fee', () => {
    const p = totalParts(1300, [1050], null);
    expect(p).toEqual({ itemsCents: 1050, deliveryFeeCents: 250, promo: null, loyalty: null });
    adds(1300, p);
    expect(totalParts(1050, [1050], null).deliveryFeeCents).toBe(0);
  });
});
