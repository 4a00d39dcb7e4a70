// Placing an order as an ordered list of steps. Placing itself (place.ts) checks who asks, prices,
// locates and promises the order, replays a repeated request, writes the order and its event; what
// the features add (a client's limits, a slot, a promo code, loyalty points, a customer's history)
// comes as steps, listed in the order they run by the composition (src/lib/server/flows/placing.ts), so
// placing knows none of the features and a new one adds a step instead of editing place.ts.
import { DEFAULT_ETA_SETTINGS, type TravelMode, type EtaSettings } from '../../domain/eta.ts';
import type { LatLng } from '../../domain/geo.ts';
import type { PlaceOrderRequest } from '../../shapes/order-requests.ts';
import type { OrderView } from '../../shapes/views.ts';
import type { Db, Queryable, Tx } from '../kernel/db.ts';
import type { Road } from '../road/drivers.ts';
import type { Geocoder } from '../road/geocoder.ts';
import { saveIdempotencyKey, type IdempotencyRequest } from '../kernel/idempotency.ts';
import type { DeliverySpot } from '../road/places.ts';
import type { PositionStore } from '../road/positions.ts';
import type { OrderActor } from '../kernel/actors.ts';
import type { priceLines, readBeforePlacing } from './lines.ts';
import { type OrderLimits, type clientKeys, lockClientAndCheckContact, checkClientHolding, checkUnpaidShare, itemCount, noteHoldingRefusal } from './limits.ts';
import { claimSlot, type planForSlot } from './slots.ts';

/**
 * A delivery platform's order (src/lib/server/marketplaces/): paid to the platform, at the prices
 * the customer paid there, promised by the platform's time, placed by the workers as the system.
 */
export interface MarketplacePlacing {
  /** The provider's id, and the platform's id and short code of the order. */
  id: string;
  externalId: string;
  code: string | null;
  /** What the customer paid the platform for one, by the line's product and options (lineKey, src/lib/domain/marketplaces.ts). */
  unitPrices: Record<string, number>;
  totalCents: number;
  /** When it is to be ready (or delivered, when the shop delivers it itself). */
  promisedAt: Date;
  commissionCents: number;
  /** What the customer wrote for the kitchen (the order's note, its lines' notes). */
  note: string | null;
}

/** What placing an order takes: the checked request (src/lib/shapes/order-requests.ts), with no address for a pickup; or a platform's order. */
export type PlaceOrderInput = Omit<PlaceOrderRequest, 'address' | 'channel' | 'payment'> & {
  channel: PlaceOrderRequest['channel'] | 'marketplace';
  payment: PlaceOrderRequest['payment'] | 'marketplace';
  address?: PlaceOrderRequest['address'] | null;
  marketplace?: MarketplacePlacing;
};

export interface PlacedOrder {
  order: OrderView;
  trackingToken: string;
  /** The order an earlier request with the same Idempotency-Key placed (nothing new was created). */
  replayed?: boolean;
}

/** How an order is placed, beside what it is. */
export interface PlaceOptions {
  idempotencyKey?: string;
  /** Asked for the spot of a delivery address only when the page sent none. */
  geocoder?: Geocoder | null;
  eta?: EtaSettings;
  travelMode?: TravelMode;
  log?: (msg: string, err: unknown) => void;
  /** Whether the order's event wakes the publishers (see Publishing). */
  announce?: boolean;
  /** The limits on a customer's online orders (none when not given: a service or a script). */
  limits?: OrderLimits;
  /** The client's address (req.ip), counted by the limits. */
  clientAddress?: string;
  /** Where the drivers are (Redis): a delivery is promised behind the drivers the shop's plan has taken. */
  positions?: PositionStore | null;
  /** The signed-in customer who orders online: the order joins their history, its address their saved ones. */
  customerId?: string | null;
}

/** What is known of an order before its transaction: its shop, its price, where it goes, who asks. */
export interface PreparedOrder {
  shop: Awaited<ReturnType<typeof readBeforePlacing>>['shop'];
  check: ReturnType<typeof priceLines>;
  spot: DeliverySpot | null;
  clientAddress: string | null;
  pizzas: number;
  promised: number;
  who: ReturnType<typeof clientKeys>;
  ovenMinutes: number;
  later: ReturnType<typeof planForSlot> | null;
}

/** The order being placed, as every step sees it. */
export interface PlacingContext {
  readonly input: PlaceOrderInput;
  readonly actor: OrderActor;
  readonly opts: PlaceOptions;
  readonly prepared: PreparedOrder;
  /** The limits that apply: a customer's order only. */
  readonly limits: OrderLimits | undefined;
  /** An order for later paid at the door that holds its stock unpaid while its fire time is far. */
  readonly ahead: boolean;
  /** Whether the order holds stock unpaid (paid online, or `ahead`). */
  readonly unpaid: boolean;
  readonly idempotency: IdempotencyRequest | null;
  /** The discount an earlier step took (discounts do not add up); null: none yet. */
  discountCents: number | null;
}

