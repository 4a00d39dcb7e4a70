// The checkout's rules, the same for a customer's storefront and for the counter: what a basket line
// costs and whether it can still be ordered, how a product goes into the basket, the body POST
// /api/orders takes, one Idempotency-Key per order, and what the server's refusal means. Plain
// TypeScript, tested alone; the Checkout class (checkout.svelte.ts) holds them live for both takers.
import { halfAndHalfPrice, halvesName, MAX_QUANTITY_PER_PRODUCT, type HalfAndHalfPricing } from '../../domain/pricing.ts';
import type { Fulfilment } from '../../domain/order-states.ts';
import type { LatLng } from '../../domain/geo.ts';
import type { MenuOption, MenuProduct } from '../../server/shops/catalogue.ts';
import type { PlaceOrderBody } from '../../shapes/order-requests.ts';
import { lineKey } from '../../shapes/line-options.ts';
import { declaredIn, lineAllergens, type Allergen } from '../../domain/line-allergens.ts';
import { lineAllergenKinds, type AllergenKind } from '../../domain/allergen-kinds.ts';

/** A line of the basket: a product with its options (sorted), a half-and-half's right half, how many. */
export interface BasketLine {
  /** Stays with the line while its size or options change. */
  uid: number;
  productId: number;
  /** A half-and-half's right half (productId its left one, whose options it takes). */
  secondHalfId?: number;
  options: number[];
  quantity: number;
}

/** A code the server accepted for the basket: what it takes off. */
export interface AppliedPromo {
  code: string;
  discountCents: number;
}

/** What the shop can make of a product now (the page's menu, then the hub's word). */
export interface Availability {
  available: boolean;
  /** How many more; null when unlimited. */
  portions: number | null;
  unavailableOptions: readonly number[];
}

export const availabilityOf = (p: MenuProduct): Availability => ({
  available: p.available,
  portions: p.portions,
  unavailableOptions: p.options.filter((o) => !o.available).map((o) => o.id),
});

/** The menu by product id (a menu read again makes a new one). */
export const productsById = (menu: readonly MenuProduct[]): ReadonlyMap<number, MenuProduct> => new Map(menu.map((p) => [p.id, p]));

export const keyOf = (l: BasketLine) => lineKey(l.productId, l.options, l.secondHalfId);

/** How many of a product the basket holds, whatever their options (the server counts so). */
export const countOf = (lines: readonly BasketLine[], productId: number) =>
  lines.filter((l) => l.productId === productId).reduce((n, l) => n + l.quantity, 0);

/**
 * Adds `want` of a product with these options (or a half-and-half) to the line that already holds
 * them, or to a new one; never beyond the server's limit of one product. Returns how many went in.
 */
export function addToBasket(
  lines: BasketLine[], productId: number, want: number, nextUid: () => number, options: readonly number[] = [], secondHalfId?: number,
): number {
  const n = Math.min(want, MAX_QUANTITY_PER_PRODUCT - countOf(lines, productId));
  if (n <= 0) return 0;
  const key = lineKey(productId, options, secondHalfId);
  const same = lines.find((l) => keyOf(l) === key);
  if (same) same.quantity += n;
  else {
    const sorted = [...new Set(options)].sort((a, b) => a - b);
    lines.push({ uid: nextUid(), productId, options: sorted, quantity: n, ...(secondHalfId !== undefined ? { secondHalfId } : {}) });
  }
  return n;
}

/** A basket line as the basket shows it and the order sends it. */
export interface LineView {
  line: BasketLine;
  key: string;
  product: MenuProduct | undefined;
  /** A half-and-half's right half. */
  second: MenuProduct | undefined;
  /** Its options as the menu names and prices them. */
  chosen: MenuOption[];
  name: string;
  unitCents: number;
  /** The product, one of its options or its other half left the menu since it was added. */
  withdrawn: boolean;
  /** Sold out since it was added (it stays listed, so the customer sees what happened, but is not ordered). */
  soldOut: boolean;
  /** The EU allergens of what is in it: recipe, size, extras, removals, both halves. */
  allergens: Allergen[];
  /** The cereals and tree nuts among them, named (wheat, hazelnuts). */
  allergenKinds: AllergenKind[];
}

export function viewLine(
  line: BasketLine, byId: ReadonlyMap<number, MenuProduct>, availability: Readonly<Record<number, Availability>>, rule: HalfAndHalfPricing,
): LineView {
  const product = byId.get(line.productId);
  const second = line.secondHalfId === undefined ? undefined : byId.get(line.secondHalfId);
  const chosen = product ? product.options.filter((o) => line.options.includes(o.id)) : [];
  // a half-and-half is priced by the shop's rule, its options the left half's
  const base = product && second ? halfAndHalfPrice(product.priceCents, second.priceCents, rule) : (product?.priceCents ?? 0);
  const name = product && second ? halvesName(product.name, second.name) : (product?.name ?? '');
  const out = (id: number) => availability[id]?.available === false;
  return {
    line, key: keyOf(line), product, second, chosen, name,
    allergens: product ? lineAllergens(product, line.options, second) : [],
    allergenKinds: product ? lineAllergenKinds(product, line.options, second) : [],
    unitCents: base + chosen.reduce((s, o) => s + o.priceCents, 0),
    withdrawn: !product || chosen.length !== line.options.length || (line.secondHalfId !== undefined && !second),
    soldOut: out(line.productId) || line.options.some((o) => availability[line.productId]?.unavailableOptions.includes(o)) || (line.secondHalfId !== undefined && out(line.secondHalfId)),
  };
}

