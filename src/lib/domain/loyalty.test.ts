import { describe, expect, it } from 'vitest';
import { DEFAULT_LOYALTY_SCHEME as scheme, judgeReward } from './loyalty.ts';

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
