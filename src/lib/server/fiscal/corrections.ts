// Corrections users make, as entries of the shop's fiscal chain (src/lib/domain/fiscal-corrections.ts):
// the order (or the shift) changes as it always did, and the journal gets a new entry with the
// reason, who made it, and the entry it corrects; nothing written before is touched. Each runs in
// the change's own transaction with the shop's chain locked: what the journal still lacks of the
// order (its sale, written by the workers a second after it) is written first, then the correction
// after it, and the order's money is noted as journaled, so the workers find nothing left to say.
import { isoTime, shopChain, type CanonicalValue, type Entry } from '../../domain/fiscal-chain.ts';
import { CORRECTABLE_METHODS, correctableParts, correctionPayments, paymentCorrection, type CorrectableMethod, type CorrectablePart, type PaymentPart } from '../../domain/fiscal-corrections.ts';
import { voucherPart } from '../../domain/meal-vouchers.ts';
import { sqlList } from '../../domain/order-states.ts';
import { can, may } from '../../domain/permissions.ts';
import type { OrderView } from '../../shapes/views.ts';
import { audit } from '../kernel/audit.ts';
import { transaction, type Db, type Queryable, type Tx } from '../kernel/db.ts';
import { AppError, conflict, forbidden, notFound } from '../kernel/errors.ts';
import { noControl } from '../../shapes/order-requests.ts';
import { canActOnShop, type StaffActor } from '../kernel/actors.ts';
import { lockOrder } from '../orders/read.ts';
import { recordEvent } from '../orders/record.ts';
import { appendEntries, lockChain } from './journal.ts';
import type { FiscalKey } from './keys.ts';
import { journalChangedIn, noteOrderMoney } from './order-facts.ts';
import { config } from '../kernel/config.ts';
import { fiscalKeyOf, recordKeyOnce } from './signing.ts';

/** The settings' signing key (the workers' too), recorded in the JET before this process first signs. */
export async function signingKey(db: Db): Promise<FiscalKey> {
  const key = fiscalKeyOf(config());
  await recordKeyOnce(db, key);
  return key;
}

export interface PaymentCorrectionRequest {
  part: PaymentPart;
  to: CorrectableMethod;
  reason: string;
}

const REFUSALS: Record<string, string> = {
  cancelled: 'a cancelled order: its payment is not corrected',
  online: 'paid online: the provider says how, it is not corrected at the shop',
  nothing_taken: 'no money was taken this way on this order',
  same_way: 'the payment is already recorded this way',
  not_at_handover: 'nothing was taken at the handover of this order',
  provider: 'paid on the shop\'s card terminal: the provider recorded it, it is not re-booked another way (a refund gives it back)',
};

/** Who made it, as the journal writes it. */
export const operatorOf = (actor: StaffActor): string => `${actor.role}:${actor.id}`;

/** A reason said in words: required, short, and printable (it is signed into the journal as written: no escape, bell or other control character). */
function reasonOf(reason: string | null | undefined): string {
  const r = (reason ?? '').trim();
  if (r.length < 3) throw new AppError(422, 'reason_required', 'say why (a few words)', { fields: { reason: 'say why (a few words)' } });
  if (!noControl(r)) throw new AppError(422, 'reason_control', 'no control characters', { fields: { reason: 'no control characters' } });
  return r.slice(0, 300);
}

/**
 * Corrects how a part of an order's payment was taken (the counter pressed cash, the customer paid
 * by card): staff of the order's shop who take orders; a payment at the door, the shop's managers.
 * The order says the new way from now on; the journal keeps the old one, and gets a
 * `payment_correction` referring to the entry that recorded it. Audited.
 */
