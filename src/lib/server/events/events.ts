import type { EventType, OrderUpdated } from '../../realtime/contract.ts';
import type { OrderView } from '../../shapes/views.ts';
import type { Queryable } from '../kernel/db.ts';

/**
 * Publishes committed inbox events (up to `max`, oldest first) with their public ids, and returns
 * them in id order. Safe to call from any number of processes at once: publishes run one at a time.
 */
export async function publishEvents(q: Queryable, max = 1000): Promise<Published> {
  const { rows } = await q.query<{ event_id: number; event_type: EventType; event_at: Date; event_payload: OrderView; inbox_seq: number }>({
    name: 'publish-events',
    text: 'SELECT event_id, event_type, event_at, event_payload, inbox_seq FROM publish_order_events($1)',
    values: [max],
  });
  return {
    events: rows.map((r) => ({ eventId: r.event_id, type: r.event_type, at: r.event_at.toISOString(), order: r.event_payload })),
    inboxSeqs: rows.map((r) => r.inbox_seq),
  };
}

/**
 * Whether the inbox holds an event written more than `ms` ago: one whose writer neither announced
 * it nor published it (it stopped between its commit and its publish), or one a publish missed.
 */
export async function inboxHasOlderThan(q: Queryable, ms: number): Promise<boolean> {
  const { rows } = await q.query<{ stale: boolean }>({
    name: 'inbox-stale',
    text: `SELECT EXISTS (SELECT 1 FROM order_event_inbox WHERE created_at < clock_timestamp() - $1 * interval '1 millisecond') AS stale`,
    values: [ms],
  });
  return rows[0].stale;
}

/** What a publish gave out: the events in id order, and the inbox rows they came from (their notifications named those). */
export interface Published {
  events: OrderUpdated[];
  inboxSeqs: number[];
}

interface EventRow {
  id: number;
  type: EventType;
  created_at: Date;
  payload: OrderView;
}

const toUpdate = (r: EventRow): OrderUpdated => ({
  eventId: r.id,
  type: r.type,
  at: r.created_at.toISOString(),
  order: r.payload,
});

export type EventFilter =
  | { all: true }
  | { pizzeriaId: number }
  | { driverId: number }
  | { orderId: string };

/** Events after `afterId` that a filter sees, oldest first, at most `limit`. */
export async function listEventsAfter(q: Queryable, filter: EventFilter, afterId: number, limit: number): Promise<OrderUpdated[]> {
  let by = 'all';
  let where = 'TRUE';
  const params: unknown[] = [afterId, limit];
  if ('pizzeriaId' in filter) {
    [by, where] = ['shop', 'pizzeria_id = $3'];
    params.push(filter.pizzeriaId);
  } else if ('driverId' in filter) {
    [by, where] = ['driver', 'driver_id = $3'];
    params.push(filter.driverId);
  } else if ('orderId' in filter) {
    [by, where] = ['order', 'order_id = $3'];
    params.push(filter.orderId);
  }
  // one named statement per filter (planned once per connection: see db.ts)
  const { rows } = await q.query<EventRow>({
    name: `events-after-${by}`,
    text: `SELECT id, type, created_at, payload FROM order_events WHERE id > $1 AND ${where} ORDER BY id LIMIT $2`,
    values: params,
  });
  return rows.map(toUpdate);
}

/**
 * Every shop's events after `afterId` up to the settled id (db/migrations/0114: every id at or
 * below it has committed or never will), oldest first, at most `limit`: what a follower of the
 * whole chain reads, so that an event committing after a higher id of another shop is never
 * skipped. Waits for the publishes under way, a few milliseconds.
 */
export async function listSettledEventsAfter(q: Queryable, afterId: number, limit: number): Promise<OrderUpdated[]> {
  const { rows } = await q.query<EventRow>({
    name: 'events-after-settled',
    text: 'SELECT id, type, created_at, payload FROM order_events_after($1, $2)',
    values: [afterId, limit],
  });
  return rows.map(toUpdate);
}

/** The settled id (listSettledEventsAfter): where a follower of the whole chain may start. */
export async function settledEventId(q: Queryable): Promise<number> {
  const { rows } = await q.query<{ upto: string }>({ name: 'events-settled', text: 'SELECT order_events_settled() AS upto' });
  return Math.max(0, Number(rows[0].upto));
}

