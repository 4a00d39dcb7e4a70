// The shop's plan for its waiting tickets: when each is fired so that it leaves the oven as its
// driver walks in (src/lib/domain/fire-plan.ts decides). It reads the shop's received orders, the
// pizzas already in the make line, and its drivers on shift with when each is expected back: the
// same figures the managers' map and the kitchen show beside a driver, so dispatch, the map and
// the plan see one evening.
import { planFires, DEFAULT_PLAN_SETTINGS, type PlannedFire } from '../../domain/fire-plan.ts';
import { distanceM } from '../../domain/geo.ts';
import { travelMinutes } from '../../domain/eta.ts';
import type { DriverOnMap, FirePlan } from '../../realtime/contract.ts';
import type { Queryable } from '../db.ts';
import type { Road } from '../drivers.ts';

/** An order for later is in the plan once it fires within this (the kitchen's "coming" strip shows the next two hours). */
const HORIZON_MINUTES = 120;
/** A door without a position is taken this far from the shop (as the promise does). */
const UNKNOWN_DOOR_M = 2000;

export async function shopPlan(q: Queryable, shop: number, drivers: readonly DriverOnMap[], road: Road, now = Date.now()): Promise<FirePlan> {
  const [waiting, line] = await Promise.all([
    q.query<{ id: string; fulfilment: 'delivery' | 'pickup'; promised_at: Date | null; pizzas: number; door_lat: number | null; door_lng: number | null; lat: number; lng: number; fire_at: Date | null; fired_at: Date | null }>({
      name: 'plan-waiting',
      text: `SELECT o.id, o.fulfilment, o.promised_at, o.pizzas, o.address_lat AS door_lat, o.address_lng AS door_lng, p.lat, p.lng, o.fire_at, o.fired_at
               FROM orders o JOIN pizzerias p ON p.id = o.pizzeria_id
              WHERE o.pizzeria_id = $1 AND o.status = 'received'
                AND (o.fire_at IS NULL OR o.fired_at IS NOT NULL OR o.fire_at < now() + make_interval(mins => $2))
              ORDER BY o.promised_at LIMIT 500`,
      values: [shop, HORIZON_MINUTES],
    }),
    q.query<{ n: number }>({
      name: 'plan-in-line',
      text: `SELECT coalesce(sum(pizzas), 0)::int AS n FROM orders WHERE pizzeria_id = $1 AND status = 'preparing'`,
      values: [shop],
    }),
  ]);
  const orders = waiting.rows.map((o) => ({
    id: o.id,
    fulfilment: o.fulfilment,
    promisedAt: (o.promised_at ?? new Date(now)).getTime(),
    items: Number(o.pizzas) || 0,
    roadMinutes:
      o.fulfilment === 'delivery'
        ? travelMinutes(o.door_lat !== null && o.door_lng !== null ? distanceM({ lat: o.lat, lng: o.lng }, { lat: o.door_lat, lng: o.door_lng }) : UNKNOWN_DOOR_M, road.mode, road.eta)
        : 0,
    // an order for later keeps its slot's fire time (fired already: it is due now)
    fixedFireAt: o.fire_at ? (o.fired_at ?? o.fire_at).getTime() : null,
  }));
  const onShift = drivers.filter((d) => d.onShift).map((d) => ({ id: d.id, backAt: d.backAt ? Date.parse(d.backAt) : null }));
  const fires = planFires(orders, onShift, now, line.rows[0].n, { ...DEFAULT_PLAN_SETTINGS, eta: road.eta });
  return { pizzeriaId: shop, at: new Date(now).toISOString(), fires: fires.map(view) };
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
const view = (f: PlannedFire) => ({
  orderId: f.orderId,
  fireAt: iso(f.fireAt)!,
  readyAt: iso(f.readyAt)!,
  reason: f.reason,
  driverId: f.driverId,
  driverAt: iso(f.driverAt),
  lateMinutes: f.lateMinutes,
});
