// Titres-restaurant at the counter: a voucher part of an order's payment, declared by the staff with
// the card's reference (no provider of ours covers meal vouchers in person: Stripe Terminal takes
// none, and Swile and Edenred reach no provider at all), checked against the rules
// (src/lib/domain/meal-vouchers.ts: food and soft drinks only, the card's daily amount across the
// chain, Sundays and public holidays) and kept as its issuer's payment way. The rest of the order is
// then paid as any other: cash, a declared card, or the shop's card terminal, for what is still due.
// A voucher part is never refunded here: the issuers do not give money back on a card (Stripe: no
// refunds for meal vouchers), so a refund gives back the other parts and says so of this one.
import { checkVoucher, isMealVoucherIssuer, MEAL_VOUCHER_ISSUERS, normalisedReference, parisDay, voucherMaxCents, type MealVoucherIssuer, type PaidLine, type VoucherRefusal } from '../../domain/meal-vouchers.ts';
import { FINAL_STATUSES, isIn } from '../../domain/order-states.ts';
import { can, mayFor } from '../../domain/permissions.ts';
import type { OrderView } from '../../shapes/views.ts';
import type { StaffActor } from '../kernel/actors.ts';
import { transaction, type Db, type Queryable } from '../kernel/db.ts';
import { AppError, conflict, forbidden, notFound } from '../kernel/errors.ts';
import { recordEvent } from '../orders/record.ts';
import { linesOf, paidOfLines } from './refund-parts.ts';

export interface VoucherSettings {
  dailyLimitCents: number;
}

/** What a voucher may pay of an order now, as the counter shows it before the card is taken. */
export interface VoucherAllowance {
  orderId: string;
  /** The order's food and soft drinks, as paid. */
  eligibleCents: number;
  dueCents: number;
  dailyLimitCents: number;
  /** What the card named paid by voucher already today (0 without a reference). */
  usedTodayCents: number;
  maxCents: number;
  /** Sunday or a public holiday in Paris, and whether the shop accepts vouchers then. */
  closedDay: 'sunday' | 'holiday' | null;
  openOnClosedDays: boolean;
  issuers: readonly MealVoucherIssuer[];
  /** The voucher part already kept on the order. */
  voucher: { issuer: MealVoucherIssuer; cents: number } | null;
}

interface VoucherOrder {
  id: string;
  pizzeria_id: number;
  status: string;
  payment_method: string;
  amount_due_cents: number;
  meal_voucher_cents: number;
  meal_voucher_issuer: string | null;
  on_closed_days: boolean;
}

async function voucherOrder(q: Queryable, actor: StaffActor, orderId: string, lock: boolean): Promise<VoucherOrder> {
  const { rows } = await q.query<VoucherOrder>(
    `SELECT o.id, o.pizzeria_id, o.status, o.payment_method, o.amount_due_cents, o.meal_voucher_cents, o.meal_voucher_issuer, p.meal_vouchers_on_closed_days AS on_closed_days
     FROM orders o JOIN pizzerias p ON p.id = o.pizzeria_id WHERE o.id = $1 ${lock ? 'FOR UPDATE OF o' : ''}`,
    [orderId],
  );
  const o = rows[0];
  if (!o || !mayFor(actor, can.takeOrders, o.pizzeria_id)) throw notFound('order');
  return o;
}

export async function paidLines(q: Queryable, orderId: string): Promise<PaidLine[]> {
  const lines = await linesOf(q, orderId);
  const { paid } = await paidOfLines(q, orderId, lines);
  return lines.map((l) => ({ rate: l.vatRate, paidCents: paid.get(l.id) ?? 0 }));
}

/** What the card (its reference, normalised) paid by voucher on a Paris day, across the chain. */
export async function usedOn(q: Queryable, cardRef: string, day: string): Promise<number> {
  const { rows } = await q.query<{ cents: number }>(
    `SELECT coalesce(sum(amount_cents), 0)::int AS cents FROM meal_voucher_payments WHERE card_ref = $1 AND paris_day = $2 AND state IN ('held', 'taken')`,
    [cardRef, day],
  );
  return rows[0].cents;
}

export async function voucherAllowance(q: Queryable, settings: VoucherSettings, actor: StaffActor, orderId: string, reference: string | null, now = Date.now()): Promise<VoucherAllowance> {
  const o = await voucherOrder(q, actor, orderId, false);
  const lines = await paidLines(q, orderId);
  const day = parisDay(now);
  const usedTodayCents = reference ? await usedOn(q, normalisedReference(reference), day) : 0;
  const ask = { lines, dueCents: o.amount_due_cents, usedTodayCents, dailyLimitCents: settings.dailyLimitCents, at: now, openOnClosedDays: o.on_closed_days };
  const check = checkVoucher({ ...ask, amountCents: 1 });
  return {
    orderId, eligibleCents: lines.filter((l) => l.rate < 20).reduce((s, l) => s + l.paidCents, 0), dueCents: o.amount_due_cents,
    dailyLimitCents: settings.dailyLimitCents, usedTodayCents, maxCents: o.meal_voucher_cents > 0 ? 0 : voucherMaxCents(ask),
    closedDay: 'refused' in check && (check.refused === 'sunday' || check.refused === 'holiday') ? check.refused : null,
    openOnClosedDays: o.on_closed_days, issuers: MEAL_VOUCHER_ISSUERS,
    voucher: o.meal_voucher_cents > 0 && isMealVoucherIssuer(o.meal_voucher_issuer) ? { issuer: o.meal_voucher_issuer, cents: o.meal_voucher_cents } : null,
  };
}

