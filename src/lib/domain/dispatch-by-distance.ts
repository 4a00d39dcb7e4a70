// Dispatch by distance: which driver to offer a delivery to first (how far from the shop, how
// loaded, how tight the order is against its promise), and which ready deliveries ride together
// (ready within minutes of each other, in the same direction, nobody made late by the others).

import { distanceM, type LatLng } from './geo.ts';
import { DEFAULT_ETA_SETTINGS, travelMinutes, type EtaSettings, type TravelMode } from './eta.ts';

/** Deliveries a driver carries (or has waiting at the shop) at most. */
export const MAX_ACTIVE_DELIVERIES = 3;

/** A position older than this says nothing of where the driver is. */
export const POSITION_STALE_MS = 60_000;

/**
 * Whether a driver on shift can be offered a delivery: on shift is not the same as present. Their
 * phone must be connected now (a live socket) and have said where it is lately; a driver whose app
 * is closed would leave the delivery waiting through offer after offer.
 */
export type DriverPresence = 'present' | 'app_closed' | 'position_stale';

export function driverPresence(d: { connected: boolean; positionSentAt: number | null }, nowMs: number, freshMs: number): DriverPresence {
  if (!d.connected) return 'app_closed';
  if (d.positionSentAt === null || nowMs - d.positionSentAt > freshMs) return 'position_stale';
  return 'present';
}

export interface DriverState {
  driverId: number;
  onShift: boolean;
  activeDeliveries: number;
  /** When the driver last finished a delivery (or started the shift): the longest idle goes first on a tie. */
  idleSince: number;
  mode: TravelMode;
  /** The last position shared, and when (ms); null when the phone has not sent one. */
  position: { at: LatLng; sentAt: number } | null;
}

export interface ScoreSettings {
  /** Minutes a delivery already carried counts for, when the order has time to spare. */
  loadMinutesRelaxed: number;
  /** The same when the order is tight against its promise: the nearest driver matters more. */
  loadMinutesTight: number;
  /** Below this many minutes of slack, an order is tight. */
  tightSlackMinutes: number;
  /** Minutes assumed to reach the shop for a driver with no fresh position. */
  unknownPositionMinutes: number;
}

export const DEFAULT_SCORE_SETTINGS: ScoreSettings = {
  loadMinutesRelaxed: 8,
  loadMinutesTight: 3,
  tightSlackMinutes: 10,
  unknownPositionMinutes: 10,
};

/**
 * The drivers to offer a delivery to, best first (each offer times out and goes to the next).
 * A driver's score is the minutes to reach the shop plus a weight per delivery they carry; the
 * weight is lower when the order is tight, so that the nearest driver gets it.
 */
export function rankDrivers(
  drivers: readonly DriverState[],
  shop: LatLng,
  order: { promisedAt: number; deliveryMinutes: number },
  nowMs: number,
  s: ScoreSettings = DEFAULT_SCORE_SETTINGS,
  eta: EtaSettings = DEFAULT_ETA_SETTINGS,
): { driverId: number; score: number; minutesToShop: number }[] {
  const slack = (order.promisedAt - nowMs) / 60_000 - order.deliveryMinutes;
  const perLoad = slack < s.tightSlackMinutes ? s.loadMinutesTight : s.loadMinutesRelaxed;
  return drivers
    .filter((d) => d.onShift && d.activeDeliveries < MAX_ACTIVE_DELIVERIES)
    .map((d) => {
      const fresh = d.position && nowMs - d.position.sentAt <= POSITION_STALE_MS;
      const minutesToShop = fresh ? travelMinutes(distanceM(d.position!.at, shop), d.mode, eta) : s.unknownPositionMinutes;
      return { driverId: d.driverId, score: minutesToShop + perLoad * d.activeDeliveries, minutesToShop, idleSince: d.idleSince };
    })
    .sort((a, b) => a.score - b.score || a.idleSince - b.idleSince || a.driverId - b.driverId)
    .map(({ driverId, score, minutesToShop }) => ({ driverId, score, minutesToShop }));
}

/** A driver on shift as dispatch sees them for one order: whether their phone is there now, and whether they passed on it this trip. */
export interface OfferCandidate extends DriverState {
  /** Phone connected with a fresh position (driverPresence), or nobody can tell (no position store). */
  present: boolean;
  /** Asked already for this trip (declined, let the offer expire, or taken off it by a manager). */
  passed: boolean;
}

/**
 * Who is offered a ready delivery: the driver the shop's plan chose for it (the driver the kitchen
 * reads on its ticket, "pour Karim"), when they can take it now (on shift, present, not passed on it
 * this trip, with room); otherwise dispatch's own ranking among the present drivers not asked yet,
 * or among them all again once everyone has passed. Null when nobody present can take it.
 */
