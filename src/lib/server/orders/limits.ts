// What one client may ask of a shop: orders per phone and email in the hour, what it may hold
// unpaid, and the share of a shop's stock all unpaid orders may hold. "Unpaid" is a customer's online
// order awaiting payment, and a customer's order for later paid at the door while its fire time is
// far (UNPAID_AHEAD_HOURS): both hold stock that nobody may ever pay for.
import { clientMayHold, clientNetwork, contactEmail, overUnpaidShare, type ClientHolding, type UnpaidLimits } from '../../domain/unpaid-holds.ts';
import { type Queryable, type Tx } from '../kernel/db.ts';
import { AppError, conflict } from '../kernel/errors.ts';
import { e164 } from '../kernel/sms.ts';
import { priceAndCheck } from './lines.ts';


/** The limits on customers' online orders (config: UNPAID_*, ORDERS_PER_CONTACT_PER_HOUR). */
export interface OrderLimits extends UnpaidLimits {
  /** An order for later paid at the door counts as unpaid while its fire time is more than these hours away. */
  aheadHours: number;
  /** Online orders per hour for one phone number or email. */
  ordersPerContactPerHour: number;
}

/**
 * Who an online order is from, as the limits count them: the client's network (clientNetwork: an
 * IPv4 address, an IPv6 /64), phone (e164) and email (contactEmail).
 */
interface ClientKeys {
  address: string | null;
  phone: string;
  email: string | null;
}

export const clientKeys = (address: string | null, phone: string, email: string | null | undefined): ClientKeys => ({
  address: address ? clientNetwork(address) : null,
  phone: e164(phone),
  email: email ? contactEmail(email) : null,
});

const tooMany = (code: string, message: string, field: string) => new AppError(429, code, message, { fields: { [field]: message } });

const lockKeys = (who: ClientKeys) =>
  [who.address && `address:${who.address}`, `phone:${who.phone}`, who.email && `email:${who.email}`].filter((k): k is string => !!k);

/**
 * Counts of one client are read then written by the same transaction: two orders of one client at
 * once wait for each other here (keys locked in one global order, before any stock row).
 */
export async function lockClient(tx: Tx, who: ClientKeys) {
  await tx.query({
    name: 'lock-client',
    text: 'SELECT lock_client($1::text[])',
    values: [lockKeys(who)],
  });
}

/**
 * Locks the client (lockClient), then refuses a phone number or email that already had its online
 * orders of the hour (each order sends messages there): one call (db/migrations/0052).
 */
export async function lockClientAndCheckContact(tx: Tx, who: ClientKeys, perHour: number) {
  const { rows } = await tx.query<{ phone: number; email: number }>({
    name: 'lock-client-count-contact',
    text: 'SELECT phone, email FROM lock_client_and_count_contact($1::text[], $2, $3)',
    values: [lockKeys(who), who.phone, who.email],
  });
  if (rows[0].phone >= perHour) {
    throw tooMany('too_many_orders', `${perHour} orders in the last hour for this phone number already: try again later, or call the shop`, 'customer.phone');
  }
  if (who.email && rows[0].email >= perHour) {
    throw tooMany('too_many_orders', `${perHour} orders in the last hour for this email already: try again later, or call the shop`, 'customer.email');
  }
}

/**
 * What the unpaid orders of this client (by address, by phone, by email) hold, `except` the
 * order being changed; refused beyond the client's allowance (UNPAID_ORDERS_PER_CLIENT, UNPAID_ITEMS_PER_CLIENT).
 */
