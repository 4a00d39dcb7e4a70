// A signed-in customer's account: their session (a cookie of its own, apart from staff sessions),
// their orders, the addresses they had delivered to, their favourite pizzas, and their data given
// back or erased on request (RGPD art. 15 and 17).
import type { LoyaltyScheme } from '../../domain/loyalty.ts';
import { loyaltyAtCheckout } from '../offers/loyalty.ts';
import { createHmac, randomBytes } from 'node:crypto';
import { config } from '../kernel/config.ts';
import { transaction, type Db, type Queryable } from '../kernel/db.ts';
import { conflict, notFound } from '../kernel/errors.ts';
import { promoContactHash } from '../offers/promos.ts';
import { ordersToConfirm, type OrderToConfirm } from './confirm.ts';
import { allergiesOf, type RememberedAllergies } from './customer-allergies.ts';
import { OPEN_STATUSES, type DeliveryAddress, type Fulfilment } from '../../domain/order-states.ts';

export const CUSTOMER_COOKIE = 'ocp_customer';
/** A customer stays signed in this long on a device (they sign out, or erase their account, to end it). */
export const CUSTOMER_SESSION_DAYS = 60;

export interface SignedInCustomer {
  id: string;
  email: string | null;
  phone: string | null;
  name: string | null;
}

// as staff sessions: the database keeps the token's HMAC, never the token
const sessionId = (token: string) => createHmac('sha256', config().sessionSecret).update(`customer:${token}`).digest('hex');

export async function openCustomerSession(q: Queryable, customerId: string): Promise<{ token: string; expiresAt: Date }> {
  const token = randomBytes(32).toString('base64url');
  const expiresAt = new Date(Date.now() + CUSTOMER_SESSION_DAYS * 86_400_000);
  await q.query('INSERT INTO customer_sessions (id, customer_id, expires_at) VALUES ($1, $2, $3)', [sessionId(token), customerId, expiresAt]);
  return { token, expiresAt };
}

/** The customer of a session cookie, while it lasts (null: none, unknown, expired). */
export async function customerForSession(q: Queryable, token: string | undefined | null): Promise<SignedInCustomer | null> {
  if (!token || token.length > 100) return null;
  const { rows } = await q.query<SignedInCustomer>(
    `SELECT c.id, c.email, c.phone, c.name FROM customer_sessions s JOIN customers c ON c.id = s.customer_id
     WHERE s.id = $1 AND s.expires_at > now()`,
    [sessionId(token)],
  );
  return rows[0] ?? null;
}

export async function closeCustomerSession(q: Queryable, token: string | undefined | null): Promise<void> {
  if (token && token.length <= 100) await q.query('DELETE FROM customer_sessions WHERE id = $1', [sessionId(token)]);
}

export interface CustomerOrderSummary {
  id: string;
  number: number;
  shop: { id: number; name: string };
  placedAt: string;
  status: string;
  fulfilment: Fulfilment;
  totalCents: number;
  trackingToken: string;
  lines: { productId: number; name: string; category: string; quantity: number; options: string[] }[];
}

export interface SavedAddress extends DeliveryAddress {
  id: string;
}

export interface CustomerAccount {
  customer: SignedInCustomer;
  orders: CustomerOrderSummary[];
  addresses: SavedAddress[];
  favourites: { productId: number; name: string }[];
  /** Guest orders of their proved contacts, not theirs until confirmed (src/lib/server/customers/confirm.ts). */
  toConfirm: OrderToConfirm[];
}

/** How many of their orders the account page lists (newest first). */
export const HISTORY_ORDERS = 20;

const ADDRESS_COLUMNS = `id, street, postcode, city, lat, lng, door_code AS "doorCode", floor, instructions`;

