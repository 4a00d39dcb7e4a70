// The drivers' side of a shop's capacity: how many deliveries its drivers on shift can take out in
// a 15-minute slot. The oven's side is counted in minutes (slots.ts); this one in deliveries, from
// a driver's round trip on the shop's road at this hour. An order for as soon as possible is
// already promised behind the drivers by the shop's plan (fire-plan.ts, promiseBehind), which sees
// each driver's trip; this count is for the slots an order for later may take, which the plan does
// not hold yet. Which drivers a slot counts on (on shift now, or planned on the rota) is the rota's
// rule: driversForSlot in rota.ts.
import { DEFAULT_BATCH_SETTINGS } from './dispatch-by-distance.ts';
import { DEFAULT_ETA_SETTINGS, travelMinutes, type EtaSettings, type TravelMode } from './eta.ts';
import { SLOT_MINUTES } from './slots.ts';

/**
 * Orders a driver takes on a trip in a busy evening: the simulated evenings' trips carry 1.8 to 2.0
 * (npm run simulate -- --evening), the plan at most three.
 */
export const ORDERS_PER_TRIP = 2;
/** A door whose distance is not known yet is taken this far from the shop (as the promise does). */
export const TYPICAL_DOOR_M = 2000;
/**
 * How far ahead the drivers on shift now say anything of a slot: tonight's next three hours. Past
 * that (tomorrow, next week) only the rota says who will be on shift (rota.ts, driversForSlot); a
 * slot nobody is planned for is paced by the oven alone.
 */
export const DRIVER_HORIZON_MINUTES = 180;

/** Minutes a driver is away for one trip: the handover, to the doors and back, and a stop at each door. */
export function roundTripMinutes(road: { mode: TravelMode; eta?: EtaSettings }, ordersPerTrip = ORDERS_PER_TRIP, doorM = TYPICAL_DOOR_M): number {
  const eta = road.eta ?? DEFAULT_ETA_SETTINGS;
  return eta.handoverMinutes + 2 * travelMinutes(doorM, road.mode, eta) + ordersPerTrip * DEFAULT_BATCH_SETTINGS.minutesPerStop;
}

/**
 * Deliveries the shop's drivers can take out in one slot: each driver does a slot's share of a
 * round trip, carrying ORDERS_PER_TRIP. At least one per slot while one driver is on shift; null
 * (not counted: the oven alone paces) when none is, since a shift may start before the slot does.
 */
export function deliveriesPerSlot(driversOnShift: number, road: { mode: TravelMode; eta?: EtaSettings }): number | null {
  if (!(driversOnShift > 0)) return null;
  return Math.max(1, Math.floor((driversOnShift * SLOT_MINUTES * ORDERS_PER_TRIP) / roundTripMinutes(road)));
}

/** Whether the drivers on shift now speak for a slot starting at `start` (tonight's next hours). */
export const withinDriverHorizon = (start: number, now: number) => start < now + DRIVER_HORIZON_MINUTES * 60_000;

/**
 * Whether one more delivery fits in a slot that already has `booked` deliveries due in it, counting
 * the drivers on shift now: always when they are not counted (none on shift, or the slot past their
 * horizon, where the rota's drivers count instead: src/lib/server/orders/driver-room.ts).
 */
export function driversHaveRoom(o: { start: number; now: number; booked: number; capacity: number | null }): boolean {
  if (o.capacity === null || !withinDriverHorizon(o.start, o.now)) return true;
  return o.booked < o.capacity;
}

