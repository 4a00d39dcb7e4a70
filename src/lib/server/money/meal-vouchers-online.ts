// Titres-restaurant online: a part of an online order's payment on a meal-voucher card (Bimpli,
// Pluxee, Up Déjeuner: those Stripe takes, https://docs.stripe.com/payments/meal-vouchers/fr-meal-vouchers),
// the rest on the ordinary card hold, in one order. The customer chooses the part on the payment
// page (what a voucher may pay of it: food and soft drinks, not alcohol, the delivery fee or the
// tip; refused on Sundays and holidays unless the shop accepts them); the order's payment then
// starts again as two holds made by the workers (provider.begin): the card for the rest, and the
// voucher's own (manual capture). The order counts as paid only once both are held. The card's daily
// amount is checked when its hold arrives, with the provider's fingerprint of the card as its
// identity (the counter's declared reference is another identity: the two never add up), under the
// card's lock; over it, or on a closed day, the voucher hold is let go and the customer pays the
// whole on the card (a new attempt). The kitchen's start captures both; a cancel before lets both go;
// a refund gives back the card's part only (meal-vouchers.ts: voucherRefundNote).
import { checkVoucher, isMealVoucherIssuer, ONLINE_MEAL_VOUCHER_ISSUERS, parisDay, voucherMaxCents, type MealVoucherIssuer } from '../../domain/meal-vouchers.ts';
import { FINAL_STATUSES_SQL, STARTED_STATUSES, sqlList } from '../../domain/order-states.ts';
import type { OrderView, VoucherRefusedAlert } from '../../shapes/views.ts';
import { transaction, type Db, type Queryable, type Tx } from '../kernel/db.ts';
import { conflict, notFound } from '../kernel/errors.ts';
import { recordEvent } from '../orders/record.ts';
import { paidLines, refusalError, usedOn, type VoucherSettings } from './meal-vouchers.ts';
import type { PaymentNotice } from './notices.ts';

const SYSTEM = { kind: 'system', name: 'payments' } as const;

/** What the payment page shows of a titre-restaurant: what one may pay now, and the part chosen. */
export interface OnlineVoucherForm {
  issuers: readonly MealVoucherIssuer[];
  /** The order's food and soft drinks (the delivery fee, the tip and alcohol kept off). */
  eligibleCents: number;
  dailyLimitCents: number;
  /** The most a voucher may pay of this order today (before the card's own use today, known once it is presented). */
  maxCents: number;
  closedDay: 'sunday' | 'holiday' | null;
  /** The part chosen: waiting for its card, held; or the last one refused, and why. */
  part: { issuer: MealVoucherIssuer; cents: number; state: 'waiting' | 'held'; intentId: string | null; clientSecret: string | null; reason: string | null } | null;
  /** `code`: the rule broken (voucher_daily_limit, voucher_sunday…), with the most the card could pay. */
  refused: { issuer: string; cents: number; code: string; maxCents: number; reason: string } | null;
}

const refusedOf = (r: VoucherRow) => {
  const m = /^(voucher_[a-z_]+):(\d+): (.*)$/s.exec(r.reason ?? '');
  return { issuer: r.issuer, cents: r.amount_cents, code: m?.[1] ?? 'voucher_refused', maxCents: Number(m?.[2] ?? 0), reason: m?.[3] ?? r.reason ?? '' };
};

interface PayingOrder {
  id: string;
  pizzeria_id: number;
  status: string;
  payment_method: string;
  payment_status: string;
  total_cents: number;
  setup_intent_id: string | null;
  on_closed_days: boolean;
}

async function payingOrder(q: Queryable, orderId: string, lock: boolean): Promise<PayingOrder> {
  const { rows } = await q.query<PayingOrder>(
    `SELECT o.id, o.pizzeria_id, o.status, o.payment_method, o.payment_status, o.total_cents, o.setup_intent_id, p.meal_vouchers_on_closed_days AS on_closed_days
     FROM orders o JOIN pizzerias p ON p.id = o.pizzeria_id WHERE o.id = $1 ${lock ? 'FOR UPDATE OF o' : ''}`,
    [orderId],
  );
  if (!rows[0]) throw notFound('order');
  return rows[0];
}

interface VoucherRow {
  id: string;
  order_id: string;
  issuer: string;
  amount_cents: number;
  state: string;
  payment_intent_ref: string | null;
  client_secret: string | null;
  reason: string | null;
}

const ROW = `SELECT id, order_id, issuer, amount_cents, state, payment_intent_ref, client_secret, reason FROM meal_voucher_payments`;

