import { describe, expect, it } from 'vitest';
import {
  MAX_ITEMS_PER_ORDER,
  MAX_QUANTITY_PER_PRODUCT,
  checkQuantities,
  priceOrder,
  type PricedProduct,
} from './pricing.ts';

const catalogue = new Map<number, PricedProduct>([
  [1, { id: 1, name: 'Margherita', category: 'pizza', priceCents: 1050 }],
  [2, { id: 2, name: 'Coca-Cola 33 cl', category: 'drink', priceCents: 300 }],
]);

describe('server-side prices', () => {
  it('prices from the catalogue and merges repeated lines', () => {
    const r = priceOrder([{ productId: 1, quantity: 1 }, { productId: 2, quantity: 2 }, { productId: 1, quantity: 1 }], catalogue, 'pickup');
    expect(r.ok && r.lines.map((l) => [l.productId, l.quantity, l.lineTotalCents])).toEqual([[1, 2, 2100], [2, 2, 600]]);
    expect(r.ok && r.totalCents).toBe(2700);
  });

  it('adds the delivery fee below the free-delivery threshold only', () => {
    const small = priceOrder([{ productId: 1, quantity: 1 }], catalogue, 'delivery');
    expect(small.ok && [small.deliveryFeeCents, small.totalCents]).toEqual([250, 1300]);
    const big = priceOrder([{ productId: 1, quantity: 3 }], catalogue, 'delivery');
    expect(big.ok && [big.deliveryFeeCents, big.totalCents]).toEqual([0, 3150]);
  });

  it('names products that are not in the catalogue', () => {
    expect(priceOrder([{ productId: 9, quantity: 1 }], catalogue, 'pickup')).toEqual({ ok: false, unknownProductIds: [9] });
  });

});

describe('quantity caps, counted after merging', () => {
  it('accepts up to the cap of one product, in one line or several', () => {
    const r = checkQuantities([{ productId: 1, quantity: 12 }, { productId: 1, quantity: MAX_QUANTITY_PER_PRODUCT - 12 }]);
    expect(r).toEqual({ ok: true, lines: [{ productId: 1, quantity: MAX_QUANTITY_PER_PRODUCT }], totalItems: MAX_QUANTITY_PER_PRODUCT });
  });

  it('refuses three lines of twenty of one product, naming it', () => {
    const r = checkQuantities([1, 2, 3].map(() => ({ productId: 7, quantity: 20 })));
    expect(r.ok).toBe(false);
    expect(!r.ok && r.fields.items).toMatch(/at most 20 of one product.*product 7: 60/);
  });

  it('refuses an order of more items than the order cap, even when each product is within its cap', () => {
    const lines = Array.from({ length: 30 }, (_, i) => ({ productId: i + 1, quantity: 20 }));
    const r = checkQuantities(lines);
    expect(!r.ok && r.fields.items).toMatch(/at most 50 items per order \(this one has 600\)/);
    const atCap = checkQuantities(Array.from({ length: 5 }, (_, i) => ({ productId: i + 1, quantity: MAX_ITEMS_PER_ORDER / 5 })));
    expect(atCap.ok).toBe(true);
    expect(checkQuantities([...Array.from({ length: 5 }, (_, i) => ({ productId: i + 1, quantity: 10 })), { productId: 9, quantity: 1 }]).ok).toBe(false);
  });
});

describe('options: their price and their effect on the recipe', () => {
  const pizza: PricedProduct = {
    id: 5,
    name: 'Reine',
    category: 'pizza',
    priceCents: 1250,
    recipe: [{ ingredientId: 1, quantity: 1 }, { ingredientId: 2, quantity: 80 }, { ingredientId: 3, quantity: 40 }],
    options: [
      { id: 50, kind: 'size', name: 'Grande', nameEn: 'Large', priceCents: 400, removesIngredientId: null, ingredients: [{ ingredientId: 1, quantity: 1 }, { ingredientId: 2, quantity: 60 }] },
      { id: 51, kind: 'size', name: 'Géante', nameEn: null, priceCents: 800, removesIngredientId: null, ingredients: [] },
      { id: 52, kind: 'extra', name: 'Supplément mozzarella', nameEn: null, priceCents: 150, removesIngredientId: null, ingredients: [{ ingredientId: 2, quantity: 50 }] },
      { id: 53, kind: 'without', name: 'Sans champignons', nameEn: null, priceCents: 0, removesIngredientId: 3, ingredients: [] },
    ],
  };
  const menu = new Map([[5, pizza]]);

  it('adds the options to the unit price and to the recipe, and leaves out what the customer does not want', () => {
    const r = priceOrder([{ productId: 5, quantity: 2, options: [53, 52, 50] }], menu, 'pickup');
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.lines[0].unitPriceCents).toBe(1250 + 400 + 150);
    expect(r.totalCents).toBe(2 * 1800);
    expect(r.lines[0].options.map((o) => o.name)).toEqual(['Grande', 'Supplément mozzarella', 'Sans champignons']);
    expect(new Map(r.lines[0].recipe.map((l) => [l.ingredientId, l.quantity]))).toEqual(new Map([[1, 2], [2, 190]]));
  });

  it('keeps a plain pizza and one with options as two lines, and merges the same options in any order', () => {
    const r = priceOrder(
      [{ productId: 5, quantity: 1 }, { productId: 5, quantity: 1, options: [52, 53] }, { productId: 5, quantity: 2, options: [53, 52, 52] }],
      menu,
      'pickup',
    );
    expect(r.ok && r.lines.map((l) => [l.quantity, l.options.map((o) => o.id)])).toEqual([[1, []], [3, [52, 53]]]);
  });

  it('refuses an option of another product, an unknown one, and two sizes', () => {
    expect(priceOrder([{ productId: 5, quantity: 1, options: [99] }], menu, 'pickup')).toMatchObject({ ok: false, unknownProductIds: [] });
    expect(priceOrder([{ productId: 5, quantity: 1, options: [50, 51] }], menu, 'pickup')).toMatchObject({ ok: false, optionProblems: ['product 5: one size at most'] });
  });

  it('counts the cap per product across its variants', () => {
    const r = checkQuantities([{ productId: 5, quantity: 15 }, { productId: 5, quantity: 15, options: [50] }]);
    expect(r.ok).toBe(false);
  });
});