export async function customerAccount(q: Queryable, customer: SignedInCustomer): Promise<CustomerAccount> {
  const [orders, addresses, favourites, toConfirm] = await Promise.all([
    q.query<CustomerOrderSummary & { customerName: string }>(
      `SELECT o.id, o.number, json_build_object('id', p.id, 'name', p.name) AS shop, o.created_at AS "placedAt", o.status,
              o.fulfilment, o.total_cents AS "totalCents", o.tracking_token AS "trackingToken", o.customer_name AS "customerName",
              (SELECT coalesce(json_agg(json_build_object('productId', i.product_id, 'name', i.name, 'category', i.category, 'quantity', i.quantity,
                        'options', (SELECT coalesce(json_agg(x->>'name'), '[]') FROM jsonb_array_elements(i.options) x)) ORDER BY i.id), '[]')
               FROM order_items i WHERE i.order_id = o.id) AS lines
       FROM customer_orders co JOIN orders o ON o.id = co.order_id JOIN pizzerias p ON p.id = o.pizzeria_id
       WHERE co.customer_id = $1 ORDER BY co.placed_at DESC LIMIT $2`,
      [customer.id, HISTORY_ORDERS],
    ),
    q.query<SavedAddress>(`SELECT ${ADDRESS_COLUMNS} FROM customer_addresses WHERE customer_id = $1 ORDER BY last_used_at DESC`, [customer.id]),
    q.query<{ productId: number; name: string }>(
      `SELECT f.product_id AS "productId", p.name FROM customer_favourites f JOIN products p ON p.id = f.product_id
       WHERE f.customer_id = $1 ORDER BY f.created_at`,
      [customer.id],
    ),
    ordersToConfirm(q, customer),
  ]);
  return {
    // greeted by the name of their latest order until they give one
    customer: { ...customer, name: customer.name ?? orders.rows[0]?.customerName ?? null },
    orders: orders.rows.map(({ customerName: _name, ...o }) => ({ ...o, placedAt: new Date(o.placedAt).toISOString() })),
    addresses: addresses.rows,
    favourites: favourites.rows,
    toConfirm,
  };
}

export async function renameCustomer(q: Queryable, customerId: string, name: string): Promise<void> {
  await q.query('UPDATE customers SET name = $2 WHERE id = $1', [customerId, name]);
}

export async function forgetAddress(q: Queryable, customerId: string, addressId: string): Promise<void> {
  const { rowCount } = await q.query('DELETE FROM customer_addresses WHERE id = $1 AND customer_id = $2', [addressId, customerId]);
  if (!rowCount) throw notFound('address');
}

export async function setFavourite(q: Queryable, customerId: string, productId: number, on: boolean): Promise<void> {
  if (!on) {
    await q.query('DELETE FROM customer_favourites WHERE customer_id = $1 AND product_id = $2', [customerId, productId]);
    return;
  }
  const { rows } = await q.query(`SELECT 1 FROM products WHERE id = $1 AND category = 'pizza' AND active`, [productId]);
  if (!rows[0]) throw notFound('pizza');
  await q.query('INSERT INTO customer_favourites (customer_id, product_id) VALUES ($1, $2) ON CONFLICT DO NOTHING', [customerId, productId]);
}

/**
 * Everything kept about a customer, as one JSON document they can download (RGPD art. 15 and 20): an
 * account that joined another (join.ts) is one account, with both its contacts and all its orders.
 */
export async function exportCustomerData(q: Queryable, customerId: string): Promise<Record<string, unknown>> {
  const one = async (text: string) => (await q.query(text, [customerId])).rows;
  const [customer] = await one('SELECT id, email, phone, name, created_at AS "createdAt" FROM customers WHERE id = $1');
  if (!customer) throw notFound('customer');
  return {
    exportedAt: new Date().toISOString(),
    customer,
    orders: await one(
      `SELECT o.id, o.number, p.name AS shop, o.created_at AS "placedAt", o.status, o.channel, o.fulfilment,
              o.customer_name AS name, o.customer_phone AS phone, o.customer_email AS email,
              o.address_street AS street, o.address_postcode AS postcode, o.address_city AS city,
              o.door_code AS "doorCode", o.floor, o.delivery_instructions AS instructions,
              o.payment_method AS "paymentMethod", o.payment_status AS "paymentStatus", o.total_cents AS "totalCents",
              CASE WHEN o.allergy_allergens = '{}' AND o.allergy_note IS NULL THEN NULL
                ELSE json_build_object('allergens', o.allergy_allergens, 'note', o.allergy_note) END AS allergy,
              (SELECT coalesce(json_agg(json_build_object('name', i.name, 'quantity', i.quantity, 'unitPriceCents', i.unit_price_cents, 'options', i.options) ORDER BY i.id), '[]')
               FROM order_items i WHERE i.order_id = o.id) AS lines,
              (SELECT json_build_object('food', r.food, 'delivery', r.delivery, 'comment', r.comment, 'at', r.created_at)
               FROM order_ratings r WHERE r.order_id = o.id) AS rating
       FROM customer_orders co JOIN orders o ON o.id = co.order_id JOIN pizzerias p ON p.id = o.pizzeria_id
       WHERE co.customer_id = $1 ORDER BY co.placed_at`,
    ),
    addresses: await one(`SELECT ${ADDRESS_COLUMNS} FROM customer_addresses WHERE customer_id = $1 ORDER BY last_used_at DESC`),
    favourites: await one('SELECT p.name, f.created_at AS "since" FROM customer_favourites f JOIN products p ON p.id = f.product_id WHERE f.customer_id = $1'),
    // kept with their consent, and when they gave it (customer-allergies.ts)
    allergies: await allergiesOf(q, customerId),
    sessions: await one('SELECT created_at AS "signedInAt", expires_at AS "expiresAt" FROM customer_sessions WHERE customer_id = $1 ORDER BY created_at'),
    loyaltyPoints: await one(
      `SELECT l.points, l.reason, o.number AS "orderNumber", l.created_at AS "at", l.carried_points AS "carriedPoints"
       FROM loyalty_ledger l LEFT JOIN orders o ON o.id = l.order_id WHERE l.customer_id = $1 ORDER BY l.created_at, l.id`,
    ),
    promoCodesUsed: await one(
      `SELECT p.code, r.discount_cents AS "discountCents", o.number AS "orderNumber", o.created_at AS "at"
       FROM promo_redemptions r JOIN promo_codes p ON p.id = r.promo_code_id JOIN orders o ON o.id = r.order_id
       JOIN customer_orders co ON co.order_id = r.order_id WHERE co.customer_id = $1 ORDER BY o.created_at`,
    ),
  };
}

