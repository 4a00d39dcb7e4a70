// A platform order waiting for the shop's manager (marketplace_orders): the states in which it
// waits, and how long is left before the platform cancels it by itself.

import { MANAGER_MARKETPLACE_STATES } from './marketplaces.ts';

/** The states of a platform order that wait for a person: an item to map, or a manager's yes or no. */
export const WAITING_STATES = MANAGER_MARKETPLACE_STATES;
export type WaitingState = (typeof WAITING_STATES)[number];

/** Whole seconds left until `acceptBy` (0 once past; null: the platform set no deadline). */
export function secondsLeft(acceptBy: string | null, now: number): number | null {
  if (!acceptBy) return null;
  return Math.max(0, Math.floor((Date.parse(acceptBy) - now) / 1000));
}

/** "4:05" for 245 seconds: the countdown as the page shows it. */
export function countdownText(seconds: number): string {
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`;
}
