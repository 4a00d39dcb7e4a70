// Paying at the door by QR code. The driver carrying an order asks for a code for what it still
// owes; the server keeps a row, then opens a one-off payment page at the provider (a Stripe Checkout
// Session, door-qr-stripe.ts; the demo's page, door-qr-demo.ts) and the driver's phone shows its
// address as a QR code and as text. The customer pays on their own phone; only the provider's signed
// event (applyDoorQrNotice, from the ledger's processing of each event, once) marks the order paid,
// collected at the door by QR ('qr', its own payment way: door_qr), and the driver's screen hears it
// through the order's event. An expired or failed page leaves the order owing: the driver takes cash.
// No order is paid twice: before a handover records money taken another way (or a failed delivery),
// the open page is expired at the provider; if the customer paid it first, the handover is refused
// (the payment is on its way). A payment that still arrives when the order no longer owes it is
// given back through the provider (refund_due, then refunded).
import { can, may, mayFor } from '../../domain/permissions.ts';
import type { OrderView } from '../../shapes/views.ts';
import type { StaffActor } from '../kernel/actors.ts';
import type { Db, Queryable, Tx } from '../kernel/db.ts';
import { AppError, conflict, forbidden, notFound } from '../kernel/errors.ts';
import { recordEvent } from '../orders/record.ts';
import type { PaymentNotice } from './notices.ts';
import { reconciled } from './terminal.ts';

/** How long a code can be paid: Stripe's shortest Checkout Session (https://docs.stripe.com/api/checkout/sessions/create#create_checkout_session-expires_at). */
export const DOOR_QR_MINUTES = 30;

/** A door payment the provider took, as its own records list it. */
export interface ProviderDoorPayment {
  id: string;
  amountCents: number;
  shopId: number | null;
  orderId: string | null;
}

/** What paying at the door by QR needs of its provider. */
export interface DoorQrProvider {
  readonly name: string;
  /** Opens the one-off page the customer pays on: its provider id and address. */
  open(r: { paymentId: string; orderId: string; shopId: number; amountCents: number; description: string; expiresAt: Date; returnUrl: string }): Promise<{ ref: string; url: string }>;
  /** Closes the page so that it can no longer be paid; 'paid' when the customer paid it first. */
  expire(ref: string): Promise<'expired' | 'paid'>;
  /** Gives back a payment made on a page the order no longer owed. */
  refund(r: { ref: string; intentRef: string | null; amountCents: number; orderId: string; key: string }): Promise<void>;
  /** The door payments the provider took on pages made between two instants (a code counts on the day it was shown). */
  paid(from: Date, to: Date): Promise<ProviderDoorPayment[]>;
}

export type DoorQrState = 'open' | 'paid' | 'expired' | 'failed' | 'refund_due' | 'refunded';

export interface DoorQrView {
  id: string;
  orderId: string;
  amountCents: number;
  state: DoorQrState;
  /** The page the customer pays on (the QR code's content). */
  url: string | null;
  reason: string | null;
  expiresAt: string;
}

interface DoorQrRow {
  id: string;
  order_id: string;
  pizzeria_id: number;
  driver_id: number;
  session_ref: string | null;
  pay_url: string | null;
  payment_intent_ref: string | null;
  amount_cents: number;
  state: DoorQrState;
  reason: string | null;
  created_at: Date;
}

const SYSTEM = { kind: 'system', name: 'payments' } as const;

function viewOf(r: DoorQrRow): DoorQrView {
  return {
    id: r.id, orderId: r.order_id, amountCents: r.amount_cents, state: r.state, url: r.pay_url, reason: r.reason,
    expiresAt: new Date(new Date(r.created_at).getTime() + DOOR_QR_MINUTES * 60_000).toISOString(),
  };
}

/** Whether the actor follows this code: the driver it was made for, or a manager of the shop. */
const follows = (actor: StaffActor, r: Pick<DoorQrRow, 'driver_id' | 'pizzeria_id'>) =>
  (may(actor.role, can.drive) && r.driver_id === actor.id) || mayFor(actor, can.runShop, r.pizzeria_id);

