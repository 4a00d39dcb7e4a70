// A guest order of a customer's proved contact joins their account only when they confirm it, with
// the order's number. Anyone can type anyone's phone or email on a guest order (to have a victim's
// account offer the stranger's address and email at its next checkout), and a number changes hands
// (its new holder must not read the previous one's door codes): so the contact alone proves nothing,
// and what is shown before confirming is harmless (the day, the shop, the total). The number was in
// every message sent about the order to that contact, and on its receipt: knowing it shows the
// confirmer held the contact when the order was placed, not only now. The number of the day is small,
// so a customer has CONFIRM_TRIES per order, then that order is no longer offered to them.
import { transaction, type Db, type Queryable } from '../kernel/db.ts';
import { AppError, notFound } from '../kernel/errors.ts';
import type { SignedInCustomer } from './account.ts';

export const CONFIRM_TRIES = 3;
/** How many orders to confirm the account page offers at once (newest first). */
export const ORDERS_TO_CONFIRM = 10;

export interface OrderToConfirm {
  id: string;
  placedAt: string;
  shop: { id: number; name: string };
  totalCents: number;
}

// the orders of the customer's proved contacts (in their canonical forms: customers.phone is E.164
// as orders.phone_key, customers.email lower case), joined to no account
const CANDIDATE = `(o.phone_key = $2 OR (o.customer_email IS NOT NULL AND lower(o.customer_email) = $3))
  AND NOT EXISTS (SELECT 1 FROM customer_orders co WHERE co.order_id = o.id)
  AND NOT EXISTS (SELECT 1 FROM customer_order_claims cl WHERE cl.customer_id = $1 AND cl.order_id = o.id AND cl.wrong >= ${CONFIRM_TRIES})`;

export async function ordersToConfirm(q: Queryable, customer: SignedInCustomer): Promise<OrderToConfirm[]> {
  const { rows } = await q.query<OrderToConfirm>(
    `SELECT o.id, o.created_at AS "placedAt", json_build_object('id', p.id, 'name', p.name) AS shop, o.total_cents AS "totalCents"
     FROM orders o JOIN pizzerias p ON p.id = o.pizzeria_id
     WHERE ${CANDIDATE} ORDER BY o.created_at DESC LIMIT $4`,
    [customer.id, customer.phone, customer.email, ORDERS_TO_CONFIRM],
  );
  return rows.map((r) => ({ ...r, placedAt: new Date(r.placedAt).toISOString() }));
}

/**
 * Joins one of ordersToConfirm to the customer's history when `number` is its number; a wrong one
 * counts a try (kept: it commits before the refusal). Not a candidate, or out of tries: 404, the same
 * answer whether the order exists or not. The order joins the history only: its address and contacts
 * do not become the account's (saved addresses and the checkout's contacts come from orders placed
 * signed in).
 */
export async function confirmOrder(db: Db, customer: SignedInCustomer, orderId: string, number: number): Promise<void> {
  const wrong = await transaction(db, async (tx): Promise<number | null> => {
    const { rows } = await tx.query<{ number: number; created_at: Date }>(
      `SELECT o.number, o.created_at FROM orders o WHERE o.id = $4 AND ${CANDIDATE}`,
      [customer.id, customer.phone, customer.email, orderId],
    );
    const order = rows[0];
    if (!order) throw notFound('order');
    // one try of a customer on an order at a time, so two at once cannot both find tries left
    await tx.query('INSERT INTO customer_order_claims (customer_id, order_id) VALUES ($1, $2) ON CONFLICT DO NOTHING', [customer.id, orderId]);
    const { rows: claim } = await tx.query<{ wrong: number }>(
      'SELECT wrong FROM customer_order_claims WHERE customer_id = $1 AND order_id = $2 FOR UPDATE',
      [customer.id, orderId],
    );
    if (claim[0].wrong >= CONFIRM_TRIES) throw notFound('order');
    if (order.number !== number) {
      await tx.query('UPDATE customer_order_claims SET wrong = wrong + 1 WHERE customer_id = $1 AND order_id = $2', [customer.id, orderId]);
      return CONFIRM_TRIES - claim[0].wrong - 1;
    }
    const { rowCount } = await tx.query(
      `INSERT INTO customer_orders (order_id, customer_id, placed_at, joined_by) VALUES ($1, $2, $3, 'confirmed') ON CONFLICT (order_id) DO NOTHING`,
      [orderId, customer.id, order.created_at],
    );
    // joined to another account in the meantime (the other contact on the order, proved and confirmed)
    if (!rowCount) throw notFound('order');
    return null;
  });
  if (wrong !== null) {
    // the last try gone: said by its own code, the page then stops offering the order
    const message = wrong > 0 ? `this is not the order's number: ${wrong} more ${wrong === 1 ? 'try' : 'tries'}` : "this is not the order's number: it can no longer be confirmed";
    throw new AppError(422, wrong > 0 ? 'wrong_number' : 'no_more_tries', message, { fields: { number: message } });
  }
}
