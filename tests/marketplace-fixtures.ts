// Delivery platforms' orders for the screens' tests, until the platforms' intake makes them: a pickup
// order placed as a customer would, then made a platform's order in SQL (its channel, its way of
// paying, its id and code there, the courier), with an event carrying the order as it now is, so
// every screen sees it at once, as it would see the intake's.
import type pg from 'pg';
import { ORDER_VIEW } from '../src/lib/server/kernel/order-view.ts';
import { advanceOrder } from '../src/lib/server/orders/move.ts';
import type { OrderView } from '../src/lib/shapes/views.ts';
import { placeThroughApi } from './helpers.ts';

export interface Courier {
  /** When the courier is expected at the shop (null: not said). */
  eta: Date | null;
  state: 'assigned' | 'arriving' | 'arrived' | 'collected' | null;
}

export interface PlatformOrder {
  marketplace?: string;
  externalId?: string;
  code?: string | null;
  courier?: Courier | null;
}

/** Writes the order's event as a platform's change would (every screen is told); returns the order as it now is. */
async function announce(pool: pg.Pool, orderId: string, marketplace: string): Promise<OrderView> {
  const { rows } = await pool.query<{ payload: OrderView }>(
    `INSERT INTO order_event_inbox (order_id, pizzeria_id, driver_id, type, actor, payload)
     SELECT o.id, o.pizzeria_id, o.driver_id, 'order.modified', $2, ${ORDER_VIEW} FROM orders o WHERE o.id = $1
     RETURNING payload`,
    [orderId, `system:${marketplace}`],
  );
  return rows[0].payload;
}

/** Makes an order a platform's order, paid to the platform, with its id, code and courier there. */
export async function makePlatformOrder(pool: pg.Pool, orderId: string, p: PlatformOrder = {}): Promise<OrderView> {
  const marketplace = p.marketplace ?? 'uber_eats';
  await pool.query(
    `UPDATE orders SET version = version + 1, channel = 'marketplace', payment_method = 'marketplace', payment_status = 'paid', paid_cents = total_cents,
            marketplace = $2, external_id = $3, external_code = $4, courier_eta = $5, courier_state = $6
     WHERE id = $1`,
    [orderId, marketplace, p.externalId ?? `${marketplace}-${orderId}`, p.code === undefined ? 'A1B2C' : p.code, p.courier?.eta ?? null, p.courier?.state ?? null],
  );
  return announce(pool, orderId, marketplace);
}

/** A pickup order of `productId` placed at the shop, made a platform's order: what its courier collects. */
export async function placePlatformOrder(
  pool: pg.Pool,
  base: string,
  order: { pizzeriaId: number; productId: number; quantity?: number; name?: string },
  p: PlatformOrder = {},
): Promise<OrderView> {
  const placed = await placeThroughApi(base, {
    pizzeriaId: order.pizzeriaId,
    productId: order.productId,
    quantity: order.quantity ?? 1,
    fulfilment: 'pickup',
    customer: { name: order.name ?? 'Jules Petit', phone: '0611223344' },
  });
  return makePlatformOrder(pool, placed.id, p);
}

/** What the platform says of its courier now (its time, where they are). */
export async function moveCourier(pool: pg.Pool, orderId: string, courier: Courier): Promise<OrderView> {
  const { rows } = await pool.query<{ marketplace: string }>(
    'UPDATE orders SET version = version + 1, courier_eta = $2, courier_state = $3 WHERE id = $1 RETURNING marketplace',
    [orderId, courier.eta, courier.state],
  );
  return announce(pool, orderId, rows[0].marketplace);
}

/**
 * The platform cancels the order (its customer changed their mind): cancelled by the system in the
 * platform's name, not by our staff, its stock given back as any cancel does.
 */
export async function cancelAsPlatform(pool: pg.Pool, orderId: string, marketplace = 'uber_eats'): Promise<OrderView> {
  const { order } = await advanceOrder(pool, { kind: 'system', name: marketplace }, orderId, 'cancelled', undefined, { cancelReason: 'customer' });
  return order;
}
