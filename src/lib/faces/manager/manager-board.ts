import type { DriverOnMap, DriverPosition, FleetUpdate, OrderView, PlannedFireView, ShopFigures, TrackedDriverPosition } from '../../shapes/views.ts';
import { HANDED_OVER_STATUSES, ORDER_STATUSES, isFinal, isIn, type OrderStatus } from '../../domain/order-states.ts';
import type { OrderSource } from '../../shared/order-ledger.ts';

/** Every status an order is still in: the shop's load. */
export const OPEN_STATUSES = ORDER_STATUSES.filter((s) => !isFinal(s));

export interface ShopRef {
  id: number;
}

/** One shop's card on the live page. */
export interface ShopLoad<S extends ShopRef> {
  shop: S;
  counts: Record<OrderStatus, number>;
  active: number;
  late: number;
  waiting: number;
  doneLastHour: number;
  /** Orders for later not fired yet: taken, not in the kitchen's load. */
  later: number;
}

/**
 * The manager's live page: each shop's load, the open orders (filtered), what waits for a
 * manager's decision, and the fleet (drivers and their positions) beside the day's figures.
 */
export class ManagerBoard<S extends ShopRef> {
  constructor(
    readonly orders: OrderSource,
    readonly shops: S[],
  ) {}

  /** Each shop's card: orders by status, late ones, those waiting for a driver, those handed over. */
  get stats(): ShopLoad<S>[] {
    const list = this.orders.list;
    return this.shops.map((shop) => {
      const orders = list.filter((o) => o.pizzeriaId === shop.id);
      const open = orders.filter((o) => !isFinal(o.status));
      // an order for later not fired yet is no load on the kitchen yet: counted apart
      const waitingToFire = (o: OrderView) => o.status === 'received' && !!o.scheduled && !o.scheduled.fired;
      const active = open.filter((o) => !waitingToFire(o));
      return {
        shop,
        counts: Object.fromEntries(OPEN_STATUSES.map((st) => [st, active.filter((o) => o.status === st).length])) as Record<OrderStatus, number>,
        active: active.length,
        late: active.filter((o) => o.late).length,
        waiting: active.filter((o) => o.waitingForDriver).length,
        doneLastHour: orders.filter((o) => isIn(HANDED_OVER_STATUSES, o.status)).length,
        later: open.length - active.length,
      };
    });
  }

  /** The open orders, urgent ones first, then oldest first, of one shop and one status or all. */
  rows(shop: number | 'all', status: OrderStatus | 'all'): OrderView[] {
    return this.orders.list
      .filter((o) => !isFinal(o.status))
      .filter((o) => shop === 'all' || o.pizzeriaId === shop)
      .filter((o) => status === 'all' || o.status === status)
      .sort((a, b) => (b.urgent ? 1 : 0) - (a.urgent ? 1 : 0) || Date.parse(a.timestamps.created ?? '') - Date.parse(b.timestamps.created ?? ''));
  }

  /** Failed deliveries back at the shop: out again or cancelled, the manager decides. */
  get decisions(): OrderView[] {
    return this.orders.list.filter((o) => o.delivery.awaitingDecision && o.status === 'ready');
  }

  /** Deliveries whose PIN locked at the door: only a manager can close them now. */
  get locked(): OrderView[] {
    return this.orders.list.filter((o) => o.delivery.pinLocked && o.status === 'out_for_delivery');
  }
}

/**
 * Moves a driver on the map to a position from the socket (in place, so a reactive list follows).
 * False when the driver is not on the list (or the position is a customer's view without a shop).
 */
export function placeDriver(drivers: DriverOnMap[], p: DriverPosition | TrackedDriverPosition): boolean {
  if (!('pizzeriaId' in p)) return false;
  const d = drivers.find((x) => x.id === p.driverId);
  if (!d) return false;
  d.position = { driverId: p.driverId, pizzeriaId: p.pizzeriaId, lat: p.lat, lng: p.lng, accuracy: p.accuracy, at: p.at, stale: false };
  d.carrying = p.carrying;
  return true;
}

/** The drivers a ready delivery of the shop can be given to. */
export const onShiftFor = (drivers: DriverOnMap[], shop: number) => drivers.filter((d) => d.onShift && d.worksFor === shop);

/** The drivers the fleet list shows: on shift, or still carrying something. */
export const fleetShown = (drivers: DriverOnMap[]) => drivers.filter((d) => d.onShift || d.load);

/** Figures by shop. */
export const figuresByShop = (figures: ShopFigures[]) => new Map(figures.map((f) => [f.pizzeriaId, f]));

/** When each shop's plan fires its waiting tickets (pushed with the fleet), by order. */
export const firesByOrder = (updates: readonly FleetUpdate[]) => new Map(updates.flatMap((f) => (f.plan?.fires ?? []).map((p) => [p.orderId, p] as const)));

/** A ticket the plan holds past the next minute: when it is to be fired (null: not held, or fired within the minute). */
export function heldUntil(o: OrderView, fires: ReadonlyMap<string, PlannedFireView>, now: number): string | null {
  const p = fires.get(o.id);
  return o.status === 'received' && !o.scheduled && p && p.reason !== 'now' && Date.parse(p.fireAt) > now + 30_000 ? p.fireAt : null;
}
