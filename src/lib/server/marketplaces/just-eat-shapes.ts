// Just Eat Takeaway's JET Connect shapes (https://uk.api.just-eat.io/docs, the "JET Connect" tags):
// the orders and notices its webhooks bring, read into our terms, and our menu in the shape of its
// menu ingestion (POST /menus). Sources are cited in just-eat.ts.
import type { Allergen } from '../../domain/line-allergens.ts';
import type { CourierState, MarketplaceFulfilment, MarketplaceLineIn, MarketplaceMenu, MarketplaceNotice, MarketplaceOrderIn } from './provider.ts';

/** JET Connect marks an order answered 202 as failed to inject if it hears nothing within 3 minutes. */
export const JUST_EAT_PENDING_MS = 3 * 60_000;

interface JetOption {
  name?: string;
  plu?: string;
  /** Minor units ("1950 means £19.50"). */
  price?: number;
}

interface JetItem extends JetOption {
  notes?: string;
  children?: JetOption[];
}

interface JetPerson {
  first_name?: string;
  phone_number?: string;
  phone_masking_code?: string;
  street_number?: string;
  street?: string;
  line_one?: string;
  line_two?: string;
  city?: string;
  postcode?: string;
  coordinates?: { latitude?: number; longitude?: number };
}

/** The Receive Order body (JetConnectForManageOrderStatus_receiveOrderPost). */
export interface JetOrder {
  id?: string;
  third_party_order_reference?: string;
  type?: string;
  posLocationId?: string;
  items?: JetItem[];
  /** UNIX seconds, as strings. */
  created_at?: string;
  collect_at?: string;
  deliver_at?: string;
  collection_notes?: string;
  delivery_notes?: string;
  kitchen_notes?: string;
  payment?: { items_in_cart?: { inc_tax?: number } };
  delivery?: JetPerson;
  collector?: JetPerson;
}

/** Who takes the order away, in JET Connect's words (its `type`). */
const FULFILMENTS: Record<string, MarketplaceFulfilment> = {
  'delivery-by-delivery-partner': 'courier',
  'delivery-by-merchant': 'shop_delivery',
  'collection-by-customer': 'customer_pickup',
};

/** The driver's codes JET Connect documents (Driver Status Notification); others are read as `other`. */
const DRIVER_STATES: Record<string, CourierState> = {
  driverAtRestaurant: 'arrived',
};

function unreadable(why: string): Error {
  return new Error(`a Just Eat webhook this system cannot read: ${why}`);
}

const text = (v: unknown): string => (typeof v === 'string' ? v.trim() : '');
const cents = (v: unknown): number | null => (typeof v === 'number' && Number.isInteger(v) ? v : null);
const unixIso = (v: unknown): string | null => (typeof v === 'string' && /^[0-9]+$/.test(v) ? new Date(Number(v) * 1000).toISOString() : null);
/** JET masks some fields with asterisks: a masked value is no value. */
const unmasked = (v: unknown): string => (/^\*+$/.test(text(v)) ? '' : text(v));

/**
 * A line per item: JET Connect's order items carry no quantity (each entry is one of them), the
 * item's price is its own and each chosen option (`children`) adds its price.
 */
function line(item: JetItem): MarketplaceLineIn {
  const unit = cents(item.price);
  if (unit === null) throw unreadable(`an item without a price in minor units (${item.name ?? '?'})`);
  const options = (item.children ?? []).map((c) => {
    const price = cents(c.price);
    if (price === null) throw unreadable(`an option without a price in minor units (${c.name ?? '?'})`);
    return { externalId: text(c.plu) || text(c.name), name: text(c.name), quantity: 1, priceCents: price };
  });
  return {
    externalId: text(item.plu) || text(item.name),
    name: text(item.name),
    quantity: 1,
    unitPriceCents: unit + options.reduce((s, o) => s + o.priceCents, 0),
    options,
    note: text(item.notes) || null,
  };
}

