import { describe, expect, it } from 'vitest';
import { halfAndHalfRecipe } from './availability.ts';
import { halfAndHalfPrice, mergeLines, priceOrder, type PricedProduct } from './pricing.ts';
import { vatBreakdown } from './vat.ts';

// 1 dough ball, grams of everything else, an egg on the Calzone
const DOUGH = 1, TOMATO = 2, MOZZA = 3, HAM = 4, EGG = 5, GORGONZOLA = 6;
const catalogue = new Map<number, PricedProduct>([
  [1, { id: 1, name: 'Margherita', nameEn: 'Margherita', category: 'pizza', priceCents: 1050, recipe: [{ ingredientId: DOUGH, quantity: 1 }, { ingredientId: TOMATO, quantity: 80 }, { ingredientId: MOZZA, quantity: 120 }] }],
  [2, {
    id: 2, name: 'Reine', nameEn: 'Queen', category: 'pizza', priceCents: 1250,
    recipe: [{ ingredientId: DOUGH, quantity: 1 }, { ingredientId: TOMATO, quantity: 80 }, { ingredientId: MOZZA, quantity: 110 }, { ingredientId: HAM, quantity: 61 }],
    options: [
      { id: 20, kind: 'size', name: 'Grande', nameEn: 'Large', priceCents: 400, removesIngredientId: null, ingredients: [{ ingredientId: DOUGH, quantity: 1 }] },
      { id: 21, kind: 'without', name: 'Sans jambon', nameEn: 'No ham', priceCents: 0, removesIngredientId: HAM, ingredients: [] },
    ],
  }],
  [3, { id: 3, name: 'Calzone', category: 'pizza', priceCents: 1351, recipe: [{ ingredientId: DOUGH, quantity: 1 }, { ingredientId: EGG, quantity: 1 }, { ingredientId: GORGONZOLA, quantity: 40 }] }],
  [4, { id: 4, name: 'Coca-Cola 33 cl', category: 'drink', priceCents: 300, vatRates: { pickup: 20, delivery: 20 } }],
]);

describe('the price of a half-and-half', () => {
  it('is its dearer half by default, or the average of its halves rounded up to the cent', () => {
    expect(halfAndHalfPrice(1250, 1390, 'dearer')).toBe(1390);
    expect(halfAndHalfPrice(1390, 1250, 'dearer')).toBe(1390);
    expect(halfAndHalfPrice(1250, 1390, 'average')).toBe(1320);
    expect(halfAndHalfPrice(1050, 1351, 'average')).toBe(1201);
  });

  it('is priced on the server from the catalogue, the options of its left half added to the whole pizza, with its VAT exact', () => {
    const r = priceOrder([{ productId: 2, secondHalfId: 3, quantity: 2, options: [20] }], catalogue, 'pickup');
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.lines[0]).toMatchObject({
      productId: 2, name: '½ Reine / ½ Calzone', category: 'pizza', unitPriceCents: 1351 + 400, quantity: 2, lineTotalCents: 2 * 1751, vatRate: 10,
      halves: { left: { productId: 2, name: 'Reine', nameEn: 'Queen' }, right: { productId: 3, name: 'Calzone', nameEn: null } },
    });
    expect(r.totalCents).toBe(3502);
    const average = priceOrder([{ productId: 2, secondHalfId: 3, quantity: 1 }], catalogue, 'pickup', 'average');
    expect(average.ok && average.totalCents).toBe(1301);
    // 10 % included in 35,02 €: 3,18 € of VAT, the rest net, to the cent
    expect(vatBreakdown([{ rate: 10, grossCents: 3502 }])).toEqual([{ rate: 10, netCents: 3184, vatCents: 318, grossCents: 3502 }]);
  });

  it('keeps a half-and-half apart from a whole pizza of its left half, and merges two of the same halves', () => {
    expect(mergeLines([{ productId: 2, quantity: 1 }, { productId: 2, secondHalfId: 3, quantity: 1 }, { productId: 2, secondHalfId: 3, quantity: 2 }, { productId: 2, secondHalfId: 1, quantity: 1 }]))
      .toEqual([{ productId: 2, quantity: 1 }, { productId: 2, secondHalfId: 3, quantity: 3 }, { productId: 2, secondHalfId: 1, quantity: 1 }]);
  });

  it('takes two different pizzas: a drink, or the same pizza twice, is refused with its reason; an unknown half is named', () => {
    expect(priceOrder([{ productId: 2, secondHalfId: 4, quantity: 1 }], catalogue, 'pickup')).toEqual({
      ok: false, unknownProductIds: [], halfProblems: ['product 4: only pizzas can be halves of a half-and-half'],
    });
    expect(priceOrder([{ productId: 2, secondHalfId: 2, quantity: 1 }], catalogue, 'pickup')).toMatchObject({ ok: false, halfProblems: [expect.stringMatching(/two different pizzas/)] });
    expect(priceOrder([{ productId: 2, secondHalfId: 9, quantity: 1 }], catalogue, 'pickup')).toEqual({ ok: false, unknownProductIds: [9] });
  });
});

describe('the recipe of a half-and-half', () => {
  it('is half of each recipe, added up by ingredient and rounded up to the unit: one dough ball, and half an egg holds a whole one', () => {
    const r = halfAndHalfRecipe(catalogue.get(2)!.recipe!, catalogue.get(3)!.recipe!);
    expect(new Map(r.map((i) => [i.ingredientId, i.quantity]))).toEqual(new Map([[DOUGH, 1], [TOMATO, 40], [MOZZA, 55], [HAM, 31], [EGG, 1], [GORGONZOLA, 20]]));
  });

  it('takes its options on the whole pizza: a size adds once, a "without" leaves the ingredient out of both halves', () => {
    const r = priceOrder([{ productId: 2, secondHalfId: 1, quantity: 1, options: [20, 21] }], catalogue, 'pickup');
    expect(r.ok && new Map(r.lines[0].recipe.map((i) => [i.ingredientId, i.quantity]))).toEqual(new Map([[DOUGH, 2], [TOMATO, 80], [MOZZA, 115]]));
  });
});
