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
// An order paid in two ways (online, then what it grew by collected at the counter or the door) is
// refunded the way each part came, each part at most what it took: one request makes a row per way
// (the card's part first, then the shop's, unless the manager names one way), under one key.
//
// A line refunded gives back what was paid for it: its price less its share of the order's discount
// (a promo code's, spread over the lines of each VAT rate as it was over the rates; points' is the
// free pizza's alone), so the VAT it gives back never exceeds what the rate sold. Points spent come
// back when the line they bought is refunded (src/lib/server/loyalty.ts), never by an amount.
//
// What a refund may take: what was paid, less what was given back already, less what the workers
// still owe back on their own (an order that shrank or was cancelled after payment: refund_due_cents),
// less refunds still pending. A refund granted lowers what the order is owed (granted_refund_cents),
// so it never reads as money to collect, and a cancel after it gives back only the rest.
import type { OrderView } from '../realtime/contract.ts';
import { DELIVERY_FEE_VAT_RATE, vatBreakdown, type VatLine } from '../domain/vat.ts';
import { grossByRate, paidByLine, proRataByRate, unitsRefundCents, type GrossAtRate, type RefundMethod, type RefundReason } from '../domain/refunds.ts';
import { splitPayment, type PaymentWay } from '../domain/payment-split.ts';
import type { RefundRequest } from '../refund-requests.ts';
import { audit } from './audit.ts';
import { transaction, type Db, type Queryable, type Tx } from './db.ts';
import { AppError, conflict, forbidden, invalid, notFound } from './errors.ts';
import { canActOnShop, type StaffActor } from './orders/actors.ts';
import { recordEvent } from './orders/record.ts';
import { returnPointsOfRefundedReward } from './loyalty.ts';
import type { PaymentProvider } from './payments/provider.ts';

export interface RefundView {
  id: number;
  orderId: string;
  amountCents: number;
  reason: RefundReason;
  note: string | null;
  method: RefundMethod;
  /** The lines chosen, with what they give back (on the first row of a request made in two ways). */
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
  collected_cents: number | null;
  collected_method: 'cash' | 'card' | null;
}

const ORDER_MONEY = `id, pizzeria_id, number, status, total_cents, discount_cents, paid_cents, refunded_cents, refund_due_cents, granted_refund_cents,
  paid_with, payment_status, payment_reference, collected_cents, collected_method`;

/**
 * What the order's lines cost, with what was refunded (or is being) of each already. A request made
 * in two ways keeps its lines on its first row: they stay refunded while either of its rows is not failed.
 */
async function linesOf(q: Queryable, orderId: string) {
  const { rows } = await q.query<{ id: number; name: string; quantity: number; unit_price_cents: number; vat_rate: string; refunded: number }>(
    `SELECT i.id, i.name, i.quantity, i.unit_price_cents, i.vat_rate,
       coalesce((SELECT sum((l->>'quantity')::int) FROM order_refunds r, jsonb_array_elements(r.lines) l
                 WHERE r.order_id = i.order_id AND r.lines IS NOT NULL AND (l->>'itemId')::int = i.id
                   AND (r.status <> 'failed' OR EXISTS (SELECT 1 FROM order_refunds s WHERE s.order_id = r.order_id AND s.idempotency_key = r.idempotency_key
                                                         AND s.id <> r.id AND s.status <> 'failed'))), 0)::int AS refunded
     FROM order_items i WHERE i.order_id = $1 ORDER BY i.id`,
    [orderId],
  );
  return rows.map((r) => ({ ...r, vatRate: Number(r.vat_rate) }));
}

/** The order's discount per VAT rate, and the line points bought (the free pizza), if any. */
async function discountOfOrder(q: Queryable, orderId: string): Promise<{ byRate: { rate: number; cents: number }[]; rewardItemId: number | null }> {
  const { rows } = await q.query<{ rate: string; cents: number; reward_item: number | null }>(
    `SELECT d->>'rate' AS rate, (d->>'cents')::int AS cents, (SELECT l.item_id FROM loyalty_redemptions l WHERE l.order_id = r.order_id) AS reward_item
     FROM order_discounts r, jsonb_array_elements(r.by_rate) d WHERE r.order_id = $1`,
    [orderId],
  );
  return { byRate: rows.map((r) => ({ rate: Number(r.rate), cents: r.cents })), rewardItemId: rows[0]?.reward_item ?? null };
}

/** What each line was paid after the order's discount. */
async function paidOfLines(q: Queryable, orderId: string, lines: Awaited<ReturnType<typeof linesOf>>) {
  const discount = await discountOfOrder(q, orderId);
  const paid = paidByLine(lines.map((l) => ({ itemId: l.id, rate: l.vatRate, grossCents: l.unit_price_cents * l.quantity })), discount.byRate, discount.rewardItemId);
  return { paid, rewardItemId: discount.rewardItemId };
}

