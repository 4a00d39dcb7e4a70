// Card payments held then captured, as the database sees them, whatever the provider. Its events
// (notices.ts: read from its webhook at the edge, handed to the workers) and the workers' own calls
// (capture, release, refund) end here, each in one transaction with the order locked: every
// movement of money is a row of payment_movements with the provider's ids. Each event is kept in
// payment_events before the webhook answers, and processed from here once, whatever the provider
// or the queue repeats, reorders or loses.
// The workers' own calls live beside it: captures.ts, saved-card-holds.ts, payment-form.ts.
import { holdDueAt } from '../../domain/card-holds.ts';
import type { OrderView } from '../../shapes/views.ts';
import { transaction, type Db, type Tx } from '../kernel/db.ts';
import { recordEvent } from '../orders/index.ts';
import { applyCapture, applyHold, applyRelease, awaitsItsHold, movement, type AwaitingHold, type Source } from './ledger-moves.ts';
import type { PaymentNotice, ProviderPayment, ProviderSetup } from './notices.ts';
import { applyTipNotice } from './tip-payments.ts';
import { applyTerminalNotice } from './terminal.ts';
import { applyDoorQrNotice } from './door-qr.ts';
import { applyVoucherNotice, bothHeld, voucherCentsOf } from './meal-vouchers-online.ts';
import { DEFAULT_DAILY_LIMIT_CENTS } from '../../domain/meal-vouchers.ts';

export type EventOutcome =
  | 'duplicate'
  | 'authorised'
  | 'captured'
  | 'released'
  | 'failed'
  | 'ignored'
  /** A card saved for a hold placed later: the order is taken. */
  | 'card_saved'
  /** A hold the order cannot use (an older attempt, another amount, an order paid another way): to let go. */
  | 'release';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const SYSTEM = { kind: 'system', name: 'payments' } as const;

/**
 * Keeps an event the webhook believed, before the webhook answers: once per event id, whatever the
 * provider repeats. Tells whether it is still to process (a repeat of a processed event is not).
 */
export async function storePaymentEvent(q: Db | Tx, event: PaymentNotice): Promise<{ toProcess: boolean }> {
  const orderId = event.orderId;
  const { rows } = await q.query<{ processed: boolean }>(
    `WITH kept AS (
       INSERT INTO payment_events (event_id, type, order_id, payload) VALUES ($1, $2, $3, $4) ON CONFLICT (event_id) DO NOTHING RETURNING false AS processed
     )
     SELECT processed FROM kept UNION ALL SELECT processed_at IS NOT NULL FROM payment_events WHERE event_id = $1 LIMIT 1`,
    [event.id, event.providerType, orderId && UUID.test(orderId) ? orderId : null, JSON.stringify(event)],
  );
  return { toProcess: !rows[0]?.processed };
}

/** Events kept and not processed yet (their job lost, or still queued), oldest first; of one order when given. */
export async function unprocessedPaymentEvents(q: Db, orderId?: string): Promise<string[]> {
  const { rows } = await q.query<{ event_id: string }>(
    `SELECT event_id FROM payment_events WHERE processed_at IS NULL AND ($1::uuid IS NULL OR order_id = $1) ORDER BY received_at`,
    [orderId ?? null],
  );
  return rows.map((r) => r.event_id);
}

/** Keeps an event and acts on it at once (what the webhook and the worker do, in one call). */
export async function handlePaymentEvent(dbp: Db, event: PaymentNotice): ReturnType<typeof processPaymentEvent> {
  await storePaymentEvent(dbp, event);
  return processPaymentEvent(dbp, event.id);
}

/** What acting on an event did: its outcome, and the order as it now is when it changed. */
interface Applied {
  outcome: EventOutcome;
  order?: OrderView;
}

/**
 * Acts on one kept provider event, once: a hold authorised (the order reaches the kitchen), a capture or
 * a release the workers' own call did not record (a crash between the call and the commit), a
 * payment refused (the customer may try another card). Anything else, or anything that no longer
 * fits the order (a stale attempt, a capture of an order already captured, a cancel after a
 * capture), is recorded as ignored and changes nothing. An event processed already, or never kept: 'duplicate'.
 */
