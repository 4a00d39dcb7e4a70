// Where a delivery goes, as plain functions the storefront's spot and its tests share: a spot read
// from an address that may carry one, and whether two spots are one.
import type { LatLng } from '../../domain/geo.ts';

/** Whether two spots are the same point. */
export const sameSpot = (a: LatLng | null, b: LatLng | null): boolean => !!a && !!b && a.lat === b.lat && a.lng === b.lng;

/** The spot an address carries (a saved one, a previous order's), if it has one. */
export const spotOf = (a: { lat?: number | null; lng?: number | null }): LatLng | null =>
  typeof a.lat === 'number' && typeof a.lng === 'number' ? { lat: a.lat, lng: a.lng } : null;