/**
 * Erases a customer (RGPD art. 17): the account, its sessions, addresses, favourites and remembered
 * allergies (customer-allergies.ts, by the cascade of the account's row), the codes
 * sent to its contacts; their orders stay for the takings (the law keeps sales ten years), with
 * nothing left that names or locates them: no name, phone, email, street, door, spot, comment,
 * delivery photo or trail, in the orders, their events, their messages and their promo codes'
 * uses (which keep only keyed hashes of the account's contacts: a once-per-customer code stays used
 * by them). The payment provider's customers made for cards saved on their orders (a name and a
 * phone at Stripe) are written down to delete (`providerCustomers`), which the workers do, retried
 * until the provider answers (provider_customer_erasures, db/migrations/0064). Refused while one of
 * their orders is still on its way (it would lose its driver's directions).
 * An account that joined another (join.ts) is one account: erasing it erases both contacts' codes and
 * the orders of both, whichever contact signed in to place them.
 */
export async function eraseCustomer(db: Db, customerId: string): Promise<{ ordersAnonymised: number; providerCustomers: string[] }> {
  return transaction(db, async (tx) => {
    const { rows: who } = await tx.query<{ email: string | null; phone: string | null }>('SELECT email, phone FROM customers WHERE id = $1 FOR UPDATE', [customerId]);
    if (!who[0]) throw notFound('customer');
    const { rows: open } = await tx.query(
      'SELECT 1 FROM customer_orders co JOIN orders o ON o.id = co.order_id WHERE co.customer_id = $1 AND o.status = ANY($2) LIMIT 1',
      [customerId, OPEN_STATUSES],
    );
    if (open[0]) throw conflict('order_in_progress', 'an order of yours is still on its way: your data can be erased once it is delivered or cancelled');
    const { rows: orders } = await tx.query<{ id: string }>('SELECT order_id AS id FROM customer_orders WHERE customer_id = $1', [customerId]);
    const ids = orders.map((o) => o.id);
    let providerCustomers: string[] = [];
    if (ids.length) {
      const { rows: made } = await tx.query<{ ref: string }>(
        `INSERT INTO provider_customer_erasures (customer_ref)
         SELECT DISTINCT card_customer_id FROM orders WHERE id = ANY($1) AND card_customer_id IS NOT NULL
         ON CONFLICT (customer_ref) DO NOTHING RETURNING customer_ref AS ref`,
        [ids],
      );
      providerCustomers = made.map((r) => r.ref);
      await tx.query(
        `UPDATE orders SET customer_name = '-', customer_phone = '', customer_email = NULL, phone_key = NULL, email_key = NULL, card_customer_id = NULL,
           client_address = NULL, address_street = CASE WHEN address_street IS NULL THEN NULL ELSE '' END,
           address_lat = NULL, address_lng = NULL, door_code = NULL, floor = NULL, delivery_instructions = NULL,
           allergy_allergens = '{}', allergy_note = NULL, version = version + 1
         WHERE id = ANY($1)`,
        [ids],
      );
      // the views the screens were sent, kept with the events
      const scrub = `payload || jsonb_build_object('customer', jsonb_build_object('name', '-'), 'allergy', 'null'::jsonb,
          'address', CASE WHEN jsonb_typeof(payload->'address') = 'object'
            THEN jsonb_build_object('street', '', 'city', payload->'address'->'city', 'distanceM', payload->'address'->'distanceM') ELSE 'null'::jsonb END)`;
      for (const table of ['order_events', 'order_events_archive', 'order_event_inbox']) {
        await tx.query(`UPDATE ${table} SET payload = ${scrub} WHERE order_id = ANY($1)`, [ids]);
      }
      await tx.query(`UPDATE customer_notifications SET recipient = '' WHERE order_id = ANY($1)`, [ids]);
      await tx.query('UPDATE order_ratings SET comment = NULL WHERE order_id = ANY($1)', [ids]);
      // a once-per-customer code stays used by these contacts: the account's uses keep them as keyed hashes only
      const hashes = [who[0].email && promoContactHash('email', who[0].email), who[0].phone && promoContactHash('phone', who[0].phone)].filter(Boolean);
      await tx.query(
        `UPDATE promo_redemptions SET phone_key = NULL, email_key = NULL,
           contact_hashes = CASE WHEN customer_id = $2 THEN ARRAY(SELECT DISTINCT h FROM unnest(contact_hashes || $3::text[]) h) ELSE contact_hashes END
         WHERE order_id = ANY($1)`,
        [ids, customerId, hashes],
      );
      await tx.query('DELETE FROM delivery_photos WHERE order_id = ANY($1)', [ids]);
      await tx.query('DELETE FROM delivery_trail WHERE order_id = ANY($1)', [ids]);
    }
    await tx.query('DELETE FROM customer_codes WHERE destination = ANY($1)', [[who[0].email, who[0].phone].filter(Boolean)]);
    await tx.query('DELETE FROM customers WHERE id = $1', [customerId]);
    return { ordersAnonymised: ids.length, providerCustomers };
  });
}

