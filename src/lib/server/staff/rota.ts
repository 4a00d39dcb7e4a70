// The rota of a shop (src/lib/domain/rota.ts): the week's shifts its manager plans for its crew,
// copied from last week, the hourly cost of each role, and the clock-ins. Times are given and shown
// in Paris time (a shift's date and its start and end as HH:MM; an end at or before the start is
// the next morning). A driver clocks in with their "on shift" switch (the trigger of migration 0081
// writes it); pizzaiolos and the counter with clockIn/clockOut here.
import { checkShift, copyWeek, isRotaRole, weekDates, type PlannedShift, type RotaRole, type ShiftRefusal } from '../../domain/rota.ts';
import { can, may } from '../../domain/permissions.ts';
import { audit } from '../kernel/audit.ts';
import { transaction, type Db, type Queryable, type Tx } from '../kernel/db.ts';
import { AppError, forbidden, notFound } from '../kernel/errors.ts';
import { canActOnShop, type StaffActor } from '../kernel/actors.ts';

export interface ShiftRow {
  id: number;
  pizzeriaId: number;
  userId: number;
  name: string;
  role: RotaRole;
  /** ISO instants. */
  startsAt: string;
  endsAt: string;
  /** Paris date and times, as the page shows them. */
  date: string;
  start: string;
  end: string;
}

export interface ShiftInput {
  pizzeriaId: number;
  userId: number;
  /** The role on the shift (the person's own when not said). */
  role?: RotaRole;
  date: string;
  start: string;
  end: string;
}

const SHIFT_VIEW = `SELECT s.id, s.pizzeria_id, s.user_id, u.name, s.role, s.starts_at, s.ends_at,
    (s.starts_at AT TIME ZONE 'Europe/Paris')::date::text AS date,
    to_char(s.starts_at AT TIME ZONE 'Europe/Paris', 'HH24:MI') AS start,
    to_char(s.ends_at AT TIME ZONE 'Europe/Paris', 'HH24:MI') AS end
  FROM shifts s JOIN users u ON u.id = s.user_id`;

interface RawShift {
  id: string; pizzeria_id: number; user_id: number; name: string; role: RotaRole;
  starts_at: Date; ends_at: Date; date: string; start: string; end: string;
}
const toShift = (r: RawShift): ShiftRow => ({
  id: Number(r.id), pizzeriaId: r.pizzeria_id, userId: r.user_id, name: r.name, role: r.role,
  startsAt: r.starts_at.toISOString(), endsAt: r.ends_at.toISOString(), date: r.date, start: r.start, end: r.end,
});
const planned = (s: ShiftRow): PlannedShift & { id: number } => ({ id: s.id, userId: s.userId, role: s.role, startsAt: Date.parse(s.startsAt), endsAt: Date.parse(s.endsAt) });

const MESSAGES: Record<ShiftRefusal, string> = {
  ends_before_start: 'a shift ends after it starts',
  too_long: 'a shift lasts at most 16 hours',
  overlap: 'this person already has a shift at that time',
};
const refuse = (reason: ShiftRefusal) =>
  new AppError(reason === 'overlap' ? 409 : 422, `shift_${reason}`, MESSAGES[reason], {
    fields: { [reason === 'overlap' ? 'start' : 'end']: MESSAGES[reason] },
  });

/** Whether the actor plans this shop's rota: its manager, or head office for any. */
function checkPlanner(actor: StaffActor, pizzeriaId: number): void {
  if (!may(actor.role, can.runShop) || !canActOnShop(actor, pizzeriaId)) throw forbidden("you may only plan your own shop's rota");
}

/** The shop's crew who may be put on its rota. */
export async function rotaCrew(q: Queryable, pizzeriaId: number): Promise<{ id: number; name: string; role: RotaRole }[]> {
  const { rows } = await q.query<{ id: number; name: string; role: RotaRole }>(
    'SELECT id, name, role FROM users WHERE pizzeria_id = $1 AND active ORDER BY role, name',
    [pizzeriaId],
  );
  return rows.filter((r) => isRotaRole(r.role));
}

/** The shifts of a shop starting in the week from `monday` (Paris dates). */
export async function shiftsOfWeek(q: Queryable, pizzeriaId: number, monday: string): Promise<ShiftRow[]> {
  const { rows } = await q.query<RawShift>(
    `${SHIFT_VIEW} WHERE s.pizzeria_id = $1
       AND s.starts_at >= ($2::date)::timestamp AT TIME ZONE 'Europe/Paris'
       AND s.starts_at < ($2::date + 7)::timestamp AT TIME ZONE 'Europe/Paris'
     ORDER BY s.starts_at, u.name`,
    [pizzeriaId, monday],
  );
  return rows.map(toShift);
}