/** The order's online voucher part in progress (waiting for its card, or held), locked when asked. */
async function partOf(q: Queryable, orderId: string, lock = false): Promise<VoucherRow | null> {
  const { rows } = await q.query<VoucherRow>(`${ROW} WHERE order_id = $1 AND channel = 'online' AND state IN ('waiting', 'held') ${lock ? 'FOR UPDATE' : ''}`, [orderId]);
  return rows[0] ?? null;
}

export async function onlineVoucherForm(q: Queryable, settings: VoucherSettings, orderId: string, now = Date.now()): Promise<OnlineVoucherForm> {
  const o = await payingOrder(q, orderId, false);
  const lines = await paidLines(q, orderId);
  const ask = { lines, dueCents: o.total_cents, usedTodayCents: 0, dailyLimitCents: settings.dailyLimitCents, at: now, openOnClosedDays: o.on_closed_days };
  const check = checkVoucher({ ...ask, amountCents: 1 });
  const part = await partOf(q, orderId);
  const { rows: refused } = await q.query<VoucherRow>(`${ROW} WHERE order_id = $1 AND channel = 'online' AND state = 'refused' ORDER BY created_at DESC LIMIT 1`, [orderId]);
  return {
    issuers: ONLINE_MEAL_VOUCHER_ISSUERS,
    eligibleCents: lines.filter((l) => l.rate < 20).reduce((s, l) => s + l.paidCents, 0),
    dailyLimitCents: settings.dailyLimitCents,
    maxCents: voucherMaxCents(ask),
    closedDay: 'refused' in check && (check.refused === 'sunday' || check.refused === 'holiday') ? check.refused : null,
    part: part && isMealVoucherIssuer(part.issuer)
      ? { issuer: part.issuer, cents: part.amount_cents, state: part.state as 'waiting' | 'held', intentId: part.payment_intent_ref, clientSecret: part.client_secret, reason: part.reason }
      : null,
    refused: !part && refused[0] ? refusedOf(refused[0]) : null,
  };
}

/** The payment starts again (a new attempt, made by the workers): for the card and voucher parts, or for the whole on the card. */
async function restartPayment(tx: Tx, orderId: string, dropCardPart = false): Promise<OrderView> {
  // a card part held no longer counts (its hold is let go by the workers)
  const card = dropCardPart ? `, payment_status = 'pending', paid_cents = 0, paid_with = NULL, payment_reference = NULL` : '';
  await tx.query(
    `UPDATE orders SET payment_attempt = payment_attempt + 1, payment_intent_id = NULL, payment_client_secret = NULL, version = version + 1 ${card} WHERE id = $1`,
    [orderId],
  );
  return (await recordEvent(tx, orderId, 'order.modified', { kind: 'customer' })).order;
}

/**
 * The customer pays `amountCents` of an online order waiting for its payment with a titre-restaurant
 * of `issuer`: checked against the rules that do not need the card (the day, what is eligible, what
 * is due), kept waiting for its card, and the payment starts again as two holds. Refused (409): an
 * order not waiting for a card payment now, one with its card held already, one whose card is saved
 * for later, a voucher part already chosen, or a rule broken (with the most a voucher may pay).
 */
export async function chooseOnlineVoucher(
  db: Db, settings: VoucherSettings, orderId: string, req: { issuer: MealVoucherIssuer; amountCents: number }, now = Date.now(),
): Promise<OrderView> {
  if (!(ONLINE_MEAL_VOUCHER_ISSUERS as readonly string[]).includes(req.issuer)) throw conflict('voucher_issuer_offline', 'online, a titre-restaurant is paid with Bimpli, Pluxee or Up Déjeuner');
  return transaction(db, async (tx) => {
    const o = await payingOrder(tx, orderId, true);
    if (o.status !== 'pending_payment' || o.payment_method !== 'online') throw conflict('not_pending', 'this order is not waiting for an online payment');
    if (o.setup_intent_id) throw conflict('card_saved_later', 'an order for a slot far ahead is held on a card the day before: a titre-restaurant is not taken for it');
    if (o.payment_status === 'authorised') throw conflict('card_held', 'the card part is held already');
    if (await partOf(tx, orderId, true)) throw conflict('voucher_already', 'this order already has its titre-restaurant part');
    const check = checkVoucher({
      amountCents: req.amountCents, lines: await paidLines(tx, orderId), dueCents: o.total_cents, usedTodayCents: 0,
      dailyLimitCents: settings.dailyLimitCents, at: now, openOnClosedDays: o.on_closed_days,
    });
    if ('refused' in check) throw refusalError(check);
    await tx.query(
      `INSERT INTO meal_voucher_payments (order_id, pizzeria_id, issuer, channel, amount_cents, state, paris_day) VALUES ($1, $2, $3, 'online', $4, 'waiting', $5)`,
      [orderId, o.pizzeria_id, req.issuer, req.amountCents, parisDay(now)],
    );
    return restartPayment(tx, orderId);
  });
}

