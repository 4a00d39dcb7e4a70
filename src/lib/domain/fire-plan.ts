// When each waiting order is fired (enters the make line), so that it comes out of the oven as its
// driver comes back to the shop, not ten minutes before (a cold pizza) nor after (a late one). Pure:
// the server gives the shop's waiting orders, when each driver on shift is expected back (the
// same figure the map and the kitchen show beside a driver), the items already in the make line
// and the clock. Deliveries are matched to drivers in the order of their promises, the first driver
// back taking the first, and a driver's trip taking up to a few orders promised close together, as
// dispatch batches them; a pickup is made at once. Orders the kitchen started (in the oven, or ready for their driver) are
// not fired again but take their trips, and every order gets the time its customer is expected to
// have it: a delivery that will be late is known before it is.
import { DEFAULT_BATCH_SETTINGS } from './dispatch-by-distance.ts';
import { DEFAULT_ETA_SETTINGS, kitchenMinutes, type EtaSettings } from './eta.ts';
import type { Fulfilment } from './order-states.ts';

export interface WaitingOrder {
  id: string;
  fulfilment: Fulfilment;
  promisedAt: number;
  /** Items the kitchen makes (the kitchen's minutes grow with them). */
  items: number;
  /** Minutes on the road from the shop to the door (0 for a pickup). */
  roadMinutes: number;
  /** An order for later not fired yet: its fire time is its slot's, the plan does not move it. */
  fixedFireAt?: number | null;
  /**
   * An order the kitchen started (in the oven, or ready and waiting for its driver): when it is (or
   * was) ready. It is not fired again, but it takes its driver's trip, and its customer is told
   * when the plan expects it.
   */
  startedReadyAt?: number | null;
  /** The driver it is already given to (a ready delivery waiting at the shop for them). */
  driverId?: number | null;
  /** A delivery platform's courier collects it: when they are expected at the shop (it is fired to be ready then). */
  courierAt?: number | null;
}

export interface DriverBack {
  id: number;
  /** When they are expected at the shop (null: nobody can tell, taken as there now). */
  backAt: number | null;
}

export interface PlanSettings {
  eta: EtaSettings;
  /** A pizza is planned out of the oven this long before its driver walks in: a driver never waits on the oven. */
  marginMinutes: number;
  /** A fire time closer than this to now is now (nobody holds a ticket for a minute). */
  holdAtLeastMinutes: number;
  /** A trip takes at most this many orders, promised within this many minutes of the first, each with its stop. */
  maxPerTrip: number;
  windowMinutes: number;
  minutesPerStop: number;
}

export const DEFAULT_PLAN_SETTINGS: PlanSettings = {
  eta: DEFAULT_ETA_SETTINGS,
  marginMinutes: 2,
  holdAtLeastMinutes: 2,
  maxPerTrip: DEFAULT_BATCH_SETTINGS.maxPerTrip,
  windowMinutes: DEFAULT_BATCH_SETTINGS.windowMinutes,
  minutesPerStop: DEFAULT_BATCH_SETTINGS.minutesPerStop,
};

/**
 * Why an order fires when it does: now (nothing to wait for, a pickup), to meet its driver, at its
 * slot's time (an order for later), to be ready as a delivery platform's courier walks in, or it is
 * started already.
 */
export type FireReason = 'now' | 'driver' | 'slot' | 'courier' | 'started';

export interface PlannedFire {
  orderId: string;
  fireAt: number;
  /** When it comes out of the oven, boxed. */
  readyAt: number;
  reason: FireReason;
  /** The driver expected to take it (deliveries), null when nobody is on shift. */
  driverId: number | null;
  /** When that driver is expected at the shop for it. */
  driverAt: number | null;
  /** When its customer is expected to have it (at the door, or ready at the counter). */
  expectedAt: number;
  /** Minutes it is expected past its promise (0: on time): the plan knows before the customer waits. */
  lateMinutes: number;
}

const MIN = 60_000;

interface Trip {
  driverId: number;
  /** When the driver is at the shop for this trip. */
  at: number;
  firstPromise: number;
  orders: number;
  longestRoad: number;
  readyAt: number;
  /** Others may join it (not a trip of orders already given to its driver). */
  open: boolean;
}

/**
 * The fire time of every waiting order. `itemsInLine`: items fired and not out of the oven yet
 * (they are ahead of every waiting order). Orders are taken by promise, earliest first.
 */
export function planFires(
  orders: readonly WaitingOrder[],
  drivers: readonly DriverBack[],
  now: number,
  itemsInLine = 0,
  s: PlanSettings = DEFAULT_PLAN_SETTINGS,
): PlannedFire[] {
  return planEvening(orders, drivers, now, itemsInLine, s).fires;
}

