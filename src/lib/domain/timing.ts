// Preparation targets and ticket age, shared by the kitchen screen and the preparation timer.

/** How long a ticket may stay in preparation before it is flagged late. */
export const DEFAULT_PREP_TARGET_SECONDS = 15 * 60;

export type AgeLevel = 'fresh' | 'ageing' | 'late';

/** Colour band of a ticket by seconds against a target: amber from 60 % of it, red from the target on, never back. */
export function ageLevel(ageSeconds: number, targetSeconds = DEFAULT_PREP_TARGET_SECONDS): AgeLevel {
  if (!(targetSeconds > 0)) return 'fresh';
  if (ageSeconds >= targetSeconds) return 'late';
  if (ageSeconds >= targetSeconds * 0.6) return 'ageing';
  return 'fresh';
}

/** What a ticket needs to be aged: when each step was reached (ISO), and the preparation timer's flag. */
export interface TicketTimes {
  timestamps: Partial<Record<string, string>>;
  late?: boolean;
  /** An order for later: it reaches the make line at its fire time, not when it was taken. */
  scheduled?: { fireAt: string } | null;
}

const at = (iso: string | undefined) => (iso ? Date.parse(iso) : NaN);

/**
 * Seconds the customer has been waiting: from the moment the order reached the kitchen (received;
 * created when it never went through a payment step; an order for later, its fire time), whatever
 * column the ticket is in now.
 */
export function waitingSeconds(t: TicketTimes, nowMs: number): number {
  let from = at(t.timestamps.received);
  if (Number.isNaN(from)) from = at(t.timestamps.created);
  if (Number.isNaN(from)) return 0;
  const fired = at(t.scheduled?.fireAt);
  if (fired > from) from = fired;
  return Math.max(0, (nowMs - from) / 1000);
}

/** Seconds since the ticket reached the step it is at now (0 when unknown). */
export function stepSeconds(t: TicketTimes, step: string, nowMs: number): number {
  const from = at(t.timestamps[step]);
  return Number.isNaN(from) ? 0 : Math.max(0, (nowMs - from) / 1000);
}

/**
 * The colour of a ticket in any column: the customer's total wait against the shop's target.
 * A ticket the preparation timer flagged late stays red.
 */
export function ticketLevel(t: TicketTimes, nowMs: number, targetSeconds = DEFAULT_PREP_TARGET_SECONDS): AgeLevel {
  if (t.late) return 'late';
  return ageLevel(waitingSeconds(t, nowMs), targetSeconds);
}

/** m:ss, or h:mm:ss past an hour. */
export function formatAge(ageSeconds: number): string {
  const s = Math.max(0, Math.floor(ageSeconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}
