// What a client may send to change orders, checked once at the door (the JSON API) and the type
// the services take: the shape is written here only, and the types are derived from it.
import { EU_ALLERGENS } from '../domain/line-allergens.ts';
import { z } from 'zod';
import { TIP_MAX_CENTS } from '../domain/tip-split.ts';
import { ORDER_STATUSES, FULFILMENTS } from '../domain/order-states.ts';
import { HANDOVER_METHODS } from '../domain/payment-split.ts';
import { MAX_LINES, MAX_OPTIONS_PER_LINE, MAX_QUANTITY_PER_LINE, checkQuantities } from '../domain/pricing.ts';
import { FAILURE_REASONS, SHOP_PAYMENT_METHODS } from './views.ts';

// ids are Postgres integers or uuids: anything else is refused here, before it reaches a query
export const PG_INT_MAX = 2_147_483_647;
export const id = z.number().int().positive().max(PG_INT_MAX, 'not a valid id');
/** An integer id in a path or query string: digits only (no "1e3", " 1", "0x10"), within Postgres' integer. */
export const idParam = z.string().regex(/^[1-9][0-9]{0,9}$/, 'not a valid id').transform(Number).pipe(id);
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const version = z.number().int().positive().max(PG_INT_MAX);
// single-line text: control characters (NUL, which Postgres refuses, newlines, escapes) are not a name or a street
export const noControl = (s: string) => !/\p{Cc}/u.test(s);
const text = (max: number) =>
  z.string().trim().min(1, 'required').max(max, `at most ${max} characters`).refine(noControl, 'no control characters');
/** Free text a customer may leave empty (an empty string is "not given"). */
const optionalText = (max: number) =>
  z.string().trim().max(max, `at most ${max} characters`).refine(noControl, 'no control characters').transform((v) => v || undefined).optional();
const phone = z.string().trim().regex(/^\+?[0-9 .()-]{6,20}$/, 'a phone number, e.g. 06 12 34 56 78');
const items = z
  .array(
    z.strictObject({
      productId: id,
      quantity: z.number().int().min(1).max(MAX_QUANTITY_PER_LINE),
      options: z.array(id).max(MAX_OPTIONS_PER_LINE, `at most ${MAX_OPTIONS_PER_LINE} options on one line`).optional(),
      /** A half-and-half pizza: its right half (productId is its left half; both pizzas of the shop's menu). */
      secondHalfId: id.optional(),
    }).refine((l) => l.secondHalfId !== l.productId, {
      path: ['secondHalfId'], message: 'a half-and-half takes two different pizzas (the same on both halves is a whole one)',
    }),
  )
  .min(1, 'the basket is empty')
  .max(MAX_LINES)
  .superRefine((lines, ctx) => {
    const check = checkQuantities(lines);
    if (!check.ok) for (const message of Object.values(check.fields)) ctx.addIssue({ code: 'custom', message });
  });

export const placeOrderSchema = z.strictObject({
  pizzeriaId: id,
  channel: z.enum(['online', 'phone', 'counter']).default('online'),
  fulfilment: z.enum(FULFILMENTS),
  customer: z.strictObject({ name: text(80), phone, email: z.email().max(120).optional() }),
  address: z
    .strictObject({
      street: text(160),
      postcode: z.string().trim().regex(/^\d{5}$/, 'a 5-digit postcode'),
      city: text(80),
      // the spot, when the page has one (a pin on the map, the phone's position): then no geocoder is asked
      lat: z.number().min(-90).max(90).optional(),
      lng: z.number().min(-180).max(180).optional(),
      locatedBy: z.enum(['pin', 'device']).optional(),
      doorCode: optionalText(20),
      floor: optionalText(20),
      instructions: optionalText(300),
    })
    .refine((a) => (a.lat === undefined) === (a.lng === undefined), { path: ['lat'], message: 'both lat and lng, or neither' })
    .optional(),
  items,
  payment: z.enum(['online', 'on_delivery']),
  /** For later: the start of the 15-minute slot wanted (GET /api/pizzerias/:id/slots offers them); none: as soon as possible. */
  slot: z.iso.datetime({ offset: true, message: 'a slot start, e.g. 2026-11-27T19:30:00Z' }).optional(),
  /** The customer's language, for the messages about the order (French unless said). */
  lang: z.enum(['fr', 'en']).optional(),
  /** A promo code of head office (any case): refused with its reason (422 promo_…), nothing placed. */
  promoCode: z.string().trim().regex(/^[A-Za-z0-9_-]{3,30}$/, '3 to 30 letters, digits, "-" or "_"').optional(),
  /** A signed-in customer spends loyalty points on it: a pizza free (refused with its reason, loyalty_…, nothing placed). */
  useLoyalty: z.boolean().optional(),
  /**
   * The customer's allergies (EU's 14) and a few words: shown to the kitchen, the driver, on the
   * paper. A line that contains a declared allergen is refused (422 allergen_in_basket, naming it)
   * unless `confirmed`.
   */
  allergy: z.strictObject({
    allergens: z.array(z.enum(EU_ALLERGENS, 'one of the 14 allergens')).max(14).default([]),
    note: optionalText(200),
    confirmed: z.boolean().optional(),
    /** A signed-in customer keeps this note on their account for their next orders: their explicit consent (health data). */
    remember: z.boolean().optional(),
  }).optional(),
  /**
   * A tip for the driver, in cents, paid by card with the order (a delivery paid online only:
   * src/lib/server/money/tips.ts); 0 or absent: none.
   */
  tipCents: z.number().int('a whole number of cents').min(0, 'a tip is not negative').max(TIP_MAX_CENTS, 'a tip is at most 100 €').optional(),
});

