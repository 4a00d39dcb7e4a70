// Moving an order along its states: checked by the move rules (src/lib/domain/move-rules.ts),
// then written with its event in one statement, at the version it was checked against.
import { createHash } from 'node:crypto';
import { HANDED_OVER_STATUSES, type OrderStatus, type Fulfilment } from '../../domain/order-states.ts';
import type { HandoverMethod } from '../../domain/payment-split.ts';
import type { CancelReason, FailureReason, OrderView, ShopPaymentMethod } from '../../shapes/views.ts';
import { transaction, type Db, type Tx } from '../kernel/db.ts';
import { conflict, forbidden, invalid, notFound } from '../kernel/errors.ts';
import { ORDER_VIEW } from '../kernel/order-view.ts';
import { checkMove, type MoveRefusal } from '../../domain/move-rules.ts';
import { type OrderActor, actorLabel } from '../kernel/actors.ts';
import { lockOrder } from './read.ts';
import { recordEvent, sealOrder } from './record.ts';
import { saleSeal, type SaleSeal } from './seal.ts';
import { releaseReservation } from './lines.ts';


export interface MoveOptions {
  /** How the money was taken: marking a pending order paid (cash, card, phone), handing over a pickup still owed (cash, card). */
  paymentMethod?: ShopPaymentMethod | 'terminal';
  cancelReason?: CancelReason;
  /** How a driver proved the delivery (checked by deliverOrder before the move). */
  proof?: 'pin' | 'photo';
  /** What the driver collected at the door. */
  collected?: { amountCents: number; method: HandoverMethod };
  /** Why a delivery failed at the door (the order goes back to the shop). */
  failure?: { reason: FailureReason; note?: string };
  /** Whether the move's event wakes the publishers (see Publishing). */
  announce?: boolean;
  /**
   * The order as the caller last saw it (the hub's newest view): the move is checked against it and
   * made only if the order is still at its version, without reading the order first. Every change
   * of an order bumps its version (orders_guard), so a view at the order's version is the order; a
   * stale one costs the read it would have saved, and never decides an answer.
   */
  seen?: OrderView;
}

/** What a move is checked against: the order's row, or the same fields of a view of it. */
export interface MoveBasis {
  id: string;
  pizzeria_id: number;
  driver_id: number | null;
  status: OrderStatus;
  version: number;
  fulfilment: Fulfilment;
  awaiting_decision: boolean;
  amount_due_cents: number | string;
  payment_status: string;
  fire_at?: Date | string | null;
  fired_at?: Date | string | null;
  /** The shop wants the allergy note read first (copied on the order when placed), and when the kitchen read it. */
  allergy_read_first?: boolean;
  allergy_read_at?: Date | string | null;
}

function moveBasisOf(v: OrderView): MoveBasis {
  return {
    id: v.id, pizzeria_id: v.pizzeriaId, driver_id: v.driver?.id ?? null, status: v.status, version: v.version, fulfilment: v.fulfilment,
    awaiting_decision: v.delivery.awaitingDecision, amount_due_cents: v.amountDueCents, payment_status: v.payment.status,
    fire_at: v.scheduled?.fireAt ?? null, fired_at: v.scheduled?.fired ? v.scheduled.fireAt : null,
    allergy_read_first: v.allergy?.readFirst ?? false, allergy_read_at: v.allergy?.readAt ?? null,
  };
}