/** Why a part of a payment cannot be refunded, as the manager's page and the API say it. */
const CANNOT = {
  not_captured: 'the card is only held until the kitchen starts the order: change or cancel the order instead, nothing has been charged',
  no_provider_payment: 'the provider has no payment for this order',
} as const;
type Cannot = keyof typeof CANNOT;

/** A part of what the order was paid, by how it goes back: what it took, what went back of it, and what is left to refund. */
export interface RefundPart {
  method: RefundMethod;
  /** How it was taken (online, cash at the counter, card at the door…). */
  way: PaymentWay;
  paidCents: number;
  refundedCents: number;
  refundableCents: number;
  /** Why this part cannot be refunded now (then nothing of it is refundable). */
  why: Cannot | null;
}

/** Nothing was paid, or everything paid went back already: the reason as an error. */
function checkPaid(o: OrderMoney): void {
  if (o.paid_cents - o.refunded_cents <= 0) {
    throw conflict(o.paid_cents > 0 ? 'nothing_left' : 'not_paid', o.paid_cents > 0 ? 'everything paid for this order has been refunded already' : 'this order has not been paid: there is nothing to refund');
  }
}

/**
 * The parts of the order's payment (locked or not), the card's first: paid online, what the provider
 * took (less what went back through it, what the workers still owe back, and refunds pending); and
 * what the counter or the driver collected on top, given back in cash. Paid at the shop only: one
 * part, given back in cash.
 */
async function partsOf(q: Queryable, o: OrderMoney): Promise<RefundPart[]> {
  const { rows } = await q.query<{ method: RefundMethod; done: number; pending: number }>(
    `SELECT method, coalesce(sum(amount_cents) FILTER (WHERE status = 'done'), 0)::int AS done, coalesce(sum(amount_cents) FILTER (WHERE status = 'pending'), 0)::int AS pending
     FROM order_refunds WHERE order_id = $1 GROUP BY method`,
    [o.id],
  );
  const of = (m: RefundMethod) => rows.find((r) => r.method === m) ?? { done: 0, pending: 0 };
  const split = splitPayment({ status: o.status, paidCents: o.paid_cents, paidWith: o.paid_with, collectedCents: o.collected_cents, collectedMethod: o.collected_method });
  if (o.paid_with !== 'online') {
    const pending = of('cash').pending + of('provider').pending;
    return [{
      method: 'cash', way: split[0]?.way ?? 'unrecorded', paidCents: o.paid_cents, refundedCents: o.refunded_cents,
      refundableCents: Math.max(0, o.paid_cents - o.refunded_cents - o.refund_due_cents - pending), why: null,
    }];
  }
  const online = split.find((p) => p.way === 'online')?.amountCents ?? 0;
  const shop = split.filter((p) => p.way !== 'online');
  const shopPaid = shop.reduce((s, p) => s + p.amountCents, 0);
  const cash = of('cash');
  // what went back of the card's part: everything refunded but the cash given back
  const providerBack = Math.max(0, o.refunded_cents - cash.done);
  const why: Cannot | null = o.payment_status === 'authorised' ? 'not_captured' : !o.payment_reference ? 'no_provider_payment' : null;
  const parts: RefundPart[] = [{
    method: 'provider', way: 'online', paidCents: online, refundedCents: Math.min(online, providerBack), why,
    refundableCents: why ? 0 : Math.max(0, online - providerBack - o.refund_due_cents - of('provider').pending),
  }];
  if (shopPaid > 0) {
    parts.push({ method: 'cash', way: shop[0].way, paidCents: shopPaid, refundedCents: cash.done, refundableCents: Math.max(0, shopPaid - cash.done - cash.pending), why: null });
  }
  return parts;
}

const refundableOfParts = (parts: readonly RefundPart[]) => parts.reduce((s, p) => s + p.refundableCents, 0);

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

/**
 * What is left of the order per VAT rate: what it was paid at each, less what its refunds (done or
 * pending) gave back at each. An amount refunded after a line is shared over what is left, so no
 * rate gives back more than it sold.
 */
async function leftByRate(q: Queryable, o: OrderMoney, lines: Awaited<ReturnType<typeof linesOf>>): Promise<GrossAtRate[]> {
  const byRate = await orderByRate(q, o, lines);
  const { rows } = await q.query<{ rate: string; cents: number }>(
    `SELECT v->>'rate' AS rate, sum((v->>'grossCents')::int)::int AS cents FROM order_refunds r, jsonb_array_elements(r.vat) v
     WHERE r.order_id = $1 AND r.status <> 'failed' GROUP BY 1`,
    [o.id],
  );
  for (const r of rows) {
    const at = byRate.find((b) => b.rate === Number(r.rate));
    if (at) at.grossCents = Math.max(0, at.grossCents - r.cents);
  }
  return byRate;
}