/** The customer pays the whole on the card after all: the voucher part waiting for its card is dropped, and the payment starts again. */
export async function dropOnlineVoucher(db: Db, orderId: string): Promise<OrderView> {
  return transaction(db, async (tx) => {
    const o = await payingOrder(tx, orderId, true);
    const part = await partOf(tx, orderId, true);
    if (o.status !== 'pending_payment' || part?.state !== 'waiting') throw conflict('no_voucher', 'this order has no titre-restaurant part waiting for its card');
    if (o.payment_status === 'authorised') throw conflict('card_held', 'the card part is held already');
    // a hold of it arriving after this (a page left open) is let go as one the order cannot use
    await tx.query(`UPDATE meal_voucher_payments SET state = 'released', reason = 'dropped by the customer', settled_at = now() WHERE id = $1`, [part.id]);
    return restartPayment(tx, orderId);
  });
}

/** The voucher part the workers' payment for an attempt includes (waiting for its card), with the shop's SIRET the provider asks. */
export async function voucherToBegin(q: Queryable, orderId: string): Promise<{ amountCents: number; issuer: MealVoucherIssuer; siret: string | null } | null> {
  const { rows } = await q.query(
    `SELECT v.amount_cents, v.issuer, p.siret FROM meal_voucher_payments v JOIN pizzerias p ON p.id = v.pizzeria_id
     WHERE v.order_id = $1 AND v.channel = 'online' AND v.state = 'waiting'`,
    [orderId],
  );
  return rows[0] ? { amountCents: rows[0].amount_cents, issuer: rows[0].issuer, siret: rows[0].siret } : null;
}

/** Keeps the provider's voucher payment of the attempt in progress, with its form's secret (a retried job: the same one, nothing changes). */
export async function rememberVoucherIntent(q: Queryable, orderId: string, intent: { id: string; clientSecret: string | null }): Promise<boolean> {
  const { rowCount } = await q.query(
    `UPDATE meal_voucher_payments SET payment_intent_ref = $2, client_secret = $3
     WHERE order_id = $1 AND channel = 'online' AND state = 'waiting' AND payment_intent_ref IS DISTINCT FROM $2`,
    [orderId, intent.id, intent.clientSecret],
  );
  return (rowCount ?? 0) > 0;
}

/** What the card part's hold must be: the order and its checkout tip, less the voucher part chosen. */
export async function voucherCentsOf(q: Queryable, orderId: string): Promise<number> {
  return (await partOf(q, orderId))?.amount_cents ?? 0;
}

/**
 * Both holds are there: the order is paid (the card part and the voucher's, its issuer's way) and
 * reaches the kitchen. Called with the order locked, once the card part is held.
 */
export async function bothHeld(tx: Tx, orderId: string): Promise<OrderView | null> {
  const part = await partOf(tx, orderId);
  if (!part || part.state !== 'held') return null;
  await tx.query(
    `UPDATE orders SET status = 'received', received_at = now(), paid_cents = paid_cents + $2, meal_voucher_cents = $2, meal_voucher_issuer = $3, version = version + 1
     WHERE id = $1 AND status = 'pending_payment' AND payment_status = 'authorised'`,
    [orderId, part.amount_cents, part.issuer],
  );
  return (await recordEvent(tx, orderId, 'order.status', SYSTEM)).order;
}

/** What acting on a voucher's event did; `release`: holds to let go (the voucher's, and a card part that no longer counts). */
export interface VoucherApplied {
  outcome: 'authorised' | 'captured' | 'released' | 'failed' | 'ignored' | 'release';
  order?: OrderView;
  release?: { intentId: string; amountCents: number; voucher: boolean }[];
}

/**
 * A provider's event about a voucher's own payment (its metadata says so; ledger.ts asks first). Held:
 * the card's daily amount is checked now, with its fingerprint and under its lock; within the rules,
 * the part is held (and the order paid if its card part is held too); over them, the hold is let go
 * and the payment starts again for the whole on the card. Null: not a voucher's payment.
 */
