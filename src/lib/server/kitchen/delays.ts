// Customers told before their order is late: every shop's plan is read (src/lib/server/kitchen/plan.ts),
// and an order the plan expects at least TELL_LATE_MINUTES past its promise gets one message (an
// email, and a text) saying by how much, while there is still time to wait or call the shop. Its
// tracking page says it live already (the hubs push the plan); this is for the customer who closed it.
import type { Db } from '../db.ts';
import type { Road } from '../drivers.ts';
import type { PositionStore } from '../positions.ts';
import { firesOf, readEvening } from './plan.ts';
import { KITCHEN_STATUSES, sqlList } from '../../domain/order-states.ts';

/** An order expected this many minutes past its promise is worth a message. */
export const TELL_LATE_MINUTES = 10;
/** The plan is read again this often by the workers. */
export const DELAYS_EVERY_MS = 60_000;

/**
 * Orders the plan expects late enough to tell, whose customer was not told yet (one message per
 * order, however late it grows: the tracking page follows the rest).
 */
export async function lateToTell(db: Db, positions: PositionStore | null, road: Road, now = Date.now()): Promise<{ orderId: string; lateMinutes: number }[]> {
  const { rows: shops } = await db.query<{ id: number }>(
    `SELECT DISTINCT pizzeria_id AS id FROM orders WHERE status IN (${sqlList(KITCHEN_STATUSES)}) AND promised_at IS NOT NULL AND promised_at < now() + interval '1 day'`,
  );
  const late: { orderId: string; lateMinutes: number }[] = [];
  for (const { id } of shops) {
    for (const f of firesOf(await readEvening(db, id, positions, road, now), now)) if (f.lateMinutes >= TELL_LATE_MINUTES) late.push({ orderId: f.orderId, lateMinutes: f.lateMinutes });
  }
  if (!late.length) return [];
  const { rows: told } = await db.query<{ order_id: string }>(
    `SELECT DISTINCT order_id FROM customer_notifications WHERE order_id = ANY($1) AND step LIKE 'delayed-%'`,
    [late.map((l) => l.orderId)],
  );
  const already = new Set(told.map((r) => r.order_id));
  return late.filter((l) => !already.has(l.orderId));
}