/** A shop's event partition (db/migrations/0114: `order_event_part`), and how many there are. */
export const EVENT_PARTITIONS = 16;
export const partitionOf = (shop: number): number => ((shop % EVENT_PARTITIONS) + EVENT_PARTITIONS) % EVENT_PARTITIONS;

/** An event with its partition, as the partitions' reader gives it. */
export type PartitionedEvent = OrderUpdated & { part: number };

/**
 * The events of some partitions, each after its own place, oldest first, at most `limit` in all:
 * within a partition publishes run one at a time, so its ids follow commit order and a place per
 * partition never skips one (no wait for other partitions' publishes).
 */
export async function listPartitionEventsAfter(q: Queryable, places: ReadonlyMap<number, number>, limit: number): Promise<PartitionedEvent[]> {
  if (!places.size) return [];
  const { rows } = await q.query<EventRow & { part: number }>({
    name: 'events-after-partitions',
    text: `SELECT e.id, e.type, e.created_at, e.payload, c.part
           FROM unnest($1::int[], $2::bigint[]) AS c(part, after)
           CROSS JOIN LATERAL (SELECT id, type, created_at, payload FROM order_events
                               WHERE order_event_part(pizzeria_id) = c.part AND id > c.after ORDER BY id LIMIT $3) e
           ORDER BY e.id LIMIT $3`,
    values: [[...places.keys()], [...places.values()], limit],
  });
  return rows.map((r) => ({ ...toUpdate(r), part: r.part }));
}

/** Several places at once (the reactor's, one per partition): names → last event ids. */
export async function readCursors(q: Queryable, names: readonly string[]): Promise<Map<string, number>> {
  await q.query('INSERT INTO event_cursors (name) SELECT unnest($1::text[]) ON CONFLICT DO NOTHING', [names]);
  const { rows } = await q.query<{ name: string; last_event_id: string }>('SELECT name, last_event_id FROM event_cursors WHERE name = ANY($1)', [names]);
  return new Map(rows.map((r) => [r.name, Number(r.last_event_id)]));
}

/** Writes several places down; a place never moves back (a partition's earlier owner writing late). */
export async function saveCursors(q: Queryable, places: ReadonlyMap<string, number>): Promise<void> {
  if (!places.size) return;
  await q.query(
    'UPDATE event_cursors c SET last_event_id = greatest(c.last_event_id, p.last) FROM unnest($1::text[], $2::bigint[]) AS p(name, last) WHERE c.name = p.name',
    [[...places.keys()], [...places.values()]],
  );
}

/**
 * The id of the newest event overall, and of the first a screen can resume from in the hot table:
 * above every archived id (the housekeeping archives a prefix of ids, and a month whole, which may
 * take a few ids above the next month's first: maintenance.ts), so that "events after N" misses none.
 */
export async function eventBounds(q: Queryable): Promise<{ first: number; last: number }> {
  const { rows } = await q.query<{ first: number | null; last: number | null }>({
    name: 'event-bounds',
    text: `SELECT greatest((SELECT min(id) FROM order_events), (SELECT max(id) + 1 FROM order_events_archive)) AS first,
                  coalesce((SELECT max(id) FROM order_events), (SELECT max(id) FROM order_events_archive)) AS last`,
  });
  return { first: Number(rows[0].first ?? 0), last: Number(rows[0].last ?? 0) };
}

/** A follower's place in the event stream (the workers keep theirs, so they react to each event once). */
export async function readCursor(q: Queryable, name: string): Promise<number> {
  await q.query('INSERT INTO event_cursors (name) VALUES ($1) ON CONFLICT DO NOTHING', [name]);
  const { rows } = await q.query<{ last_event_id: number }>('SELECT last_event_id FROM event_cursors WHERE name = $1', [name]);
  return rows[0].last_event_id;
}

export async function saveCursor(q: Queryable, name: string, lastEventId: number): Promise<void> {
  await q.query('UPDATE event_cursors SET last_event_id = $2 WHERE name = $1', [name, lastEventId]);
}
