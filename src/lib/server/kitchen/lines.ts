// Item by item: a cook crosses off a line of an order when it is made, and a second tap un-crosses
// it. Every screen follows (the order's event, its version bumped). In a shop with no pass, the
// last line crossed off makes the order ready in the same change; with a pass, the pass lights the
// order and says "ready" itself (src/lib/domain/stations.ts).
import { can, may } from '../../domain/permissions.ts';
import { readyWhenAllCrossed } from '../../domain/stations.ts';
import type { OrderView } from '../../shapes/views.ts';
import { transaction, type Db } from '../kernel/db.ts';
import { conflict, forbidden, notFound } from '../kernel/errors.ts';
import { canActOnShop, lockOrder, moveLocked, recordEvent, type MoveBasis, type Publishing, type StaffActor } from '../orders/index.ts';
import { listStations } from './stations.ts';

export async function crossOffLine(
  db: Db,
  actor: StaffActor,
  orderId: string,
  lineId: number,
  done: boolean,
  publishing: Publishing = {},
): Promise<{ order: OrderView; movedToReady: boolean }> {
  // whoever may say an order is ready
  if (!may(actor.role, can.cook)) throw forbidden('only the kitchen crosses lines off');
  return transaction(db, async (tx) => {
    const o = await lockOrder(tx, orderId);
    if (!canActOnShop(actor, o.pizzeria_id)) throw notFound('order');
    if (o.status === 'received') throw conflict('not_started', 'start the ticket before crossing its lines off');
    if (o.status !== 'preparing') throw conflict('not_in_the_oven', `order ${o.number} is ${o.status.replace(/_/g, ' ')}: its lines can no longer be crossed off`);
    const { rows } = await tx.query<{ found: number; open: number }>({
      name: 'cross-off-line',
      text: `WITH crossed AS (
               UPDATE order_items SET done_at = CASE WHEN $3 THEN coalesce(done_at, now()) END
               WHERE id = $2 AND order_id = $1 RETURNING id
             )
             SELECT (SELECT count(*) FROM crossed)::int AS found,
                    (SELECT count(*) FROM order_items WHERE order_id = $1 AND done_at IS NULL AND id <> $2)::int + (CASE WHEN $3 THEN 0 ELSE 1 END) AS open`,
      values: [orderId, lineId, done],
    });
    if (!rows[0].found) throw notFound('line');
    const movedToReady = done && rows[0].open === 0 && readyWhenAllCrossed(await listStations(tx, o.pizzeria_id));
    if (movedToReady) await moveLocked(tx, o as MoveBasis, actor, 'ready');
    else await tx.query('UPDATE orders SET version = version + 1 WHERE id = $1', [orderId]);
    const { order } = await recordEvent(tx, orderId, movedToReady ? 'order.status' : 'order.lines', actor, publishing);
    return { order, movedToReady };
  });
}
