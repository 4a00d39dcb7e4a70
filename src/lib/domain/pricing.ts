// Prices are computed on the server from the catalogue, never taken from the client.
import type { ProductKind } from './product-kinds.ts';
import { halfAndHalfRecipe, lineRecipe, type OptionEffect, type RecipeLine } from './availability.ts';
import type { Fulfilment } from './order-states.ts';
import { vatRateFor, type VatRates } from './vat.ts';

export type OptionKind = 'size' | 'extra' | 'without';

/** What a customer may choose on a product, with its price (added to the product's) and its effect on the recipe. */
export interface ProductOption extends OptionEffect {
  id: number;
  kind: OptionKind;
  name: string;
  nameEn: string | null;
  priceCents: number;
}

export interface PricedProduct {
  id: number;
  name: string;
  nameEn?: string | null;
  category: ProductKind;
  priceCents: number;
  /** Its VAT rate for each way it is sold (10 % when not said). */
  vatRates?: Partial<VatRates>;
  recipe?: readonly RecipeLine[];
  options?: readonly ProductOption[];
}

export interface LineRequest {
  productId: number;
  quantity: number;
  /** The ids of the options chosen (a size at most, extras, ingredients left out). */
  options?: number[];
  /**
   * A half-and-half pizza: the pizza of its right half (`productId` is its left half). Its options
   * are the left half's and apply to the whole pizza.
   */
  secondHalfId?: number;
}

/** How a shop prices a half-and-half pizza (its settings): as its dearer half, or the average of its halves rounded up to the cent. */
export const HALF_AND_HALF_PRICING = ['dearer', 'average'] as const;
export type HalfAndHalfPricing = (typeof HALF_AND_HALF_PRICING)[number];

/** The price of a half-and-half pizza before its options, by the shop's rule. */
export function halfAndHalfPrice(leftCents: number, rightCents: number, rule: HalfAndHalfPricing): number {
  return rule === 'average' ? Math.ceil((leftCents + rightCents) / 2) : Math.max(leftCents, rightCents);
}

/** One half of a half-and-half as it was sold: the kitchen shows each with its own recipe reminder. */
export interface SoldHalf {
  productId: number;
  name: string;
  nameEn: string | null;
}

/** A half-and-half line's name, as the receipts, takings and messages show it. */
export const halvesName = (left: string, right: string) => `½ ${left} / ½ ${right}`;

/** An option as it was sold on a line (kept with the order: the ticket and the receipt read it). */
export interface SoldOption {
  id: number;
  kind: OptionKind;
  name: string;
  nameEn: string | null;
  priceCents: number;
}

export interface PricedLine {
  productId: number;
  name: string;
  category: PricedProduct['category'];
  unitPriceCents: number;
  quantity: number;
  lineTotalCents: number;
  options: SoldOption[];
  vatRate: number;
  /** What one of this line takes from the shop's stock: the product's recipe with the options' effects. */
  recipe: RecipeLine[];
  /** A half-and-half pizza's two halves (none: a whole product). */
  halves?: { left: SoldHalf; right: SoldHalf };
  /** What each half takes (halved, before rounding): which half a shortage comes from. */
  halfRecipes?: { left: readonly RecipeLine[]; right: readonly RecipeLine[] };
}

/** At most this many options on one line. */
export const MAX_OPTIONS_PER_LINE = 10;

/**
 * What one order may hold, counted after repeated lines are merged. 20 of one product covers an
 * office lunch or a birthday; 50 items in all is about what one oven and one driver's bag can take
 * for a single order (a bigger event is a catering request, not a checkout). Without these, one
 * basket could reserve a shop's whole stock and make every pizza unavailable for everyone else.
 */
export const MAX_QUANTITY_PER_PRODUCT = 20;
export const MAX_ITEMS_PER_ORDER = 50;
/** One line of a request: the same cap as a product, since lines of one product are merged. */
export const MAX_QUANTITY_PER_LINE = MAX_QUANTITY_PER_PRODUCT;
/** Lines in one request, before merging (the basket sends one per product). */
export const MAX_LINES = 30;
/** A flat delivery fee, waived above the threshold. */
export const DELIVERY_FEE_CENTS = 250;
export const FREE_DELIVERY_FROM_CENTS = 2500;

/**
 * Merges repeated lines (same product, same options in any order) into one each, keeping the
 * first-seen order; a line's options come out sorted, each once.
 */
export function mergeLines(lines: readonly LineRequest[]): LineRequest[] {
  const merged = new Map<string, LineRequest>();
  for (const l of lines) {
    const options = [...new Set(l.options ?? [])].sort((a, b) => a - b);
    const key = `${l.productId}/${l.secondHalfId ?? ''}:${options.join(',')}`;
    const seen = merged.get(key);
    if (seen) seen.quantity += l.quantity;
    else {
      merged.set(key, {
        productId: l.productId, quantity: l.quantity, ...(options.length ? { options } : {}), ...(l.secondHalfId !== undefined ? { secondHalfId: l.secondHalfId } : {}),
      });
    }
  }
  return [...merged.values()];
}

/** Quantities per product, whatever its options. */
function perProduct(lines: readonly LineRequest[]): Map<number, number> {
  const totals = new Map<number, number>();
  for (const l of lines) totals.set(l.productId, (totals.get(l.productId) ?? 0) + l.quantity);
  return totals;
}

export type QuantityCheck = { ok: true; lines: LineRequest[]; totalItems: number } | { ok: false; fields: Record<string, string> };

/**
 * Merges the lines and checks the caps on what is merged: per product and per order. The field
 * messages name the product by id; the basket knows its names.
 */
