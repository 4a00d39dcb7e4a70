// Priority: the manager or the counter marks an order urgent (a customer waiting at the counter, a
// remake after a mistake), and every kitchen screen sorts it first; or takes the mark off.
import { can, may } from '../../domain/permissions.ts';
import { isFinal } from '../../domain/order-states.ts';
import type { OrderView } from '../../shapes/views.ts';
import { transaction, type Db } from '../kernel/db.ts';
import { conflict, forbidden, notFound } from '../kernel/errors.ts';
import { canActOnShop, type StaffActor } from '../kernel/actors.ts';
import { getOrder, lockOrder } from './read.ts';
import { recordEvent, type Publishing } from './record.ts';

/** Marks an order urgent (or not); the same mark twice changes nothing and answers the order as it is. */
export async function setUrgent(db: Db, actor: StaffActor, orderId: string, urgent: boolean, publishing: Publishing = {}): Promise<{ order: OrderView; changed: boolean }> {
  if (!may(actor.role, can.takeOrders)) throw forbidden('the manager or the counter marks an order urgent');
  return transaction(db, async (tx) => {
    const o = await lockOrder(tx, orderId);
    if (!canActOnShop(actor, o.pizzeria_id)) throw notFound('order');
    if (isFinal(o.status)) throw conflict('closed', `order ${o.number} is ${o.status.replace(/_/g, ' ')}: nothing to hurry`);
    if (o.urgent === urgent) return { order: (await getOrder(tx, orderId))!, changed: false };
    await tx.query('UPDATE orders SET urgent = $2, version = version + 1 WHERE id = $1', [orderId, urgent]);
    return { ...(await recordEvent(tx, orderId, 'order.urgent', actor, publishing)), changed: true };
  });
}
