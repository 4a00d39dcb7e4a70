// The kitchen's keys, as a USB bump bar sends them (or a keyboard): number keys pick a ticket by
// its place on the screen, arrows move the pick, Enter bumps it, and a letter each for what else a
// finger does on a ticket. Plain TypeScript: the screen says how many tickets and columns it shows.

export type KeyAction =
  | { kind: 'select'; index: number }
  | { kind: 'bump' }
  | { kind: 'pay'; method: 'cash' | 'card' }
  | { kind: 'seen' }
  /** Cross off the ticket's next line still to make here, or un-cross the last one crossed. */
  | { kind: 'cross' }
  | { kind: 'uncross' }
  /** Take a ready ticket back to the oven (within its window). */
  | { kind: 'recall' }
  | { kind: 'recipe' }
  | { kind: 'remove' }
  | { kind: 'sound' };

/** What each key does, for the help the screen shows. */
export const KEYS = [
  ['1 … 9, 0', 'kitchen.keys.pick'],
  ['← → ↑ ↓', 'kitchen.keys.move'],
  ['Entrée / Enter', 'kitchen.keys.bump'],
  ['E / C', 'kitchen.keys.pay'],
  ['X / Z', 'kitchen.keys.cross'],
  ['U', 'kitchen.keys.recall'],
  ['V', 'kitchen.keys.seen'],
  ['R', 'kitchen.keys.recipe'],
  ['Suppr / Delete', 'kitchen.keys.remove'],
  ['S', 'kitchen.keys.sound'],
] as const;

/**
 * What a key does with `count` tickets shown in rows of `columns`, the ticket at `selected` picked
 * (null: none yet); null when the key means nothing here (typing in a field is never a key).
 */
export function keyAction(key: string, selected: number | null, count: number, columns: number): KeyAction | null {
  if (/^[0-9]$/.test(key)) {
    const index = key === '0' ? 9 : Number(key) - 1;
    return index < count ? { kind: 'select', index } : null;
  }
  const move = { ArrowLeft: -1, ArrowRight: 1, ArrowUp: -Math.max(1, columns), ArrowDown: Math.max(1, columns) }[key];
  if (move !== undefined) {
    if (!count) return null;
    if (selected === null) return { kind: 'select', index: 0 };
    return { kind: 'select', index: Math.min(count - 1, Math.max(0, selected + move)) };
  }
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
