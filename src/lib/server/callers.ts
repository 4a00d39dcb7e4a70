// The counter's caller: who is on the phone, found by their number however it is typed (its E.164
// form, orders.phone_key, db/migrations/0047_caller_lookup.sql): their last orders with their lines,
// the addresses they had delivered to (with the spot, the door and the notes for the driver), and
// what went wrong before. Every shop's orders count: callers move between the chain's shops.
import type { Fulfilment, OrderStatus } from '../domain/order-states.ts';
import type { Queryable } from './db.ts';
import { e164 } from './sms.ts';

export interface CallerLine {
  productId: number;
  /** A half-and-half's right half (productId its left one); null: a whole product. */
  secondHalfId: number | null;
  name: string;
  quantity: number;
  /** With its options' prices, as sold. */
  unitPriceCents: number;
  options: { id: number; kind: 'size' | 'extra' | 'without'; name: string }[];
}

export interface CallerAddress {
  street: string;
  postcode: string;
  city: string;
  /** The spot the order had (a pin, the geocoder); null when it went without one. */
  lat: number | null;
  lng: number | null;
  doorCode: string | null;
  floor: string | null;
  /** What the caller told the driver: "2nd door on the left", "call from the gate". */
  instructions: string | null;
  /** The last order delivered (or to be) there. */
  lastUsedAt: string;
}

export interface CallerOrder {
  id: string;
  number: number;
  createdAt: string;
  pizzeriaId: number;
  shop: string;
  fulfilment: Fulfilment;
  status: OrderStatus;
  totalCents: number;
  lines: CallerLine[];
  /** Where it went (a delivery). */
  address: { street: string; postcode: string; city: string } | null;
}

/** Something the counter should know before taking the order. */
export type CallerNote =
  | { kind: 'failed_delivery'; at: string; orderNumber: number; reason: 'absent' | 'refused' | 'wrong_address'; note: string | null }
  | { kind: 'rating'; at: string; orderNumber: number; food: number; delivery: number | null; comment: string | null };

export interface Caller {
  /** The number as found (E.164). */
  phone: string;
  /** The name on their latest order. */
  name: string;
  /** How many orders the chain has had from this number. */
  orderCount: number;
  /** The latest first, at most ORDERS_SHOWN. */
  orders: CallerOrder[];
  /** Distinct (street and postcode), most recent first, at most ADDRESSES_SHOWN. */
  addresses: CallerAddress[];
  notes: CallerNote[];
}

export const ORDERS_SHOWN = 5;
export const ADDRESSES_SHOWN = 5;
/** How far back addresses and notes are read: the latest orders of the number. */
const ORDERS_READ = 50;

/**
 * A phone number as the lookup keys it (E.164), or null when it is not a whole number yet: a French
 * number of 10 digits, or an international one of 8 to 15 digits.
 */
export function callerKey(phone: string): string | null {
  const key = e164(phone);
  return /^\+[1-9][0-9]{7,14}$/.test(key) && (!key.startsWith('+33') || key.length === 12) ? key : null;
}

