// What the fiscal journal reads of the order events: which orders changed, and who changed them,
// after its own place in the stream (event_cursors 'fiscal'). Its place moves on only once what the
// events brought is in the journal (written down in the same statement as the entries, when there
// are some): a crash in between reads them again, and the source keys and the orders' noted money
// make that harmless. A run is two statements: one reads, the other writes (order-facts.ts).
import type { Db, Queryable } from '../kernel/db.ts';
import { readCursor, saveCursor, settledEventId } from '../events/events.ts';
import type { Entry } from '../../domain/fiscal-chain.ts';
import type { FiscalKey } from './keys.ts';
import { journalRun, runAfter } from './order-facts.ts';

/** The journal's place in event_cursors. */
export const FISCAL_CURSOR = 'fiscal';

export const journalPlace = (q: Queryable): Promise<number> => readCursor(q, FISCAL_CURSOR);
export const saveJournalPlace = (q: Queryable, place: number): Promise<void> => saveCursor(q, FISCAL_CURSOR, place);

/**
 * Journals the orders of the events after `afterId`, a batch at a time: each batch read in one
 * statement, and what its orders' money says and the journal lacks appended in another, with the
 * journal's place (runAfter, journalRun); a batch with no money changed has its place written down
 * by the statement that read it. A batch done again under the heads' locks (another writer came
 * in between) has its place written down by itself, unless `save` is false (the caller does it,
 * less often). Returns the place reached, the entries written, and the last place written down
 * (null: none).
 */
export async function journalEventsAfter(db: Db, key: FiscalKey, afterId: number, opts: { batch?: number; stopped?: () => boolean; save?: boolean } = {}) {
  const size = opts.batch ?? 2000;
  let place = afterId;
  let saved: number | null = null;
  const written: Entry[] = [];
  // up to the settled id: an event of another shop's partition may still commit below a higher one
  const settled = await settledEventId(db);
  for (;;) {
    const batch = await runAfter(db, place, size, FISCAL_CURSOR, settled);
    if (batch.upTo === null) break;
    const run = batch.orders.length ? await journalRun(db, key, batch.orders, { name: FISCAL_CURSOR, place: batch.upTo }) : null;
    if (run) written.push(...run.written);
    place = batch.upTo;
    if (batch.placeSaved || run?.placeSaved) saved = place;
    else if (opts.save !== false) {
      await saveJournalPlace(db, place);
      saved = place;
    }
    if (batch.count < size || opts.stopped?.()) break;
  }
  return { place, written, saved };
}
