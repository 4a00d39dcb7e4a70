import { describe, expect, it } from 'vitest';
import { neighbourOffer, type ShopAtSpot } from './neighbour-shop.ts';

const shop = (id: number, promiseMinutes: number | null, more: Partial<ShopAtSpot> = {}): ShopAtSpot => ({
  id, delivers: promiseMinutes !== null, open: true, paused: false, promiseMinutes, ...more,
});

describe('the neighbour the storefront offers for a spot', () => {
  it('offers the first shop that delivers there when the one chosen does not', () => {
    const shops = [shop(2, 40), shop(3, 30), shop(1, null)];
    expect(neighbourOffer(shops, 1)).toEqual({ shop: shops[0], reason: 'not_here' });
  });

  it('offers the neighbour with the soonest promise when the one chosen has paused its online orders', () => {
    const shops = [shop(1, 65, { paused: true }), shop(2, 45), shop(3, 35)];
    expect(neighbourOffer(shops, 1)).toEqual({ shop: shops[2], reason: 'paused' });
  });

  it('offers an open neighbour when the one chosen is closed', () => {
    const shops = [shop(1, 30, { open: false }), shop(2, 40)];
    expect(neighbourOffer(shops, 1)).toEqual({ shop: shops[1], reason: 'closed' });
  });

  it('never offers a neighbour that is paused, closed or does not deliver there', () => {
    const shops = [shop(1, 60, { paused: true }), shop(2, 20, { paused: true }), shop(3, 20, { open: false }), shop(4, null)];
    expect(neighbourOffer(shops, 1)).toBeNull();
  });

  it('offers a much faster neighbour (a quarter of an hour sooner, two thirds of the time at most), not a little faster one', () => {
    const shops = [shop(1, 60), shop(2, 40)];
    expect(neighbourOffer(shops, 1)).toEqual({ shop: shops[1], reason: 'faster' });
    expect(neighbourOffer([shop(1, 60), shop(2, 46)], 1)).toBeNull();
    // 15 minutes sooner but more than two thirds of the time
    expect(neighbourOffer([shop(1, 30), shop(2, 15)], 1)).toEqual({ shop: expect.objectContaining({ id: 2 }), reason: 'faster' });
    expect(neighbourOffer([shop(1, 40), shop(2, 27)], 1)).toBeNull();
  });

  it('offers nothing when the one chosen takes the order and no neighbour does better', () => {
    expect(neighbourOffer([shop(1, 30), shop(2, 35)], 1)).toBeNull();
    expect(neighbourOffer([shop(1, 30)], 1)).toBeNull();
  });
});
