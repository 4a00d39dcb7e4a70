// What the kitchen has to make now, "all day" as cooks say: the pizzas of every open ticket (to
// start and in the oven) by product and size, most first, and the dough balls they take by size.
// Cancelled tickets, lines crossed off as made and what is not a pizza (drinks, desserts) are left out.
import { halvesLabel } from '../../shapes/line-options.ts';
import type { OrderView } from '../../shapes/views.ts';

export interface AllDayLine {
  name: string;
  /** The size chosen (its option's name), null for the usual one. */
  size: string | null;
  count: number;
}

export interface AllDay {
  lines: AllDayLine[];
  /** Dough balls by size: the usual ones, then each size chosen. */
  dough: { size: string | null; count: number }[];
  pizzas: number;
}

/**
 * `everyKind`: a station's own count (its tickets carry only its lines): drinks and desserts count
 * too, and only pizzas take dough.
 */
export function allDay(
  tickets: readonly OrderView[],
  nameOf: (productId: number, name: string) => string = (_id, n) => n,
  locale: 'fr' | 'en' = 'fr',
  everyKind = false,
): AllDay {
  const lines = new Map<string, AllDayLine>();
  const dough = new Map<string | null, number>();
  let pizzas = 0;
  for (const o of tickets) {
    if (o.status === 'cancelled') continue;
    for (const i of o.items) {
      // what is not a pizza, and a pizza already made (crossed off), is not to make
      if ((i.category !== 'pizza' && !everyKind) || i.doneAt) continue;
      const sizeOption = i.options.find((opt) => opt.kind === 'size');
      const size = sizeOption ? (locale === 'en' && sizeOption.nameEn ? sizeOption.nameEn : sizeOption.name) : null;
      const name = i.halves ? halvesLabel(i.halves, locale) : nameOf(i.productId, i.name);
      const key = `${name}\u0000${size ?? ''}`;
      const line = lines.get(key) ?? { name, size, count: 0 };
      line.count += i.quantity;
      lines.set(key, line);
      if (i.category !== 'pizza') continue;
      dough.set(size, (dough.get(size) ?? 0) + i.quantity);
      pizzas += i.quantity;
    }
  }
  return {
    lines: [...lines.values()].sort((a, b) => b.count - a.count || a.name.localeCompare(b.name) || (a.size ?? '').localeCompare(b.size ?? '')),
    dough: [...dough].map(([size, count]) => ({ size, count })).sort((a, b) => (a.size === null ? -1 : b.size === null ? 1 : a.size.localeCompare(b.size))),
    pizzas,
  };
}

export interface AllDaySoonLine {
  name: string;
  size: string | null;
  /** Started and not crossed off. */
  now: number;
  /** Arriving in the next 15 minutes: placed and not started yet. */
  next: number;
}

/**
 * The all-day counts split by when, one line per product and size: `now`, what the line has started
 * and not crossed off; `next`, what arrives in the next 15 minutes, the orders placed and not started
 * yet (and, once orders are planned, those to fire within 15 minutes); most to make first. The dough
 * balls count both, as a cook stretches them ahead.
 */
export function allDaySoon(
  tickets: readonly OrderView[],
  nameOf?: (productId: number, name: string) => string,
  locale: 'fr' | 'en' = 'fr',
  everyKind = false,
): { lines: AllDaySoonLine[]; dough: AllDay['dough']; pizzas: number } {
  const all = allDay(tickets, nameOf, locale, everyKind);
  const lines = new Map<string, AllDaySoonLine>();
  const add = (group: readonly OrderView[], when: 'now' | 'next') => {
    for (const l of allDay(group, nameOf, locale, everyKind).lines) {
      const key = `${l.name}\u0000${l.size ?? ''}`;
      const line = lines.get(key) ?? { name: l.name, size: l.size, now: 0, next: 0 };
      line[when] += l.count;
      lines.set(key, line);
    }
  };
  add(tickets.filter((o) => o.status !== 'received'), 'now');
  add(tickets.filter((o) => o.status === 'received'), 'next');
  const sorted = [...lines.values()].sort((a, b) => b.now + b.next - (a.now + a.next) || b.now - a.now || a.name.localeCompare(b.name) || (a.size ?? '').localeCompare(b.size ?? ''));
  return { lines: sorted, dough: all.dough, pizzas: all.pizzas };
}