export async function processPaymentEvent(
  dbp: Db,
  eventId: string,
  /** A titre-restaurant's hold (meal-vouchers-online.ts): the card's fingerprint the workers asked of the provider, and the daily amount. */
  voucher: { cardFingerprint?: string | null; dailyLimitCents?: number } = {},
): Promise<{ outcome: EventOutcome; orderId?: string; order?: OrderView; hold?: { intentId: string; amountCents: number }; holds?: { intentId: string; amountCents: number; voucher: boolean }[] }> {
  return transaction(dbp, async (tx) => {
    // the row locked: a second run of the same event waits, then finds it processed
    const { rows: kept } = await tx.query<{ payload: PaymentNotice | null; processed: boolean }>(
      `SELECT payload, processed_at IS NOT NULL AS processed FROM payment_events WHERE event_id = $1 FOR UPDATE`,
      [eventId],
    );
    if (!kept[0]?.payload || kept[0].processed) return { outcome: 'duplicate' as const };
    const event = kept[0].payload;
    const { orderId, paymentId } = event;
    const done = async ({ outcome, order, release }: Applied & { release?: { intentId: string; amountCents: number; voucher: boolean }[] }) => {
      await tx.query('UPDATE payment_events SET outcome = $2, processed_at = now() WHERE event_id = $1', [event.id, outcome]);
      if (release) return { outcome, order, orderId: orderId ?? undefined, holds: release };
      return { outcome, order, orderId: orderId ?? undefined, ...(outcome === 'release' && paymentId ? { hold: { intentId: paymentId, amountCents: event.heldCents } } : {}) };
    };
    // the counter's card terminal (terminal.ts): the order handed over once the card is approved
    const terminal = await applyTerminalNotice(tx, event);
    if (terminal) return done(terminal);
    // a QR code paid at the door (door-qr.ts): the order paid once the provider took it
    const door = await applyDoorQrNotice(tx, event);
    if (door) return done(door);
    if (event.kind === 'other' || !paymentId || !orderId || !UUID.test(orderId)) return done({ outcome: 'ignored' });
    // a titre-restaurant's own hold, beside the card's: the voucher part of the order
    const meal = await applyVoucherNotice(tx, event, { dailyLimitCents: voucher.dailyLimitCents ?? DEFAULT_DAILY_LIMIT_CENTS }, voucher.cardFingerprint ?? null);
    if (meal) return done(meal);
    // a tip's own payment (tip-payments.ts): the tip's, not the order's money
    const tip = await applyTipNotice(tx, event);
    if (tip) return done(tip);
    const { rows: found } = await tx.query<LockedOrder>('SELECT * FROM orders WHERE id = $1 FOR UPDATE', [orderId]);
    if (!found[0]) return done({ outcome: 'ignored' });
    return done(await applyNotice(event, { tx, o: found[0], orderId, paymentId, from: { provider: event.provider, paymentId, eventId: event.id } }));
  });
}

/** The order's columns an event's rules read. */
interface LockedOrder extends AwaitingHold {
  total_cents: number;
  card_tip_cents: number;
  payment_reference: string | null;
  setup_intent_id: string | null;
  wanted_at: Date | null;
  fire_at: Date | null;
}

/** An event's order, locked: its row as read, and where the event's money comes from. */
interface Noticed {
  tx: Tx;
  o: LockedOrder;
  orderId: string;
  paymentId: string;
  from: Source;
}

