// Who actually worked when, against the rota: the crew clock in and out (a driver by their "on
// shift" switch, which the trigger of migration 0081 records; the kitchen and the counter here),
// a person's coming shifts on their phone, and a day's staff per hour, planned against clocked
// in, with what their hours cost as a share of the day's sales (the takings, before VAT).
import { labourCents, labourShare, staffPerHour, type RotaRole } from '../../domain/rota.ts';
import { can, may } from '../../domain/permissions.ts';
import type { Db, Queryable } from '../kernel/db.ts';
import { AppError, forbidden } from '../kernel/errors.ts';
import { takingsOfDay } from '../money/takings.ts';
import { canActOnShop, type StaffActor } from '../kernel/actors.ts';
import { labourRates, type ShiftRow } from './rota.ts';

export interface ClockIn {
  startedAt: string;
  endedAt: string | null;
}

/** Whether the person clocks in with the button (a driver's switch is their clock). */
const clocksByButton = (actor: StaffActor) => may(actor.role, can.clockIn) && actor.pizzeriaId !== null;

/** Clocks a pizzaiolo or the counter in (once: clocking in twice keeps the first). */
export async function clockIn(dbp: Db, actor: StaffActor): Promise<ClockIn> {
  if (!clocksByButton(actor)) throw forbidden('drivers clock in by going on shift; managers do not clock in');
  await dbp.query('INSERT INTO clock_ins (user_id, pizzeria_id, role) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', [actor.id, actor.pizzeriaId, actor.role]);
  return (await openClockIn(dbp, actor.id))!;
}

/** Clocks them out: refused (409) when they are not clocked in. */
export async function clockOut(dbp: Db, actor: StaffActor): Promise<ClockIn> {
  if (!clocksByButton(actor)) throw forbidden('drivers clock out by going off shift; managers do not clock in');
  const { rows } = await dbp.query<{ started_at: Date; ended_at: Date }>(
    'UPDATE clock_ins SET ended_at = now() WHERE user_id = $1 AND ended_at IS NULL RETURNING started_at, ended_at',
    [actor.id],
  );
  if (!rows[0]) throw new AppError(409, 'not_clocked_in', 'you are not clocked in');
  return { startedAt: rows[0].started_at.toISOString(), endedAt: rows[0].ended_at.toISOString() };
}

export async function openClockIn(q: Queryable, userId: number): Promise<ClockIn | null> {
  const { rows } = await q.query<{ started_at: Date }>('SELECT started_at FROM clock_ins WHERE user_id = $1 AND ended_at IS NULL', [userId]);
  return rows[0] ? { startedAt: rows[0].started_at.toISOString(), endedAt: null } : null;
}

/** A person's shifts from today on (Paris), the next two weeks, and whether they are clocked in. */
export async function myShifts(q: Queryable, userId: number): Promise<{ shifts: Omit<ShiftRow, 'name'>[]; clockedIn: ClockIn | null }> {
  const { rows } = await q.query<{ id: string; pizzeria_id: number; user_id: number; role: RotaRole; starts_at: Date; ends_at: Date; date: string; start: string; end: string }>(
    `SELECT id, pizzeria_id, user_id, role, starts_at, ends_at,
            (starts_at AT TIME ZONE 'Europe/Paris')::date::text AS date,
            to_char(starts_at AT TIME ZONE 'Europe/Paris', 'HH24:MI') AS start, to_char(ends_at AT TIME ZONE 'Europe/Paris', 'HH24:MI') AS end
       FROM shifts WHERE user_id = $1 AND ends_at > now() AND starts_at < now() + interval '14 days' ORDER BY starts_at`,
    [userId],
  );
  const shifts = rows.map((r) => ({
    id: Number(r.id), pizzeriaId: r.pizzeria_id, userId: r.user_id, role: r.role,
    startsAt: r.starts_at.toISOString(), endsAt: r.ends_at.toISOString(), date: r.date, start: r.start, end: r.end,
  }));
  return { shifts, clockedIn: await openClockIn(q, userId) };
}

export interface StaffingOfDay {
  date: string;
  /** Paris hours (0-23) from the first planned or worked to the last. */
  hours: { hour: number; planned: number; actual: number }[];
  plannedCents: number;
  actualCents: number;
  /** The day's sales before VAT, from the takings. */
  salesExVatCents: number;
  /** Labour worked as a share of those sales (%; null without sales). */
  labourShare: number | null;
  plannedShare: number | null;
  ratesSet: boolean;
}

type Span = { userId: number; role: RotaRole; startsAt: number; endsAt: number };

/** A shop's day: staff planned against clocked in per hour, and labour against sales. */
export async function staffingOfDay(dbp: Db, actor: StaffActor, pizzeriaId: number, day?: string): Promise<StaffingOfDay> {
  if (!may(actor.role, can.runShop) || !canActOnShop(actor, pizzeriaId)) throw forbidden();
  const { rows: bounds } = await dbp.query<{ date: string; from: Date; to: Date }>(
    `SELECT d::text AS date, d::timestamp AT TIME ZONE 'Europe/Paris' AS from, (d + 1)::timestamp AT TIME ZONE 'Europe/Paris' AS to
       FROM (SELECT coalesce($1::date, (now() AT TIME ZONE 'Europe/Paris')::date) AS d) x`,
    [day ?? null],
  );
  const { date, from, to } = bounds[0];
  const span = (r: { user_id: number; role: RotaRole; s: Date; e: Date | null }): Span => ({ userId: r.user_id, role: r.role, startsAt: r.s.getTime(), endsAt: (r.e ?? new Date()).getTime() });
  const [plan, worked, rates, takings] = await Promise.all([
    dbp.query<{ user_id: number; role: RotaRole; s: Date; e: Date }>('SELECT user_id, role, starts_at AS s, ends_at AS e FROM shifts WHERE pizzeria_id = $1 AND ends_at > $2 AND starts_at < $3', [pizzeriaId, from, to]),
    dbp.query<{ user_id: number; role: RotaRole; s: Date; e: Date | null }>(
      'SELECT user_id, role, started_at AS s, ended_at AS e FROM clock_ins WHERE pizzeria_id = $1 AND coalesce(ended_at, now()) > $2 AND started_at < $3',
      [pizzeriaId, from, to],
    ),
    labourRates(dbp, pizzeriaId),
    takingsOfDay(dbp, actor, pizzeriaId, date),
  ]);
  const planned = plan.rows.map(span);
  const actual = worked.rows.map(span);
  const hourStarts = Array.from({ length: 24 }, (_, h) => from.getTime() + h * 3_600_000);
  const p = staffPerHour(planned, hourStarts);
  const a = staffPerHour(actual, hourStarts);
  const busy = hourStarts.map((_, h) => h).filter((h) => p[h] > 0 || a[h] > 0);
  const hours = busy.length ? hourStarts.map((_, h) => ({ hour: h, planned: p[h], actual: a[h] })).slice(busy[0], busy.at(-1)! + 1) : [];
  const salesExVatCents = takings.shops[0]?.netVat.reduce((sum, l) => sum + l.netCents, 0) ?? 0;
  const plannedCents = labourCents(planned, rates, from.getTime(), to.getTime());
  const actualCents = labourCents(actual, rates, from.getTime(), to.getTime());
  return {
    date, hours, plannedCents, actualCents, salesExVatCents,
    labourShare: labourShare(actualCents, salesExVatCents), plannedShare: labourShare(plannedCents, salesExVatCents),
    ratesSet: Object.keys(rates).length > 0,
  };
}