/** A code as the driver follows it (anyone else: 404). */
export async function doorQrOf(q: Queryable, actor: StaffActor, id: string): Promise<DoorQrView> {
  const { rows } = await q.query<DoorQrRow>('SELECT * FROM door_qr_payments WHERE id = $1', [id]);
  if (!rows[0] || !follows(actor, rows[0])) throw notFound('door payment');
  return viewOf(rows[0]);
}

/**
 * The driver carrying an order asks for a code for what it owes: the page opened at the provider
 * for exactly that amount. Asked again while one is open for the same amount, the same one; for
 * another amount (the order changed), the old one is closed first. Not the order's driver: 403.
 */
export async function startDoorQr(db: Db, provider: DoorQrProvider, actor: StaffActor, orderId: string, returnUrl: string): Promise<DoorQrView> {
  const { rows } = await db.query<{ pizzeria_id: number; number: number; status: string; fulfilment: string; driver_id: number | null; amount_due_cents: number }>(
    'SELECT pizzeria_id, number, status, fulfilment, driver_id, amount_due_cents FROM orders WHERE id = $1',
    [orderId],
  );
  const o = rows[0];
  if (!o) throw notFound('order');
  if (!may(actor.role, can.drive) || o.driver_id !== actor.id) throw forbidden('only the driver carrying this order shows its code');
  if (o.status !== 'out_for_delivery') throw conflict('not_on_the_way', 'a code is shown at the door, for an order on its way');
  if (o.amount_due_cents <= 0) throw conflict('nothing_due', 'this order owes nothing');
  const { rows: open } = await db.query<DoorQrRow>(`SELECT * FROM door_qr_payments WHERE order_id = $1 AND state = 'open'`, [orderId]);
  if (open[0]?.amount_cents === o.amount_due_cents && open[0].pay_url) return viewOf(open[0]);
  if (open[0]) await closeDoorQr(db, provider, open[0], 'the order owes another amount');
  let row: DoorQrRow;
  try {
    ({ rows: [row] } = await db.query<DoorQrRow>(
      `INSERT INTO door_qr_payments (order_id, pizzeria_id, driver_id, amount_cents) VALUES ($1, $2, $3, $4) RETURNING *`,
      [orderId, o.pizzeria_id, actor.id, o.amount_due_cents],
    ));
  } catch (err) {
    if ((err as { code?: string }).code === '23505') throw conflict('door_qr_busy', 'a code is being made for this order: try again');
    throw err;
  }
  try {
    const expiresAt = new Date(new Date(row.created_at).getTime() + DOOR_QR_MINUTES * 60_000);
    const page = await provider.open({ paymentId: row.id, orderId, shopId: o.pizzeria_id, amountCents: o.amount_due_cents, description: `OC Pizza, commande ${o.number}`, expiresAt, returnUrl });
    ({ rows: [row] } = await db.query<DoorQrRow>(`UPDATE door_qr_payments SET session_ref = $2, pay_url = $3 WHERE id = $1 RETURNING *`, [row.id, page.ref, page.url]));
  } catch (err) {
    await db.query(`UPDATE door_qr_payments SET state = 'failed', reason = $2, settled_at = now() WHERE id = $1 AND state = 'open'`, [row.id, (err as Error).message.slice(0, 300)]);
    throw err instanceof AppError ? err : new AppError(502, 'door_qr_unreachable', 'the payment page could not be made: try again, or take cash');
  }
  return viewOf(row);
}

/**
 * Closes an open code at the provider, then here; one the customer paid first: 409 (its event marks
 * the order paid). The provider out of reach: closed here all the same, so the driver can take cash;
 * a payment that still arrives on it is given back (applyDoorQrNotice: refund_due).
 */
