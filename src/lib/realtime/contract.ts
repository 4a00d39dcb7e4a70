// The one socket contract, shared by the hub (server/hub.ts) and the pages.
import type { OrderStatus, Role } from '../domain/order-states.ts';

export type Ack<T> = { data: T } | { error: { code: string; message: string } };

export interface OrderItemView {
  productId: number;
  name: string;
  category: 'pizza' | 'drink' | 'dessert';
  quantity: number;
  unitPriceCents: number;
}

export interface OrderView {
  id: string;
  number: number;
  pizzeriaId: number;
  channel: 'online' | 'phone' | 'counter';
  fulfilment: 'delivery' | 'pickup';
  status: OrderStatus;
  version: number;
  customer: { name: string; phone: string };
  address: { street: string; postcode: string | null; city: string; lat: number | null; lng: number | null } | null;
  payment: { method: 'online' | 'on_delivery'; status: 'pending' | 'paid' | 'due' | 'failed' | 'refunded' };
  totalCents: number;
  paidCents: number;
  driver: { id: number; name: string } | null;
  waitingForDriver: boolean;
  late: boolean;
  items: OrderItemView[];
  /** ISO time each status was reached, and when the order was created. */
  timestamps: Partial<Record<OrderStatus | 'created', string>>;
}

export type EventType =
  | 'order.placed'
  | 'order.status'
  | 'order.modified'
  | 'order.assigned'
  | 'order.waiting_driver'
  | 'order.late';

export interface OrderUpdated {
  eventId: number;
  type: EventType;
  at: string;
  order: OrderView;
}

export interface MenuAvailability {
  pizzeriaId: number;
  products: { id: number; available: boolean; portions: number | null }[];
}

export type Scope = 'kitchen' | 'shop' | 'hq' | 'driver' | 'order' | 'menu' | 'system';

export interface SubscribeRequest {
  scope: Scope;
  pizzeriaId?: number;
  lastEventId?: number;
}

export type SubscribeResult = { lastEventId: number; resync?: false } | { resync: true; lastEventId: number };

/** What the operations page shows, live. */
export interface SystemStatus {
  at: string;
  screens: { socketId: string; role: string; pizzeriaId: number | null; name: string; scopes: string[]; connectedAt: string }[];
  queues: { name: string; waiting: number; active: number; delayed: number; failed: number }[];
  backup: { lastAt: string | null; ok: boolean | null; bytes: number | null; error: string | null; lastSuccessAt: string | null } | null;
  maintenance: { lastAt: string; sessionsDeleted: number; eventsArchived: number } | null;
  relay: { listening: boolean; lastEventId: number; lastLagMs: number | null; p99LagMs: number | null };
  hub: { pid: number; startedAt: string };
}

export interface ServerToClientEvents {
  'order:updated': (e: OrderUpdated) => void;
  'system:status': (s: SystemStatus) => void;
  'menu:availability': (e: MenuAvailability) => void;
  /** The server is going away: reconnect (to another hub if there is one). */
  'server:restarting': () => void;
}

export interface ClientToServerEvents {
  subscribe: (req: SubscribeRequest, ack: (res: Ack<SubscribeResult>) => void) => void;
}

export interface SocketData {
  user: { id: number; role: Role; pizzeriaId: number | null; name: string } | null;
  /** The order a customer follows with a tracking token. */
  trackedOrderId: string | null;
  connectedAt: string;
  scopes: string[];
}

export const roomFor = {
  kitchen: (shop: number) => `kitchen:${shop}`,
  shop: (shop: number) => `shop:${shop}`,
  hq: () => 'hq',
  driver: (user: number) => `driver:${user}`,
  order: (order: string) => `order:${order}`,
  menu: (shop: number) => `menu:${shop}`,
  system: () => 'system',
};