function shopDelivery(order: JetOrder): { phone: string | null; address: MarketplaceOrderIn['address'] } {
  const d = order.delivery;
  if (!d) throw unreadable(`an order the shop delivers without its delivery (${order.id})`);
  const street = text(d.line_one) || [text(d.street_number), text(d.street)].filter(Boolean).join(' ');
  const code = text(d.phone_masking_code);
  // a masked number is reached through JET's call centre with the masking code
  const instructions = [text(d.line_two), text(order.delivery_notes), code ? `phone code ${code}` : ''].filter(Boolean).join(' — ');
  return {
    phone: unmasked(d.phone_number) || null,
    address: {
      street,
      city: text(d.city),
      postcode: text(d.postcode) || null,
      lat: typeof d.coordinates?.latitude === 'number' ? d.coordinates.latitude : null,
      lng: typeof d.coordinates?.longitude === 'number' ? d.coordinates.longitude : null,
      instructions: instructions || null,
    },
  };
}

/**
 * A Receive Order body in our shape. The food total is `payment.items_in_cart.inc_tax` (fees and
 * tips are adjustments, not food); the customer's phone and address only when the shop delivers.
 * JET Connect fails an order answered 202 after 3 minutes without news: that is its deadline.
 */
export function justEatOrderIn(order: JetOrder, receivedAt = Date.now()): MarketplaceOrderIn {
  if (!order || !text(order.id) || !text(order.posLocationId)) throw unreadable('an order without its id or posLocationId');
  if (!Array.isArray(order.items) || order.items.length === 0) throw unreadable(`an order without items (${order.id})`);
  const fulfilment = FULFILMENTS[order.type ?? ''];
  if (!fulfilment) throw unreadable(`an order of an unknown type "${order.type}" (${order.id})`);
  const lines = order.items.map(line);
  const own = fulfilment === 'shop_delivery' ? shopDelivery(order) : { phone: null, address: null };
  const person = order.delivery ?? order.collector;
  const note = [text(order.kitchen_notes), text(order.collection_notes)].filter(Boolean).join(' — ');
  return {
    externalId: text(order.id),
    code: text(order.third_party_order_reference) || null,
    storeId: text(order.posLocationId),
    placedAt: unixIso(order.created_at) ?? new Date(receivedAt).toISOString(),
    acceptBy: new Date(receivedAt + JUST_EAT_PENDING_MS).toISOString(),
    fulfilment,
    customer: { name: unmasked(person?.first_name), phone: own.phone, note: note || null },
    address: own.address,
    lines,
    totalCents: cents(order.payment?.items_in_cart?.inc_tax) ?? lines.reduce((s, l) => s + l.unitPriceCents * l.quantity, 0),
    promisedAt: unixIso(order.deliver_at) ?? unixIso(order.collect_at),
    courierEta: null,
  };
}

/**
 * The notices of an authenticated JET Connect webhook. JET gives each endpoint its own body and no
 * event id: they are told apart by their fields, and the event's id is made of the order and what
 * happened to it (a retry of the same event carries the same).
 */
export function readJustEatWebhook(rawBody: Buffer, receivedAt = Date.now()): MarketplaceNotice[] {
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(rawBody.toString('utf8')) as Record<string, unknown>;
  } catch {
    throw unreadable('the body is not JSON');
  }
  if (!body || typeof body !== 'object') throw unreadable('the body is not an object');
  if ('items' in body || 'posLocationId' in body) {
    const order = justEatOrderIn(body as JetOrder, receivedAt);
    return [{ kind: 'order', eventId: `order:${order.externalId}`, storeId: order.storeId, order }];
  }
  const orderId = text(body.orderID);
  const reason = body.reason as { code?: unknown } | undefined;
  if (orderId && reason) {
    // the Cancel Order Notification names the order only, not its restaurant
    return [{ kind: 'cancelled', eventId: `cancelled:${orderId}`, storeId: '', externalId: orderId, reason: text(reason.code) || null }];
  }
  const driver = body.driverStatus as { code?: unknown } | undefined;
  if (orderId && driver) {
    const code = text(driver.code);
    const state = DRIVER_STATES[code];
    const eventId = `driver:${orderId}:${code}:${text(body.happenedAt)}`;
    if (!state) return [{ kind: 'other', eventId, storeId: null, type: `driver:${code}` }];
    return [{ kind: 'courier', eventId, storeId: '', externalId: orderId, state, etaAt: null }];
  }
  if ('ingestion_succeeded' in body) {
    // the menu ingestion's result, posted to the menus' callback_url
    return [{ kind: 'other', eventId: `menu:${text(body.restaurant)}:${receivedAt}`, storeId: null, type: body.ingestion_succeeded === true ? 'menu-ingested' : 'menu-refused' }];
  }
  const restaurant = text(body.restaurantId);
  if (restaurant) return [{ kind: 'other', eventId: `offline:${restaurant}:${text(body.lastChangedTimeStampUtc)}`, storeId: null, type: 'restaurant-temp-offline' }];
  throw unreadable('neither an order, a cancellation, a driver status, a menu result nor a restaurant status');
}

