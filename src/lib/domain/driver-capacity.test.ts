import { describe, expect, it } from 'vitest';
import { DEFAULT_ETA_SETTINGS } from './eta.ts';
import { DRIVER_HORIZON_MINUTES, deliveriesPerSlot, driversHaveRoom, roundTripMinutes } from './driver-capacity.ts';
import { SLOT_MS } from './slots.ts';

const scooter = { mode: 'scooter' as const, eta: DEFAULT_ETA_SETTINGS };
const NOW = Date.parse('2026-11-24T18:00:00Z');

describe("the drivers' side of a slot", () => {
  it('counts a round trip as the handover, the road out and back at this hour, and a stop per door', () => {
    // 2 km by scooter on the rule's road: 7.4 min each way, 4 min handover, 3 min at each of 2 doors
    expect(roundTripMinutes(scooter)).toBeCloseTo(4 + 2 * 7.36 + 2 * 3, 1);
    // a slower road (the rush learned from the shop's own deliveries) makes the trip longer
    expect(roundTripMinutes({ mode: 'scooter', eta: { ...DEFAULT_ETA_SETTINGS, roadFactor: 2 } })).toBeGreaterThan(roundTripMinutes(scooter));
  });

  it('grows with the drivers on shift, and does not count at all with none', () => {
    expect(deliveriesPerSlot(0, scooter)).toBeNull();
    // one driver still takes one delivery a quarter of an hour, whatever the road
    expect(deliveriesPerSlot(1, scooter)).toBe(1);
    expect(deliveriesPerSlot(1, { mode: 'bike', eta: { ...DEFAULT_ETA_SETTINGS, roadFactor: 4 } })).toBe(1);
    // five drivers on a 24.7-minute round trip carrying two: 15 × 5 × 2 / 24.7 = 6.1
    expect(deliveriesPerSlot(5, scooter)).toBe(6);
    expect(deliveriesPerSlot(10, scooter)).toBe(12);
  });

  it('refuses one more delivery in a full slot tonight, not past the horizon or with no driver counted', () => {
    const tonight = NOW + 4 * SLOT_MS;
    expect(driversHaveRoom({ start: tonight, now: NOW, booked: 5, capacity: 6 })).toBe(true);
    expect(driversHaveRoom({ start: tonight, now: NOW, booked: 6, capacity: 6 })).toBe(false);
    expect(driversHaveRoom({ start: tonight, now: NOW, booked: 60, capacity: null })).toBe(true);
    // tomorrow: tonight's drivers say nothing of it
    const tomorrow = NOW + DRIVER_HORIZON_MINUTES * 60_000;
    expect(driversHaveRoom({ start: tomorrow, now: NOW, booked: 60, capacity: 6 })).toBe(true);
  });
});
