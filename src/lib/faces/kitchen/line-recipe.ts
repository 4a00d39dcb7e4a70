// The recipe reminder of one line of a ticket: the product's recipe made with the line's options,
// so a ticket never says "without peppers" above "peppers 30 g" (a size or an extra adds its
// ingredients, a "without" leaves one out), as the stock counts it (lineRecipe).
import { lineRecipe } from '../../domain/availability.ts';

export interface RecipeIngredient {
  ingredientId: number;
  name: string;
  quantity: number;
  unit: string;
}

export interface LineRecipeCard {
  ingredients: readonly RecipeIngredient[];
  options: readonly { id: number; removesIngredientId: number | null; ingredients: readonly RecipeIngredient[] }[];
}

/** The line's ingredients, pieces first (a dough ball, an egg), then by weight; options the card does not know (removed since the sale) change nothing. */
export function recipeOfLine(card: LineRecipeCard, optionIds: readonly number[]): RecipeIngredient[] {
  const chosen = card.options.filter((o) => optionIds.includes(o.id));
  const known = new Map<number, RecipeIngredient>();
  for (const i of [...card.ingredients, ...chosen.flatMap((o) => o.ingredients)]) if (!known.has(i.ingredientId)) known.set(i.ingredientId, i);
  return lineRecipe(card.ingredients, chosen)
    .map((r) => ({ ...known.get(r.ingredientId)!, quantity: r.quantity }))
    .sort((a, b) => Number(b.unit === 'piece') - Number(a.unit === 'piece') || b.quantity - a.quantity || a.name.localeCompare(b.name));
}

/**
 * One half of a half-and-half: half of its pizza's recipe (what the stock holds for it, before the
 * two halves are added up and rounded), without what the pizza's "without" options leave out.
 */
export function halfRecipe(card: LineRecipeCard, removedIngredientIds: readonly number[]): RecipeIngredient[] {
  return card.ingredients
    .filter((i) => !removedIngredientIds.includes(i.ingredientId))
    .map((i) => ({ ...i, quantity: i.quantity / 2 }))
    .sort((a, b) => Number(b.unit === 'piece') - Number(a.unit === 'piece') || b.quantity - a.quantity || a.name.localeCompare(b.name));
}

/** 55, or ½ and 30½ for half of an odd quantity. */
const amount = (q: number) => (Number.isInteger(q) ? String(q) : `${Math.floor(q) || ''}½`);

/** "Mozzarella 120 g", "Œuf 1", or half of one: "Œuf ½". */
export const formatIngredient = (i: RecipeIngredient) => `${i.name} ${amount(i.quantity)}${i.unit === 'piece' ? '' : ` ${i.unit}`}`;