export function chooseOffer(
  candidates: readonly OfferCandidate[],
  plannedDriverId: number | null,
  shop: LatLng,
  order: { promisedAt: number; deliveryMinutes: number },
  nowMs: number,
  s: ScoreSettings = DEFAULT_SCORE_SETTINGS,
  eta: EtaSettings = DEFAULT_ETA_SETTINGS,
): { driverId: number; byPlan: boolean } | null {
  const present = candidates.filter((c) => c.present);
  const notAsked = rankDrivers(present.filter((c) => !c.passed), shop, order, nowMs, s, eta);
  if (plannedDriverId !== null && notAsked.some((r) => r.driverId === plannedDriverId)) return { driverId: plannedDriverId, byPlan: true };
  const ranked = notAsked.length ? notAsked : rankDrivers(present, shop, order, nowMs, s, eta);
  return ranked.length ? { driverId: ranked[0].driverId, byPlan: false } : null;
}

/** Compass bearing from a to b, in degrees (0 = north, 90 = east). */
export function bearingDeg(a: LatLng, b: LatLng): number {
  const rad = Math.PI / 180;
  const y = Math.sin((b.lng - a.lng) * rad) * Math.cos(b.lat * rad);
  const x = Math.cos(a.lat * rad) * Math.sin(b.lat * rad) - Math.sin(a.lat * rad) * Math.cos(b.lat * rad) * Math.cos((b.lng - a.lng) * rad);
  return ((Math.atan2(y, x) / rad) % 360 + 360) % 360;
}

const angleBetween = (a: number, b: number) => {
  const d = Math.abs(a - b) % 360;
  return d > 180 ? 360 - d : d;
};

export interface ReadyDelivery {
  id: string;
  readyAt: number;
  promisedAt: number;
  to: LatLng;
}

export interface BatchSettings {
  /** Orders ready within this many minutes of each other may ride together. */
  windowMinutes: number;
  maxPerTrip: number;
  /** Largest angle between two stops seen from the shop. */
  maxAngleDeg: number;
  /** Minutes at each door (stairs, the handover). */
  minutesPerStop: number;
}

export const DEFAULT_BATCH_SETTINGS: BatchSettings = { windowMinutes: 5, maxPerTrip: 3, maxAngleDeg: 45, minutesPerStop: 3 };

/** The stops of a trip, nearest first from the shop then each next nearest, with when each customer is reached. */
export function routeTrip(
  shop: LatLng,
  orders: readonly ReadyDelivery[],
  leaveAt: number,
  mode: TravelMode,
  b: BatchSettings = DEFAULT_BATCH_SETTINGS,
  eta: EtaSettings = DEFAULT_ETA_SETTINGS,
): { id: string; arrivesAt: number }[] {
  const left = [...orders];
  const stops: { id: string; arrivesAt: number }[] = [];
  let here = shop;
  let t = leaveAt;
  while (left.length) {
    left.sort((x, y) => distanceM(here, x.to) - distanceM(here, y.to) || x.id.localeCompare(y.id));
    const next = left.shift()!;
    t += travelMinutes(distanceM(here, next.to), mode, eta) * 60_000;
    stops.push({ id: next.id, arrivesAt: t });
    t += b.minutesPerStop * 60_000;
    here = next.to;
  }
  return stops;
}

/**
 * Groups ready deliveries into trips: the most urgent order opens a trip, and others join it when
 * ready within the window, in the same direction, while every customer of the trip is still
 * reached by their promise (the driver leaves when the last order is ready). An order that would
 * make someone late rides alone. Each trip lists its stops in driving order.
 */
export function planTrips(
  shop: LatLng,
  ready: readonly ReadyDelivery[],
  nowMs: number,
  mode: TravelMode,
  b: BatchSettings = DEFAULT_BATCH_SETTINGS,
  eta: EtaSettings = DEFAULT_ETA_SETTINGS,
): { stops: { id: string; arrivesAt: number }[] }[] {
  const queue = [...ready].sort((x, y) => x.promisedAt - y.promisedAt || x.id.localeCompare(y.id));
  const trips: { stops: { id: string; arrivesAt: number }[] }[] = [];
  const onTime = (orders: ReadyDelivery[]) => {
    const leaveAt = Math.max(nowMs, ...orders.map((o) => o.readyAt));
    const stops = routeTrip(shop, orders, leaveAt, mode, b, eta);
    const late = stops.some((s) => s.arrivesAt > orders.find((o) => o.id === s.id)!.promisedAt);
    return { stops, late };
  };
  while (queue.length) {
    const first = queue.shift()!;
    const trip = [first];
    const heading = bearingDeg(shop, first.to);
    for (let i = 0; i < queue.length && trip.length < b.maxPerTrip; ) {
      const c = queue[i];
      const sameTime = trip.every((o) => Math.abs(o.readyAt - c.readyAt) <= b.windowMinutes * 60_000);
      const sameWay = angleBetween(heading, bearingDeg(shop, c.to)) <= b.maxAngleDeg;
      // joining must not make anyone late who would not be late alone
      if (sameTime && sameWay && !onTime([...trip, c]).late) {
        trip.push(c);
        queue.splice(i, 1);
      } else i++;
    }
    trips.push({ stops: onTime(trip).stops });
  }
  return trips;
}
