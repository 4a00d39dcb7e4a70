// An order's events: appended in the change's transaction, with the order's view as it now is.
import type { EventType } from '../../realtime/contract.ts';
import type { OrderView } from '../../shapes/views.ts';
import { type Tx } from '../kernel/db.ts';
import { ORDER_VIEW } from '../kernel/order-view.ts';
import { type OrderActor, actorLabel } from '../kernel/actors.ts';
import { saleSeal, type SaleSeal } from './seal.ts';

/**
 * How a change reaches the publishers: `announce` (the default) wakes them with a notification when
 * it commits; false when the caller publishes it itself right after the commit (the API, through
 * its hub), which spares the commit the database-wide lock every notifying transaction queues for
 * (db/migrations/0028). What a caller leaves unpublished, the workers' sweep publishes.
 */
export interface Publishing {
  announce?: boolean;
}

/**
 * Appends the order's event with its view as it now is in the transaction, in one statement; returns
 * the view. With the journal's seal in place (seal.ts), the same statement says whether the order's
 * money is sealed as it stands; if not (a sale, a payment, a refund), it is sealed before the
 * transaction goes on: it commits with its signed entries or not at all.
 */
export async function recordEvent(tx: Tx, orderId: string, type: EventType, actor: OrderActor, publishing: Publishing = {}): Promise<{ order: OrderView }> {
  const label = actorLabel(actor);
  const seal = saleSeal();
  const insert = `INSERT INTO order_event_inbox (order_id, pizzeria_id, driver_id, type, actor, payload, announce)
           SELECT o.id, o.pizzeria_id, coalesce(o.driver_id, o.offer_driver_id), $2, $3, ${ORDER_VIEW}, $4 FROM orders o WHERE o.id = $1`;
  const values = [orderId, type, label, publishing.announce ?? true];
  if (!seal) {
    const { rows } = await tx.query<{ payload: OrderView }>({ name: 'record-event', text: `${insert} RETURNING payload`, values });
    return { order: rows[0].payload };
  }
  const { rows } = await tx.query<{ payload: OrderView; unsealed_shop: number | null }>({ name: `record-event-sealing-${seal.sales ? 'sales' : 'training'}`, text: sealing(insert, seal), values });
  await sealIfDue(tx, seal, orderId, rows[0].unsealed_shop, label);
  return { order: rows[0].payload };
}

/** The event's statement `insert` (its order id $1), returning besides the order's shop if its money is not sealed as it stands. */
const sealing = (insert: string, seal: SaleSeal) => `WITH ev AS (${insert} RETURNING payload)
  SELECT ev.payload, (SELECT o.pizzeria_id FROM orders o WHERE o.id = $1 AND ${seal.unsealed}) AS unsealed_shop
  FROM ev`;

async function sealIfDue(tx: Tx, seal: SaleSeal, orderId: string, shop: number | null, actor: string, read?: unknown): Promise<void> {
  if (shop !== null) await seal.seal(tx, { id: orderId, shop, read: read ?? undefined }, actor);
}

/**
 * For a change that wrote its event itself (a move's one statement: move.ts): seals the order's
 * money in the transaction if the journal has not sealed it as it stands (`shop`: the statement
 * said so itself, and the order's shop; null: not due; `read`: what the seal's own expression gave
 * in that statement, SaleSeal.read). Without a seal in place, nothing.
 */
export async function sealOrder(tx: Tx, orderId: string, actor: string, shop?: number | null, read?: unknown): Promise<void> {
  const seal = saleSeal();
  if (!seal) return;
  if (shop !== undefined) return sealIfDue(tx, seal, orderId, shop, actor, read);
  const { rows } = await tx.query<{ shop: number }>({
    name: `seal-check-${seal.sales ? 'sales' : 'training'}`,
    text: `SELECT o.pizzeria_id AS shop FROM orders o WHERE o.id = $1 AND ${seal.unsealed}`,
    values: [orderId],
  });
  await sealIfDue(tx, seal, orderId, rows[0]?.shop ?? null, actor);
}

/**
 * The event of a change that took the order from a driver (or an offer from them): it goes to that
 * driver's screens (room and catch-up), and says so, so their phone drops the order.
 */
export async function recordRelease(tx: Tx, orderId: string, type: EventType, actor: OrderActor, releasedDriverId: number): Promise<{ order: OrderView }> {
  const label = actorLabel(actor);
  const seal = saleSeal();
  const insert = `INSERT INTO order_event_inbox (order_id, pizzeria_id, driver_id, type, actor, payload)
           SELECT o.id, o.pizzeria_id, $4, $2, $3, ${ORDER_VIEW} || jsonb_build_object('releasedDriverId', $4::int) FROM orders o WHERE o.id = $1`;
  const values = [orderId, type, label, releasedDriverId];
  if (!seal) {
    const { rows } = await tx.query<{ payload: OrderView }>({ name: 'record-release', text: `${insert} RETURNING payload`, values });
    return { order: rows[0].payload };
  }
  const { rows } = await tx.query<{ payload: OrderView; unsealed_shop: number | null }>({ name: `record-release-sealing-${seal.sales ? 'sales' : 'training'}`, text: sealing(insert, seal), values });
  await sealIfDue(tx, seal, orderId, rows[0].unsealed_shop, label);
  return { order: rows[0].payload };
}
