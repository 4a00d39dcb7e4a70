// The shop's card terminal: its readers, registered by a manager, and the payments the counter sends
// to one. A payment is a row before the provider is asked anything (one waiting per order and per
// reader); the order is handed over as paid by the terminal ('terminal', its own payment way) only
// when the provider's signed event says the card was approved (applyTerminalNotice, from the
// ledger's processing of each event, once); a declined or cancelled one leaves the order owing, to
// try again or take in cash. The provider is Stripe Terminal (terminal-stripe.ts) or the demo's
// simulated reader (terminal-demo.ts).
import { can, mayFor } from '../../domain/permissions.ts';
import type { OrderView } from '../../shapes/views.ts';
import type { StaffActor } from '../kernel/actors.ts';
import type { Db, Queryable, Tx } from '../kernel/db.ts';
import { AppError, conflict, forbidden, notFound } from '../kernel/errors.ts';
import { advanceOrder } from '../orders/move.ts';
import type { PaymentNotice } from './notices.ts';

/** A payment the provider took on a card_present intent, as its own records list it. */
export interface ProviderTerminalPayment {
  id: string;
  amountCents: number;
  shopId: number | null;
  orderId: string | null;
}

/** What the counter's card terminal needs of its provider. */
export interface TerminalProvider {
  readonly name: string;
  /** The provider's location for a shop (its readers are registered there); the same shop asked again answers the same. */
  createLocation(shop: { id: number; name: string; address: string }): Promise<string>;
  /** Registers a reader by the code it shows: its provider id; a code refused is an AppError 400. */
  registerReader(r: { code: string; label: string; location: string; key: string }): Promise<string>;
  /** Makes the payment (a card_present intent) for a terminal payment: its provider id. */
  charge(r: { paymentId: string; orderId: string; shopId: number; amountCents: number; description: string }): Promise<string>;
  /** Hands the payment to the reader (it asks for the card); a reader that cannot take it: AppError 409. */
  process(readerRef: string, intentId: string, paymentId: string): Promise<void>;
  /** Cancels the reader's action and the payment; 'taken' when the card was approved before the cancel arrived. */
  cancel(readerRef: string, intentId: string | null): Promise<'cancelled' | 'taken'>;
  /** The card_present payments the provider took between two instants. */
  taken(from: Date, to: Date): Promise<ProviderTerminalPayment[]>;
}

export type TerminalState = 'waiting' | 'approved' | 'declined' | 'cancelled';

export interface TerminalReaderView {
  id: number;
  label: string;
  readerRef: string;
}

export interface TerminalPaymentView {
  id: string;
  orderId: string;
  readerLabel: string;
  amountCents: number;
  state: TerminalState;
  reason: string | null;
}

/** A shop's registered readers, oldest first. */
export async function shopReaders(q: Queryable, shopId: number): Promise<TerminalReaderView[]> {
  const { rows } = await q.query<{ id: string; label: string; reader_ref: string }>(
    'SELECT id, label, reader_ref FROM terminal_readers WHERE pizzeria_id = $1 ORDER BY id',
    [shopId],
  );
  return rows.map((r) => ({ id: Number(r.id), label: r.label, readerRef: r.reader_ref }));
}

/** A manager of the shop registers a reader by the code it shows, at the shop's location (made the first time). */
export async function registerReader(db: Db, provider: TerminalProvider, actor: StaffActor, shopId: number, req: { code: string; label: string }): Promise<TerminalReaderView> {
  if (!mayFor(actor, can.runShop, shopId)) throw forbidden("a shop's readers are registered by its managers");
  const { rows } = await db.query<{ id: number; name: string; address: string; location_ref: string | null }>(
    `SELECT p.id, p.name, p.address, (SELECT location_ref FROM terminal_readers WHERE pizzeria_id = p.id ORDER BY id LIMIT 1) AS location_ref
     FROM pizzerias p WHERE p.id = $1`,
    [shopId],
  );
  const shop = rows[0];
  if (!shop) throw notFound('shop');
  const location = shop.location_ref ?? (await provider.createLocation(shop));
  const readerRef = await provider.registerReader({ code: req.code, label: req.label, location, key: `tmr-${shopId}-${req.code}` });
  const { rows: kept } = await db.query<{ id: string }>(
    `INSERT INTO terminal_readers (pizzeria_id, reader_ref, location_ref, label) VALUES ($1, $2, $3, $4)
     ON CONFLICT (reader_ref) DO UPDATE SET label = EXCLUDED.label WHERE terminal_readers.pizzeria_id = EXCLUDED.pizzeria_id RETURNING id`,
    [shopId, readerRef, location, req.label],
  );
  if (!kept[0]) throw conflict('reader_elsewhere', 'this reader is registered at another shop');
  return { id: Number(kept[0].id), label: req.label, readerRef };
}

const PAYMENT_VIEW = `SELECT t.id, t.order_id, r.label AS reader_label, t.amount_cents, t.state, t.reason, t.pizzeria_id
  FROM terminal_payments t JOIN terminal_readers r ON r.id = t.reader_id`;

