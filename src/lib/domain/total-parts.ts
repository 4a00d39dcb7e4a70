// What an order's total is made of, as its receipt and its tracking card show it. Orders keep the
// total paid and the lines, not the delivery fee: the fee is what the total and the discounts leave
// beside the lines, so the parts shown always add up: lines + fee − promo − points = total.

/** A discount on an order (the order_discounts view): a promo code, or loyalty points spent on it. */
export interface OrderDiscount {
  kind: 'promo' | 'loyalty';
  code: string | null;
  points: number | null;
  discountCents: number;
}

export interface TotalParts {
  itemsCents: number;
  deliveryFeeCents: number;
  promo: { code: string; discountCents: number } | null;
  loyalty: { points: number; discountCents: number } | null;
}

/** The parts of `totalCents`: the lines' sum (each line's total given), the delivery fee, and the discount's line. */
export function totalParts(totalCents: number, lineCents: readonly number[], discount: OrderDiscount | null): TotalParts {
  const itemsCents = lineCents.reduce((s, c) => s + c, 0);
  const off = discount?.discountCents ?? 0;
  return {
    itemsCents,
    deliveryFeeCents: Math.max(0, totalCents + off - itemsCents),
    promo: discount?.kind === 'promo' ? { code: discount.code ?? '', discountCents: off } : null,
    loyalty: discount?.kind === 'loyalty' ? { points: discount.points ?? 0, discountCents: off } : null,
  };
}
