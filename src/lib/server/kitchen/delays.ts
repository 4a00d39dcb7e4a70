// Orders the shops' plans expect late: every shop's plan is read (src/lib/server/kitchen/plan.ts).
// An order the plan expects at least ALERT_LATE_MINUTES past its promise is an alert for its
// managers (raised once, src/lib/server/orders/road.ts `flagExpectedLate`); one expected at least
// TELL_LATE_MINUTES past it also gets one message (an email, and a text) saying by how much, while
// there is still time to wait or call the shop, and never before its managers' alert. Its tracking
// page says it live already (the hubs push the plan); the message is for the customer who closed it.
import type { Db } from '../kernel/db.ts';
import type { Road } from '../road/drivers.ts';
import type { PositionStore } from '../road/positions.ts';
import { firesOf, readEvenings } from './plan.ts';
import { KITCHEN_STATUSES, sqlList } from '../../domain/order-states.ts';

/** An order expected this many minutes past its promise is an alert for its managers (the tracking page says "late" past 2). */
export const ALERT_LATE_MINUTES = 3;
/** An order expected this many minutes past its promise is worth a message to its customer. */
export const TELL_LATE_MINUTES = 10;
/** The plan is read again this often by the workers. */
export const DELAYS_EVERY_MS = 60_000;

/** An order the plan expects late, and by how many minutes past its promise. */
export interface LateForecast {
  orderId: string;
  lateMinutes: number;
}

/** Shops whose evenings are read together (two statements a batch: readEvenings). */
const BATCH = 25;

/** Every order the shops' plans expect at least ALERT_LATE_MINUTES past its promise: one read of each shop's evening, a batch of shops at a time. */
export async function lateForecasts(db: Db, positions: PositionStore | null, road: Road, now = Date.now()): Promise<LateForecast[]> {
  const { rows: shops } = await db.query<{ id: number }>(
    `SELECT DISTINCT pizzeria_id AS id FROM orders WHERE status IN (${sqlList(KITCHEN_STATUSES)}) AND promised_at IS NOT NULL AND promised_at < now() + interval '1 day'`,
  );
  const late: LateForecast[] = [];
  for (let i = 0; i < shops.length; i += BATCH) {
    const evenings = await readEvenings(db, shops.slice(i, i + BATCH).map((s) => s.id), positions, road, now);
    for (const evening of evenings.values()) {
      for (const f of firesOf(evening, now)) if (f.lateMinutes >= ALERT_LATE_MINUTES) late.push({ orderId: f.orderId, lateMinutes: f.lateMinutes });
    }
  }
  return late;
}

/**
 * Of these forecasts, the orders late enough to tell whose customer was not told yet (one message
 * per order, however late it grows: the tracking page follows the rest).
 */
export async function lateToTell(db: Db, forecasts: readonly LateForecast[]): Promise<LateForecast[]> {
  const late = forecasts.filter((f) => f.lateMinutes >= TELL_LATE_MINUTES);
  if (!late.length) return [];
  const { rows: told } = await db.query<{ order_id: string }>(
    `SELECT DISTINCT order_id FROM customer_notifications WHERE order_id = ANY($1) AND step LIKE 'delayed-%'`,
    [late.map((l) => l.orderId)],
  );
  const already = new Set(told.map((r) => r.order_id));
  return late.filter((l) => !already.has(l.orderId));
}