function viewOf(r: { id: string; order_id: string; reader_label: string; amount_cents: number; state: TerminalState; reason: string | null }): TerminalPaymentView {
  return { id: r.id, orderId: r.order_id, readerLabel: r.reader_label, amountCents: r.amount_cents, state: r.state, reason: r.reason };
}

/** The provider's id of the reader a payment was sent to. */
export async function readerOfPayment(q: Queryable, paymentId: string): Promise<string> {
  const { rows } = await q.query<{ reader_ref: string }>('SELECT r.reader_ref FROM terminal_payments t JOIN terminal_readers r ON r.id = t.reader_id WHERE t.id = $1', [paymentId]);
  if (!rows[0]) throw notFound('terminal payment');
  return rows[0].reader_ref;
}

/** A terminal payment as the counter follows it (its shop's staff only: anyone else, 404). */
export async function terminalPaymentOf(q: Queryable, actor: StaffActor, paymentId: string): Promise<TerminalPaymentView> {
  const { rows } = await q.query(`${PAYMENT_VIEW} WHERE t.id = $1`, [paymentId]);
  if (!rows[0] || !mayFor(actor, can.takeOrders, rows[0].pizzeria_id)) throw notFound('terminal payment');
  return viewOf(rows[0]);
}

/**
 * The counter sends what a ready pickup owes to the shop's reader (the one named, else the first):
 * the payment kept, then made at the provider and handed to the reader. When the provider refuses,
 * the payment is cancelled and the answer says why (409): the counter tries again or takes cash.
 */
