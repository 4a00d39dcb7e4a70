// What a driver earns: their shop's pay rule (so much per hour on shift, per delivery and per
// kilometre, any mix) applied to what they did in a period, the rule of each shift being the one in
// force on the business day it started, so a new rule never rewrites past pay. Pure rules: the
// business day, the hours clocked in clipped to a period, the kilometres from the delivery trail
// (jitter and jumps left out), and the pay, rounded once to the cent.
import { distanceM } from './geo.ts';

/** A business day runs from 05:00 to 05:00 (Paris): an evening's shift past midnight is that evening's. */
export const DAY_STARTS_AT_HOUR = 5;
/** A trail sample less sure of where it is than this (metres) is left out. */
export const MAX_ACCURACY_M = 100;
/** A leg faster than this (km/h) is a jump of the GPS, not a drive: left out. */
export const MAX_SPEED_KMH = 130;
/** A move shorter than this (metres) from the last point kept is the GPS wandering at a standstill. */
export const JITTER_M = 25;
/** The longest period a payroll covers (a quarter and a day). */
export const MAX_PAYROLL_DAYS = 92;

/** A shop's pay rule from a business day on (cents; zeros allowed). */
export interface PayRule {
  validFrom: string;
  centsPerHour: number;
  centsPerDelivery: number;
  centsPerKm: number;
}

const PARIS = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Paris', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', hourCycle: 'h23' });

/** The business day (Paris date, YYYY-MM-DD) an instant belongs to: before 05:00 it is the day before's. */
export function businessDayOf(ms: number): string {
  const p = Object.fromEntries(PARIS.formatToParts(new Date(ms)).map((x) => [x.type, x.value]));
  const date = `${p.year}-${p.month}-${p.day}`;
  return Number(p.hour) < DAY_STARTS_AT_HOUR ? shiftDate(date, -1) : date;
}

/** A date `days` later (or earlier). */
export function shiftDate(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}

/** The rule in force on a business day: the latest that starts on or before it (null: none yet). */
export function ruleOn(rules: readonly PayRule[], day: string): PayRule | null {
  let best: PayRule | null = null;
  for (const r of rules) if (r.validFrom <= day && (!best || r.validFrom > best.validFrom)) best = r;
  return best;
}

/** A real calendar date written YYYY-MM-DD. */
export const isDay = (d: string) => /^\d{4}-\d{2}-\d{2}$/.test(d) && new Date(`${d}T00:00:00Z`).toISOString().slice(0, 10) === d;

