// A till's correction of how a sale was paid (cash ↔ card), with a second person when it goes
// beyond the ordinary. The counter may correct a few sales a shift by itself (a key pressed wrong);
// past COUNTER_CORRECTIONS_PER_SHIFT in CORRECTION_SHIFT_HOURS, or a sale corrected once already
// (cash → card → cash moves the evening's expected cash at will), a manager of the shop confirms it
// with their own password, and the journal's entry names them. Managers correct by themselves.
// Every correction shows on head office's alerts and on the cash page (fiscal/corrections.ts); a
// manager's confirmation is besides a `manager_override` in the technical events journal.
import { can, may, mayFor } from '../../domain/permissions.ts';
import type { PaymentCorrectionRequest } from '../../shapes/fiscal-requests.ts';
import type { OrderView } from '../../shapes/views.ts';
import type { Entry } from '../../domain/fiscal-chain.ts';
import type { StaffActor } from '../kernel/actors.ts';
import type { Db } from '../kernel/db.ts';
import { AppError, notFound } from '../kernel/errors.ts';
import { correctionsMade, correctPayment, CORRECTION_SHIFT_HOURS, operatorOf, signingKey } from '../fiscal/corrections.ts';
import { recordOverride } from '../fiscal/till-events.ts';
import { confirmStaff } from '../staff/auth.ts';

export interface CounterCorrectionRules {
  /** COUNTER_CORRECTIONS_PER_SHIFT: what the counter may correct by itself in a shift. */
  perShift: number;
  /** RATE_LIMIT_LOGIN: a manager's password tried this many times wrong is locked a while. */
  maxFailures: number;
}

/** A correction from the counter (or a manager), confirmed by a manager when the rules want one. */
export async function correctPaymentAtCounter(
  db: Db,
  actor: StaffActor,
  orderId: string,
  req: PaymentCorrectionRequest,
  rules: CounterCorrectionRules,
): Promise<{ order: OrderView; entry: Entry; confirmedBy: StaffActor | null }> {
  // asked once the correction is known to be one to make (a refusal, "the same way", comes first);
  // the manager's password is checked on a connection of its own, so a wrong one is counted
  const confirm = async (): Promise<StaffActor | null> => {
    if (may(actor.role, can.runShop)) return null;
    const made = await correctionsMade(db, actor, orderId);
    const why = made.onOrder > 0 ? 'corrected_before' : made.inShift >= rules.perShift ? 'shift_limit' : null;
    return why ? managerOf(db, actor, orderId, req, rules, why, made.inShift) : null;
  };
  const done = await correctPayment(db, actor, orderId, req, { confirm });
  // a manager's override: in the JET too, naming who let whom do what (its entry names them already)
  if (done.confirmedBy) {
    await recordOverride(db, await signingKey(db), {
      action: 'payment_correction', by: operatorOf(done.confirmedBy), for: operatorOf(actor), orderId, shop: done.order.pizzeriaId,
      ref: { chain: done.entry.chain, seq: done.entry.seq },
    });
  }
  return done;
}

/** The manager who confirms, by their password; refused with why a manager is needed. */
async function managerOf(db: Db, actor: StaffActor, orderId: string, req: PaymentCorrectionRequest, rules: CounterCorrectionRules, why: string, used: number): Promise<StaffActor> {
  const message = why === 'corrected_before'
    ? 'this sale was corrected already: a manager confirms another correction'
    : `${used} corrections this shift already: a manager confirms the next`;
  // `fields.manager`: the form asks for a manager's email and password there
  const details = { why, used, perShift: rules.perShift, shiftHours: CORRECTION_SHIFT_HOURS, fields: { manager: message } };
  if (!req.manager) throw new AppError(403, 'manager_confirmation_required', message, details);
  const { rows } = await db.query<{ pizzeria_id: number }>('SELECT pizzeria_id FROM orders WHERE id = $1', [orderId]);
  if (!rows[0]) throw notFound('order');
  const who = await confirmStaff(db, { email: req.manager.email, password: req.manager.password, from: `confirm:${actor.role}:${actor.id}` }, rules.maxFailures);
  if (who === 'locked') throw new AppError(429, 'rate_limited', 'too many wrong passwords: try again in a few minutes');
  if (!who || who.id === actor.id || !mayFor({ role: who.role, pizzeriaId: who.pizzeriaId }, can.runShop, rows[0].pizzeria_id)) {
    throw new AppError(403, 'manager_confirmation_refused', 'a manager of this shop, with their own password', { ...details, fields: { manager: 'a manager of this shop, with their own password' } });
  }
  return { kind: 'staff', id: who.id, role: who.role, pizzeriaId: who.pizzeriaId, name: who.name };
}