export async function startTerminalPayment(db: Db, provider: TerminalProvider, actor: StaffActor, orderId: string, readerId?: number): Promise<TerminalPaymentView> {
  const { rows } = await db.query<{ pizzeria_id: number; number: number; status: string; fulfilment: string; amount_due_cents: number }>(
    'SELECT pizzeria_id, number, status, fulfilment, amount_due_cents FROM orders WHERE id = $1',
    [orderId],
  );
  const o = rows[0];
  if (!o || !mayFor(actor, can.takeOrders, o.pizzeria_id)) throw notFound('order');
  if (o.fulfilment !== 'pickup' || o.status !== 'ready') throw conflict('not_ready', 'the card terminal takes a pickup ready to hand over');
  if (o.amount_due_cents <= 0) throw conflict('nothing_due', 'this order owes nothing');
  const readers = await shopReaders(db, o.pizzeria_id);
  const reader = readerId === undefined ? readers[0] : readers.find((r) => r.id === readerId);
  if (!reader) throw readerId === undefined ? conflict('no_reader', 'this shop has no card terminal: take the card as declared') : notFound('reader');
  let paymentId: string;
  try {
    const { rows: made } = await db.query<{ id: string }>(
      `INSERT INTO terminal_payments (order_id, pizzeria_id, reader_id, amount_cents, started_by) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
      [orderId, o.pizzeria_id, reader.id, o.amount_due_cents, JSON.stringify(actor)],
    );
    paymentId = made[0].id;
  } catch (err) {
    if ((err as { code?: string }).code === '23505') throw conflict('terminal_busy', 'a card payment is already waiting on this order or this reader');
    throw err;
  }
  try {
    const intentId = await provider.charge({ paymentId, orderId, shopId: o.pizzeria_id, amountCents: o.amount_due_cents, description: `OC Pizza, commande ${o.number}` });
    await db.query('UPDATE terminal_payments SET payment_intent_ref = $2 WHERE id = $1', [paymentId, intentId]);
    await provider.process(reader.readerRef, intentId, paymentId);
  } catch (err) {
    await db.query(`UPDATE terminal_payments SET state = 'cancelled', reason = $2, settled_at = now() WHERE id = $1 AND state = 'waiting'`, [paymentId, (err as Error).message.slice(0, 300)]);
    throw err instanceof AppError ? err : new AppError(502, 'terminal_unreachable', 'the card terminal could not be reached: try again, or take cash');
  }
  return terminalPaymentOf(db, actor, paymentId);
}

/** The counter cancels a payment waiting at the reader; one the card was approved for already is not (409). */
export async function cancelTerminalPayment(db: Db, provider: TerminalProvider, actor: StaffActor, paymentId: string): Promise<TerminalPaymentView> {
  const { rows } = await db.query<{ state: TerminalState; pizzeria_id: number; payment_intent_ref: string | null; reader_ref: string }>(
    `SELECT t.state, t.pizzeria_id, t.payment_intent_ref, r.reader_ref FROM terminal_payments t JOIN terminal_readers r ON r.id = t.reader_id WHERE t.id = $1`,
    [paymentId],
  );
  const p = rows[0];
  if (!p || !mayFor(actor, can.takeOrders, p.pizzeria_id)) throw notFound('terminal payment');
  if (p.state !== 'waiting') throw conflict('terminal_settled', `this card payment is ${p.state} already`);
  const outcome = await provider.cancel(p.reader_ref, p.payment_intent_ref);
  if (outcome === 'taken') throw conflict('terminal_approved', 'the card was approved before the cancel: the order is paid');
  await db.query(`UPDATE terminal_payments SET state = 'cancelled', reason = 'cancelled at the counter', settled_at = now() WHERE id = $1 AND state = 'waiting'`, [paymentId]);
  return terminalPaymentOf(db, actor, paymentId);
}

/**
 * A provider's event about a terminal payment (already believed, kept, processed once): approved
 * hands the pickup over as paid by the terminal, declined leaves it owing. An event for a payment
 * settled already (a repeat, a late one, one for a cancelled payment), or whose amount is not the
 * payment's, changes nothing. Null: not a terminal payment's event.
 */
export async function applyTerminalNotice(tx: Tx, event: PaymentNotice): Promise<{ outcome: 'captured' | 'failed' | 'ignored'; order?: OrderView } | null> {
  if (!event.terminal) return null;
  const { rows } = await tx.query<{ id: string; order_id: string; state: TerminalState; amount_cents: number; started_by: StaffActor }>(
    'SELECT id, order_id, state, amount_cents, started_by FROM terminal_payments WHERE payment_intent_ref = $1 FOR UPDATE',
    [event.paymentId],
  );
  const p = rows[0];
  if (!p || p.state !== 'waiting') return { outcome: 'ignored' };
  if (event.kind === 'taken') {
    // an intent's event carries what was taken; a reader's says only that its action succeeded
    if (event.takenCents > 0 && event.takenCents !== p.amount_cents) return { outcome: 'ignored' };
    await tx.query(`UPDATE terminal_payments SET state = 'approved', settled_at = now() WHERE id = $1`, [p.id]);
    const moved = await advanceOrder(tx as unknown as Db, p.started_by, p.order_id, 'collected', undefined, { paymentMethod: 'terminal' });
    return { outcome: 'captured', order: moved.order };
  }
  if (event.kind === 'refused') {
    await tx.query(`UPDATE terminal_payments SET state = 'declined', reason = $2, settled_at = now() WHERE id = $1`, [p.id, (event.reason ?? 'declined').slice(0, 300)]);
    return { outcome: 'failed' };
  }
  return { outcome: 'ignored' };
}

export interface TerminalReconciliation {
  shopId: number;
  /** What the product recorded as approved on the shop's terminal that day, and what the provider's records hold. */
  recordedCents: number;
  providerCents: number;
  /** Each payment where they differ (one side missing: 0 there). */
  differences: { paymentRef: string; recordedCents: number; providerCents: number }[];
}

/**
 * A shop's terminal card takings of a Paris day, as the product recorded them and as the provider's
 * records have them (its card_present payments of the day), with every difference; null when the
 * shop has no reader.
 */
export async function terminalReconciliation(q: Queryable, provider: TerminalProvider, shopId: number, date: string): Promise<TerminalReconciliation | null> {
  const { rows: day } = await q.query<{ from: Date; to: Date; readers: number }>(
    `SELECT ($2::date::timestamp AT TIME ZONE 'Europe/Paris') AS from, (($2::date + 1)::timestamp AT TIME ZONE 'Europe/Paris') AS to,
       (SELECT count(*)::int FROM terminal_readers WHERE pizzeria_id = $1) AS readers`,
    [shopId, date],
  );
  if (!day[0].readers) return null;
  const { from, to } = day[0];
  const { rows } = await q.query<{ payment_intent_ref: string; amount_cents: number }>(
    `SELECT payment_intent_ref, amount_cents FROM terminal_payments WHERE pizzeria_id = $1 AND state = 'approved' AND settled_at >= $2 AND settled_at < $3`,
    [shopId, from, to],
  );
  const recorded = new Map(rows.map((r) => [r.payment_intent_ref, r.amount_cents]));
  return reconciled(shopId, recorded, await provider.taken(from, to));
}

/**
 * A shop's day as the till recorded it (payment ref → cents) against the provider's payments of
 * that day: its totals, and each payment where the two differ (missing on either side included).
 */
export function reconciled(shopId: number, recorded: ReadonlyMap<string, number>, provider: readonly { id: string; shopId: number | null; amountCents: number }[]): TerminalReconciliation {
  const theirs = provider.filter((p) => p.shopId === shopId || recorded.has(p.id));
  const differences: TerminalReconciliation['differences'] = [];
  for (const p of theirs) {
    const mine = recorded.get(p.id) ?? 0;
    if (mine !== p.amountCents) differences.push({ paymentRef: p.id, recordedCents: mine, providerCents: p.amountCents });
  }
  const listed = new Set(theirs.map((p) => p.id));
  for (const [ref, cents] of recorded) if (!listed.has(ref)) differences.push({ paymentRef: ref, recordedCents: cents, providerCents: 0 });
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  return { shopId, recordedCents: sum([...recorded.values()]), providerCents: sum(theirs.map((p) => p.amountCents)), differences };
}
