// Refunds a manager grants on a paid order (a shop's manager on their shop's orders, head office on
// any): part or all of what is left of the payment, with a reason, once.
//
// The refund is a row first (order_refunds, pending), written with the order locked, so two
// refunds at once cannot give back more than was paid, and a request repeated under the same
// Idempotency-Key answers the same row. Paid online, the money goes back through the payment
// provider: the row's event ('order.refund_requested') has the workers call it, under an idempotency
// key of the row (`refund-<id>`), so however often the job runs the provider refunds it once; its
// answer marks the row done (a payment movement, the order's refunded amount) or failed, with the
// reason, for the manager to see. Paid at the door or the counter, it is cash given back at once.
//
// What a refund may take: what was paid, less what was given back already, less what the workers
// still owe back on their own (an order that shrank or was cancelled after payment: refund_due_cents),
// less refunds still pending. A refund granted lowers what the order is owed (granted_refund_cents),
// so it never reads as money to collect, and a cancel after it gives back only the rest.
import type { OrderView } from '../realtime/contract.ts';
import { DELIVERY_FEE_VAT_RATE, vatBreakdown, type VatLine } from '../domain/vat.ts';
import { grossByRate, proRataByRate, type GrossAtRate, type RefundMethod, type RefundReason } from '../domain/refunds.ts';
import type { RefundRequest } from '../refund-requests.ts';
import { audit } from './audit.ts';
import { transaction, type Db, type Queryable, type Tx } from './db.ts';
import { AppError, conflict, forbidden, invalid, notFound } from './errors.ts';
import { canActOnShop, type StaffActor } from './orders/actors.ts';
import { recordEvent } from './orders/record.ts';
import type { PaymentProvider } from './payments/provider.ts';

export interface RefundView {
  id: number;
  orderId: string;
  amountCents: number;
  reason: RefundReason;
  note: string | null;
  method: RefundMethod;
  lines: { itemId: number; quantity: number; cents: number }[] | null;
  /** What was given back per VAT rate (by the lines chosen, else pro rata of the order). */
  vat: VatLine[];
  status: 'pending' | 'done' | 'failed';
  /** The provider's refusal, for a failed one. */
  failure: string | null;
  by: string;
  createdAt: string;
  settledAt: string | null;
}

interface RefundRow {
  id: string;
  order_id: string;
  amount_cents: number;
  reason: RefundReason;
  note: string | null;
  method: RefundMethod;
  lines: RefundView['lines'];
  vat: GrossAtRate[];
  status: RefundView['status'];
  failure: string | null;
  requested_by_name: string;
  created_at: Date;
  settled_at: Date | null;
  request_hash: string | null;
}

const viewOf = (r: RefundRow): RefundView => ({
  id: Number(r.id),
  orderId: r.order_id,
  amountCents: r.amount_cents,
  reason: r.reason,
  note: r.note,
  method: r.method,
  lines: r.lines,
  vat: vatBreakdown(r.vat),
  status: r.status,
  failure: r.failure,
  by: r.requested_by_name,
  createdAt: r.created_at.toISOString(),
  settledAt: r.settled_at?.toISOString() ?? null,
});

/** Only managers and head office refund; a shop's manager only their shop's orders. */
function checkRefunder(actor: StaffActor, pizzeriaId: number) {
  if (!['manager', 'admin'].includes(actor.role)) throw forbidden('refunds are for managers and head office');
  if (!canActOnShop(actor, pizzeriaId)) throw forbidden('not your shop');
}

interface OrderMoney {
  id: string;
  pizzeria_id: number;
  number: number;
  status: string;
  total_cents: number;
  paid_cents: number;
  refunded_cents: number;
  refund_due_cents: number;
  granted_refund_cents: number;
  discount_cents: number;
  paid_with: 'online' | 'cash' | 'card' | 'phone' | null;
  payment_status: string;
  payment_reference: string | null;
}

/** What the order's lines cost, with what was refunded (or is being) of each already. */
async function linesOf(q: Queryable, orderId: string) {
  const { rows } = await q.query<{ id: number; name: string; quantity: number; unit_price_cents: number; vat_rate: string; refunded: number }>(
    `SELECT i.id, i.name, i.quantity, i.unit_price_cents, i.vat_rate,
       coalesce((SELECT sum((l->>'quantity')::int) FROM order_refunds r, jsonb_array_elements(r.lines) l
                 WHERE r.order_id = i.order_id AND r.status <> 'failed' AND r.lines IS NOT NULL AND (l->>'itemId')::int = i.id), 0)::int AS refunded
     FROM order_items i WHERE i.order_id = $1 ORDER BY i.id`,
    [orderId],
  );
  return rows.map((r) => ({ ...r, vatRate: Number(r.vat_rate) }));
}