/** Why a payroll period does not hold (null: it does): real dates, from ≤ to, at most MAX_PAYROLL_DAYS. */
export function periodProblem(from: string, to: string): 'bad_date' | 'reversed' | 'too_long' | null {
  if (!isDay(from) || !isDay(to)) return 'bad_date';
  const days = (Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000 + 1;
  if (days < 1) return 'reversed';
  return days > MAX_PAYROLL_DAYS ? 'too_long' : null;
}

export interface TrailSample {
  at: number;
  lat: number;
  lng: number;
  accuracyM: number;
  orderId: string;
}

export interface Leg {
  /** When the leg ended. */
  at: number;
  metres: number;
}

interface Point { at: number; lat: number; lng: number; accuracyM: number; orders: Set<string> }

/** One point per instant: the trail writes a sample once per order carried at the time. */
function pointsOf(samples: readonly TrailSample[]): Point[] {
  const byAt = new Map<number, Point>();
  for (const s of samples) {
    const p = byAt.get(s.at);
    if (p) p.orders.add(s.orderId);
    else byAt.set(s.at, { at: s.at, lat: s.lat, lng: s.lng, accuracyM: s.accuracyM, orders: new Set([s.orderId]) });
  }
  return [...byAt.values()].sort((a, b) => a.at - b.at);
}

const shares = (a: Point, b: Point) => [...b.orders].some((o) => a.orders.has(o));
const tooFast = (a: Point, b: Point) => distanceM(a, b) > (MAX_SPEED_KMH / 3.6) * Math.max(0, (b.at - a.at) / 1000);

/**
 * The legs a driver drove with orders on board, from their trail samples (of every order they
 * carried). A leg joins two points that share an order: two orders carried together count once, and
 * the way back to the shop empty, between trips, not at all (no order, no trail). Left out: a sample
 * less sure than MAX_ACCURACY_M; a move under JITTER_M from the last point kept (standing at a door);
 * a point that would mean driving faster than MAX_SPEED_KMH, unless the next agrees with it (then
 * it was the point before that was off).
 */
export function trailLegs(samples: readonly TrailSample[]): Leg[] {
  const legs: Leg[] = [];
  let anchor: Point | null = null;
  let doubt: Point | null = null;
  for (const p of pointsOf(samples)) {
    if (!(p.accuracyM <= MAX_ACCURACY_M)) continue;
    if (!anchor || !shares(anchor, p)) {
      anchor = p;
      doubt = null;
      continue;
    }
    if (tooFast(anchor, p)) {
      if (doubt && shares(doubt, p) && !tooFast(doubt, p) && distanceM(doubt, p) >= JITTER_M) {
        legs.push({ at: p.at, metres: distanceM(doubt, p) });
        anchor = p;
        doubt = null;
      } else doubt = p;
      continue;
    }
    doubt = null;
    const metres = distanceM(anchor, p);
    if (metres < JITTER_M) {
      // standing still: the point kept stays, its time and orders move on
      anchor = { ...anchor, at: p.at, orders: p.orders };
      continue;
    }
    legs.push({ at: p.at, metres });
    anchor = p;
  }
  return legs;
}

export interface ClockIn {
  startedAt: number;
  /** null: still clocked in (counted up to now). */
  endedAt: number | null;
}

export interface Period {
  start: number;
  end: number;
}

/** The part of a clock-in inside a period (and before now), in ms. */
export function clippedMs(c: ClockIn, period: Period, now: number): number {
  const end = Math.min(c.endedAt ?? now, period.end, now);
  return Math.max(0, end - Math.max(c.startedAt, period.start));
}

export interface Work {
  clockIns: readonly ClockIn[];
  /** When each delivery was handed over. */
  deliveries: readonly number[];
  legs: readonly Leg[];
}

export interface PayFigures {
  workedMs: number;
  deliveries: number;
  /** To the metre. */
  metres: number;
  payCents: number;
}

interface Bucket { rule: PayRule | null; ms: number; deliveries: number; metres: number }

/**
 * Pay = hours × rate + deliveries × rate + km × rate, summed exactly and rounded once to the cent
 * (half a cent up). Each hour, delivery and kilometre is paid by the rule of the shift it belongs
 * to (the rule in force on the business day that shift started); one outside any shift by the rule
 * of its own business day. Only what falls inside the period (and before now) counts.
 */
export function payOf(work: Work, rules: readonly PayRule[], period: Period, now: number): PayFigures {
  const buckets = new Map<string, Bucket>();
  const bucketFor = (day: string) => {
    const rule = ruleOn(rules, day);
    const key = rule?.validFrom ?? '';
    let b = buckets.get(key);
    if (!b) buckets.set(key, (b = { rule, ms: 0, deliveries: 0, metres: 0 }));
    return b;
  };
  // a business day changes on a whole hour (Paris is a whole number of hours from UTC): one look-up per hour
  const days = new Map<number, string>();
  const dayOf = (ms: number) => {
    const hour = Math.floor(ms / 3_600_000);
    let d = days.get(hour);
    if (d === undefined) days.set(hour, (d = businessDayOf(ms)));
    return d;
  };
  const dayAt = (at: number) => {
    const shift = work.clockIns.find((c) => c.startedAt <= at && at <= (c.endedAt ?? now));
    return dayOf(shift ? shift.startedAt : at);
  };
  const inside = (at: number) => at >= period.start && at < period.end && at <= now;
  for (const c of work.clockIns) bucketFor(dayOf(c.startedAt)).ms += clippedMs(c, period, now);
  for (const at of work.deliveries) if (inside(at)) bucketFor(dayAt(at)).deliveries += 1;
  for (const leg of work.legs) if (inside(leg.at)) bucketFor(dayAt(leg.at)).metres += leg.metres;
  const all = [...buckets.values()];
  return {
    workedMs: all.reduce((s, b) => s + b.ms, 0),
    deliveries: all.reduce((s, b) => s + b.deliveries, 0),
    metres: Math.round(all.reduce((s, b) => s + b.metres, 0)),
    payCents: payCents(all),
  };
}

const HOUR_MS = 3_600_000n;

/** The exact sum over the parts, in 1/3,600,000 of a cent, rounded once (half up). */
export function payCents(parts: readonly { rule: PayRule | null; ms: number; deliveries: number; metres: number }[]): number {
  let units = 0n;
  for (const p of parts) {
    if (!p.rule) continue;
    units += BigInt(Math.round(p.ms)) * BigInt(p.rule.centsPerHour);
    units += BigInt(p.deliveries) * BigInt(p.rule.centsPerDelivery) * HOUR_MS;
    units += BigInt(Math.round(p.metres)) * BigInt(p.rule.centsPerKm) * (HOUR_MS / 1000n);
  }
  return Number((units * 2n + HOUR_MS) / (2n * HOUR_MS));
}
