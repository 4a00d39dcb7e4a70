// Preparation targets and ticket age, shared by the kitchen screen and the preparation timer.

/** How long a ticket may stay in preparation before it is flagged late. */
export const DEFAULT_PREP_TARGET_SECONDS = 15 * 60;

export type AgeLevel = 'fresh' | 'ageing' | 'late';

/** Colour band of a ticket by minutes since it reached the kitchen. */
export function ageLevel(ageSeconds: number, targetSeconds = DEFAULT_PREP_TARGET_SECONDS): AgeLevel {
  if (ageSeconds >= targetSeconds) return 'late';
  if (ageSeconds >= targetSeconds * 0.6) return 'ageing';
  return 'fresh';
}

export function formatAge(ageSeconds: number): string {
  const s = Math.max(0, Math.floor(ageSeconds));
  const m = Math.floor(s / 60);
  return `${m}:${String(s % 60).padStart(2, '0')}`;
}