/**
 * One step of placing. Its hooks run in the order of the list, each at its moment: `check` before
 * anything is read; `judge` in the order's transaction before the order is written (it refuses by
 * throwing, and what it returns is handed to its `record`; with `discount`, the first step that
 * judged one sets the order's discount); `record` in the same transaction once the order is written
 * and its stock reserved; `refused` after the transaction failed, outside it.
 */
export interface PlacingStep<J = unknown> {
  check?(input: PlaceOrderInput, opts: PlaceOptions): void;
  judge?(tx: Tx, ctx: PlacingContext): Promise<J | null>;
  discount?(judged: J): number;
  record?(tx: Tx, ctx: PlacingContext, placed: { id: string }, judged: J | null): Promise<void>;
  refused?(db: Db, ctx: PlacingContext, err: unknown): Promise<void>;
}

/** A delivery's promise in minutes, at least `ruleMinutes`, behind what the shop's drivers already carry. */
export type DeliveryPromise = (
  q: Queryable,
  positions: PositionStore | null,
  shop: { id: number; lat: number; lng: number },
  door: LatLng | null,
  ruleMinutes: number,
  road: Road,
) => Promise<number>;

/** What placing is made of: its steps in the order they run, and how a delivery is promised. */
export interface Placing {
  steps: readonly PlacingStep<any>[];
  promiseDelivery: DeliveryPromise;
}

/** Keeps the judgement's type between a step's hooks. */
export const placingStep = <J>(step: PlacingStep<J>): PlacingStep<J> => step;

// The steps of placing that belong to orders themselves.

/**
 * A customer's limits: their contacts' orders of the hour, with the client locked until the commit,
 * and what they may hold unpaid; a refusal for what they hold is noted for the shop's manager.
 */
export const clientLimits = placingStep<never>({
  async judge(tx, { limits, unpaid, ahead, prepared: { who, check } }) {
    if (!limits) return null;
    await lockClientAndCheckContact(tx, who, limits.ordersPerContactPerHour);
    if (unpaid) await checkClientHolding(tx, who, itemCount(check.priced.lines), limits, null, ahead);
    return null;
  },
  async refused(db, { limits, unpaid, input, prepared, opts }, err) {
    // a client refused for what it holds unpaid: the shop's manager hears of it (an alert)
    if (limits && unpaid) await noteHoldingRefusal(db, input.pizzeriaId, err, prepared.who.phone).catch((e: unknown) => opts.log?.('noting a holding refusal failed', e));
  },
});

/** An order for later takes its oven minutes from its slot, if the slot still has them. */
export const slotClaim = placingStep<never>({
  async judge(tx, { input, opts, prepared }) {
    if (!prepared.later) return null;
    // a delivery's slot must also have room for the drivers on shift tonight
    const road = input.fulfilment === 'delivery' ? { mode: opts.travelMode ?? 'scooter', eta: opts.eta ?? DEFAULT_ETA_SETTINGS } : undefined;
    await claimSlot(tx, prepared.shop, prepared.later.slotAt, prepared.ovenMinutes, road);
    return null;
  },
});

/** All the unpaid orders of the shop, this one written, may hold no more than their share of its stock. */
export const unpaidShare = placingStep<never>({
  async record(tx, { limits, unpaid, ahead, input, prepared }) {
    if (limits && unpaid) await checkUnpaidShare(tx, input.pizzeriaId, prepared.check, limits, ahead);
  },
});

/** The order a request with an Idempotency-Key placed, kept for its repeats (place.ts replays them). */
export const idempotencyKept = placingStep<never>({
  async record(tx, { idempotency }, placed) {
    if (idempotency) await saveIdempotencyKey(tx, idempotency, placed.id);
  },
});

/** A signed-in customer's order joins their history, and its delivery address their saved ones. */
export const customerHistory = placingStep<never>({
  async record(tx, { opts, input, prepared }, placed) {
    if (!opts.customerId) return;
    await tx.query('INSERT INTO customer_orders (order_id, customer_id, placed_at) VALUES ($1, $2, now())', [placed.id, opts.customerId]);
    if (input.fulfilment === 'delivery') await rememberAddress(tx, opts.customerId, { ...input.address!, ...prepared.spot?.at });
  },
});

/** Kept when a signed-in customer orders a delivery: the same street and postcode is one address, its latest details win. */
async function rememberAddress(
  q: Queryable,
  customerId: string,
  a: { street: string; postcode: string; city: string; lat?: number | null; lng?: number | null; doorCode?: string | null; floor?: string | null; instructions?: string | null },
): Promise<void> {
  await q.query(
    `INSERT INTO customer_addresses (customer_id, street, postcode, city, lat, lng, door_code, floor, instructions)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
     ON CONFLICT (customer_id, street, postcode) DO UPDATE SET city = EXCLUDED.city,
       lat = coalesce(EXCLUDED.lat, customer_addresses.lat), lng = coalesce(EXCLUDED.lng, customer_addresses.lng),
       door_code = EXCLUDED.door_code, floor = EXCLUDED.floor, instructions = EXCLUDED.instructions, last_used_at = now()`,
    [customerId, a.street, a.postcode, a.city, a.lat ?? null, a.lng ?? null, a.doorCode ?? null, a.floor ?? null, a.instructions ?? null],
  );
}
