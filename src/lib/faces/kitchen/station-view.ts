// What one kitchen tablet shows, by the station it has chosen: everything (a shop with one screen),
// one make station (only its lines, "also at: cold", gone once its lines are made), or the pass
// (whole orders, how far each station is, lit once every station is done). Plain TypeScript.
import type { OrderItemView, OrderView } from '../../shapes/views.ts';
import { linesAt, madeEverywhere, ordered, otherStations, progress, type Station } from '../../domain/stations.ts';

/** The tablet's choice: everything, or one station by id. */
export type StationChoice = 'all' | number;

export type StationView =
  | { kind: 'all' }
  | { kind: 'make'; station: Station }
  | { kind: 'pass'; station: Station };

/** The view of a choice (a station since removed falls back to everything). */
export function viewOf(choice: StationChoice, stations: readonly Station[]): StationView {
  const station = choice === 'all' ? undefined : stations.find((s) => s.id === choice);
  if (!station) return { kind: 'all' };
  return station.isPass ? { kind: 'pass', station } : { kind: 'make', station };
}

/** The choices a tablet offers, in the shop's order: everything, the make stations, the pass. */
export const choices = (stations: readonly Station[]): StationChoice[] => (stations.length ? ['all', ...ordered(stations).map((s) => s.id)] : []);

/** A line as a ticket shows it, with its place in the order (its recipe and its key follow it). */
export interface ShownLine {
  item: OrderItemView;
  index: number;
}

/** The lines a ticket shows here: all of them, or the station's own. */
export function linesShown(o: OrderView, view: StationView, stations: readonly Station[]): ShownLine[] {
  if (view.kind === 'make') return linesAt(o.items, view.station, stations).map(({ line, index }) => ({ item: line, index }));
  return o.items.map((item, index) => ({ item, index }));
}

/** Whether every make station is done with it: on the pass (and the all-in-one screen of a shop with a pass), it lights. */
export const lit = (o: OrderView, stations: readonly Station[]): boolean =>
  stations.some((s) => s.isPass) && o.status === 'preparing' && madeEverywhere(o.items, stations);

/**
 * The make line's tickets for this tablet. A make station sees the orders with lines of its own
 * still to make (a cancelled one stays in place for a while, as it was); the pass and the all-in-one
 * screen see every order, the lit ones first (they are what to send next); urgent orders before all
 * (the make line comes urgent first, then oldest first, and keeps that order within each rank).
 */
export function ticketsFor(makeLine: readonly OrderView[], view: StationView, stations: readonly Station[], cancelledHere: (o: OrderView) => boolean): OrderView[] {
  if (view.kind === 'make') {
    return makeLine.filter((o) => {
      const mine = linesAt(o.items, view.station, stations);
      if (!mine.length) return false;
      return o.status === 'cancelled' ? cancelledHere(o) : mine.some(({ line }) => line.doneAt === null);
    });
  }
  const rank = (o: OrderView) => (o.urgent ? 2 : 0) + (lit(o, stations) ? 1 : 0);
  return [...makeLine].sort((a, b) => rank(b) - rank(a));
}

/** "Also at: Cold": the other make stations a ticket goes to. */
export const alsoAt = (o: OrderView, view: StationView, stations: readonly Station[]): Station[] =>
  view.kind === 'make' ? otherStations(o.items, view.station, stations) : [];

/** How far each make station is, for the pass: "Four 1/2". */
export const stationProgress = (o: OrderView, view: StationView, stations: readonly Station[]) => (view.kind === 'make' ? [] : progress(o.items, stations));

/** The lines still to make here (what "done here" crosses off, and the X key's next line). */
export const openLines = (o: OrderView, view: StationView, stations: readonly Station[]): ShownLine[] =>
  linesShown(o, view, stations).filter((l) => l.item.doneAt === null);
