// What a platform tells us about one of its orders after the webhook: its cancellation (the order
// waiting is let go; the order on our make line is cancelled by the system with the platform as its
// reason, its stock given back, and its event says so to the kitchen), and its courier's way (the
// order's courier ETA and state, an event the pass shows live, and, before the kitchen starts it,
// its promise moved to the courier's arrival so the plan fires it to be ready then).
import { FINAL_STATUSES, NOT_STARTED_STATUSES, isIn, sqlList } from '../../domain/order-states.ts';
import { WAITING_MARKETPLACE_STATES, sqlStates, type MarketplaceOrderState } from '../../domain/marketplaces.ts';
import { transaction, type Db } from '../kernel/db.ts';
import { AppError } from '../kernel/errors.ts';
import { advanceOrder } from '../orders/move.ts';
import { recordEvent } from '../orders/record.ts';
import type { MarketplaceNotice } from './provider.ts';

type Cancelled = Extract<MarketplaceNotice, { kind: 'cancelled' }>;
type Courier = Extract<MarketplaceNotice, { kind: 'courier' }>;

/** The order the notice names, by its platform, its store and the platform's id: another store's order is none of this notice's. */
async function orderOf(db: Db, marketplace: string, n: { storeId: string; externalId: string }): Promise<{ id: string; status: string } | null> {
  const { rows } = await db.query<{ id: string; status: string }>(
    `SELECT o.id, o.status FROM orders o JOIN marketplace_orders m ON m.marketplace = o.marketplace AND m.external_id = o.external_id
     WHERE o.marketplace = $1 AND o.external_id = $2 AND m.store_id = $3`,
    [marketplace, n.externalId, n.storeId],
  );
  return rows[0] ?? null;
}

/** The platform cancelled its order: let go while it waited, cancelled here once on the make line. Returns what was done. */
export async function platformCancelled(db: Db, marketplace: string, n: Cancelled): Promise<'let_go' | 'cancelled' | 'too_late' | 'unknown'> {
  const cancelled: MarketplaceOrderState = 'cancelled';
  const { rowCount } = await db.query(
    `UPDATE marketplace_orders SET state = $3, decided_at = now(), decided_by = $4, deny_reason = $5
     WHERE marketplace = $1 AND external_id = $2 AND store_id = $6 AND state IN (${sqlStates(WAITING_MARKETPLACE_STATES)})`,
    [marketplace, n.externalId, cancelled, `system:${marketplace}`, n.reason, n.storeId],
  );
  if (rowCount) return 'let_go';
  const order = await orderOf(db, marketplace, n);
  if (!order) return 'unknown';
  await db.query('UPDATE marketplace_orders SET state = $3 WHERE marketplace = $1 AND external_id = $2 AND store_id = $4', [marketplace, n.externalId, cancelled, n.storeId]);
  if (isIn(FINAL_STATUSES, order.status)) return order.status === 'cancelled' ? 'cancelled' : 'too_late';
  try {
    await advanceOrder(db, { kind: 'system', name: marketplace }, order.id, 'cancelled', undefined, { cancelReason: 'platform', announce: true });
    return 'cancelled';
  } catch (err) {
    // out of the oven and handed on: nothing to stop any more (the platform's courier has it, or ours)
    if (err instanceof AppError && err.status < 500) return 'too_late';
    throw err;
  }
}

/** The platform's courier: assigned, on the way (when expected), arrived, collected. Returns whether the order changed. */
export async function courierNews(db: Db, marketplace: string, n: Courier): Promise<boolean> {
  const order = await orderOf(db, marketplace, n);
  if (!order || isIn(FINAL_STATUSES, order.status)) return false;
  return transaction(db, async (tx) => {
    const { rowCount } = await tx.query(
      `UPDATE orders SET courier_state = $2, courier_eta = coalesce($3::timestamptz, courier_eta), version = version + 1,
         -- not started yet, collected by the courier: ready when they come (the plan fires it for then)
         promised_at = CASE WHEN $3::timestamptz IS NOT NULL AND fulfilment = 'pickup' AND status IN (${sqlList(NOT_STARTED_STATUSES)}) THEN $3::timestamptz ELSE promised_at END
       WHERE id = $1 AND (courier_state IS DISTINCT FROM $2 OR courier_eta IS DISTINCT FROM coalesce($3::timestamptz, courier_eta))`,
      [order.id, n.state, n.etaAt],
    );
    if (!rowCount) return false;
    await recordEvent(tx, order.id, 'order.courier', { kind: 'system', name: marketplace });
    return true;
  });
}
