// The shop's plan for its waiting tickets: when each is fired so that it leaves the oven as its
// driver walks in (src/lib/domain/fire-plan.ts decides), and when every open order's customer is
// expected to have it. It reads the shop's received orders, those in the oven and the deliveries
// ready at the shop, and its drivers on shift with when each is expected back: the
// same figures the managers' map and the kitchen show beside a driver, so dispatch, the map and
// the plan see one evening.
import { planFires, DEFAULT_PLAN_SETTINGS, type DriverBack, type PlannedFire, type WaitingOrder } from '../../domain/fire-plan.ts';
import { distanceM } from '../../domain/geo.ts';
import { kitchenMinutes, travelMinutes } from '../../domain/eta.ts';
import type { Fulfilment } from '../../domain/order-states.ts';
import type { DriverOnMap, FirePlan, PlannedFireView } from '../../shapes/views.ts';
import type { Queryable } from '../kernel/db.ts';
import { driversOfShops, type Road } from '../road/drivers.ts';
import type { PositionStore } from '../road/positions.ts';
import { roadAt } from '../road/road-model.ts';

/** An order for later is in the plan once it fires within this (the kitchen's "coming" strip shows the next two hours). */
export const HORIZON_MINUTES = 120;
/** A door without a position is taken this far from the shop (as the promise does). */
const UNKNOWN_DOOR_M = 2000;

/** What the plan is made of: the shop's open orders, its drivers on shift, the pizzas in the oven. */
export interface PlanInputs {
  orders: WaitingOrder[];
  drivers: DriverBack[];
  inLine: number;
}

/** A shop's evening as its plan reads it: the road its drivers make at this hour, its drivers (when each is back), and the plan's inputs. */
export interface ShopEvening {
  road: Road;
  drivers: DriverOnMap[];
  inputs: PlanInputs;
}

/** Reads a shop's evening: the one read the map, the kitchen, the promise and the late notices share. */
export async function readEvening(q: Queryable, shop: number, positions: PositionStore | null, base: Road, now = Date.now()): Promise<ShopEvening> {
  return (await readEvenings(q, [shop], positions, base, now)).get(shop)!;
}

/**
 * Several shops' evenings in one read each of their drivers and of their plans' orders (the
 * evenings' owner and the late notices read the chain this way: two statements for a batch of shops,
 * where a shop at a time was two statements a shop). Each shop's road is its own (learned, cached).
 */
export async function readEvenings(q: Queryable, shops: readonly number[], positions: PositionStore | null, base: Road, now = Date.now()): Promise<Map<number, ShopEvening>> {
  const wanted = [...new Set(shops)];
  if (!wanted.length) return new Map();
  const roads = new Map(await Promise.all(wanted.map(async (shop) => [shop, await roadAt(q, shop, base, now)] as const)));
  const roadOf = (shop: number) => roads.get(shop) ?? base;
  const drivers = await driversOfShops(q, wanted, positions, roadOf);
  const inputs = await planInputs(q, wanted, drivers, roadOf, now);
  return new Map(wanted.map((shop) => [shop, { road: roadOf(shop), drivers: drivers.filter((d) => d.worksFor === shop), inputs: inputs.get(shop)! }]));
}

/** When the plan fires every open order of a shop's evening, and when each customer is expected to have it. */
export function firesOf(evening: ShopEvening, now = Date.now()): PlannedFire[] {
  const { inputs, road } = evening;
  return planFires(inputs.orders, inputs.drivers, now, inputs.inLine, { ...DEFAULT_PLAN_SETTINGS, eta: road.eta });
}

/**
 * The plan as the shop's screens get it: only the tickets it holds (for their driver, or an order
 * for later), since every other open order is made now. A shop's evening can hold hundreds of
 * orders: sending each one's "now" to every kitchen and manager screen every second was the
 * largest message the hub sent.
 */
export function screenPlan(shop: number, fires: readonly PlannedFire[], now = Date.now()): FirePlan {
  return { pizzeriaId: shop, at: new Date(now).toISOString(), fires: fires.filter(held).map(fireView) };
}

/** A ticket the plan holds: for its driver, or an order for later (its slot). */
const held = (f: PlannedFire) => f.reason === 'driver' || f.reason === 'slot';

/**
 * An order of `o` the plan holds (its minutes of horizon are `$2`): waiting to be fired (an order for
 * later within the horizon), in the oven, or a delivery ready at the shop.
 */
const IN_THE_PLAN = `((o.status = 'received' AND (o.fire_at IS NULL OR o.fired_at IS NOT NULL OR o.fire_at < now() + make_interval(mins => $2)))
                OR o.status = 'preparing'
                OR (o.status = 'ready' AND o.fulfilment = 'delivery' AND NOT o.awaiting_decision))`;

/**
 * Of these shops, those with something to plan: an order the plan holds, or a driver on shift there
 * (when each is back). Any other shop's plan is empty and its drivers are all off shift, so neither
 * its road nor its plan needs reading: head office's map of a whole chain reads them in one go.
 */
export async function shopsToPlan(q: Queryable, shops: number[]): Promise<Set<number>> {
  const { rows } = await q.query<{ id: number }>({
    name: 'shops-to-plan',
    // two reads rather than one with OR: a shop's drivers come from the index on the shop they work for
    // (0106), where the OR had Postgres read every staff account of the chain
    text: `SELECT p.id FROM pizzerias p
            WHERE p.id = ANY($1::int[]) AND EXISTS (SELECT 1 FROM orders o WHERE o.pizzeria_id = p.id AND ${IN_THE_PLAN})
           UNION
           SELECT coalesce(u.lent_to, u.pizzeria_id) FROM users u
            WHERE u.role = 'driver' AND u.active AND u.on_shift AND coalesce(u.lent_to, u.pizzeria_id) = ANY($1::int[])`,
    values: [shops, HORIZON_MINUTES],
  });
  return new Set(rows.map((r) => r.id));
}

