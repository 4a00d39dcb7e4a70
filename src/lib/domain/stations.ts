// A shop's kitchen stations and where each line of an order is made: pure, used by the kitchen's
// screens (which items a tablet shows) and by the order service (when crossing off the last line
// moves an order on). The stations are kept in kitchen_stations (db/migrations/0034).
import type { ProductKind } from './product-kinds.ts';

export interface Station {
  id: number;
  name: string;
  /** The pass (expo): whole orders, "ready" and "handed over". At most one per shop. */
  isPass: boolean;
  /** Product kinds made here. */
  kinds: ProductKind[];
  /** Menu categories made here (a category's route wins over its kind's). */
  categoryIds: number[];
}

/** What of a line decides its station. */
export interface RoutedLine {
  category: ProductKind;
  categoryId: number | null;
  doneAt: string | null;
}

/** The stations in the order a shop set them, make stations before the pass. */
export const ordered = (stations: readonly Station[]): Station[] => [...stations.filter((s) => !s.isPass), ...stations.filter((s) => s.isPass)];

/**
 * Where a line is made: the station routed its menu category, else its kind, else the first make
 * station (else the pass, for a shop that has only a pass). Null when the shop has no stations.
 */
export function stationOf(line: Pick<RoutedLine, 'category' | 'categoryId'>, stations: readonly Station[]): Station | null {
  const byCategory = line.categoryId === null ? undefined : stations.find((s) => s.categoryIds.includes(line.categoryId!));
  return byCategory ?? stations.find((s) => s.kinds.includes(line.category)) ?? ordered(stations)[0] ?? null;
}

/** The lines made at a station (their place in the order kept). */
export function linesAt<L extends RoutedLine>(lines: readonly L[], station: Station, stations: readonly Station[]): { line: L; index: number }[] {
  return lines.map((line, index) => ({ line, index })).filter(({ line }) => stationOf(line, stations)?.id === station.id);
}

/** The other stations an order also goes to (the ticket says "also at: cold"). */
export function otherStations(lines: readonly RoutedLine[], station: Station, stations: readonly Station[]): Station[] {
  const ids = new Set(lines.map((l) => stationOf(l, stations)?.id));
  return ordered(stations).filter((s) => s.id !== station.id && !s.isPass && ids.has(s.id));
}

/** How far each make station is with an order: lines done out of its lines. */
export function progress(lines: readonly RoutedLine[], stations: readonly Station[]): { station: Station; done: number; total: number }[] {
  return ordered(stations)
    .filter((s) => !s.isPass)
    .map((station) => {
      const at = lines.filter((l) => stationOf(l, stations)?.id === station.id);
      return { station, done: at.filter((l) => l.doneAt).length, total: at.length };
    })
    .filter((p) => p.total > 0);
}

/** Whether a station has made all its lines of an order (true when it has none). */
export const doneAt = (lines: readonly RoutedLine[], station: Station, stations: readonly Station[]): boolean =>
  lines.every((l) => stationOf(l, stations)?.id !== station.id || l.doneAt !== null);

/**
 * Whether every make station is done with an order: the pass lights it. Lines routed to the pass
 * itself (a drink poured at the pass) are the pass's to cross off and do not keep it dark.
 */
export const madeEverywhere = (lines: readonly RoutedLine[], stations: readonly Station[]): boolean =>
  lines.length > 0 && lines.every((l) => l.doneAt !== null || stationOf(l, stations)?.isPass === true);

/**
 * Whether crossing off an order's last line moves it to "ready" by itself: only in a shop with no
 * pass (one screen, or stations without an expo), where nobody else would say it is ready.
 */
export const readyWhenAllCrossed = (stations: readonly Station[]): boolean => !stations.some((s) => s.isPass);

/** A mistake in a manager's stations: where, in English, and as a code with what the message names (for the pages' own words). */
export type StationProblem = { field: string; message: string; code: 'name' | 'name_twice' | 'kind_twice' | 'category_twice' | 'two_passes'; name?: string; other?: string };

/**
 * What is wrong with a shop's stations as a manager sets them: names (1–40 characters, each once),
 * one pass at most, a kind or a category routed to one station only. Empty: fine.
 */
export function checkStations(stations: readonly Omit<Station, 'id'>[]): StationProblem[] {
  const problems: StationProblem[] = [];
  const names = new Set<string>();
  const kinds = new Map<string, string>();
  const categories = new Map<number, string>();
  stations.forEach((s, i) => {
    const name = s.name.trim();
    if (name.length < 1 || name.length > 40) problems.push({ field: `stations.${i}.name`, message: '1 to 40 characters', code: 'name' });
    else if (names.has(name.toLowerCase())) problems.push({ field: `stations.${i}.name`, message: `"${name}" is there twice`, code: 'name_twice', name });
    names.add(name.toLowerCase());
    for (const k of s.kinds) {
      if (kinds.has(k)) problems.push({ field: `stations.${i}.kinds`, message: `${k} already goes to ${kinds.get(k)}`, code: 'kind_twice', name: k, other: kinds.get(k) });
      kinds.set(k, name);
    }
    for (const c of s.categoryIds) {
      if (categories.has(c)) problems.push({ field: `stations.${i}.categoryIds`, message: `category ${c} already goes to ${categories.get(c)}`, code: 'category_twice', other: categories.get(c) });
      categories.set(c, name);
    }
  });
  if (stations.filter((s) => s.isPass).length > 1) problems.push({ field: 'stations', message: 'one pass at most', code: 'two_passes' });
  return problems;
}
