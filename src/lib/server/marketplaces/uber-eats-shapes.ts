// Uber Eats' words read into ours and ours written in Uber Eats' (no I/O here): its webhooks into
// notices, a v2 order (GET /v2/eats/order/{id}) into MarketplaceOrderIn, our menu into its v2 menu
// (PUT /v2/eats/stores/{id}/menus), our deny reasons into its reason codes, and its payment details
// report (a CSV) into MarketplaceReport. uber-eats.ts does the calls.
import type { CourierState, DenyReason, MarketplaceFulfilment, MarketplaceLineIn, MarketplaceMenu, MarketplaceNotice, MarketplaceOrderIn, MarketplaceReport } from './provider.ts';

/** Uber Eats cancels an order neither accepted nor denied this long after its webhook (its order integration guide: 11.5 minutes). */
export const ACCEPT_WINDOW_MS = 11.5 * 60_000;

/** The states of Uber's courier for an order (v2 order `deliveries[].current_state`, and the courier webhooks' `meta.status`). */
const COURIER_STATES: Record<string, CourierState> = {
  SCHEDULED: 'assigned',
  EN_ROUTE_TO_PICKUP: 'arriving',
  ARRIVED_AT_PICKUP: 'arrived',
  EN_ROUTE_TO_DROPOFF: 'collected',
  ARRIVED_AT_DROPOFF: 'collected',
  COMPLETED: 'collected',
};

/** Deny Order's reason codes (POST /v1/eats/orders/{id}/deny_pos_order). */
export const DENY_CODES: Record<DenyReason, string> = {
  store_closed: 'STORE_CLOSED',
  store_busy: 'CAPACITY',
  item_unavailable: 'ITEM_AVAILABILITY',
  other: 'OTHER',
};

const FULFILMENTS: Record<string, MarketplaceFulfilment> = {
  DELIVERY_BY_UBER: 'courier',
  DELIVERY_BY_RESTAURANT: 'shop_delivery',
  PICK_UP: 'customer_pickup',
  DINE_IN: 'customer_pickup',
};

type Json = Record<string, any>;

const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);
const cents = (money: unknown): number => {
  const amount = (money as Json | null | undefined)?.amount;
  return Number.isInteger(amount) ? amount : 0;
};

/** A time Uber gives as an ISO string or as Unix seconds, as ISO. */
function isoOf(v: unknown): string | null {
  if (typeof v === 'number' && Number.isFinite(v)) return new Date(v * 1000).toISOString();
  if (typeof v === 'string' && !Number.isNaN(Date.parse(v))) return new Date(v).toISOString();
  return null;
}

/** The webhook's JSON, or a clear error (the route answers it with 400 and keeps nothing). */
function parseWebhook(raw: Buffer): { eventId: string; type: string; meta: Json; body: Json } {
  let body: unknown;
  try {
    body = JSON.parse(raw.toString('utf8'));
  } catch {
    throw new Error('Uber Eats webhook: the body is not JSON');
  }
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw new Error('Uber Eats webhook: the body is not an object');
  const b = body as Json;
  const eventId = str(b.event_id);
  const type = str(b.event_type);
  if (!eventId || !type) throw new Error('Uber Eats webhook: event_id and event_type are required');
  const meta = b.meta && typeof b.meta === 'object' ? (b.meta as Json) : {};
  return { eventId, type, meta, body: b };
}

/** The order and store an order webhook names (meta.resource_id, meta.user_id), or a clear error. */
function orderMeta(type: string, meta: Json): { storeId: string; externalId: string } {
  const externalId = str(meta.resource_id);
  const storeId = str(meta.user_id);
  if (!externalId || !storeId) throw new Error(`Uber Eats webhook ${type}: meta.resource_id and meta.user_id are required`);
  return { storeId, externalId };
}