const ISO = (col: string) => `to_char(${col} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

interface Row {
  id: string;
  number: number;
  created_at: string;
  pizzeria_id: number;
  shop: string;
  fulfilment: Fulfilment;
  status: OrderStatus;
  total_cents: number;
  customer_name: string;
  address_street: string | null;
  address_postcode: string | null;
  address_city: string | null;
  address_lat: number | null;
  address_lng: number | null;
  door_code: string | null;
  floor: string | null;
  delivery_instructions: string | null;
  delivery_failure: 'absent' | 'refused' | 'wrong_address' | null;
  delivery_failure_note: string | null;
  lines: CallerLine[];
  rating: { food: number; delivery: number | null; comment: string | null; at: string } | null;
  total: number;
}

/** The caller of this number, or null when the chain has no order from it. */
export async function findCaller(q: Queryable, phoneKey: string): Promise<Caller | null> {
  const { rows } = await q.query<Row>({
    name: 'find-caller',
    text: `SELECT o.id, o.number, ${ISO('o.created_at')} AS created_at, o.pizzeria_id, p.name AS shop, o.fulfilment, o.status, o.total_cents,
         o.customer_name, o.address_street, o.address_postcode, o.address_city, o.address_lat, o.address_lng,
         o.door_code, o.floor, o.delivery_instructions, o.delivery_failure, o.delivery_failure_note,
         (SELECT coalesce(json_agg(json_build_object('productId', i.product_id, 'secondHalfId', (i.halves->'right'->>'productId')::int,
                   'name', i.name, 'quantity', i.quantity, 'unitPriceCents', i.unit_price_cents,
                   'options', (SELECT coalesce(json_agg(json_build_object('id', x->'id', 'kind', x->'kind', 'name', x->'name')), '[]')
                               FROM jsonb_array_elements(i.options) x)) ORDER BY i.id), '[]')
          FROM order_items i WHERE i.order_id = o.id) AS lines,
         (SELECT json_build_object('food', r.food, 'delivery', r.delivery, 'comment', r.comment, 'at', ${ISO('r.created_at')})
          FROM order_ratings r WHERE r.order_id = o.id) AS rating,
         count(*) OVER ()::int AS total
       FROM orders o JOIN pizzerias p ON p.id = o.pizzeria_id
       WHERE o.phone_key = $1
       ORDER BY o.created_at DESC
       LIMIT ${ORDERS_READ}`,
    values: [phoneKey],
  });
  if (!rows.length) return null;
  const orders = rows.slice(0, ORDERS_SHOWN).map(
    (r): CallerOrder => ({
      id: r.id,
      number: r.number,
      createdAt: r.created_at,
      pizzeriaId: r.pizzeria_id,
      shop: r.shop,
      fulfilment: r.fulfilment,
      status: r.status,
      totalCents: r.total_cents,
      lines: r.lines,
      address: r.fulfilment === 'delivery' && r.address_street ? { street: r.address_street, postcode: r.address_postcode ?? '', city: r.address_city ?? '' } : null,
    }),
  );
  // one address per street and postcode, as its latest order had it (its door code may have changed)
  const addresses = new Map<string, CallerAddress>();
  for (const r of rows) {
    if (r.fulfilment !== 'delivery' || !r.address_street) continue;
    const key = `${r.address_street.trim().toLowerCase().replace(/\s+/g, ' ')}|${r.address_postcode ?? ''}`;
    if (addresses.has(key) || addresses.size >= ADDRESSES_SHOWN) continue;
    // a spot from an order that could not be delivered for a wrong address is not kept
    const spotOk = r.delivery_failure !== 'wrong_address';
    addresses.set(key, {
      street: r.address_street,
      postcode: r.address_postcode ?? '',
      city: r.address_city ?? '',
      lat: spotOk ? r.address_lat : null,
      lng: spotOk ? r.address_lng : null,
      doorCode: r.door_code,
      floor: r.floor,
      instructions: r.delivery_instructions,
      lastUsedAt: r.created_at,
    });
  }
  const notes: CallerNote[] = [];
  for (const r of rows) {
    if (r.delivery_failure) notes.push({ kind: 'failed_delivery', at: r.created_at, orderNumber: r.number, reason: r.delivery_failure, note: r.delivery_failure_note });
    // what they said of an order: a low mark, or any comment
    if (r.rating && (r.rating.food <= 2 || (r.rating.delivery ?? 5) <= 2 || r.rating.comment)) {
      notes.push({ kind: 'rating', at: r.rating.at, orderNumber: r.number, food: r.rating.food, delivery: r.rating.delivery, comment: r.rating.comment });
    }
  }
  return { phone: phoneKey, name: rows[0].customer_name, orderCount: rows[0].total, orders, addresses: [...addresses.values()], notes: notes.slice(0, 5) };
}
