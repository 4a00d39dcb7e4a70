// The money drivers bring back. A shift runs from going on shift to going off it (db/migrations/
// 0022: the rows follow users.on_shift); what the driver collected at the door in it, in cash and
// by card, is what the deliveries they made say. The driver declares what they have without being
// told the figure (a blind count); the manager counts the cash and closes the shift, and the
// difference is kept, with the audit log's record of who closed it; a difference needs its reason,
// and goes into the shop's fiscal journal as a cash correction (src/lib/server/fiscal/corrections.ts).
import type { CashCloseRequest, CashDeclareRequest } from '../../shapes/back-office-requests.ts';
import { audit } from '../kernel/audit.ts';
import { transaction, type Db, type Queryable } from '../kernel/db.ts';
import { AppError, conflict, forbidden, notFound } from '../kernel/errors.ts';
import { journalCashCorrection, signingKey } from '../fiscal/corrections.ts';
import { canActOnShop, type StaffActor } from '../kernel/actors.ts';
import { can, may } from '../../domain/permissions.ts';

export interface ShiftRecord {
  id: number;
  driverId: number;
  driverName: string;
  pizzeriaId: number;
  startedAt: string;
  endedAt: string | null;
  /** Deliveries of the shift where something was collected. */
  collections: number;
  expectedCashCents: number;
  expectedCardCents: number;
  declaredCashCents: number | null;
  declaredCardCents: number | null;
  declaredAt: string | null;
  countedCashCents: number | null;
  /**
   * Cash tips the driver declared for the shift's deliveries: theirs to keep, shown apart, never in
   * the shop's expected cash (src/lib/server/money/tip-payments.ts).
   */
  cashTipsCents: number;
  /** Counted cash less expected cash (negative: missing). */
  differenceCents: number | null;
  note: string | null;
  closedBy: string | null;
  closedAt: string | null;
  /** The cash correction the closing wrote in the shop's fiscal chain (its number), when the count differed. */
  correctionSeq: number | null;
}

// what the shift's deliveries collected, live until the shift is closed, then as it was closed
const SHIFT = `SELECT s.*, u.name AS driver_name, c.name AS closed_by_name, d.collections, d.live_cash, d.live_card, ct.cash_tips,
    (SELECT f.seq FROM fiscal_entries f WHERE f.source_key = 'cash-correction:shift:' || s.id) AS correction_seq
  FROM driver_shifts s JOIN users u ON u.id = s.driver_id LEFT JOIN users c ON c.id = s.closed_by
  CROSS JOIN LATERAL (
    SELECT count(*) FILTER (WHERE o.collected_cents > 0)::int AS collections,
           coalesce(sum(o.collected_cents) FILTER (WHERE o.collected_method = 'cash'), 0)::int AS live_cash,
           coalesce(sum(o.collected_cents) FILTER (WHERE o.collected_method = 'card'), 0)::int AS live_card
    FROM orders o WHERE o.driver_id = s.driver_id AND o.status = 'delivered'
      AND o.delivered_at >= s.started_at AND o.delivered_at <= coalesce(s.ended_at, now())) d
  CROSS JOIN LATERAL (
    SELECT coalesce(sum(t.amount_cents), 0)::int AS cash_tips FROM tips t JOIN orders o ON o.id = t.order_id
    WHERE t.way = 'cash' AND t.declared_by = s.driver_id AND o.delivered_at >= s.started_at AND o.delivered_at <= coalesce(s.ended_at, now())) ct`;

const iso = (d: Date | null) => (d ? d.toISOString() : null);
const toShift = (r: Record<string, any>): ShiftRecord => ({
  id: Number(r.id),
  driverId: r.driver_id,
  driverName: r.driver_name,
  pizzeriaId: r.pizzeria_id,
  startedAt: iso(r.started_at)!,
  endedAt: iso(r.ended_at),
  collections: r.collections,
  expectedCashCents: r.closed_at ? r.expected_cash_cents : r.live_cash,
  expectedCardCents: r.closed_at ? r.expected_card_cents : r.live_card,
  cashTipsCents: r.cash_tips ?? 0,
  declaredCashCents: r.declared_cash_cents,
  declaredCardCents: r.declared_card_cents,
  declaredAt: iso(r.declared_at),
  countedCashCents: r.counted_cash_cents,
  differenceCents: r.difference_cents,
  note: r.note,
  closedBy: r.closed_by_name,
  closedAt: iso(r.closed_at),
  correctionSeq: r.correction_seq === null || r.correction_seq === undefined ? null : Number(r.correction_seq),
});

