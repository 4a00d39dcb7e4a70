// The order state machine: the one place that says which move is allowed and who may make it.
// db/migrations/0001 copies the (from, to) pairs so that the database refuses the same moves.

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

interface Transition {
  from: OrderStatus;
  to: OrderStatus;
  by: readonly Actor[];
  /** Only for this kind of order. */
  only?: Fulfilment;
}

const SHOP_STAFF: readonly Actor[] = ['admin', 'manager', 'counter'];

export const TRANSITIONS: readonly Transition[] = [
  { from: 'pending_payment', to: 'received', by: ['system', 'admin', 'manager', 'counter'] },
  { from: 'pending_payment', to: 'cancelled', by: ['customer', 'system', ...SHOP_STAFF] },
  { from: 'received', to: 'preparing', by: ['kitchen', 'admin', 'manager'] },
  // the system: an order for later whose card hold the bank refused, still unpaid at its deadline
  { from: 'received', to: 'cancelled', by: ['customer', 'system', ...SHOP_STAFF] },
  { from: 'preparing', to: 'ready', by: ['kitchen', 'admin', 'manager'] },
  // a "ready" bumped by mistake, taken back within a short window while nothing depends on it:
  // only by a recall (src/lib/domain/recall.ts), never as an ordinary move
  { from: 'ready', to: 'preparing', by: ['kitchen', 'admin', 'manager'] },
  { from: 'ready', to: 'out_for_delivery', by: ['driver', 'admin', 'manager'], only: 'delivery' },
  { from: 'ready', to: 'collected', by: ['kitchen', 'counter', 'admin', 'manager'], only: 'pickup' },
  { from: 'out_for_delivery', to: 'delivered', by: ['driver', 'admin', 'manager'], only: 'delivery' },
  // a delivery that failed at the door (absent, refused, wrong address) comes back to the shop,
  // which decides: out again, or cancelled (only then: see the order service)
  { from: 'out_for_delivery', to: 'ready', by: ['driver', 'admin', 'manager'], only: 'delivery' },
  { from: 'ready', to: 'cancelled', by: ['admin', 'manager'], only: 'delivery' },
];

/** Where an order ends: nothing moves it from here. */
export const FINAL_STATUSES: readonly OrderStatus[] = ['delivered', 'collected', 'cancelled'];
/** The final statuses as an SQL list, for `status NOT IN (…)` (constants, never input). */
export const FINAL_STATUSES_SQL = FINAL_STATUSES.map((s) => `'${s}'`).join(', ');
/** The statuses the kitchen's screen shows, one column each (and the counter's pickups). */
export const KITCHEN_STATUSES = ['received', 'preparing', 'ready'] as const satisfies readonly OrderStatus[];
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
  return status === 'pending_payment' || status === 'received';
}

export function isFinal(status: string): boolean {
  return (FINAL_STATUSES as readonly string[]).includes(status);
}

/** The steps a customer sees on the tracking timeline, in order. */
export function timelineFor(fulfilment: Fulfilment): OrderStatus[] {
  return fulfilment === 'pickup'
    ? ['received', 'preparing', 'ready', 'collected']
    : ['received', 'preparing', 'ready', 'out_for_delivery', 'delivered'];
}
