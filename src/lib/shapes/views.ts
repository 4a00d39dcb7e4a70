// The shapes the screens are shown, shared by the services that build them, the hub that sends them
// and the pages that read them: an order as a screen sees it, a shop's fleet, figures and alerts.
// The socket contract (src/lib/realtime/contract.ts) carries them in its events.
import { CORRECTABLE_METHODS, type CorrectableMethod } from '../domain/fiscal-corrections.ts';
import type { OrderStatus, Fulfilment, Role } from '../domain/order-states.ts';
import type { MealVoucherIssuer } from '../domain/meal-vouchers.ts';
import type { CollectedMethod } from '../domain/payment-split.ts';
import type { ProductKind } from '../domain/product-kinds.ts';
import type { StageFigures } from '../domain/speed-of-service.ts';

export interface OrderItemView {
  /** The line's own id (a cook crosses it off by it). */
  id: number;
  productId: number;
  name: string;
  category: ProductKind;
  /** The menu category it was sold in (its kitchen station may follow it); null for lines older than stations. */
  categoryId: number | null;
  quantity: number;
  /** With its options' prices. */
  unitPriceCents: number;
  /** The options chosen, as they were sold: a size, extras, ingredients left out. */
  options: { id: number; kind: 'size' | 'extra' | 'without'; name: string; nameEn: string | null; priceCents: number }[];
  /** When a cook crossed the line off as made (null: still to make). */
  doneAt: string | null;
  /** A half-and-half pizza's halves, as sold (its name reads "½ Reine / ½ Margherita"); null: a whole product. */
  halves?: { left: HalfView; right: HalfView } | null;
  /** The EU allergens of what is in it (recipe, size, extras, removals, both halves), as sold. */
  allergens?: string[];
  /** The cereals and tree nuts among them, named as annex II wants (wheat, hazelnuts); none: the group alone. */
  allergenKinds?: string[];
}

/** One half of a half-and-half pizza (the product of the left half is also the line's productId). */
export interface HalfView {
  productId: number;
  name: string;
  nameEn: string | null;
}

/** How a payment was taken: online through the provider, or at the shop (cash, card at the counter, by phone). */
export const PAID_WITH = ['online', 'cash', 'card', 'phone'] as const;

export type PaidWith = (typeof PAID_WITH)[number];

/** The ways a manager may record a payment the provider did not take: the ways a payment at the shop is taken. */
export const SHOP_PAYMENT_METHODS = CORRECTABLE_METHODS;

export type ShopPaymentMethod = CorrectableMethod;

/** `platform`: the delivery platform cancelled it (src/lib/server/marketplaces/). */
export type CancelReason = 'customer' | 'shop' | 'payment_expired' | 'delivery_failed' | 'platform';

export const FAILURE_REASONS = ['absent', 'refused', 'wrong_address'] as const;

export type FailureReason = (typeof FAILURE_REASONS)[number];

