import { describe, expect, it } from 'vitest';
import { DEFAULT_ETA_SETTINGS, kitchenMinutes, promisedMinutes } from './eta.ts';
import { MIN_KITCHEN_SAMPLES, PACE_RANGE, kitchenAt, learnKitchen, paceAt, type KitchenSample } from './kitchen-pace.ts';

const rule = DEFAULT_ETA_SETTINGS;
/** `n` orders of `items` pizzas started at `hour`, each made in `minutes`. */
const orders = (n: number, hour: number, items: number, minutes: number): KitchenSample[] => Array.from({ length: n }, () => ({ hour, items, minutes }));

describe("the kitchen's pace, learned from its own orders", () => {
  it('a quick kitchen: its minutes over the rule, for the hour it worked and its neighbours; the whole day for the others', () => {
    // one pizza made in 5 minutes where the rule says 10 (8 + 2)
    const learned = learnKitchen(orders(12, 20, 1, 5), rule);
    expect(learned.samples).toBe(12);
    expect(learned.byHour[20]).toBe(0.5);
    expect(learned.byHour[19]).toBe(0.5);
    expect(learned.byHour[21]).toBe(0.5);
    expect(learned.byHour[12]).toBeNull();
    expect(learned.overall).toBe(0.5);
    expect(paceAt(learned, 12)).toBe(0.5);
  });

  it('compares each order with the rule for its own pizzas: three pizzas in 14 minutes is the rule, one in 14 is slow', () => {
    expect(learnKitchen(orders(10, 20, 3, 14), rule).overall).toBe(1);
    expect(learnKitchen(orders(10, 20, 1, 14), rule).overall).toBe(1.4);
  });

  it('with too few orders, or only orders that say nothing of the kitchen, keeps the rule', () => {
    expect(learnKitchen(orders(MIN_KITCHEN_SAMPLES - 1, 20, 1, 5), rule).overall).toBeNull();
    const noise = [...orders(10, 20, 0, 5), ...orders(10, 20, 1, 0.2), ...orders(10, 20, 2, 300), ...orders(10, 24, 1, 5)];
    expect(learnKitchen(noise, rule)).toMatchObject({ overall: null, samples: 0 });
    expect(paceAt(null, 20)).toBe(1);
    expect(kitchenAt(rule, null, 20)).toBe(rule);
  });

  it('never believes a pace beyond its bounds', () => {
    expect(learnKitchen(orders(10, 20, 3, 1), rule).overall).toBe(PACE_RANGE.min);
    expect(learnKitchen(orders(10, 20, 1, 110), rule).overall).toBe(PACE_RANGE.max);
  });

  it('a quick kitchen promises less and a slow one more, the queue ahead at the same pace', () => {
    const quick = kitchenAt(rule, learnKitchen(orders(10, 20, 1, 5), rule), 20);
    const slow = kitchenAt(rule, learnKitchen(orders(10, 20, 1, 15), rule), 20);
    expect(kitchenMinutes(10, 2, quick)).toBeCloseTo(kitchenMinutes(10, 2, rule) / 2);
    expect(kitchenMinutes(10, 2, slow)).toBeCloseTo(kitchenMinutes(10, 2, rule) * 1.5);
    const order = { items: 2, itemsAhead: 10, delivery: { distanceM: 1500, mode: 'scooter' as const } };
    expect(promisedMinutes(order, quick)).toBeLessThan(promisedMinutes(order, rule));
    expect(promisedMinutes(order, slow)).toBeGreaterThan(promisedMinutes(order, rule));
    // the road and the handover are not the kitchen's
    expect(quick).toMatchObject({ speedKmh: rule.speedKmh, roadFactor: rule.roadFactor, handoverMinutes: rule.handoverMinutes });
  });
});
