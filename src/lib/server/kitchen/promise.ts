// A new delivery's promise from the shop's plan (src/lib/domain/fire-plan.ts, promiseBehind): behind
// the orders it already has and the drivers who will take them, not only the oven's queue and the
// road. What the plan leaves of the drivers is read at most every AHEAD_REFRESH_MS per shop and
// process (a placement must not read every open order of the shop), and each promise made takes
// its share of it, so a burst of orders in between is not promised the same driver twice.
import { DEFAULT_PLAN_SETTINGS, driversAhead, promiseBehind, type DriversAhead } from '../../domain/fire-plan.ts';
import type { LatLng } from '../../domain/geo.ts';
import type { Queryable } from '../kernel/db.ts';
import type { Road } from '../road/drivers.ts';
import type { PositionStore } from '../road/positions.ts';
import { readEvening, roadMinutesTo } from './plan.ts';

export const AHEAD_REFRESH_MS = 15_000;
/** Per database (the pool it is read through: one per process, one per test file) and shop. */
const caches = new WeakMap<Queryable, Map<number, { at: number; ahead: Promise<DriversAhead | null> }>>();

/**
 * The minutes promised for a delivery to `door` (null: unknown, the rule's distance), at least
 * `ruleMinutes`: the rule, when no driver is on shift or the plan cannot be read.
 */
export async function promiseFromPlan(
  q: Queryable,
  positions: PositionStore | null,
  shop: { id: number; lat: number; lng: number },
  door: LatLng | null,
  ruleMinutes: number,
  road: Road,
  now = Date.now(),
  /** An order placed takes its share of the drivers; a storefront only asking does not. */
  take = true,
): Promise<number> {
  const settings = { ...DEFAULT_PLAN_SETTINGS, eta: road.eta };
  let cache = caches.get(q);
  if (!cache) caches.set(q, (cache = new Map()));
  let held = cache.get(shop.id);
  if (!held || now - held.at >= AHEAD_REFRESH_MS) {
    const ahead = readEvening(q, shop.id, positions, road, now)
      .then(({ inputs }) => (inputs.drivers.length ? driversAhead(inputs.orders, inputs.drivers, now, inputs.inLine, settings) : null))
      .catch(() => null);
    held = { at: now, ahead };
    cache.set(shop.id, held);
  }
  const ahead = await held.ahead;
  if (!ahead) return ruleMinutes;
  return promiseBehind(take ? ahead : structuredClone(ahead), { roadMinutes: roadMinutesTo(shop, door, road) }, ruleMinutes, now, settings);
}
