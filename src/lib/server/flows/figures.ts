// A shop's evening in figures, for the manager's live page: what is done today (Paris business
// day), how long the kitchen and the road took on average, and how often the promise was kept (as
// the speed page counts it: isKept, src/lib/domain/promise-figures.ts).
import type { ShopFigures } from '../../shapes/views.ts';
import type { Queryable } from '../kernel/db.ts';
import { WORKS_FOR } from '../delivery/dispatch.ts';
import { todaysSpeed } from '../kitchen/speed.ts';
import { HANDED_OVER_STATUSES, sqlList } from '../../domain/order-states.ts';
import { KEPT_WITHIN_MINUTES } from '../../domain/promise-figures.ts';

/**
 * `speed: false` leaves today's speed of service out (null): it reads every order of the day, and
 * the hub's pushes keep it apart, read less often (server/fleet-watch.ts).
 */
export async function shopFigures(q: Queryable, shops: number[], opts: { speed?: boolean } = {}): Promise<ShopFigures[]> {
  const speed = opts.speed === false ? Promise.resolve(new Map()) : todaysSpeed(q, shops);
  const { rows } = await q.query({
    name: 'shop-figures',
    text: `WITH today AS (
             SELECT * FROM orders
             WHERE business_day = (now() AT TIME ZONE 'Europe/Paris')::date AND pizzeria_id = ANY($1)
           )
           SELECT p.id AS pizzeria_id,
             count(t.id) FILTER (WHERE t.status IN (${sqlList(HANDED_OVER_STATUSES)}))::int AS done,
             count(t.id) FILTER (WHERE t.status = 'cancelled')::int AS cancelled,
             avg(extract(epoch FROM t.ready_at - t.preparing_at) / 60) FILTER (WHERE t.ready_at > t.preparing_at) AS avg_prep,
             avg(extract(epoch FROM t.delivered_at - t.out_for_delivery_at) / 60) FILTER (WHERE t.delivered_at > t.out_for_delivery_at) AS avg_road,
             count(t.id) FILTER (WHERE t.status IN (${sqlList(HANDED_OVER_STATUSES)}) AND t.promised_at IS NOT NULL)::int AS promised,
             count(t.id) FILTER (WHERE t.status IN (${sqlList(HANDED_OVER_STATUSES)})
               AND coalesce(t.delivered_at, t.collected_at) <= t.promised_at + make_interval(mins => ${KEPT_WITHIN_MINUTES}))::int AS on_time,
             (SELECT count(*) FROM users u WHERE u.role = 'driver' AND u.active AND u.on_shift AND ${WORKS_FOR} = p.id)::int AS drivers_on_shift
           FROM pizzerias p LEFT JOIN today t ON t.pizzeria_id = p.id
           WHERE p.id = ANY($1)
           GROUP BY p.id ORDER BY p.id`,
    values: [shops],
  });
  const speedOf = await speed;
  const round = (v: unknown) => (v === null ? null : Math.round(Number(v) * 10) / 10);
  return rows.map((r) => ({
    pizzeriaId: r.pizzeria_id,
    done: r.done,
    cancelled: r.cancelled,
    avgPrepMinutes: round(r.avg_prep),
    speed: speedOf.get(r.pizzeria_id) ?? null,
    avgRoadMinutes: round(r.avg_road),
    promised: r.promised,
    onTime: r.on_time,
    driversOnShift: r.drivers_on_shift,
  }));
}