export async function correctPayment(
  db: Db,
  actor: StaffActor,
  orderId: string,
  req: PaymentCorrectionRequest,
  // once the correction is known to be one to make: who confirms it, if anyone must (it may refuse)
  opts: { confirm?: () => Promise<StaffActor | null> } = {},
): Promise<{ order: OrderView; entry: Entry; confirmedBy: StaffActor | null }> {
  if (!may(actor.role, can.takeOrders)) throw forbidden('the counter and the shop correct a payment');
  const reason = reasonOf(req.reason);
  const key = await signingKey(db);
  return transaction(db, async (tx) => {
    const { rows } = await tx.query<{ pizzeria_id: number }>('SELECT pizzeria_id FROM orders WHERE id = $1', [orderId]);
    if (!rows[0]) throw notFound('order');
    const shop = rows[0].pizzeria_id;
    if (!canActOnShop(actor, shop)) throw forbidden('not your shop');
    const chain = shopChain(shop);
    // the order first, then its shop's chain: the order of every change that seals a sale (an order's
    // change locks it, then its event seals it: fiscal/seal.ts); the journal's runs lock no order
    const o = await lockOrder(tx, orderId);
    await lockChain(tx, chain);
    if (o.pizzeria_id !== shop) throw conflict('order_moved', 'the order moved to another shop: try again');
    const c = paymentCorrection(
      { status: o.status, paidCents: o.paid_cents, paidWith: o.paid_with, collectedCents: o.collected_cents, collectedMethod: o.collected_method, voucher: voucherPart(o.meal_voucher_cents, o.meal_voucher_issuer) },
      req.part, req.to,
    );
    if ('refused' in c) throw conflict(`correction_${c.refused}`, REFUSALS[c.refused]);
    if (c.atTheDoor && !may(actor.role, can.runShop)) throw forbidden('a payment at the door is corrected by the shop\'s managers');
    const confirmedBy = opts.confirm ? await opts.confirm() : null;

    // the journal first says what it lacks of the order as it stands: the sale being corrected
    await journalChangedIn(tx, key, [{ shop, id: orderId }]);
    const journaled = (await tx.query<{ seq: number; kind: string; body: Record<string, any> }>(
      'SELECT seq, kind, body FROM fiscal_entries WHERE chain = $1 AND order_id = $2 ORDER BY seq', [chain, orderId],
    )).rows;
    const sale = journaled.find((e) => e.kind === 'sale');
    if (!sale) throw conflict('correction_not_sold', 'the order is not sold yet: its payment is recorded as it is when it is');
    // the entry that recorded the money taken this way (the sale, a later payment, an earlier correction)
    const recorded = [...journaled].reverse().find((e) => ((e.body.payments ?? []) as { way: string; cents: number }[]).some((p) => p.way === c.from && p.cents > 0)) ?? sale;

    const { rows: changed } = await tx.query<{ version: number; number: number; business_day: string; fulfilment: string; channel: string }>(
      `UPDATE orders SET ${c.part === 'paid' ? 'paid_with = $2::paid_with' : 'collected_method = $2'}, version = version + 1, updated_at = now()
       WHERE id = $1 RETURNING version, number, business_day::text AS business_day, fulfilment, channel`,
      [orderId, c.part === 'paid' ? c.paidWith : c.collectedMethod],
    );
    const after = changed[0];
    const head = await lockChain(tx, chain);
    const body: { [k: string]: CanonicalValue } = {
      order: { id: orderId, number: after.number, businessDay: after.business_day, fulfilment: after.fulfilment, channel: after.channel },
      ref: { chain, seq: recorded.seq },
      sale: { chain, seq: sale.seq },
      reason,
      part: c.part,
      from: { way: c.from, cents: c.cents },
      to: { way: c.to, cents: c.cents },
      payments: correctionPayments(c),
      // the manager who confirmed it, when the counter needed one (src/lib/server/flows/payment-correction.ts)
      ...(confirmedBy ? { confirmedBy: operatorOf(confirmedBy) } : {}),
    };
    const { entries } = await appendEntries(tx, chain, head, [{
      kind: 'payment_correction', sourceKey: `payment-correction:${orderId}:v${after.version}`, occurredAt: isoTime(Date.now()),
      operator: operatorOf(actor), orderId, body, salesCents: 0, vatCents: 0, moneyCents: 0,
    }], key);
    await noteOrderMoney(tx, orderId);
    const { order } = await recordEvent(tx, orderId, 'order.modified', actor);
    await audit(tx, actor, {
      action: 'fiscal.payment_correction', entity: 'order', entityId: orderId, pizzeriaId: shop,
      before: { way: c.from, cents: c.cents },
      after: { way: c.to, cents: c.cents, reason, entry: { chain, seq: entries[0].seq }, ...(confirmedBy ? { confirmedBy: operatorOf(confirmedBy) } : {}) },
    });
    return { order, entry: entries[0], confirmedBy };
  });
}

