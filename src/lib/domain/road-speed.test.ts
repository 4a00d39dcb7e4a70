import { describe, expect, it } from 'vitest';
import { DEFAULT_ETA_SETTINGS, travelMinutes } from './eta.ts';
import { etaAt, learnRoad, promiseRange, type RoadSample } from './road-speed.ts';

// 2 km as the crow flies is 2.7 km on the road (× 1.35): 10 minutes is 16.2 km/h, 6 minutes 27 km/h
const trips = (hour: number, minutes: number, n: number): RoadSample[] => Array.from({ length: n }, () => ({ hour, metres: 2000, minutes }));

describe('learnRoad', () => {
  it('learns the speed of each hour from its own deliveries, and keeps the rule where there are too few', () => {
    const learned = learnRoad([...trips(20, 10, 10), ...trips(15, 6, 10)], 1.35);
    expect(learned.byHour[20]).toBe(16.2);
    expect(learned.byHour[15]).toBe(27);
    expect(learned.byHour[3]).toBeNull();
    expect(learned.samples).toBe(20);
    // the 20:00 rush on the shop's own roads: 2 km takes 10 minutes, not the rule's 7.4
    const rush = etaAt(DEFAULT_ETA_SETTINGS, 'scooter', learned, 20);
    expect(travelMinutes(2000, 'scooter', rush)).toBeCloseTo(10, 5);
    expect(travelMinutes(2000, 'scooter', etaAt(DEFAULT_ETA_SETTINGS, 'scooter', null, 20))).toBeCloseTo(7.36, 1);
  });

  it('borrows the neighbouring hours when an hour alone has too few, midnight next to 23:00', () => {
    const learned = learnRoad([...trips(23, 10, 5), ...trips(0, 10, 5)], 1.35);
    expect(learned.byHour[23]).toBe(16.2);
    expect(learned.byHour[0]).toBe(16.2);
    expect(learned.byHour[12]).toBeNull();
    // at noon, with no hour near it known, every hour together
    expect(etaAt(DEFAULT_ETA_SETTINGS, 'scooter', learned, 12).speedKmh.scooter).toBe(16.2);
  });

  it('leaves out what is not a drive: next door, a minute, a door nobody opened for two hours', () => {
    const odd: RoadSample[] = [{ hour: 20, metres: 100, minutes: 5 }, { hour: 20, metres: 2000, minutes: 0.5 }, { hour: 20, metres: 2000, minutes: 120 }];
    expect(learnRoad([...odd, ...trips(20, 10, 7)], 1.35).byHour[20]).toBeNull();
  });

  it('gives the promise the window its history keeps 19 times in 20: at least 5 minutes either side, at most 15', () => {
    expect(promiseRange(30, null)).toEqual({ from: 25, to: 35 });
    const steady = learnRoad([], 1.35, [1, -2, 3, 0, 2, -1, 4, 2, 1, 3]);
    expect(steady.spreadMinutes).toBe(5);
    // 20 deliveries, the 19th furthest 9 minutes off: 10 either side
    const nine = learnRoad([], 1.35, [...Array(18).fill(2), 9, 30]);
    expect(nine.spreadMinutes).toBe(10);
    const loose = learnRoad([], 1.35, [2, -8, 9, 12, -3, 11, 7, 10, 14, 30]);
    expect(loose.spreadMinutes).toBe(15);
    expect(promiseRange(30, loose)).toEqual({ from: 15, to: 45 });
    expect(promiseRange(10, loose).from).toBe(5);
  });
});
