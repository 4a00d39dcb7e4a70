import { describe, expect, it } from 'vitest';
import { completeFrenchNumber, mayBeNumber, reorderLines } from './counter-basket.ts';
import type { MenuProduct } from '../../server/shops/catalogue.ts';

const product = (id: number, name: string, options: { id: number; kind: 'size' | 'extra' | 'without'; available?: boolean }[] = []): MenuProduct => ({
  id, slug: name.toLowerCase(), name, description: '', category: 'pizza', categoryId: 1, priceCents: 1000, available: true, portions: null,
  ingredients: [], allergens: [], allergenRecipe: [], tags: [], vatRates: { pickup: 10, delivery: 10 }, photoUrl: null, offTonight: false,
  options: options.map((o) => ({ id: o.id, kind: o.kind, name: `option ${o.id}`, priceCents: 100, available: o.available ?? true })),
});

describe('same as last time', () => {
  const menu = [product(1, 'Margherita', [{ id: 10, kind: 'size' }, { id: 11, kind: 'extra' }]), product(2, 'Reine'), product(3, 'Tiramisu')];
  const line = (productId: number, name: string, quantity: number, options: number[] = [], secondHalfId: number | null = null) => ({
    productId, secondHalfId, name, quantity, unitPriceCents: 1000, options: options.map((id) => ({ id, kind: 'extra' as const, name: `option ${id}` })),
  });
  let uid = 0;

  it('brings back every line available tonight with its quantity and options', () => {
    const r = reorderLines([line(1, 'Margherita', 2, [11, 10]), line(2, 'Reine', 1)], menu, () => ({ available: true, unavailableOptions: [] }), () => ++uid);
    expect(r.missing).toEqual([]);
    expect(r.lines.map(({ productId, options, quantity }) => ({ productId, options, quantity }))).toEqual([
      { productId: 1, options: [10, 11], quantity: 2 },
      { productId: 2, options: [], quantity: 1 },
    ]);
  });

  it('names what is sold out, off this menu, or has an option gone, and keeps the rest', () => {
    const r = reorderLines(
      [line(1, 'Margherita', 1, [11]), line(2, 'Reine', 1), line(3, 'Tiramisu', 2), line(9, 'Pizza du mois', 1)],
      menu,
      (id) => ({ available: id !== 3, unavailableOptions: id === 1 ? [11] : [] }),
      () => ++uid,
    );
    expect(r.lines.map((l) => l.productId)).toEqual([2]);
    expect(r.missing).toEqual([{ name: 'Margherita, option 11', quantity: 1 }, { name: 'Tiramisu', quantity: 2 }, { name: 'Pizza du mois', quantity: 1 }]);
  });
});

describe('same as last time, a half-and-half', () => {
  const menu = [product(1, 'Margherita', [{ id: 10, kind: 'size' }]), product(2, 'Reine'), product(3, 'Quatre fromages')];
  const half = (left: number, right: number, options: number[] = []) => ({
    productId: left, secondHalfId: right, name: 'Moitié-moitié', quantity: 1, unitPriceCents: 1250, options: options.map((id) => ({ id, kind: 'size' as const, name: `option ${id}` })),
  });
  let uid = 0;

  it('comes back as one pizza of its two halves, with its size', () => {
    const r = reorderLines([half(1, 2, [10])], menu, () => ({ available: true, unavailableOptions: [] }), () => ++uid);
    expect(r.missing).toEqual([]);
    expect(r.lines).toEqual([{ uid: expect.any(Number), productId: 1, secondHalfId: 2, options: [10], quantity: 1 }]);
  });

  it('is named as missing when either half cannot be made tonight, not turned into a whole pizza of the other', () => {
    const r = reorderLines([half(1, 3), half(3, 2)], menu, (id) => ({ available: id !== 3, unavailableOptions: [] }), () => ++uid);
    expect(r.lines).toEqual([]);
    expect(r.missing.map((m) => m.name)).toEqual(['Moitié-moitié', 'Moitié-moitié']);
  });
});

describe('a number whole enough to look up', () => {
  it('is a French number of 10 digits however it is typed', () => {
    for (const n of ['06 12 34 56 78', '0612345678', '06.12.34.56.78', '+33 6 12 34 56 78', '+33612345678', '0033 6 12 34 56 78', '+33 (0)6 12 34 56 78', '+33 06 12 34 56 78']) {
      expect(completeFrenchNumber(n), n).toBe(true);
    }
    for (const n of ['06 12 34 56 7', '06 12 34 56 789', '+33 6 12 34', '00 12 34 56 78', '', 'abc']) expect(completeFrenchNumber(n), n).toBe(false);
  });

  it('may be a number from abroad once the field is left', () => {
    expect(mayBeNumber('+44 20 7946 0958')).toBe(true);
    expect(mayBeNumber('12 34')).toBe(false);
  });
});
