import { describe, expect, it } from 'vitest';
import type { OrderItemView, OrderView } from '../../shapes/views.ts';
import { CANCELLED_SHOWN_MS, describeChanges, itemChanges, noticeFor, stillShown } from './ticket-notes.ts';

type Option = OrderItemView['options'][number];
const item = (productId: number, name: string, quantity: number, options: Option[] = []): OrderItemView => ({
  id: productId * 100 + quantity,
  productId,
  name,
  category: 'pizza' as const,
  categoryId: null,
  quantity,
  unitPriceCents: 1000,
  options,
  doneAt: null,
});
const large: Option = { id: 7, kind: 'size', name: 'Grande', nameEn: 'Large', priceCents: 300 };

describe('what the customer changed on a ticket', () => {
  it('says what was added and what was taken away', () => {
    const before = [item(1, 'Margherita', 1), item(2, 'Reine', 2)];
    const after = [item(1, 'Margherita', 2), item(2, 'Reine', 1)];
    expect(describeChanges(itemChanges(before, after))).toBe('+1 Margherita, \u22121 Reine');
  });

  it('names a new line and a removed line', () => {
    const changes = itemChanges([item(1, 'Margherita', 1), item(3, 'Coca-Cola', 2)], [item(1, 'Margherita', 1), item(4, 'Tiramisu', 1)]);
    expect(changes).toEqual([
      { productId: 4, name: 'Tiramisu', delta: 1 },
      { productId: 3, name: 'Coca-Cola', delta: -2 },
    ]);
  });

  it('tells a line with options from the plain one: a Margherita made large is one less plain and one more large', () => {
    const changes = itemChanges([item(1, 'Margherita', 2)], [item(1, 'Margherita', 1), item(1, 'Margherita', 1, [large])]);
    expect(describeChanges(changes)).toBe('+1 Margherita (Grande), \u22121 Margherita');
  });

  it('adds repeated lines of one product up, and sees no change when the basket ends the same', () => {
    expect(itemChanges([item(1, 'Margherita', 1), item(1, 'Margherita', 1)], [item(1, 'Margherita', 2)])).toEqual([]);
    expect(describeChanges([])).toBe('');
  });
});

describe('how long a note stays', () => {
  it('keeps a cancelled ticket for two minutes', () => {
    expect(stillShown(0, CANCELLED_SHOWN_MS - 1, CANCELLED_SHOWN_MS)).toBe(true);
    expect(stillShown(0, CANCELLED_SHOWN_MS, CANCELLED_SHOWN_MS)).toBe(false);
  });
});

describe('what a newer version of a ticket means for the cook', () => {
  const ticket = (status: string, items = [item(1, 'Margherita', 1), item(2, 'Reine', 1)], version = 2) =>
    ({ id: 'o1', status, version, items }) as unknown as OrderView;

  it('a ticket reaching the kitchen is new, once', () => {
    expect(noticeFor(undefined, ticket('received'))).toEqual({ kind: 'new' });
    expect(noticeFor(ticket('pending_payment'), ticket('received'))).toEqual({ kind: 'new' });
    expect(noticeFor(ticket('received'), ticket('received'))).toBeNull();
    expect(noticeFor(ticket('received'), ticket('preparing'))).toBeNull();
  });

  it('a ticket the customer changed is flagged against what the cook last saw, and unflagged when changed back', () => {
    const seen = [item(1, 'Margherita', 1), item(2, 'Reine', 1)];
    const first = noticeFor(ticket('received', seen), ticket('received', [item(1, 'Margherita', 2)]));
    expect(first).toEqual({ kind: 'changed', base: seen });
    // a second change before the cook looked: still against what the cook saw
    const second = noticeFor(ticket('received', [item(1, 'Margherita', 2)]), ticket('received', [item(1, 'Margherita', 3)]), seen);
    expect(second).toEqual({ kind: 'changed', base: seen });
    expect(describeChanges(itemChanges(seen, [item(1, 'Margherita', 3)]))).toBe('+2 Margherita, \u22121 Reine');
    expect(noticeFor(ticket('received', [item(1, 'Margherita', 2)]), ticket('received', seen), seen)).toEqual({ kind: 'unchanged' });
  });

  it('an order for later is new when it is fired into the make line, not when it is taken or changed before', () => {
    const later = (status: string, fired: boolean, items?: OrderItemView[]) =>
      ({ ...ticket(status, items), scheduled: { slotAt: '2026-11-27T19:30:00.000Z', fireAt: '2026-11-27T19:10:00.000Z', fired } }) as OrderView;
    expect(noticeFor(undefined, later('received', false))).toBeNull();
    expect(noticeFor(ticket('pending_payment'), later('received', false))).toBeNull();
    expect(noticeFor(later('received', false), later('received', false, [item(1, 'Margherita', 3)]))).toBeNull();
    expect(noticeFor(later('received', false), later('received', true))).toEqual({ kind: 'new' });
    expect(noticeFor(later('received', true), later('preparing', true))).toBeNull();
  });

  it('a cancelled ticket is kept only if the kitchen had it, in the column it was in', () => {
    expect(noticeFor(ticket('received'), ticket('cancelled'))).toEqual({ kind: 'cancelled', from: 'received' });
    expect(noticeFor(ticket('pending_payment'), ticket('cancelled'))).toBeNull();
    expect(noticeFor(undefined, ticket('cancelled'))).toBeNull();
  });
});

describe('a change to a half-and-half', () => {
  it('reads as one line of its two halves, apart from a whole pizza of its left half', () => {
    const halves = (right: number, name: string) => ({ left: { productId: 2, name: 'Reine', nameEn: null }, right: { productId: right, name, nameEn: null } });
    const before = [{ ...item(2, '½ Reine / ½ Calzone', 1), halves: halves(5, 'Calzone') }, item(2, 'Reine', 1)];
    const after = [{ ...item(2, '½ Reine / ½ Quatre fromages', 1), halves: halves(3, 'Quatre fromages') }, item(2, 'Reine', 1)];
    expect(describeChanges(itemChanges(before, after))).toBe('+1 ½ Reine / ½ Quatre fromages, \u22121 ½ Reine / ½ Calzone');
  });
});
