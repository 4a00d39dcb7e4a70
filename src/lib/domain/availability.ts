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

/** Ingredients the given lines need in total, by ingredient id. */
export function ingredientNeeds(
  lines: readonly { productId: number; quantity: number }[],
  recipes: ReadonlyMap<number, readonly RecipeLine[]>,
): Map<number, number> {
  const needs = new Map<number, number>();
  for (const line of lines) {
    for (const r of recipes.get(line.productId) ?? []) {
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
  lines: readonly { productId: number; quantity: number }[],
  recipes: ReadonlyMap<number, readonly RecipeLine[]>,
  free: ReadonlyMap<number, number>,
): number[] {
  const needs = ingredientNeeds(lines, recipes);
  const short = new Set([...needs].filter(([id, qty]) => (free.get(id) ?? 0) < qty).map(([id]) => id));
  if (!short.size) return [];
  return lines
    .filter((l) => (recipes.get(l.productId) ?? []).some((r) => short.has(r.ingredientId)))
    .map((l) => l.productId);
}
