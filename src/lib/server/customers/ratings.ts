// Customers' ratings of their orders (db/migrations/0044_order_ratings.sql): given once by the
// holder of the tracking link after the handover, read back on the tracking page, summed up per
// shop and per driver for the managers. A low one notifies the hubs (`rating_low`, the order's id)
// in the same transaction, and each hub tells the shop's managers and head office live.
import { DEFAULT_RATING_DAYS, LOW_RATING_ALERT_MS, LOW_RATING_MAX, averageStars, canRate, isLowRating, ratesDelivery } from '../../domain/ratings.ts';
import type { Fulfilment } from '../../domain/order-states.ts';
import type { LowRatingAlert } from '../../shapes/views.ts';
import type { RatingRequest } from '../../shapes/rating-requests.ts';
import { audit } from '../kernel/audit.ts';
import { transaction, type Db, type Queryable } from '../kernel/db.ts';
import { conflict, forbidden, invalid, notFound } from '../kernel/errors.ts';
import { canActOnShop, getOrderIdByToken, type StaffActor } from '../orders/index.ts';
import { todayInParis } from '../money/takings.ts';
import { can, may, runsChain } from '../../domain/permissions.ts';

export interface OrderRating {
  food: number;
  /** null for a pickup. */
  delivery: number | null;
  comment: string | null;
  createdAt: string;
}

const RATING_FIELDS = `food, delivery, comment, to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS "createdAt"`;

/** The rating an order was given, if any. */
export async function ratingOfOrder(q: Queryable, orderId: string): Promise<OrderRating | null> {
  const { rows } = await q.query<OrderRating>(`SELECT ${RATING_FIELDS} FROM order_ratings WHERE order_id = $1`, [orderId]);
  return rows[0] ?? null;
}

/** The rating of the order behind a tracking link (404 for a link that is no order's). */
export async function ratingByToken(q: Queryable, token: string): Promise<OrderRating | null> {
  const id = await getOrderIdByToken(q, token);
  if (!id) throw notFound('order');
  return ratingOfOrder(q, id);
}

/**
 * The customer rates their order, once, after the handover: refused (and nothing written) for a
 * link that is no order's (404), an order not delivered or collected yet (409 `not_delivered`), a
 * second time (409 `already_rated`), a delivery without its delivery rated or a pickup with one (422).
 * Kept in the audit log as the customer's; a low one tells the shop's managers.
 */
export async function rateOrder(dbp: Db, token: string, req: RatingRequest): Promise<{ rating: OrderRating; low: boolean }> {
  const id = await getOrderIdByToken(dbp, token);
  if (!id) throw notFound('order');
  return transaction(dbp, async (tx) => {
    const { rows } = await tx.query<{ number: number; status: string; fulfilment: Fulfilment; pizzeria_id: number; driver_id: number | null }>(
      'SELECT number, status, fulfilment, pizzeria_id, driver_id FROM orders WHERE id = $1',
      [id],
    );
    const o = rows[0];
    if (!o) throw notFound('order');
    if (!canRate(o.status)) throw conflict('not_delivered', 'an order is rated once it is delivered or collected');
    const withDelivery = ratesDelivery(o.fulfilment);
    if (withDelivery && req.delivery === undefined) throw invalid({ delivery: 'rate the delivery too, from 1 to 5 stars' });
    if (!withDelivery && req.delivery !== undefined) throw invalid({ delivery: 'a pickup has no delivery to rate' });
    const scores = { food: req.food, delivery: withDelivery ? req.delivery! : null };
    const inserted = await tx.query<OrderRating>(
      `INSERT INTO order_ratings (order_id, pizzeria_id, driver_id, fulfilment, food, delivery, comment)
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (order_id) DO NOTHING
       RETURNING ${RATING_FIELDS}`,
      [id, o.pizzeria_id, withDelivery ? o.driver_id : null, o.fulfilment, scores.food, scores.delivery, req.comment ?? null],
    );
    const rating = inserted.rows[0];
    if (!rating) throw conflict('already_rated', 'this order has been rated already');
    await audit(tx, { kind: 'customer' }, { action: 'rating.create', entity: 'order', entityId: id, pizzeriaId: o.pizzeria_id, before: null, after: { number: o.number, ...rating } });
    const low = isLowRating(scores);
    // the hubs tell the shop's managers (server/rating-alerts.ts); a few a day, so the commit's notify lock costs nothing
    if (low) await tx.query(`SELECT pg_notify('rating_low', $1)`, [id]);
    return { rating, low };
  });
}

const LOW = `(r.food <= ${LOW_RATING_MAX} OR r.delivery <= ${LOW_RATING_MAX})`;
const LOW_RATING_SELECT = `SELECT r.order_id AS "orderId", r.pizzeria_id AS "pizzeriaId", o.number, r.fulfilment, r.food, r.delivery, r.comment,
         u.name AS "driverName", to_char(r.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS at
       FROM order_ratings r JOIN orders o ON o.id = r.order_id LEFT JOIN users u ON u.id = r.driver_id`;

/** One low rating as the managers' alerts show it (null: none, or not low). */
export async function lowRatingOf(q: Queryable, orderId: string): Promise<LowRatingAlert | null> {
  const { rows } = await q.query<LowRatingAlert>(`${LOW_RATING_SELECT} WHERE r.order_id = $1 AND ${LOW}`, [orderId]);
  return rows[0] ?? null;
}

