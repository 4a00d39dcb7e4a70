// Every minute the workers read each shop's plan (src/lib/server/kitchen/delays.ts): an order it
// expects late becomes its managers' alert, once, and one expected late enough its customer's
// message, once. The managers always hear first: an order is flagged (its event on their screens)
// before its customer's message is queued, and a message for an order flagged in the same reading
// leaves a few seconds after it.
import { lateForecasts, lateToTell } from '../src/lib/server/kitchen/delays.ts';
import type { Db } from '../src/lib/server/kernel/db.ts';
import type { Road } from '../src/lib/server/road/drivers.ts';
import { flagExpectedLate } from '../src/lib/server/orders/index.ts';
import type { PositionStore } from '../src/lib/server/road/positions.ts';
import { addJob, jobId, type Queues } from '../src/lib/server/kernel/queues.ts';

/** A customer's message about an order flagged in the same reading waits this long: its managers' screens have the alert first. */
export const NOTICE_AFTER_ALERT_MS = 5_000;

export interface LateForecastDeps {
  db: Db;
  positions: PositionStore | null;
  queues: Queues;
  road: Road;
}

/**
 * Reads the plans once, flags the orders expected at least ALERT_LATE_MINUTES late for their
 * managers (`alerts`; an order whose customer is to be told is flagged whatever it says) and, with
 * `notices`, queues one message per order expected at least TELL_LATE_MINUTES late whose customer
 * was not told yet (the job id and the sent messages keep it to one). The orders flagged now and
 * the orders whose message was queued.
 */
export async function actOnLateForecasts(deps: LateForecastDeps, what: { alerts: boolean; notices: boolean }): Promise<{ alerted: string[]; told: string[] }> {
  const forecasts = await lateForecasts(deps.db, deps.positions, deps.road);
  const toTell = what.notices ? await lateToTell(deps.db, forecasts) : [];
  const telling = new Set(toTell.map((l) => l.orderId));
  const alerted: string[] = [];
  for (const f of forecasts) {
    if ((what.alerts || telling.has(f.orderId)) && (await flagExpectedLate(deps.db, f.orderId, f.lateMinutes))) alerted.push(f.orderId);
  }
  const justFlagged = new Set(alerted);
  for (const l of toTell) {
    await addJob(deps.queues.notifications, 'send', { orderId: l.orderId, step: `delayed-${l.lateMinutes}` }, {
      jobId: jobId.notify(l.orderId, 'delayed'),
      delay: justFlagged.has(l.orderId) ? NOTICE_AFTER_ALERT_MS : 0,
    });
  }
  return { alerted, told: toTell.map((l) => l.orderId) };
}
