// Firing an order for later: it enters the make line (the kitchen's tickets) at its fire time,
// when the workers fire it, or at once when a manager decides so (a customer at the counter early,
// a quiet oven). Until then the kitchen shows it as coming and the customer may change or cancel it.
import { can, may } from '../../domain/permissions.ts';
import type { OrderView } from '../../shapes/views.ts';
import { transaction, type Db, type Queryable } from '../kernel/db.ts';
import { conflict, forbidden, notFound } from '../kernel/errors.ts';
import { canActOnShop, type OrderActor } from '../kernel/actors.ts';
import { lockOrder } from './read.ts';
import { recordEvent, type Publishing } from './record.ts';

/**
 * Fires an order for later. The system fires only an order whose fire time has come (a job run
 * early changes nothing); a manager fires it whenever. Answers null when there is nothing to fire
 * (already fired, cancelled, still awaiting its payment): a repeat changes nothing.
 */
export async function fireOrder(db: Db, actor: OrderActor, orderId: string, publishing: Publishing = {}): Promise<{ order: OrderView } | null> {
  if (actor.kind === 'customer') throw forbidden('the shop fires an order');
  if (actor.kind === 'staff' && !may(actor.role, can.runShop)) throw forbidden('a manager fires an order for later');
  return transaction(db, async (tx) => {
    const o = await lockOrder(tx, orderId);
    if (actor.kind === 'staff' && !canActOnShop(actor, o.pizzeria_id)) throw notFound('order');
    if (!o.fire_at) {
      if (actor.kind === 'staff') throw conflict('not_for_later', `order ${o.number} is for as soon as possible: it is in the make line already`);
      return null;
    }
    if (o.fired_at || o.status !== 'received') {
      if (actor.kind === 'staff' && o.status !== 'received') throw conflict('not_waiting', `order ${o.number} is ${o.status.replace(/_/g, ' ')}: nothing to fire`);
      return null;
    }
    const { rowCount } = await tx.query(
      `UPDATE orders SET fired_at = now(), version = version + 1 WHERE id = $1 ${actor.kind === 'system' ? 'AND fire_at <= now()' : ''}`,
      [orderId],
    );
    if (!rowCount) return null;
    return recordEvent(tx, orderId, 'order.fired', actor, publishing);
  });
}

/**
 * Orders for later taken (not awaiting payment) and not fired, to fire within a day: the reconciler
 * queues their job again if Redis lost it (a job already queued is left alone).
 */
export async function ordersToFire(q: Queryable): Promise<{ id: string; fireAt: Date }[]> {
  const { rows } = await q.query<{ id: string; fire_at: Date }>(
    `SELECT id, fire_at FROM orders WHERE fire_at IS NOT NULL AND fired_at IS NULL AND status = 'received'
       AND fire_at < now() + interval '1 day' ORDER BY fire_at LIMIT 5000`,
  );
  return rows.map((r) => ({ id: r.id, fireAt: r.fire_at }));
}

/** Whether an order for later, still waiting to be fired, has a fire time still ahead (the database's clock). */
export async function fireTimeAhead(db: Queryable, orderId: string): Promise<boolean> {
  const { rows } = await db.query<{ early: boolean }>(
    `SELECT fire_at > now() AS early FROM orders WHERE id = $1 AND fired_at IS NULL AND status = 'received'`, [orderId]);
  return rows[0]?.early ?? false;
}
