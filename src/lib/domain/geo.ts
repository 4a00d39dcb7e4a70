// Where orders go: distances on the ground, delivery zones (a radius around the shop, or a
// polygon drawn on the map), and which shops deliver to a spot, nearest first.

export interface LatLng {
  lat: number;
  lng: number;
}

export type DeliveryZone =
  | { kind: 'radius'; center: LatLng; radiusM: number }
  /** The outline of the zone, in order; closed implicitly (the last point joins the first). */
  | { kind: 'polygon'; points: LatLng[] };

const EARTH_RADIUS_M = 6_371_008.8;
const rad = (deg: number) => (deg * Math.PI) / 180;

/** A latitude and longitude a phone or a geocoder could give (finite, within range). */
export function isLatLng(p: unknown): p is LatLng {
  if (typeof p !== 'object' || p === null) return false;
  const { lat, lng } = p as Record<string, unknown>;
  return typeof lat === 'number' && typeof lng === 'number' && Number.isFinite(lat) && Number.isFinite(lng) && Math.abs(lat) <= 90 && Math.abs(lng) <= 180;
}

/** Great-circle distance in metres (haversine; within 0.5 % of the ellipsoid at a city's scale). */
export function distanceM(a: LatLng, b: LatLng): number {
  const dLat = rad(b.lat - a.lat);
  const dLng = rad(b.lng - a.lng);
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(rad(a.lat)) * Math.cos(rad(b.lat)) * Math.sin(dLng / 2) ** 2;
  return 2 * EARTH_RADIUS_M * Math.asin(Math.min(1, Math.sqrt(h)));
}

/**
 * Whether a point is inside a zone. A polygon is tested by ray casting on latitude and longitude
 * (flat at a city's scale; a point exactly on an edge may fall either side).
 */
export function inZone(p: LatLng, zone: DeliveryZone): boolean {
  if (zone.kind === 'radius') return distanceM(p, zone.center) <= zone.radiusM;
  const pts = zone.points;
  if (pts.length < 3) return false;
  let inside = false;
  for (let i = 0, j = pts.length - 1; i < pts.length; j = i++) {
    const a = pts[i];
    const b = pts[j];
    if (a.lat > p.lat !== b.lat > p.lat) {
      const lngAtLat = a.lng + ((p.lat - a.lat) / (b.lat - a.lat)) * (b.lng - a.lng);
      if (p.lng < lngAtLat) inside = !inside;
    }
  }
  return inside;
}

export interface ShopPlace {
  id: number;
  location: LatLng;
  zone: DeliveryZone | null;
}

/** The shops whose zone holds the point, nearest first (a shop with no zone delivers nowhere). */
export function shopsDeliveringTo<S extends ShopPlace>(p: LatLng, shops: readonly S[]): (S & { distanceM: number })[] {
  return shops
    .filter((s) => s.zone !== null && inZone(p, s.zone))
    .map((s) => ({ ...s, distanceM: distanceM(p, s.location) }))
    .sort((a, b) => a.distanceM - b.distanceM || a.id - b.id);
}

/** Every shop by distance to the point, nearest first (to name the nearest when none delivers). */
export function shopsByDistance<S extends ShopPlace>(p: LatLng, shops: readonly S[]): (S & { distanceM: number })[] {
  return shops.map((s) => ({ ...s, distanceM: distanceM(p, s.location) })).sort((a, b) => a.distanceM - b.distanceM || a.id - b.id);
}
