// The kitchen's keys, as a USB bump bar sends them (or a keyboard): number keys pick a ticket by
// its place on the screen, arrows move the pick, Enter bumps it, a letter each for what else a
// finger does on a ticket, L brings back the last ticket bumped and Page Up / Page Down turn the
// make line's screens. Plain TypeScript: the screen says where each ticket it shows sits.

import type { HandoverMethod } from '../../domain/payment-split.ts';

export type KeyAction =
  | { kind: 'select'; index: number }
  | { kind: 'bump' }
  | { kind: 'pay'; method: HandoverMethod }
  | { kind: 'seen' }
  /** Cross off the ticket's next line still to make here, or un-cross the last one crossed. */
  | { kind: 'cross' }
  | { kind: 'uncross' }
  /** Take a ready ticket back to the oven (within its window). */
  | { kind: 'recall' }
  | { kind: 'recipe' }
  | { kind: 'remove' }
  | { kind: 'sound' }
  /** Bring back the ticket bumped last (recall-last.ts), nothing picked needed. */
  | { kind: 'last' }
  /** The make line's next or previous screen. */
  | { kind: 'page'; delta: 1 | -1 };

/** What each key does, for the help the screen shows. */
export const KEYS = [
  ['1 … 9, 0', 'kitchen.keys.pick'],
  ['← → ↑ ↓', 'kitchen.keys.move'],
  ['Entrée / Enter', 'kitchen.keys.bump'],
  ['E / C', 'kitchen.keys.pay'],
  ['X / Z', 'kitchen.keys.cross'],
  ['U', 'kitchen.keys.recall'],
  ['L', 'kitchen.keys.last'],
  ['Page ↑ / Page ↓', 'kitchen.keys.page'],
  ['V', 'kitchen.keys.seen'],
  ['R', 'kitchen.keys.recipe'],
  ['Suppr / Delete', 'kitchen.keys.remove'],
  ['S', 'kitchen.keys.sound'],
] as const;

/** Where a ticket shown sits: its band (0 the make line, 1 the pass), its column and its row. */
export interface Spot {
  band: number;
  col: number;
  row: number;
}

/** The ticket in the next column (-1 or 1) of the same band, at the nearest row; null when there is none. */
function across(spots: readonly Spot[], from: number, step: -1 | 1): number | null {
  const here = spots[from];
  const there = spots.map((s, i) => ({ ...s, i })).filter((s) => s.band === here.band && s.col === here.col + step);
  if (!there.length) return null;
  return there.reduce((best, s) => (Math.abs(s.row - here.row) < Math.abs(best.row - here.row) ? s : best)).i;
}

/**
 * What a key does with the tickets shown at `spots` (in reading order), the one at `selected` picked
 * (null: none yet); null when the key means nothing here (typing in a field is never a key).
 * Up and down go through the tickets in reading order (down a column, then the next); left and
 * right to the next column at the same height, else to the ticket before or after.
 */
export function keyAction(key: string, selected: number | null, spots: readonly Spot[]): KeyAction | null {
  const count = spots.length;
  if (/^[0-9]$/.test(key)) {
    const index = key === '0' ? 9 : Number(key) - 1;
    return index < count ? { kind: 'select', index } : null;
  }
  if (key === 'PageDown' || key === 'PageUp') return { kind: 'page', delta: key === 'PageDown' ? 1 : -1 };
  if (key.startsWith('Arrow')) {
    if (!count) return null;
    if (selected === null || selected >= count) return { kind: 'select', index: 0 };
    const step = key === 'ArrowLeft' || key === 'ArrowUp' ? -1 : 1;
    const side = key === 'ArrowLeft' || key === 'ArrowRight' ? across(spots, selected, step) : null;
    return { kind: 'select', index: side ?? Math.min(count - 1, Math.max(0, selected + step)) };
  }
  if (key.toLowerCase() === 'l') return { kind: 'last' };
  if (key.toLowerCase() === 's') return { kind: 'sound' };
  if (selected === null || selected >= count) return null;
  switch (key) {
    case 'Enter':
    case ' ':
      return { kind: 'bump' };
    case 'Delete':
    case 'Backspace':
      return { kind: 'remove' };
  }
  switch (key.toLowerCase()) {
    case 'e':
      return { kind: 'pay', method: 'cash' };
    case 'c':
      return { kind: 'pay', method: 'card' };
    case 'v':
      return { kind: 'seen' };
    case 'x':
      return { kind: 'cross' };
    case 'z':
      return { kind: 'uncross' };
    case 'u':
      return { kind: 'recall' };
    case 'r':
      return { kind: 'recipe' };
  }
  return null;
}

/** The number key of the ticket at this place (1 … 9, then 0 for the tenth); none further on (arrows reach those). */
export const placeKey = (index: number): string => (index < 9 ? String(index + 1) : index === 9 ? '0' : '');
