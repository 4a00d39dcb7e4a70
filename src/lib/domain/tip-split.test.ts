import { describe, expect, it } from 'vitest';
import { splitTip, tipAmountProblem, tipRefundRefusal } from './tip-split.ts';

describe('who gets a tip', () => {
  it('goes whole to the driver who delivered when no one else carried the order', () => {
    expect(splitTip(300, 'card', [7], 7)).toEqual([{ driverId: 7, amountCents: 300 }]);
    expect(splitTip(300, 'card', [], 7)).toEqual([{ driverId: 7, amountCents: 300 }]);
  });

  it('splits a reassigned trip equally, the odd cent to the driver who delivered', () => {
    expect(splitTip(301, 'card', [4, 7], 7)).toEqual([
      { driverId: 4, amountCents: 150 },
      { driverId: 7, amountCents: 151 },
    ]);
    expect(splitTip(200, 'card', [4, 9, 4, 7], 7)).toEqual([
      { driverId: 4, amountCents: 66 },
      { driverId: 9, amountCents: 66 },
      { driverId: 7, amountCents: 68 },
    ]);
  });

  it('counts the driver who delivered even when the trail missed them', () => {
    expect(splitTip(100, 'card', [4], 7)).toEqual([
      { driverId: 4, amountCents: 50 },
      { driverId: 7, amountCents: 50 },
    ]);
  });

  it('leaves a cash tip whole with the driver it was handed to', () => {
    expect(splitTip(500, 'cash', [4, 7], 7)).toEqual([{ driverId: 7, amountCents: 500 }]);
  });

  it('gives no share when no driver delivered the order, or there is nothing to share', () => {
    expect(splitTip(300, 'card', [4], null)).toEqual([]);
    expect(splitTip(0, 'card', [4], 4)).toEqual([]);
  });

  it('the shares always add up to the tip', () => {
    for (const amount of [1, 2, 3, 99, 100, 101, 9999, 10000]) {
      for (const carriers of [[1], [1, 2], [1, 2, 3], [3, 2, 1, 4]]) {
        const shares = splitTip(amount, 'card', carriers, 1);
        expect(shares.reduce((s, x) => s + x.amountCents, 0)).toBe(amount);
      }
    }
  });
});

describe('how much a tip may be', () => {
  it('takes whole cents within the limits', () => {
    expect(tipAmountProblem(200, 'card')).toBeNull();
    expect(tipAmountProblem(10_000, 'card')).toBeNull();
    expect(tipAmountProblem(20, 'cash')).toBeNull();
  });
  it('refuses nothing, less than a card takes, more than 100 €, fractions', () => {
    expect(tipAmountProblem(0, 'cash')).not.toBeNull();
    expect(tipAmountProblem(-100, 'card')).not.toBeNull();
    expect(tipAmountProblem(30, 'card')).not.toBeNull();
    expect(tipAmountProblem(10_001, 'card')).not.toBeNull();
    expect(tipAmountProblem(1.5, 'cash')).not.toBeNull();
  });
});

describe('which tips a manager may refund through the provider', () => {
  it('refunds a card tip paid, once: not one being refunded nor refunded, not a cash tip, not one never taken', () => {
    expect(tipRefundRefusal({ way: 'card', status: 'paid', refundState: null })).toBeNull();
    expect(tipRefundRefusal({ way: 'card', status: 'paid', refundState: 'failed' })).toBeNull(); // the provider refused: may be asked again
    expect(tipRefundRefusal({ way: 'card', status: 'paid', refundState: 'pending' })).toBe('tip_refund_pending');
    expect(tipRefundRefusal({ way: 'card', status: 'refunded', refundState: 'done' })).toBe('tip_already_refunded');
    expect(tipRefundRefusal({ way: 'cash', status: 'paid', refundState: null })).toBe('cash_tip');
    expect(tipRefundRefusal({ way: 'card', status: 'pending', refundState: null })).toBe('tip_not_paid');
    expect(tipRefundRefusal({ way: 'card', status: 'released', refundState: null })).toBe('tip_not_paid');
  });
});