/** A shop's shifts of one business day (Paris), the open ones first, then the latest. */
export async function shiftsOfShop(q: Queryable, actor: StaffActor, pizzeriaId: number, day?: string): Promise<ShiftRecord[]> {
  if (!may(actor.role, can.runShop) || !canActOnShop(actor, pizzeriaId)) throw forbidden('not your shop');
  const { rows } = await q.query(
    `${SHIFT} WHERE s.pizzeria_id = $1 AND (s.started_at AT TIME ZONE 'Europe/Paris')::date = coalesce($2::date, (now() AT TIME ZONE 'Europe/Paris')::date)
     ORDER BY s.closed_at IS NOT NULL, s.started_at DESC LIMIT 200`,
    [pizzeriaId, day ?? null],
  );
  return rows.map(toShift);
}

/** The driver's shift to declare for: the one going on, else the last one not closed. */
export async function currentShift(q: Queryable, driverId: number): Promise<ShiftRecord | null> {
  const { rows } = await q.query(`${SHIFT} WHERE s.driver_id = $1 AND s.closed_at IS NULL ORDER BY s.started_at DESC LIMIT 1`, [driverId]);
  return rows[0] ? toShift(rows[0]) : null;
}

/** What the driver says they bring back (cash, card slips); again to correct it, until the manager closes the shift. */
export async function declareCash(db: Db, driver: StaffActor, req: CashDeclareRequest): Promise<ShiftRecord> {
  if (!may(driver.role, can.drive)) throw forbidden('drivers declare what they collected');
  return transaction(db, async (tx) => {
    const { rows } = await tx.query('SELECT id FROM driver_shifts WHERE driver_id = $1 AND closed_at IS NULL ORDER BY started_at DESC LIMIT 1 FOR UPDATE', [driver.id]);
    if (!rows[0]) throw notFound('shift');
    await tx.query('UPDATE driver_shifts SET declared_cash_cents = $2, declared_card_cents = $3, declared_at = now() WHERE id = $1', [rows[0].id, req.cashCents, req.cardCents]);
    const { rows: after } = await tx.query(`${SHIFT} WHERE s.id = $1`, [rows[0].id]);
    return toShift(after[0]);
  });
}

/** The manager counted the cash: the shift is closed with what was expected and the difference. */
export async function closeShift(db: Db, actor: StaffActor, pizzeriaId: number, shiftId: number, req: CashCloseRequest): Promise<ShiftRecord> {
  if (!may(actor.role, can.runShop) || !canActOnShop(actor, pizzeriaId)) throw forbidden('not your shop');
  const key = await signingKey(db);
  return transaction(db, async (tx) => {
    const { rows } = await tx.query(`${SHIFT} WHERE s.id = $1 AND s.pizzeria_id = $2 FOR UPDATE OF s`, [shiftId, pizzeriaId]);
    if (!rows[0]) throw notFound('shift');
    const before = toShift(rows[0]);
    if (!before.endedAt) throw conflict('shift_open', 'the driver is still on shift: they end it first');
    if (before.closedAt) throw conflict('already_closed', 'this shift is already closed');
    const reason = req.note?.trim() ?? '';
    if (req.countedCashCents !== before.expectedCashCents && reason.length < 3) {
      throw new AppError(422, 'reason_required', 'the cash counted differs from what was collected: say why', { fields: { note: 'say why the cash differs' } });
    }
    await tx.query(
      `UPDATE driver_shifts SET expected_cash_cents = $2, expected_card_cents = $3, counted_cash_cents = $4, difference_cents = $4::int - $2::int,
         note = $5, closed_by = $6, closed_at = now() WHERE id = $1`,
      [shiftId, before.expectedCashCents, before.expectedCardCents, req.countedCashCents, req.note ?? null, actor.id],
    );
    const counted = (await tx.query(`${SHIFT} WHERE s.id = $1`, [shiftId])).rows[0];
    const entry = await journalCashCorrection(tx, key, actor, {
      id: shiftId, driverId: before.driverId, pizzeriaId, startedAt: before.startedAt, endedAt: before.endedAt, declaredCashCents: before.declaredCashCents,
      expectedCashCents: counted.expected_cash_cents, countedCashCents: counted.counted_cash_cents, differenceCents: counted.difference_cents, reason,
    });
    const closed = { ...toShift(counted), correctionSeq: entry?.seq ?? null };
    await audit(tx, actor, { action: 'cash.close_shift', entity: 'shift', entityId: shiftId, pizzeriaId, before, after: closed });
    return closed;
  });
}
