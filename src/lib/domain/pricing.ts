// Prices are computed on the server from the catalogue, never taken from the client.

export interface PricedProduct {
  id: number;
  name: string;
  category: 'pizza' | 'drink' | 'dessert';
  priceCents: number;
}

export interface LineRequest {
  productId: number;
  quantity: number;
}

export interface PricedLine {
  productId: number;
  name: string;
  category: PricedProduct['category'];
  unitPriceCents: number;
  quantity: number;
  lineTotalCents: number;
}

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

/** Merges repeated products into one line each, keeping the first-seen order. */
export function mergeLines(lines: readonly LineRequest[]): LineRequest[] {
  const merged = new Map<number, number>();
  for (const l of lines) merged.set(l.productId, (merged.get(l.productId) ?? 0) + l.quantity);
  return [...merged].map(([productId, quantity]) => ({ productId, quantity }));
}

export type QuantityCheck = { ok: true; lines: LineRequest[]; totalItems: number } | { ok: false; fields: Record<string, string> };

/**
 * Merges the lines and checks the caps on what is merged: per product and per order. The field
 * messages name the product by id; the basket knows its names.
 */
export function checkQuantities(requested: readonly LineRequest[]): QuantityCheck {
  const lines = mergeLines(requested);
  const fields: Record<string, string> = {};
  const over = lines.filter((l) => l.quantity > MAX_QUANTITY_PER_PRODUCT);
  if (over.length) {
    fields.items = `at most ${MAX_QUANTITY_PER_PRODUCT} of one product per order (${over
      .map((l) => `product ${l.productId}: ${l.quantity}`)
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
  | { ok: false; unknownProductIds: number[] };

export function priceOrder(
  requested: readonly LineRequest[],
  catalogue: ReadonlyMap<number, PricedProduct>,
  fulfilment: 'delivery' | 'pickup',
): PriceResult {
  const lines = mergeLines(requested);
  const unknown = lines.filter((l) => !catalogue.has(l.productId)).map((l) => l.productId);
  if (unknown.length) return { ok: false, unknownProductIds: unknown };
  const priced = lines.map((l) => {
    const p = catalogue.get(l.productId)!;
    return {
      productId: p.id,
      name: p.name,
      category: p.category,
      unitPriceCents: p.priceCents,
      quantity: l.quantity,
      lineTotalCents: p.priceCents * l.quantity,
    };
  });
  const subtotalCents = priced.reduce((s, l) => s + l.lineTotalCents, 0);
  const deliveryFeeCents = deliveryFee(subtotalCents, fulfilment);
  return { ok: true, lines: priced, subtotalCents, deliveryFeeCents, totalCents: subtotalCents + deliveryFeeCents };
}

export function deliveryFee(subtotalCents: number, fulfilment: 'delivery' | 'pickup'): number {
  if (fulfilment === 'pickup' || subtotalCents >= FREE_DELIVERY_FROM_CENTS) return 0;
  return DELIVERY_FEE_CENTS;
}