/** What the manager may still refund of this order (locked or not): paid, less refunded, owed back by the workers, or pending. */
async function refundableOf(q: Queryable, o: OrderMoney): Promise<number> {
  const { rows } = await q.query<{ pending: number }>(
    `SELECT coalesce(sum(amount_cents), 0)::int AS pending FROM order_refunds WHERE order_id = $1 AND status = 'pending'`,
    [o.id],
  );
  return Math.max(0, o.paid_cents - o.refunded_cents - o.refund_due_cents - rows[0].pending);
}

/** Whether the order's payment can be refunded at all, and how; the reason as an error otherwise. */
function refundWay(o: OrderMoney, asked: RefundMethod | undefined): RefundMethod {
  if (o.paid_cents - o.refunded_cents <= 0) {
    throw conflict(o.paid_cents > 0 ? 'nothing_left' : 'not_paid', o.paid_cents > 0 ? 'everything paid for this order has been refunded already' : 'this order has not been paid: there is nothing to refund');
  }
  if (o.paid_with === 'online') {
    if (o.payment_status === 'authorised') {
      throw conflict('not_captured', 'the card is only held until the kitchen starts the order: change or cancel the order instead, nothing has been charged');
    }
    if (!o.payment_reference) throw conflict('no_provider_payment', 'the provider has no payment for this order');
    if (asked === 'cash') throw conflict('wrong_method', 'paid online: the refund goes back to the card, through the payment provider');
    return 'provider';
  }
  if (asked === 'provider') throw conflict('wrong_method', 'paid at the door or the counter: the refund is cash given back');
  return 'cash';
}

/**
 * What the order was paid per VAT rate: its lines at their rates, the delivery fee at its own, less
 * a promo code's or loyalty points' discount as it was spread over the rates when the order was placed.
 */
async function orderByRate(q: Queryable, o: OrderMoney, lines: Awaited<ReturnType<typeof linesOf>>): Promise<GrossAtRate[]> {
  const items = lines.reduce((s, l) => s + l.unit_price_cents * l.quantity, 0);
  const { rows: discount } = await q.query<{ rate: string; cents: number }>(
    `SELECT d->>'rate' AS rate, (d->>'cents')::int AS cents FROM order_discounts r, jsonb_array_elements(r.by_rate) d WHERE r.order_id = $1`,
    [o.id],
  );
  const byRate = grossByRate([
    ...lines.map((l) => ({ rate: l.vatRate, grossCents: l.unit_price_cents * l.quantity })),
    { rate: DELIVERY_FEE_VAT_RATE, grossCents: Math.max(0, o.total_cents + o.discount_cents - items) },
  ]);
  for (const d of discount) {
    const at = byRate.find((r) => r.rate === Number(d.rate));
    if (at) at.grossCents = Math.max(0, at.grossCents - d.cents);
  }
  return byRate;
}

async function orderMoney(tx: Tx, orderId: string): Promise<OrderMoney> {
  const { rows } = await tx.query<OrderMoney>(
    `SELECT id, pizzeria_id, number, status, total_cents, discount_cents, paid_cents, refunded_cents, refund_due_cents, granted_refund_cents, paid_with, payment_status, payment_reference
     FROM orders WHERE id = $1 FOR UPDATE`,
    [orderId],
  );
  if (!rows[0]) throw notFound('order');
  return rows[0];
}