async function applyNotice(event: PaymentNotice, n: Noticed): Promise<Applied> {
  const { tx, o, orderId, paymentId, from } = n;
  switch (event.kind) {
    case 'held':
      return applyHeld(event, n);
    case 'taken': {
      // the capture, as the provider saw it: recorded here only if the workers' call was not
      if (o.payment_reference !== paymentId || o.payment_status !== 'authorised') return { outcome: 'ignored' };
      return { outcome: 'captured', order: await applyCapture(tx, orderId, event.takenCents, from) };
    }
    case 'released': {
      // a hold let go; a release after a capture cannot be, and changes nothing
      if (o.payment_reference !== paymentId || o.payment_status !== 'authorised') return { outcome: 'ignored' };
      return { outcome: 'released', order: await applyRelease(tx, orderId, from) };
    }
    case 'card_saved':
      return applySavedCard(event, n);
    case 'refused': {
      if (o.status !== 'pending_payment' || event.attempt !== o.payment_attempt) return { outcome: 'ignored' };
      await movement(tx, orderId, 'failed', 0, from, event.reason ?? 'payment refused');
      await tx.query(`UPDATE orders SET payment_status = 'failed', version = version + 1 WHERE id = $1`, [orderId]);
      return { outcome: 'failed', order: (await recordEvent(tx, orderId, 'order.modified', SYSTEM)).order };
    }
    default:
      return { outcome: 'ignored' };
  }
}

/** A hold authorised: the order's payment, a saved card's hold, or money the order cannot use, to give back. */
async function applyHeld(event: PaymentNotice, n: Noticed): Promise<Applied> {
  const { tx, o, orderId, paymentId, from } = n;
  const amount = event.heldCents;
  if (amount <= 0) return { outcome: 'ignored' };
  // the hold of an order whose card was saved: placed by the workers, or paid on the payment
  // page after the bank refused it (the workers' own call may have recorded it first)
  if (awaitsItsHold(o, event.attempt, amount)) return { outcome: 'authorised', order: await applyHold(tx, orderId, amount, from) };
  // the order's hold: its total, and its checkout tip riding on it (tips.ts), which is not the order's
  // money; less a titre-restaurant's part, held on its own (meal-vouchers-online.ts)
  const voucherCents = o.status === 'pending_payment' ? await voucherCentsOf(tx, orderId) : 0;
  if (voucherCents > 0 && event.attempt === o.payment_attempt && amount === o.total_cents + o.card_tip_cents - voucherCents && o.payment_reference !== paymentId) {
    return applyCardPartHeld(n, amount - o.card_tip_cents);
  }
  if (o.status === 'pending_payment' && event.attempt === o.payment_attempt && amount === o.total_cents + o.card_tip_cents && voucherCents === 0) {
    await movement(tx, orderId, 'authorised', o.total_cents, from, o.card_tip_cents ? `and a tip of ${o.card_tip_cents} held with it` : null);
    await tx.query(
      `UPDATE orders SET status = 'received', received_at = now(), version = version + 1, payment_status = 'authorised',
         paid_cents = $2, paid_with = 'online', payment_reference = $3, payment_intent_id = $3
       WHERE id = $1`,
      [orderId, o.total_cents, paymentId],
    );
    return { outcome: 'authorised', order: (await recordEvent(tx, orderId, 'order.status', SYSTEM)).order };
  }
  if (o.payment_reference === paymentId) return { outcome: 'ignored' };
  // a hold the order cannot use (cancelled or expired meanwhile, an older attempt, another
  // amount): kept as held money to give back, which the workers release
  await movement(tx, orderId, 'authorised', amount, from, 'not for the payment in progress: to release');
  if (o.paid_cents === 0 && o.status === 'cancelled') {
    await tx.query(
      `UPDATE orders SET payment_status = 'authorised', paid_cents = $2, paid_with = 'online', payment_reference = $3, version = version + 1 WHERE id = $1`,
      [orderId, amount, paymentId],
    );
    return { outcome: 'authorised', order: (await recordEvent(tx, orderId, 'order.refunded', SYSTEM)).order };
  }
  return { outcome: 'release' };
}