/** What is left of the evening once the plan's orders are served: for the promise of the next one. */
export interface DriversAhead {
  /** When each driver is free for a new trip, first free first. */
  free: number[];
  /** Trips still forming: when their driver is at the shop, the first promise, how many orders. */
  trips: { at: number; firstPromise: number; orders: number }[];
}

function planEvening(
  orders: readonly WaitingOrder[],
  drivers: readonly DriverBack[],
  now: number,
  itemsInLine: number,
  s: PlanSettings,
): { fires: PlannedFire[]; ahead: DriversAhead } {
  // when each driver is free for a new trip, the first back first
  const free = drivers.map((d) => ({ driverId: d.id, at: Math.max(now, d.backAt ?? now) }));
  const trips: Trip[] = [];
  let ahead = Math.max(0, itemsInLine);
  const out: PlannedFire[] = [];
  for (const o of [...orders].sort((a, b) => a.promisedAt - b.promisedAt || a.id.localeCompare(b.id))) {
    const started = o.startedReadyAt ?? null;
    // what the kitchen still has to make before this one: the line (itemsInLine) and the waiting orders before it
    const kitchen = started !== null ? 0 : kitchenMinutes(ahead, o.items, s.eta) * MIN;
    const own = kitchenMinutes(0, o.items, s.eta) * MIN;
    if (started === null) ahead += o.items;
    const earliestReady = started ?? now + kitchen;
    const fixed = o.fixedFireAt ?? null;

    if (o.fulfilment !== 'delivery' && started === null && fixed === null && o.courierAt != null) {
      // a platform's courier collects it: out of the oven as they walk in (at once when the kitchen is behind)
      out.push(fire(o, now, o.courierAt, kitchen, null, 'courier', null, null, o.courierAt, s));
      continue;
    }
    if (o.fulfilment !== 'delivery') {
      // a pickup is made at once: its customer may come early, and nobody waits for a driver
      const target = started !== null ? started : fixed !== null ? Math.max(fixed + own, earliestReady) : earliestReady;
      out.push(fire(o, now, target, kitchen, started !== null ? now : fixed, started !== null ? 'started' : fixed !== null ? 'slot' : 'now', null, null, target, s));
      continue;
    }

    const handoverAndRoad = (s.eta.handoverMinutes + o.roadMinutes) * MIN;
    // its own driver's trip (given to them already), a trip still forming promised close to this
    // one, or the next driver back
    const given = o.driverId ?? null;
    let trip = given !== null
      ? trips.find((t) => t.driverId === given && t.orders < s.maxPerTrip && t.open)
      : trips.find((t) => t.open && t.orders < s.maxPerTrip && Math.abs(o.promisedAt - t.firstPromise) <= s.windowMinutes * MIN);
    if (!trip && free.length) {
      free.sort((a, b) => a.at - b.at || a.driverId - b.driverId);
      const i = given !== null ? free.findIndex((f) => f.driverId === given) : 0;
      if (i >= 0) {
        const d = free.splice(i, 1)[0];
        // a trip with its driver's own orders leaves with them: nobody else joins it
        trip = { driverId: d.driverId, at: d.at, firstPromise: o.promisedAt, orders: 0, longestRoad: 0, readyAt: 0, open: given === null };
        trips.push(trip);
      }
    }
    let target: number;
    if (started !== null) target = started;
    else if (fixed !== null) target = Math.max(fixed + own, earliestReady);
    // nobody on shift: nobody to wait for, the kitchen makes it for its promise as soon as it can
    else if (!trip) target = earliestReady;
    // ready as its driver walks in; not sooner even when that is past its promise: out of the oven
    // earlier, it would only wait cold for the same driver (the plan says how late, to tell the customer)
    else target = Math.max(earliestReady, trip.at - s.marginMinutes * MIN);
    if (trip) {
      const first = trip.orders === 0;
      trip.orders += 1;
      trip.readyAt = Math.max(trip.readyAt, target);
      trip.longestRoad = Math.max(trip.longestRoad, o.roadMinutes);
      // the driver leaves when the trip's last order is ready, and is back after its doors and the ride back
      const leaves = Math.max(trip.at, trip.readyAt) + s.eta.handoverMinutes * MIN;
      const back = leaves + (2 * trip.longestRoad + trip.orders * s.minutesPerStop) * MIN;
      if (first) free.push({ driverId: trip.driverId, at: back });
      else free.find((f) => f.driverId === trip.driverId)!.at = back;
    }
    const leaves = Math.max(target, trip?.at ?? target);
    const why: FireReason = started !== null ? 'started' : fixed !== null ? 'slot' : 'driver';
    out.push(fire(o, now, target, kitchen, started !== null ? now : fixed, why, trip?.driverId ?? null, trip?.at ?? null, leaves, s, handoverAndRoad));
  }
  return {
    fires: out,
    ahead: { free: free.map((f) => f.at).sort((a, b) => a - b), trips: trips.filter((t) => t.open).map((t) => ({ at: t.at, firstPromise: t.firstPromise, orders: t.orders })) },
  };
}