export async function applyVoucherNotice(tx: Tx, event: PaymentNotice, settings: VoucherSettings, cardFingerprint: string | null): Promise<VoucherApplied | null> {
  if (!event.voucher || !event.paymentId) return null;
  const { rows } = await tx.query<VoucherRow>(`${ROW} WHERE payment_intent_ref = $1 FOR UPDATE`, [event.paymentId]);
  const row = rows[0];
  const stray = { outcome: 'release' as const, release: [{ intentId: event.paymentId, amountCents: event.heldCents, voucher: true }] };
  if (!row) return event.kind === 'held' ? stray : { outcome: 'ignored' };
  if (event.kind === 'refused') return { outcome: row.state === 'waiting' ? 'failed' : 'ignored' };
  if (event.kind === 'taken' && row.state === 'held') {
    await tx.query(`UPDATE meal_voucher_payments SET state = 'taken', settled_at = now() WHERE id = $1`, [row.id]);
    return { outcome: 'captured' };
  }
  if (event.kind === 'released' && (row.state === 'waiting' || row.state === 'held')) {
    await tx.query(`UPDATE meal_voucher_payments SET state = 'released', settled_at = now() WHERE id = $1`, [row.id]);
    return { outcome: 'released' };
  }
  if (event.kind !== 'held' || row.state === 'held' || row.state === 'taken') return { outcome: 'ignored' };
  // a hold of a part dropped or refused meanwhile: let go
  if (row.state !== 'waiting') return stray;
  const o = await payingOrder(tx, row.order_id, true);
  const { rows: att } = await tx.query<{ payment_attempt: number; payment_reference: string | null }>('SELECT payment_attempt, payment_reference FROM orders WHERE id = $1', [o.id]);
  if (o.status !== 'pending_payment' || event.attempt !== att[0].payment_attempt || event.heldCents !== row.amount_cents) return stray;
  // the card presented: its identity for its daily amount, asked of the provider by the workers
  if (!cardFingerprint) throw new Error(`the card of voucher payment ${event.paymentId} is not known yet`);
  const day = parisDay(Date.now());
  await tx.query(`SELECT pg_advisory_xact_lock(hashtext('meal-voucher:' || $1))`, [cardFingerprint]);
  const check = checkVoucher({
    amountCents: row.amount_cents, lines: await paidLines(tx, o.id), dueCents: o.total_cents, usedTodayCents: await usedOn(tx, cardFingerprint, day),
    dailyLimitCents: settings.dailyLimitCents, at: Date.now(), openOnClosedDays: o.on_closed_days,
  });
  if ('refused' in check) {
    // kept with its code and the most the card could pay, for the payment page to say it in the customer's words
    const err = refusalError(check);
    const reason = `${err.code}:${'maxCents' in check ? check.maxCents : 0}: ${err.message}`;
    return refuseHeld(tx, o, row, cardFingerprint, reason, att[0].payment_reference, event.paymentId);
  }
  await tx.query(`UPDATE meal_voucher_payments SET state = 'held', card_ref = $2, paris_day = $3, reason = NULL WHERE id = $1`, [row.id, cardFingerprint, day]);
  const order = o.payment_status === 'authorised' ? await bothHeld(tx, o.id) : null;
  return { outcome: 'authorised', order: order ?? undefined };
}

/** Over the card's daily amount, or a closed day: the voucher hold let go, and the whole asked on the card (a card part held is let go too). */
async function refuseHeld(tx: Tx, o: PayingOrder, row: VoucherRow, fingerprint: string, reason: string, cardRef: string | null, intentId: string): Promise<VoucherApplied> {
  await tx.query(`UPDATE meal_voucher_payments SET state = 'refused', card_ref = $2, reason = $3, settled_at = now() WHERE id = $1`, [row.id, fingerprint, reason]);
  const release = [{ intentId, amountCents: row.amount_cents, voucher: true }];
  const cardHeld = o.payment_status === 'authorised' && !!cardRef;
  if (cardHeld) {
    const { rows } = await tx.query<{ paid_cents: number }>('SELECT paid_cents FROM orders WHERE id = $1', [o.id]);
    release.push({ intentId: cardRef, amountCents: rows[0].paid_cents, voucher: false });
  }
  return { outcome: 'release', order: await restartPayment(tx, o.id, cardHeld), release };
}

/** The provider's payment of the order's voucher part still waiting for its hold (asked of the provider before the order expires). */
export async function voucherWaiting(q: Queryable, orderId: string): Promise<string | null> {
  const { rows } = await q.query<{ ref: string }>(
    `SELECT payment_intent_ref AS ref FROM meal_voucher_payments WHERE order_id = $1 AND channel = 'online' AND state = 'waiting' AND payment_intent_ref IS NOT NULL`,
    [orderId],
  );
  return rows[0]?.ref ?? null;
}

/** How a voucher's row says its capture was refused (its reason begins so): the alerts find them by it. */
const CAPTURE_REFUSED = 'capture refused: ';

