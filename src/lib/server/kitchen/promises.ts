// How a shop kept its promises on a day (src/lib/domain/promise-figures.ts), the road its drivers
// really drove hour by hour (src/lib/server/road/road-model.ts) beside the rule's speed, and the pace its
// kitchen keeps (src/lib/server/road/kitchen-pace.ts): the speed-of-service page shows them to the shop's
// managers and head office.
import { promiseFigures, type PromiseFigures } from '../../domain/promise-figures.ts';
import type { EtaSettings, TravelMode } from '../../domain/eta.ts';
import type { Queryable } from '../kernel/db.ts';
import type { StaffActor } from '../kernel/actors.ts';
import { learnedRoadOf } from '../road/road-model.ts';
import { learnedKitchenOf } from '../road/kitchen-pace.ts';
import { checkTakingsReader, todayInParis } from '../money/takings.ts';
import { HANDED_OVER_STATUSES, sqlList } from '../../domain/order-states.ts';

export interface DayPromises {
  date: string;
  figures: PromiseFigures;
  road: {
    /** km/h learned for each hour of the day (null: too few deliveries, the rule's speed then). */
    byHour: (number | null)[];
    /** The rule's speed, for the mode the shops deliver in. */
    ruleKmh: number;
    /** Deliveries it was learned from (the last 28 days, one door a trip). */
    samples: number;
    /** Minutes either side of a promise the storefront and the tracking page say. */
    spreadMinutes: number | null;
  };
  kitchen: {
    /** The kitchen's minutes over the rule's (null: too few orders, the rule then). */
    pace: number | null;
    /** Orders it was learned from (the last 28 days, started to ready). */
    samples: number;
  };
}

export async function promisesOfDay(q: Queryable, actor: StaffActor, pizzeriaId: number, road: { mode: TravelMode; eta: EtaSettings }, date?: string): Promise<DayPromises> {
  checkTakingsReader(actor, pizzeriaId);
  const day = date ?? (await todayInParis(q));
  const [{ rows }, learned, kitchen] = await Promise.all([
    q.query<{ hour: number; error: number }>({
      name: 'day-promises',
      text: `SELECT extract(hour FROM o.promised_at AT TIME ZONE 'Europe/Paris')::int AS hour,
                    extract(epoch FROM coalesce(o.delivered_at, o.collected_at) - o.promised_at) / 60 AS error
               FROM orders o
              WHERE o.pizzeria_id = $1 AND o.business_day = $2::date AND o.status IN (${sqlList(HANDED_OVER_STATUSES)}) AND o.promised_at IS NOT NULL`,
      values: [pizzeriaId, day],
    }),
    learnedRoadOf(q, pizzeriaId, road.eta.roadFactor),
    learnedKitchenOf(q, pizzeriaId, road.eta),
  ]);
  return {
    date: day,
    figures: promiseFigures(rows.map((r) => ({ hour: r.hour, errorMinutes: Number(r.error) }))),
    road: { byHour: learned?.byHour ?? Array(24).fill(null), ruleKmh: road.eta.speedKmh[road.mode], samples: learned?.samples ?? 0, spreadMinutes: learned?.spreadMinutes ?? null },
    kitchen: { pace: kitchen?.overall ?? null, samples: kitchen?.samples ?? 0 },
  };
}
