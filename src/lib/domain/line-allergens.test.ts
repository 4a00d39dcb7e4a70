import { describe, expect, it } from 'vitest';
import { declaredIn, lineAllergens, sortAllergens, type AllergenCard } from './line-allergens.ts';

// dough 1 (gluten), mozzarella 3 (milk), ham 4 (none), egg 5, gorgonzola 6 (milk), pesto 7 (nuts, milk)
const reine: AllergenCard = {
  allergenRecipe: [{ ingredientId: 1, allergens: ['gluten'] }, { ingredientId: 3, allergens: ['milk'] }, { ingredientId: 4, allergens: [] }],
  options: [
    { id: 20, removesIngredientId: null, allergens: ['gluten'] }, // large: one more dough ball
    { id: 21, removesIngredientId: 3, allergens: [] }, // sans mozzarella
    { id: 22, removesIngredientId: null, allergens: ['nuts', 'milk'] }, // nut pesto extra
    { id: 23, removesIngredientId: null, allergens: [] }, // extra olives
  ],
};
const calzone: AllergenCard = {
  allergenRecipe: [{ ingredientId: 1, allergens: ['gluten'] }, { ingredientId: 5, allergens: ['eggs'] }, { ingredientId: 6, allergens: ['milk'] }],
  options: [],
};

describe('the allergens of a line', () => {
  it('are its recipe\'s, in annex II order, each once', () => {
    expect(lineAllergens(reine)).toEqual(['gluten', 'milk']);
    expect(lineAllergens(calzone)).toEqual(['gluten', 'eggs', 'milk']);
  });

  it('take in what an extra brings: a nut pesto adds nuts', () => {
    expect(lineAllergens(reine, [22])).toEqual(['gluten', 'milk', 'nuts']);
    expect(lineAllergens(reine, [23, 20])).toEqual(['gluten', 'milk']);
  });

  it('lose what a "without" takes out, unless another ingredient still brings it', () => {
    expect(lineAllergens(reine, [21])).toEqual(['gluten']);
    expect(lineAllergens(reine, [21, 22])).toEqual(['gluten', 'milk', 'nuts']);
  });

  it('of a half-and-half are both halves\', with the left half\'s options on the whole pizza', () => {
    expect(lineAllergens(reine, [], calzone)).toEqual(['gluten', 'eggs', 'milk']);
    expect(lineAllergens(reine, [22], calzone)).toEqual(['gluten', 'eggs', 'milk', 'nuts']);
    // a "sans mozzarella" leaves the calzone's gorgonzola, and its milk
    expect(lineAllergens(reine, [21], calzone)).toEqual(['gluten', 'eggs', 'milk']);
  });

  it('ignore options that are not the product\'s', () => {
    expect(lineAllergens(calzone, [22])).toEqual(['gluten', 'eggs', 'milk']);
  });

  it('say which of a declared allergy a line contains', () => {
    expect(declaredIn(['gluten', 'milk', 'nuts'], ['nuts', 'peanuts'])).toEqual(['nuts']);
    expect(declaredIn(['gluten'], ['nuts'])).toEqual([]);
    expect(sortAllergens(['nuts', 'bogus', 'gluten'])).toEqual(['gluten', 'nuts']);
  });
});