export interface OrderView {
  id: string;
  number: number;
  pizzeriaId: number;
  channel: 'online' | 'phone' | 'counter' | 'marketplace';
  fulfilment: Fulfilment;
  /**
   * An order from a delivery platform: which one (a provider's id, src/lib/server/marketplaces/), its
   * id and short code there, and the platform's courier who collects it (null when the shop delivers
   * it itself or no courier is known yet).
   */
  marketplace?: {
    id: string;
    externalId: string;
    code: string | null;
    /** What the platform's customer wrote for the kitchen. */
    note?: string | null;
    courier: { eta: string | null; state: 'assigned' | 'arriving' | 'arrived' | 'collected' | null } | null;
  } | null;
  status: OrderStatus;
  version: number;
  /**
   * Fields marked "not for every screen" are left out where the screen does not need them
   * (audiences.ts): the kitchen gets the first name and no address, a driver an order is only
   * offered to gets the street without its number and the distance.
   */
  customer: { name: string; /** not for every screen */ phone?: string };
  address: {
    street: string;
    city: string;
    /** Metres as the crow flies from the shop; null when the address has no spot. */
    distanceM: number | null;
    /** not for every screen */
    postcode?: string | null;
    /** The spot on the map; null only for a phone order no one could place. Not for every screen. */
    lat?: number | null;
    lng?: number | null;
    locatedBy?: 'pin' | 'device' | 'geocoder' | 'staff' | null;
    /** not for every screen */
    doorCode?: string | null;
    floor?: string | null;
    instructions?: string | null;
  } | null;
  /** When the customer was promised it (at checkout: the kitchen's queue and the road). */
  promisedAt: string | null;
  /**
   * An order for later: the 15-minute slot its customer chose (it is promised by the slot's end),
   * when it is fired into the make line, and whether it has been (until then the kitchen shows it
   * as coming, and the customer may still change or cancel it). Null: as soon as possible.
   */
  scheduled: { slotAt: string; fireAt: string; fired: boolean } | null;
  /** How the delivery went at the door: the proof given, what was collected, a failure and the shop's decision pending. */
  delivery: {
    proof: 'pin' | 'photo' | 'manager' | null;
    collected: { cents: number; method: CollectedMethod } | null;
    failure: { reason: FailureReason; note: string | null; at: string } | null;
    /** Back at the shop after a failed delivery, until a manager sends it again or cancels it. */
    awaitingDecision: boolean;
    /** Failed attempts so far. */
    attempts: number;
    /** Too many wrong PINs: the driver can no longer close it (neither PIN nor photo), a manager does. */
    pinLocked: boolean;
  };
  payment: {
    method: 'online' | 'on_delivery' | 'marketplace';
    /**
     * authorised: a card hold, captured when the kitchen starts the order. card_saved: an order for
     * later whose card is saved, held the day before its slot (`holdAt`); failed, with `payBy`: that
     * hold was refused, and the customer pays on the payment page by then or the order is cancelled.
     */
    status: 'pending' | 'card_saved' | 'authorised' | 'paid' | 'due' | 'failed' | 'refunded';
    /** A saved card: when the workers hold it (ISO). */
    holdAt: string | null;
    /** A refused hold: until when the customer may pay it (ISO). */
    payBy: string | null;
    /** What a titre-restaurant paid of the order, and its issuer (src/lib/domain/meal-vouchers.ts). */
    voucher: { cents: number; issuer: MealVoucherIssuer } | null;
    /** The online payment attempt in progress or confirmed; a change while pending starts the next one. */
    attempt: number;
    /** How the money was taken: by the payment provider, or by the shop (a manager marking it paid). */
    paidWith: PaidWith | null;
    /** Money was taken from the card (a hold captured); a hold let go before never was. */
    captured: boolean;
    /** Stripe refused to capture the hold (it expired, the card was blocked since): the manager decides what to do. */
    captureFailed: boolean;
    /** The driver's tip given at checkout, held and taken with the order's card payment; never the order's money (0: none). */
    tipCents: number;
    /** That tip given back by a manager (tip-refunds.ts): the card was charged the order alone in the end (0: none). */
    tipRefundedCents: number;
  };
  totalCents: number;
  /** Money taken for this order (online and at the door or counter), before refunds. */
  paidCents: number;
  /** Still to collect at the door or counter: what is owed less what was kept. */
  amountDueCents: number;
  /** Owed back to the customer and not refunded yet (a cancelled or reduced paid order). */
  refundDueCents: number;
  /** Already given back, and when the last refund was made. */
  refundedCents: number;
  refundedAt: string | null;
  /** Why a cancelled order was cancelled. */
  cancelReason: CancelReason | null;
  driver: { id: number; name: string } | null;
  /** A delivery offered to a driver, until they accept or decline it or it expires. */
  offer: { driverId: number; name: string; expiresAt: string } | null;
  /**
   * On an event only: the driver this change took the order from (unassigned, reassigned, an
   * offer declined or expired), so their phone drops it.
   */
  releasedDriverId?: number;
  waitingForDriver: boolean;
  late: boolean;
  /**
   * The shop's plan expected it late (minutes past its promise, when first seen so): the managers'
   * alert, raised once, before the customer is told (src/lib/server/kitchen/delays.ts).
   */
  lateExpected: { minutes: number; at: string } | null;
  /** Marked urgent by the manager or the counter: first on every kitchen screen. */
  urgent: boolean;
  /**
   * The customer's allergy note (the 14 EU allergens and a few words), or null: food safety, so the
   * kitchen and the driver read it too. `readFirst`: the shop wants the kitchen's "Allergie lue"
   * (`readAt`) before the order is started.
   */
  allergy?: { allergens: string[]; note: string | null; readAt: string | null; readFirst: boolean } | null;
  items: OrderItemView[];
  /** ISO time each status was reached, and when the order was created. */
  timestamps: Partial<Record<OrderStatus | 'created', string>>;
}

