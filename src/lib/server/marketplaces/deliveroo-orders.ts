// Deliveroo's webhooks read into our terms (deliveroo.ts verifies them first). Two webhooks post here:
// the Order Events webhook (`order.new`, `order.status_update`, each with the whole order in
// `body.order`) and the Rider Events webhook (`rider.status_update`, the order id and its riders).
// Field names are those of api-docs.deliveroo.com ("Order Events Webhook Callback", "Fulfillment
// Types", "Scheduled Orders", "Canceled Orders", "Listening for Rider Events").
import type { CourierState, MarketplaceFulfilment, MarketplaceLineIn, MarketplaceNotice, MarketplaceOrderIn } from './provider.ts';

/** Deliveroo auto-rejects an order not accepted within 10 minutes of being placed (7 in Kuwait and the UAE). */
export const DELIVEROO_ACCEPT_MINUTES = 10;

interface Money {
  fractional?: number;
  currency_code?: string;
}

export interface DeliverooItem {
  pos_item_id?: string | null;
  name?: string;
  operational_name?: string;
  quantity?: number;
  unit_price?: Money;
  total_price?: Money;
  modifiers?: DeliverooItem[];
}

export interface DeliverooOrder {
  id: string;
  order_number?: string;
  location_id: string;
  display_id?: string;
  status?: string;
  status_log?: { at: string; status: string }[];
  fulfillment_type?: string;
  order_notes?: string | null;
  cutlery_notes?: string | null;
  asap?: boolean;
  prepare_for?: string;
  start_preparing_at?: string;
  confirm_at?: string | null;
  total_price?: Money;
  partner_order_subtotal?: Money;
  subtotal?: Money;
  items: DeliverooItem[];
  customer?: { first_name?: string; contact_number?: string; contact_access_code?: string } | null;
  delivery?: {
    delivery_fee?: Money;
    estimated_delivery_at?: string;
    address?: {
      street?: string;
      number?: string;
      postal_code?: string;
      city?: string;
      address_line_1?: string;
      address_line_2?: string;
      latitude?: number;
      longitude?: number;
    };
  } | null;
}

interface Rider {
  estimated_arrival_time?: string | null;
  at?: string;
  status?: string;
  status_log?: { at: string; status: string }[];
}

/** Who takes the order away, in Deliveroo's words: its rider, the shop's own fleet, the customer. */
const FULFILMENTS: Record<string, MarketplaceFulfilment> = {
  deliveroo: 'courier',
  autonomous: 'courier',
  restaurant: 'shop_delivery',
  customer: 'customer_pickup',
  table_service: 'customer_pickup',
};

/** The rider's status, as the pass shows it (rider_unassigned: nobody is coming, so nothing to show). */
const RIDER_STATES: Record<string, CourierState> = {
  rider_assigned: 'assigned',
  rider_arrived: 'arriving',
  rider_confirmed_at_restaurant: 'arrived',
  rider_in_transit: 'collected',
};

function unreadable(why: string): Error {
  return new Error(`a Deliveroo webhook this system cannot read: ${why}`);
}

const cents = (m: Money | undefined): number | null => (m && Number.isInteger(m.fractional) ? (m.fractional as number) : null);

function option(m: DeliverooItem): MarketplaceLineIn['options'] {
  const name = m.name ?? m.operational_name ?? '';
  const own = { externalId: m.pos_item_id || name, name, quantity: m.quantity ?? 1, priceCents: cents(m.unit_price) ?? 0 };
  // a modifier may carry its own (a choice inside a choice): flattened, as our lines keep one level
  return [own, ...(m.modifiers ?? []).flatMap(option)];
}

/** A line: the unit price with its options (a modifier's quantity is per unit of the item it modifies). */
function line(item: DeliverooItem): MarketplaceLineIn {
  if (!Number.isInteger(item.quantity) || (item.quantity as number) < 1) throw unreadable(`an item without a quantity (${item.name ?? '?'})`);
  const unit = cents(item.unit_price);
  if (unit === null) throw unreadable(`an item without a price in fractional units (${item.name ?? '?'})`);
  const options = (item.modifiers ?? []).flatMap(option);
  const name = item.name ?? item.operational_name ?? '';
  return {
    externalId: item.pos_item_id || name,
    name,
    quantity: item.quantity as number,
    unitPriceCents: unit + options.reduce((sum, o) => sum + o.priceCents * o.quantity, 0),
    options,
    note: null,
  };
}

function placedAt(order: DeliverooOrder): string {
  const log = order.status_log ?? [];
  return (log.find((s) => s.status === 'placed') ?? log[0])?.at ?? new Date().toISOString();
}

function shopDelivery(order: DeliverooOrder): Pick<MarketplaceOrderIn, 'address'> & { phone: string | null } {
  const a = order.delivery?.address;
  if (!a) throw unreadable(`an order the shop delivers without an address (${order.id})`);
  const street = [a.number, a.street].filter(Boolean).join(' ') || a.address_line_1 || '';
  const code = order.customer?.contact_access_code;
  // Deliveroo gives a masked number the driver calls with an access code: both are needed to reach the customer
  const instructions = [a.address_line_2, code ? `access code ${code}` : null].filter(Boolean).join(' — ');
  return {
    phone: order.customer?.contact_number ?? null,
    address: {
      street,
      city: a.city ?? '',
      postcode: a.postal_code ?? null,
      lat: typeof a.latitude === 'number' ? a.latitude : null,
      lng: typeof a.longitude === 'number' ? a.longitude : null,
      instructions: instructions || null,
    },
  };
}