async function orderMoney(tx: Tx, orderId: string): Promise<OrderMoney> {
  const { rows } = await tx.query<OrderMoney>(
    `SELECT ${ORDER_MONEY} FROM orders WHERE id = $1 FOR UPDATE`,
    [orderId],
  );
  if (!rows[0]) throw notFound('order');
  return rows[0];
}

/**
 * The refund given back: the order's refunded and granted amounts, the row done, and its event (the
 * customer is told; a refund of nothing but a free pizza moves no money and tells nothing), and the
 * points spent given back if the line they bought is now refunded whole.
 */
async function settle(tx: Tx, o: OrderMoney, row: { id: string; amount_cents: number }, done: { provider: string | null; reference: string | null }): Promise<OrderView> {
  if (done.provider) {
    await tx.query(
      `INSERT INTO payment_movements (order_id, kind, amount_cents, provider, payment_intent_id, refund_id, detail) VALUES ($1, 'refunded', $2, $3, $4, $5, $6)`,
      [o.id, row.amount_cents, done.provider, o.payment_reference, done.reference, `refund ${row.id} by a manager`],
    );
  }
  // the order's own count, not the one read before: a request in two ways settles its cash row now, its card row later
  const { rows: after } = await tx.query<{ refunded_cents: number }>(
    `UPDATE orders SET refunded_cents = refunded_cents + $2, granted_refund_cents = granted_refund_cents + $2,
       refunded_at = CASE WHEN $2 > 0 THEN now() ELSE refunded_at END, version = version + 1
     WHERE id = $1 RETURNING refunded_cents`,
    [o.id, row.amount_cents],
  );
  await tx.query(
    `UPDATE order_refunds SET status = 'done', settled_at = now(), provider = $2, provider_refund_id = $3, refunded_after_cents = $4 WHERE id = $1`,
    [row.id, done.provider, done.reference, after[0].refunded_cents],
  );
  await returnPointsOfRefundedReward(tx, o.id);
  return (await recordEvent(tx, o.id, row.amount_cents > 0 ? 'order.refund_made' : 'order.modified', { kind: 'system', name: `refunds:${row.id}` })).order;
}

