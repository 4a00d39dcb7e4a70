// Where a delivery goes: the spot the page sent (the customer's pin, their phone's position) or,
// only when it sent none, the geocoder's; then whether the chosen shop delivers there, and if it
// does not, which shop does (or the nearest one, for a pickup).
import type { PlaceOrderRequest } from '../../shapes/order-requests.ts';
import { inZone, shopsByDistance, shopsDeliveringTo, type LatLng } from '../../domain/geo.ts';
import { isOpenAt, nextOpening } from '../../domain/opening-hours.ts';
import { listPizzerias, type Pizzeria } from '../shops/catalogue.ts';
import type { Queryable } from '../kernel/db.ts';
import { AppError } from '../kernel/errors.ts';
import { GeocoderUnavailable, type Geocoder } from './geocoder.ts';

export type LocationSource = 'pin' | 'device' | 'geocoder' | 'staff';

/** The address of a delivery as the order's request gives it (its spot, when the page has one, and how it was found). */
export type DeliveryAddressInput = Pick<NonNullable<PlaceOrderRequest['address']>, 'street' | 'postcode' | 'city' | 'lat' | 'lng' | 'locatedBy'>;

export interface DeliverySpot {
  /** Null only for an order staff took that no one could place on the map (the shop knows the street). */
  at: LatLng | null;
  source: LocationSource;
}

const km = (m: number) => `${(m / 1000).toFixed(1)} km`;

/**
 * Finds where a delivery goes and checks the shop delivers there. Staff may take an order the
 * geocoder cannot place (a new street, the service down); a customer is asked to place the pin.
 */
export async function locateDelivery(
  q: Queryable,
  opts: { shop: Pizzeria; address: DeliveryAddressInput; takenByStaff: boolean; geocoder: Geocoder | null; log?: (msg: string, err: unknown) => void },
): Promise<DeliverySpot> {
  const { address } = opts;
  let at: LatLng | null = null;
  let source: LocationSource = 'staff';
  if (address.lat !== undefined && address.lng !== undefined) {
    at = { lat: address.lat, lng: address.lng };
    source = address.locatedBy ?? 'pin';
  } else if (opts.geocoder) {
    try {
      const found = await opts.geocoder.geocode(address);
      if (found) {
        at = { lat: found.lat, lng: found.lng };
        source = 'geocoder';
      }
    } catch (err) {
      if (!(err instanceof GeocoderUnavailable)) throw err;
      opts.log?.('geocoder unavailable: the order relies on the spot the page sent', err);
    }
  }
  if (!at) {
    if (opts.takenByStaff) return { at: null, source: 'staff' };
    throw new AppError(422, 'address_not_located', 'we could not find this address on the map', {
      fields: { address: 'we could not find this address: check it, or place the pin on the map' },
    });
  }
  const { shop } = opts;
  if (inZone(at, shop.zone)) return { at, source };
  // outside: the refusal names who delivers there, or the nearest shop for a pickup
  throw outsideZone(shop, at, await listPizzerias(q));
}

function outsideZone(shop: Pizzeria, at: LatLng, shops: Pizzeria[]): AppError {
  const places = shops.map((s) => ({ ...s, location: { lat: s.lat, lng: s.lng } }));
  const delivering = shopsDeliveringTo(at, places)[0];
  if (delivering) {
    return new AppError(422, 'outside_delivery_zone', `${shop.name} does not deliver to this address; ${delivering.name} does`, {
      fields: { address: `${shop.name} does not deliver here; ${delivering.name} (${km(delivering.distanceM)}) does` },
      shop: { id: delivering.id, name: delivering.name, distanceM: Math.round(delivering.distanceM), delivers: true },
    });
  }
  const nearest = shopsByDistance(at, places)[0];
  return new AppError(422, 'outside_delivery_zone', `no OC Pizza shop delivers to this address; the nearest is ${nearest.name}`, {
    fields: { address: `no OC Pizza shop delivers here; the nearest is ${nearest.name} (${km(nearest.distanceM)}), for a pickup` },
    shop: { id: nearest.id, name: nearest.name, distanceM: Math.round(nearest.distanceM), delivers: false },
  });
}

/** The spot of an address as the storefront asks before checkout: the geocoder's, or null when it has none. */
export async function geocodeForStorefront(geocoder: Geocoder | null, address: { street: string; postcode?: string; city: string }) {
  if (!geocoder) return { at: null, label: null, unavailable: true };
  try {
    const found = await geocoder.geocode(address);
    return found ? { at: { lat: found.lat, lng: found.lng }, label: found.label, unavailable: false } : { at: null, label: null, unavailable: false };
  } catch (err) {
    if (err instanceof GeocoderUnavailable) return { at: null, label: null, unavailable: true };
    throw err;
  }
}

const PARIS_TIME = new Intl.DateTimeFormat('fr-FR', { timeZone: 'Europe/Paris', weekday: 'long', hour: '2-digit', minute: '2-digit' });

/**
 * Refuses a customer's online order to a shop that paused them or is closed now, saying when it
 * opens (staff taking a call can order outside the opening hours).
 */
export function refuseIfClosed(shop: Pizzeria, now = new Date()): void {
  if (shop.training) {
    throw new AppError(422, 'shop_training', `${shop.name} is a training shop: it takes no customer's order`, {
      fields: { pizzeriaId: `${shop.name} is a training shop` },
      shop: { id: shop.id, name: shop.name, phone: shop.phone },
    });
  }
  if (shop.onlinePaused) {
    throw new AppError(422, 'shop_paused', `${shop.name} has paused online orders for a moment: try again shortly, or call the shop`, {
      fields: { pizzeriaId: `${shop.name} has paused online orders for a moment` },
      shop: { id: shop.id, name: shop.name, phone: shop.phone },
    });
  }
  if (!shop.openingHours || isOpenAt(shop.openingHours, now)) return;
  const next = nextOpening(shop.openingHours, now);
  const when = next ? `; it opens ${PARIS_TIME.format(next)}` : '';
  throw new AppError(422, 'shop_closed', `${shop.name} is closed now${when}`, {
    fields: { pizzeriaId: `${shop.name} is closed now${when}` },
    shop: { id: shop.id, name: shop.name, opensAt: next?.toISOString() ?? null },
  });
}
