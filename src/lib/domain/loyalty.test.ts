import { describe, expect, it } from 'vitest';
import { DEFAULT_LOYALTY_SCHEME as scheme, betterDiscount, judgeReward } from './loyalty.ts';

const pizza = (unitPriceCents: number, vatRate = 10, quantity = 1) => ({ category: 'pizza', unitPriceCents, quantity, vatRate });
const drink = { category: 'drink', unitPriceCents: 400, quantity: 2, vatRate: 20 };

describe('a free pizza for loyalty points', () => {
  it('takes off the dearest pizza of the basket, at its VAT rate', () => {
    expect(judgeReward(scheme, 60, [pizza(1050), pizza(1390), drink])).toEqual({ ok: true, points: 60, discountCents: 1390, byRate: [{ rate: 10, cents: 1390 }] });
  });
  it('is capped at the scheme price', () => {
    expect(judgeReward({ ...scheme, rewardMaxCents: 1200 }, 100, [pizza(1890)])).toMatchObject({ ok: true, discountCents: 1200 });
  });
  it('is refused with its reason: too few points, no pizza, with a promo code, the scheme off', () => {
    expect(judgeReward(scheme, 59, [pizza(1050)])).toEqual({ ok: false, reason: 'not_enough_points', points: 60 });
    expect(judgeReward(scheme, 60, [drink])).toEqual({ ok: false, reason: 'no_pizza' });
    expect(judgeReward(scheme, 60, [pizza(1050)], true)).toEqual({ ok: false, reason: 'with_promo' });
    expect(judgeReward({ ...scheme, active: false }, 600, [pizza(1050)])).toEqual({ ok: false, reason: 'scheme_off' });
  });
});

describe('a promo code or the points: the better one suggested', () => {
  const reward = (lines: Parameters<typeof judgeReward>[2], balance = 60) => judgeReward(scheme, balance, lines);
  it('suggests the points when the free pizza takes more off than the code, with both amounts', () => {
    expect(betterDiscount(210, reward([pizza(1050), pizza(1250)]))).toEqual({ better: 'points', promoCents: 210, pointsCents: 1250, moreCents: 1040 });
  });
  it('suggests the code when it takes more off than the free pizza (capped at the scheme price)', () => {
    expect(betterDiscount(2000, reward([pizza(1890), pizza(1890)]))).toEqual({ better: 'promo', promoCents: 2000, pointsCents: 1500, moreCents: 500 });
  });
  it('suggests the code when both take the same off, so the points stay for another order', () => {
    expect(betterDiscount(1050, reward([pizza(1050)]))).toEqual({ better: 'promo', promoCents: 1050, pointsCents: 1050, moreCents: 0 });
  });
  it('has nothing to compare when only one applies: no code, a code that takes nothing off, too few points, no pizza, the scheme off', () => {
    expect(betterDiscount(null, reward([pizza(1050)]))).toBeNull();
    expect(betterDiscount(0, reward([pizza(1050)]))).toBeNull();
    expect(betterDiscount(300, reward([pizza(1050)], 59))).toBeNull();
    expect(betterDiscount(300, reward([drink]))).toBeNull();
    expect(betterDiscount(300, judgeReward({ ...scheme, active: false }, 600, [pizza(1050)]))).toBeNull();
    expect(betterDiscount(300, null)).toBeNull();
  });
});