export async function checkClientHolding(
  tx: Tx, who: ClientKeys, items: number, limits: OrderLimits, except: string | null,
  /** The order is one for later paid at the door (its refusal says so). */
  ahead = false,
) {
  const { rows } = await tx.query<ClientHolding & { who: 'address' | 'phone' | 'email' }>({
    name: 'client-unpaid-or-ahead',
    text: `WITH unpaid AS (
             SELECT o.client_address, o.phone_key, o.email_key AS email,
                    (SELECT coalesce(sum(i.quantity), 0) FROM order_items i WHERE i.order_id = o.id) AS items
             FROM orders o WHERE (o.status = 'pending_payment' OR ${heldAheadSql(5)}) AND o.id IS DISTINCT FROM $4::uuid
               AND (o.client_address <<= $1::inet OR o.phone_key = $2 OR o.email_key = $3))
           SELECT 'address' AS who, count(*)::int AS orders, coalesce(sum(items), 0)::int AS items FROM unpaid WHERE client_address <<= $1::inet
           UNION ALL SELECT 'phone', count(*)::int, coalesce(sum(items), 0)::int FROM unpaid WHERE phone_key = $2
           UNION ALL SELECT 'email', count(*)::int, coalesce(sum(items), 0)::int FROM unpaid WHERE email = $3`,
    values: [who.address, who.phone, who.email, except, aheadMinutes(limits)],
  });
  const field = { address: 'payment', phone: 'customer.phone', email: 'customer.email' } as const;
  for (const held of rows) {
    const may = clientMayHold(held, items, limits, except === null);
    if (may.ok) continue;
    const message = ahead
      ? may.reason === 'orders'
        ? `${limits.ordersPerClient} orders not paid yet (online, or at the door days ahead) are already held by this ${held.who}: cancel one first, order nearer the time, or call the shop`
        : `orders not paid yet (online, or at the door days ahead) from this ${held.who} may hold ${limits.itemsPerClient} items at most (${held.items} already): order nearer the time, or call the shop for a bigger order`
      : may.reason === 'orders'
        ? `${limits.ordersPerClient} orders are already waiting for payment from this ${held.who}: pay or cancel them first, or pay on delivery`
        : `orders waiting for payment from this ${held.who} may hold ${limits.itemsPerClient} items at most (${held.items} already): pay them first, or pay on delivery`;
    throw tooMany('too_many_unpaid', message, field[held.who]);
  }
}

/**
 * After this order's reservation (the stock rows it needs are locked until the commit): all the
 * shop's unpaid orders (online, and at the door far ahead) together may hold at most UNPAID_STOCK_SHARE of each ingredient (free,
 * plus held by them), so the rest stays on sale whoever never pays.
 */
export async function checkUnpaidShare(
  tx: Tx, pizzeriaId: number, check: Awaited<ReturnType<typeof priceAndCheck>>, limits: Pick<OrderLimits, 'stockShare' | 'aheadHours'>,
  /** The order is one for later paid at the door (its refusal says so). */
  ahead = false,
) {
  const share = limits.stockShare;
  if (share >= 1) return;
  const ids = [...check.needs.keys()];
  const { rows } = await tx.query<{ ingredient_id: number; free: number; held_unpaid: number }>({
    name: 'unpaid-or-ahead-share',
    text: `SELECT s.ingredient_id, s.on_hand - s.reserved AS free,
                  coalesce((SELECT sum(r.quantity) FROM orders o JOIN stock_reservations r ON r.order_id = o.id
                            WHERE (o.status = 'pending_payment' OR ${heldAheadSql(3)}) AND o.pizzeria_id = $1 AND r.ingredient_id = s.ingredient_id), 0)::int AS held_unpaid
           FROM stock s WHERE s.pizzeria_id = $1 AND s.ingredient_id = ANY($2)`,
    values: [pizzeriaId, ids, aheadMinutes(limits)],
  });
  const levels = rows.map((r) => ({ ingredientId: r.ingredient_id, free: r.free, heldUnpaid: r.held_unpaid, heldByThis: check.needs.get(r.ingredient_id) ?? 0 }));
  const over = new Set(overUnpaidShare(levels, share));
  if (!over.size) return;
  const products = [...new Set(check.priced.lines.filter((l) => l.recipe.some((r) => over.has(r.ingredientId))).map((l) => l.productId))];
  const message = ahead
    ? 'orders not paid yet at this shop (online, or at the door days ahead) hold what is left of some items: order nearer the time, or call the shop'
    : 'other orders waiting for their payment at this shop hold what is left of some items: pay on delivery, or try again in a few minutes';
  throw conflict('unpaid_share', message, {
    items: products.map((id) => ({ productId: id, name: check.catalogue.get(id)!.name })),
  });
}