/** The card part of an order paid partly by titre-restaurant is held: the order is paid once the voucher's hold is there too. */
async function applyCardPartHeld({ tx, o, orderId, paymentId, from }: Noticed, cents: number): Promise<Applied> {
  await movement(tx, orderId, 'authorised', cents, from, o.card_tip_cents ? `and a tip of ${o.card_tip_cents} held with it; a titre-restaurant pays the rest` : 'a titre-restaurant pays the rest');
  await tx.query(
    `UPDATE orders SET version = version + 1, payment_status = 'authorised', paid_cents = $2, paid_with = 'online', payment_reference = $3, payment_intent_id = $3 WHERE id = $1`,
    [orderId, cents, paymentId],
  );
  const paid = await bothHeld(tx, orderId);
  return { outcome: 'authorised', order: paid ?? (await recordEvent(tx, orderId, 'order.payment_ready', SYSTEM)).order };
}

/** A card saved for a hold placed later: the order is taken, unless it ended meanwhile. */
async function applySavedCard(event: PaymentNotice, { tx, o, orderId, paymentId }: Noticed): Promise<Applied> {
  const card = event.savedCard;
  if (!card || o.setup_intent_id !== paymentId) return { outcome: 'ignored' };
  if (o.status !== 'pending_payment') {
    // cancelled or expired meanwhile: the card is kept only to be forgotten (the workers detach it)
    if (!o.saved_payment_method) await tx.query('UPDATE orders SET saved_payment_method = $2, version = version + 1 WHERE id = $1', [orderId, card.paymentMethod]);
    return { outcome: 'ignored' };
  }
  // the order is taken: the kitchen sees it coming, and the workers hold the card the day before
  const slot = o.wanted_at ? new Date(o.wanted_at).getTime() : Date.now();
  const fire = o.fire_at ? new Date(o.fire_at).getTime() : slot;
  await tx.query(
    `UPDATE orders SET status = 'received', received_at = now(), version = version + 1, payment_status = 'card_saved',
       saved_payment_method = $2, card_customer_id = coalesce($3, card_customer_id), hold_due_at = $4
     WHERE id = $1`,
    [orderId, card.paymentMethod, card.customer, new Date(holdDueAt(slot, fire))],
  );
  return { outcome: 'card_saved', order: (await recordEvent(tx, orderId, 'order.status', SYSTEM)).order };
}

/**
 * What the provider says of the order's payment, asked before an unpaid order expires, when its
 * webhook never reached us: a hold taken (or a payment taken) is applied as its events would have
 * been, kept in payment_events under ids of their own, so asking again applies nothing more and the
 * webhook arriving late changes nothing.
 */
export async function applyPaymentAsProviderSees(
  dbp: Db,
  provider: string,
  payment: ProviderPayment,
): Promise<Awaited<ReturnType<typeof processPaymentEvent>>[]> {
  if (payment.state === 'other') return [];
  const taken = payment.state === 'taken';
  const heldCents = taken ? payment.takenCents : payment.heldCents;
  const asked = {
    provider, paymentId: payment.id, orderId: payment.orderId, attempt: payment.attempt, heldCents, takenCents: payment.takenCents, reason: null,
    ...(payment.voucher ? { voucher: payment.voucher } : {}),
  };
  const results = [await handlePaymentEvent(dbp, { ...asked, id: `asked_${payment.id}_held`, kind: heldCents > 0 ? 'held' : 'other', providerType: 'asked: held' })];
  if (taken && results[0].outcome === 'authorised') {
    results.push(await handlePaymentEvent(dbp, { ...asked, id: `asked_${payment.id}_taken`, kind: 'taken', providerType: 'asked: taken' }));
  }
  return results;
}

/**
 * What the provider says of an order's card setup, asked before the order expires unpaid when its
 * webhook never reached us: a card saved is applied as its event would have been (kept under an id
 * of its own, so asking again applies nothing more).
 */
export async function applySetupAsProviderSees(dbp: Db, provider: string, setup: ProviderSetup) {
  if (!setup.paymentMethod) return null;
  return handlePaymentEvent(dbp, {
    id: `asked_${setup.id}_saved`, provider, kind: 'card_saved', providerType: 'asked: card saved', paymentId: setup.id, orderId: setup.orderId,
    attempt: null, heldCents: 0, takenCents: 0, reason: null, savedCard: { paymentMethod: setup.paymentMethod, customer: setup.customer },
  });
}
