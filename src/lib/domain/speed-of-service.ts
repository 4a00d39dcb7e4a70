// Speed of service: how long an order waits at each stage of the kitchen, as the median and the
// 90th percentile, against the shop's targets. One function for the manager's day page, its CSV and
// the live cards, so the three never disagree.
//
// The stages, from the times an order's transitions were recorded:
// - start: reached the kitchen (received) → started (preparing);
// - make: started → ready; at a station, started → its last line crossed off (ready when its lines
//   were not crossed off one by one);
// - handover: ready → handed over (collected at the counter, or taken by the driver);
// - total: received → handed over.
import { stationOf, type RoutedLine, type Station } from './stations.ts';

export const SERVICE_STAGES = ['start', 'make', 'handover', 'total'] as const;
export type ServiceStage = (typeof SERVICE_STAGES)[number];
/** The stages an order goes through one after the other (the total is all of them). */
export const PART_STAGES = ['start', 'make', 'handover'] as const satisfies readonly ServiceStage[];

/** The chain's targets when a shop sets none: seconds per stage (make is the shop's prep target). */
export const DEFAULT_START_TARGET_SECONDS = 3 * 60;
export const DEFAULT_HANDOVER_TARGET_SECONDS = 10 * 60;

export type ServiceTargets = Record<Exclude<ServiceStage, 'total'>, number>;

export interface ServiceLine extends Pick<RoutedLine, 'category' | 'categoryId'> {
  productId: number;
  name: string;
  doneAt: Date | null;
}

export interface ServiceOrder {
  receivedAt: Date | null;
  startedAt: Date | null;
  readyAt: Date | null;
  handedAt: Date | null;
  /** The hour of the day it reached the kitchen, in the shop's time (0-23). */
  hour: number;
  lines: ServiceLine[];
}

export interface StageFigure {
  /** Orders that went through the stage. */
  count: number;
  /** Seconds, whole; null when no order went through it. */
  median: number | null;
  p90: number | null;
  /** Seconds, the shop's target for the stage (total: the sum of the three). */
  target: number;
  /** Orders that took longer than the target. */
  over: number;
}

export type StageFigures = Record<ServiceStage, StageFigure>;

export interface SpeedOfService {
  targets: ServiceTargets;
  overall: StageFigures;
  byHour: { hour: number; figures: StageFigures }[];
  byStation: { stationId: number; name: string; figures: StageFigures }[];
  byProduct: { productId: number; name: string; figures: StageFigures }[];
}

/**
 * The p-th quantile (0 ≤ p ≤ 1) of sorted values, interpolated between the two nearest ranks (as
 * Postgres' percentile_cont and a spreadsheet's PERCENTILE do); null for none.
 */
export function quantile(sorted: readonly number[], p: number): number | null {
  if (!sorted.length) return null;
  const at = (sorted.length - 1) * p;
  const lo = Math.floor(at);
  const hi = Math.ceil(at);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (at - lo);
}

const seconds = (from: Date | null, to: Date | null) =>
  from && to && to.getTime() >= from.getTime() ? (to.getTime() - from.getTime()) / 1000 : null;

/** When a station finished its part: its last line crossed off, or the order ready if one was not. */
function stationDone(o: ServiceOrder, station: Station, stations: readonly Station[]): Date | null {
  const mine = o.lines.filter((l) => stationOf(l, stations)?.id === station.id);
  if (!mine.length || mine.some((l) => !l.doneAt)) return o.readyAt;
  return new Date(Math.max(...mine.map((l) => l.doneAt!.getTime())));
}

/** Seconds an order spent in a stage (at a station, for make), null when it has not gone through it. */
export function stageSeconds(o: ServiceOrder, stage: ServiceStage, at?: { station: Station; stations: readonly Station[] }): number | null {
  switch (stage) {
    case 'start':
      return seconds(o.receivedAt, o.startedAt);
    case 'make':
      return seconds(o.startedAt, at ? stationDone(o, at.station, at.stations) : o.readyAt);
    case 'handover':
      return seconds(o.readyAt, o.handedAt);
    case 'total':
      return seconds(o.receivedAt, o.handedAt);
  }
}

