import { describe, expect, it } from 'vitest';
import { averageStars, canRate, isLowRating, ratesDelivery } from './ratings.ts';

describe('ratings', () => {
  it('are given only once the order is in the customer\'s hands', () => {
    expect(['delivered', 'collected'].map(canRate)).toEqual([true, true]);
    expect(['pending_payment', 'received', 'preparing', 'ready', 'out_for_delivery', 'cancelled'].some(canRate)).toBe(false);
  });

  it('rate the delivery of a delivery only', () => {
    expect(ratesDelivery('delivery')).toBe(true);
    expect(ratesDelivery('pickup')).toBe(false);
  });

  it('are low when the food or the delivery has two stars or fewer', () => {
    expect(isLowRating({ food: 2, delivery: 5 })).toBe(true);
    expect(isLowRating({ food: 5, delivery: 1 })).toBe(true);
    expect(isLowRating({ food: 3, delivery: 3 })).toBe(false);
    expect(isLowRating({ food: 3, delivery: null })).toBe(false);
    expect(isLowRating({ food: 1, delivery: null })).toBe(true);
  });

  it('average to one decimal, none when nothing was rated', () => {
    expect(averageStars(13, 3)).toBe(4.3);
    expect(averageStars(0, 0)).toBeNull();
  });
});
