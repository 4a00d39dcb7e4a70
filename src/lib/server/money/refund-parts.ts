// What an order's refunds may take, and how: the parts of its payment by the way each goes back,
// what each line was paid, and what is left at each VAT rate.
//
// A line refunded gives back what was paid for it: its price less its share of the order's discount
// (a promo code's, spread over the lines of each VAT rate as it was over the rates; points' is the
// free pizza's alone), so the VAT it gives back never exceeds what the rate sold. Points spent come
// back when the line they bought is refunded (src/lib/server/offers/loyalty.ts), never by an amount.
//
// What a refund may take: what was paid, less what was given back already, less what the workers
// still owe back on their own (an order that shrank or was cancelled after payment: refund_due_cents),
// less refunds still pending. A refund granted lowers what the order is owed (granted_refund_cents),
// so it never reads as money to collect, and a cancel after it gives back only the rest.
import { DELIVERY_FEE_VAT_RATE, vatBreakdown, type VatLine } from '../../domain/vat.ts';
import { grossByRate, paidByLine, type GrossAtRate, type RefundMethod, type RefundReason } from '../../domain/refunds.ts';
import { MEAL_VOUCHER_WAYS, voucherPart } from '../../domain/meal-vouchers.ts';
import { PROVIDER_SHOP_WAYS, splitPayment, type CollectedMethod, type PaymentWay } from '../../domain/payment-split.ts';
import type { Queryable, Tx } from '../kernel/db.ts';
import { conflict, forbidden, notFound } from '../kernel/errors.ts';
import { canActOnShop, type StaffActor } from '../kernel/actors.ts';
import { can, may } from '../../domain/permissions.ts';

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

