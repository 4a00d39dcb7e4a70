// What the fiscal journal reads of the order events: which orders changed, and who changed them,
// after its own place in the stream (event_cursors 'fiscal'). Its place moves on only once what the
// events brought is in the journal: a crash in between reads them again, and the source keys and
// the orders' noted money make that harmless.
import type { Db, Queryable } from '../db.ts';
import { readCursor, saveCursor } from '../events.ts';
import type { Entry } from '../../domain/fiscal-chain.ts';
import type { FiscalKey } from './keys.ts';
import { CHANGED_ORDERS, journalChanged } from './order-facts.ts';

/** The journal's place in event_cursors. */
export const FISCAL_CURSOR = 'fiscal';

/**
 * The events after `afterId` (at most `limit`): the last one's id, how many, and the orders among
 * theirs whose money changed since the journal noted it, with the actor of each one's last event.
 * One statement: most runs find no money changed (the kitchen's moves, the drivers').
 */
async function batchAfter(q: Queryable, afterId: number, limit: number): Promise<{ upTo: number | null; count: number; changed: { shop: number; id: string; actor: string }[] }> {
  const { rows } = await q.query({
    name: 'fiscal-events-after',
    text: `WITH ev AS (SELECT id, order_id, actor FROM order_events WHERE id > $1 ORDER BY id LIMIT $2),
                last AS (SELECT DISTINCT ON (order_id) order_id, actor FROM ev ORDER BY order_id, id DESC)
           SELECT (SELECT max(id) FROM ev) AS up_to, (SELECT count(*) FROM ev)::int AS count,
                  (SELECT json_agg(json_build_object('shop', c.shop, 'id', c.id, 'actor', l.actor))
                   FROM (${CHANGED_ORDERS} AND o.id IN (SELECT order_id FROM last)) c JOIN last l ON l.order_id = c.id) AS changed`,
    values: [afterId, limit],
  });
  return { upTo: rows[0].up_to, count: rows[0].count, changed: rows[0].changed ?? [] };
}

export const journalPlace = (q: Queryable): Promise<number> => readCursor(q, FISCAL_CURSOR);
export const saveJournalPlace = (q: Queryable, place: number): Promise<void> => saveCursor(q, FISCAL_CURSOR, place);

/**
 * Journals the orders of the events after `afterId`, a batch at a time, and writes the journal's
 * place down after each (unless `save` is false: the caller does it, less often); returns the place
 * reached and the entries written.
 */
export async function journalEventsAfter(db: Db, key: FiscalKey, afterId: number, opts: { batch?: number; stopped?: () => boolean; save?: boolean } = {}) {
  const size = opts.batch ?? 2000;
  let place = afterId;
  const written: Entry[] = [];
  for (;;) {
    const batch = await batchAfter(db, place, size);
    if (batch.upTo === null) break;
    if (batch.changed.length) {
      written.push(...(await journalChanged(db, key, batch.changed, new Map(batch.changed.map((c) => [c.id, c.actor])))));
    }
    place = batch.upTo;
    if (opts.save !== false) await saveJournalPlace(db, place);
    if (batch.count < size || opts.stopped?.()) break;
  }
  return { place, written };
}
