// The rota: the shifts a shop plans for its crew, a week at a time, and what they say of the
// evening. Pure rules: the weeks (Monday to Sunday, dates as YYYY-MM-DD), a shift's own checks, two
// shifts of one person never at once, copying a week onto the next, the drivers a slot can count on,
// the staff present per hour (planned or clocked in) and what their hours cost.
import type { Role } from './order-states.ts';
import { SHOP_CREW, can, may } from './permissions.ts';
import { SLOT_MS } from './slots.ts';

/** The roles a rota plans: a shop's crew (drivers, pizzaiolos, counter). */
export const ROTA_ROLES = SHOP_CREW;
export type RotaRole = Role;
export const isRotaRole = (role: string): role is RotaRole => may(role as Role, ROTA_ROLES);

/** A shift is at most this long (the database checks it too). */
export const MAX_SHIFT_HOURS = 16;
const DAY_MS = 86_400_000;

export interface Interval {
  startsAt: number;
  endsAt: number;
}

export interface PlannedShift extends Interval {
  userId: number;
  role: RotaRole;
}

export type ShiftRefusal = 'ends_before_start' | 'too_long' | 'overlap';

/** Why a shift cannot be kept as it is (null: it can): it ends after it starts, lasts at most MAX_SHIFT_HOURS, and its person has no other shift then. */
export function checkShift(shift: PlannedShift & { id?: number }, others: readonly (PlannedShift & { id?: number })[]): ShiftRefusal | null {
  if (!(shift.endsAt > shift.startsAt)) return 'ends_before_start';
  if (shift.endsAt - shift.startsAt > MAX_SHIFT_HOURS * 3_600_000) return 'too_long';
  const clash = others.some((o) => o.userId === shift.userId && (shift.id === undefined || o.id !== shift.id) && overlaps(o, shift));
  return clash ? 'overlap' : null;
}

/** Whether two intervals share a moment (one ending as the other starts does not). */
export const overlaps = (a: Interval, b: Interval) => a.startsAt < b.endsAt && b.startsAt < a.endsAt;

/** The Monday of the week a date (YYYY-MM-DD) is in. */
export function mondayOf(date: string): string {
  const d = new Date(`${date}T00:00:00Z`);
  const back = (d.getUTCDay() + 6) % 7;
  return new Date(d.getTime() - back * DAY_MS).toISOString().slice(0, 10);
}

/** A date moved by `days` (YYYY-MM-DD). */
export const addDays = (date: string, days: number) => new Date(Date.parse(`${date}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);

/** The seven dates of the week starting on `monday`. */
export const weekDates = (monday: string) => Array.from({ length: 7 }, (_, i) => addDays(monday, i));

/**
 * Last week's shifts copied a week later: each one at the same hours seven days on, except those
 * that would put a person on two shifts at once with what the new week already holds (kept out,
 * returned apart so the page can say so).
 */
export function copyWeek<T extends PlannedShift>(lastWeek: readonly T[], thisWeek: readonly PlannedShift[]): { copies: T[]; clashes: T[] } {
  const copies: T[] = [];
  const clashes: T[] = [];
  const held: PlannedShift[] = [...thisWeek];
  for (const s of lastWeek) {
    const moved = { ...s, startsAt: s.startsAt + 7 * DAY_MS, endsAt: s.endsAt + 7 * DAY_MS };
    if (checkShift(moved, held) === null) {
      copies.push(moved);
      held.push(moved);
    } else clashes.push(s);
  }
  return { copies, clashes };
}

/** Drivers of the rota on shift for the whole of the slot starting at `start`. */
export const plannedDriversAt = (shifts: readonly PlannedShift[], start: number) =>
  new Set(shifts.filter((s) => may(s.role, can.drive) && s.startsAt <= start && s.endsAt >= start + SLOT_MS).map((s) => s.userId)).size;

/**
 * The drivers a slot counts on. Within tonight's horizon, those on shift now, or the rota's for
 * that slot where it plans more (a driver due at 19:00 counts for the 19:30 slot before they clock
 * in; one on shift now who was not planned still counts). Past it, the rota's alone: a slot nobody
 * is planned for is not counted (null upstream), and only the oven paces it.
 */
export function driversForSlot(o: { withinHorizon: boolean; onShift: number; planned: number }): number {
  return o.withinHorizon ? Math.max(o.onShift, o.planned) : o.planned;
}

/** People present (distinct) at some time in each hour starting at `hourStarts`. */
export function staffPerHour(spans: readonly (Interval & { userId: number })[], hourStarts: readonly number[]): number[] {
  return hourStarts.map((h) => new Set(spans.filter((s) => overlaps(s, { startsAt: h, endsAt: h + 3_600_000 })).map((s) => s.userId)).size);
}

/** What the hours of `spans` cost, in cents, at each role's hourly cost (a role without one costs nothing), each span cut to [from, to). */
export function labourCents(spans: readonly (Interval & { role: RotaRole })[], rates: Partial<Record<RotaRole, number>>, from: number, to: number): number {
  let cents = 0;
  for (const s of spans) {
    const ms = Math.max(0, Math.min(s.endsAt, to) - Math.max(s.startsAt, from));
    cents += (ms / 3_600_000) * (rates[s.role] ?? 0);
  }
  return Math.round(cents);
}

/** Labour as a share of sales (a percentage to a tenth; null without sales). */
export const labourShare = (labourCentsOfDay: number, salesCents: number) =>
  salesCents > 0 ? Math.round((1000 * labourCentsOfDay) / salesCents) / 10 : null;
