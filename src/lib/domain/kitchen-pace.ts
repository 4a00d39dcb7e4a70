// The kitchen's pace as the shop's own orders kept it: how long its kitchen really takes to make an
// order (started → ready, the "make" stage of the speed-of-service page) against what the rule says
// for the same pizzas, at each hour of the day (Paris time). The promise, the shop's plan and the
// tracking page's countdown then count the kitchen's minutes at that pace, as they count the road at
// the speed its drivers really make (road-speed.ts). Pure: the server gives the past orders. Where
// there is too little history the rule stays (pace 1), and a pace is never taken beyond PACE_RANGE.
import { kitchenMinutes, type EtaSettings } from './eta.ts';

export interface KitchenSample {
  /** Hour of the day (0 to 23, Paris) the kitchen started the order. */
  hour: number;
  /** Pizzas it made for the order. */
  items: number;
  /** Started to ready. */
  minutes: number;
}

export interface LearnedKitchen {
  /** The kitchen's minutes over the rule's for each hour of the day (0.5: twice as fast), null where there were too few orders. */
  byHour: (number | null)[];
  /** Over every hour (null: too few orders). */
  overall: number | null;
  samples: number;
}

/** Fewer orders than this say nothing: the rule's pace (the prior) stays. */
export const MIN_KITCHEN_SAMPLES = 8;
/**
 * The pace is believed within these bounds: a kitchen at a quarter of the rule's minutes makes a
 * pizza in two and a half (quicker is a bump before the pizza is done), and one at three times
 * the rule is no longer a pace but a kitchen in trouble, which its manager's levers are for.
 */
export const PACE_RANGE = { min: 0.25, max: 3 } as const;

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const clampPace = (x: number) => Math.round(Math.min(PACE_RANGE.max, Math.max(PACE_RANGE.min, x)) * 100) / 100;
/** The same hour, or the one before or after (23 and 0 are neighbours). */
const nextTo = (a: number, b: number) => {
  const d = (((a - b) % 24) + 24) % 24;
  return d <= 1 || d >= 23;
};

/**
 * The pace of each hour: the median over that hour's orders (with its neighbours' when it had fewer
 * than MIN_KITCHEN_SAMPLES) of the minutes each took over the rule's minutes for its pizzas (`rule`:
 * the settings' estimate, never an already learned one). Orders without pizzas (drinks, desserts
 * from the fridge), and those made in under a minute (a ticket bumped without being made) or over
 * two hours (one forgotten on the pass) are left out.
 */
export function learnKitchen(samples: readonly KitchenSample[], rule: EtaSettings): LearnedKitchen {
  const kept = samples.filter((s) => s.items >= 1 && s.minutes >= 1 && s.minutes <= 120 && s.hour >= 0 && s.hour < 24);
  const pace = (s: KitchenSample) => s.minutes / kitchenMinutes(0, s.items, rule);
  const byHour = Array.from({ length: 24 }, (_, h) => {
    let pool = kept.filter((s) => s.hour === h);
    if (pool.length < MIN_KITCHEN_SAMPLES) pool = kept.filter((s) => nextTo(s.hour, h));
    return pool.length >= MIN_KITCHEN_SAMPLES ? clampPace(median(pool.map(pace))) : null;
  });
  return { byHour, overall: kept.length >= MIN_KITCHEN_SAMPLES ? clampPace(median(kept.map(pace))) : null, samples: kept.length };
}

/** The kitchen's pace at this hour: its own, or the day's, or the rule's (1) without history. */
export const paceAt = (learned: LearnedKitchen | null, hour: number): number => (learned ? (learned.byHour[hour] ?? learned.overall ?? 1) : 1);

/**
 * The settings with the kitchen's minutes at the pace it kept at this hour: each order's own time and
 * the queue ahead of it (the same pizzaiolos make both), unchanged without history.
 */
export function kitchenAt(base: EtaSettings, learned: LearnedKitchen | null, hour: number): EtaSettings {
  const pace = paceAt(learned, hour);
  return pace === 1 ? base : { ...base, basePrepMinutes: base.basePrepMinutes * pace, minutesPerItem: base.minutesPerItem * pace };
}