async function closeDoorQr(db: Db, provider: DoorQrProvider, row: DoorQrRow, reason: string): Promise<void> {
  let why = reason;
  if (row.session_ref) {
    let outcome: 'expired' | 'paid' | 'unreachable';
    try {
      outcome = await provider.expire(row.session_ref);
    } catch (err) {
      if (err instanceof AppError) throw err;
      outcome = 'unreachable';
    }
    if (outcome === 'paid') throw conflict('door_qr_paid', 'the customer paid by QR code: the order shows it paid in a moment');
    if (outcome === 'unreachable') why = `${reason} (the provider out of reach: a payment made after is given back)`;
  }
  await db.query(`UPDATE door_qr_payments SET state = 'expired', reason = $2, settled_at = now() WHERE id = $1 AND state = 'open'`, [row.id, why.slice(0, 300)]);
}

/** The driver closes the code (the customer pays cash after all): expired at the provider, or 409 if paid already. */
export async function cancelDoorQr(db: Db, provider: DoorQrProvider, actor: StaffActor, id: string): Promise<DoorQrView> {
  const { rows } = await db.query<DoorQrRow>('SELECT * FROM door_qr_payments WHERE id = $1', [id]);
  const row = rows[0];
  if (!row || !follows(actor, row)) throw notFound('door payment');
  if (row.state !== 'open') throw conflict('door_qr_settled', `this code is ${row.state} already`);
  await closeDoorQr(db, provider, row, 'closed by the driver');
  return doorQrOf(db, actor, id);
}

/**
 * Before a handover or a failed delivery: the order's open code closed at the provider, so that it
 * can no longer be paid once the order no longer owes it. The customer paid it first: 409, nothing
 * else done (the payment's event marks the order paid; the driver hands over with nothing to collect).
 */
export async function closeOpenDoorQr(db: Db, provider: DoorQrProvider | null, orderId: string, reason: string): Promise<void> {
  const { rows } = await db.query<DoorQrRow>(`SELECT * FROM door_qr_payments WHERE order_id = $1 AND state = 'open'`, [orderId]);
  if (!rows[0]) return;
  if (!provider) throw new AppError(503, 'no_door_qr', 'payments at the door by QR code are not set up here');
  await closeDoorQr(db, provider, rows[0], reason);
}

/**
 * A provider's event about a door code (already believed, kept, processed once). Paid: the order
 * takes the amount, collected at the door by QR, if it still owes at least that much; otherwise the
 * payment is to give back (refund_due: the webhook's road refunds it at the provider). Failed or
 * expired: the code closes, the order still owes. A repeat, or an event for a code settled already,
 * changes nothing. Null: not a door code's event.
 */
export async function applyDoorQrNotice(tx: Tx, event: PaymentNotice): Promise<{ outcome: 'captured' | 'failed' | 'released' | 'ignored'; order?: OrderView } | null> {
  if (!event.doorQr) return null;
  const { rows } = await tx.query<DoorQrRow>('SELECT * FROM door_qr_payments WHERE session_ref = $1 FOR UPDATE', [event.paymentId]);
  const p = rows[0];
  if (!p || (p.state !== 'open' && !(event.kind === 'taken' && (p.state === 'expired' || p.state === 'failed')))) return { outcome: 'ignored' };
  if (event.kind === 'taken') {
    const { rows: found } = await tx.query<{ status: string; amount_due_cents: number }>('SELECT status, amount_due_cents FROM orders WHERE id = $1 FOR UPDATE', [p.order_id]);
    const o = found[0];
    const intent = event.doorQr.intent;
    if (!o || o.status === 'cancelled' || o.amount_due_cents < p.amount_cents || event.takenCents !== p.amount_cents || p.state !== 'open') {
      // paid when the order no longer owed it (taken another way, changed, cancelled): given back
      await tx.query(`UPDATE door_qr_payments SET state = 'refund_due', payment_intent_ref = $2, reason = $3, settled_at = now() WHERE id = $1`,
        [p.id, intent, 'paid when the order no longer owed it: given back']);
      return { outcome: 'ignored' };
    }
    await tx.query(`UPDATE door_qr_payments SET state = 'paid', payment_intent_ref = $2, settled_at = now() WHERE id = $1`, [p.id, intent]);
    await tx.query(
      `UPDATE orders SET paid_cents = paid_cents + $2, collected_cents = $2, collected_method = 'qr',
         payment_status = CASE WHEN payment_status = 'authorised' THEN payment_status ELSE 'paid' END, version = version + 1
       WHERE id = $1`,
      [p.order_id, p.amount_cents],
    );
    return { outcome: 'captured', order: (await recordEvent(tx, p.order_id, 'order.modified', SYSTEM)).order };
  }
  if (event.kind === 'refused' || event.kind === 'released') {
    const state = event.kind === 'refused' ? 'failed' : 'expired';
    await tx.query(`UPDATE door_qr_payments SET state = $2, reason = $3, settled_at = now() WHERE id = $1`, [p.id, state, (event.reason ?? (state === 'failed' ? 'payment failed' : 'expired')).slice(0, 300)]);
    return { outcome: event.kind === 'refused' ? 'failed' : 'released' };
  }
  return { outcome: 'ignored' };
}

