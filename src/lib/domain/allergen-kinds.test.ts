import { describe, expect, it } from 'vitest';
import { allergensWithKinds, groupOfKind, isAllergenKind, kindsProblem, lineAllergenKinds, sortKinds, type AllergenKindCard } from './allergen-kinds.ts';

// dough 1 (gluten: wheat), mozzarella 3 (milk), walnut pesto 7 (nuts: walnuts, milk), an old nut cream 8 (nuts, no kind named)
const pizza: AllergenKindCard = {
  allergenRecipe: [{ ingredientId: 1, allergens: ['gluten'], kinds: ['wheat'] }, { ingredientId: 3, allergens: ['milk'] }],
  options: [
    { id: 20, removesIngredientId: null, allergens: ['nuts', 'milk'], kinds: ['walnuts'] }, // walnut pesto extra
    { id: 21, removesIngredientId: 1, allergens: [] }, // (a "without" the dough, for the rule's sake)
    { id: 22, removesIngredientId: null, allergens: ['nuts'] }, // an old nut cream: no kind named
  ],
};
const rye: AllergenKindCard = { allergenRecipe: [{ ingredientId: 9, allergens: ['gluten'], kinds: ['rye'] }], options: [] };

describe('the cereals and nuts annex II names', () => {
  it('are known kinds, each of its group: wheat of gluten, hazelnuts of nuts; pine nuts and peanuts are not tree nuts', () => {
    expect(groupOfKind('wheat')).toBe('gluten');
    expect(groupOfKind('kamut')).toBe('gluten');
    expect(groupOfKind('hazelnuts')).toBe('nuts');
    expect(groupOfKind('brazil_nuts')).toBe('nuts');
    expect(isAllergenKind('pine_nuts')).toBe(false);
    expect(isAllergenKind('peanuts')).toBe(false);
    expect(sortKinds(['walnuts', 'pine_nuts', 'oats', 'wheat', 'oats'])).toEqual(['wheat', 'oats', 'walnuts']);
  });

  it('are refused when unknown or on an ingredient without their group', () => {
    expect(kindsProblem(['gluten'], ['wheat', 'spelt'])).toBeNull();
    expect(kindsProblem(['gluten', 'nuts'], ['barley', 'pistachios'])).toBeNull();
    expect(kindsProblem(['nuts'], ['pine_nuts'])).toEqual({ kind: 'pine_nuts', problem: 'unknown' });
    expect(kindsProblem(['milk'], ['wheat'])).toEqual({ kind: 'wheat', problem: 'group' });
    expect(kindsProblem(['gluten'], ['almonds'])).toEqual({ kind: 'almonds', problem: 'group' });
    expect(kindsProblem([], [])).toBeNull();
  });

  it('go each under its group, in annex II order; a group with none named stands alone (old data)', () => {
    expect(allergensWithKinds(['milk', 'gluten', 'nuts'], ['hazelnuts', 'wheat', 'almonds'])).toEqual([
      { allergen: 'gluten', kinds: ['wheat'] },
      { allergen: 'milk', kinds: [] },
      { allergen: 'nuts', kinds: ['almonds', 'hazelnuts'] },
    ]);
    expect(allergensWithKinds(['gluten', 'nuts'])).toEqual([{ allergen: 'gluten', kinds: [] }, { allergen: 'nuts', kinds: [] }]);
  });

  it("of a line follow its recipe and options, as its allergens do: an extra's come in, a removal's go, both halves'", () => {
    expect(lineAllergenKinds(pizza)).toEqual(['wheat']);
    expect(lineAllergenKinds(pizza, [20])).toEqual(['wheat', 'walnuts']);
    expect(lineAllergenKinds(pizza, [22])).toEqual(['wheat']);
    expect(lineAllergenKinds(pizza, [21, 20])).toEqual(['walnuts']);
    expect(lineAllergenKinds(pizza, [], rye)).toEqual(['wheat', 'rye']);
  });
});
