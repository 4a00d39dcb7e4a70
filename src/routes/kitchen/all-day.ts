// What the kitchen has to make now, "all day" as cooks say: the pizzas of every open ticket (to
// start and in the oven) by product and size, most first, and the dough balls they take by size.
// Cancelled tickets and what is not a pizza (drinks, desserts) are left out.
import type { OrderView } from '../../lib/realtime/contract.ts';

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

export function allDay(tickets: readonly OrderView[], nameOf: (productId: number, name: string) => string = (_id, n) => n, locale: 'fr' | 'en' = 'fr'): AllDay {
  const lines = new Map<string, AllDayLine>();
  const dough = new Map<string | null, number>();
  let pizzas = 0;
  for (const o of tickets) {
    if (o.status === 'cancelled') continue;
    for (const i of o.items) {
      if (i.category !== 'pizza') continue;
      const sizeOption = i.options.find((opt) => opt.kind === 'size');
      const size = sizeOption ? (locale === 'en' && sizeOption.nameEn ? sizeOption.nameEn : sizeOption.name) : null;
      const name = nameOf(i.productId, i.name);
      const key = `${name}\u0000${size ?? ''}`;
      const line = lines.get(key) ?? { name, size, count: 0 };
      line.count += i.quantity;
      lines.set(key, line);
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