export async function advanceOrder(
  dbp: Db,
  actor: OrderActor,
  orderId: string,
  to: OrderStatus,
  expectedVersion?: number,
  opts: MoveOptions = {},
): Promise<{ order: OrderView }> {
  if (to === 'cancelled') {
    // a cancel gives stock back to the shop: a transaction, with the order locked
    return transaction(dbp, async (tx) => {
      const o = await lockOrder(tx, orderId);
      const { sets, params } = planMove(o as MoveBasis, actor, to, expectedVersion, opts);
      await releaseReservation(tx, orderId);
      await tx.query(`UPDATE orders SET ${sets.join(', ')} WHERE id = $1`, params);
      return recordEvent(tx, orderId, 'order.status', actor, { announce: opts.announce });
    });
  }
  // Any other move is one statement: the order is read (or taken from the view the caller saw: no
  // read at all), the move checked against it, and then the update and its event are written at
  // once, only if the order is still at that version; another change in between: read again and
  // check again. (Starting an order consumes its reservation without a write: see foldConsumedStock.)
  for (let attempt = 1; ; attempt++) {
    let planned: { o: MoveBasis; sets: string[]; params: unknown[] } | null = null;
    const seen = attempt === 1 && opts.seen?.id === orderId ? opts.seen : undefined;
    if (seen && (expectedVersion === undefined || seen.version >= expectedVersion)) {
      try {
        const o = moveBasisOf(seen);
        planned = { o, ...planMove(o, actor, to, expectedVersion, opts) };
      } catch {
        // refused against what was seen: the order as it is now says what to answer
      }
    }
    if (!planned) {
      const { rows: read } = await dbp.query({ name: 'read-order', text: 'SELECT * FROM orders WHERE id = $1', values: [orderId] });
      if (!read[0]) throw notFound('order');
      const o = read[0] as MoveBasis;
      planned = { o, ...planMove(o, actor, to, expectedVersion, opts) };
    }
    const { o, sets, params } = planned!;
    params.push(o.version, actorLabel(actor), opts.announce ?? true);
    // a handful of shapes (one per kind of move): each statement built, named and prepared once
    // (per process, and per connection), found again by its SET clauses: building, hashing and
    // looking up the 5 KiB statement on every move was 2 % of the server's CPU in a rush
    // a move that sells (a handover) or takes money: the statement and the sale's seal in one
    // transaction (fiscal/seal.ts), committed together or not at all; the kitchen's moves stay one statement
    const seal = saleSeal();
    const sells = !!seal && ((HANDED_OVER_STATUSES as readonly string[]).includes(to) || sets.some((s) => /^(paid_cents|collected_cents) =/.test(s)));
    const { name, text } = moveStatement(sets, params.length, sells ? seal : null);
    const statement = { name, text, values: params };
    const sealed = async (tx: Tx) => {
      const moved = await tx.query<{ view: OrderView; unsealed_shop: number | null; sealing?: unknown }>(statement);
      if (moved.rows[0]) await sealOrder(tx, orderId, actorLabel(actor), moved.rows[0].unsealed_shop, moved.rows[0].sealing);
      return moved;
    };
    // given a caller's transaction (a client lent by the pool, not the pool): in it
    const inTransaction = typeof (dbp as unknown as Partial<Tx>).release === 'function';
    const { rows } = !sells
      ? await dbp.query<{ view: OrderView }>(statement)
      : inTransaction ? await sealed(dbp as unknown as Tx)
      : seal!.sales ? await transaction(dbp, sealed)
      : await movedThenTraining(dbp, statement, orderId, actorLabel(actor));
    if (rows[0]) return { order: rows[0].view };
    if (attempt >= 10) throw conflict('busy', 'the order keeps changing: try again');
  }
}

/**
 * A move when only a training shop's sales are sealed (FISCAL_SEAL_SALES off): one statement, as
 * every move; a training shop's sale it made (no sale: a JET event) is recorded just after it.
 */
async function movedThenTraining(dbp: Db, statement: { name: string; text: string; values: unknown[] }, orderId: string, actor: string) {
  const moved = await dbp.query<{ view: OrderView; unsealed_shop: number | null }>(statement);
  const shop = moved.rows[0]?.unsealed_shop ?? null;
  if (shop !== null) await transaction(dbp, (tx) => sealOrder(tx, orderId, actor, shop));
  return moved;
}

/**
 * The moves' statements, by their SET clauses: a handful of shapes, each built and named once. With
 * a seal (orders/seal.ts), the statement also says whether the order's money, as the move leaves
 * it, is sealed: if not, its shop, and what the seal reads of it (its `read`, when it has one).
 */
const NO_SEAL = {};
const moveStatements = new WeakMap<SaleSeal | typeof NO_SEAL, Map<string, { name: string; text: string }>>();
function moveStatement(sets: string[], paramCount: number, seal: SaleSeal | null = null): { name: string; text: string } {
  const [unsealed, read] = [seal?.unsealed ?? null, seal?.read ?? null];
  // per seal (its texts are long: not part of a key made at every move), then per shape of move
  let ofSeal = moveStatements.get(seal ?? NO_SEAL);
  if (!ofSeal) moveStatements.set(seal ?? NO_SEAL, (ofSeal = new Map()));
  const key = `${paramCount}|${sets.join(', ')}`;
  let statement = ofSeal.get(key);
  if (statement) return statement;
  const [version, label, announce] = [paramCount - 2, paramCount - 1, paramCount];
  const text = `WITH moved AS (
       UPDATE orders o SET ${sets.join(', ')} WHERE o.id = $1 AND o.version = $${version}
       RETURNING o.id, o.pizzeria_id, o.driver_id, ${ORDER_VIEW} AS view${unsealed ? `, CASE WHEN ${unsealed} THEN o.pizzeria_id END AS unsealed_shop` : ''}${read ? `, CASE WHEN ${unsealed} THEN ${read} END AS sealing` : ''}
     ), recorded AS (
       INSERT INTO order_event_inbox (order_id, pizzeria_id, driver_id, type, actor, payload, announce)
       SELECT id, pizzeria_id, driver_id, 'order.status', $${label}, view, $${announce}::boolean FROM moved
     )
     SELECT view${unsealed ? ', unsealed_shop' : ''}${read ? ', sealing' : ''} FROM moved`;
  statement = { name: `move-${createHash('sha1').update(text).digest('hex').slice(0, 16)}`, text };
  ofSeal.set(key, statement);
  return statement;
}

