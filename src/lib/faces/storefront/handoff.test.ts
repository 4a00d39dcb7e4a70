import { describe, expect, it } from 'vitest';
import { availabilityOf, productsById, viewLine } from '../../shared/checkout/checkout.ts';
import { reorderLines } from '../../shared/checkout/counter-basket.ts';
import { HANDOFF_MS, carriedLines, handOver, takeOver } from './handoff.ts';
import type { MenuProduct } from '../../server/shops/catalogue.ts';

const memory = () => {
  const m = new Map<string, string>();
  return { getItem: (k: string) => m.get(k) ?? null, setItem: (k: string, v: string) => void m.set(k, v), removeItem: (k: string) => void m.delete(k) };
};
const product = (id: number, name: string, priceCents: number, more: Partial<MenuProduct> = {}): MenuProduct => ({
  id, slug: name.toLowerCase(), name, description: '', category: 'pizza', categoryId: 1, priceCents, available: true, portions: null,
  ingredients: [], allergens: [], allergenRecipe: [], tags: [], vatRates: { pickup: 10, delivery: 10 }, photoUrl: null, offTonight: false, options: [], ...more,
});

describe('what the storefront hands to its next page', () => {
  it('is taken once, while it is recent', () => {
    const s = memory();
    handOver('k', { street: '5 rue Oberkampf' }, 1000, s);
    expect(takeOver('k', 2000, s)).toEqual({ street: '5 rue Oberkampf' });
    expect(takeOver('k', 2000, s)).toBeNull();
    handOver('k', { street: 'old' }, 1000, s);
    expect(takeOver('k', 1000 + HANDOFF_MS + 1, s)).toBeNull();
  });

  it('carries a basket to a neighbour, which takes back what its menu has and names the rest', () => {
    const margherita = product(1, 'Margherita', 1050, { options: [{ id: 10, kind: 'size', name: 'Grande', priceCents: 300, available: true }] });
    const reine = product(2, 'Reine', 1250);
    const tiramisu = product(3, 'Tiramisu', 550, { category: 'dessert' });
    const here = [margherita, reine, tiramisu];
    const byId = productsById(here);
    const avail = Object.fromEntries(here.map((p) => [p.id, availabilityOf(p)]));
    const views = [
      { uid: 1, productId: 1, options: [10], quantity: 2 },
      { uid: 2, productId: 1, options: [], quantity: 1, secondHalfId: 2 },
      { uid: 3, productId: 3, options: [], quantity: 1 },
    ].map((l) => viewLine(l, byId, avail, 'dearer'));
    const carried = carriedLines(views);
    expect(carried).toEqual([
      { productId: 1, secondHalfId: null, name: 'Margherita', quantity: 2, unitPriceCents: 1350, options: [{ id: 10, kind: 'size', name: 'Grande' }] },
      { productId: 1, secondHalfId: 2, name: '½ Margherita / ½ Reine', quantity: 1, unitPriceCents: 1250, options: [] },
      { productId: 3, secondHalfId: null, name: 'Tiramisu', quantity: 1, unitPriceCents: 550, options: [] },
    ]);
    // the neighbour has no tiramisu tonight
    let uid = 0;
    const there = reorderLines(carried, here, (id) => ({ ...avail[id], available: id !== 3 }), () => ++uid);
    expect(there.lines.map((l) => [l.productId, l.secondHalfId, l.options, l.quantity])).toEqual([[1, undefined, [10], 2], [1, 2, [], 1]]);
    expect(there.missing).toEqual([{ name: 'Tiramisu', quantity: 1 }]);
  });
});
