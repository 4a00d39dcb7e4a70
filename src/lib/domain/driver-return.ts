// When a driver is expected back at their shop: from where they are, through the doors they still
// have to reach (nearest first, as a trip is routed), then back. Pure: the server gives the
// position, the stops and the clock. The kitchen reads it on a delivery's ticket ("driver back at
// 21:42"), the managers' map beside each driver.
import { DEFAULT_BATCH_SETTINGS, routeTrip } from './dispatch-by-distance.ts';
import { DEFAULT_ETA_SETTINGS, travelMinutes, type EtaSettings, type TravelMode } from './eta.ts';
import { distanceM, type LatLng } from './geo.ts';

/** Closer than this to the shop, with nothing to deliver: the driver is at the shop. */
export const AT_SHOP_M = 150;

/**
 * The time (ms) the driver is expected back at the shop: now when they are there, else after the
 * doors still to reach (each with its stop) and the ride back. Null without a position: nobody can say.
 */
export function expectedBackAt(
  position: LatLng | null,
  shop: LatLng,
  stops: readonly LatLng[],
  nowMs: number,
  mode: TravelMode,
  eta: EtaSettings = DEFAULT_ETA_SETTINGS,
  minutesPerStop = DEFAULT_BATCH_SETTINGS.minutesPerStop,
): number | null {
  if (!position) return null;
  if (!stops.length && distanceM(position, shop) <= AT_SHOP_M) return nowMs;
  // the doors in the order a trip takes them, from where the driver is now
  const route = routeTrip(position, stops.map((to, i) => ({ id: String(i), to, readyAt: nowMs, promisedAt: nowMs })), nowMs, mode, { ...DEFAULT_BATCH_SETTINGS, minutesPerStop }, eta);
  const last = route.length ? stops[Number(route[route.length - 1].id)] : position;
  const leaveLast = route.length ? route[route.length - 1].arrivesAt + minutesPerStop * 60_000 : nowMs;
  return Math.round(leaveLast + travelMinutes(distanceM(last, shop), mode, eta) * 60_000);
}
