// The road each shop's drivers really drive (src/lib/domain/road-speed.ts learns it): its past 28
// days of deliveries, read at most every ROAD_REFRESH_MS per shop and process. A delivery counts only
// when it was its driver's only door between leaving and delivering (a trip of three would teach
// the road the stops of the others).
import { etaAt, learnRoad, type LearnedRoad } from '../../domain/road-speed.ts';
import { kitchenAt } from '../../domain/kitchen-pace.ts';
import type { Queryable } from '../kernel/db.ts';
import type { Road } from './drivers.ts';
import { forgetKitchens, learnedKitchenOf } from './kitchen-pace.ts';
import { learnedCache } from './learned-cache.ts';

export const ROAD_REFRESH_MS = 10 * 60_000;
const roads = learnedCache<LearnedRoad>(ROAD_REFRESH_MS);

/** The hour of the day in Paris, where the shops are. */
const parisHours = new Intl.DateTimeFormat('en-GB', { hour: '2-digit', hourCycle: 'h23', timeZone: 'Europe/Paris' });
const parisHour = (ms: number) => Number(parisHours.format(new Date(ms)));

async function readLearned(q: Queryable, shop: number, roadFactor: number): Promise<LearnedRoad> {
  const { rows } = await q.query<{ hour: number; metres: number | null; minutes: number; error: number | null }>({
    name: 'road-history',
    text: `SELECT extract(hour FROM o.out_for_delivery_at AT TIME ZONE 'Europe/Paris')::int AS hour,
                  2 * 6371008.8 * asin(least(1, sqrt(power(sin(radians(o.address_lat - p.lat) / 2), 2)
                    + cos(radians(p.lat)) * cos(radians(o.address_lat)) * power(sin(radians(o.address_lng - p.lng) / 2), 2)))) AS metres,
                  extract(epoch FROM o.delivered_at - o.out_for_delivery_at) / 60 AS minutes,
                  extract(epoch FROM o.delivered_at - o.promised_at) / 60 AS error
             FROM orders o JOIN pizzerias p ON p.id = o.pizzeria_id
            WHERE o.pizzeria_id = $1 AND o.status = 'delivered' AND o.delivered_at > now() - interval '28 days'
              AND o.out_for_delivery_at IS NOT NULL AND o.address_lat IS NOT NULL AND o.address_lng IS NOT NULL
              AND NOT EXISTS (SELECT 1 FROM orders x WHERE x.driver_id = o.driver_id AND x.id <> o.id
                                AND x.delivered_at > o.out_for_delivery_at AND x.delivered_at < o.delivered_at)
            ORDER BY o.delivered_at DESC LIMIT 5000`,
    values: [shop],
  });
  return learnRoad(
    rows.map((r) => ({ hour: r.hour, metres: Number(r.metres), minutes: Number(r.minutes) })),
    roadFactor,
    rows.flatMap((r) => (r.error === null ? [] : [Number(r.error)])),
  );
}

/**
 * What the shop's own deliveries taught of the road (null when it cannot be read: the rule then).
 * Past ROAD_REFRESH_MS it is read again in the background while the last reading still answers, so
 * no order waits for 28 days of deliveries to be read.
 */
export function learnedRoadOf(q: Queryable, shop: number, roadFactor: number, now = Date.now()): Promise<LearnedRoad | null> {
  return roads.of(shop, () => readLearned(q, shop, roadFactor), now);
}

/**
 * The road of a shop at this hour, and its kitchen: the speed its drivers make now and the pace its
 * kitchen keeps (src/lib/server/road/kitchen-pace.ts), each the settings' rule without history. The
 * promise, the shop's plan and the tracking page all take their minutes from here.
 */
export async function roadAt(q: Queryable, shop: number, base: Road, now = Date.now()): Promise<Road> {
  const [learned, kitchen] = await Promise.all([learnedRoadOf(q, shop, base.eta.roadFactor, now), learnedKitchenOf(q, shop, base.eta, now)]);
  const hour = parisHour(now);
  return { mode: base.mode, eta: kitchenAt(etaAt(base.eta, base.mode, learned, hour), kitchen, hour) };
}

/** Forgets what was learned of the roads and the kitchens (a test that wrote a history, a restore). */
export function forgetRoads() {
  roads.clear();
  forgetKitchens();
}