/** A verified webhook's notices: Uber sends one event per webhook. */
export function noticesOf(raw: Buffer): MarketplaceNotice[] {
  const { eventId, type, meta, body } = parseWebhook(raw);
  switch (type) {
    // a scheduled order (stores on 1.0.0 with scheduled orders on) is named the same way; its time
    // is the order's own (estimated_ready_for_pickup_at), which the plan holds it for
    case 'orders.notification':
    case 'orders.scheduled.notification':
      return [{ kind: 'order_named', eventId, ...orderMeta(type, meta) }];
    // the integration of a store given to the app, or taken away (the webhooks guide; Integration Updated)
    case 'store.provisioned':
    case 'store.deprovisioned': {
      const storeId = str(meta.user_id) ?? str(meta.resource_id) ?? str(body.store_id);
      if (!storeId) throw new Error(`Uber Eats webhook ${type}: the store (meta.user_id) is required`);
      return [{ kind: 'store', eventId, storeId, provisioned: type === 'store.provisioned' }];
    }
    // a store on API version 1.0.0 is told of a cancellation with orders.failure (the webhooks guide)
    case 'orders.cancel':
    case 'orders.failure':
      return [{ kind: 'cancelled', eventId, ...orderMeta(type, meta), reason: str(meta.reason) ?? str(meta.status) }];
    case 'orders.release':
      // fast order release: the courier reached the shop's geo-fence, the order goes to the kitchen now
      return [{ kind: 'courier', eventId, ...orderMeta(type, meta), state: 'arriving', etaAt: isoOf(meta.estimated_pickup_time) }];
    case 'delivery.state_changed': {
      const state = COURIER_STATES[String(meta.status ?? '').toUpperCase()];
      if (!state) return [{ kind: 'other', eventId, storeId: str(meta.user_id), type: `${type}:${String(meta.status)}` }];
      return [{ kind: 'courier', eventId, ...orderMeta(type, meta), state, etaAt: isoOf(meta.estimated_pickup_time) }];
    }
    default:
      return [{ kind: 'other', eventId, storeId: str(meta.user_id) ?? str(body.store_id), type }];
  }
}

/** Each option chosen on a cart item (selected_modifier_groups[].selected_items[]), per one item. */
function optionsOf(item: Json): MarketplaceLineIn['options'] {
  const groups: Json[] = Array.isArray(item.selected_modifier_groups) ? item.selected_modifier_groups : [];
  return groups.flatMap((g) => (Array.isArray(g.selected_items) ? (g.selected_items as Json[]) : [])).map((o) => ({
    externalId: String(o.id ?? ''),
    name: String(o.title ?? ''),
    quantity: Number.isInteger(o.quantity) && o.quantity > 0 ? o.quantity : 1,
    priceCents: cents(o.price?.unit_price),
  }));
}

function lineOf(item: Json): MarketplaceLineIn {
  const options = optionsOf(item);
  const quantity = Number.isInteger(item.quantity) && item.quantity > 0 ? item.quantity : 1;
  return {
    externalId: String(item.id ?? ''),
    name: String(item.title ?? ''),
    quantity,
    // unit_price is the item alone; what one costs the customer carries its options too
    unitPriceCents: cents(item.price?.unit_price) + options.reduce((s, o) => s + o.priceCents * o.quantity, 0),
    options,
    note: str(item.special_instructions),
  };
}

/**
 * The eater's allergy, per item as Uber carries it (GET /v2/eats/order/{id}: cart.items[].special_requests
 * .allergy, its allergens_to_exclude[] each a type or a freeform_text, and allergy_instructions;
 * developer.uber.com/docs/eats/references/api/v2/get-eats-order-orderid): "Margherita: PEANUTS, sans arachides".
 */
function allergyOf(items: Json[]): string | null {
  const said = items.flatMap((item) => {
    // one object as the reference shows it; a list of them read the same (a public client models it so)
    const requests: Json[] = Array.isArray(item.special_requests) ? item.special_requests : [item.special_requests ?? {}];
    const words = requests.flatMap((r) => {
      const a: Json = r?.allergy ?? {};
      const excluded = (Array.isArray(a.allergens_to_exclude) ? (a.allergens_to_exclude as Json[]) : []).map((x) => str(x.freeform_text) ?? str(x.type));
      return [...excluded, str(a.allergy_instructions)].filter(Boolean);
    });
    return words.length ? [`${String(item.title ?? '')}: ${words.join(', ')}`] : [];
  });
  return said.length ? said.join(' · ') : null;
}

