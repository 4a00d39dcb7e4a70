import { describe, expect, it } from 'vitest';
import { inServiceOrder, quantile, speedOfService, type ServiceLine, type ServiceOrder } from './speed-of-service.ts';
import type { Station } from './stations.ts';

const oven: Station = { id: 1, name: 'Four', isPass: false, kinds: ['pizza'], categoryIds: [] };
const cold: Station = { id: 2, name: 'Froid', isPass: false, kinds: ['drink', 'dessert'], categoryIds: [] };
const pass: Station = { id: 3, name: 'Passe', isPass: true, kinds: [], categoryIds: [] };

const at = (min: number, sec = 0) => new Date(Date.UTC(2026, 10, 20, 18, min, sec));
const pizza = (doneAt: Date | null = null) => ({ productId: 1, name: 'Reine', category: 'pizza' as const, categoryId: 10, doneAt });
const coke = (doneAt: Date | null = null) => ({ productId: 9, name: 'Coca', category: 'drink' as const, categoryId: 20, doneAt });

// received at minute r, started s, ready d, handed over h (minutes after 18:00 UTC)
function order(r: number, s: number | null, d: number | null, h: number | null, lines: ServiceLine[] = [pizza()], hour = 19): ServiceOrder {
  return { receivedAt: at(r), startedAt: s === null ? null : at(s), readyAt: d === null ? null : at(d), handedAt: h === null ? null : at(h), hour, lines };
}

const targets = { start: 180, make: 900, handover: 600 };

describe('speed of service', () => {
  it('interpolates quantiles between ranks, as a spreadsheet does', () => {
    expect(quantile([], 0.5)).toBeNull();
    expect(quantile([7], 0.9)).toBe(7);
    expect(quantile([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(quantile([10, 20, 30, 40, 50, 60, 70, 80, 90, 100], 0.9)).toBe(91);
  });

  it('gives the median and 90th percentile of each stage against the targets, from a hand-computed evening', () => {
    const orders = [
      order(0, 1, 11, 13), // start 60 s, make 600, handover 120, total 780
      order(0, 2, 14, 20), // 120, 720, 360, 1200
      order(0, 4, 24, 40), // 240, 1200, 960, 2400
      order(5, 6, 16, null), // 60, 600, not handed over yet
      order(5, null, null, null), // only received
    ];
    const { overall } = speedOfService(orders, targets);
    // start: 60, 60, 120, 240 → median 90, p90 = 120 + 0.7 × 120 = 204; one over 180 s
    expect(overall.start).toEqual({ count: 4, median: 90, p90: 204, target: 180, over: 1 });
    // make: 600, 600, 720, 1200 → median 660, p90 = 720 + 0.7 × 480 = 1056; one over 900 s
    expect(overall.make).toEqual({ count: 4, median: 660, p90: 1056, target: 900, over: 1 });
    // handover: 120, 360, 960 → median 360, p90 = 360 + 0.8 × 600 = 840; one over 600 s
    expect(overall.handover).toEqual({ count: 3, median: 360, p90: 840, target: 600, over: 1 });
    // total: 780, 1200, 2400 → median 1200, p90 = 1200 + 0.8 × 1200 = 2160; target 180 + 900 + 600
    expect(overall.total).toEqual({ count: 3, median: 1200, p90: 2160, target: 1680, over: 1 });
  });

  it('splits by hour, by product and by station (a station done when its last line is crossed off)', () => {
    const orders = [
      order(0, 1, 11, 13, [pizza(at(9)), coke(at(2))], 19), // oven done 480 s after start, cold 60 s
      order(0, 2, 14, 20, [pizza()], 19), // nothing crossed off: the oven's make is the order's, 720 s
      order(0, 4, 24, 40, [coke(at(5, 30))], 20), // cold 90 s
    ];
    const s = speedOfService(orders, targets, [pass, oven, cold]);
    expect(s.byHour.map((h) => [h.hour, h.figures.total.count])).toEqual([[19, 2], [20, 1]]);
    expect(s.byStation.map((x) => x.name)).toEqual(['Four', 'Froid']);
    expect(s.byStation[0].figures.make).toMatchObject({ count: 2, median: 600 }); // 480 and 720
    expect(s.byStation[1].figures.make).toMatchObject({ count: 2, median: 75 }); // 60 and 90
    expect(s.byProduct.map((p) => [p.name, p.figures.make.count])).toEqual([['Coca', 2], ['Reine', 2]]);
    const reine = s.byProduct.find((p) => p.name === 'Reine')!;
    expect(reine.figures.make.median).toBe(660); // the orders with a Reine: 600 and 720
  });

  it('orders the hours as the service ran: an evening from 18h past midnight ends with 0h and 1h, not begins with them', () => {
    const late = [0, 1, 18, 19, 20, 21, 22, 23].map((hour) => order(0, 1, 11, 13, [pizza()], hour));
    expect(speedOfService(late, targets).byHour.map((h) => h.hour)).toEqual([18, 19, 20, 21, 22, 23, 0, 1]);
  });

  it('begins the service after its longest quiet stretch, round the clock', () => {
    expect(inServiceOrder([23, 0, 1, 18, 19, 1, 20])).toEqual([18, 19, 20, 23, 0, 1]);
    // lunch and dinner: the night is the longest quiet stretch, not the afternoon
    expect(inServiceOrder([11, 12, 13, 14, 18, 19, 20, 21, 22, 23, 0])).toEqual([11, 12, 13, 14, 18, 19, 20, 21, 22, 23, 0]);
    // a night shop, 22h to 6h
    expect(inServiceOrder([2, 3, 4, 5, 6, 22, 23, 0, 1])).toEqual([22, 23, 0, 1, 2, 3, 4, 5, 6]);
    // two quiet stretches as long: the one through 5h ends the service
    expect(inServiceOrder([8, 20])).toEqual([8, 20]);
    expect(inServiceOrder([2, 14])).toEqual([14, 2]);
    // a day within the clock, every hour, one hour, none
    expect(inServiceOrder([19, 12, 20])).toEqual([12, 19, 20]);
    expect(inServiceOrder(Array.from({ length: 24 }, (_, h) => 23 - h))).toEqual(Array.from({ length: 24 }, (_, h) => h));
    expect(inServiceOrder([21])).toEqual([21]);
    expect(inServiceOrder([])).toEqual([]);
  });

  it('leaves out a time that runs backwards and says nothing for a stage nobody went through', () => {
    const s = speedOfService([order(10, 5, null, null)], targets);
    expect(s.overall.start).toEqual({ count: 0, median: null, p90: null, target: 180, over: 0 });
    expect(s.byStation).toEqual([]);
  });
});

describe('how a stage is going', () => {
  it('is ok within the target, slipping when 1 order in 10 is beyond it, late when the median is', async () => {
    const { speedLevel } = await import('./speed-of-service.ts');
    const f = (median: number | null, p90: number | null) => ({ count: 1, median, p90, target: 600, over: 0 });
    expect([speedLevel(f(300, 500)), speedLevel(f(300, 700)), speedLevel(f(700, 900)), speedLevel(f(null, null))]).toEqual(['ok', 'slipping', 'late', 'none']);
  });
});