/**
 * The provider refused to take a held voucher part (its hold lapsed, the voucher card blocked since):
 * the part is kept refused with why, and the order no longer counts it as paid, so the rest is
 * collected at the handover like any amount still owed; the card's part is taken all the same.
 */
export async function recordVoucherCaptureRefused(db: Db, orderId: string, intentId: string, why: string): Promise<OrderView | null> {
  return transaction(db, async (tx) => {
    const { rowCount } = await tx.query(
      `UPDATE meal_voucher_payments SET state = 'refused', reason = $2, settled_at = now() WHERE payment_intent_ref = $1 AND state = 'held'`,
      [intentId, `${CAPTURE_REFUSED}${why}`.slice(0, 500)],
    );
    if (!rowCount) return null;
    await tx.query(
      `UPDATE orders SET paid_cents = paid_cents - meal_voucher_cents, meal_voucher_cents = 0, meal_voucher_issuer = NULL, version = version + 1 WHERE id = $1`,
      [orderId],
    );
    // the hubs tell the shop's managers and head office (server/voucher-alerts.ts)
    await tx.query(`SELECT pg_notify('voucher_refused', $1)`, [orderId]);
    return (await recordEvent(tx, orderId, 'order.modified', SYSTEM)).order;
  });
}

/**
 * The titres-restaurant refused at their capture (recordVoucherCaptureRefused) on these shops'
 * orders still under way, or on this order while it is: each owes its voucher part at the handover
 * (the manager's alerts; the hubs push a new one as `voucher:refused`).
 */
export async function refusedVoucherCaptures(q: Queryable, of: { shops: readonly number[] } | { order: string }): Promise<VoucherRefusedAlert[]> {
  const { rows } = await q.query<VoucherRefusedAlert>(
    `SELECT o.pizzeria_id AS "pizzeriaId", o.id AS "orderId", o.number, to_char(v.settled_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS at,
            v.issuer, v.amount_cents AS cents
     FROM meal_voucher_payments v JOIN orders o ON o.id = v.order_id
     WHERE ${'shops' in of ? 'o.pizzeria_id = ANY($1)' : 'o.id = $1'} AND o.status NOT IN (${FINAL_STATUSES_SQL})
       AND v.channel = 'online' AND v.state = 'refused' AND v.reason LIKE '${CAPTURE_REFUSED}%'`,
    ['shops' in of ? of.shops : of.order],
  );
  return rows;
}

/** The voucher part of an order the kitchen started, held and still to capture. */
export async function voucherToCapture(q: Queryable, orderId: string): Promise<{ intentId: string; amountCents: number } | null> {
  const { rows } = await q.query(
    `SELECT v.payment_intent_ref, v.amount_cents FROM meal_voucher_payments v JOIN orders o ON o.id = v.order_id
     WHERE v.order_id = $1 AND v.channel = 'online' AND v.state = 'held' AND o.status IN (${sqlList(STARTED_STATUSES)})`,
    [orderId],
  );
  return rows[0] ? { intentId: rows[0].payment_intent_ref, amountCents: rows[0].amount_cents } : null;
}

/** The voucher part was captured (the provider answered): taken, once. */
export async function recordVoucherCapture(q: Queryable, intentId: string): Promise<boolean> {
  const { rowCount } = await q.query(`UPDATE meal_voucher_payments SET state = 'taken', settled_at = now() WHERE payment_intent_ref = $1 AND state = 'held'`, [intentId]);
  return (rowCount ?? 0) > 0;
}

/** Voucher holds of an order that ended before the kitchen started it (cancelled, expired): to let go. */
export async function voucherHoldsToRelease(q: Queryable, orderId: string): Promise<{ intentId: string; amountCents: number }[]> {
  const { rows } = await q.query(
    `SELECT v.payment_intent_ref, v.amount_cents FROM meal_voucher_payments v JOIN orders o ON o.id = v.order_id
     WHERE v.order_id = $1 AND v.channel = 'online' AND v.state IN ('waiting', 'held') AND v.payment_intent_ref IS NOT NULL AND o.status = 'cancelled'`,
    [orderId],
  );
  return rows.map((r) => ({ intentId: r.payment_intent_ref, amountCents: r.amount_cents }));
}

/** A voucher hold was let go (the provider answered): released, unless it was taken. */
export async function recordVoucherRelease(q: Queryable, intentId: string): Promise<boolean> {
  const { rowCount } = await q.query(
    `UPDATE meal_voucher_payments SET state = 'released', settled_at = now() WHERE payment_intent_ref = $1 AND state IN ('waiting', 'held')`,
    [intentId],
  );
  return (rowCount ?? 0) > 0;
}
