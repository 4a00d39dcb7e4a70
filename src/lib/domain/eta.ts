// Promised time and live ETA: what the kitchen has ahead, how long this order takes to make, and
// how long the road is. Pure rules: the server feeds them the queue, the distance and the clock.

import { distanceM, type LatLng } from './geo.ts';

export type TravelMode = 'bike' | 'scooter' | 'car';

export interface EtaSettings {
  /** Minutes an order takes in the kitchen whatever its size (dough, oven, box). */
  basePrepMinutes: number;
  /** Minutes each item adds, for one pizzaiolo. */
  minutesPerItem: number;
  /** Pizzaiolos (or ovens) working at once: the queue ahead shrinks that much faster. */
  parallel: number;
  /** Average speed on the road, per mode, in km/h. */
  speedKmh: Record<TravelMode, number>;
  /** Roads are longer than the straight line: distance on the ground ≈ this × the crow's. */
  roadFactor: number;
  /** Minutes from "ready" to the driver leaving the shop (a driver on the way, the bag). */
  handoverMinutes: number;
}

export const DEFAULT_ETA_SETTINGS: EtaSettings = {
  basePrepMinutes: 8,
  minutesPerItem: 2,
  parallel: 2,
  speedKmh: { bike: 15, scooter: 22, car: 18 },
  roadFactor: 1.35,
  handoverMinutes: 4,
};

/** Minutes on the road for a straight-line distance. */
export function travelMinutes(metres: number, mode: TravelMode, s: EtaSettings = DEFAULT_ETA_SETTINGS): number {
  return (metres * s.roadFactor) / ((s.speedKmh[mode] * 1000) / 60);
}

/** Minutes the kitchen needs before this order is ready: what is ahead (shared by the pizzaiolos), then this one. */
export function kitchenMinutes(itemsAhead: number, items: number, s: EtaSettings = DEFAULT_ETA_SETTINGS): number {
  return (Math.max(0, itemsAhead) * s.minutesPerItem) / Math.max(1, s.parallel) + s.basePrepMinutes + Math.max(0, items) * s.minutesPerItem;
}

/**
 * The time promised at checkout, in whole minutes from now (rounded up to the next 5 for the
 * customer: "about 35 min"): the kitchen's queue and this order, then the road for a delivery.
 */
export function promisedMinutes(
  order: { items: number; itemsAhead: number; delivery: { distanceM: number; mode: TravelMode } | null },
  s: EtaSettings = DEFAULT_ETA_SETTINGS,
): number {
  let minutes = kitchenMinutes(order.itemsAhead, order.items, s);
  if (order.delivery) minutes += s.handoverMinutes + travelMinutes(order.delivery.distanceM, order.delivery.mode, s);
  return Math.ceil(minutes / 5) * 5;
}

export type EtaStage = 'kitchen' | 'oven' | 'waiting_driver' | 'on_the_way' | 'done';

export interface LiveEta {
  stage: EtaStage;
  /** Minutes until the customer has the order (at the door, or ready at the counter); 0 when done. */
  minutes: number;
  /** Minutes later than the promise (negative: early), when there is a promise. */
  lateByMinutes: number | null;
}

/**
 * The ETA as the order moves: the kitchen's estimate while it waits or bakes, then the handover,
 * then the driver's own distance once on the way. Never below a minute until it is done.
 */
export function liveEta(
  order: {
    status: string;
    items: number;
    itemsAhead: number;
    /** When preparation started (ms), if it has. */
    preparingAt?: number;
    /** When the customer was promised it (ms). */
    promisedAt?: number;
    delivery: { to: LatLng; from: LatLng; mode: TravelMode; driverAt?: LatLng | null } | null;
  },
  nowMs: number,
  s: EtaSettings = DEFAULT_ETA_SETTINGS,
): LiveEta {
  const road = (from: LatLng) => (order.delivery ? travelMinutes(distanceM(from, order.delivery.to), order.delivery.mode, s) : 0);
  const handover = order.delivery ? s.handoverMinutes : 0;
  let stage: EtaStage;
  let minutes: number;
  switch (order.status) {
    case 'delivered':
    case 'collected':
    case 'cancelled':
      stage = 'done';
      minutes = 0;
      break;
    case 'preparing': {
      stage = 'oven';
      const bakeLeft = s.basePrepMinutes + order.items * s.minutesPerItem - (order.preparingAt === undefined ? 0 : (nowMs - order.preparingAt) / 60_000);
      minutes = Math.max(1, bakeLeft) + handover + (order.delivery ? road(order.delivery.from) : 0);
      break;
    }
    case 'ready':
      stage = order.delivery ? 'waiting_driver' : 'done';
      minutes = order.delivery ? handover + road(order.delivery.from) : 0;
      break;
    case 'out_for_delivery':
      stage = 'on_the_way';
      minutes = road(order.delivery?.driverAt ?? order.delivery?.from ?? { lat: 0, lng: 0 });
      break;
    default:
      stage = 'kitchen';
      minutes = kitchenMinutes(order.itemsAhead, order.items, s) + handover + (order.delivery ? road(order.delivery.from) : 0);
  }
  if (stage !== 'done') minutes = Math.max(1, Math.round(minutes));
  const lateByMinutes = order.promisedAt === undefined ? null : Math.round((nowMs + minutes * 60_000 - order.promisedAt) / 60_000);
  return { stage, minutes, lateByMinutes };
}
