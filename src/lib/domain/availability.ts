// A product is orderable only while its shop has the ingredients for it,
// counting what received orders have already reserved.

export interface StockLevel {
  ingredientId: number;
  onHand: number;
  reserved: number;
}

export interface RecipeLine {
  ingredientId: number;
  quantity: number;
}

/** What an option does to the recipe: a "without" leaves one ingredient out, a size or an extra adds some. */
export interface OptionEffect {
  removesIngredientId: number | null;
  ingredients: readonly RecipeLine[];
}

/** The recipe of a product made with these options (quantities of one ingredient added up). */
export function lineRecipe(base: readonly RecipeLine[], options: readonly OptionEffect[]): RecipeLine[] {
  const removed = new Set(options.map((o) => o.removesIngredientId).filter((id) => id !== null));
  const quantities = new Map<number, number>();
  for (const r of base) if (!removed.has(r.ingredientId)) quantities.set(r.ingredientId, r.quantity);
  for (const o of options) {
    for (const r of o.ingredients) quantities.set(r.ingredientId, (quantities.get(r.ingredientId) ?? 0) + r.quantity);
  }
  return [...quantities].map(([ingredientId, quantity]) => ({ ingredientId, quantity }));
}

/**
 * The recipe of a half-and-half pizza: half of each half's recipe, added up by ingredient and
 * rounded up to the ingredient's unit (the stock counts whole grams, millilitres and pieces): a
 * Reine and a Margherita take one dough ball between them, not two, and half an egg holds a whole one.
 */
export function halfAndHalfRecipe(left: readonly RecipeLine[], right: readonly RecipeLine[]): RecipeLine[] {
  const halves = new Map<number, number>();
  for (const r of [...left, ...right]) halves.set(r.ingredientId, (halves.get(r.ingredientId) ?? 0) + r.quantity / 2);
  return [...halves].map(([ingredientId, quantity]) => ({ ingredientId, quantity: Math.ceil(quantity) }));
}

/** A line to make: its own recipe (with its options) when it has one, else its product's. */
type Line = { productId: number; quantity: number; recipe?: readonly RecipeLine[] };
const recipeOf = (line: Line, recipes: ReadonlyMap<number, readonly RecipeLine[]>) => line.recipe ?? recipes.get(line.productId) ?? [];

/** Ingredients the given lines need in total, by ingredient id. */
export function ingredientNeeds(lines: readonly Line[], recipes: ReadonlyMap<number, readonly RecipeLine[]> = new Map()): Map<number, number> {
  const needs = new Map<number, number>();
  for (const line of lines) {
    for (const r of recipeOf(line, recipes)) {
      needs.set(r.ingredientId, (needs.get(r.ingredientId) ?? 0) + r.quantity * line.quantity);
    }
  }
  return needs;
}

export function freeStock(stock: ReadonlyMap<number, StockLevel>): Map<number, number> {
  return new Map([...stock].map(([id, s]) => [id, Math.max(0, s.onHand - s.reserved)]));
}

/** How many of the product the shop can still make (0 means unavailable). A product with no recipe is unlimited. */
export function portionsAvailable(recipe: readonly RecipeLine[], free: ReadonlyMap<number, number>): number {
  let portions = Number.POSITIVE_INFINITY;
  for (const r of recipe) portions = Math.min(portions, Math.floor((free.get(r.ingredientId) ?? 0) / r.quantity));
  return portions;
}

/** Which of the requested products cannot be made together from the free stock. */
export function unavailableProducts(
  lines: readonly Line[],
  recipes: ReadonlyMap<number, readonly RecipeLine[]>,
  free: ReadonlyMap<number, number>,
): number[] {
  const needs = ingredientNeeds(lines, recipes);
  const short = new Set([...needs].filter(([id, qty]) => (free.get(id) ?? 0) < qty).map(([id]) => id));
  if (!short.size) return [];
  return lines
    .filter((l) => recipeOf(l, recipes).some((r) => short.has(r.ingredientId)))
    .map((l) => l.productId)
    .filter((id, i, all) => all.indexOf(id) === i);
}