/** Our allergens in JET's list, which names each cereal and each nut: a family declares all of its kinds. */
const JET_ALLERGENS: Record<Allergen, string[]> = {
  gluten: ['CEREAL_WHEAT', 'CEREAL_RYE', 'CEREAL_BARLEY', 'CEREAL_OATS', 'CEREAL_SPELT', 'CEREAL_KAMUT'],
  crustaceans: ['CRUSTACEANS'],
  eggs: ['EGGS'],
  fish: ['FISH'],
  peanuts: ['PEANUTS'],
  soybeans: ['SOYBEANS'],
  milk: ['MILK'],
  nuts: ['NUTS_ALMONDS', 'NUTS_HAZELNUTS', 'NUTS_WALNUTS', 'NUTS_CASHEWS', 'NUTS_PECAN', 'NUTS_BRAZIL', 'NUTS_PISTACHIO', 'NUTS_MACADAMIA'],
  celery: ['CELERY'],
  mustard: ['MUSTARD'],
  sesame: ['SESAME_SEEDS'],
  sulphites: ['SULPHUR_DIOXIDE_SULPHITES'],
  lupin: ['LUPIN'],
  molluscs: ['MOLLUSCS'],
};

export const jetAllergens = (ours: string[]): string[] => [...new Set(ours.flatMap((a) => JET_ALLERGENS[a as Allergen] ?? []))];

const DAYS = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'] as const;

/**
 * The menu ingestion body for one restaurant: its categories, each product an item with our id as
 * its PLU (`p12`, so an order names it back), each option group a modifier whose options are items
 * (`o34`), sold-out ones `out_of_stock`; the shop's hours as the menu's availability, every day
 * named (a closed day has no hours).
 */
export function justEatMenu(storeId: string, menu: MarketplaceMenu, callbackUrl: string) {
  const groups = new Map(menu.optionGroups.map((g) => [g.id, g]));
  const products = new Map(menu.products.map((p) => [p.id, p]));
  const item = (p: MarketplaceMenu['products'][number]) => ({
    name: p.name,
    description: p.description,
    plu: p.id,
    price: p.priceCents,
    out_of_stock: !p.available,
    allergens: jetAllergens(p.allergens),
    ...(p.photoUrl ? { gallery: [{ url: p.photoUrl }] } : {}),
    modifiers: p.optionGroupIds.flatMap((id) => {
      const g = groups.get(id);
      if (!g) return [];
      return [{
        name: g.name, description: '', pick: { pick_same_option: false, range: { from: g.min, to: g.max } },
        options: g.options.map((o) => ({ name: o.name, description: '', plu: o.id, price: o.priceCents, out_of_stock: !o.available })),
      }];
    }),
  });
  const availability = Object.fromEntries(DAYS.map((day, i) => [day, menu.hours.filter((h) => h.day === i + 1).map((h) => `${h.opens} - ${h.closes}`)]));
  return {
    restaurants: [storeId],
    menus: [{
      name: 'OC Pizza',
      reference: `oc-pizza-${storeId}`,
      type: 'DELIVERY',
      availability,
      categories: menu.categories.map((c) => ({
        name: c.name, description: '', items: c.productIds.flatMap((id) => (products.has(id) ? [item(products.get(id)!)] : [])),
      })),
    }],
    callback_url: callbackUrl,
  };
}
