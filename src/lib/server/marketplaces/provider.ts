// What a delivery platform is to the system, whatever the platform: how its webhooks are checked
// and read, and what the workers ask of it (accept or deny an order, each kitchen step, a cancel,
// the menu, an item's availability, the store's status and busy time, the weekly payout report).
// One file per platform implements it (uber-eats.ts, deliveroo.ts), listed in registry.ts; the
// core (intake.ts, sync.ts, the pages) reads only this interface and never a platform's names.
import type { IncomingHttpHeaders } from 'node:http';
import type { MarketplaceStep } from '../../domain/marketplace-steps.ts';

/** How the order leaves the shop: the platform's courier collects it, or the shop delivers it itself. */
export type MarketplaceFulfilment = 'courier' | 'shop_delivery' | 'customer_pickup';

export interface MarketplaceLineIn {
  /** The platform's id of the item: ours when the platform got it from the menu we pushed. */
  externalId: string;
  name: string;
  quantity: number;
  /** What the customer paid the platform for one, options included (cents, VAT included). */
  unitPriceCents: number;
  options: { externalId: string; name: string; quantity: number; priceCents: number }[];
  note: string | null;
}

/** A platform's order, read into our terms. */
export interface MarketplaceOrderIn {
  /** The platform's id of the order (kept as the order's external id). */
  externalId: string;
  /** The short code the courier and the customer say ("A1B2C"). */
  code: string | null;
  storeId: string;
  placedAt: string;
  /** The platform cancels it by itself if it is not accepted by then (ISO). */
  acceptBy: string | null;
  fulfilment: MarketplaceFulfilment;
  /** The customer's first name and note; a phone only when the shop delivers it itself. */
  customer: { name: string; phone: string | null; note: string | null };
  /** Only when the shop delivers it itself. */
  address: { street: string; city: string; postcode: string | null; lat: number | null; lng: number | null; instructions: string | null } | null;
  lines: MarketplaceLineIn[];
  /** What the customer paid the platform for the food (cents, VAT included; no platform fees). */
  totalCents: number;
  /** When the platform told the customer it would be ready or delivered (ISO), if it said. */
  promisedAt: string | null;
  /** When the platform's courier is expected at the shop (ISO), if known yet. */
  courierEta: string | null;
}

export type CourierState = 'assigned' | 'arriving' | 'arrived' | 'collected';

/** What a verified webhook says, each with the platform's id of the event (processed once). */
export type MarketplaceNotice =
  | { kind: 'order'; eventId: string; storeId: string; order: MarketplaceOrderIn }
  /** The webhook names the order only: the workers fetch it (fetchOrder). */
  | { kind: 'order_named'; eventId: string; storeId: string; externalId: string }
  | { kind: 'cancelled'; eventId: string; storeId: string; externalId: string; reason: string | null }
  | { kind: 'courier'; eventId: string; storeId: string; externalId: string; state: CourierState; etaAt: string | null }
  /** Something the system does not act on (a test ping, an event of no use to the shop). */
  | { kind: 'other'; eventId: string; storeId: string | null; type: string };

export interface MarketplaceOrderRef {
  storeId: string;
  externalId: string;
}

/** Why we deny an order, in the platform's terms by the provider. */
export type DenyReason = 'store_closed' | 'store_busy' | 'item_unavailable' | 'other';

export type { MarketplaceStep } from '../../domain/marketplace-steps.ts';

export interface MarketplaceMenu {
  categories: { id: string; name: string; productIds: string[] }[];
  products: {
    id: string;
    name: string;
    description: string;
    priceCents: number;
    photoUrl: string | null;
    allergens: string[];
    available: boolean;
    optionGroupIds: string[];
  }[];
  optionGroups: { id: string; name: string; min: number; max: number; options: { id: string; name: string; priceCents: number; available: boolean }[] }[];
  /** The shop's hours, per ISO day (1 = Monday) */
  hours: { day: number; opens: string; closes: string }[];
}

/** The platform's payout report for a store and week: what it says it owes the shop. */
export interface MarketplaceReport {
  storeId: string;
  weekStart: string;
  orders: { externalId: string; totalCents: number; commissionCents: number; refundCents: number; payoutCents: number }[];
  /** Adjustments the platform made outside orders (cents, signed). */
  adjustmentsCents: number;
  payoutCents: number;
}

export interface MarketplaceProvider {
  /** The provider's id, kept on each row (lowercase and underscores). */
  readonly id: string;
  /** The platform's name for people ("Uber Eats"). */
  readonly label: string;
  /** Whether its credentials are set (else it takes no webhook and is called never). */
  readonly configured: boolean;
  /** The webhook's signature over the raw body, compared in constant time. */
  verify(rawBody: Buffer, headers: IncomingHttpHeaders): boolean;
  /** A verified webhook's notices (a platform may batch them); throws on a body it cannot read. */
  read(rawBody: Buffer, headers: IncomingHttpHeaders): MarketplaceNotice[];
  fetchOrder(ref: MarketplaceOrderRef): Promise<MarketplaceOrderIn>;
  /** Accepts it, telling the platform when it will be ready. */
  accept(ref: MarketplaceOrderRef, readyAt: Date): Promise<void>;
  deny(ref: MarketplaceOrderRef, reason: DenyReason, explanation: string): Promise<void>;
  step(ref: MarketplaceOrderRef, step: MarketplaceStep): Promise<void>;
  /** The shop cancels an order it had accepted. */
  cancel(ref: MarketplaceOrderRef, reason: string): Promise<void>;
  pushMenu(storeId: string, menu: MarketplaceMenu): Promise<void>;
  /** Suspends or restores items and options, by our ids as pushed in the menu. */
  setAvailability(storeId: string, items: { id: string; available: boolean }[]): Promise<void>;
  /** Open or paused, and the minutes the shop adds to every order's preparation (busy mode). */
  setStoreStatus(storeId: string, status: { open: boolean; busyMinutes: number }): Promise<void>;
  report(storeId: string, weekStart: string): Promise<MarketplaceReport>;
}
