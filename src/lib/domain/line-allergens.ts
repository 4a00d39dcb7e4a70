// The allergens of what is actually in a line (EU Regulation 1169/2011, annex II): its recipe with the
// options chosen on it. A size or an extra adds its ingredients (a nut pesto brings nuts), a
// "without" takes its ingredient out (a "sans gorgonzola" takes the milk it brought, unless another
// ingredient brings milk too), a half-and-half carries both halves', its options applying to the
// whole pizza as the recipe and the price take them.

/** The 14 allergens of annex II, in the regulation's order (the order every list shows them in). */
export const EU_ALLERGENS = ['gluten', 'crustaceans', 'eggs', 'fish', 'peanuts', 'soybeans', 'milk', 'nuts', 'celery', 'mustard', 'sesame', 'sulphites', 'lupin', 'molluscs'] as const;
export type Allergen = (typeof EU_ALLERGENS)[number];

export const isAllergen = (a: string): a is Allergen => (EU_ALLERGENS as readonly string[]).includes(a);

/** What a product brings to the allergens of a line: each recipe ingredient's and each option's. */
export interface AllergenCard {
  /** Its recipe's ingredients with the allergens each contains (those with none may be left out). */
  allergenRecipe: readonly { ingredientId: number; allergens: readonly string[] }[];
  /** Its options: the allergens of the ingredients an option adds, and the ingredient a "without" takes out. */
  options: readonly { id: number; removesIngredientId?: number | null; allergens?: readonly string[] }[];
}

/** Sorted in annex II's order, each once. */
export function sortAllergens(list: Iterable<string>): Allergen[] {
  const set = new Set(list);
  return EU_ALLERGENS.filter((a) => set.has(a));
}

/**
 * The allergens of a line of this product with these options (ids), or of a half-and-half whose
 * right half is `second` (the options are the left half's and apply to the whole pizza).
 */
export function lineAllergens(product: AllergenCard, optionIds: readonly number[] = [], second?: AllergenCard): Allergen[] {
  const chosen = product.options.filter((o) => optionIds.includes(o.id));
  const removed = new Set(chosen.map((o) => o.removesIngredientId ?? null).filter((id) => id !== null));
  const found: string[] = [];
  for (const card of second ? [product, second] : [product]) {
    for (const r of card.allergenRecipe) if (!removed.has(r.ingredientId)) found.push(...r.allergens);
  }
  for (const o of chosen) found.push(...(o.allergens ?? []));
  return sortAllergens(found);
}

/** Which of the declared allergens (a customer's allergy) a line contains. */
export function declaredIn(lineAllergenList: readonly string[], declared: readonly string[]): Allergen[] {
  return sortAllergens(lineAllergenList.filter((a) => declared.includes(a)));
}
