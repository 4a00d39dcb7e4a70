import { describe, expect, it } from 'vitest';
import { formatIngredient, halfRecipe, recipeOfLine, type LineRecipeCard } from './line-recipe.ts';

const ing = (ingredientId: number, name: string, quantity: number, unit = 'g') => ({ ingredientId, name, quantity, unit });
// a Reine: dough, tomato, mozzarella, ham, mushrooms; a 40 cm size, an extra ham, "without mushrooms"
const reine: LineRecipeCard = {
  ingredients: [ing(1, 'Pâton', 1, 'piece'), ing(2, 'Sauce tomate', 80), ing(3, 'Mozzarella', 100), ing(4, 'Jambon', 60), ing(5, 'Champignons', 40)],
  options: [
    { id: 10, removesIngredientId: null, ingredients: [ing(1, 'Pâton', 1, 'piece'), ing(2, 'Sauce tomate', 40), ing(3, 'Mozzarella', 50)] },
    { id: 11, removesIngredientId: null, ingredients: [ing(4, 'Jambon', 40)] },
    { id: 12, removesIngredientId: 5, ingredients: [] },
    { id: 13, removesIngredientId: null, ingredients: [ing(6, 'Œuf', 1, 'piece')] },
  ],
};
const byName = (list: { name: string; quantity: number }[]) => Object.fromEntries(list.map((i) => [i.name, i.quantity]));

describe("a ticket line's recipe", () => {
  it('is the product recipe when the line has no options', () => {
    expect(byName(recipeOfLine(reine, []))).toEqual({ Pâton: 1, 'Sauce tomate': 80, Mozzarella: 100, Jambon: 60, Champignons: 40 });
  });
  it('"without" leaves the ingredient out instead of listing it under the warning', () => {
    expect(recipeOfLine(reine, [12]).map((i) => i.name)).not.toContain('Champignons');
  });
  it('a size scales by what it adds, an extra adds its own quantity, an extra new ingredient is named', () => {
    expect(byName(recipeOfLine(reine, [10, 11, 13]))).toEqual({ Pâton: 2, 'Sauce tomate': 120, Mozzarella: 150, Jambon: 100, Champignons: 40, Œuf: 1 });
  });
  it('an option the card no longer knows changes nothing', () => {
    expect(byName(recipeOfLine(reine, [99]))).toEqual(byName(recipeOfLine(reine, [])));
  });
  it('is listed pieces first, then by weight, and written as a cook reads it', () => {
    const line = recipeOfLine(reine, [12]);
    expect(line.map((i) => i.name)).toEqual(['Pâton', 'Mozzarella', 'Sauce tomate', 'Jambon']);
    expect(line.map(formatIngredient)).toContain('Pâton 1');
    expect(line.map(formatIngredient)).toContain('Jambon 60 g');
  });
});

describe("a half of a half-and-half's recipe", () => {
  it('is half of its pizza, without what the pizza leaves out, a half piece written as ½', () => {
    const half = halfRecipe(reine, [reine.ingredients.find((i) => i.name === 'Champignons')!.ingredientId]);
    expect(byName(half)).toEqual({ Pâton: 0.5, 'Sauce tomate': 40, Mozzarella: 50, Jambon: 30 });
    expect(half.map(formatIngredient)).toEqual(['Pâton ½', 'Mozzarella 50 g', 'Sauce tomate 40 g', 'Jambon 30 g']);
    expect(formatIngredient({ ingredientId: 1, name: 'Origan', quantity: 1.5, unit: 'g' })).toBe('Origan 1½ g');
  });
});