/** The refund given back: the order's refunded and granted amounts, the row done, and its event (the customer is told). */
async function settle(tx: Tx, o: OrderMoney, row: { id: string; amount_cents: number }, done: { provider: string | null; reference: string | null }): Promise<OrderView> {
  const after = o.refunded_cents + row.amount_cents;
  if (done.provider) {
    await tx.query(
      `INSERT INTO payment_movements (order_id, kind, amount_cents, provider, payment_intent_id, refund_id, detail) VALUES ($1, 'refunded', $2, $3, $4, $5, $6)`,
      [o.id, row.amount_cents, done.provider, o.payment_reference, done.reference, `refund ${row.id} by a manager`],
    );
  }
  await tx.query(
    `UPDATE order_refunds SET status = 'done', settled_at = now(), provider = $2, provider_refund_id = $3, refunded_after_cents = $4 WHERE id = $1`,
    [row.id, done.provider, done.reference, after],
  );
  await tx.query(
    `UPDATE orders SET refunded_cents = refunded_cents + $2, granted_refund_cents = granted_refund_cents + $2, refunded_at = now(), version = version + 1
     WHERE id = $1`,
    [o.id, row.amount_cents],
  );
  return (await recordEvent(tx, o.id, 'order.refund_made', { kind: 'system', name: `refunds:${row.id}` })).order;
}

/**
 * A manager refunds part or all of a paid order. A repeat of the same Idempotency-Key (the same
 * request) answers the refund it made, and moves no money again; the same key for another request
 * is refused. Cash is given back at once; a refund through the provider is pending until the
 * workers have its answer.
 */
export async function requestRefund(
  dbp: Db,
  actor: StaffActor,
  orderId: string,
  request: RefundRequest,
  idempotency: { key: string; requestHash: string } | null,
): Promise<{ refund: RefundView; repeated: boolean; order: OrderView | null }> {
  return transaction(dbp, async (tx) => {
    // the order locked: a second refund of it waits here, then counts this one
    const o = await orderMoney(tx, orderId);
    checkRefunder(actor, o.pizzeria_id);
    if (idempotency) {
      const { rows } = await tx.query<RefundRow>('SELECT * FROM order_refunds WHERE idempotency_key = $1', [idempotency.key]);
      if (rows[0]) {
        if (rows[0].order_id !== orderId || rows[0].request_hash !== idempotency.requestHash) {
          throw conflict('idempotency_key_reused', 'this Idempotency-Key was used for another refund: use a new key for a new refund');
        }
        return { refund: viewOf(rows[0]), repeated: true, order: null };
      }
    }
    const method = refundWay(o, request.method);
    const lines = await linesOf(tx, orderId);
    let amount: number;
    let vat: GrossAtRate[];
    let chosen: RefundView['lines'] = null;
    if (request.lines) {
      chosen = request.lines.map((asked, i) => {
        const line = lines.find((l) => l.id === asked.itemId);
        if (!line) throw invalid({ [`lines.${i}.itemId`]: 'not a line of this order' });
        const left = line.quantity - line.refunded;
        if (asked.quantity > left) {
          throw conflict('line_already_refunded', `${line.name}: ${left} of ${line.quantity} left to refund`, { fields: { [`lines.${i}.quantity`]: `at most ${left}` } });
        }
        return { itemId: line.id, quantity: asked.quantity, cents: line.unit_price_cents * asked.quantity };
      });
      amount = chosen.reduce((s, l) => s + l.cents, 0);
      vat = grossByRate(chosen.map((l) => ({ rate: lines.find((x) => x.id === l.itemId)!.vatRate, grossCents: l.cents })));
      if (amount <= 0) throw conflict('nothing_to_refund', 'these lines cost nothing');
    } else {
      amount = request.amountCents!;
      vat = proRataByRate(amount, await orderByRate(tx, o, lines));
    }
    const refundable = await refundableOf(tx, o);
    if (amount > refundable) {
      throw conflict('over_refundable', `at most ${refundable} cents can still be refunded on this order`, { fields: { amountCents: `at most ${refundable}` } });
    }
    const { rows } = await tx.query<RefundRow>(
      `INSERT INTO order_refunds (order_id, pizzeria_id, amount_cents, reason, note, method, lines, vat, requested_by, requested_by_name, idempotency_key, request_hash)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING *`,
      [orderId, o.pizzeria_id, amount, request.reason, request.note ?? null, method, chosen ? JSON.stringify(chosen) : null, JSON.stringify(vat),
        actor.id, `${actor.name} (${actor.role})`, idempotency?.key ?? null, idempotency?.requestHash ?? null],
    );
    const row = rows[0];
    await audit(tx, actor, {
      action: 'order.refund',
      entity: 'order',
      entityId: orderId,
      pizzeriaId: o.pizzeria_id,
      before: { paidCents: o.paid_cents, refundedCents: o.refunded_cents },
      after: { refundId: Number(row.id), number: o.number, amountCents: amount, reason: request.reason, note: request.note ?? null, method, lines: chosen },
    });
    let order: OrderView;
    if (method === 'cash') {
      order = await settle(tx, o, row, { provider: null, reference: null });
      const { rows: doneRows } = await tx.query<RefundRow>('SELECT * FROM order_refunds WHERE id = $1', [row.id]);
      return { refund: viewOf(doneRows[0]), repeated: false, order };
    }
    await tx.query('UPDATE orders SET version = version + 1 WHERE id = $1', [orderId]);
    order = (await recordEvent(tx, orderId, 'order.refund_requested', actor)).order;
    return { refund: viewOf(row), repeated: false, order };
  });
}

