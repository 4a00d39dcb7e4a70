// Prices are computed on the server from the catalogue, never taken from the client.
import type { ProductKind } from './product-kinds.ts';
import { lineRecipe, type OptionEffect, type RecipeLine } from './availability.ts';
import type { Fulfilment } from './order-states.ts';

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
  category: ProductKind;
  priceCents: number;
  /** Its VAT rate (10 % when not said). */
  vatRate?: number;
  recipe?: readonly RecipeLine[];
  options?: readonly ProductOption[];
}

export interface LineRequest {
  productId: number;
  quantity: number;
  /** The ids of the options chosen (a size at most, extras, ingredients left out). */
  options?: number[];
}

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
    const key = `${l.productId}:${options.join(',')}`;
    const seen = merged.get(key);
    if (seen) seen.quantity += l.quantity;
    else merged.set(key, { productId: l.productId, quantity: l.quantity, ...(options.length ? { options } : {}) });
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
  | { ok: false; unknownProductIds: number[]; optionProblems?: string[] };

export function priceOrder(
  requested: readonly LineRequest[],
  catalogue: ReadonlyMap<number, PricedProduct>,
  fulfilment: Fulfilment,
): PriceResult {
  const lines = mergeLines(requested);
  const unknown = lines.filter((l) => !catalogue.has(l.productId)).map((l) => l.productId);
  if (unknown.length) return { ok: false, unknownProductIds: unknown };
  const optionProblems: string[] = [];
  const priced = lines.map((l): PricedLine => {
    const p = catalogue.get(l.productId)!;
    const chosen = (l.options ?? []).map((id) => p.options?.find((o) => o.id === id));
    if (chosen.some((o) => !o)) optionProblems.push(`product ${p.id}: unknown or withdrawn options`);
    const options = chosen.filter((o) => o !== undefined);
    if (options.filter((o) => o.kind === 'size').length > 1) optionProblems.push(`product ${p.id}: one size at most`);
    const unitPriceCents = p.priceCents + options.reduce((s, o) => s + o.priceCents, 0);
    return {
      productId: p.id,
      name: p.name,
      category: p.category,
      unitPriceCents,
      quantity: l.quantity,
      lineTotalCents: unitPriceCents * l.quantity,
      options: options.map((o) => ({ id: o.id, kind: o.kind, name: o.name, nameEn: o.nameEn, priceCents: o.priceCents })),
      vatRate: p.vatRate ?? 10,
      recipe: lineRecipe(p.recipe ?? [], options),
    };
  });
  if (optionProblems.length) return { ok: false, unknownProductIds: [], optionProblems };
  const subtotalCents = priced.reduce((s, l) => s + l.lineTotalCents, 0);
  const deliveryFeeCents = deliveryFee(subtotalCents, fulfilment);
  return { ok: true, lines: priced, subtotalCents, deliveryFeeCents, totalCents: subtotalCents + deliveryFeeCents };
}

export function deliveryFee(subtotalCents: number, fulfilment: Fulfilment): number {
  if (fulfilment === 'pickup' || subtotalCents >= FREE_DELIVERY_FROM_CENTS) return 0;
  return DELIVERY_FEE_CENTS;
}