/** The lines as POST /api/orders (and the promo check) take them. */
export const itemsOf = (lines: readonly LineView[]) =>
  lines.map(({ line: l }) => ({
    productId: l.productId, quantity: l.quantity, ...(l.options.length ? { options: l.options } : {}), ...(l.secondHalfId !== undefined ? { secondHalfId: l.secondHalfId } : {}),
  }));

/** How many pizzas the lines make (the oven's count for slots and promises). */
export const pizzasIn = (lines: readonly LineView[]) => lines.reduce((n, l) => n + (l.product?.category === 'pizza' ? l.line.quantity : 0), 0);

/** What the checkout has, as the order goes. */
export interface OrderDraft {
  pizzeriaId: number;
  channel: 'online' | 'phone' | 'counter';
  fulfilment: Fulfilment;
  name: string;
  phone: string;
  email: string;
  address: { street: string; postcode: string; city: string; doorCode: string; floor: string; instructions: string };
  /** The spot the page knows (a pin, the phone's position, a known address's): the server then asks no geocoder. */
  spot: (LatLng & { locatedBy: 'pin' | 'device' }) | null;
  lines: readonly LineView[];
  payment: 'online' | 'on_delivery';
  /** For later: the slot chosen; null: as soon as possible. */
  slot: string | null;
  lang: 'fr' | 'en';
  promoCode: string | null;
  useLoyalty: boolean;
  /** The customer's allergies (annex II) and a few words; `confirmed`: they order lines containing one anyway. */
  allergy?: { allergens: readonly string[]; note: string; confirmed: boolean; remember?: boolean };
  /** A tip for the driver, paid by card with the order (a delivery paid online only). */
  tipCents?: number;
}

/** The body of POST /api/orders (order-requests.ts's placeOrderSchema); empty optional fields are left out. */
export function orderBody(d: OrderDraft): PlaceOrderBody {
  const a = d.address;
  return {
    pizzeriaId: d.pizzeriaId,
    channel: d.channel,
    fulfilment: d.fulfilment,
    customer: { name: d.name.trim(), phone: d.phone.trim(), ...(d.email ? { email: d.email } : {}) },
    ...(d.fulfilment === 'delivery'
      ? {
          address: {
            street: a.street.trim(), postcode: a.postcode.trim(), city: a.city.trim(),
            ...(d.spot ? { lat: d.spot.lat, lng: d.spot.lng, locatedBy: d.spot.locatedBy } : {}),
            ...(a.doorCode.trim() ? { doorCode: a.doorCode.trim() } : {}),
            ...(a.floor.trim() ? { floor: a.floor.trim() } : {}),
            ...(a.instructions.trim() ? { instructions: a.instructions.trim() } : {}),
          },
        }
      : {}),
    items: itemsOf(d.lines),
    payment: d.payment,
    ...(d.slot ? { slot: d.slot } : {}),
    lang: d.lang,
    ...(d.promoCode ? { promoCode: d.promoCode } : {}),
    ...(d.useLoyalty ? { useLoyalty: true } : {}),
    ...(d.allergy && (d.allergy.allergens.length || d.allergy.note.trim())
      ? { allergy: { allergens: [...d.allergy.allergens] as Allergen[], ...(d.allergy.note.trim() ? { note: d.allergy.note.trim() } : {}), ...(d.allergy.confirmed ? { confirmed: true } : {}), ...(d.allergy.remember ? { remember: true } : {}) } }
      : {}),
    ...(d.tipCents && d.fulfilment === 'delivery' && d.payment === 'online' && d.channel === 'online' ? { tipCents: d.tipCents } : {}),
  };
}

/** The basket's lines that contain an allergen the customer declared, with those allergens. */
export const linesWithDeclared = (lines: readonly LineView[], declared: readonly string[]) =>
  lines.flatMap((l) => {
    const found = declaredIn(l.allergens, declared);
    return found.length ? [{ view: l, allergens: found }] : [];
  });

