import type { OrderUpdated } from '../../realtime/contract.ts';
import type { OrderView } from '../../shapes/views.ts';
import { routeTrip } from '../../domain/dispatch-by-distance.ts';
import { WITH_DRIVER_STATUSES, isIn } from '../../domain/order-states.ts';
import type { OrderSource } from '../../shared/order-ledger.ts';

/** A delivery offered to the driver: orders offered together ride together, until the offer ends. */
export interface OfferedTrip {
  expiresAt: string;
  orders: OrderView[];
}

/** Why answering an offer failed, for the phone to say. */
export type OfferRefusal = 'gone' | { message: string | null };

/**
 * The driver's phone: the trips offered, the deliveries to ride in the order to ride them, and
 * those done today, all from the live orders the driver's room receives.
 */
export class DriverBoard {
  constructor(
    readonly orders: OrderSource,
    readonly me: number | undefined,
    readonly shop: { lat: number; lng: number },
  ) {}

  /** A live event for the driver's room. */
  receive(e: OrderUpdated): boolean {
    return this.orders.apply(e.order);
  }

  get mine(): OrderView[] {
    return this.orders.list.filter((o) => o.driver?.id === this.me);
  }

  /** Deliveries offered to this driver and still ready at the shop, a trip per offer. */
  get offers(): OfferedTrip[] {
    const trips = new Map<string, OrderView[]>();
    for (const o of this.orders.list) {
      if (!o.offer || o.offer.driverId !== this.me || o.status !== 'ready') continue;
      const trip = trips.get(o.offer.expiresAt) ?? [];
      trip.push(o);
      trips.set(o.offer.expiresAt, trip);
    }
    return [...trips.entries()].map(([expiresAt, orders]) => ({ expiresAt, orders: orders.sort((a, b) => a.number - b.number) }));
  }

  /** Order id → its stop on the ride: from the shop, each next nearest (orders with no spot have none). */
  get stopOrder(): Map<string, number> {
    const placed = this.mine.filter((o) => isOnTheRoad(o) && o.address?.lat != null && o.address?.lng != null);
    const route = routeTrip(
      this.shop,
      placed.map((o) => ({ id: o.id, readyAt: 0, promisedAt: 0, to: { lat: o.address!.lat!, lng: o.address!.lng! } })),
      0,
      'scooter',
    );
    return new Map(route.map((s, i) => [s.id, i + 1]));
  }

  /** What the driver has to pick up or deliver, in the order of the stops. */
  get active(): OrderView[] {
    const stops = this.stopOrder;
    return this.mine.filter(isOnTheRoad).sort((a, b) => (stops.get(a.id) ?? 99) - (stops.get(b.id) ?? 99) || a.number - b.number);
  }

  /** Waiting at the shop: several at once are picked up with one tap. */
  get readyOnes(): OrderView[] {
    return this.active.filter((o) => o.status === 'ready');
  }

  get done(): OrderView[] {
    return this.mine.filter((o) => o.status === 'delivered');
  }
}

const isOnTheRoad = (o: OrderView) => isIn(WITH_DRIVER_STATUSES, o.status);

/** Whole seconds left to answer an offer, never below zero. */
export const secondsLeft = (expiresAt: string, nowMs: number) => Math.max(0, Math.round((Date.parse(expiresAt) - nowMs) / 1000));

/** What a refused answer to an offer means for the driver: gone (taken or expired) or another reason. */
export function offerRefusal(body: { error?: { code?: string; message?: string } } | null): OfferRefusal {
  const code = body?.error?.code;
  if (code === 'offer_expired' || code === 'offer_gone') return 'gone';
  return { message: body?.error?.message ?? null };
}
