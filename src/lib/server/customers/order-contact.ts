// The customer's contact on a manager's page of one order: the name, phone and email the order was
// placed with, for its shop's managers and head office (who call a customer back about a refund, a
// late delivery or a low rating). Every reading leaves its trace in the audit log in the same
// transaction, as the counter's caller lookups do (callers.ts): no contact without its trace, and
// the trace holds the contact masked, never in clear.
import { canActOnShop, type StaffActor } from '../../domain/actors.ts';
import { can, may } from '../../domain/permissions.ts';
import { audit } from '../kernel/audit.ts';
import { maskedPhone } from './callers.ts';
import { transaction, type Db } from '../kernel/db.ts';
import { forbidden, notFound } from '../kernel/errors.ts';

export interface OrderContact {
  name: string;
  /** As the customer gave it (null: none, or erased with their account). */
  phone: string | null;
  email: string | null;
}

/** "lina.morel@example.test" → "l•••@example.test": enough to tell readings apart, not to write to. */
export function maskedEmail(email: string): string {
  const at = email.lastIndexOf('@');
  return at > 0 ? `${email[0]}•••${email.slice(at)}` : '•••';
}

/** The order's contact as a manager of its shop (or head office) reads it, with its trace in the audit log. */
export async function orderContact(db: Db, actor: StaffActor, orderId: string): Promise<OrderContact> {
  if (!may(actor.role, can.runShop)) throw forbidden();
  return transaction(db, async (tx) => {
    const { rows } = await tx.query<{ pizzeria_id: number; number: number; name: string; phone: string | null; phone_key: string | null; email: string | null }>(
      `SELECT pizzeria_id, number, customer_name AS name, nullif(customer_phone, '') AS phone, phone_key, nullif(customer_email, '') AS email
         FROM orders WHERE id = $1`,
      [orderId],
    );
    const o = rows[0];
    if (!o) throw notFound('order');
    if (!canActOnShop(actor, o.pizzeria_id)) throw forbidden('not your shop');
    await audit(tx, actor, {
      action: 'order.contact_viewed',
      entity: 'order',
      entityId: orderId,
      pizzeriaId: o.pizzeria_id,
      before: null,
      after: {
        number: o.number,
        phone: o.phone ? (o.phone_key ? maskedPhone(o.phone_key) : '•••') : null,
        email: o.email ? maskedEmail(o.email) : null,
      },
    });
    return { name: o.name, phone: o.phone, email: o.email };
  });
}
