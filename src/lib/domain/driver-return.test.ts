import { describe, expect, it } from 'vitest';
import { DEFAULT_ETA_SETTINGS, travelMinutes } from './eta.ts';
import { distanceM } from './geo.ts';
import { expectedBackAt } from './driver-return.ts';

const shop = { lat: 48.8537, lng: 2.3718 };
const now = Date.parse('2026-11-24T20:00:00Z');
const min = 60_000;

describe('when a driver is expected back at the shop', () => {
  it('now when they are at the shop with nothing to deliver; unknown without a position', () => {
    expect(expectedBackAt({ lat: 48.8538, lng: 2.3719 }, shop, [], now, 'scooter')).toBe(now);
    expect(expectedBackAt(null, shop, [], now, 'scooter')).toBeNull();
  });

  it('riding back with nothing to deliver: the ride from where they are', () => {
    const away = { lat: 48.8637, lng: 2.3718 }; // about 1.1 km north
    const ride = travelMinutes(distanceM(away, shop), 'scooter', DEFAULT_ETA_SETTINGS) * min;
    expect(expectedBackAt(away, shop, [], now, 'scooter')).toBe(Math.round(now + ride));
    expect(ride).toBeGreaterThan(3 * min);
    expect(ride).toBeLessThan(5 * min);
  });

  it('with doors still to reach: the nearest first, a stop at each, then back from the last', () => {
    const position = { lat: 48.8587, lng: 2.3718 };
    const near = { lat: 48.8607, lng: 2.3718 };
    const far = { lat: 48.8707, lng: 2.3718 };
    const leg = (a: typeof shop, b: typeof shop) => travelMinutes(distanceM(a, b), 'scooter') * min;
    const expected = now + leg(position, near) + 3 * min + leg(near, far) + 3 * min + leg(far, shop);
    // given in any order, the trip takes the nearest door first
    expect(expectedBackAt(position, shop, [far, near], now, 'scooter')).toBe(Math.round(expected));
  });
});
