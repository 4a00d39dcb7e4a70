// The question both order takers ask of who delivers where (GET /api/delivery/where), as a plain
// function they and its tests share.
import type { LatLng } from '../../domain/geo.ts';

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