/**
 * A move made inside a caller's transaction, on an order it has locked (lockOrder): checked by the
 * same rules, written without its event (the caller records one event for the whole change).
 */
export async function moveLocked(tx: Tx, o: MoveBasis, actor: OrderActor, to: OrderStatus, opts: MoveOptions = {}): Promise<void> {
  const { sets, params } = planMove(o, actor, to, undefined, opts);
  await tx.query(`UPDATE orders SET ${sets.join(', ')} WHERE id = $1`, params);
}

/** A refusal of the move rules (src/lib/domain/move-rules.ts) as the API answers it. */
function refusalError(r: MoveRefusal) {
  if (r.kind === 'forbidden') return forbidden(r.message);
  if (r.kind === 'conflict') return conflict(r.code, r.message);
  return invalid(r.fields, r.message);
}

/**
 * Checks a move against the order as read (the move rules: who may make it, from which status, at
 * which version, saying what) and says what it changes: the SET clauses, with $1 the order id and
 * the parameters they use.
 */
function planMove(
  o: MoveBasis,
  actor: OrderActor,
  to: OrderStatus,
  expectedVersion: number | undefined,
  opts: MoveOptions,
): { sets: string[]; params: unknown[] } {
  const basis = {
    pizzeriaId: o.pizzeria_id, driverId: o.driver_id, status: o.status, version: o.version, fulfilment: o.fulfilment,
    awaitingDecision: o.awaiting_decision, amountDueCents: Number(o.amount_due_cents), waitingToFire: !!o.fire_at && !o.fired_at,
    allergyUnread: !!o.allergy_read_first && !o.allergy_read_at,
  };
  const allowed = checkMove(basis, actor, to, expectedVersion, opts);
  if (!allowed.ok) throw refusalError(allowed.refusal);
  const { markedPaid, collectedAtCounter, failedDelivery } = allowed;

  const sets = [`status = $2`, `version = version + 1`, `${to}_at = now()`];
  const params: unknown[] = [o.id, to];
  if (to === 'cancelled') {
    sets.push(`waiting_for_driver = false`);
    // money taken stays recorded as paid: what is owed back shows as refund_due until the refund is made
    if (o.payment_status === 'pending') sets.push(`payment_status = 'failed'`);
    params.push(opts.cancelReason ?? (actor.kind === 'customer' ? 'customer' : o.awaiting_decision ? 'delivery_failed' : 'shop'));
    sets.push(`cancel_reason = $${params.length}`);
  }
  if (markedPaid) {
    params.push(opts.paymentMethod);
    sets.push(`payment_status = 'paid'`, `paid_cents = total_cents`, `paid_with = $${params.length}::paid_with`);
  }
  if (failedDelivery) {
    params.push(opts.failure!.reason, opts.failure!.note ?? null);
    sets.push(
      `driver_id = NULL`, `waiting_for_driver = false`, `awaiting_decision = true`, `delivery_failed_at = now()`,
      `delivery_failure = $${params.length - 1}`, `delivery_failure_note = $${params.length}`, `delivery_attempts = delivery_attempts + 1`,
    );
  }
  if (to === 'cancelled') sets.push(`awaiting_decision = false`);
  if (to === 'delivered') {
    params.push(opts.proof ?? (actor.kind === 'staff' ? 'manager' : null));
    sets.push(`proof_kind = $${params.length}`);
    if (opts.collected) {
      params.push(opts.collected.amountCents, opts.collected.method);
      sets.push(`collected_cents = $${params.length - 1}`, `collected_method = $${params.length}`);
    }
  }
  if (collectedAtCounter) {
    // what the counter took, and how (read before this update: what was due)
    params.push(opts.paymentMethod);
    sets.push(`collected_cents = amount_due_cents`, `collected_method = $${params.length}`);
  }
  if (to === 'delivered' || to === 'collected') {
    // the handover collects what was still due, or gives back what the shop took too much
    // (money taken online is refunded through the provider instead)
    sets.push(
      `paid_cents = paid_cents + amount_due_cents`,
      // a card hold not captured yet stays one (its capture, or its failure, is the manager's to see)
      `payment_status = CASE WHEN payment_status = 'authorised' THEN payment_status ELSE 'paid' END`,
      `refunded_cents = refunded_cents + CASE WHEN paid_with = 'online' THEN 0 ELSE refund_due_cents END`,
      `refunded_at = CASE WHEN paid_with IS DISTINCT FROM 'online' AND refund_due_cents > 0 THEN now() ELSE refunded_at END`,
    );
  }
  return { sets, params };
}
