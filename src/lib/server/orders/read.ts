// Reading orders: one as its screens see it (the view built in SQL, order-view.ts), by tracking
// token, a shop's list, the pizzas ahead of one in its kitchen, and an order locked for a change.
import { FINAL_STATUSES_SQL, isIn, MAKING_STATUSES, NOT_STARTED_STATUSES, sqlList } from '../../domain/order-states.ts';
import { type OrderStatus } from '../../domain/order-states.ts';
import type { OrderView } from '../../shapes/views.ts';
import type { JsonText } from '../../shapes/json-text.ts';
import { type Queryable, type Tx } from '../kernel/db.ts';
import { notFound } from '../kernel/errors.ts';
import { ORDER_VIEW, ORDER_VIEW_JSON } from '../kernel/order-view.ts';


type OrderRow = Record<string, any>;

const VIEW_SELECT = `SELECT ${ORDER_VIEW} AS view FROM orders o`;

export async function getOrder(q: Queryable, id: string): Promise<OrderView | null> {
  if (!/^[0-9a-f-]{36}$/i.test(id)) return null;
  const { rows } = await q.query<{ view: OrderView }>({ name: 'get-order', text: `${VIEW_SELECT} WHERE o.id = $1`, values: [id] });
  return rows[0]?.view ?? null;
}

export async function getOrderIdByToken(q: Queryable, token: string): Promise<string | null> {
  if (!/^[A-Za-z0-9_-]{20,64}$/.test(token)) return null;
  // named: planned once per connection (every tracking page, its socket and its requests ask this)
  const { rows } = await q.query<{ id: string }>({ name: 'order-by-token', text: 'SELECT id FROM orders WHERE tracking_token = $1', values: [token] });
  return rows[0]?.id ?? null;
}

/** Pizzas the kitchen has to make before this order's (orders of its shop received or in the oven before it). */
export async function itemsAhead(q: Queryable, order: OrderView): Promise<number> {
  if (!isIn(NOT_STARTED_STATUSES, order.status)) return 0;
  const { rows } = await q.query<{ n: number }>({
    name: 'items-ahead',
    text: `SELECT coalesce(sum(o.pizzas), 0)::int AS n FROM orders o
           WHERE o.pizzeria_id = $1 AND o.status IN (${sqlList(MAKING_STATUSES)}) AND o.id <> $2
             AND (o.fire_at IS NULL OR o.fired_at IS NOT NULL)
             AND (o.status = 'preparing' OR o.created_at < $3)`,
    values: [order.pizzeriaId, order.id, order.timestamps.created],
  });
  return rows[0].n;
}

/**
 * The PIN the customer reads to the driver at the door: only the holder of the tracking link sees
 * it (it is in no order view, so no screen of the shop or the driver receives it).
 */
export async function deliveryPin(q: Queryable, orderId: string): Promise<string | null> {
  const { rows } = await q.query<{ delivery_pin: string | null }>('SELECT delivery_pin FROM orders WHERE id = $1', [orderId]);
  return rows[0]?.delivery_pin ?? null;
}

/** Which orders a list holds (a shop's, a driver's, the chain's; under way, or finished in the last hour too). */
export interface OrderListFilter {
  pizzeriaIds: number[] | 'all';
  statuses?: OrderStatus[];
  driverId?: number;
  activeOnly?: boolean;
  limit?: number;
}

/** The WHERE … LIMIT of a list, its parameters, and its shape (which conditions it has: one prepared statement each). */
function listed(filter: OrderListFilter): { text: string; params: unknown[]; shape: string } {
  let shape = '';
  const where: string[] = [];
  const params: unknown[] = [];
  if (filter.pizzeriaIds !== 'all') {
    params.push(filter.pizzeriaIds);
    where.push(`o.pizzeria_id = ANY($${params.length})`);
    shape += 's';
  }
  if (filter.statuses?.length) {
    params.push(filter.statuses);
    where.push(`o.status = ANY($${params.length}::order_status[])`);
    shape += 't';
  }
  if (filter.driverId !== undefined) {
    params.push(filter.driverId);
    // theirs, and those offered to them
    where.push(`(o.driver_id = $${params.length} OR o.offer_driver_id = $${params.length})`);
    shape += 'd';
  }
  if (filter.activeOnly) {
    // finished orders stay visible for an hour, so a screen shows what just left
    where.push(`(o.status NOT IN (${FINAL_STATUSES_SQL}) OR o.updated_at > now() - interval '1 hour')`);
    shape += 'a';
  }
  params.push(filter.limit ?? 500);
  return { text: `${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY o.created_at DESC LIMIT $${params.length}`, params, shape };
}

export async function listOrders(q: Queryable, filter: OrderListFilter): Promise<OrderView[]> {
  const { text, params, shape } = listed(filter);
  // prepared once per connection, each shape of list: its plan cost Postgres 5 ms a read
  const { rows } = await q.query<{ view: OrderView }>({ name: `list-orders-${shape}`, text: `${VIEW_SELECT} ${text}`, values: params });
  return rows.map((r) => r.view);
}

/**
 * listOrders as JSON text written by Postgres, for a page's data (shapes/json-text.ts): head
 * office's hundreds of orders are neither parsed nor written again by this process. Each shape of
 * list a statement prepared once per connection (its plan, 5 ms of Postgres' time, made once).
 */
export async function listOrdersJson(q: Queryable, filter: OrderListFilter): Promise<JsonText<OrderView[]>> {
  const { text, params, shape } = listed(filter);
  const { rows } = await q.query<{ views: string }>({
    name: `list-orders-json-${shape}`,
    text: `SELECT coalesce(json_agg(l.view ORDER BY l.created_at DESC), '[]')::text AS views
           FROM (SELECT ${ORDER_VIEW_JSON} AS view, o.created_at FROM orders o ${text}) l`,
    values: params,
  });
  return rows[0].views as JsonText<OrderView[]>;
}

export async function lockOrder(tx: Tx, id: string): Promise<OrderRow> {
  const { rows } = await tx.query({ name: 'lock-order', text: 'SELECT * FROM orders WHERE id = $1 FOR UPDATE', values: [id] });
  if (!rows[0]) throw notFound('order');
  return rows[0];
}
