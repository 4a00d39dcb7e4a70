// The road as the shop's own deliveries drove it: the speed its drivers really make at each hour of
// the day (Paris time), from the time between leaving the shop and the door, and how far off its
// promises were. Pure: the server gives the past deliveries. Where there is too little history the
// rule stays (the straight line × the road factor at the settings' speed).
import type { EtaSettings, TravelMode } from './eta.ts';

export interface RoadSample {
  /** Hour of the day (0 to 23, Paris) the driver left the shop. */
  hour: number;
  /** Shop to door, as the crow flies. */
  metres: number;
  /** Leaving the shop to delivered. */
  minutes: number;
}

export interface LearnedRoad {
  /** km/h on the road for each hour of the day, null where there were too few deliveries. */
  byHour: (number | null)[];
  /** Over every hour (null: too few deliveries). */
  overall: number | null;
  samples: number;
  /** Minutes either side of a promise that 19 deliveries in 20 kept to (the customer's window), null without history. */
  spreadMinutes: number | null;
}

/** Fewer deliveries than this say nothing. */
export const MIN_SAMPLES = 8;
/** The window is at least this wide either side, and at most this. */
export const SPREAD_RANGE = { min: 5, max: 15 } as const;

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const round1 = (x: number) => Math.round(x * 10) / 10;
/** The same hour, or the one before or after (23 and 0 are neighbours). */
const nextTo = (a: number, b: number) => {
  const d = (((a - b) % 24) + 24) % 24;
  return d <= 1 || d >= 23;
};

/**
 * The speed of each hour: the median over that hour's deliveries (with its neighbours' when it had
 * fewer than MIN_SAMPLES), as km on the road (crow × roadFactor) per hour. Deliveries under 300 m
 * or outside 1 to 90 minutes (a door nobody opened, a driver's break) are left out.
 */
export function learnRoad(samples: readonly RoadSample[], roadFactor: number, promiseErrors: readonly number[] = []): LearnedRoad {
  const kept = samples.filter((s) => s.metres >= 300 && s.minutes >= 1 && s.minutes <= 90 && s.hour >= 0 && s.hour < 24);
  const speed = (s: RoadSample) => Math.min(60, Math.max(5, ((s.metres / 1000) * roadFactor) / (s.minutes / 60)));
  const byHour = Array.from({ length: 24 }, (_, h) => {
    let pool = kept.filter((s) => s.hour === h);
    if (pool.length < MIN_SAMPLES) pool = kept.filter((s) => nextTo(s.hour, h));
    return pool.length >= MIN_SAMPLES ? round1(median(pool.map(speed))) : null;
  });
  const errors = promiseErrors.filter(Number.isFinite).map(Math.abs).sort((a, b) => a - b);
  const p95 = errors.length >= MIN_SAMPLES ? errors[Math.min(errors.length - 1, Math.ceil(errors.length * 0.95) - 1)] : null;
  return {
    byHour,
    overall: kept.length >= MIN_SAMPLES ? round1(median(kept.map(speed))) : null,
    samples: kept.length,
    spreadMinutes: p95 === null ? null : Math.min(SPREAD_RANGE.max, Math.max(SPREAD_RANGE.min, Math.ceil(p95 / 5) * 5)),
  };
}

/** The settings with the mode's speed the shop's drivers make at this hour, or unchanged without history. */
export function etaAt(base: EtaSettings, mode: TravelMode, learned: LearnedRoad | null, hour: number): EtaSettings {
  const kmh = learned ? (learned.byHour[hour] ?? learned.overall) : null;
  return kmh ? { ...base, speedKmh: { ...base.speedKmh, [mode]: kmh } } : base;
}

/** Minutes either side of a promise its history says it keeps (SPREAD_RANGE.min without history). */
export const spreadOf = (learned: LearnedRoad | null) => learned?.spreadMinutes ?? SPREAD_RANGE.min;

/** "25–35 min": the promise with the window its history says it keeps. */
export function promiseRange(minutes: number, learned: LearnedRoad | null): { from: number; to: number } {
  const spread = spreadOf(learned);
  return { from: Math.max(5, minutes - spread), to: minutes + spread };
}