export interface RefundRow {
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

export const viewOf = (r: RefundRow): RefundView => ({
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
export function checkRefunder(actor: StaffActor, pizzeriaId: number) {
  if (!may(actor.role, can.runShop)) throw forbidden('refunds are for managers and head office');
  if (!canActOnShop(actor, pizzeriaId)) throw forbidden('not your shop');
}

export interface OrderMoney {
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
  collected_method: CollectedMethod | null;
  meal_voucher_cents: number;
  meal_voucher_issuer: string | null;
}

export const ORDER_MONEY = `id, pizzeria_id, number, status, total_cents, discount_cents, paid_cents, refunded_cents, refund_due_cents, granted_refund_cents,
  paid_with, payment_status, payment_reference, collected_cents, collected_method, meal_voucher_cents, meal_voucher_issuer`;

export async function orderMoney(tx: Tx, orderId: string): Promise<OrderMoney> {
  const { rows } = await tx.query<OrderMoney>(
    `SELECT ${ORDER_MONEY} FROM orders WHERE id = $1 FOR UPDATE`,
    [orderId],
  );
  if (!rows[0]) throw notFound('order');
  return rows[0];
}

/**
 * What the order's lines cost, with what was refunded (or is being) of each already. A request made
 * in two ways keeps its lines on its first row: they stay refunded while either of its rows is not failed.
 */
export async function linesOf(q: Queryable, orderId: string) {
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
export async function paidOfLines(q: Queryable, orderId: string, lines: Awaited<ReturnType<typeof linesOf>>) {
  const discount = await discountOfOrder(q, orderId);
  const paid = paidByLine(lines.map((l) => ({ itemId: l.id, rate: l.vatRate, grossCents: l.unit_price_cents * l.quantity })), discount.byRate, discount.rewardItemId);
  return { paid, rewardItemId: discount.rewardItemId };
}

/** Why a part of a payment cannot be refunded, as the manager's page and the API say it. */
export const CANNOT = {
  not_captured: 'the card is only held until the kitchen starts the order: change or cancel the order instead, nothing has been charged',
  no_provider_payment: 'the provider has no payment for this order',
  meal_voucher: 'paid by titre-restaurant: the issuers take no refunds on the card (Stripe: none for meal vouchers), so this part is not given back through the product; if the customer is owed it, settle it with them another way (cash from the till, a credit on their next order)',
} as const;

export type Cannot = keyof typeof CANNOT;

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
export function checkPaid(o: OrderMoney): void {
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
export async function partsOf(q: Queryable, o: OrderMoney): Promise<RefundPart[]> {
  const { rows } = await q.query<{ method: RefundMethod; done: number; pending: number }>(
    `SELECT method, coalesce(sum(amount_cents) FILTER (WHERE status = 'done'), 0)::int AS done, coalesce(sum(amount_cents) FILTER (WHERE status = 'pending'), 0)::int AS pending
     FROM order_refunds WHERE order_id = $1 GROUP BY method`,
    [o.id],
  );
  const of = (m: RefundMethod) => rows.find((r) => r.method === m) ?? { done: 0, pending: 0 };
  const all = splitPayment({ status: o.status, paidCents: o.paid_cents, paidWith: o.paid_with, collectedCents: o.collected_cents, collectedMethod: o.collected_method, voucher: voucherPart(o.meal_voucher_cents, o.meal_voucher_issuer) });
  // a titre-restaurant's part is never given back through the product (meal-vouchers.ts): shown, not refundable
  const isVoucher = (w: PaymentWay) => (MEAL_VOUCHER_WAYS as readonly string[]).includes(w);
  const vouchers: RefundPart[] = all.filter((p) => isVoucher(p.way)).map((p) => ({ method: 'cash', way: p.way, paidCents: p.amountCents, refundedCents: 0, refundableCents: 0, why: 'meal_voucher' }));
  const split = all.filter((p) => !isVoucher(p.way));
  if (o.paid_with !== 'online') return [...shopParts(o, split, of), ...vouchers];
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
  return [...parts, ...vouchers];
}

/**
 * An order paid at the shop: what the card terminal or a QR code at the door took goes back to the
 * same card through the provider (its payment is the provider's record); the rest (cash, a declared
 * card, the phone) is cash given back.
 */
function shopParts(o: OrderMoney, split: { way: PaymentWay; amountCents: number }[], of: (m: RefundMethod) => { done: number; pending: number }): RefundPart[] {
  const card = split.find((p) => PROVIDER_SHOP_WAYS.has(p.way));
  const cardPaid = card?.amountCents ?? 0;
  const cashPaid = split.reduce((s, p) => s + p.amountCents, 0) - cardPaid;
  const provider = of('provider');
  const cashBack = Math.max(0, o.refunded_cents - provider.done);
  const parts: RefundPart[] = [];
  if (card) {
    parts.push({
      method: 'provider', way: card.way, paidCents: cardPaid, refundedCents: provider.done, why: null,
      refundableCents: Math.max(0, cardPaid - provider.done - provider.pending),
    });
  }
  if (cashPaid > 0 || !card) {
    parts.push({
      method: 'cash', way: split.find((p) => p !== card)?.way ?? 'unrecorded', paidCents: cashPaid, refundedCents: cashBack, why: null,
      refundableCents: Math.max(0, cashPaid - cashBack - o.refund_due_cents - of('cash').pending),
    });
  }
  return parts;
}

/**
 * The provider's payment a refund through it goes back to: paid online, the order's own; paid at the
 * shop, the card terminal's approved payment or the QR code's paid one (null: none).
 */
export async function providerPaymentOf(q: Queryable, orderId: string): Promise<string | null> {
  const { rows } = await q.query<{ ref: string | null }>(
    `SELECT CASE WHEN o.paid_with = 'online' THEN o.payment_reference
              WHEN o.collected_method = 'terminal' THEN (SELECT t.payment_intent_ref FROM terminal_payments t WHERE t.order_id = o.id AND t.state = 'approved' ORDER BY t.settled_at DESC LIMIT 1)
              WHEN o.collected_method = 'qr' THEN (SELECT d.payment_intent_ref FROM door_qr_payments d WHERE d.order_id = o.id AND d.state = 'paid' ORDER BY d.settled_at DESC LIMIT 1)
            END AS ref
     FROM orders o WHERE o.id = $1`,
    [orderId],
  );
  return rows[0]?.ref ?? null;
}

export const refundableOfParts = (parts: readonly RefundPart[]) => parts.reduce((s, p) => s + p.refundableCents, 0);

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
export async function leftByRate(q: Queryable, o: OrderMoney, lines: Awaited<ReturnType<typeof linesOf>>): Promise<GrossAtRate[]> {
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
