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

export const MAX_QUANTITY_PER_LINE = 20;
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

/** What the driver or counter collects: the total less what was paid online (negative means owed back). */
export function amountToCollect(totalCents: number, paidCents: number): number {
  return totalCents - paidCents;
}