/** A request's amount shared between the ways it goes back, with its VAT shared the same way (adding up per rate). */
function shareVat(vat: GrossAtRate[], shares: number[]): GrossAtRate[][] {
  const left = new Map(vat.map((v) => [v.rate, v.grossCents]));
  return shares.map((cents, i) => {
    if (i === shares.length - 1) return [...left].filter(([, g]) => g > 0).map(([rate, grossCents]) => ({ rate, grossCents }));
    const part = proRataByRate(cents, [...left].map(([rate, grossCents]) => ({ rate, grossCents })));
    for (const p of part) left.set(p.rate, left.get(p.rate)! - p.grossCents);
    return part;
  });
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
): Promise<{ refund: RefundView; refunds: RefundView[]; repeated: boolean; order: OrderView | null }> {
  return transaction(dbp, async (tx) => {
    // the order locked: a second refund of it waits here, then counts this one
    const o = await orderMoney(tx, orderId);
    checkRefunder(actor, o.pizzeria_id);
    if (idempotency) {
      const { rows } = await tx.query<RefundRow>('SELECT * FROM order_refunds WHERE idempotency_key = $1 ORDER BY id', [idempotency.key]);
      if (rows[0]) {
        if (rows[0].order_id !== orderId || rows[0].request_hash !== idempotency.requestHash) {
          throw conflict('idempotency_key_reused', 'this Idempotency-Key was used for another refund: use a new key for a new refund');
        }
        return { refund: viewOf(rows[0]), refunds: rows.map(viewOf), repeated: true, order: null };
      }
    }
    // lines that cost nothing but the free pizza give back its points: possible once the order was handed over, whatever is left of its money
    if (!request.lines || !['delivered', 'collected'].includes(o.status)) checkPaid(o);
    const parts = o.paid_cents > 0 ? await partsOf(tx, o) : [];
    const lines = await linesOf(tx, orderId);
    let amount: number;
    let vat: GrossAtRate[];
    let chosen: RefundView['lines'] = null;
    if (request.lines) {
      const { paid, rewardItemId } = await paidOfLines(tx, orderId, lines);
      chosen = request.lines.map((asked, i) => {
        const line = lines.find((l) => l.id === asked.itemId);
        if (!line) throw invalid({ [`lines.${i}.itemId`]: 'not a line of this order' });
        const left = line.quantity - line.refunded;
        if (asked.quantity > left) {
          throw conflict('line_already_refunded', `${line.name}: ${left} of ${line.quantity} left to refund`, { fields: { [`lines.${i}.quantity`]: `at most ${left}` } });
        }
        // what was paid for these units, after the order's discount
        return { itemId: line.id, quantity: asked.quantity, cents: unitsRefundCents(paid.get(line.id)!, line.quantity, line.refunded, asked.quantity) };
      });
      amount = chosen.reduce((s, l) => s + l.cents, 0);
      vat = grossByRate(chosen.map((l) => ({ rate: lines.find((x) => x.id === l.itemId)!.vatRate, grossCents: l.cents })));
      // a free pizza refunded gives back its points, and no money
      if (amount <= 0 && !chosen.some((l) => l.itemId === rewardItemId)) throw conflict('nothing_to_refund', 'these lines cost nothing after the order\'s discount');
      if (amount > 0) checkPaid(o);
    } else {
      amount = request.amountCents!;
      vat = proRataByRate(amount, await leftByRate(tx, o, lines));
    }
    const plan = amount > 0 ? planParts(o, parts, amount, request.method) : [{ method: parts.find((p) => !p.why)?.method ?? ('cash' as const), cents: 0 }];
    const made: RefundRow[] = [];
    const shares = shareVat(vat, plan.map((p) => p.cents));
    for (const [i, p] of plan.entries()) {
      const { rows } = await tx.query<RefundRow>(
        `INSERT INTO order_refunds (order_id, pizzeria_id, amount_cents, reason, note, method, lines, vat, requested_by, requested_by_name, idempotency_key, request_hash)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING *`,
        [orderId, o.pizzeria_id, p.cents, request.reason, request.note ?? null, p.method, chosen && i === 0 ? JSON.stringify(chosen) : null, JSON.stringify(shares[i]),
          actor.id, `${actor.name} (${actor.role})`, idempotency?.key ?? null, idempotency?.requestHash ?? null],
      );
      made.push(rows[0]);
    }
    await audit(tx, actor, {
      action: 'order.refund',
      entity: 'order',
      entityId: orderId,
      pizzeriaId: o.pizzeria_id,
      before: { paidCents: o.paid_cents, refundedCents: o.refunded_cents },
      after: {
        refundId: Number(made[0].id), number: o.number, amountCents: amount, reason: request.reason, note: request.note ?? null, method: made[0].method, lines: chosen,
        parts: made.map((r) => ({ refundId: Number(r.id), method: r.method, amountCents: r.amount_cents })),
      },
    });
    let order: OrderView | null = null;
    // cash is given back now, and so is a free pizza (no money moves); the card's part waits for the provider
    for (const row of made) if (row.method === 'cash' || row.amount_cents === 0) order = await settle(tx, o, row, { provider: null, reference: null });
    if (made.some((r) => r.method === 'provider' && r.amount_cents > 0)) {
      await tx.query('UPDATE orders SET version = version + 1 WHERE id = $1', [orderId]);
      order = (await recordEvent(tx, orderId, 'order.refund_requested', actor)).order;
    }
    const { rows: now } = await tx.query<RefundRow>('SELECT * FROM order_refunds WHERE id = ANY($1) ORDER BY id', [made.map((r) => r.id)]);
    return { refund: viewOf(now[0]), refunds: now.map(viewOf), repeated: false, order };
  });
}

/**
 * How a refund of `amount` goes back: by the way asked (that part alone, at most what is left of it),
 * or, none asked, the card's part first, then the shop's. Refused with the reason when it cannot.
 */
function planParts(o: OrderMoney, parts: readonly RefundPart[], amount: number, asked: RefundMethod | undefined): { method: RefundMethod; cents: number }[] {
  if (asked) {
    const part = parts.find((p) => p.method === asked);
    if (!part) {
      throw conflict('wrong_method', o.paid_with === 'online' ? 'paid online: the refund goes back to the card, through the payment provider' : 'paid at the door or the counter: the refund is cash given back', { fields: { method: `not paid this way` } });
    }
    if (part.why) throw conflict(part.why, CANNOT[part.why]);
    if (amount > part.refundableCents) {
      throw conflict('over_refundable', `at most ${part.refundableCents} cents can still be refunded this way on this order`, { fields: { amountCents: `at most ${part.refundableCents}` } });
    }
    return [{ method: asked, cents: amount }];
  }
  const usable = parts.filter((p) => !p.why);
  if (!usable.length) throw conflict(parts[0].why!, CANNOT[parts[0].why!]);
  const refundable = refundableOfParts(usable);
  if (amount > refundable) {
    throw conflict('over_refundable', `at most ${refundable} cents can still be refunded on this order`, { fields: { amountCents: `at most ${refundable}` } });
  }
  const plan: { method: RefundMethod; cents: number }[] = [];
  let left = amount;
  for (const p of usable) {
    const cents = Math.min(left, p.refundableCents);
    if (cents > 0) plan.push({ method: p.method, cents });
    left -= cents;
  }
  return plan;
}

/** An order's refunds by its managers, oldest first (a shop's manager only their shop's). */
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