export interface ShiftCash {
  id: number;
  driverId: number;
  pizzeriaId: number;
  startedAt: string;
  endedAt: string;
  declaredCashCents: number | null;
  expectedCashCents: number;
  countedCashCents: number;
  differenceCents: number;
  reason: string;
}

/**
 * A driver's cash counted at the end of the shift, other than what the shift's deliveries collected
 * in cash: a `cash_correction` in the shop's chain, in the closing's transaction, with the
 * difference, its reason, and the entries that recorded that cash. No sale and no payment changes
 * (salesCents, vatCents and moneyCents are 0): the difference is cash missing or over.
 */
export async function journalCashCorrection(tx: Tx, key: FiscalKey, actor: StaffActor, shift: ShiftCash): Promise<Entry | null> {
  if (!shift.differenceCents) return null;
  const chain = shopChain(shift.pizzeriaId);
  await lockChain(tx, chain);
  const { rows: collected } = await tx.query<{ id: string }>(
    `SELECT id FROM orders WHERE driver_id = $1 AND status = 'delivered' AND delivered_at >= $2 AND delivered_at <= $3
       AND collected_method = 'cash' AND collected_cents > 0`,
    [shift.driverId, shift.startedAt, shift.endedAt],
  );
  const ids = collected.map((r) => r.id);
  await journalChangedIn(tx, key, ids.map((id) => ({ shop: shift.pizzeriaId, id })));
  const { rows: refs } = await tx.query<{ seq: number }>(
    `SELECT seq FROM fiscal_entries WHERE chain = $1 AND order_id = ANY($2) AND body->'payments' @> '[{"way":"door_cash"}]' ORDER BY seq`,
    [chain, ids],
  );
  const head = await lockChain(tx, chain);
  const { entries } = await appendEntries(tx, chain, head, [{
    kind: 'cash_correction', sourceKey: `cash-correction:shift:${shift.id}`, occurredAt: isoTime(Date.now()), operator: operatorOf(actor), orderId: null,
    body: {
      shift: { id: shift.id, driver: `driver:${shift.driverId}`, startedAt: isoTime(shift.startedAt), endedAt: isoTime(shift.endedAt) },
      way: 'door_cash',
      declaredCashCents: shift.declaredCashCents,
      expectedCashCents: shift.expectedCashCents,
      countedCashCents: shift.countedCashCents,
      differenceCents: shift.differenceCents,
      reason: shift.reason,
      refs: refs.map((r) => ({ chain, seq: Number(r.seq) })),
    },
    salesCents: 0, vatCents: 0, moneyCents: 0,
  }], key);
  return entries[0] ?? null;
}

export interface PaymentToCorrect {
  id: string;
  number: number;
  status: string;
  fulfilment: string;
  totalCents: number;
  customerName: string;
  parts: CorrectablePart[];
  /** The corrections already made, oldest first. */
  corrections: { seq: number; reason: string; from: string; to: string; cents: number; at: string; operator: string }[];
}

/**
 * A shop's orders of a business day (Paris; today unless given) whose payment was taken at the shop
 * (or at the door) and may be corrected, the latest first, with the corrections already made.
 */
