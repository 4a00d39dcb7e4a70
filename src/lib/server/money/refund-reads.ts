// Refunds as the pages, the customer's messages, the receipt and the takings read them, and the
// orders of a day a manager looks through to refund one.
import { unitsRefundCents, type GrossAtRate, type RefundMethod, type RefundReason } from '../../domain/refunds.ts';
import type { Queryable } from '../kernel/db.ts';
import { AppError, conflict, forbidden, notFound } from '../kernel/errors.ts';
import type { StaffActor } from '../kernel/actors.ts';
import { can, may, runsChain } from '../../domain/permissions.ts';
import { CANNOT, checkPaid, checkRefunder, linesOf, ORDER_MONEY, type OrderMoney, paidOfLines, partsOf, refundableOfParts, type RefundPart, type RefundRow, type RefundView, viewOf } from './refund-parts.ts';

/**
 * An order's refunds and what is left to refund: in all, and per part of its payment (`parts`: an
 * order paid in two ways has two, each refunded its own way); `method` is how a refund goes back
 * when the manager names no way (the first part with something left), `why` why nothing can be.
 */
export async function refundsOfOrder(q: Queryable, actor: StaffActor, orderId: string): Promise<{
  refunds: RefundView[]; paidCents: number; refundedCents: number; refundableCents: number; method: RefundMethod | null; why: string | null; parts: RefundPart[];
}> {
  const { rows: found } = await q.query<OrderMoney>(`SELECT ${ORDER_MONEY} FROM orders WHERE id = $1`, [orderId]);
  const o = found[0];
  if (!o) throw notFound('order');
  checkRefunder(actor, o.pizzeria_id);
  const { rows } = await q.query<RefundRow>('SELECT * FROM order_refunds WHERE order_id = $1 ORDER BY id', [orderId]);
  const parts = o.paid_cents > 0 ? await partsOf(q, o) : [];
  let method: RefundMethod | null = null;
  let why: string | null = null;
  try {
    checkPaid(o);
    const usable = parts.filter((p) => !p.why);
    if (!usable.length) throw conflict(parts[0].why!, CANNOT[parts[0].why!]);
    method = (usable.find((p) => p.refundableCents > 0) ?? usable[0]).method;
  } catch (err) {
    if (!(err instanceof AppError)) throw err;
    why = err.code;
  }
  return { refunds: rows.map(viewOf), paidCents: o.paid_cents, refundedCents: o.refunded_cents, refundableCents: method ? refundableOfParts(parts.filter((p) => !p.why)) : 0, method, why, parts };
}

/**
 * What the order's lines are, with how many of each can still be refunded (the manager's page), what
 * each was paid after the order's discount, what its next unit gives back, and the free pizza.
 */
export async function refundableLines(q: Queryable, orderId: string) {
  const lines = await linesOf(q, orderId);
  const { paid, rewardItemId } = await paidOfLines(q, orderId, lines);
  return lines.map((l) => ({
    itemId: l.id, name: l.name, quantity: l.quantity, unitCents: l.unit_price_cents, vatRate: l.vatRate, left: Math.max(0, l.quantity - l.refunded),
    paidCents: paid.get(l.id)!, nextUnitCents: l.refunded < l.quantity ? unitsRefundCents(paid.get(l.id)!, l.quantity, l.refunded, 1) : 0, freeWithPoints: l.id === rewardItemId,
  }));
}

/** A done refund of the order by its amount refunded after it (the customer's message names the amount and the reason). */
export async function refundForMessage(q: Queryable, orderId: string, refundedAfterCents: number): Promise<{ amountCents: number; reason: RefundReason; method: RefundMethod } | null> {
  const { rows } = await q.query(
    `SELECT amount_cents, reason, method FROM order_refunds WHERE order_id = $1 AND status = 'done' AND refunded_after_cents = $2 ORDER BY id DESC LIMIT 1`,
    [orderId, refundedAfterCents],
  );
  return rows[0] ? { amountCents: rows[0].amount_cents, reason: rows[0].reason, method: rows[0].method } : null;
}

/** The order's refunds done that gave money back, for its receipt (a free pizza refunded gave back points, not money). */
export async function doneRefunds(q: Queryable, orderId: string): Promise<{ at: string; reason: RefundReason; amountCents: number; method: RefundMethod }[]> {
  const { rows } = await q.query(
    `SELECT settled_at, reason, amount_cents, method FROM order_refunds WHERE order_id = $1 AND status = 'done' AND amount_cents > 0 ORDER BY settled_at, id`,
    [orderId],
  );
  return rows.map((r) => ({ at: r.settled_at.toISOString(), reason: r.reason, amountCents: r.amount_cents, method: r.method }));
}

/** The refunds granted on the shops' orders of a business day, by shop, with their gross per VAT rate (those that gave money back). */
export async function refundsOfDay(q: Queryable, pizzeriaIds: number[], day: string): Promise<{ pizzeria_id: number; amount_cents: number; reason: RefundReason; vat: GrossAtRate[] }[]> {
  const { rows } = await q.query(
    `SELECT r.pizzeria_id, r.amount_cents, r.reason, r.vat FROM order_refunds r JOIN orders o ON o.id = r.order_id
     WHERE r.status = 'done' AND r.amount_cents > 0 AND o.pizzeria_id = ANY($1) AND o.business_day = $2::date`,
    [pizzeriaIds, day],
  );
  return rows;
}

export interface OrderOfDay {
  id: string;
  number: number;
  shop: string;
  customer: string;
  status: string;
  fulfilment: string;
  /** A delivery platform's order: which platform, and its short code there (its badge). */
  marketplace: { id: string; code: string | null } | null;
  totalCents: number;
  paidCents: number;
  refundedCents: number;
  paidWith: string | null;
  createdAt: string;
}

/** The orders of a business day in the manager's shops (head office: every shop), newest first; one number when given. */
export async function ordersOfDay(q: Queryable, actor: StaffActor, day: string, number?: number): Promise<OrderOfDay[]> {
  if (!may(actor.role, can.runShop)) throw forbidden('for managers and head office');
  const { rows } = await q.query(
    `SELECT o.id, o.number, p.name AS shop, o.customer_name, o.status, o.fulfilment, o.total_cents, o.paid_cents, o.refunded_cents, o.paid_with, o.created_at,
            o.marketplace, o.external_code
     FROM orders o JOIN pizzerias p ON p.id = o.pizzeria_id
     WHERE o.business_day = $1::date AND ($2::int IS NULL OR o.pizzeria_id = $2) AND ($3::int IS NULL OR o.number = $3)
       AND o.status <> 'pending_payment'
     ORDER BY o.created_at DESC LIMIT 300`,
    [day, runsChain(actor) ? null : actor.pizzeriaId, number ?? null],
  );
  return rows.map((r) => ({
    id: r.id, number: r.number, shop: r.shop, customer: r.customer_name, status: r.status, fulfilment: r.fulfilment,
    marketplace: r.marketplace ? { id: r.marketplace, code: r.external_code } : null,
    totalCents: r.total_cents, paidCents: r.paid_cents, refundedCents: r.refunded_cents, paidWith: r.paid_with, createdAt: r.created_at.toISOString(),
  }));
}