/** The eater's delivery place (eater.delivery.location: one street_address line, its point, the unit), for an order the shop delivers. */
function addressOf(eater: Json): MarketplaceOrderIn['address'] {
  const delivery: Json = eater.delivery ?? {};
  const loc: Json = delivery.location ?? {};
  const line = str(loc.street_address) ?? '';
  // "12 rue Oberkampf, 75011 Paris, France": the postcode and city are inside the one line
  const place = /(\d{5})\s+([^,\d][^,]*)/.exec(line);
  const street = [line.split(',')[0]?.trim() ?? '', str(loc.unit_number)].filter(Boolean).join(', ');
  return {
    street,
    city: place?.[2]?.trim() ?? '',
    postcode: place?.[1] ?? null,
    lat: typeof loc.latitude === 'number' ? loc.latitude : null,
    lng: typeof loc.longitude === 'number' ? loc.longitude : null,
    instructions: str(delivery.notes),
  };
}

/** A v2 order (GET /v2/eats/order/{id}) in our terms. */
export function orderOf(o: Json, acceptWindowMs = ACCEPT_WINDOW_MS): MarketplaceOrderIn {
  const fulfilment = FULFILMENTS[String(o.type)];
  const externalId = str(o.id);
  const storeId = str(o.store?.id);
  const placedAt = isoOf(o.placed_at);
  if (!fulfilment || !externalId || !storeId || !placedAt) throw new Error(`Uber Eats order ${String(o.id)}: id, store.id, placed_at and a known type are required`);
  const eater: Json = o.eater ?? {};
  const shopDelivers = fulfilment === 'shop_delivery';
  const lines = (Array.isArray(o.cart?.items) ? (o.cart.items as Json[]) : []).map(lineOf);
  const courier = Array.isArray(o.deliveries) ? (o.deliveries as Json[])[0] : undefined;
  const phone = shopDelivers ? [str(eater.phone), str(eater.phone_code)].filter(Boolean).join(' ') || null : null;
  return {
    externalId,
    code: str(o.display_id),
    storeId,
    placedAt,
    // an order not yet answered: Uber cancels it this long after it was placed
    acceptBy: o.current_state === 'CREATED' ? new Date(Date.parse(placedAt) + acceptWindowMs).toISOString() : null,
    fulfilment,
    customer: { name: str(eater.first_name) ?? '', phone, note: str(o.cart?.special_instructions) },
    address: shopDelivers ? addressOf(eater) : null,
    lines,
    totalCents: o.payment?.charges?.total ? cents(o.payment.charges.total) : lines.reduce((s, l) => s + l.unitPriceCents * l.quantity, 0),
    promisedAt: isoOf(o.estimated_ready_for_pickup_at),
    courierEta: fulfilment === 'courier' ? isoOf(courier?.estimated_pickup_time) : null,
    allergy: allergyOf(Array.isArray(o.cart?.items) ? (o.cart.items as Json[]) : []),
  };
}

const text = (s: string) => ({ translations: { fr: s, en: s } });
const DAYS = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'];

/** An item's suspension_info: off sale until the given time (Unix seconds), or back on sale (0). */
export const suspensionOf = (available: boolean, until: number) => ({
  suspension: available ? { suspend_until: 0 } : { suspend_until: until, reason: 'Sold out' },
});

/**
 * Our menu as Uber's MenuConfiguration: products and options are both items, our ids as theirs
 * (p<id>, o<id>), an item off sale now uploaded suspended until `suspendUntil` (Unix seconds).
 * Every item, options included, carries its allergens (nutritional_info) and its VAT rate as
 * tax_info.tax_rate, a percentage (developer.uber.com/docs/eats/references/api/v2/put-eats-stores-storeid-menu,
 * and its example menu payloads).
 */
