import { describe, expect, it } from 'vitest';
import { freeStock, ingredientNeeds, portionsAvailable, unavailableProducts } from './availability.ts';

const recipes = new Map([
  [1, [{ ingredientId: 10, quantity: 200 }, { ingredientId: 11, quantity: 100 }]], // margherita: dough, mozzarella
  [2, [{ ingredientId: 10, quantity: 200 }, { ingredientId: 12, quantity: 60 }]], // reine: dough, ham
  [3, []], // no recipe
]);

describe('stock availability', () => {
  it('counts free stock as on hand minus reserved', () => {
    const free = freeStock(new Map([[10, { ingredientId: 10, onHand: 1000, reserved: 400 }]]));
    expect(free.get(10)).toBe(600);
  });

  it('tells how many portions the shop can still make', () => {
    const free = new Map([[10, 1000], [11, 250], [12, 0]]);
    expect(portionsAvailable(recipes.get(1)!, free)).toBe(2);
    expect(portionsAvailable(recipes.get(2)!, free)).toBe(0);
    expect(portionsAvailable(recipes.get(3)!, free)).toBe(Number.POSITIVE_INFINITY);
  });

  it('sums ingredient needs across lines', () => {
    expect(ingredientNeeds([{ productId: 1, quantity: 2 }, { productId: 2, quantity: 1 }], recipes).get(10)).toBe(600);
  });

  it('names every product that draws on an ingredient the basket runs short of', () => {
    const free = new Map([[10, 500], [11, 1000], [12, 1000]]);
    // three pizzas need 600 g of dough, only 500 g are free: both pizzas are named, not the one without recipe
    expect(unavailableProducts([{ productId: 1, quantity: 2 }, { productId: 2, quantity: 1 }, { productId: 3, quantity: 1 }], recipes, free)).toEqual([1, 2]);
    expect(unavailableProducts([{ productId: 1, quantity: 2 }], recipes, free)).toEqual([]);
  });
});
