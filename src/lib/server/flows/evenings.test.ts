// A shop's evening is published again only when what its screens show changed: two readings that
// differ by the clock alone (when they were read, a driver at the shop "back now", a time within
// the same minute) say the same; a driver's shift, a position, a ticket's minute do not.
import { describe, expect, it } from 'vitest';
import { eveningMessage, fingerprintOf, shopOfMessage, stateOfMessage, type EveningState } from './evenings.ts';

const T = Date.parse('2026-11-29T19:00:10Z');
const iso = (ms: number) => new Date(ms).toISOString();

function reading(at: number, change: { onShift?: boolean; lat?: number; backIn?: number; fireIn?: number } = {}): EveningState {
  return {
    shop: 7,
    fleet: {
      pizzeriaId: 7,
      figures: null,
      drivers: [{
        id: 3, name: 'Lina', onShift: change.onShift ?? true, homeShop: 7, worksFor: 7, load: 0, carrying: [], connected: true,
        position: { driverId: 3, pizzeriaId: 7, lat: change.lat ?? 48.86, lng: 2.37, accuracy: 10, at: iso(T - 5000), stale: false },
        backAt: iso(at + (change.backIn ?? 0)),
      }],
      plan: {
        pizzeriaId: 7, at: iso(at),
        fires: [{ orderId: 'o1', fireAt: iso(T + (change.fireIn ?? 600_000)), readyAt: iso(T + 900_000), reason: 'driver', driverId: 3, driverAt: iso(T + 1_000_000), expectedAt: iso(T + 1_500_000), lateMinutes: 0 }],
      },
    },
    forecasts: [{ orderId: 'o1', readyAt: iso(T + 900_000), expectedAt: iso(T + 1_500_000), lateMinutes: 0 }],
  };
}

describe("a shop's evening's fingerprint", () => {
  it('is the same for two readings that differ by the clock alone', () => {
    // read 20 s apart, the driver at the shop each time ("back" at the moment of reading)
    expect(fingerprintOf(reading(T + 20_000))).toBe(fingerprintOf(reading(T)));
    // a ticket's time within the same minute
    expect(fingerprintOf(reading(T, { fireIn: 600_000 + 5_000 }))).toBe(fingerprintOf(reading(T)));
  });

  it('changes with what a screen shows', () => {
    const base = fingerprintOf(reading(T));
    expect(fingerprintOf(reading(T, { onShift: false }))).not.toBe(base);
    expect(fingerprintOf(reading(T, { lat: 48.87 }))).not.toBe(base);
    // the driver away: back in ten minutes, not now
    expect(fingerprintOf(reading(T, { backIn: 600_000 }))).not.toBe(base);
    // a ticket fired two minutes later
    expect(fingerprintOf(reading(T, { fireIn: 720_000 }))).not.toBe(base);
  });

  it('goes out as its shop, then the state: a hub reads the shop before parsing anything', () => {
    const message = eveningMessage(reading(T));
    expect(shopOfMessage(message)).toBe(7);
    expect(stateOfMessage(message)).toEqual(reading(T));
    expect(shopOfMessage('x {}')).toBeNull();
  });
});
