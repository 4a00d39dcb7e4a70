// An order's events: appended in the change's transaction, with the order's view as it now is.
import type { EventType } from '../../realtime/contract.ts';
import type { OrderView } from '../../shapes/views.ts';
import { type Tx } from '../kernel/db.ts';
import { ORDER_VIEW } from '../kernel/order-view.ts';
import { type OrderActor, actorLabel } from '../kernel/actors.ts';

/**
 * How a change reaches the publishers: `announce` (the default) wakes them with a notification when
 * it commits; false when the caller publishes it itself right after the commit (the API, through
 * its hub), which spares the commit the database-wide lock every notifying transaction queues for
 * (db/migrations/0028). What a caller leaves unpublished, the workers' sweep publishes.
 */
export interface Publishing {
  announce?: boolean;
}

/** Appends the order's event with its view as it now is in the transaction, in one statement; returns the view. */
export async function recordEvent(tx: Tx, orderId: string, type: EventType, actor: OrderActor, publishing: Publishing = {}): Promise<{ order: OrderView }> {
  const { rows } = await tx.query<{ payload: OrderView }>({
    name: 'record-event',
    text: `INSERT INTO order_event_inbox (order_id, pizzeria_id, driver_id, type, actor, payload, announce)
           SELECT o.id, o.pizzeria_id, coalesce(o.driver_id, o.offer_driver_id), $2, $3, ${ORDER_VIEW}, $4 FROM orders o WHERE o.id = $1
           RETURNING payload`,
    values: [orderId, type, actorLabel(actor), publishing.announce ?? true],
  });
  return { order: rows[0].payload };
}

/**
 * The event of a change that took the order from a driver (or an offer from them): it goes to that
 * driver's screens (room and catch-up), and says so, so their phone drops the order.
 */
export async function recordRelease(tx: Tx, orderId: string, type: EventType, actor: OrderActor, releasedDriverId: number): Promise<{ order: OrderView }> {
  const { rows } = await tx.query<{ payload: OrderView }>({
    name: 'record-release',
    text: `INSERT INTO order_event_inbox (order_id, pizzeria_id, driver_id, type, actor, payload)
           SELECT o.id, o.pizzeria_id, $4, $2, $3, ${ORDER_VIEW} || jsonb_build_object('releasedDriverId', $4::int) FROM orders o WHERE o.id = $1
           RETURNING payload`,
    values: [orderId, type, actorLabel(actor), releasedDriverId],
  });
  return { order: rows[0].payload };
}