export async function paymentsToCorrect(q: Queryable, actor: StaffActor, shopId: number, day?: string): Promise<PaymentToCorrect[]> {
  if (!may(actor.role, can.takeOrders) || !canActOnShop(actor, shopId)) throw forbidden('not your shop');
  const { rows } = await q.query(
    `SELECT o.id, o.number, o.status, o.fulfilment, o.total_cents, o.customer_name, o.paid_cents, o.paid_with, o.collected_cents, o.collected_method, o.meal_voucher_cents, o.meal_voucher_issuer,
       (SELECT json_agg(json_build_object('seq', e.seq, 'reason', e.body->>'reason', 'from', e.body->'from'->>'way', 'to', e.body->'to'->>'way',
                 'cents', (e.body->'from'->>'cents')::int, 'at', e.occurred_at, 'operator', e.operator) ORDER BY e.seq)
        FROM fiscal_entries e WHERE e.order_id = o.id AND e.kind = 'payment_correction') AS corrections
     FROM orders o
     WHERE o.pizzeria_id = $1 AND o.business_day = coalesce($2::date, (now() AT TIME ZONE 'Europe/Paris')::date)
       AND o.status <> 'cancelled' AND o.paid_cents > 0 AND (o.paid_with IN (${sqlList(CORRECTABLE_METHODS)}) OR o.collected_method IS NOT NULL)
     ORDER BY o.number DESC LIMIT 200`,
    [shopId, day ?? null],
  );
  return rows.map((r) => ({
    id: r.id, number: r.number, status: r.status, fulfilment: r.fulfilment, totalCents: r.total_cents, customerName: r.customer_name,
    parts: correctableParts({ status: r.status, paidCents: r.paid_cents, paidWith: r.paid_with, collectedCents: r.collected_cents, collectedMethod: r.collected_method, voucher: voucherPart(r.meal_voucher_cents, r.meal_voucher_issuer) })
      .filter((p) => !p.atTheDoor || may(actor.role, can.runShop)),
    corrections: (r.corrections ?? []).map((c: Record<string, any>) => ({ ...c, seq: Number(c.seq), at: new Date(c.at).toISOString() })),
  })).filter((o) => o.parts.length || o.corrections.length);
}

/** How long a counter's shift is taken to be, for the corrections it may make without a manager. */
export const CORRECTION_SHIFT_HOURS = 12;

/** The payment corrections this member of staff made in the last CORRECTION_SHIFT_HOURS, and those of the order (anyone's). */
export async function correctionsMade(q: Queryable, actor: StaffActor, orderId: string): Promise<{ inShift: number; onOrder: number }> {
  const { rows } = await q.query<{ in_shift: number; on_order: number }>(
    `SELECT count(*) FILTER (WHERE operator = $1 AND recorded_at > now() - make_interval(hours => $3))::int AS in_shift,
            count(*) FILTER (WHERE order_id = $2)::int AS on_order
     FROM fiscal_entries WHERE kind = 'payment_correction' AND (operator = $1 OR order_id = $2)`,
    [operatorOf(actor), orderId, CORRECTION_SHIFT_HOURS],
  );
  return { inShift: rows[0].in_shift, onOrder: rows[0].on_order };
}

/** A payment correction as head office's alerts and the cash page show it. */
export interface CorrectionSeen {
  seq: number;
  at: string;
  pizzeriaId: number;
  orderId: string;
  number: number;
  /** Who made it: their name (their role:id when not found). */
  operator: string;
  from: string;
  to: string;
  cents: number;
  reason: string;
  /** The manager who confirmed it, by name; null when the counter needed nobody. */
  confirmedBy: string | null;
}

/** The payment corrections of these shops in the last `hours`, newest first, with who made and who confirmed each (their names). */
export async function recentCorrections(q: Queryable, shops: readonly number[], hours = CORRECTION_SHIFT_HOURS): Promise<CorrectionSeen[]> {
  const staffId = (col: string) => `CASE WHEN ${col} ~ '^[a-z_]+:[0-9]+$' THEN split_part(${col}, ':', 2)::int END`;
  const { rows } = await q.query<{ seq: string; at: Date; chain: string; order_id: string; operator: string; by: string | null; confirmed: string | null; body: Record<string, any> }>(
    `SELECT e.seq, e.recorded_at AS at, e.chain, e.order_id, e.operator, u.name AS by, c.name AS confirmed, e.body FROM fiscal_entries e
     LEFT JOIN users u ON u.id = ${staffId('e.operator')}
     LEFT JOIN users c ON c.id = ${staffId("e.body->>'confirmedBy'")}
     WHERE e.kind = 'payment_correction' AND e.chain = ANY($1) AND e.recorded_at > now() - make_interval(hours => $2) ORDER BY e.recorded_at DESC LIMIT 200`,
    [shops.map(shopChain), hours],
  );
  return rows.map((r) => ({
    seq: Number(r.seq), at: isoTime(r.at), pizzeriaId: Number(r.chain.split(':')[1]), orderId: r.order_id, number: r.body.order?.number ?? 0,
    operator: r.by ?? r.operator, from: r.body.from?.way, to: r.body.to?.way, cents: r.body.from?.cents ?? 0, reason: r.body.reason,
    confirmedBy: r.body.confirmedBy ? (r.confirmed ?? r.body.confirmedBy) : null,
  }));
}