/** The drivers once the plan's orders are served (`planFires` with the same arguments). */
export function driversAhead(
  orders: readonly WaitingOrder[],
  drivers: readonly DriverBack[],
  now: number,
  itemsInLine = 0,
  s: PlanSettings = DEFAULT_PLAN_SETTINGS,
): DriversAhead {
  return planEvening(orders, drivers, now, itemsInLine, s).ahead;
}

/**
 * The promise of a delivery taken now behind the plan's orders: on a trip still forming with room
 * (promised within minutes of its first), else with the first driver free; in minutes said in fives,
 * never less than the rule's (`ruleMinutes`: the kitchen's queue and the road). `ahead` is taken as
 * this order takes it (its trip fuller, its driver free later), so that a burst of orders between
 * two plans is not promised the same driver twice.
 */
export function promiseBehind(
  ahead: DriversAhead,
  order: Pick<WaitingOrder, 'roadMinutes'>,
  ruleMinutes: number,
  now: number,
  s: PlanSettings = DEFAULT_PLAN_SETTINGS,
): number {
  if (!ahead.free.length && !ahead.trips.length) return ruleMinutes;
  const handoverAndRoad = (s.eta.handoverMinutes + order.roadMinutes) * MIN;
  const promisedAt = now + ruleMinutes * MIN;
  // ready as the rule says: its promise less the handover and the road
  const ready = promisedAt - handoverAndRoad;
  let leaves: number;
  const trip = ahead.trips.find((t) => t.orders < s.maxPerTrip && Math.abs(promisedAt - t.firstPromise) <= s.windowMinutes * MIN);
  if (trip) {
    trip.orders += 1;
    leaves = Math.max(trip.at, ready);
  } else {
    const at = Math.max(now, ahead.free.shift() ?? now);
    leaves = Math.max(at, ready);
    ahead.trips.push({ at, firstPromise: promisedAt, orders: 1 });
    ahead.free.push(leaves + (2 * order.roadMinutes + s.minutesPerStop) * MIN + s.eta.handoverMinutes * MIN);
    ahead.free.sort((a, b) => a - b);
  }
  return Math.max(ruleMinutes, Math.ceil((leaves + handoverAndRoad - now) / MIN / 5) * 5);
}

function fire(
  o: WaitingOrder,
  now: number,
  target: number,
  kitchen: number,
  fixed: number | null,
  why: FireReason,
  driverId: number | null,
  driverAt: number | null,
  leavesOrCollected: number,
  s: PlanSettings,
  afterLeaving = 0,
): PlannedFire {
  let fireAt = fixed ?? Math.max(now, target - kitchen);
  let reason = why;
  if (fixed === null && fireAt - now < s.holdAtLeastMinutes * MIN) {
    fireAt = now;
    reason = 'now';
  }
  const readyAt = fixed === null ? Math.max(fireAt + kitchen, target) : target;
  const expectedAt = Math.max(leavesOrCollected, readyAt) + afterLeaving;
  const lateMinutes = Math.max(0, Math.ceil((expectedAt - o.promisedAt) / MIN));
  return { orderId: o.id, fireAt, readyAt, reason, driverId, driverAt, expectedAt, lateMinutes };
}

/**
 * The promise of a delivery taken now, from the same plan: when it would reach its customer behind
 * the orders of the plan (their drivers, the oven), never less than the rule's.
 */
export function plannedPromise(
  open: readonly WaitingOrder[],
  drivers: readonly DriverBack[],
  order: Pick<WaitingOrder, 'roadMinutes'>,
  ruleMinutes: number,
  now: number,
  itemsInLine = 0,
  s: PlanSettings = DEFAULT_PLAN_SETTINGS,
): number {
  // no driver on shift: the plan knows nothing the rule does not
  if (!drivers.length) return ruleMinutes;
  return promiseBehind(driversAhead(open, drivers, now, itemsInLine, s), order, ruleMinutes, now, s);
}
