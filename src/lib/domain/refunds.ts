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

export interface OrderLineGross {
  itemId: number;
  rate: number;
  /** The line at its menu price: unit price × quantity. */
  grossCents: number;
}

/**
 * What each line was paid, after the order's discount: a promo code's or points' discount is kept per
 * VAT rate (as it was spread when the order was placed), and each rate's part is shared here among
 * that rate's lines pro rata of their price (whole cents, the odd ones to the largest remainders, the
 * dearer line then the first on a tie), so the lines at a rate add up to what the rate sold. Points
 * bought one line (`rewardItemId`, the free pizza): their discount is that line's alone.
 */
export function paidByLine(lines: readonly OrderLineGross[], discountByRate: readonly { rate: number; cents: number }[], rewardItemId: number | null = null): Map<number, number> {
  const off = new Map<number, number>();
  for (const d of discountByRate) off.set(Number(d.rate), (off.get(Number(d.rate)) ?? 0) + d.cents);
  const paid = new Map(lines.map((l) => [l.itemId, l.grossCents]));
  const reward = rewardItemId === null ? undefined : lines.find((l) => l.itemId === rewardItemId);
  if (reward) {
    const taken = Math.min(off.get(reward.rate) ?? 0, reward.grossCents);
    paid.set(reward.itemId, reward.grossCents - taken);
    off.set(reward.rate, (off.get(reward.rate) ?? 0) - taken);
  }
  for (const [rate, cents] of off) {
    const at = lines.filter((l) => l.rate === rate && paid.get(l.itemId)! > 0);
    const total = at.reduce((s, l) => s + paid.get(l.itemId)!, 0);
    const spread = Math.min(cents, total);
    if (spread <= 0) continue;
    const shares = at.map((l) => {
      const exact = (spread * paid.get(l.itemId)!) / total;
      return { l, cents: Math.floor(exact), rest: exact - Math.floor(exact) };
    });
    let left = spread - shares.reduce((s, x) => s + x.cents, 0);
    for (const s of [...shares].sort((a, b) => b.rest - a.rest || b.l.grossCents - a.l.grossCents || a.l.itemId - b.l.itemId)) {
      if (left <= 0) break;
      s.cents += 1;
      left -= 1;
    }
    for (const s of shares) paid.set(s.l.itemId, paid.get(s.l.itemId)! - s.cents);
  }
  return paid;
}

/**
 * What `units` more of a line give back, `already` of its `quantity` being refunded: the line's paid
 * amount shared by unit so that refunding it bit by bit adds up to what it was paid, never more.
 */
export function unitsRefundCents(paidCents: number, quantity: number, already: number, units: number): number {
  const upTo = (n: number) => Math.round((paidCents * Math.min(n, quantity)) / quantity);
  return upTo(already + units) - upTo(already);
}
