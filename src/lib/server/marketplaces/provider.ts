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
  /** The customer's allergy as the platform carries it apart from the notes (it becomes the order's allergy note); none said: absent or null. */
  allergy?: string | null;
}

export type CourierState = 'assigned' | 'arriving' | 'arrived' | 'collected';

/** What a verified webhook says, each with the platform's id of the event (processed once). */
export type MarketplaceNotice =
  | { kind: 'order'; eventId: string; storeId: string; order: MarketplaceOrderIn }
  /** The webhook names the order only: the workers fetch it (fetchOrder). */
  | { kind: 'order_named'; eventId: string; storeId: string; externalId: string }
  | { kind: 'cancelled'; eventId: string; storeId: string; externalId: string; reason: string | null }
  | { kind: 'courier'; eventId: string; storeId: string; externalId: string; state: CourierState; etaAt: string | null }
  /** The platform gave the app a store's integration (provisioned) or took it away. */
  | { kind: 'store'; eventId: string; storeId: string; provisioned: boolean }
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
    /** Age-restricted (an alcoholic drink): the platform checks the customer's ID at the door. */
    alcohol: boolean;
    /** Its VAT rate (%), its options' too. */
    vatRate: number;
    available: boolean;
    optionGroupIds: string[];
  }[];
  optionGroups: {
    id: string; name: string; min: number; max: number;
    /** Each option's allergens are those of the ingredients it adds (a nut pesto: nuts); its VAT rate is its product's. */
    options: { id: string; name: string; priceCents: number; allergens: string[]; vatRate: number; available: boolean }[];
  }[];
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

/** A store a merchant's authorization lets head office activate. */
export interface PlatformStoreChoice {
  id: string;
  name: string;
  address: string | null;
}

/** A store's integration as the platform holds it. */
export interface PlatformIntegration {
  enabled: boolean;
  /** Whether this app accepts, denies and cancels the store's orders (null: the platform did not say). */
  orderManager: boolean | null;
}

/**
 * Where a store is activated by its merchant (the platform's OAuth authorization code): the page the
 * merchant authorizes on, the stores the merchant's token may activate, the activation itself, and
 * the integration read back (after the platform's own notice of it).
 */
export interface MarketplaceActivation {
  authorizeUrl(redirectUri: string, state: string): string;
  authorized(code: string, redirectUri: string): Promise<{ accessToken: string; expiresInSeconds: number; stores: PlatformStoreChoice[] }>;
  /** Activates the store for this app, as its order manager; `ours`: our id of the shop, kept by the platform. */
  activate(accessToken: string, storeId: string, ours: string): Promise<PlatformIntegration>;
  integration(storeId: string): Promise<PlatformIntegration>;
}

/** A shop's store as the platform's own API connects it: its id there and the shop's name. */
export interface PlatformSite {
  storeId: string;
  name: string;
}

/**
 * Where the chain connects its stores through the platform's own API (Deliveroo: each site told to
 * send its order events to our webhook). `connect` is given every store the chain has on the
 * platform, the new one with them (a platform whose configuration is the brand's whole list loses
 * none); it resolves once the platform took it.
 */
export interface MarketplaceSiteConnection {
  connect(sites: PlatformSite[]): Promise<void>;
}

/** An item's availability to tell; `lasting`: a sold-out still true since an earlier day (told again once a day). */
export interface AvailabilityChange {
  id: string;
  available: boolean;
  lasting?: boolean;
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
  /**
   * The answer its documentation asks of our webhook, when not 200 with what was kept (JET Connect:
   * 202 to take an order in and say later whether we took it).
   */
  answer?(rawBody: Buffer, notices: MarketplaceNotice[]): { status: number; body: unknown };
  fetchOrder(ref: MarketplaceOrderRef): Promise<MarketplaceOrderIn>;
  /** Accepts it, telling the platform when it will be ready. */
  accept(ref: MarketplaceOrderRef, readyAt: Date): Promise<void>;
  deny(ref: MarketplaceOrderRef, reason: DenyReason, explanation: string): Promise<void>;
  step(ref: MarketplaceOrderRef, step: MarketplaceStep): Promise<void>;
  /** The shop cancels an order it had accepted. */
  cancel(ref: MarketplaceOrderRef, reason: string): Promise<void>;
  pushMenu(storeId: string, menu: MarketplaceMenu): Promise<void>;
  /** Suspends or restores items and options, by our ids as pushed in the menu. */
  setAvailability(storeId: string, items: AvailabilityChange[]): Promise<void>;
  /** Open or paused, and the minutes the shop adds to every order's preparation (busy mode). */
  setStoreStatus(storeId: string, status: { open: boolean; busyMinutes: number }): Promise<void>;
  /** Absent when the platform publishes no payout report through its API: no reconciliation then, said so. */
  report?(storeId: string, weekStart: string): Promise<MarketplaceReport>;
  /** How its stores are activated by their merchant, where the platform asks it (absent: a store id typed in the back office). */
  readonly activation?: MarketplaceActivation;
  /** How a store typed in the back office is connected through the platform's API (absent: its own onboarding or team does it). */
  readonly siteConnection?: MarketplaceSiteConnection;
}