/** The shops' low ratings of the last hours (LOW_RATING_ALERT_MS): the alerts of the managers' live page. */
export async function recentLowRatings(q: Queryable, shops: number[], now = Date.now()): Promise<LowRatingAlert[]> {
  const { rows } = await q.query<LowRatingAlert>(
    `${LOW_RATING_SELECT} WHERE r.pizzeria_id = ANY($1::int[]) AND r.created_at > $2 AND ${LOW} ORDER BY r.created_at`,
    [shops, new Date(now - LOW_RATING_ALERT_MS)],
  );
  return rows;
}

export interface StarFigures {
  /** Orders rated. */
  count: number;
  /** Average stars to one decimal (null: none rated). */
  food: number | null;
  delivery: number | null;
  /** Ratings of the delivery (a pickup rates the food only). */
  deliveryCount: number;
  /** Ratings with the food or the delivery at two stars or fewer. */
  low: number;
}

export interface RatingsReport {
  /** The period, Paris days, both included. */
  from: string;
  to: string;
  shops: ({ id: number; name: string } & StarFigures)[];
  /** Drivers with deliveries rated in the period, in these shops, by name. */
  drivers: ({ id: number; name: string; homeShop: number | null } & StarFigures)[];
  /** The latest ratings with a comment, or low (newest first, 30 at most). */
  latest: (LowRatingAlert & { shop: string; businessDay: string })[];
}

interface SumsRow {
  count: number;
  food_sum: number | null;
  delivery_count: number;
  delivery_sum: number | null;
  low: number;
}
const SUMS = `count(r.order_id)::int AS count, sum(r.food)::int AS food_sum, count(r.delivery)::int AS delivery_count,
              sum(r.delivery)::int AS delivery_sum, count(r.order_id) FILTER (WHERE ${LOW})::int AS low`;
const figuresOf = (r: SumsRow): StarFigures => ({
  count: r.count,
  food: averageStars(r.food_sum ?? 0, r.count),
  delivery: averageStars(r.delivery_sum ?? 0, r.delivery_count),
  deliveryCount: r.delivery_count,
  low: r.low,
});

/** Adds days to a Paris date (YYYY-MM-DD). */
const addDays = (day: string, n: number) => new Date(Date.parse(`${day}T12:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);

/**
 * The ratings of a period (default: the last 30 days, today included) per shop and per driver, and
 * the latest comments: a manager reads their own shop (another's: 403), head office one shop or every shop.
 */
export async function ratingsReport(q: Queryable, actor: StaffActor, asked: { pizzeriaId?: number; from?: string; to?: string } = {}): Promise<RatingsReport> {
  if (!may(actor.role, can.runShop)) throw forbidden('ratings are for managers and head office');
  if (asked.pizzeriaId !== undefined && !canActOnShop(actor, asked.pizzeriaId)) throw forbidden('not your shop');
  // null: every shop
  const scope: number[] | null = asked.pizzeriaId !== undefined ? [asked.pizzeriaId] : runsChain(actor) ? null : [actor.pizzeriaId!];
  const to = asked.to ?? (await todayInParis(q));
  const from = asked.from ?? addDays(to, 1 - DEFAULT_RATING_DAYS);
  // the period's bounds as instants (Paris midnights), so the index on created_at serves
  const period = `r.created_at >= ($2::date)::timestamp AT TIME ZONE 'Europe/Paris' AND r.created_at < ($3::date + 1)::timestamp AT TIME ZONE 'Europe/Paris'`;
  const values = [scope, from, to];
  const [byShop, byDriver, latest] = await Promise.all([
    q.query<SumsRow & { id: number; name: string }>(
      `SELECT p.id, p.name, ${SUMS}
       FROM pizzerias p LEFT JOIN order_ratings r ON r.pizzeria_id = p.id AND ${period}
       WHERE $1::int[] IS NULL OR p.id = ANY($1::int[])
       GROUP BY p.id ORDER BY p.id`,
      values,
    ),
    q.query<SumsRow & { id: number; name: string; home_shop: number | null }>(
      `SELECT u.id, u.name, u.pizzeria_id AS home_shop, ${SUMS}
       FROM order_ratings r JOIN users u ON u.id = r.driver_id
       WHERE ($1::int[] IS NULL OR r.pizzeria_id = ANY($1::int[])) AND ${period}
       GROUP BY u.id ORDER BY u.name, u.id`,
      values,
    ),
    q.query<LowRatingAlert & { shop: string; businessDay: string }>(
      `SELECT r.order_id AS "orderId", r.pizzeria_id AS "pizzeriaId", p.name AS shop, o.number, o.business_day::text AS "businessDay",
         r.fulfilment, r.food, r.delivery, r.comment, u.name AS "driverName", to_char(r.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS at
       FROM order_ratings r JOIN orders o ON o.id = r.order_id JOIN pizzerias p ON p.id = r.pizzeria_id LEFT JOIN users u ON u.id = r.driver_id
       WHERE ($1::int[] IS NULL OR r.pizzeria_id = ANY($1::int[])) AND ${period} AND (r.comment IS NOT NULL OR ${LOW})
       ORDER BY r.created_at DESC LIMIT 30`,
      values,
    ),
  ]);
  if (asked.pizzeriaId !== undefined && !byShop.rows.length) throw notFound('pizzeria');
  return {
    from,
    to,
    shops: byShop.rows.map((r) => ({ id: r.id, name: r.name, ...figuresOf(r) })),
    drivers: byDriver.rows.map((r) => ({ id: r.id, name: r.name, homeShop: r.home_shop, ...figuresOf(r) })),
    latest: latest.rows,
  };
}