/** A door payment to give back, as the refunding call needs it. */
export interface DoorRefund {
  ref: string;
  intentRef: string | null;
  amountCents: number;
  orderId: string;
  key: string;
}

/**
 * Gives back the door payments made when their order no longer owed them (of one page, or all), each
 * once: the provider's idempotency key is the code's. `refund` is the door provider's (the webhook's
 * road) or the online payments' (the workers, when they processed the event).
 */
export async function refundDueDoorQr(db: Db, refund: DoorQrProvider['refund'], sessionRef?: string): Promise<number> {
  const { rows } = await db.query<DoorQrRow>(
    `SELECT * FROM door_qr_payments WHERE state = 'refund_due' AND ($1::text IS NULL OR session_ref = $1)`,
    [sessionRef ?? null],
  );
  for (const r of rows) {
    await refund({ ref: r.session_ref!, intentRef: r.payment_intent_ref, amountCents: r.amount_cents, orderId: r.order_id, key: `dqr-refund-${r.id}` });
    await db.query(`UPDATE door_qr_payments SET state = 'refunded' WHERE id = $1 AND state = 'refund_due'`, [r.id]);
  }
  return rows.length;
}

/** The QR codes paid late still to give back (the reconciler queues each again until it is). */
export async function doorQrRefundsDue(q: Queryable): Promise<string[]> {
  const { rows } = await q.query<{ session_ref: string }>(`SELECT session_ref FROM door_qr_payments WHERE state = 'refund_due' AND session_ref IS NOT NULL`);
  return rows.map((r) => r.session_ref);
}

export interface DoorQrReconciliation {
  shopId: number;
  /** What the product recorded as paid by QR at the door that day, and what the provider's records hold. */
  recordedCents: number;
  providerCents: number;
  /** Each payment where they differ (one side missing: 0 there). */
  differences: { paymentRef: string; recordedCents: number; providerCents: number }[];
}

/**
 * A shop's door QR takings of a Paris day, as the product recorded them (paid, and given back after
 * being paid late: the provider holds both until the refund) and as the provider's records have them.
 */
export async function doorQrReconciliation(q: Queryable, provider: DoorQrProvider, shopId: number, date: string): Promise<DoorQrReconciliation> {
  const { rows: day } = await q.query<{ from: Date; to: Date }>(
    `SELECT ($1::date::timestamp AT TIME ZONE 'Europe/Paris') AS from, (($1::date + 1)::timestamp AT TIME ZONE 'Europe/Paris') AS to`,
    [date],
  );
  const { from, to } = day[0];
  const { rows } = await q.query<{ session_ref: string; amount_cents: number }>(
    `SELECT session_ref, amount_cents FROM door_qr_payments WHERE pizzeria_id = $1 AND state IN ('paid', 'refund_due', 'refunded') AND created_at >= $2 AND created_at < $3`,
    [shopId, from, to],
  );
  return reconciled(shopId, new Map(rows.map((r) => [r.session_ref, r.amount_cents])), await provider.paid(from, to));
}
