// How the day's promises were kept: for each order done (delivered, or collected at the counter), the
// minutes between what it was promised and when it was done. Kept (isKept): done at the latest
// KEPT_WITHIN_MINUTES past its promise. The error is said as the customers feel it: its mean in
// absolute minutes and the 90th percentile (nobody in the trade publishes these; a public
// food-delivery dataset puts a typical error near 4.5 min).
import { SPREAD_RANGE } from './road-speed.ts';
import { inServiceOrder } from './speed-of-service.ts';

/**
 * What "a promise kept" means, everywhere it is counted (the manager's speed page and live figures,
 * the simulator, the README): the order done no later than this many minutes past the time
 * promised. It is the narrowest window a customer is ever shown ("25–35 min" around 30: the end of
 * SPREAD_RANGE.min either side), and the same for every shop, hour and row: a shop whose history
 * widened the window it shows (up to ± 15) is judged at the same 5 minutes as one that shows ± 5, so
 * a wider window never reads as promises better kept. Early counts as kept: the customer asked for
 * as soon as possible (the first promise error, early or late, is the mean and p90 beside it).
 */
export const KEPT_WITHIN_MINUTES: number = SPREAD_RANGE.min;

/** Whether a promise was kept, from the minutes done past it (negative: early). */
export const isKept = (errorMinutes: number): boolean => errorMinutes <= KEPT_WITHIN_MINUTES;

export interface PromiseSample {
  /** Hour of the day (Paris) the order was promised for. */
  hour: number;
  /** Done minus promised, in minutes (negative: early). */
  errorMinutes: number;
}

export interface PromiseStats {
  count: number;
  /** Share of the promises kept (isKept), 0 to 1. */
  kept: number;
  /** Mean of the absolute error, and its 90th percentile, in minutes (null without orders). */
  mae: number | null;
  p90: number | null;
  /** Median of the signed error: how late (or, negative, early) a typical order was. */
  median: number | null;
}

export interface PromiseFigures extends PromiseStats {
  byHour: (PromiseStats & { hour: number })[];
}

const r1 = (x: number) => Math.round(x * 10) / 10;
const at = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(sorted.length * p) - 1))];

function stats(errors: number[]): PromiseStats {
  if (!errors.length) return { count: 0, kept: 0, mae: null, p90: null, median: null };
  const abs = errors.map(Math.abs).sort((a, b) => a - b);
  const signed = [...errors].sort((a, b) => a - b);
  return {
    count: errors.length,
    kept: errors.filter(isKept).length / errors.length,
    mae: r1(abs.reduce((n, e) => n + e, 0) / abs.length),
    p90: r1(at(abs, 0.9)),
    median: r1(at(signed, 0.5)),
  };
}

/** The day's figures, and each hour's (only the hours with orders, in the order of the service: past midnight last). */
export function promiseFigures(samples: readonly PromiseSample[]): PromiseFigures {
  const hours = inServiceOrder(samples.map((s) => s.hour));
  return {
    ...stats(samples.map((s) => s.errorMinutes)),
    byHour: hours.map((hour) => ({ hour, ...stats(samples.filter((s) => s.hour === hour).map((s) => s.errorMinutes)) })),
  };
}
