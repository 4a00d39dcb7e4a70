// The kinds annex II of EU Regulation 1169/2011 names inside two of its groups: the cereal that
// brings the gluten (wheat, rye, barley, oats, spelt, kamut) and the tree nut (almonds, hazelnuts,
// walnuts, cashews, pecans, Brazil nuts, pistachios, macadamia nuts). A kind is information on top
// of its group: the menu still filters by the 14 groups (avoiding nuts avoids every nut), and an
// ingredient whose kind nobody named shows its group alone. Pine nuts and peanuts are not tree nuts
// under the regulation (peanuts are a group of their own).
import { sortAllergens, type Allergen, type AllergenCard } from './line-allergens.ts';

/** Each named group's kinds, in the regulation's order. */
export const ALLERGEN_KINDS = {
  gluten: ['wheat', 'rye', 'barley', 'oats', 'spelt', 'kamut'],
  nuts: ['almonds', 'hazelnuts', 'walnuts', 'cashews', 'pecans', 'brazil_nuts', 'pistachios', 'macadamia'],
} as const;
export type KindedAllergen = keyof typeof ALLERGEN_KINDS;
export type AllergenKind = (typeof ALLERGEN_KINDS)[KindedAllergen][number];

/** Every kind, gluten's then nuts'. */
export const ALL_ALLERGEN_KINDS: readonly AllergenKind[] = [...ALLERGEN_KINDS.gluten, ...ALLERGEN_KINDS.nuts];

export const isAllergenKind = (k: string): k is AllergenKind => (ALL_ALLERGEN_KINDS as readonly string[]).includes(k);

/** The group a kind belongs to (wheat: gluten, hazelnuts: nuts). */
export const groupOfKind = (k: AllergenKind): KindedAllergen => ((ALLERGEN_KINDS.gluten as readonly string[]).includes(k) ? 'gluten' : 'nuts');

/** Sorted in the regulation's order, each once; unknown words left out. */
export function sortKinds(list: Iterable<string>): AllergenKind[] {
  const set = new Set(list);
  return ALL_ALLERGEN_KINDS.filter((k) => set.has(k));
}

/**
 * What is wrong with an ingredient's kinds given its allergens, or null: a kind the regulation does
 * not name, or one whose group the ingredient does not contain (wheat on a gluten-free ingredient).
 */
export function kindsProblem(allergens: readonly string[], kinds: readonly string[]): { kind: string; problem: 'unknown' | 'group' } | null {
  for (const kind of kinds) {
    if (!isAllergenKind(kind)) return { kind, problem: 'unknown' };
    if (!allergens.includes(groupOfKind(kind))) return { kind, problem: 'group' };
  }
  return null;
}

/** Each allergen with the kinds named for it (none: the group alone), in annex II's order. */
export function allergensWithKinds(allergens: readonly string[], kinds: readonly string[] = []): { allergen: Allergen; kinds: AllergenKind[] }[] {
  const named = sortKinds(kinds);
  return sortAllergens(allergens).map((allergen) => ({ allergen, kinds: named.filter((k) => groupOfKind(k) === allergen) }));
}

/** What a product brings to a line's kinds: its recipe's ingredients' and its options'. */
export interface AllergenKindCard extends AllergenCard {
  allergenRecipe: readonly { ingredientId: number; allergens: readonly string[]; kinds?: readonly string[] }[];
  options: readonly { id: number; removesIngredientId?: number | null; allergens?: readonly string[]; kinds?: readonly string[] }[];
}

/** The kinds of a line as lineAllergens takes its allergens: the recipe less what is left out, with what the options add. */
export function lineAllergenKinds(product: AllergenKindCard, optionIds: readonly number[] = [], second?: AllergenKindCard): AllergenKind[] {
  const chosen = product.options.filter((o) => optionIds.includes(o.id));
  const removed = new Set(chosen.map((o) => o.removesIngredientId ?? null).filter((id) => id !== null));
  const found: string[] = [];
  for (const card of second ? [product, second] : [product]) {
    for (const r of card.allergenRecipe) if (!removed.has(r.ingredientId)) found.push(...(r.kinds ?? []));
  }
  for (const o of chosen) found.push(...(o.kinds ?? []));
  return sortKinds(found);
}
