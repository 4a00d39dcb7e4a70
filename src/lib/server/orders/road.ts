// The road: a ticket late in the oven, deliveries waiting for a driver, offers handed on, shifts.
import { isIn, OPEN_STATUSES } from '../../domain/order-states.ts';
import { transaction, type Db, type Queryable, type Tx } from '../kernel/db.ts';
import { forbidden } from '../kernel/errors.ts';
import { type StaffActor, type OrderActor } from '../kernel/actors.ts';
import { lockOrder } from './read.ts';
import { recordEvent, recordRelease } from './record.ts';
import { can, may } from '../../domain/permissions.ts';

/** The preparation timer fired: flag the order late if it is still in the oven. */
export async function flagLate(dbp: Db, orderId: string) {
  return transaction(dbp, async (tx) => {
    const o = await lockOrder(tx, orderId);
    if (o.status !== 'preparing' || o.late) return null;
    await tx.query('UPDATE orders SET late = true, version = version + 1 WHERE id = $1', [orderId]);
    return recordEvent(tx, orderId, 'order.late', { kind: 'system', name: 'prep-timer' });
  });
}

/**
 * The shop's plan expects the order `minutes` past its promise: its managers' alert, raised once
 * (the order's event, `order.late_expected`, reaches their screens), while the order is open. False
 * when it was raised already or the order has ended.
 */
export async function flagExpectedLate(dbp: Db, orderId: string, minutes: number): Promise<boolean> {
  return transaction(dbp, async (tx) => {
    const o = await lockOrder(tx, orderId);
    if (o.late_expected_at !== null || !isIn(OPEN_STATUSES, o.status)) return false;
    await tx.query('UPDATE orders SET late_expected_at = now(), late_expected_minutes = $2, version = version + 1 WHERE id = $1', [orderId, minutes]);
    await recordEvent(tx, orderId, 'order.late_expected', { kind: 'system', name: 'plan' });
    return true;
  });
}

/**
 * A shop's preparation timer fired: every order of `pizzeriaId` still in the oven, not flagged yet,
 * that started by `startedBy` is flagged late, each in its own transaction (as flagLate). Returns
 * the ids flagged.
 */
export async function flagLateStartedBy(dbp: Db, pizzeriaId: number, startedBy: Date): Promise<string[]> {
  const { rows } = await dbp.query<{ id: string }>({
    name: 'orders-due-out-of-oven',
    text: `SELECT id FROM orders WHERE pizzeria_id = $1 AND status = 'preparing' AND NOT late AND preparing_at <= $2 ORDER BY preparing_at, id`,
    values: [pizzeriaId, startedBy],
  });
  const flagged: string[] = [];
  for (const { id } of rows) if (await flagLate(dbp, id)) flagged.push(id);
  return flagged;
}

/** Orders in the oven not yet flagged late, with when preparation started and their shop's own target (null: the chain's). */
export async function ordersInPreparation(q: Queryable): Promise<{ id: string; pizzeriaId: number; preparingAt: Date; targetSeconds: number | null }[]> {
  const { rows } = await q.query(
    `SELECT o.id, o.pizzeria_id, o.preparing_at, p.prep_target_seconds FROM orders o JOIN pizzerias p ON p.id = o.pizzeria_id WHERE o.status = 'preparing' AND NOT o.late`,
  );
  return rows.map((r) => ({ id: r.id, pizzeriaId: r.pizzeria_id, preparingAt: r.preparing_at ?? new Date(), targetSeconds: r.prep_target_seconds }));
}

/** Ready deliveries with no driver (and not waiting for a manager's decision), with their trip number. */
export async function ordersWaitingForDriver(q: Queryable): Promise<{ id: string; round: number }[]> {
  const { rows } = await q.query<{ id: string; delivery_attempts: number }>(
    `SELECT id, delivery_attempts FROM orders WHERE status = 'ready' AND fulfilment = 'delivery' AND driver_id IS NULL AND NOT awaiting_decision`,
  );
  return rows.map((r) => ({ id: r.id, round: r.delivery_attempts }));
}

/**
 * A driver leaving (shift ended, account disabled) hands their open offers on: each is closed with
 * `outcome` and its order told, so their phone drops it and dispatch offers it to the next driver.
 */
export async function handOffersOn(tx: Tx, driverId: number, actor: OrderActor, outcome: 'declined' | 'withdrawn'): Promise<void> {
  const { rows } = await tx.query<{ id: string }>('SELECT id FROM orders WHERE offer_driver_id = $1 ORDER BY id FOR UPDATE', [driverId]);
  for (const { id } of rows) {
    await tx.query(`UPDATE delivery_offers SET outcome = $2, decided_at = now() WHERE order_id = $1 AND outcome IS NULL`, [id, outcome]);
    await tx.query('UPDATE orders SET offer_driver_id = NULL, offer_expires_at = NULL, version = version + 1 WHERE id = $1', [id]);
    await recordRelease(tx, id, 'order.offer_declined', actor, driverId);
  }
}

export async function setShift(dbp: Db, driver: StaffActor, onShift: boolean): Promise<{ onShift: boolean }> {
  if (!may(driver.role, can.drive)) throw forbidden('only drivers take shifts');
  return transaction(dbp, async (tx) => {
    // a loan to another shop lasts the evening: it ends with the shift
    await tx.query('UPDATE users SET on_shift = $2, lent_to = CASE WHEN $2 THEN lent_to END WHERE id = $1', [driver.id, onShift]);
    // offers still open go to the next driver at once, not after their time
    if (!onShift) await handOffersOn(tx, driver.id, driver, 'declined');
    return { onShift };
  });
}

export async function isOnShift(q: Queryable, driverId: number): Promise<boolean> {
  const { rows } = await q.query<{ on_shift: boolean }>('SELECT on_shift FROM users WHERE id = $1', [driverId]);
  return rows[0]?.on_shift ?? false;
}
