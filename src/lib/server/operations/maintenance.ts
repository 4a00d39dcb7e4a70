import type { Db } from '../kernel/db.ts';
import { transaction } from '../kernel/db.ts';
import { deleteExpiredIdempotencyKeys } from '../kernel/idempotency.ts';

export interface MaintenanceResult {
  sessionsDeleted: number;
  eventsArchived: number;
  /** Months of order events that left the hot table whole (migration 0110): detached, copied to the archive, dropped. */
  monthsArchived: number;
}

/** The months ahead whose tables of order events the housekeeping makes (migration 0110). */
export const EVENT_MONTHS_AHEAD = 3;

/**
 * The first event id the hot table keeps: events older than `archiveAfterDays` go, as a prefix of
 * ids, never a hole (screens decide "archived, reload" by the ids archived: events.ts eventBounds),
 * and the newest event always stays.
 */
const KEPT_FROM = `(SELECT coalesce(min(id), (SELECT max(id) FROM order_events))
                    FROM order_events WHERE created_at >= now() - make_interval(days => $1))`;

/**
 * The months of order events ahead made, and the months wholly past the archive's age (every event
 * of theirs under KEPT_FROM) detached from the hot table, in a short transaction of their own: a
 * detach takes the table's strongest lock, which publishes wait behind for its commit (a few
 * milliseconds); if a long reader holds the table past LOCK_WAIT, the months stay for the row path.
 */
async function detachOldMonths(db: Db, archiveAfterDays: number): Promise<string[]> {
  try {
    return await transaction(db, async (tx) => {
      await tx.query(`SET LOCAL lock_timeout = '5s'`);
      await tx.query(`SELECT order_events_add_months(now()::date, (now() + make_interval(months => $1))::date)`, [EVENT_MONTHS_AHEAD]);
      // the first id kept read first: a detach may not run beside a read of the table in its own statement
      const { rows: [{ kept }] } = await tx.query<{ kept: number | null }>(`SELECT ${KEPT_FROM} AS kept`, [archiveAfterDays]);
      if (kept === null) return [];
      const { rows } = await tx.query<{ name: string }>(
        'SELECT order_events_detach_months(now() - make_interval(days => $1), $2) AS name',
        [archiveAfterDays, kept],
      );
      return rows.map((r) => r.name);
    });
  } catch (err) {
    if ((err as { code?: string }).code === '55P03') return []; // lock_not_available
    throw err;
  }
}

/**
 * Detached months copied into the archive and dropped, each in its own statement: those detached
 * now, and any a run that stopped in between left behind. Returns the events copied and the months.
 */
async function archiveDetachedMonths(db: Db): Promise<{ events: number; months: number }> {
  const { rows } = await db.query<{ name: string }>(
    `SELECT relname AS name FROM pg_class WHERE relkind = 'r' AND relname ~ '^order_events_detached_[0-9]{4}_[0-9]{2}$' ORDER BY relname`,
  );
  let events = 0;
  for (const { name } of rows) events += (await db.query<{ n: number }>('SELECT order_events_archive_detached($1) AS n', [name])).rows[0].n;
  return { events, months: rows.length };
}

/**
 * Weekly housekeeping: expired sessions go, and order events older than `archiveAfterDays` move
 * to order_events_archive: whole months at once where a month is wholly older, the rest row by row.
 * The newest event always stays in the hot table, so "events after N" keeps working; a screen that
 * asks for an archived range is told to reload its snapshot.
 */
export async function runMaintenance(db: Db, archiveAfterDays: number, trigger = 'schedule'): Promise<MaintenanceResult> {
  await detachOldMonths(db, archiveAfterDays);
  const months = await archiveDetachedMonths(db);
  return transaction(db, async (tx) => {
    const sessions = await tx.query('DELETE FROM sessions WHERE expires_at < now()');
    await tx.query(`DELETE FROM login_failures WHERE at < now() - interval '1 day'`);
    // messages counted against their hour's allowance (src/lib/server/messages/notifications.ts)
    await tx.query(`DELETE FROM message_sends WHERE at < now() - interval '1 day'`);
    // customers' sign-in codes are counted over a day; their sessions end when they expire
    await tx.query(`DELETE FROM customer_codes WHERE created_at < now() - interval '1 day'`);
    await tx.query('DELETE FROM customer_sessions WHERE expires_at < now()');
    await deleteExpiredIdempotencyKeys(tx);
    const moved = await tx.query(
      `WITH old AS (DELETE FROM order_events WHERE id < ${KEPT_FROM} RETURNING *)
       INSERT INTO order_events_archive (id, order_id, pizzeria_id, driver_id, type, actor, payload, created_at)
       SELECT id, order_id, pizzeria_id, driver_id, type, actor, payload, created_at FROM old`,
      [archiveAfterDays],
    );
    const result = { sessionsDeleted: sessions.rowCount ?? 0, eventsArchived: months.events + (moved.rowCount ?? 0), monthsArchived: months.months };
    await tx.query('INSERT INTO maintenance_runs (sessions_deleted, events_archived, trigger) VALUES ($1, $2, $3)', [
      result.sessionsDeleted,
      result.eventsArchived,
      trigger,
    ]);
    return result;
  });
}
