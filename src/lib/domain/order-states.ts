// The order state machine: the one place that says which move is allowed and who may make it.
// db/migrations/0001 copies the (from, to) pairs so that the database refuses the same moves.
import { can } from './permissions.ts';

export const ORDER_STATUSES = [
  'pending_payment',
  'received',
  'preparing',
  'ready',
  'out_for_delivery',
  'delivered',
  'collected',
  'cancelled',
] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

export const ROLES = ['admin', 'manager', 'kitchen', 'counter', 'driver'] as const;
export type Role = (typeof ROLES)[number];
/** Who makes a move: a staff role, the customer (by tracking token) or the system (workers). */
export type Actor = Role | 'customer' | 'system';

/** How an order reaches its customer. */
export const FULFILMENTS = ['delivery', 'pickup'] as const;
export type Fulfilment = (typeof FULFILMENTS)[number];

/** Where a delivery goes: the address, its spot on the map when one is known, and what the driver needs at the door. */
export interface DeliveryAddress {
  street: string;
  postcode: string;
  city: string;
  lat: number | null;
  lng: number | null;
  doorCode: string | null;
  floor: string | null;
  /** What the customer told the driver: "2nd door on the left", "call from the gate". */
  instructions: string | null;
}

interface Transition {
  from: OrderStatus;
  to: OrderStatus;
  by: readonly Actor[];
  /** Only for this kind of order. */
  only?: Fulfilment;
}

export const TRANSITIONS: readonly Transition[] = [
  { from: 'pending_payment', to: 'received', by: ['system', ...can.takeOrders] },
  { from: 'pending_payment', to: 'cancelled', by: ['customer', 'system', ...can.takeOrders] },
  { from: 'received', to: 'preparing', by: can.cook },
  // the system: an order for later whose card hold the bank refused, still unpaid at its deadline
  { from: 'received', to: 'cancelled', by: ['customer', 'system', ...can.takeOrders] },
  { from: 'preparing', to: 'ready', by: can.cook },
  // a delivery platform cancelled an order the kitchen had started: the workers cancel it here too
  { from: 'preparing', to: 'cancelled', by: ['system'] },
  // a "ready" bumped by mistake, taken back within a short window while nothing depends on it:
  // only by a recall (src/lib/domain/recall.ts), never as an ordinary move
  { from: 'ready', to: 'preparing', by: can.cook },
  { from: 'ready', to: 'out_for_delivery', by: can.deliver, only: 'delivery' },
  { from: 'ready', to: 'collected', by: can.handOver, only: 'pickup' },
  { from: 'out_for_delivery', to: 'delivered', by: can.deliver, only: 'delivery' },
  // a delivery that failed at the door (absent, refused, wrong address) comes back to the shop,
  // which decides: out again, or cancelled (only then: see the order service)
  { from: 'out_for_delivery', to: 'ready', by: can.deliver, only: 'delivery' },
  { from: 'ready', to: 'cancelled', by: can.runShop, only: 'delivery' },
];

/**
 * The statuses that belong together, named once: the services, workers and pages say "an open
 * order" or "handed over" rather than list statuses, so a new status joins the sets it belongs to
 * here and every query and rule follows. Each is a list for code (`isIn`) and for SQL (`sqlList`).
 */
type StatusSet = readonly OrderStatus[];

