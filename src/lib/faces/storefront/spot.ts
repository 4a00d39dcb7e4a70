// Where a delivery goes, as plain functions the storefront's spot and its tests share: a spot read
// from an address that may carry one, and the question GET /api/delivery/where is asked.
import type { LatLng } from '../../domain/geo.ts';

/** Whether two spots are the same point. */
export const sameSpot = (a: LatLng | null, b: LatLng | null): boolean => !!a && !!b && a.lat === b.lat && a.lng === b.lng;

/** The spot an address carries (a saved one, a previous order's), if it has one. */
export const spotOf = (a: { lat?: number | null; lng?: number | null }): LatLng | null =>
  typeof a.lat === 'number' && typeof a.lng === 'number' ? { lat: a.lat, lng: a.lng } : null;

/**
 * The query of GET /api/delivery/where for a basket of `pizzas`: the spot when the page has one of
 * its own (the geocoder's is not sent: the server asks the geocoder itself), else the typed address
 * (its postcode only when it has five digits); null when there is neither.
 */
export function whereQuery(
  pizzas: number,
  spot: LatLng | null,
  address: { street: string; postcode: string; city: string },
): string | null {
  const params: Record<string, string> = { pizzas: String(Math.min(50, Math.max(1, pizzas))) };
  if (spot) {
    params.lat = spot.lat.toFixed(6);
    params.lng = spot.lng.toFixed(6);
  } else if (address.street.trim() && address.city.trim()) {
    params.street = address.street.trim();
    if (/^\d{5}$/.test(address.postcode.trim())) params.postcode = address.postcode.trim();
    params.city = address.city.trim();
  } else return null;
  return new URLSearchParams(params).toString();
}
