import { describe, expect, it } from 'vitest';
import { sameSpot, spotOf } from './spot.ts';

describe('the spot of a delivery', () => {
  it('is read from an address only when it has both coordinates', () => {
    expect(spotOf({ lat: 48.86, lng: 2.37 })).toEqual({ lat: 48.86, lng: 2.37 });
    expect(spotOf({ lat: 48.86, lng: null })).toBeNull();
    expect(spotOf({})).toBeNull();
  });

  it('is the same only at the same point', () => {
    expect(sameSpot({ lat: 1, lng: 2 }, { lat: 1, lng: 2 })).toBe(true);
    expect(sameSpot({ lat: 1, lng: 2 }, { lat: 1, lng: 3 })).toBe(false);
    expect(sameSpot(null, { lat: 1, lng: 2 })).toBe(false);
  });
});