/** The week's rota as the page shows it: its days, the crew, the shifts, and each role's hourly cost. */
export async function rotaOfWeek(q: Queryable, actor: StaffActor, pizzeriaId: number, monday: string) {
  checkPlanner(actor, pizzeriaId);
  const [crew, shifts, rates] = await Promise.all([rotaCrew(q, pizzeriaId), shiftsOfWeek(q, pizzeriaId, monday), labourRates(q, pizzeriaId)]);
  return { monday, dates: weekDates(monday), crew, shifts, rates };
}

/** The instants of a shift given in Paris time; an end at or before its start is the next day's. */
async function instants(q: Queryable, input: Pick<ShiftInput, 'date' | 'start' | 'end'>): Promise<{ startsAt: Date; endsAt: Date }> {
  const { rows } = await q.query<{ starts_at: Date; ends_at: Date }>(
    `SELECT ($1::date + $2::time)::timestamp AT TIME ZONE 'Europe/Paris' AS starts_at,
            ($1::date + CASE WHEN $3::time <= $2::time THEN 1 ELSE 0 END + $3::time)::timestamp AT TIME ZONE 'Europe/Paris' AS ends_at`,
    [input.date, input.start, input.end],
  );
  return { startsAt: rows[0].starts_at, endsAt: rows[0].ends_at };
}

/** Checks a shift against its person's other shifts (under a lock on that person), and writes it. */
async function keepShift(tx: Tx, actor: StaffActor, input: ShiftInput, id?: number): Promise<ShiftRow> {
  const { rows: people } = await tx.query<{ role: RotaRole; pizzeria_id: number | null; active: boolean }>(
    'SELECT role, pizzeria_id, active FROM users WHERE id = $1',
    [input.userId],
  );
  const person = people[0];
  if (!person || !person.active || person.pizzeria_id !== input.pizzeriaId || !isRotaRole(person.role)) {
    throw new AppError(422, 'not_crew', 'choose someone of this shop’s crew', { fields: { userId: 'choose someone of this shop’s crew' } });
  }
  const role = input.role ?? person.role;
  if (!isRotaRole(role)) throw new AppError(422, 'not_crew', 'a shift is for a driver, the kitchen or the counter', { fields: { role: 'not a crew role' } });
  await tx.query('SELECT pg_advisory_xact_lock(7240, $1)', [input.userId]);
  const { startsAt, endsAt } = await instants(tx, input);
  const { rows: theirs } = await tx.query<{ id: string; starts_at: Date; ends_at: Date }>(
    'SELECT id, starts_at, ends_at FROM shifts WHERE user_id = $1 AND ends_at > $2::timestamptz - interval \'1 day\' AND starts_at < $3::timestamptz + interval \'1 day\'',
    [input.userId, startsAt, endsAt],
  );
  const others = theirs.map((o) => ({ id: Number(o.id), userId: input.userId, role, startsAt: o.starts_at.getTime(), endsAt: o.ends_at.getTime() }));
  const reason = checkShift({ id, userId: input.userId, role, startsAt: startsAt.getTime(), endsAt: endsAt.getTime() }, others);
  if (reason) throw refuse(reason);
  const { rows } = id === undefined
    ? await tx.query<{ id: string }>(
        'INSERT INTO shifts (pizzeria_id, user_id, role, starts_at, ends_at, created_by) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id',
        [input.pizzeriaId, input.userId, role, startsAt, endsAt, actor.id],
      )
    : await tx.query<{ id: string }>('UPDATE shifts SET user_id = $2, role = $3, starts_at = $4, ends_at = $5 WHERE id = $1 RETURNING id', [id, input.userId, role, startsAt, endsAt]);
  return (await shiftById(tx, Number(rows[0].id)))!;
}

async function shiftById(q: Queryable, id: number): Promise<ShiftRow | null> {
  const { rows } = await q.query<RawShift>(`${SHIFT_VIEW} WHERE s.id = $1`, [id]);
  return rows[0] ? toShift(rows[0]) : null;
}

/** Plans a shift: refused with 409 where its person already has one at that time, 422 where it does not hold. */
export async function addShift(dbp: Db, actor: StaffActor, input: ShiftInput): Promise<ShiftRow> {
  checkPlanner(actor, input.pizzeriaId);
  return transaction(dbp, async (tx) => {
    const shift = await keepShift(tx, actor, input);
    await audit(tx, actor, { action: 'rota.add', entity: 'shift', entityId: shift.id, pizzeriaId: shift.pizzeriaId, before: null, after: shift });
    return shift;
  });
}