export function checkQuantities(requested: readonly LineRequest[]): QuantityCheck {
  const lines = mergeLines(requested);
  const fields: Record<string, string> = {};
  const over = [...perProduct(lines)].filter(([, quantity]) => quantity > MAX_QUANTITY_PER_PRODUCT);
  if (over.length) {
    fields.items = `at most ${MAX_QUANTITY_PER_PRODUCT} of one product per order (${over
      .map(([productId, quantity]) => `product ${productId}: ${quantity}`)
      .join(', ')})`;
  }
  const totalItems = lines.reduce((n, l) => n + l.quantity, 0);
  if (totalItems > MAX_ITEMS_PER_ORDER) {
    fields.items ??= `at most ${MAX_ITEMS_PER_ORDER} items per order (this one has ${totalItems})`;
  }
  return Object.keys(fields).length ? { ok: false, fields } : { ok: true, lines, totalItems };
}

export type PriceResult =
  | { ok: true; lines: PricedLine[]; subtotalCents: number; deliveryFeeCents: number; totalCents: number }
  | { ok: false; unknownProductIds: number[]; optionProblems?: string[]; halfProblems?: string[] };

export function priceOrder(
  requested: readonly LineRequest[],
  catalogue: ReadonlyMap<number, PricedProduct>,
  fulfilment: Fulfilment,
  halfPricing: HalfAndHalfPricing = 'dearer',
): PriceResult {
  const lines = mergeLines(requested);
  const unknown = lines.flatMap((l) => [l.productId, ...(l.secondHalfId !== undefined ? [l.secondHalfId] : [])]).filter((id) => !catalogue.has(id));
  if (unknown.length) return { ok: false, unknownProductIds: [...new Set(unknown)] };
  const halfProblems = lines.flatMap((l) => (l.secondHalfId === undefined ? [] : halvesProblems(catalogue.get(l.productId)!, catalogue.get(l.secondHalfId)!)));
  if (halfProblems.length) return { ok: false, unknownProductIds: [], halfProblems };
  const optionProblems: string[] = [];
  const priced = lines.map((l): PricedLine => {
    const p = catalogue.get(l.productId)!;
    const second = l.secondHalfId !== undefined ? catalogue.get(l.secondHalfId)! : null;
    const chosen = (l.options ?? []).map((id) => p.options?.find((o) => o.id === id));
    if (chosen.some((o) => !o)) optionProblems.push(`product ${p.id}: unknown or withdrawn options`);
    const options = chosen.filter((o) => o !== undefined);
    if (options.filter((o) => o.kind === 'size').length > 1) optionProblems.push(`product ${p.id}: one size at most`);
    const basePriceCents = second ? halfAndHalfPrice(p.priceCents, second.priceCents, halfPricing) : p.priceCents;
    const unitPriceCents = basePriceCents + options.reduce((s, o) => s + o.priceCents, 0);
    const line: PricedLine = {
      productId: p.id,
      name: second ? halvesName(p.name, second.name) : p.name,
      category: p.category,
      unitPriceCents,
      quantity: l.quantity,
      lineTotalCents: unitPriceCents * l.quantity,
      options: options.map((o) => ({ id: o.id, kind: o.kind, name: o.name, nameEn: o.nameEn, priceCents: o.priceCents })),
      // the rate of the way the order is sold (a sealed can: 5.5 % delivered); two pizzas of
      // different rates (not on today's menu): the higher, never less than is owed
      vatRate: Math.max(vatRateFor(p.vatRates, fulfilment), second ? vatRateFor(second.vatRates, fulfilment) : 0),
      // a half-and-half: half of each recipe, then the options on the whole pizza (a size or an
      // extra adds its ingredients once, a "without" leaves the ingredient out of both halves)
      recipe: lineRecipe(second ? halfAndHalfRecipe(p.recipe ?? [], second.recipe ?? []) : (p.recipe ?? []), options),
    };
    if (second) {
      line.halves = { left: soldHalf(p), right: soldHalf(second) };
      const half = (r: readonly RecipeLine[] = []) => r.map((i) => ({ ingredientId: i.ingredientId, quantity: i.quantity / 2 }));
      line.halfRecipes = { left: half(p.recipe), right: half(second.recipe) };
    }
    return line;
  });
  if (optionProblems.length) return { ok: false, unknownProductIds: [], optionProblems };
  const subtotalCents = priced.reduce((s, l) => s + l.lineTotalCents, 0);
  const deliveryFeeCents = deliveryFee(subtotalCents, fulfilment);
  return { ok: true, lines: priced, subtotalCents, deliveryFeeCents, totalCents: subtotalCents + deliveryFeeCents };
}

const soldHalf = (p: PricedProduct): SoldHalf => ({ productId: p.id, name: p.name, nameEn: p.nameEn ?? null });

/** Why two products cannot be the halves of one pizza (none: they can). */
export function halvesProblems(left: PricedProduct, right: PricedProduct): string[] {
  const problems: string[] = [];
  for (const p of left.id === right.id ? [left] : [left, right]) {
    if (p.category !== 'pizza') problems.push(`product ${p.id}: only pizzas can be halves of a half-and-half`);
  }
  if (left.id === right.id) problems.push(`product ${left.id}: a half-and-half takes two different pizzas (the same on both halves is a whole one)`);
  return problems;
}

export function deliveryFee(subtotalCents: number, fulfilment: Fulfilment): number {
  if (fulfilment === 'pickup' || subtotalCents >= FREE_DELIVERY_FROM_CENTS) return 0;
  return DELIVERY_FEE_CENTS;
}

