// Taking a "ready" back to the oven (src/lib/domain/recall.ts says when): a real move with its event,
// so the customer's page and every screen follow; an offer open to a driver is withdrawn, and their
// phone drops it.
import { lastBump, mayRecall, recallWindow } from '../../domain/recall.ts';
import type { RecentBump, RecentBumpsAnswer } from '../../shapes/kitchen-requests.ts';
import { firstName } from '../../realtime/audiences.ts';
import type { OrderView } from '../../shapes/views.ts';
import { transaction, type Db } from '../kernel/db.ts';
import { conflict, forbidden, notFound } from '../kernel/errors.ts';
import { lockOrder, recordEvent, recordRelease, type Publishing, type StaffActor } from '../orders/index.ts';

export async function recallOrder(
  db: Db,
  actor: StaffActor,
  orderId: string,
  opts: { windowMs: number; expectedVersion?: number } & Publishing,
): Promise<{ order: OrderView }> {
  return transaction(db, async (tx) => {
    const o = await lockOrder(tx, orderId);
    const who = mayRecall(actor, o.pizzeria_id);
    if (who) throw who.message === 'not your shop' ? notFound('order') : forbidden(who.message);
    if (opts.expectedVersion !== undefined && opts.expectedVersion !== o.version && o.status !== 'ready') {
      throw conflict('stale', `the order changed since you saw it (now version ${o.version})`);
    }
    const { rows: clock } = await tx.query<{ now: Date }>('SELECT now() AS now');
    const check = recallWindow(
      {
        pizzeriaId: o.pizzeria_id, number: o.number, status: o.status, fulfilment: o.fulfilment, driverId: o.driver_id,
        awaitingDecision: o.awaiting_decision, deliveryAttempts: o.delivery_attempts, readyAt: o.ready_at ? new Date(o.ready_at).getTime() : null,
      },
      clock[0].now.getTime(),
      opts.windowMs,
    );
    if (!check.ok) throw check.refusal.kind === 'forbidden' ? forbidden(check.refusal.message) : conflict(check.refusal.code, check.refusal.message);
    // an open offer is taken back, and forgotten: the driver did nothing wrong and may be offered it again
    const offeredTo: number | null = o.offer_driver_id;
    if (offeredTo !== null) await tx.query('DELETE FROM delivery_offers WHERE order_id = $1 AND outcome IS NULL', [orderId]);
    await tx.query(
      `UPDATE orders SET status = 'preparing', ready_at = NULL, waiting_for_driver = false, offer_driver_id = NULL, offer_expires_at = NULL,
         version = version + 1 WHERE id = $1`,
      [orderId],
    );
    const publishing = { announce: opts.announce };
    return offeredTo !== null ? recordRelease(tx, orderId, 'order.recalled', actor, offeredTo) : recordEvent(tx, orderId, 'order.recalled', actor, publishing);
  });
}

/** How far back the kitchen's strip of recent bumps looks. */
export const RECENT_BUMPS_SECONDS = 15 * 60;

/**
 * A shop's orders bumped (out of the oven, handed over, picked up by a driver) in the last 15
 * minutes, newest first, each with until when it can go back to the oven, or why not: the same rule
 * as the recall (src/lib/domain/recall.ts). What the kitchen sees of the customer: their first name.
 */
export async function recentBumps(db: Db, pizzeriaId: number, opts: { windowMs: number; limit?: number }): Promise<RecentBumpsAnswer> {
  const { rows } = await db.query({
    name: 'recent-bumps',
    // greatest() ignores the moves not made; the index orders_last_bump (0037) answers it
    text: `SELECT id, pizzeria_id, number, customer_name, fulfilment, status, version, driver_id, awaiting_decision, delivery_attempts,
                  ready_at, collected_at, out_for_delivery_at, now() AS now
           FROM orders
           WHERE pizzeria_id = $1 AND greatest(ready_at, collected_at, out_for_delivery_at) > now() - make_interval(secs => $2)
           ORDER BY greatest(ready_at, collected_at, out_for_delivery_at) DESC
           LIMIT $3`,
    values: [pizzeriaId, RECENT_BUMPS_SECONDS, opts.limit ?? 50],
  });
  const ms = (d: Date | null) => (d ? d.getTime() : null);
  const now: Date = rows[0]?.now ?? (await db.query<{ now: Date }>('SELECT now() AS now')).rows[0].now;
  const bumps: RecentBump[] = [];
  for (const r of rows) {
    const last = lastBump(
      {
        pizzeriaId: r.pizzeria_id, number: r.number, status: r.status, fulfilment: r.fulfilment, driverId: r.driver_id, awaitingDecision: r.awaiting_decision,
        deliveryAttempts: r.delivery_attempts, readyAt: ms(r.ready_at), collectedAt: ms(r.collected_at), outForDeliveryAt: ms(r.out_for_delivery_at),
      },
      now.getTime(),
      opts.windowMs,
    );
    if (!last) continue;
    bumps.push({
      orderId: r.id, number: r.number, name: firstName(r.customer_name), fulfilment: r.fulfilment, status: r.status, bump: last.bump,
      bumpedAt: new Date(last.at).toISOString(), version: r.version,
      undoableUntil: last.undoableUntil === null ? null : new Date(last.undoableUntil).toISOString(), reason: last.reason,
    });
  }
  return { bumps, now: now.toISOString(), sinceSeconds: RECENT_BUMPS_SECONDS };
}
