import { describe, expect, it } from 'vitest';
import { businessDayOf, clippedMs, payCents, payOf, periodProblem, ruleOn, trailLegs, type PayRule, type TrailSample } from './driver-pay.ts';
import { distanceM } from './geo.ts';

const at = (iso: string) => Date.parse(iso);
const rule = (validFrom: string, centsPerHour: number, centsPerDelivery: number, centsPerKm: number): PayRule => ({ validFrom, centsPerHour, centsPerDelivery, centsPerKm });
/** Metres north of a point, in degrees of latitude (on the same sphere as distanceM). */
const north = (m: number) => (m / 6_371_008.8) * (180 / Math.PI);
const sample = (orderId: string, t: number, metresNorth: number, accuracyM = 10): TrailSample => ({ at: t, lat: 48.85 + north(metresNorth), lng: 2.35, accuracyM, orderId });

describe('the business day', () => {
  it('runs from 05:00 to 05:00 in Paris, winter and summer', () => {
    // 20 November 2026 is in winter time (UTC+1), 19 June 2026 in summer time (UTC+2)
    expect(businessDayOf(at('2026-11-20T17:00:00Z'))).toBe('2026-11-20');
    expect(businessDayOf(at('2026-11-20T23:30:00Z'))).toBe('2026-11-20'); // 00:30 the next night
    expect(businessDayOf(at('2026-11-21T03:59:00Z'))).toBe('2026-11-20'); // 04:59
    expect(businessDayOf(at('2026-11-21T04:00:00Z'))).toBe('2026-11-21'); // 05:00
    expect(businessDayOf(at('2026-06-19T02:30:00Z'))).toBe('2026-06-18'); // 04:30 summer time
    expect(businessDayOf(at('2026-06-19T03:00:00Z'))).toBe('2026-06-19');
  });
});

describe('the rule in force', () => {
  const rules = [rule('2026-11-01', 1100, 100, 20), rule('2026-11-25', 1165, 150, 30)];
  it('is the latest that starts on or before the day, none before the first', () => {
    expect(ruleOn(rules, '2026-10-31')).toBeNull();
    expect(ruleOn(rules, '2026-11-24')?.centsPerHour).toBe(1100);
    expect(ruleOn(rules, '2026-11-25')?.centsPerHour).toBe(1165);
    expect(ruleOn([...rules].reverse(), '2027-01-01')?.centsPerHour).toBe(1165);
  });
});

describe('a payroll period', () => {
  it('is two real dates, in order, at most 92 days', () => {
    expect(periodProblem('2026-11-01', '2026-11-30')).toBeNull();
    expect(periodProblem('2026-11-30', '2026-11-30')).toBeNull();
    expect(periodProblem('2026-11-30', '2026-11-01')).toBe('reversed');
    expect(periodProblem('2026-01-01', '2026-04-03')).toBe('too_long'); // 93 days
    expect(periodProblem('2026-01-01', '2026-04-02')).toBeNull(); // 92 days
    expect(periodProblem('2026-02-30', '2026-03-01')).toBe('bad_date');
    expect(periodProblem('yesterday', '2026-03-01')).toBe('bad_date');
  });
});

describe('the hours of a clock-in', () => {
  const period = { start: at('2026-11-20T04:00:00Z'), end: at('2026-11-21T04:00:00Z') };
  it('count inside the period only, and an open one up to now', () => {
    expect(clippedMs({ startedAt: at('2026-11-20T17:00:00Z'), endedAt: at('2026-11-20T21:30:00Z') }, period, at('2026-11-22T00:00:00Z'))).toBe(4.5 * 3_600_000);
    expect(clippedMs({ startedAt: at('2026-11-20T02:00:00Z'), endedAt: at('2026-11-20T06:00:00Z') }, period, at('2026-11-22T00:00:00Z'))).toBe(2 * 3_600_000);
    expect(clippedMs({ startedAt: at('2026-11-20T17:00:00Z'), endedAt: null }, period, at('2026-11-20T18:15:00Z'))).toBe(1.25 * 3_600_000);
    expect(clippedMs({ startedAt: at('2026-11-19T17:00:00Z'), endedAt: at('2026-11-19T21:00:00Z') }, period, at('2026-11-22T00:00:00Z'))).toBe(0);
  });
});

