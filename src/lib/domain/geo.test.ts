import { describe, expect, it } from 'vitest';
import { distanceM, inZone, isLatLng, shopsByDistance, shopsDeliveringTo, type DeliveryZone } from './geo.ts';

// real places in Paris and beyond
const BASTILLE = { lat: 48.8532, lng: 2.3692 };
const OBERKAMPF = { lat: 48.8643, lng: 2.3736 };
const MONTMARTRE = { lat: 48.8867, lng: 2.3431 };
const MARSEILLE = { lat: 43.2965, lng: 5.3698 };

describe('distances', () => {
  it('measures what a driver would see on a map, as the crow flies', () => {
    expect(distanceM(BASTILLE, BASTILLE)).toBe(0);
    // Bastille to Oberkampf is about 1.26 km; Paris to Marseille about 660 km
    expect(distanceM(BASTILLE, OBERKAMPF)).toBeGreaterThan(1200);
    expect(distanceM(BASTILLE, OBERKAMPF)).toBeLessThan(1320);
    expect(distanceM(BASTILLE, MARSEILLE) / 1000).toBeGreaterThan(640);
    expect(distanceM(BASTILLE, MARSEILLE) / 1000).toBeLessThan(680);
    expect(distanceM(BASTILLE, OBERKAMPF)).toBeCloseTo(distanceM(OBERKAMPF, BASTILLE), 6);
  });

  it('takes only coordinates a phone or a geocoder could give', () => {
    expect(isLatLng(BASTILLE)).toBe(true);
    for (const bad of [null, {}, { lat: 91, lng: 0 }, { lat: 0, lng: 181 }, { lat: Number.NaN, lng: 2 }, { lat: '48.8', lng: 2.3 }, [48.8, 2.3]]) {
      expect(isLatLng(bad), JSON.stringify(bad)).toBe(false);
    }
  });
});

describe('delivery zones', () => {
  it('a radius around the shop holds what is within it, and not beyond', () => {
    const zone: DeliveryZone = { kind: 'radius', center: BASTILLE, radiusM: 3000 };
    expect(inZone(OBERKAMPF, zone)).toBe(true);
    expect(inZone(MONTMARTRE, zone)).toBe(false); // about 4.6 km away
    expect(inZone(MARSEILLE, zone)).toBe(false);
  });

  it('a polygon drawn on the map holds what is inside its outline, also when concave', () => {
    // an L-shaped zone: the square from (0,0) to (2,2) without its top-right quarter
    const L: DeliveryZone = {
      kind: 'polygon',
      points: [
        { lat: 0, lng: 0 },
        { lat: 0, lng: 2 },
        { lat: 1, lng: 2 },
        { lat: 1, lng: 1 },
        { lat: 2, lng: 1 },
        { lat: 2, lng: 0 },
      ],
    };
    expect(inZone({ lat: 0.5, lng: 0.5 }, L)).toBe(true);
    expect(inZone({ lat: 0.5, lng: 1.5 }, L)).toBe(true);
    expect(inZone({ lat: 1.5, lng: 0.5 }, L)).toBe(true);
    expect(inZone({ lat: 1.5, lng: 1.5 }, L)).toBe(false); // the missing quarter
    expect(inZone({ lat: -0.1, lng: 0.5 }, L)).toBe(false);
    expect(inZone({ lat: 0.5, lng: 2.5 }, L)).toBe(false);
    expect(inZone({ lat: 0.5, lng: 0.5 }, { kind: 'polygon', points: [{ lat: 0, lng: 0 }, { lat: 1, lng: 1 }] })).toBe(false);
  });

  it('names the shops that deliver to a spot, nearest first, and every shop by distance when none does', () => {
    const shops = [
      { id: 1, location: MONTMARTRE, zone: { kind: 'radius', center: MONTMARTRE, radiusM: 6000 } as DeliveryZone },
      { id: 2, location: BASTILLE, zone: { kind: 'radius', center: BASTILLE, radiusM: 3000 } as DeliveryZone },
      { id: 3, location: OBERKAMPF, zone: null }, // delivers nowhere (pickup only)
    ];
    expect(shopsDeliveringTo(OBERKAMPF, shops).map((s) => s.id)).toEqual([2, 1]);
    expect(shopsDeliveringTo(MARSEILLE, shops)).toEqual([]);
    const byDistance = shopsByDistance(MARSEILLE, shops);
    expect(byDistance.map((s) => s.id)).toEqual([2, 3, 1]);
    expect(byDistance[0].distanceM).toBeGreaterThan(600_000);
  });
});
