// The counter's caller: who is on the phone, found by their number however it is typed (its E.164
// form, orders.phone_key, db/migrations/0047_caller_lookup.sql): their last orders with their lines,
// the addresses they had delivered to (with the spot, the door and the notes for the driver), and
// what went wrong before. Every shop's orders count: callers move between the chain's shops.
//
// What a counter sees depends on whose orders they were. From its own shop's orders: everything
// (the name, the addresses with door codes and notes for the driver, what went wrong). From other
// shops' orders: only what was ordered, where and when (the caller's usual order is the point of the
// lookup, and a menu says nothing of where someone lives); not the name (the caller gives it on the
// phone, and a number typed at any counter of the chain should not tell whose it is), not where
// they live or how to get in, not the drivers' or customers' notes. Head office sees the whole chain,
// as it does every order. Every lookup leaves its trace in the audit log, the number keyed, not in clear.
import { createHmac } from 'node:crypto';
import { canActOnShop, type StaffActor } from '../../domain/actors.ts';
import type { DeliveryAddress, Fulfilment, OrderStatus } from '../../domain/order-states.ts';
import { audit } from '../kernel/audit.ts';
import { config } from '../kernel/config.ts';
import { transaction, type Db, type Queryable } from '../kernel/db.ts';
import { phoneKey } from '../../domain/phone.ts';

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

/**
 * An address a caller's orders went to, as its latest order had it (the door code may have changed),
 * with its saved position: the first one an order to it was placed with (a pin the counter or the
 * customer put on the map, their phone's position, or the geocoder's), kept for every order after.
 */
export interface CallerAddress extends DeliveryAddress {
  /** The last order delivered (or to be) there. */
  lastUsedAt: string;
  /** Where `lat`/`lng` come from: the order that first had them, and how it was placed; null when no order to it had one. */
  spot: { savedAt: string; by: 'pin' | 'device' | 'geocoder' } | null;
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
  address: Pick<DeliveryAddress, 'street' | 'postcode' | 'city'> | null;
}

/** Something the counter should know before taking the order. */
export type CallerNote =
  | { kind: 'failed_delivery'; at: string; orderNumber: number; reason: 'absent' | 'refused' | 'wrong_address'; note: string | null }
  | { kind: 'rating'; at: string; orderNumber: number; food: number; delivery: number | null; comment: string | null };

export interface Caller {
  /** The number as found (E.164). */
  phone: string;
  /** The name on their latest order from the shops the viewer works for; null when none (asked on the phone). */
  name: string | null;
  /** How many orders the chain has had from this number. */
  orderCount: number;
  /** The latest first, at most ORDERS_SHOWN. */
  orders: CallerOrder[];
  /** Distinct (street and postcode), most recent first, at most ADDRESSES_SHOWN: of the viewer's shops' orders only. */
  addresses: CallerAddress[];
  /** Of the viewer's shops' orders only. */
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
export const callerKey = (phone: string): string | null => phoneKey(phone);

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
  location_source: 'pin' | 'device' | 'geocoder' | 'staff' | null;
  door_code: string | null;
  floor: string | null;
  delivery_instructions: string | null;
  delivery_failure: 'absent' | 'refused' | 'wrong_address' | null;
  delivery_failure_note: string | null;
  lines: CallerLine[];
  rating: { food: number; delivery: number | null; comment: string | null; at: string } | null;
  total: number;
}

/** Whose shops' orders a lookup shows whole: head office every shop, anyone else their own. */
export type CallerViewer = Pick<StaffActor, 'role' | 'pizzeriaId'>;