describe('the kilometres of a trail', () => {
  const t0 = at('2026-11-20T18:00:00Z');
  const straight = (orderId: string, from: number, n: number, stepM = 100, everyS = 15) =>
    Array.from({ length: n }, (_, i) => sample(orderId, from + i * everyS * 1000, i * stepM));
  const total = (legs: { metres: number }[]) => legs.reduce((s, l) => s + l.metres, 0);

  it('sums the great-circle legs between samples', () => {
    expect(total(trailLegs(straight('a', t0, 11)))).toBeCloseTo(1000, 6);
    expect(distanceM({ lat: 48.85, lng: 2.35 }, { lat: 48.85 + north(1000), lng: 2.35 })).toBeCloseTo(1000, 6);
  });

  it('counts once two orders carried together, and not the way back between trips', () => {
    const together = [...straight('a', t0, 11), ...straight('b', t0, 11)];
    expect(total(trailLegs(together))).toBeCloseTo(1000, 6);
    // a second trip 20 minutes later from the shop again: the jump back to the start is no leg
    const second = straight('c', t0 + 20 * 60_000, 6);
    expect(total(trailLegs([...straight('a', t0, 11), ...second]))).toBeCloseTo(1500, 6);
    // one dropped on the way: the other goes on, the leg across the drop counts
    const dropped = [...straight('a', t0, 6), ...straight('b', t0, 11)];
    expect(total(trailLegs(dropped))).toBeCloseTo(1000, 6);
  });

  it('leaves out a sample less sure than 100 m, a jump faster than 130 km/h, and the wandering at a standstill', () => {
    const trail = straight('a', t0, 11);
    const vague = { ...sample('a', t0 + 7_000, 600), accuracyM: 150 };
    const jump = sample('a', t0 + 37_000, 2_000); // 1.8 km in 7 s
    // standing at the door 5 minutes, the phone wandering 10 m around
    const door = Array.from({ length: 20 }, (_, i) => sample('a', t0 + 151_000 + i * 15_000, 1000 + (i % 2 ? 10 : -8)));
    expect(total(trailLegs([...trail, vague, jump, ...door]))).toBeCloseTo(1000, 0);
  });

  it('when the first point of a run was the jump, the points after it agree and count', () => {
    const off = sample('a', t0 - 5_000, 3_000);
    expect(total(trailLegs([off, ...straight('a', t0, 11)]))).toBeCloseTo(1000, 6);
  });
});

describe('the pay', () => {
  const r = rule('2026-11-01', 1165, 150, 30);
  const period = { start: at('2026-11-20T04:00:00Z'), end: at('2026-11-21T04:00:00Z') };
  const now = at('2026-11-22T00:00:00Z');
  const shift = { startedAt: at('2026-11-20T17:00:00Z'), endedAt: at('2026-11-20T21:30:00Z') };
  const deliveries = Array.from({ length: 7 }, (_, i) => at('2026-11-20T17:30:00Z') + i * 20 * 60_000);

  it('is hours × rate + deliveries × rate + km × rate, rounded once to the cent', () => {
    // 4.5 h × 11.65 € = 52.425 €; 7 × 1.50 € = 10.50 €; 12.345 km × 0.30 € = 3.7035 €: 66.6285 € → 66.63 €
    const legs = [{ at: deliveries[0], metres: 12_345 }];
    expect(payOf({ clockIns: [shift], deliveries, legs }, [r], period, now)).toEqual({ workedMs: 4.5 * 3_600_000, deliveries: 7, metres: 12_345, payCents: 6663 });
  });

  it('rounds the sum, not each part', () => {
    // 30 min at 11.65 € is 5.825 €, 15 m at 0.30 €/km 0.45 cents: each rounded would make 5.83 + 0.00
    const parts = [{ rule: rule('2026-11-01', 1165, 0, 30), ms: 1_800_000, deliveries: 0, metres: 15 }];
    expect(payCents(parts)).toBe(583);
    // 582.5 + 0.45 = 582.95 → 583; and 582.5 alone → 583 (half up); 582.4 → 582
    expect(payCents([{ rule: rule('2026-11-01', 1165, 0, 0), ms: 1_800_000, deliveries: 0, metres: 0 }])).toBe(583);
    expect(payCents([{ rule: rule('2026-11-01', 0, 0, 30), ms: 0, deliveries: 0, metres: 19_413 }])).toBe(582);
  });

  it('zeros allowed, and nothing without a rule', () => {
    expect(payOf({ clockIns: [shift], deliveries, legs: [] }, [rule('2026-11-01', 0, 200, 0)], period, now).payCents).toBe(1400);
    expect(payOf({ clockIns: [shift], deliveries, legs: [] }, [], period, now)).toMatchObject({ deliveries: 7, payCents: 0 });
  });

  it('pays a shift by the rule of the day it started: a rule from the next day leaves past midnight alone', () => {
    // 22:00 → 01:00 Paris; a new rule from the 21st does not touch the hour after midnight
    const late = { startedAt: at('2026-11-20T21:00:00Z'), endedAt: at('2026-11-21T00:00:00Z') };
    const rules = [r, rule('2026-11-21', 2000, 0, 0)];
    const night = { start: period.start, end: at('2026-11-22T04:00:00Z') };
    expect(payOf({ clockIns: [late], deliveries: [at('2026-11-20T23:30:00Z')], legs: [] }, rules, night, now).payCents).toBe(3 * 1165 + 150);
    // a shift started on the 21st is paid by the new one, a delivery outside any shift by its own day's
    const next = { startedAt: at('2026-11-21T17:00:00Z'), endedAt: at('2026-11-21T18:00:00Z') };
    expect(payOf({ clockIns: [next], deliveries: [at('2026-11-21T20:00:00Z')], legs: [] }, rules, night, now).payCents).toBe(2000);
  });
});