/** A timestamp column as epoch milliseconds (a float parses far faster than a date, hundreds of rows a second). */
const ms = (column: string) => `(extract(epoch FROM ${column}) * 1000)::float8`;

/** The plans' inputs of these shops: their orders the plan holds (read together), their drivers on shift, the pizzas in their ovens. */
async function planInputs(q: Queryable, shops: number[], drivers: readonly DriverOnMap[], roadOf: (shop: number) => Road, now = Date.now()): Promise<Map<number, PlanInputs>> {
  const { rows } = await q.query<{
    shop: number; id: string; status: string; fulfilment: Fulfilment; promised_at: number | null; pizzas: number; door_lat: number | null; door_lng: number | null;
    lat: number; lng: number; fire_at: number | null; fired_at: number | null; preparing_at: number | null; ready_at: number | null; driver_id: number | null;
    courier_at: number | null;
  }>({
    name: 'plan-orders-of-shops',
    // waiting to be fired (an order for later within the horizon), in the oven, or a delivery ready
    // at the shop; each shop's orders by their promise (at most 1,000 a shop), its position beside them
    text: `SELECT s.id AS shop, o.id, o.status, o.fulfilment, o.promised_at, o.pizzas, o.door_lat, o.door_lng, p.lat, p.lng,
                  o.fire_at, o.fired_at, o.preparing_at, o.ready_at, o.driver_id, o.courier_at
             FROM unnest($1::int[]) AS s(id)
             JOIN pizzerias p ON p.id = s.id
             CROSS JOIN LATERAL (
               SELECT o.id, o.status, o.fulfilment, ${ms('o.promised_at')} AS promised_at, o.pizzas, o.address_lat AS door_lat, o.address_lng AS door_lng,
                      ${ms('o.fire_at')} AS fire_at, ${ms('o.fired_at')} AS fired_at, ${ms('o.preparing_at')} AS preparing_at, ${ms('o.ready_at')} AS ready_at, o.driver_id,
                      -- a platform's courier collects it: when they are expected (else the platform's ready time)
                      CASE WHEN o.marketplace IS NOT NULL AND o.fulfilment = 'pickup' THEN ${ms('coalesce(o.courier_eta, o.promised_at)')} END AS courier_at
                 FROM orders o
                WHERE o.pizzeria_id = s.id AND ${IN_THE_PLAN}
                ORDER BY o.promised_at LIMIT 1000
             ) o
            ORDER BY s.id, o.promised_at`,
    values: [shops, HORIZON_MINUTES],
  });
  const byShop = new Map<number, typeof rows>(shops.map((shop) => [shop, []]));
  for (const r of rows) byShop.get(r.shop)?.push(r);
  return new Map(shops.map((shop) => {
    const road = roadOf(shop);
    const own = (pizzas: number) => kitchenMinutes(0, pizzas, road.eta) * 60_000;
    const mine = byShop.get(shop)!;
    const orders = mine.map((o) => ({
      id: o.id,
      fulfilment: o.fulfilment,
      promisedAt: o.promised_at ?? now,
      items: Number(o.pizzas) || 0,
      roadMinutes:
        o.fulfilment === 'delivery'
          ? travelMinutes(o.door_lat !== null && o.door_lng !== null ? distanceM({ lat: o.lat, lng: o.lng }, { lat: o.door_lat, lng: o.door_lng }) : UNKNOWN_DOOR_M, road.mode, road.eta)
          : 0,
      // an order for later keeps its slot's fire time (fired already: it is due now)
      fixedFireAt: o.fire_at !== null ? (o.fired_at ?? o.fire_at) : null,
      // in the oven: out when its own kitchen time is up (now at the soonest); ready: since then
      startedReadyAt:
        o.status === 'ready' ? (o.ready_at ?? now)
        : o.status === 'preparing' ? Math.max(now, (o.preparing_at ?? now) + own(Number(o.pizzas) || 0))
        : null,
      driverId: o.status === 'ready' ? o.driver_id : null,
      courierAt: o.courier_at,
    }));
    // the pizzas in the oven are ahead of every waiting order
    const inLine = mine.filter((o) => o.status === 'preparing').reduce((n, o) => n + (Number(o.pizzas) || 0), 0);
    const onShift = drivers.filter((d) => d.onShift && d.worksFor === shop).map((d) => ({ id: d.id, backAt: d.backAt ? Date.parse(d.backAt) : null }));
    return [shop, { orders, drivers: onShift, inLine }];
  }));
}

/** Where a new order's door is on the road from the shop, in minutes (the rule's distance when it has no position). */
export const roadMinutesTo = (shop: { lat: number; lng: number }, door: { lat: number; lng: number } | null, road: Road) =>
  travelMinutes(door ? distanceM(shop, door) : UNKNOWN_DOOR_M, road.mode, road.eta);

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
export const fireView = (f: PlannedFire): PlannedFireView => ({
  orderId: f.orderId,
  fireAt: iso(f.fireAt)!,
  readyAt: iso(f.readyAt)!,
  reason: f.reason,
  driverId: f.driverId,
  driverAt: iso(f.driverAt),
  expectedAt: iso(f.expectedAt)!,
  lateMinutes: f.lateMinutes,
});
