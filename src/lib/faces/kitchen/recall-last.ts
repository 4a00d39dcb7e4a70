// "Recall last": the ticket this tablet bumped last, brought back in one press. On the pass and the
// all-in-one screen, the order bumped ready last goes back to the oven (the server's rule,
// src/lib/domain/recall.ts: within its window, no driver has it); on a make station, the ticket that
// left the station last comes back, its lines crossed off in that last move un-crossed (an order the
// crossing made ready is taken back to the oven first). Plain TypeScript, tested alone.
import type { OrderView } from '../../shapes/views.ts';
import { linesAt, type Station } from '../../domain/stations.ts';
import type { StationView } from './station-view.ts';

/** What "recall last" would do: take the order back to the oven, and un-cross these lines. */
export interface LastBump {
  order: OrderView;
  recall: boolean;
  lineIds: number[];
  /** When it was bumped (ms). */
  at: number;
}

/** Lines crossed within this long of the last one were crossed in the same move ("done here"). */
const SAME_MOVE_MS = 3000;

/** Until when (ms) a ready order can go back to the oven, or null (the server checks again). */
export function recallableUntil(o: OrderView, nowMs: number, undoMs: number): number | null {
  if (o.status !== 'ready' || o.driver || o.delivery.awaitingDecision || o.delivery.attempts > 0 || !o.timestamps.ready || undoMs <= 0) return null;
  const until = Date.parse(o.timestamps.ready) + undoMs;
  return until > nowMs ? until : null;
}

/** The last move that can still be undone here, or null. */
export function lastBump(orders: readonly OrderView[], view: StationView, stations: readonly Station[], nowMs: number, undoMs: number): LastBump | null {
  const found: LastBump[] = [];
  for (const o of orders) {
    if (view.kind !== 'make') {
      if (recallableUntil(o, nowMs, undoMs)) found.push({ order: o, recall: true, lineIds: [], at: Date.parse(o.timestamps.ready!) });
      continue;
    }
    if (o.status !== 'preparing' && !(o.status === 'ready' && recallableUntil(o, nowMs, undoMs))) continue;
    const mine = linesAt(o.items, view.station, stations).map(({ line }) => line);
    // it left this station: every line of it here crossed off
    if (!mine.length || mine.some((l) => l.doneAt === null)) continue;
    const last = Math.max(...mine.map((l) => Date.parse(l.doneAt!)));
    if (nowMs - last > undoMs) continue;
    const lineIds = mine.filter((l) => last - Date.parse(l.doneAt!) <= SAME_MOVE_MS).map((l) => l.id);
    found.push({ order: o, recall: o.status === 'ready', lineIds, at: last });
  }
  return found.sort((a, b) => b.at - a.at)[0] ?? null;
}
