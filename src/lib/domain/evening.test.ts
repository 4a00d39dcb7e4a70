import { describe, expect, it } from 'vitest';
import { compareEvening, runEvening } from './evening.ts';

const evening = { orders: 60, drivers: 5, cooks: 3, radiusM: 2500 };

describe('a simulated evening', () => {
  it('is the same evening for the same seed, and another for another', () => {
    expect(runEvening({ ...evening, seed: 4 }, 'planned')).toEqual(runEvening({ ...evening, seed: 4 }, 'planned'));
    expect(runEvening({ ...evening, seed: 4 }, 'at_once')).not.toEqual(runEvening({ ...evening, seed: 5 }, 'at_once'));
  });

  it('delivers every customer under both policies, and the plan keeps pizzas out of the cold and its promises closer', () => {
    const runs = [1, 2, 3].map((seed) => compareEvening({ ...evening, seed }));
    for (const [atOnce, planned] of runs) {
      expect(atOnce.delivered).toBe(60);
      expect(planned.delivered).toBe(60);
    }
    const mean = (k: 0 | 1, f: (x: (typeof runs)[0][0]) => number) => runs.reduce((n, r) => n + f(r[k]), 0) / runs.length;
    expect(mean(1, (x) => x.waitMean)).toBeLessThan(mean(0, (x) => x.waitMean));
    expect(mean(1, (x) => x.etaMae)).toBeLessThan(mean(0, (x) => x.etaMae));
    expect(mean(1, (x) => x.promiseKept)).toBeGreaterThanOrEqual(mean(0, (x) => x.promiseKept));
  });

  it("counts the platforms' orders: the plan that sees them keeps more of our promises than one blind to them, and their couriers wait less", () => {
    const runs = [1, 2, 3].map((seed) => compareEvening({ ...evening, seed, platformShare: 0.3 }));
    expect(compareEvening({ ...evening, seed: 1 })).toHaveLength(2);
    for (const r of runs) {
      expect(r).toHaveLength(3);
      // 30 % of all: 26 beside our 60, every one collected, none of them counted as ours
      for (const x of r) expect([x.delivered, x.platform.orders]).toEqual([60, 26]);
    }
    const mean = (k: number, f: (x: (typeof runs)[0][0]) => number) => runs.reduce((n, r) => n + f(r[k]), 0) / runs.length;
    const [seeing, blind] = [1, 2];
    expect(mean(seeing, (x) => x.promiseKept)).toBeGreaterThan(mean(blind, (x) => x.promiseKept) + 0.15);
    expect(mean(seeing, (x) => x.etaMae)).toBeLessThan(mean(blind, (x) => x.etaMae));
    expect(mean(seeing, (x) => x.platform.courierWaitMean)).toBeLessThan(mean(blind, (x) => x.platform.courierWaitMean));
    expect(mean(seeing, (x) => x.platform.readyForCourier)).toBeGreaterThan(mean(blind, (x) => x.platform.readyForCourier));
  });
});