export interface MenuAvailability {
  pizzeriaId: number;
  /** The menu's revision: a page holding an older one reads the menu again (a new product, a new price). */
  revision: number;
  /** Each product, and the options that cannot be chosen now (their extra ingredients ran out). */
  products: { id: number; available: boolean; portions: number | null; unavailableOptions: number[] }[];
}

/** A driver where they are now, as the manager's map sees them. */
export interface DriverPosition {
  driverId: number;
  pizzeriaId: number;
  lat: number;
  lng: number;
  accuracy: number;
  /** ISO time the phone took it. */
  at: string;
  /** The orders they are carrying now (out for delivery). */
  carrying: string[];
}

/** What a customer's tracking page gets: the driver carrying their order, nothing else. */
export type TrackedDriverPosition = Pick<DriverPosition, 'driverId' | 'lat' | 'lng' | 'accuracy' | 'at'>;

/** What the operations page shows, live. */
export interface SystemStatus {
  at: string;
  screens: { socketId: string; role: Role; pizzeriaId: number | null; name: string; scopes: string[]; connectedAt: string }[];
  queues: { name: string; waiting: number; active: number; delayed: number; failed: number }[];
  backup: { lastAt: string | null; ok: boolean | null; bytes: number | null; error: string | null; lastSuccessAt: string | null } | null;
  maintenance: { lastAt: string; sessionsDeleted: number; eventsArchived: number } | null;
  /** The shops whose kitchen printer failed last time it printed (off, unreachable, out of paper). */
  printers: { pizzeriaId: number; name: string; error: string | null; since: string }[];
  relay: { listening: boolean; lastEventId: number; lastLagMs: number | null; p99LagMs: number | null };
  hub: { pid: number; startedAt: string };
  /** The Postgres this server writes to and its standbys (null when it could not be asked). */
  database: DatabaseRole | null;
  /** Where this server's Redis is: the master's address (null: not reached), named by the sentinels or not, its replicas. */
  redis: { master: string | null; sentinel: boolean; replicas: number | null; failovers: number; sentinels?: { answering: number; of: number; quorum: boolean } } | null;
}

/** The Postgres the product reaches (the leader, behind HAProxy in a cluster) and how its standbys follow. */
export interface DatabaseRole {
  /** The leader's own address (host:port as it listens). */
  node: string;
  /** false: the address reached a standby (read-only): writes fail until the leader moves there. */
  primary: boolean;
  /** Goes up by one at each promotion (a failover happened); null on a standby. */
  timeline: number | null;
  standbys: { name: string; state: string; sync: string; lagBytes: number | null; replayLagSeconds: number | null }[];
  /** The standby that confirms each commit before it is answered (synchronous), if any is streaming. */
  syncStandby: string | null;
  /** How many synchronous standbys the deployment has (DATABASE_SYNC_STANDBYS). */
  standbysExpected: number;
  /** As many synchronous standbys streaming as expected: a failover now loses no acknowledged commit. */
  inSync: boolean;
}

/** What an order's tracking page hears of the shop's plan: when it should be ready and reach its customer. */
export interface OrderForecast {
  orderId: string;
  readyAt: string;
  expectedAt: string;
  /** Minutes past its promise (0: on time). */
  lateMinutes: number;
}

/** A driver as the managers' map shows them (GET /api/drivers), kept live by `driver:position`. */
export interface DriverOnMap {
  id: number;
  name: string;
  onShift: boolean;
  /** Their own shop, and the one they work for tonight (another when head office lent them). */
  homeShop: number;
  worksFor: number;
  /** Orders assigned and not delivered yet (waiting at the shop or on the way). */
  load: number;
  carrying: string[];
  /** Their phone has a live socket to a hub now (null: the server cannot tell, without Redis). */
  connected: boolean | null;
  position: { driverId: number; pizzeriaId: number; lat: number; lng: number; accuracy: number; at: string; stale: boolean } | null;
  /** When they are expected back at the shop (ISO): now if there, else after their doors and the ride back; null without a fresh position. */
  backAt: string | null;
}