export function stageFigures(orders: readonly ServiceOrder[], targets: ServiceTargets, at?: { station: Station; stations: readonly Station[] }): StageFigures {
  const total = targets.start + targets.make + targets.handover;
  const figure = (stage: ServiceStage): StageFigure => {
    const target = stage === 'total' ? total : targets[stage];
    const values = orders.map((o) => stageSeconds(o, stage, at)).filter((v): v is number => v !== null).sort((a, b) => a - b);
    const round = (v: number | null) => (v === null ? null : Math.round(v));
    return { count: values.length, median: round(quantile(values, 0.5)), p90: round(quantile(values, 0.9)), target, over: values.filter((v) => v > target).length };
  };
  return Object.fromEntries(SERVICE_STAGES.map((s) => [s, figure(s)])) as StageFigures;
}

/**
 * The hours of a day's orders (0 to 23, each once) in the order of the service: it begins after the
 * longest stretch of hours without orders, round the clock, so an evening that runs from 18h past
 * midnight reads 18h … 23h, 0h, 1h, and lunch then dinner reads 11h … 14h, 18h … 23h. Between two
 * stretches as long, the one through 5h (the quietest hour of a pizzeria's day) ends the service;
 * with no quiet hour at all, midnight does.
 */
export function inServiceOrder(hours: readonly number[]): number[] {
  const set = [...new Set(hours.filter((h) => Number.isInteger(h) && h >= 0 && h < 24))].sort((a, b) => a - b);
  if (set.length < 2) return set;
  let start = 0;
  let best = { gap: -1, night: false };
  set.forEach((h, i) => {
    const prev = set[(i + set.length - 1) % set.length];
    const apart = (h - prev + 24) % 24;
    // hours without orders between the previous hour with orders and this one, and whether 5h is among them
    const quiet = { gap: apart - 1, night: (5 - prev + 24) % 24 > 0 && (5 - prev + 24) % 24 < apart };
    if (quiet.gap > best.gap || (quiet.gap === best.gap && quiet.night && !best.night)) {
      best = quiet;
      start = i;
    }
  });
  return [...set.slice(start), ...set.slice(0, start)];
}

/**
 * A shop's speed of service over the orders given (a day's, usually; cancelled ones left out by the
 * caller): the shop as a whole, by hour it reached the kitchen (in the order of the service:
 * inServiceOrder), by station (the make stations, and only the orders with a line there) and by
 * product (the orders with that product).
 */
export function speedOfService(orders: readonly ServiceOrder[], targets: ServiceTargets, stations: readonly Station[] = []): SpeedOfService {
  const hours = inServiceOrder(orders.map((o) => o.hour));
  const products = new Map<number, string>();
  for (const o of orders) for (const l of o.lines) if (!products.has(l.productId)) products.set(l.productId, l.name);
  return {
    targets,
    overall: stageFigures(orders, targets),
    byHour: hours.map((hour) => ({ hour, figures: stageFigures(orders.filter((o) => o.hour === hour), targets) })),
    byStation: stations
      .filter((s) => !s.isPass)
      .map((station) => {
        const there = orders.filter((o) => o.lines.some((l) => stationOf(l, stations)?.id === station.id));
        return { stationId: station.id, name: station.name, figures: stageFigures(there, targets, { station, stations }) };
      }),
    byProduct: [...products]
      .map(([productId, name]) => ({ productId, name, figures: stageFigures(orders.filter((o) => o.lines.some((l) => l.productId === productId)), targets) }))
      .sort((a, b) => b.figures.total.count - a.figures.total.count || b.figures.make.count - a.figures.make.count || a.name.localeCompare(b.name)),
  };
}

/**
 * How a stage is going: "ok" when its median is within the target, "slipping" when the median is
 * but 1 order in 10 is beyond it, "late" when the median itself is beyond; "none" with no orders.
 */
export function speedLevel(f: StageFigure): 'ok' | 'slipping' | 'late' | 'none' {
  if (f.median === null) return 'none';
  if (f.median > f.target) return 'late';
  return (f.p90 ?? 0) > f.target ? 'slipping' : 'ok';
}