/** "Where is this address, and who delivers there?": a spot the page has, or an address to look up (query strings). */
const coordinate = (max: number) => z.string().regex(/^-?\d{1,3}(\.\d{1,10})?$/, 'a decimal degree').transform(Number).pipe(z.number().min(-max).max(max));
const pizzas = z.string().regex(/^\d{1,2}$/, 'a number of pizzas').transform(Number).pipe(z.number().int().min(0).max(50)).optional();
export const whereSchema = z.union([
  z.strictObject({ lat: coordinate(90), lng: coordinate(180), pizzas }),
  z.strictObject({ street: text(160), postcode: z.string().trim().regex(/^\d{5}$/, 'a 5-digit postcode').optional(), city: text(80), pizzas }),
]);

/** "Which slots can I order for?" (query string): for a delivery or a pickup, of so many pizzas. */
export const slotsSchema = z.strictObject({
  fulfilment: z.enum(FULFILMENTS).default('delivery'),
  pizzas: z.string().regex(/^\d{1,2}$/, 'a number of pizzas').transform(Number).pipe(z.number().int().min(0).max(50)).default(1),
});

/** "What would you promise an order collected there now?" (query string): of so many pizzas. */
export const pickupPromiseSchema = z.strictObject({
  pizzas: z.string().regex(/^\d{1,2}$/, 'a number of pizzas').transform(Number).pipe(z.number().int().min(1).max(50)).default(1),
});

export const statusSchema = z.strictObject({
  to: z.enum(ORDER_STATUSES),
  version: z.number().int().positive().optional(),
  // marking a pending online order as paid says how the money was taken (cash, card, phone), and so
  // does handing over a pickup that still owes money (cash or card, at the counter)
  paymentMethod: z.enum(SHOP_PAYMENT_METHODS, 'cash, card or phone').optional(),
});
export const deliverSchema = z.strictObject({
  version: version.optional(),
  proof: z.union([z.strictObject({ pin: z.string().regex(/^\d{4}$/, 'the 4-digit PIN on the customer\'s tracking page') }), z.strictObject({ photo: z.literal(true) })]).optional(),
  collected: z.strictObject({ amountCents: z.number().int().min(0).max(1_000_000), method: z.enum(HANDOVER_METHODS) }).optional(),
});
export const failedSchema = z.strictObject({
  version: version.optional(),
  reason: z.enum(FAILURE_REASONS, 'absent, refused or wrong_address'),
  note: z.string().trim().max(300).refine(noControl, 'no control characters').optional(),
});
export const versionSchema = z.strictObject({ version: version.optional() });
export const modifySchema = z.strictObject({ items, version: version.optional() });
export const loginSchema = z.strictObject({
  email: z.string().trim().max(200).refine(noControl, 'no control characters'),
  password: z.string().max(200).refine(noControl, 'no control characters'),
});
export const shiftSchema = z.strictObject({ onShift: z.boolean() });
/** A driver's answer to a delivery offered to them. */
export const offerAnswerSchema = z.strictObject({ accept: z.boolean(), version: version.optional() });
/** A manager gives a ready delivery to a driver of the shop, or takes it off its driver (null). */
export const assignSchema = z.strictObject({ driverId: id.nullable(), version: version.optional() });
/** Head office lends a driver to a shop for the evening (their own shop, or null, brings them back). */
export const lendSchema = z.strictObject({ toShop: id.nullable() });
export const listSchema = z.strictObject({
  pizzeriaId: idParam.optional(),
  status: z.enum(ORDER_STATUSES).optional(),
});

export type DeliverRequest = z.output<typeof deliverSchema>;
/** How the driver proves a delivery: the customer's PIN, or a photo taken first. */
export type DeliveryProof = NonNullable<DeliverRequest['proof']>;
/** What was collected at the door, and how. */
export type CollectedPayment = NonNullable<DeliverRequest['collected']>;
export type FailedRequest = z.output<typeof failedSchema>;
export type OfferAnswerRequest = z.output<typeof offerAnswerSchema>;
export type AssignRequest = z.output<typeof assignSchema>;

/** What placing an order answers (201): the order's number, total and the link to follow it. */
export interface PlacedOrderAnswer {
  id: string;
  number: number;
  status: string;
  total: number;
  trackingToken: string;
  version?: number;
}

/** A new order as the services take it (the API's body once checked). */
export type PlaceOrderRequest = z.output<typeof placeOrderSchema>;
/** A new order as a page sends it. */
export type PlaceOrderBody = z.input<typeof placeOrderSchema>;