// randomUUID exists only on secure origins; a shop's own network may serve the counter over plain http
export function newKey(): string {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/**
 * One Idempotency-Key per order: sending the same order again (a double tap, a retry after a network
 * failure) reuses it, so the server answers with the first order; any change to the order, or a
 * success (`placed`), starts a new one.
 */
export class IdempotencyKeys {
  private attempt: { key: string; body: string } | null = null;
  constructor(private readonly make: () => string = newKey) {}
  for(body: string): string {
    if (this.attempt?.body !== body) this.attempt = { key: this.make(), body };
    return this.attempt.key;
  }
  placed() {
    this.attempt = null;
  }
}

// the server names the field; the page says what is wrong in the user's language
export const FIELD_MESSAGES: Record<string, string> = {
  'customer.name': 'checkout.errors.name',
  'customer.phone': 'checkout.errors.phone',
  'customer.email': 'checkout.errors.email',
  'address.street': 'checkout.errors.street',
  address: 'checkout.errors.street',
  'address.postcode': 'checkout.errors.postcode',
  'address.city': 'checkout.errors.city',
};
/** The fields the order's forms mark in red when refused (FIELD_MESSAGES', the basket's lines, the tip). */
const MARKED_FIELDS = new Set([...Object.keys(FIELD_MESSAGES), 'items', 'tipCents']);

/**
 * What the summary says of refused fields: "check the fields in red" only when every one of them is
 * marked on the form; otherwise the refusal in its own words (a field the form does not show,
 * or none named), so the customer is never sent looking for a red field that is not there.
 */
export function fieldsSummary(fields: Record<string, string>): { key: 'order.fixFields' } | { key: 'order.refusedFields'; what: string } {
  const named = Object.entries(fields);
  const unmarked = named.filter(([k]) => !MARKED_FIELDS.has(k));
  if (named.length && !unmarked.length) return { key: 'order.fixFields' };
  return { key: 'order.refusedFields', what: (unmarked.length ? unmarked : named).map(([, why]) => why).filter(Boolean).join(' · ') || '—' };
}

const SLOT_MESSAGES: Record<string, string> = {
  slot_full: 'later.full',
  slot_unavailable: 'later.unavailable',
};
const LIMIT_MESSAGES: Record<string, string> = {
  too_many_unpaid: 'order.tooManyUnpaid',
  too_many_orders: 'order.tooManyOrders',
  unpaid_share: 'order.unpaidShare',
};
const WHERE_CODES = ['outside_delivery_zone', 'address_not_located', 'shop_closed'];

/** What a refusal of POST /api/orders means for the checkout, with the message key where one says it. */
export type Refusal =
  /** The slot filled up meanwhile, or can no longer be: the choice is read again. */
  | { kind: 'slot'; key: string }
  /** The points can no longer be spent (spent meanwhile on another order, the scheme paused): said, and untaken. */
  | { kind: 'loyalty'; key: string }
  /** The code no longer applies (used up meanwhile, expired, once per customer): said, and taken off. */
  | { kind: 'promo'; key: string }
  /** A code left a few cents: a card cannot pay them, paying at the door can. */
  | { kind: 'amount'; key: string }
  /** Nobody delivers there, the address is not on the map, or the shop closed. */
  | { kind: 'where'; code: string }
  | { kind: 'fields'; fields: Record<string, string> }
  | { kind: 'unavailable'; items: { name: string; productId: number }[] }
  /** A line contains an allergen the customer declared: they confirm, or take it out. */
  | { kind: 'allergen'; key: string }
  /** A limit on orders awaiting payment or on one phone or email: trying again at once does not help. */
  | { kind: 'limit'; key: string }
  /** Anything else: worth trying again when the server or the network failed, not the order. */
  | { kind: 'failed'; retryable: boolean; message: string | null };

export function readRefusal(status: number, body: { error?: { code?: unknown; message?: unknown; fields?: unknown; items?: unknown } } | null): Refusal {
  const error = body?.error ?? {};
  const code = typeof error.code === 'string' ? error.code : '';
  if (SLOT_MESSAGES[code]) return { kind: 'slot', key: SLOT_MESSAGES[code] };
  if (code.startsWith('loyalty_')) return { kind: 'loyalty', key: `loyalty.reason.${code.slice('loyalty_'.length)}` };
  if (status === 422 && code.startsWith('promo_')) return { kind: 'promo', key: `promo.reason.${code.slice('promo_'.length)}` };
  if (code === 'online_amount_too_small') return { kind: 'amount', key: 'order.amountTooSmall' };
  if (status === 422 && code === 'allergen_in_basket') return { kind: 'allergen', key: 'allergyNote.refused' };
  if (status === 422 && WHERE_CODES.includes(code)) return { kind: 'where', code };
  if (status === 422) return { kind: 'fields', fields: (error.fields ?? {}) as Record<string, string> };
  if (code === 'unavailable' && Array.isArray(error.items)) return { kind: 'unavailable', items: error.items };
  if (LIMIT_MESSAGES[code]) return { kind: 'limit', key: LIMIT_MESSAGES[code] };
  return { kind: 'failed', retryable: status >= 500 || status === 429, message: typeof error.message === 'string' ? error.message : null };
}
