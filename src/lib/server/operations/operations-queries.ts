// The queries behind the operations views (readiness, metrics, the system page), in one place.
import { FINAL_STATUSES_SQL } from '../../domain/order-states.ts';
import type { Queryable } from '../kernel/db.ts';

export async function ping(q: Queryable): Promise<void> {
  await q.query('SELECT 1');
}

/** Shop slugs by id, for metric labels. */
export async function shopSlugs(q: Queryable): Promise<Map<number, string>> {
  const { rows } = await q.query<{ id: number; slug: string }>('SELECT id, slug FROM pizzerias');
  return new Map(rows.map((r) => [r.id, r.slug]));
}

export async function lastMaintenanceRun(q: Queryable): Promise<{ lastAt: string; sessionsDeleted: number; eventsArchived: number } | null> {
  const { rows } = await q.query('SELECT ran_at, sessions_deleted, events_archived FROM maintenance_runs ORDER BY id DESC LIMIT 1');
  const m = rows[0];
  return m ? { lastAt: m.ran_at.toISOString(), sessionsDeleted: m.sessions_deleted, eventsArchived: m.events_archived } : null;
}

/** Orders of the current business day (Paris) by shop and status, plus every order still in progress. */
export async function ordersByShopAndStatus(q: Queryable): Promise<{ slug: string; status: string; n: number }[]> {
  const { rows } = await q.query(
    `SELECT p.slug, o.status, count(*)::int AS n FROM orders o JOIN pizzerias p ON p.id = o.pizzeria_id
     WHERE o.business_day = (now() AT TIME ZONE 'Europe/Paris')::date
        OR o.status NOT IN (${FINAL_STATUSES_SQL})
     GROUP BY p.slug, o.status`,
  );
  return rows;
}

export interface BackupSummary {
  lastSuccess: number | null;
  lastBytes: number | null;
  lastOk: boolean | null;
  failures: number;
}

export async function backupSummary(q: Queryable): Promise<BackupSummary | null> {
  const { rows } = await q.query(
    `SELECT (SELECT extract(epoch FROM finished_at) FROM backups WHERE ok ORDER BY id DESC LIMIT 1) AS last_success,
            (SELECT bytes FROM backups WHERE ok ORDER BY id DESC LIMIT 1) AS last_bytes,
            (SELECT ok FROM backups WHERE finished_at IS NOT NULL ORDER BY id DESC LIMIT 1) AS last_ok,
            (SELECT count(*) FROM backups WHERE ok = false) AS failures`,
  );
  const r = rows[0];
  if (!r) return null;
  return {
    lastSuccess: r.last_success === null ? null : Number(r.last_success),
    lastBytes: r.last_bytes === null ? null : Number(r.last_bytes),
    lastOk: r.last_ok,
    failures: Number(r.failures),
  };
}

/** Order events committed and still waiting in the inbox for a publisher (a hub, or the workers). */
export async function unpublishedEvents(q: Queryable): Promise<number> {
  const { rows } = await q.query<{ n: number }>('SELECT count(*)::int AS n FROM order_event_inbox');
  return rows[0].n;
}