/** The caller of this number as the viewer may see them, or null when the chain has no order from it. */
export async function findCaller(q: Queryable, phoneKey: string, viewer: CallerViewer): Promise<Caller | null> {
  const { rows } = await q.query<Row>({
    name: 'find-caller',
    text: `SELECT o.id, o.number, ${ISO('o.created_at')} AS created_at, o.pizzeria_id, p.name AS shop, o.fulfilment, o.status, o.total_cents,
         o.customer_name, o.address_street, o.address_postcode, o.address_city, o.address_lat, o.address_lng, o.location_source,
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
  const own = (r: Row) => canActOnShop(viewer, r.pizzeria_id);
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
      address: own(r) && r.fulfilment === 'delivery' && r.address_street ? { street: r.address_street, postcode: r.address_postcode ?? '', city: r.address_city ?? '' } : null,
    }),
  );
  const notes = notesOf(rows, own);
  const name = rows.find(own)?.customer_name ?? null;
  return { phone: phoneKey, name, orderCount: rows[0].total, orders, addresses: addressesOf(rows, own), notes: notes.slice(0, 5) };
}

const addressKey = (r: Row) => `${r.address_street!.trim().toLowerCase().replace(/\s+/g, ' ')}|${r.address_postcode ?? ''}`;

/**
 * One address per street and postcode, as its latest order had it (its door code may have changed),
 * with its saved position: the first an order to it had, kept whatever the orders after had (an
 * order sent "without position" loses nothing). A spot from an order that could not be delivered
 * for a wrong address is never kept.
 */
function addressesOf(rows: Row[], own: (r: Row) => boolean): CallerAddress[] {
  const addresses = new Map<string, CallerAddress>();
  const delivered = rows.filter((r) => own(r) && r.fulfilment === 'delivery' && r.address_street);
  for (const r of delivered) {
    const key = addressKey(r);
    if (addresses.has(key) || addresses.size >= ADDRESSES_SHOWN) continue;
    addresses.set(key, {
      street: r.address_street!,
      postcode: r.address_postcode ?? '',
      city: r.address_city ?? '',
      lat: null,
      lng: null,
      spot: null,
      doorCode: r.door_code,
      floor: r.floor,
      instructions: r.delivery_instructions,
      lastUsedAt: r.created_at,
    });
  }
  // the oldest order first: the first position an address was placed with is the one it keeps
  for (const r of [...delivered].reverse()) {
    const a = addresses.get(addressKey(r));
    if (!a || a.spot || r.address_lat === null || r.address_lng === null || r.delivery_failure === 'wrong_address') continue;
    Object.assign(a, { lat: r.address_lat, lng: r.address_lng, spot: { savedAt: r.created_at, by: r.location_source === 'staff' || !r.location_source ? 'pin' : r.location_source } });
  }
  return [...addresses.values()];
}

/** What went wrong before, and what they said of an order (a low mark, or any comment), the latest first. */
function notesOf(rows: Row[], own: (r: Row) => boolean): CallerNote[] {
  const notes: CallerNote[] = [];
  for (const r of rows) {
    if (!own(r)) continue;
    if (r.delivery_failure) notes.push({ kind: 'failed_delivery', at: r.created_at, orderNumber: r.number, reason: r.delivery_failure, note: r.delivery_failure_note });
    if (r.rating && (r.rating.food <= 2 || (r.rating.delivery ?? 5) <= 2 || r.rating.comment)) {
      notes.push({ kind: 'rating', at: r.rating.at, orderNumber: r.number, food: r.rating.food, delivery: r.rating.delivery, comment: r.rating.comment });
    }
  }
  return notes;
}

/**
 * A number as the audit log keeps it: a keyed hash (HMAC, with a key derived from the install's
 * secret). A plain hash of a phone number is undone by trying every number (France has about a
 * billion); this one only by whoever holds the key, so the log names the same number the same way
 * (head office can find every lookup of one number by typing it) without holding any number.
 */
export function callerAuditId(key: string): string {
  const secret = createHmac('sha256', config().sessionSecret).update('caller lookups in the audit log').digest();
  return createHmac('sha256', secret).update(key).digest('hex').slice(0, 20);
}

/** The audit ids a search text stands for: the number's, when it is a whole phone number. */
export function callerAuditIds(text: string | undefined): string[] {
  const number = text ? callerKey(text) : null;
  return number ? [callerAuditId(number)] : [];
}

/** Enough of a number for a person reading the log to tell lookups apart, not enough to call it. */
export function maskedPhone(key: string): string {
  if (/^\+33\d{9}$/.test(key)) return `+33 ${key[3]} •• •• •• ${key.slice(-2)}`;
  return `${key.slice(0, 4)} ••• ${key.slice(-2)}`;
}

/**
 * A lookup from the counter (or a manager, or head office): the caller as this member of staff may
 * see them, and its trace in the audit log, in one transaction: no answer without its trace.
 */
export async function lookUpCaller(db: Db, actor: StaffActor, key: string): Promise<Caller | null> {
  return transaction(db, async (tx) => {
    const caller = await findCaller(tx, key, actor);
    await audit(tx, actor, {
      action: 'caller.lookup',
      entity: 'caller',
      entityId: callerAuditId(key),
      pizzeriaId: actor.pizzeriaId,
      before: null,
      after: { phone: maskedPhone(key), found: caller !== null, orders: caller?.orders.length ?? 0, addresses: caller?.addresses.length ?? 0 },
    });
    return caller;
  });
}
