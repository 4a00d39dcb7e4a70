// Refunds a manager grants on a paid order: why, and how much of each VAT rate they give back.
//
// The VAT of a refund follows what was refunded: lines chosen give back their own rates; an amount
// (or the whole order) gives back each rate's share of the order, pro rata of what the order cost
// at that rate (the delivery fee at its own rate), in cents that add up to the amount exactly (the
// largest remainders take the odd cents). The VAT itself is taken out once per rate, as for sales.

export const REFUND_REASONS = ['missing_item', 'quality', 'late', 'other'] as const;
export type RefundReason = (typeof REFUND_REASONS)[number];

export const REFUND_METHODS = ['provider', 'cash'] as const;
export type RefundMethod = (typeof REFUND_METHODS)[number];

export interface GrossAtRate {
  rate: number;
  grossCents: number;
}

/** Per rate, what the parts cost taxes included (zero parts dropped), lowest rate first. */
export function grossByRate(parts: readonly GrossAtRate[]): GrossAtRate[] {
  const byRate = new Map<number, number>();
  for (const p of parts) if (p.grossCents > 0) byRate.set(p.rate, (byRate.get(p.rate) ?? 0) + p.grossCents);
  return [...byRate].sort(([a], [b]) => a - b).map(([rate, grossCents]) => ({ rate, grossCents }));
}

/**
 * `amountCents` shared among the order's rates in proportion to what it cost at each: whole cents
 * adding up to the amount, the odd cents to the largest remainders (the higher rate on a tie).
 */
export function proRataByRate(amountCents: number, order: readonly GrossAtRate[]): GrossAtRate[] {
  const rates = grossByRate(order);
  const total = rates.reduce((s, r) => s + r.grossCents, 0);
  if (amountCents <= 0) return [];
  if (total <= 0) return [{ rate: rates[0]?.rate ?? 10, grossCents: amountCents }];
  const shares = rates.map((r) => {
    const exact = (amountCents * r.grossCents) / total;
    return { rate: r.rate, grossCents: Math.floor(exact), rest: exact - Math.floor(exact) };
  });
  let left = amountCents - shares.reduce((s, r) => s + r.grossCents, 0);
  for (const s of [...shares].sort((a, b) => b.rest - a.rest || b.rate - a.rate)) {
    if (left <= 0) break;
    s.grossCents += 1;
    left -= 1;
  }
  return shares.filter((s) => s.grossCents > 0).map(({ rate, grossCents }) => ({ rate, grossCents }));
}