/** An order's refunds by its managers, oldest first (a shop's manager only their shop's). */
export async function refundsOfOrder(q: Queryable, actor: StaffActor, orderId: string): Promise<{ refunds: RefundView[]; paidCents: number; refundedCents: number; refundableCents: number; method: RefundMethod | null; why: string | null }> {
  const { rows: found } = await q.query<OrderMoney>(
    `SELECT id, pizzeria_id, number, status, total_cents, discount_cents, paid_cents, refunded_cents, refund_due_cents, granted_refund_cents, paid_with, payment_status, payment_reference
     FROM orders WHERE id = $1`,
    [orderId],
  );
  const o = found[0];
  if (!o) throw notFound('order');
  checkRefunder(actor, o.pizzeria_id);
  const { rows } = await q.query<RefundRow>('SELECT * FROM order_refunds WHERE order_id = $1 ORDER BY id', [orderId]);
  let method: RefundMethod | null = null;
  let why: string | null = null;
  try {
    method = refundWay(o, undefined);
  } catch (err) {
    if (!(err instanceof AppError)) throw err;
    why = err.code;
  }
  return { refunds: rows.map(viewOf), paidCents: o.paid_cents, refundedCents: o.refunded_cents, refundableCents: method ? await refundableOf(q, o) : 0, method, why };
}

/** What the order's lines are, with how many of each can still be refunded (the manager's page). */
export async function refundableLines(q: Queryable, orderId: string) {
  return (await linesOf(q, orderId)).map((l) => ({ itemId: l.id, name: l.name, quantity: l.quantity, unitCents: l.unit_price_cents, vatRate: l.vatRate, left: Math.max(0, l.quantity - l.refunded) }));
}

/** Orders with a refund through the provider still pending (the reconciler queues their job again). */
export async function ordersWithPendingRefunds(q: Queryable): Promise<{ orderId: string; firstId: number }[]> {
  const { rows } = await q.query<{ order_id: string; first_id: string }>(
    `SELECT order_id, min(id) AS first_id FROM order_refunds WHERE status = 'pending' AND method = 'provider' GROUP BY order_id`,
  );
  return rows.map((r) => ({ orderId: r.order_id, firstId: Number(r.first_id) }));
}

/**
 * The workers give back an order's pending refunds through the provider, oldest first, each under
 * its own idempotency key: a job that runs again (a crash after the provider answered, a retry)
 * gets the refund the first call made, and the row is settled once. A refusal (the provider's own
 * answer, which a retry will not change) marks the row failed with its reason; anything else
 * throws, for the job to try again.
 */
export async function makePendingRefunds(dbp: Db, provider: PaymentProvider, orderId: string): Promise<{ done: number; failed: number }> {
  const { rows } = await dbp.query<{ id: string; amount_cents: number }>(
    `SELECT r.id, r.amount_cents FROM order_refunds r WHERE r.order_id = $1 AND r.status = 'pending' AND r.method = 'provider' ORDER BY r.id`,
    [orderId],
  );
  const { rows: ref } = await dbp.query<{ payment_reference: string | null }>('SELECT payment_reference FROM orders WHERE id = $1', [orderId]);
  const result = { done: 0, failed: 0 };
  for (const r of rows) {
    let answer: { amountCents: number; reference: string } | { refused: string };
    try {
      if (!ref[0]?.payment_reference) throw Object.assign(new Error('the order has no payment at the provider'), { refusal: true });
      answer = await provider.refund({ orderId, amountCents: r.amount_cents, paymentReference: ref[0].payment_reference, idempotencyKey: `refund-${r.id}` });
    } catch (err) {
      if (!provider.isRefusal(err) && !(err as { refusal?: boolean }).refusal) throw err;
      answer = { refused: (err as Error).message || 'refused by the payment provider' };
    }
    await transaction(dbp, async (tx) => {
      const o = await orderMoney(tx, orderId);
      const { rows: still } = await tx.query<{ id: string; amount_cents: number }>(`SELECT id, amount_cents FROM order_refunds WHERE id = $1 AND status = 'pending' FOR UPDATE`, [r.id]);
      if (!still[0]) return;
      if ('refused' in answer) {
        await tx.query(`UPDATE order_refunds SET status = 'failed', settled_at = now(), provider = $2, failure = $3 WHERE id = $1`, [r.id, provider.name, answer.refused.slice(0, 500)]);
        await tx.query('UPDATE orders SET version = version + 1 WHERE id = $1', [orderId]);
        await recordEvent(tx, orderId, 'order.modified', { kind: 'system', name: `refunds:${r.id}` });
        result.failed += 1;
        return;
      }
      await settle(tx, o, still[0], { provider: provider.name, reference: answer.reference });
      result.done += 1;
    });
  }
  return result;
}