const euros = (cents: number) => `${(cents / 100).toFixed(2).replace('.', ',')} €`;

/** A rule broken, as the API says it: 409 with its code, the most a voucher may pay, and why. */
export function refusalError(r: VoucherRefusal): AppError {
  switch (r.refused) {
    case 'sunday':
    case 'holiday':
      return conflict(`voucher_${r.refused}`, `titres-restaurant are not accepted on ${r.refused === 'sunday' ? 'Sundays' : 'public holidays'} at this shop: take the payment another way`, { maxCents: 0 });
    case 'not_eligible':
      return conflict('voucher_not_eligible', `a titre-restaurant pays only food and soft drinks (not alcohol, the delivery fee or a tip): at most ${euros(r.maxCents)} on this order`, { maxCents: r.maxCents });
    case 'daily_limit':
      return conflict('voucher_daily_limit', `this card may pay at most ${euros(r.maxCents)} more by titre-restaurant today (its daily amount)`, { maxCents: r.maxCents });
    case 'more_than_due':
      return conflict('voucher_more_than_due', `the order owes ${euros(r.maxCents)}`, { maxCents: r.maxCents });
  }
}

/**
 * The counter declares a voucher part: its issuer, its amount and the card's reference. Checked
 * with the order and the card's day locked (two counters declaring the same card at once count each
 * other), kept as taken, and added to what the order was paid, so what is due drops by it.
 */
export async function declareMealVoucher(
  db: Db, settings: VoucherSettings, actor: StaffActor, orderId: string,
  req: { issuer: MealVoucherIssuer; amountCents: number; reference: string }, now = Date.now(),
): Promise<OrderView> {
  return transaction(db, async (tx) => {
    const o = await voucherOrder(tx, actor, orderId, true);
    if (o.payment_method !== 'on_delivery') throw conflict('not_at_the_shop', 'a titre-restaurant is declared here for an order paid at the shop or the door; online, the customer pays it at checkout');
    if (isIn(FINAL_STATUSES, o.status) || o.status === 'pending_payment') throw conflict('not_open', 'this order is not open to a payment');
    if (o.meal_voucher_cents > 0) throw conflict('voucher_already', 'this order already has its titre-restaurant part');
    const cardRef = normalisedReference(req.reference);
    const day = parisDay(now);
    // the card's day, across the chain: one declaration of this card at a time
    await tx.query(`SELECT pg_advisory_xact_lock(hashtext('meal-voucher:' || $1))`, [cardRef]);
    const check = checkVoucher({
      amountCents: req.amountCents, lines: await paidLines(tx, orderId), dueCents: o.amount_due_cents,
      usedTodayCents: await usedOn(tx, cardRef, day), dailyLimitCents: settings.dailyLimitCents, at: now, openOnClosedDays: o.on_closed_days,
    });
    if ('refused' in check) throw refusalError(check);
    await tx.query(
      `INSERT INTO meal_voucher_payments (order_id, pizzeria_id, issuer, channel, amount_cents, card_ref, state, paris_day, declared_by, settled_at)
       VALUES ($1, $2, $3, 'counter', $4, $5, 'taken', $6, $7, now())`,
      [orderId, o.pizzeria_id, req.issuer, req.amountCents, cardRef, day, JSON.stringify(actor)],
    );
    await tx.query(
      `UPDATE orders SET meal_voucher_cents = $2, meal_voucher_issuer = $3, paid_cents = paid_cents + $2, version = version + 1, updated_at = now() WHERE id = $1`,
      [orderId, req.amountCents, req.issuer],
    );
    return (await recordEvent(tx, orderId, 'order.modified', actor)).order;
  });
}

/** A manager of the shop says whether it accepts titres-restaurant on Sundays and public holidays. */
export async function setVouchersOnClosedDays(q: Queryable, actor: StaffActor, shopId: number, on: boolean): Promise<{ onClosedDays: boolean }> {
  if (!mayFor(actor, can.runShop, shopId)) throw forbidden("a shop's titres-restaurant days are set by its managers");
  const { rowCount } = await q.query('UPDATE pizzerias SET meal_vouchers_on_closed_days = $2 WHERE id = $1', [shopId, on]);
  if (!rowCount) throw notFound('shop');
  return { onClosedDays: on };
}

/** What happens to an order's voucher part when it is refunded: said to the manager, never given back here. */
export function voucherRefundNote(voucher: { issuer: MealVoucherIssuer; cents: number } | null): string | null {
  if (!voucher) return null;
  return `the titre-restaurant part (${euros(voucher.cents)}) cannot be refunded to the card: the issuers take no refunds. Give it back another way (cash) if owed, and keep this note with the refund`;
}
