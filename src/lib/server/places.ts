// Where a delivery goes: the spot the page sent (the customer's pin, their phone's position) or,
// only when it sent none, the geocoder's; then whether the chosen shop delivers there, and if it
// does not, which shop does (or the nearest one, for a pickup).
import type { PlaceOrderRequest } from '../order-requests.ts';
import { DEFAULT_ETA_SETTINGS, promisedMinutes, type EtaSettings, type TravelMode } from '../domain/eta.ts';
import { promiseRange } from '../domain/road-speed.ts';
import { KIND_MINUTES, asapPromise } from '../domain/slots.ts';
import { distanceM, inZone, shopsByDistance, shopsDeliveringTo, type LatLng } from '../domain/geo.ts';
import { isOpenAt, nextOpening } from '../domain/opening-hours.ts';
import { listPizzerias, type Pizzeria } from './catalogue.ts';
import type { Queryable } from './db.ts';
import { AppError } from './errors.ts';
import { learnedRoadOf, roadAt } from './road-model.ts';
import { promiseFromPlan } from './kitchen/promise.ts';
import type { PositionStore } from './positions.ts';
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

export interface ShopForSpot {
  id: number;
  slug: string;
  name: string;
  distanceM: number;
  /** Whether its zone holds the spot. */
  delivers: boolean;
  open: boolean;
  /** When it opens next, if it is closed now. */
  opensAt: string | null;
  /** For a shop that delivers there: the time it would promise now, in minutes (its kitchen's queue and the road). */
  promiseMinutes: number | null;
  /** The same as the window the customer reads ("25–35 min"): as wide as the shop's past promises say it keeps. */
  promiseRange: { from: number; to: number } | null;
}

/**
 * Every shop as seen from a spot: those that deliver there first, open ones before closed ones,
 * nearest first; the storefront suggests the first.
 */
export async function shopsForSpot(
  q: Queryable,
  at: LatLng,
  opts: { pizzas?: number; eta?: EtaSettings; mode?: TravelMode; now?: Date; positions?: PositionStore | null } = {},
): Promise<ShopForSpot[]> {
  const now = opts.now ?? new Date();
  const [shops, queues, loads] = await Promise.all([listPizzerias(q), kitchenQueues(q), slotLoadsAhead(q)]);
  const perPizza = KIND_MINUTES.pizza.make + KIND_MINUTES.pizza.bake;
  const places = shops.map((s) => ({ ...s, location: { lat: s.lat, lng: s.lng } }));
  // the road each shop's drivers make at this hour, and the window its past promises kept
  const base = { mode: opts.mode ?? 'scooter', eta: opts.eta ?? DEFAULT_ETA_SETTINGS } as const;
  const roads = new Map(await Promise.all(shops.map(async (s) => {
    const road = await roadAt(q, s.id, base, now.getTime());
    const learned = await learnedRoadOf(q, s.id, base.eta.roadFactor, now.getTime());
    // behind the orders its drivers already have, for a shop that delivers here
    const rule = promisedMinutes({ items: opts.pizzas ?? 1, itemsAhead: queues.get(s.id) ?? 0, delivery: { distanceM: distanceM(at, s), mode: road.mode } }, road.eta);
    const planned = inZone(at, s.zone) ? await promiseFromPlan(q, opts.positions ?? null, s, at, rule, road, now.getTime(), false) : rule;
    return [s.id, { road, learned, planned }] as const;
  })));
  return shopsByDistance(at, places)
    .map((s) => {
      const { learned, planned } = roads.get(s.id)!;
      const open = !s.openingHours || isOpenAt(s.openingHours, now);
      const next = open || !s.openingHours ? null : nextOpening(s.openingHours, now);
      const delivers = inZone(at, s.zone);
      // as placing promises it: the queue and the road, the manager's busy minutes, the oven's room
      const promise = delivers
        ? asapPromise({
            ruleMinutes: planned,
            busyMinutes: s.busyMinutes, need: (opts.pizzas ?? 1) * perPizza, capacity: s.ovenMinutesPerSlot, load: loads.get(s.id) ?? new Map(), now: now.getTime(),
          }).minutes
        : null;
      return {
        id: s.id, slug: s.slug, name: s.name, distanceM: Math.round(s.distanceM), delivers, open, opensAt: next?.toISOString() ?? null,
        promiseMinutes: promise, promiseRange: promise === null ? null : promiseRange(promise, learned),
      };
    })
    .sort((a, b) => Number(b.delivers) - Number(a.delivers) || Number(b.open) - Number(a.open) || a.distanceM - b.distanceM);
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

/** The oven minutes each shop's next slots hold (five hours ahead): shop → slot start (ms) → minutes. */
async function slotLoadsAhead(q: Queryable): Promise<Map<number, Map<number, number>>> {
  const { rows } = await q.query<{ pizzeria_id: number; at: string; minutes: string }>({
    name: 'slot-loads-ahead',
    text: `SELECT pizzeria_id, (extract(epoch FROM slot_at) * 1000)::bigint AS at, sum(oven_minutes) AS minutes FROM orders
           WHERE status <> 'cancelled' AND slot_at >= now() - interval '15 minutes' AND slot_at < now() + interval '5 hours'
           GROUP BY pizzeria_id, slot_at`,
  });
  const out = new Map<number, Map<number, number>>();
  for (const r of rows) {
    const shop = out.get(r.pizzeria_id) ?? new Map<number, number>();
    shop.set(Number(r.at), Number(r.minutes));
    out.set(r.pizzeria_id, shop);
  }
  return out;
}

/** Pizzas each kitchen has ahead (received or in the oven; an order for later only once fired). */
async function kitchenQueues(q: Queryable): Promise<Map<number, number>> {
  const { rows } = await q.query<{ pizzeria_id: number; pizzas: number }>({
    name: 'kitchen-queues',
    text: `SELECT o.pizzeria_id, sum(o.pizzas)::int AS pizzas FROM orders o
           WHERE o.status IN ('received', 'preparing') AND (o.fire_at IS NULL OR o.fired_at IS NOT NULL) GROUP BY o.pizzeria_id`,
  });
  return new Map(rows.map((r) => [r.pizzeria_id, r.pizzas]));
}

const PARIS_TIME = new Intl.DateTimeFormat('fr-FR', { timeZone: 'Europe/Paris', weekday: 'long', hour: '2-digit', minute: '2-digit' });

/**
 * Refuses a customer's online order to a shop that paused them or is closed now, saying when it
 * opens (staff taking a call can order outside the opening hours).
 */
export function refuseIfClosed(shop: Pizzeria, now = new Date()): void {
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