/**
 * A customer's order for later paid at the door, not fired, whose fire time is more than `$n` minutes
 * away (staff orders are phone or counter orders: never counted). Held with orders_held_ahead (0054).
 */
const heldAheadSql = (n: number) =>
  `(o.channel = 'online' AND o.status = 'received' AND o.payment_status = 'due' AND o.fired_at IS NULL AND o.fire_at > now() + make_interval(mins => $${n}::int))`;

/** Minutes from now beyond which an order for later paid at the door counts as unpaid. */
export const aheadMinutes = (limits: Pick<OrderLimits, 'aheadHours'>) => Math.round(limits.aheadHours * 60);

/** How long a refusal for holding too much stays a manager's alert. */
export const HELD_STOCK_ALERT_HOURS = 12;

/**
 * After a customer's order was refused for what its client holds unpaid (429 too_many_unpaid: the
 * client, by its phone) or for the shop's unpaid share (409 unpaid_share: the shop, client ''): one
 * more refusal on the manager's alert (db/migrations/0054). Written after the refused transaction
 * rolled back; a failure here never changes the customer's answer.
 */
export async function noteHoldingRefusal(q: Queryable, pizzeriaId: number, err: unknown, phone: string): Promise<void> {
  if (!(err instanceof AppError) || (err.code !== 'too_many_unpaid' && err.code !== 'unpaid_share')) return;
  const client = err.code === 'too_many_unpaid' ? phone : '';
  await q.query({
    name: 'note-holding-refusal',
    text: `WITH gone AS (DELETE FROM held_stock_refusals WHERE pizzeria_id = $1 AND last_at < now() - interval '1 day')
           INSERT INTO held_stock_refusals AS f (pizzeria_id, client) VALUES ($1, $2)
           ON CONFLICT (pizzeria_id, client) DO UPDATE SET
             attempts = CASE WHEN f.last_at < now() - make_interval(hours => $3) THEN 1 ELSE f.attempts + 1 END,
             first_at = CASE WHEN f.last_at < now() - make_interval(hours => $3) THEN now() ELSE f.first_at END,
             last_at = now()`,
    values: [pizzeriaId, client, HELD_STOCK_ALERT_HOURS],
  });
}

/** A refused holding of the last hours, and the orders its client still holds unpaid at the shop (by day and number). */
export interface HeldStockRefusal {
  pizzeriaId: number;
  /** The client's phone (E.164); null: the shop's unpaid share was reached. */
  client: string | null;
  attempts: number;
  /** ISO: the first refusal, and the last. */
  since: string;
  last: string;
  orders: number[];
}

/** The refusals of the last HELD_STOCK_ALERT_HOURS at these shops (the manager's alert "held_stock"). */
export async function recentHoldingRefusals(q: Queryable, shops: number[]): Promise<HeldStockRefusal[]> {
  const { rows } = await q.query<HeldStockRefusal>({
    name: 'recent-holding-refusals',
    text: `SELECT f.pizzeria_id AS "pizzeriaId", nullif(f.client, '') AS client, f.attempts,
                  to_char(f.first_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS since,
                  to_char(f.last_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS last,
                  ARRAY(SELECT o.number FROM orders o
                        WHERE f.client <> '' AND o.pizzeria_id = f.pizzeria_id AND o.phone_key = f.client AND o.channel = 'online'
                          AND (o.status = 'pending_payment' OR (o.status = 'received' AND o.payment_status = 'due' AND o.fire_at IS NOT NULL AND o.fired_at IS NULL))
                        ORDER BY o.slot_at, o.number) AS orders
           FROM held_stock_refusals f
           WHERE f.pizzeria_id = ANY($1::int[]) AND f.last_at > now() - make_interval(hours => $2)
           ORDER BY f.first_at`,
    values: [shops, HELD_STOCK_ALERT_HOURS],
  });
  return rows;
}

export const itemCount = (lines: readonly { quantity: number }[]) => lines.reduce((n, l) => n + l.quantity, 0);