/** A shop's kitchen printer as the workers last found it: a failure is an alert until a print goes through. */
export interface PrinterStatus {
  pizzeriaId: number;
  ok: boolean;
  /** Why it failed, for the screens' own words: off or unreachable, no answer in time, out of paper, an address the workers may not reach. */
  code: 'unreachable' | 'no_answer' | 'paper_out' | 'refused' | null;
  /** The same in English, with the printer's address (the logs, the system page). */
  error: string | null;
  /** Since when it works, or fails. */
  since: string;
}

/** A shop's drivers as its kitchen sees them: who, and when each is expected back (a delivery's ticket says it). */
export interface KitchenDrivers {
  pizzeriaId: number;
  drivers: Pick<DriverOnMap, 'id' | 'name' | 'backAt'>[];
  /** When each waiting ticket is fired (src/lib/server/kitchen/plan.ts). */
  plan: FirePlan;
}

/** One open order's place in the shop's plan (waiting to be fired, in the oven, or ready for its driver). */
export interface PlannedFireView {
  orderId: string;
  /** When it enters the make line (ISO): now, or later to leave the oven as its driver walks in. */
  fireAt: string;
  readyAt: string;
  /**
   * now: nothing to wait for (a pickup is always made at once); driver: held to meet its driver;
   * slot: an order for later; courier: held to be ready as a delivery platform's courier walks in;
   * started: in the oven or ready (not fired again, it takes its driver's trip).
   */
  reason: 'now' | 'driver' | 'slot' | 'courier' | 'started';
  driverId: number | null;
  driverAt: string | null;
  /** When its customer is expected to have it (at the door, or ready at the counter). */
  expectedAt: string;
  /** Minutes past its promise the plan expects (0: on time). */
  lateMinutes: number;
}

/** The tickets a shop's plan holds (for their driver, or orders for later), as of `at`: every other open order is made now. */
export interface FirePlan {
  pizzeriaId: number;
  at: string;
  fires: PlannedFireView[];
}

/** A shop's fleet as the managers' map shows it: its drivers tonight and its evening's figures. */
export interface FleetUpdate {
  pizzeriaId: number;
  drivers: DriverOnMap[];
  figures: ShopFigures | null;
  /** When each of its waiting tickets is fired. */
  plan: FirePlan;
}

/** A shop's evening in figures (GET /api/figures): today, Paris time. */
export interface ShopFigures {
  pizzeriaId: number;
  /** Orders handed over today (delivered or collected), and cancelled. */
  done: number;
  cancelled: number;
  /** Average minutes from the kitchen starting an order to ready, and from pick-up to the door. */
  avgPrepMinutes: number | null;
  /**
   * Today's speed of service, stage by stage (median, 90th percentile, target, in seconds): the
   * same figures as the day's speed-of-service page (src/lib/domain/speed-of-service.ts).
   */
  speed: StageFigures | null;
  avgRoadMinutes: number | null;
  /** Orders handed over today (delivered or collected) that had a promise, and those that kept it (isKept: at most 5 minutes past it). */
  promised: number;
  onTime: number;
  driversOnShift: number;
}

/** A low rating as the managers' alerts show it (src/lib/server/customers/ratings.ts). */
/** A titre-restaurant held online that its issuer refused when it was to be taken, on an order still under way (the alerts' own shape). */
export type { AlertVoucherRefusal as VoucherRefusedAlert } from '../domain/alerts.ts';

export interface LowRatingAlert {
  orderId: string;
  pizzeriaId: number;
  number: number;
  fulfilment: Fulfilment;
  food: number;
  /** null for a pickup. */
  delivery: number | null;
  comment: string | null;
  driverName: string | null;
  /** When it was given (ISO). */
  at: string;
}

/** A shop's ingredients at or under their low threshold (free to sell), as the kitchen and manager screens show them. */
export interface LowStockAlert {
  pizzeriaId: number;
  low: { ingredientId: number; name: string; nameEn: string | null; unit: string; free: number; lowThreshold: number }[];
}

/** What a storefront needs to know of a shop right now. */
export interface ShopStatus {
  pizzeriaId: number;
  name: string;
  onlinePaused: boolean;
  /** Minutes the manager adds to every new promise in a rush (0: none). */
  busyMinutes: number;
  /** When it is open (see src/lib/domain/opening-hours.ts); null: at any hour. */
  openingHours: import('../domain/opening-hours.ts').OpeningHours | null;
  phone: string | null;
}
