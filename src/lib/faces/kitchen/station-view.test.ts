import { describe, expect, it } from 'vitest';
import type { OrderItemView, OrderView } from '../../shapes/views.ts';
import type { Station } from '../../domain/stations.ts';
import { alsoAt, choices, linesShown, lit, openLines, stationProgress, ticketsFor, viewOf } from './station-view.ts';

const oven: Station = { id: 1, name: 'Four', isPass: false, kinds: ['pizza'], categoryIds: [] };
const cold: Station = { id: 2, name: 'Froid', isPass: false, kinds: ['drink', 'dessert'], categoryIds: [] };
const pass: Station = { id: 3, name: 'Passe', isPass: true, kinds: [], categoryIds: [] };
const shop = [oven, cold, pass];

let nextLine = 1;
const line = (category: OrderItemView['category'], done = false): OrderItemView => ({
  id: nextLine++, productId: 1, name: category, category, categoryId: null, quantity: 1, unitPriceCents: 1000, options: [], doneAt: done ? '2026-11-24T20:00:00.000Z' : null,
});
const ticket = (id: string, status: OrderView['status'], items: OrderItemView[]) => ({ id, status, items }) as OrderView;

describe('what a kitchen tablet shows by its station', () => {
  const pizzasOnly = ticket('a', 'received', [line('pizza'), line('pizza')]);
  const mixed = ticket('b', 'preparing', [line('pizza', true), line('drink')]);
  const drinksOnly = ticket('c', 'preparing', [line('drink')]);
  const done = ticket('d', 'preparing', [line('pizza', true), line('drink', true)]);
  const makeLine = [pizzasOnly, mixed, drinksOnly, done];

  it('offers everything, then each station; a shop without stations offers no choice', () => {
    expect(choices(shop)).toEqual(['all', 1, 2, 3]);
    expect(choices([])).toEqual([]);
    expect(viewOf(2, shop)).toEqual({ kind: 'make', station: cold });
    expect(viewOf(3, shop).kind).toBe('pass');
    // a station removed since the tablet chose it: everything again
    expect(viewOf(9, shop)).toEqual({ kind: 'all' });
  });

  it('a make station sees only the orders with its own lines still to make, and only those lines', () => {
    const ovenView = viewOf(1, shop);
    expect(ticketsFor(makeLine, ovenView, shop, () => false).map((o) => o.id)).toEqual(['a']);
    const coldView = viewOf(2, shop);
    expect(ticketsFor(makeLine, coldView, shop, () => false).map((o) => o.id)).toEqual(['b', 'c']);
    expect(linesShown(mixed, coldView, shop).map((l) => [l.item.category, l.index])).toEqual([['drink', 1]]);
    expect(alsoAt(mixed, coldView, shop).map((s) => s.name)).toEqual(['Four']);
    expect(openLines(mixed, ovenView, shop)).toEqual([]);
  });

  it('a cancelled order stays on a station that had its lines, for as long as the screen keeps it', () => {
    const cancelled = ticket('x', 'cancelled', [line('pizza')]);
    expect(ticketsFor([cancelled], viewOf(1, shop), shop, () => true).map((o) => o.id)).toEqual(['x']);
    expect(ticketsFor([cancelled], viewOf(2, shop), shop, () => true)).toEqual([]);
  });

  it('the pass sees whole orders, lit first once every station is done, with each station\'s progress', () => {
    const passView = viewOf(3, shop);
    expect(ticketsFor(makeLine, passView, shop, () => false).map((o) => o.id)).toEqual(['d', 'a', 'b', 'c']);
    expect(lit(done, shop)).toBe(true);
    expect(lit(mixed, shop)).toBe(false);
    // without a pass nothing lights: the last line crossed off makes the order ready by itself
    expect(lit(done, [oven, cold])).toBe(false);
    // an urgent order goes before everything, lit or not
    const urgent = { ...pizzasOnly, id: 'u', urgent: true } as OrderView;
    expect(ticketsFor([...makeLine, urgent], passView, shop, () => false).map((o) => o.id)).toEqual(['u', 'd', 'a', 'b', 'c']);
    expect(stationProgress(mixed, passView, shop).map((p) => `${p.station.name} ${p.done}/${p.total}`)).toEqual(['Four 1/1', 'Froid 0/1']);
    expect(linesShown(mixed, passView, shop)).toHaveLength(2);
  });
});