/** A done refund of the order by its amount refunded after it (the customer's message names the amount and the reason). */
export async function refundForMessage(q: Queryable, orderId: string, refundedAfterCents: number): Promise<{ amountCents: number; reason: RefundReason; method: RefundMethod } | null> {
  const { rows } = await q.query(
    `SELECT amount_cents, reason, method FROM order_refunds WHERE order_id = $1 AND status = 'done' AND refunded_after_cents = $2 ORDER BY id DESC LIMIT 1`,
    [orderId, refundedAfterCents],
  );
  return rows[0] ? { amountCents: rows[0].amount_cents, reason: rows[0].reason, method: rows[0].method } : null;
}

/** The order's refunds done, for its receipt. */
export async function doneRefunds(q: Queryable, orderId: string): Promise<{ at: string; reason: RefundReason; amountCents: number; method: RefundMethod }[]> {
  const { rows } = await q.query(
    `SELECT settled_at, reason, amount_cents, method FROM order_refunds WHERE order_id = $1 AND status = 'done' ORDER BY settled_at, id`,
    [orderId],
  );
  return rows.map((r) => ({ at: r.settled_at.toISOString(), reason: r.reason, amountCents: r.amount_cents, method: r.method }));
}

/** The refunds granted on the shops' orders of a business day, by shop, with their gross per VAT rate. */
export async function refundsOfDay(q: Queryable, pizzeriaIds: number[], day: string): Promise<{ pizzeria_id: number; amount_cents: number; reason: RefundReason; vat: GrossAtRate[] }[]> {
  const { rows } = await q.query(
    `SELECT r.pizzeria_id, r.amount_cents, r.reason, r.vat FROM order_refunds r JOIN orders o ON o.id = r.order_id
     WHERE r.status = 'done' AND o.pizzeria_id = ANY($1) AND o.business_day = $2::date`,
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
  totalCents: number;
  paidCents: number;
  refundedCents: number;
  paidWith: string | null;
  createdAt: string;
}

/** The orders of a business day in the manager's shops (head office: every shop), newest first; one number when given. */
export async function ordersOfDay(q: Queryable, actor: StaffActor, day: string, number?: number): Promise<OrderOfDay[]> {
  if (!['manager', 'admin'].includes(actor.role)) throw forbidden('for managers and head office');
  const { rows } = await q.query(
    `SELECT o.id, o.number, p.name AS shop, o.customer_name, o.status, o.fulfilment, o.total_cents, o.paid_cents, o.refunded_cents, o.paid_with, o.created_at
     FROM orders o JOIN pizzerias p ON p.id = o.pizzeria_id
     WHERE o.business_day = $1::date AND ($2::int IS NULL OR o.pizzeria_id = $2) AND ($3::int IS NULL OR o.number = $3)
       AND o.status <> 'pending_payment'
     ORDER BY o.created_at DESC LIMIT 300`,
    [day, actor.role === 'admin' ? null : actor.pizzeriaId, number ?? null],
  );
  return rows.map((r) => ({
    id: r.id, number: r.number, shop: r.shop, customer: r.customer_name, status: r.status, fulfilment: r.fulfilment,
    totalCents: r.total_cents, paidCents: r.paid_cents, refundedCents: r.refunded_cents, paidWith: r.paid_with, createdAt: r.created_at.toISOString(),
  }));
}