export function uberMenuOf(menu: MarketplaceMenu, suspendUntil: number): Json {
  const items = [
    ...menu.products.map((p) => ({
      id: p.id,
      title: text(p.name),
      description: text(p.description),
      ...(p.photoUrl ? { image_url: p.photoUrl } : {}),
      price_info: { price: p.priceCents },
      ...(p.optionGroupIds.length ? { modifier_group_ids: { ids: p.optionGroupIds } } : {}),
      nutritional_info: { allergens: p.allergens },
      tax_info: { tax_rate: p.vatRate },
      ...(p.available ? {} : { suspension_info: suspensionOf(false, suspendUntil) }),
    })),
    ...menu.optionGroups.flatMap((g) => g.options.map((o) => ({
      id: o.id,
      title: text(o.name),
      price_info: { price: o.priceCents },
      nutritional_info: { allergens: o.allergens },
      tax_info: { tax_rate: o.vatRate },
      ...(o.available ? {} : { suspension_info: suspensionOf(false, suspendUntil) }),
    }))),
  ];
  const modifier_groups = menu.optionGroups.map((g) => ({
    id: g.id,
    title: text(g.name),
    quantity_info: { quantity: { min_permitted: g.min, max_permitted: g.max } },
    modifier_options: g.options.map((o) => ({ id: o.id, type: 'ITEM' })),
  }));
  const categories = menu.categories.map((c) => ({ id: c.id, title: text(c.name), entities: c.productIds.map((id) => ({ id, type: 'ITEM' })) }));
  const service_availability = DAYS.map((day_of_week, i) => ({
    day_of_week,
    time_periods: menu.hours.filter((h) => h.day === i + 1).map((h) => ({ start_time: h.opens, end_time: h.closes })),
  })).filter((d) => d.time_periods.length > 0);
  return { menus: [{ id: 'menu', title: text('Menu'), service_availability, category_ids: categories.map((c) => c.id) }], categories, items, modifier_groups };
}

/** One CSV line's fields (double quotes around a field that holds a comma, "" for a quote inside one). */
function csvFields(line: string): string[] {
  const out: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted && c === '"' && line[i + 1] === '"') {
      field += '"';
      i++;
    } else if (c === '"') quoted = !quoted;
    else if (c === ',' && !quoted) {
      out.push(field);
      field = '';
    } else field += c;
  }
  out.push(field);
  return out.map((f) => f.trim());
}

/** "24.50", "-3,20" or "€12.00" in cents. */
function centsOfCsv(v: string | undefined): number {
  const n = Number((v ?? '').replace(/[^\d.,-]/g, '').replace(',', '.'));
  return Number.isFinite(n) ? Math.round(n * 100) : 0;
}

/** The payment details report's rows (one per order, others are adjustments) in our terms. */
export function reportOfCsv(csvs: string[], storeId: string, weekStart: string): MarketplaceReport {
  const report: MarketplaceReport = { storeId, weekStart, orders: [], adjustmentsCents: 0, payoutCents: 0 };
  for (const csv of csvs) {
    const [head, ...rows] = csv.split(/\r?\n/).filter((l) => l.trim() !== '');
    if (!head) continue;
    const names = csvFields(head).map((h) => h.toLowerCase());
    const col = (row: string[], name: string) => row[names.findIndex((n) => n.startsWith(name))];
    for (const line of rows) {
      const row = csvFields(line);
      const payout = centsOfCsv(col(row, 'total payout'));
      report.payoutCents += payout;
      const orderId = col(row, 'order id');
      if (!orderId) {
        report.adjustmentsCents += payout;
        continue;
      }
      report.orders.push({
        externalId: orderId,
        totalCents: centsOfCsv(col(row, 'sales (incl')),
        commissionCents: Math.abs(centsOfCsv(col(row, 'marketplace fee'))),
        refundCents: Math.abs(centsOfCsv(col(row, 'refunds'))),
        payoutCents: payout,
      });
    }
  }
  return report;
}
