// The pace each shop's kitchen really keeps (src/lib/domain/kitchen-pace.ts learns it): its past 28
// days of orders, started to ready, read at most every PACE_REFRESH_MS per shop and process, as the
// road is (road-model.ts, which hands both to the promise, the plan and the tracking page).
import { learnKitchen, type LearnedKitchen } from '../../domain/kitchen-pace.ts';
import type { EtaSettings } from '../../domain/eta.ts';
import type { Queryable } from '../kernel/db.ts';
import { learnedCache } from './learned-cache.ts';

export const PACE_REFRESH_MS = 10 * 60_000;
const learned = learnedCache<LearnedKitchen>(PACE_REFRESH_MS);

async function readLearned(q: Queryable, shop: number, rule: EtaSettings): Promise<LearnedKitchen> {
  const { rows } = await q.query<{ hour: number; items: number; minutes: number }>({
    name: 'kitchen-history',
    // by business day, the shop's orders index: the last 28 days' orders the kitchen made
    text: `SELECT extract(hour FROM o.preparing_at AT TIME ZONE 'Europe/Paris')::int AS hour, o.pizzas AS items,
                  extract(epoch FROM o.ready_at - o.preparing_at) / 60 AS minutes
             FROM orders o
            WHERE o.pizzeria_id = $1 AND o.business_day >= (now() AT TIME ZONE 'Europe/Paris')::date - 28
              AND o.preparing_at > now() - interval '28 days' AND o.ready_at > o.preparing_at
            ORDER BY o.ready_at DESC LIMIT 5000`,
    values: [shop],
  });
  return learnKitchen(rows.map((r) => ({ hour: r.hour, items: Number(r.items), minutes: Number(r.minutes) })), rule);
}

/**
 * What the shop's own orders taught of its kitchen (null when it cannot be read: the rule then).
 * Past PACE_REFRESH_MS it is read again in the background while the last reading still answers.
 */
export function learnedKitchenOf(q: Queryable, shop: number, rule: EtaSettings, now = Date.now()): Promise<LearnedKitchen | null> {
  return learned.of(shop, () => readLearned(q, shop, rule), now);
}

/** Forgets what was learned (a test that wrote a history, a restore). */
export function forgetKitchens() {
  learned.clear();
}