/** Changes a shift's person, role or hours, under the same checks. */
export async function changeShift(dbp: Db, actor: StaffActor, id: number, input: Omit<ShiftInput, 'pizzeriaId'>): Promise<ShiftRow> {
  return transaction(dbp, async (tx) => {
    const before = await shiftById(tx, id);
    if (!before) throw notFound('shift');
    checkPlanner(actor, before.pizzeriaId);
    const after = await keepShift(tx, actor, { ...input, pizzeriaId: before.pizzeriaId }, id);
    await audit(tx, actor, { action: 'rota.change', entity: 'shift', entityId: id, pizzeriaId: before.pizzeriaId, before, after });
    return after;
  });
}

export async function removeShift(dbp: Db, actor: StaffActor, id: number): Promise<void> {
  await transaction(dbp, async (tx) => {
    const before = await shiftById(tx, id);
    if (!before) throw notFound('shift');
    checkPlanner(actor, before.pizzeriaId);
    await tx.query('DELETE FROM shifts WHERE id = $1', [id]);
    await audit(tx, actor, { action: 'rota.remove', entity: 'shift', entityId: id, pizzeriaId: before.pizzeriaId, before, after: null });
  });
}

/** Copies the week before `monday` onto it: each shift at the same hours, except those that would clash (counted apart). */
export async function copyLastWeek(dbp: Db, actor: StaffActor, pizzeriaId: number, monday: string): Promise<{ copied: number; clashes: number }> {
  checkPlanner(actor, pizzeriaId);
  return transaction(dbp, async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock(7241, $1)', [pizzeriaId]);
    const { rows } = await tx.query<{ last: string }>('SELECT ($1::date - 7)::text AS last', [monday]);
    const [last, current] = await Promise.all([shiftsOfWeek(tx, pizzeriaId, rows[0].last), shiftsOfWeek(tx, pizzeriaId, monday)]);
    // a person's shifts at another shop that week count too: nobody is in two places at once
    const { rows: elsewhere } = await tx.query<{ user_id: number; role: RotaRole; starts_at: Date; ends_at: Date }>(
      `SELECT user_id, role, starts_at, ends_at FROM shifts WHERE user_id = ANY($1) AND pizzeria_id <> $2
         AND starts_at < ($3::date + 8)::timestamp AT TIME ZONE 'Europe/Paris' AND ends_at > ($3::date - 1)::timestamp AT TIME ZONE 'Europe/Paris'`,
      [[...new Set(last.map((s) => s.userId))], pizzeriaId, monday],
    );
    const held = [...current.map(planned), ...elsewhere.map((e) => ({ userId: e.user_id, role: e.role, startsAt: e.starts_at.getTime(), endsAt: e.ends_at.getTime() }))];
    const { copies, clashes } = copyWeek(last.map(planned), held);
    for (const c of copies) {
      await tx.query('INSERT INTO shifts (pizzeria_id, user_id, role, starts_at, ends_at, created_by) VALUES ($1, $2, $3, $4, $5, $6)', [
        pizzeriaId, c.userId, c.role, new Date(c.startsAt), new Date(c.endsAt), actor.id,
      ]);
    }
    await audit(tx, actor, { action: 'rota.copy_week', entity: 'pizzeria', entityId: pizzeriaId, pizzeriaId, before: null, after: { monday, copied: copies.length, clashes: clashes.length } });
    return { copied: copies.length, clashes: clashes.length };
  });
}

/** What an hour of each role costs the shop (cents; a role not set is absent). */
export async function labourRates(q: Queryable, pizzeriaId: number): Promise<Partial<Record<RotaRole, number>>> {
  const { rows } = await q.query<{ role: RotaRole; cents_per_hour: number }>('SELECT role, cents_per_hour FROM labour_rates WHERE pizzeria_id = $1', [pizzeriaId]);
  return Object.fromEntries(rows.map((r) => [r.role, r.cents_per_hour]));
}

export async function setLabourRate(dbp: Db, actor: StaffActor, pizzeriaId: number, role: RotaRole, centsPerHour: number): Promise<void> {
  checkPlanner(actor, pizzeriaId);
  if (!isRotaRole(role)) throw new AppError(422, 'not_crew', 'not a crew role', { fields: { role: 'not a crew role' } });
  await transaction(dbp, async (tx) => {
    await tx.query(
      `INSERT INTO labour_rates (pizzeria_id, role, cents_per_hour) VALUES ($1, $2, $3)
       ON CONFLICT (pizzeria_id, role) DO UPDATE SET cents_per_hour = EXCLUDED.cents_per_hour`,
      [pizzeriaId, role, centsPerHour],
    );
    await audit(tx, actor, { action: 'rota.rate', entity: 'pizzeria', entityId: pizzeriaId, pizzeriaId, before: null, after: { role, centsPerHour } });
  });
}
