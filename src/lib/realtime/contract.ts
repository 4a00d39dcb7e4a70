// The one socket contract, shared by the hub (server/hub.ts) and the pages: its events, the
// schemas of what a screen sends, and the rooms. The shapes its events carry are src/lib/shapes/views.ts.
import { z } from 'zod';
import type { Role } from '../domain/order-states.ts';
import type { OrderView, MenuAvailability, DriverPosition, TrackedDriverPosition, SystemStatus, OrderForecast, PrinterStatus, KitchenDrivers, FleetUpdate, LowRatingAlert, LowStockAlert, ShopStatus, VoucherRefusedAlert } from '../shapes/views.ts';

export type Ack<T> = { data: T } | { error: { code: RefusalCode | (string & {}); message: string } };

export type EventType =
  | 'order.placed'
  | 'order.status'
  | 'order.modified'
  /** Marked urgent, or not any more. */
  | 'order.urgent'
  /** The kitchen tapped "Allergie lue" on its allergy note. */
  | 'order.allergy_read'
  /** An order for later entered the make line: at its fire time (the workers), or fired now by a manager. */
  | 'order.fired'
  /** A "ready" taken back to the oven by the kitchen (a bump undone). */
  | 'order.recalled'
  /** A cook crossed a line off as made, or un-crossed it (OrderItemView.doneAt). */
  | 'order.lines'
  | 'order.assigned'
  | 'order.waiting_driver'
  | 'order.late'
  /** The shop's plan expects it late (lateExpected): the managers hear it before the customer does. */
  | 'order.late_expected'
  | 'order.refunded'
  /** A manager asked for a refund through the payment provider (the workers make it). */
  | 'order.refund_requested'
  /** A manager's refund was given back (the provider answered, or cash given back at the shop). */
  | 'order.refund_made'
  /** The payment form of an online order is ready (the provider's payment made for the attempt in progress). */
  | 'order.payment_ready'
  /** A manager sends a delivery that failed at the door out again. */
  | 'order.redelivery'
  /** Dispatch offers a delivery to a driver; they decline it, or it expires unanswered. */
  | 'order.offered'
  | 'order.offer_declined'
  | 'order.offer_expired'
  /** The driver's last PIN try was wrong: only a manager can close the delivery now. */
  | 'order.pin_locked'
  /** A manager takes a delivery off its driver (dispatch then finds another). */
  | 'order.unassigned'
  /** A delivery platform's courier: assigned, arriving, at the shop, or when they are expected (OrderView.marketplace.courier). */
  | 'order.courier';

export interface OrderUpdated {
  eventId: number;
  type: EventType;
  at: string;
  order: OrderView;
}

export const SCOPES = ['kitchen', 'shop', 'hq', 'driver', 'order', 'menu', 'system'] as const;

export type Scope = (typeof SCOPES)[number];

/** What a screen may ask for; the hub refuses anything else (ids within Postgres' ranges). */
export const subscribeSchema = z.strictObject({
  scope: z.enum(SCOPES),
  pizzeriaId: z.number().int().positive().max(2_147_483_647).optional(),
  lastEventId: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
});

export type SubscribeRequest = z.infer<typeof subscribeSchema>;

/** Why the hub refused a call; past a limit the socket is then disconnected. */
export type RefusalCode = 'invalid' | 'forbidden' | 'not_found' | 'rate_limited' | 'too_many_subscriptions' | 'server_error' | 'out_of_order' | 'off_shift';

export type SubscribeResult = { lastEventId: number; resync?: false } | { resync: true; lastEventId: number };

/**
 * A driver's phone position (the Geolocation API's fields): metres of accuracy as the phone
 * reports it, and the time it was taken on the phone (ms since 1970), which only goes forward.
 */
export const positionSchema = z.strictObject({
  lat: z.number().min(-90).max(90),
  lng: z.number().min(-180).max(180),
  accuracy: z.number().min(0).max(2000),
  at: z.number().int().positive().max(Number.MAX_SAFE_INTEGER),
  speed: z.number().min(0).max(70).nullable().optional(),
  heading: z.number().min(0).max(360).nullable().optional(),
});

export type PositionReport = z.infer<typeof positionSchema>;

export interface ServerToClientEvents {
  'order:updated': (e: OrderUpdated) => void;
  'system:status': (s: SystemStatus) => void;
  'menu:availability': (e: MenuAvailability) => void;
  /** Managers' maps (all of their shop's drivers) and the tracking page of an order being carried (its driver). */
  'driver:position': (p: DriverPosition | TrackedDriverPosition) => void;
  /** The server is going away: reconnect (to another hub if there is one). */
  'server:restarting': () => void;
  /** A shop's ingredients at or under their low threshold, whenever that list changes (kitchen, shop and head office screens). */
  'stock:low': (e: LowStockAlert) => void;
  /** A shop's settings changed (online orders paused or resumed, hours): its open menus and screens. */
  'shop:status': (e: ShopStatus) => void;
  /** A shop's drivers and figures, for its managers and head office (on subscribing, then as they change). */
  'fleet:updated': (e: FleetUpdate) => void;
  /** A shop's drivers and when each is expected back, for its kitchen screens (on subscribing, then as they change). */
  'kitchen:drivers': (e: KitchenDrivers) => void;
  /** A shop's printer started failing, or works again (its kitchen, managers and head office). */
  'printer:status': (e: PrinterStatus) => void;
  /** When the shop's plan expects the customer to have their order (its tracking page), until it leaves the shop. */
  'order:forecast': (e: OrderForecast) => void;
  /** A customer rated an order two stars or fewer, for the food or the delivery (the shop's managers and head office). */
  'rating:low': (e: LowRatingAlert) => void;
  /** A titre-restaurant held online was refused by its issuer when the kitchen started (the shop's managers and head office). */
  'voucher:refused': (e: VoucherRefusedAlert) => void;
  /** The driver's money changed (a delivery made, a tip shared or moved, the shop's pay rule set): their phone reads it again. */
  'driver:money': () => void;
}

export interface ClientToServerEvents {
  subscribe: (req: SubscribeRequest, ack: (res: Ack<SubscribeResult>) => void) => void;
  /** A driver on shift shares where they are. */
  'driver:position': (p: PositionReport, ack: (res: Ack<{ accepted: true }>) => void) => void;
}

export interface SocketData {
  user: { id: number; role: Role; pizzeriaId: number | null; name: string } | null;
  /** The order a customer follows with a tracking token. */
  trackedOrderId: string | null;
  connectedAt: string;
  scopes: string[];
  /** The session the socket was opened with (its stored id), so a logout ends the socket. */
  sessionId: string | null;
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
