import type { Db } from '../kernel/db.ts';
import { transaction } from '../kernel/db.ts';
import { deleteExpiredIdempotencyKeys } from '../kernel/idempotency.ts';

export interface MaintenanceResult {
  sessionsDeleted: number;
  eventsArchived: number;
}

/**
 * Weekly housekeeping: expired sessions go, and order events older than `archiveAfterDays` move
 * to order_events_archive. The newest event always stays in the hot table, so "events after N"
 * keeps working; a screen that asks for an archived range is told to reload its snapshot.
 */
export async function runMaintenance(db: Db, archiveAfterDays: number, trigger = 'schedule'): Promise<MaintenanceResult> {
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
      `WITH old AS (
         DELETE FROM order_events
         -- a prefix of ids, never a hole: screens decide "archived, reload" by the lowest id left
         WHERE id < (SELECT coalesce(min(id), (SELECT max(id) FROM order_events))
                     FROM order_events WHERE created_at >= now() - make_interval(days => $1))
         RETURNING *)
       INSERT INTO order_events_archive SELECT * FROM old`,
      [archiveAfterDays],
    );
    const result = { sessionsDeleted: sessions.rowCount ?? 0, eventsArchived: moved.rowCount ?? 0 };
    await tx.query('INSERT INTO maintenance_runs (sessions_deleted, events_archived, trigger) VALUES ($1, $2, $3)', [
      result.sessionsDeleted,
      result.eventsArchived,
      trigger,
    ]);
    return result;
  });
}