/**
 * What the checkout fills in for a signed-in customer: what they proved (their email) or typed on
 * their latest order placed signed in (name, phone, email), and their latest saved address (kept from
 * orders placed signed in). Never from a guest order, even one they confirmed: whoever placed it
 * chose its contacts and its door.
 */
export interface CheckoutPrefill {
  name: string | null;
  phone: string | null;
  email: string | null;
  address: SavedAddress | null;
  /** Their saved addresses, latest used first (at most SAVED_ADDRESSES_OFFERED): the storefront's first card offers them. */
  addresses: SavedAddress[];
  /** Their points and the scheme: the checkout offers the reward when they have it. */
  loyalty: { balance: number; scheme: LoyaltyScheme };
  /** Their favourite products, the menu shows them first (one tap each). */
  favourites: number[];
  /** Their allergies, kept with their consent (customer-allergies.ts): the order's allergy note starts with them. */
  allergies: RememberedAllergies | null;
}

/** How many saved addresses the storefront's first card offers (one tap each). */
export const SAVED_ADDRESSES_OFFERED = 3;

export async function checkoutPrefill(q: Queryable, customer: SignedInCustomer): Promise<CheckoutPrefill> {
  const [latest, address, loyalty, favourites, allergies] = await Promise.all([
    q.query<{ name: string; phone: string; email: string | null }>(
      `SELECT o.customer_name AS name, o.customer_phone AS phone, o.customer_email AS email
       FROM customer_orders co JOIN orders o ON o.id = co.order_id
       WHERE co.customer_id = $1 AND co.joined_by = 'signed_in' ORDER BY co.placed_at DESC LIMIT 1`,
      [customer.id],
    ),
    q.query<SavedAddress>(`SELECT ${ADDRESS_COLUMNS} FROM customer_addresses WHERE customer_id = $1 ORDER BY last_used_at DESC LIMIT $2`, [customer.id, SAVED_ADDRESSES_OFFERED]),
    loyaltyAtCheckout(q, customer.id),
    q.query<{ id: number }>('SELECT product_id AS id FROM customer_favourites WHERE customer_id = $1 ORDER BY created_at, product_id', [customer.id]),
    allergiesOf(q, customer.id),
  ]);
  const last = latest.rows[0];
  return {
    name: customer.name ?? last?.name ?? null,
    phone: last?.phone ?? customer.phone,
    email: customer.email ?? last?.email ?? null,
    address: address.rows[0] ?? null,
    addresses: address.rows,
    loyalty,
    favourites: favourites.rows.map((r) => r.id),
    allergies,
  };
}