/** Where an order ends: nothing moves it from here. */
export const FINAL_STATUSES = ['delivered', 'collected', 'cancelled'] as const satisfies StatusSet;
/** Not ended yet: an order still on its way (an account cannot be erased under it). */
export const OPEN_STATUSES = ['pending_payment', 'received', 'preparing', 'ready', 'out_for_delivery'] as const satisfies StatusSet;
/** Accepted (paid, or to be paid on the spot) and not ended: a saved card's hold is still to take. */
export const UNDER_WAY_STATUSES = ['received', 'preparing', 'ready', 'out_for_delivery'] as const satisfies StatusSet;
/** Not started by the kitchen yet: the customer may still change or cancel it. */
export const NOT_STARTED_STATUSES = ['pending_payment', 'received'] as const satisfies StatusSet;
/** Started by the kitchen and not cancelled: the card hold is captured from here. */
export const STARTED_STATUSES = ['preparing', 'ready', 'out_for_delivery', 'delivered', 'collected'] as const satisfies StatusSet;
/** The statuses the kitchen's screen shows, one column each (and the counter's pickups). */
export const KITCHEN_STATUSES = ['received', 'preparing', 'ready'] as const satisfies StatusSet;
/** The kitchen's queue: received or in the oven, the pizzas to make before a new order's. */
export const MAKING_STATUSES = ['received', 'preparing'] as const satisfies StatusSet;
/** A driver's load: assigned and waiting at the pass, or on the road. */
export const WITH_DRIVER_STATUSES = ['ready', 'out_for_delivery'] as const satisfies StatusSet;
/** In the customer's hands: counted as done, rated, paid for good. */
export const HANDED_OVER_STATUSES = ['delivered', 'collected'] as const satisfies StatusSet;
/** The kitchen's bumps, listed on its strip of recent ones: out of the oven, handed over, picked up by a driver. */
export const BUMP_STATUSES = ['ready', 'collected', 'out_for_delivery'] as const satisfies StatusSet;
/** The moves the customer is told about by text message. */
export const TOLD_STATUSES = ['received', 'out_for_delivery', 'delivered', 'collected', 'cancelled'] as const satisfies StatusSet;

/** Whether `status` is one of the set. */
export const isIn = (set: StatusSet, status: string): boolean => (set as readonly string[]).includes(status);
/**
 * A set as an SQL list, for `status IN (…)` (or `kind IN (…)`: any list the domain names): constants,
 * never input, so a named statement keeps one text.
 */
export const sqlList = (set: readonly string[]): string => set.map((s) => `'${s}'`).join(', ');
/** The final statuses as an SQL list, for `status NOT IN (…)`. */
export const FINAL_STATUSES_SQL = sqlList(FINAL_STATUSES);
export type KitchenStatus = (typeof KITCHEN_STATUSES)[number];

export type TransitionCheck =
  | { ok: true }
  | { ok: false; reason: 'not_allowed' | 'forbidden' | 'wrong_fulfilment' };

/** Whether `actor` may move an order of kind `fulfilment` from `from` to `to`. */
export function checkTransition(
  from: OrderStatus,
  to: OrderStatus,
  actor: Actor,
  fulfilment: Fulfilment,
): TransitionCheck {
  const t = TRANSITIONS.find((x) => x.from === from && x.to === to);
  if (!t) return { ok: false, reason: 'not_allowed' };
  if (t.only && t.only !== fulfilment) return { ok: false, reason: 'wrong_fulfilment' };
  if (!t.by.includes(actor)) return { ok: false, reason: 'forbidden' };
  return { ok: true };
}

/** The next move a screen offers as its main button, if any. */
export function nextStatus(status: OrderStatus, fulfilment: Fulfilment): OrderStatus | null {
  switch (status) {
    case 'received':
      return 'preparing';
    case 'preparing':
      return 'ready';
    case 'ready':
      return fulfilment === 'pickup' ? 'collected' : 'out_for_delivery';
    case 'out_for_delivery':
      return 'delivered';
    default:
      return null;
  }
}

/** A customer may change or cancel the order until the kitchen starts it. */
export function customerCanChange(status: OrderStatus): boolean {
  return isIn(NOT_STARTED_STATUSES, status);
}

/**
 * An order placed with a promo code or loyalty points keeps its lines: the discount was judged on
 * that basket (the code's minimum, the product it gives, its uses; the pizza the points paid for,
 * and the VAT of each rate it took off). The customer may still cancel it, which gives the code's
 * use or the points back, and order again.
 */
export function discountFixesLines(discountCents: number): boolean {
  return discountCents > 0;
}

export function isFinal(status: string): boolean {
  return isIn(FINAL_STATUSES, status);
}

/** The steps a customer sees on the tracking timeline, in order. */
export function timelineFor(fulfilment: Fulfilment): OrderStatus[] {
  return fulfilment === 'pickup'
    ? ['received', 'preparing', 'ready', 'collected']
    : ['received', 'preparing', 'ready', 'out_for_delivery', 'delivered'];
}
