// The recipe reminder of one line of a ticket: the product's recipe made with the line's options,
// so a ticket never says "without peppers" above "peppers 30 g" (a size or an extra adds its
// ingredients, a "without" leaves one out), as the stock counts it (lineRecipe).
import { lineRecipe } from '../../lib/domain/availability.ts';

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

/** "Mozzarella 120 g" or "Œuf 1". */
export const formatIngredient = (i: RecipeIngredient) => `${i.name} ${i.quantity}${i.unit === 'piece' ? '' : ` ${i.unit}`}`;
