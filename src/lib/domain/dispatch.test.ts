import { describe, expect, it } from 'vitest';
import { pickDriver } from './dispatch.ts';
import { ageLevel, formatAge } from './timing.ts';

describe('delivery assignment', () => {
  it('picks the on-shift driver with the fewest active deliveries', () => {
    expect(pickDriver([
      { driverId: 1, onShift: true, activeDeliveries: 2, idleSince: 0 },
      { driverId: 2, onShift: false, activeDeliveries: 0, idleSince: 0 },
      { driverId: 3, onShift: true, activeDeliveries: 1, idleSince: 50 },
    ])).toBe(3);
  });

  it('breaks ties by who has waited longest', () => {
    expect(pickDriver([
      { driverId: 1, onShift: true, activeDeliveries: 0, idleSince: 200 },
      { driverId: 2, onShift: true, activeDeliveries: 0, idleSince: 100 },
    ])).toBe(2);
  });

  it('finds nobody when every driver is off shift or full', () => {
    expect(pickDriver([{ driverId: 1, onShift: true, activeDeliveries: 3, idleSince: 0 }])).toBeNull();
    expect(pickDriver([])).toBeNull();
  });
});

describe('ticket age', () => {
  it('turns amber past 60% of the target and red past it', () => {
    expect(ageLevel(100, 600)).toBe('fresh');
    expect(ageLevel(400, 600)).toBe('ageing');
    expect(ageLevel(600, 600)).toBe('late');
    expect(formatAge(125)).toBe('2:05');
  });
});