/**
 * A Deliveroo order in our shape. The customer's phone and address are kept only when the shop
 * delivers it itself. The food total is what the partner is owed for the items
 * (partner_order_subtotal), else the sum of the lines; delivery and bag fees are not food.
 * Deliveroo sends no explicit acceptance deadline: it auto-rejects 10 minutes after placing.
 */
export function deliverooOrderIn(order: DeliverooOrder, acceptMinutes = DELIVEROO_ACCEPT_MINUTES): MarketplaceOrderIn {
  if (!order || typeof order.id !== 'string' || typeof order.location_id !== 'string') throw unreadable('an order without its id or site');
  if (!Array.isArray(order.items) || order.items.length === 0) throw unreadable(`an order without items (${order.id})`);
  const fulfilment = FULFILMENTS[order.fulfillment_type ?? ''];
  if (!fulfilment) throw unreadable(`an order of an unknown fulfilment type "${order.fulfillment_type}" (${order.id})`);
  const lines = order.items.map(line);
  const placed = placedAt(order);
  const own = fulfilment === 'shop_delivery' ? shopDelivery(order) : { phone: null, address: null };
  const note = [order.order_notes, order.cutlery_notes].filter((n) => typeof n === 'string' && n.trim() !== '').join(' — ');
  return {
    externalId: order.id,
    code: order.display_id ?? null,
    storeId: order.location_id,
    placedAt: placed,
    acceptBy: new Date(Date.parse(placed) + acceptMinutes * 60_000).toISOString(),
    fulfilment,
    customer: { name: order.customer?.first_name ?? '', phone: own.phone, note: note || null },
    address: own.address,
    lines,
    totalCents: cents(order.partner_order_subtotal) ?? cents(order.subtotal) ?? lines.reduce((s, l) => s + l.unitPriceCents * l.quantity, 0),
    promisedAt: order.prepare_for ?? null,
    courierEta: null,
  };
}

/** The rider that matters to the pass: the one whose status changed last, among those still assigned. */
function latestRider(riders: Rider[]): Rider | null {
  const at = (r: Rider) => Date.parse(r.at ?? r.status_log?.at(-1)?.at ?? '') || 0;
  return riders.filter((r) => r.status !== 'rider_unassigned').sort((a, b) => at(b) - at(a))[0] ?? null;
}

function riderNotice(eventId: string, body: Record<string, unknown>): MarketplaceNotice {
  const orderId = body.order_id;
  if (typeof orderId !== 'string' || !Array.isArray(body.riders)) throw unreadable('a rider event without its order or riders');
  // the rider event is about an order; its site comes as location_id when Deliveroo gives it, else
  // the order's id alone finds it (a platform's order ids are unique)
  const storeId = typeof body.location_id === 'string' ? body.location_id : '';
  const rider = latestRider(body.riders as Rider[]);
  const state = rider ? RIDER_STATES[rider.status ?? ''] : undefined;
  if (!rider || !state) return { kind: 'other', eventId, storeId: storeId || null, type: `rider.status_update:${rider?.status ?? 'rider_unassigned'}` };
  return { kind: 'courier', eventId, storeId, externalId: orderId, state, etaAt: rider.estimated_arrival_time ?? null };
}

function statusNotice(eventId: string, order: DeliverooOrder): MarketplaceNotice {
  if (!order || typeof order.id !== 'string' || typeof order.location_id !== 'string') throw unreadable('a status update without its order');
  // canceled: by the customer through Deliveroo's customer service; rejected: by the site, or by
  // Deliveroo itself when nobody accepted in time. Either way the order will not be made.
  if (order.status === 'canceled' || order.status === 'rejected') {
    return { kind: 'cancelled', eventId, storeId: order.location_id, externalId: order.id, reason: order.status };
  }
  return { kind: 'other', eventId, storeId: order.location_id, type: `order.status_update:${order.status ?? '?'}` };
}

/** The notices of a verified Deliveroo webhook (one per call: Deliveroo does not batch). */
export function readDeliverooWebhook(rawBody: Buffer, eventId: string, acceptMinutes = DELIVEROO_ACCEPT_MINUTES): MarketplaceNotice[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(rawBody.toString('utf8'));
  } catch {
    throw unreadable('the body is not JSON');
  }
  const { event, body } = (parsed ?? {}) as { event?: unknown; body?: Record<string, unknown> };
  if (typeof event !== 'string' || !body || typeof body !== 'object') throw unreadable('no event or body');
  const order = body.order as DeliverooOrder;
  switch (event) {
    case 'order.new': {
      const read = deliverooOrderIn(order, acceptMinutes);
      return [{ kind: 'order', eventId, storeId: read.storeId, order: read }];
    }
    case 'order.status_update':
      return [statusNotice(eventId, order)];
    case 'rider.status_update':
      return [riderNotice(eventId, body)];
    default: {
      const storeId = order && typeof order.location_id === 'string' ? order.location_id : null;
      return [{ kind: 'other', eventId, storeId, type: event }];
    }
  }
}
