import { describe, expect, it } from 'vitest';
import type { OrderItemView, OrderView } from '../../shapes/views.ts';
import { allDay } from './all-day.ts';

const grande = { id: 1, kind: 'size' as const, name: 'Grande (40 cm)', nameEn: 'Large (40 cm)', priceCents: 400 };
const sans = { id: 2, kind: 'without' as const, name: 'Sans basilic', nameEn: 'No basil', priceCents: 0 };
const item = (productId: number, name: string, quantity: number, options: OrderItemView['options'] = [], category: OrderItemView['category'] = 'pizza'): OrderItemView => ({
  id: productId * 100 + quantity, productId, name, category, categoryId: null, quantity, unitPriceCents: 1000, options, doneAt: null,
});
const ticket = (status: OrderView['status'], items: OrderItemView[]) => ({ status, items }) as OrderView;

describe('all-day counts', () => {
  const tickets = [
    ticket('received', [item(1, 'Margherita', 2), item(2, 'Reine', 1, [grande]), item(9, 'Coca-Cola', 2, [], 'drink')]),
    ticket('preparing', [item(1, 'Margherita', 1, [sans]), item(2, 'Reine', 1)]),
    ticket('cancelled', [item(1, 'Margherita', 5)]),
  ];

  it('counts the pizzas of the open tickets by product and size, most first, leaving out drinks and cancelled tickets', () => {
    expect(allDay(tickets).lines).toEqual([
      { name: 'Margherita', size: null, count: 3 },
      { name: 'Reine', size: null, count: 1 },
      { name: 'Reine', size: 'Grande (40 cm)', count: 1 },
    ]);
    expect(allDay(tickets).pizzas).toBe(5);
  });

  it('leaves out a pizza crossed off as made', () => {
    const made = ticket('preparing', [{ ...item(1, 'Margherita', 1), doneAt: '2026-11-24T20:00:00.000Z' }, item(2, 'Reine', 1)]);
    expect(allDay([made]).lines).toEqual([{ name: 'Reine', size: null, count: 1 }]);
  });

  it("a station's count takes every kind it makes; only pizzas take dough", () => {
    const counted = allDay([ticket('received', [item(9, 'Coca-Cola', 2, [], 'drink'), item(1, 'Margherita', 1)])], undefined, 'fr', true);
    expect(counted.lines).toEqual([{ name: 'Coca-Cola', size: null, count: 2 }, { name: 'Margherita', size: null, count: 1 }]);
    expect(counted.dough).toEqual([{ size: null, count: 1 }]);
  });

  it('counts the dough balls by size, the usual ones first', () => {
    expect(allDay(tickets).dough).toEqual([{ size: null, count: 4 }, { size: 'Grande (40 cm)', count: 1 }]);
  });

  it("names sizes in the reader's language and products as the screen names them", () => {
    const counted = allDay(tickets, (id, n) => (id === 2 ? 'Queen' : n), 'en');
    expect(counted.lines.map((l) => [l.name, l.size])).toContainEqual(['Queen', 'Large (40 cm)']);
  });
});

describe('all-day counts, now and in the next 15 minutes', () => {
  it('splits what the line has started from the orders placed and not started yet; the dough is for both', async () => {
    const { allDaySoon } = await import('./all-day.ts');
    const soon = allDaySoon([
      ticket('received', [item(1, 'Margherita', 2), item(2, 'Reine', 1, [grande])]),
      ticket('preparing', [item(1, 'Margherita', 1), { ...item(2, 'Reine', 1), doneAt: '2026-11-24T20:00:00.000Z' }]),
    ]);
    expect(soon.lines).toEqual([
      { name: 'Margherita', size: null, now: 1, next: 2 },
      { name: 'Reine', size: 'Grande (40 cm)', now: 0, next: 1 },
    ]);
    expect(soon.dough).toEqual([{ size: null, count: 3 }, { size: 'Grande (40 cm)', count: 1 }]);
  });
});

describe('all-day counts of half-and-half pizzas', () => {
  const halves = { left: { productId: 2, name: 'Reine', nameEn: 'Queen' }, right: { productId: 3, name: 'Quatre fromages', nameEn: 'Four cheese' } };
  it('count a half-and-half as one pizza of its two halves (one dough ball), apart from its left half made whole, named in the screen\'s language', () => {
    const tickets = [ticket('received', [{ ...item(2, '½ Reine / ½ Quatre fromages', 2), halves }, item(2, 'Reine', 1)])];
    expect(allDay(tickets, (_id, n) => n).lines).toEqual([
      { name: '½ Reine / ½ Quatre fromages', size: null, count: 2 },
      { name: 'Reine', size: null, count: 1 },
    ]);
    expect(allDay(tickets).dough).toEqual([{ size: null, count: 3 }]);
    expect(allDay(tickets, (_id, n) => n, 'en').lines[0].name).toBe('½ Queen / ½ Four cheese');
  });
});
