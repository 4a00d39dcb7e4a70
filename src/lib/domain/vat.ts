// VAT on a receipt. Prices are all taxes included (TTC), as a French menu shows them; the VAT of a
// rate is taken out of what was sold at that rate: TTC × rate / (100 + rate), rounded to the cent
// once per rate (as a till does), and the amount before tax is the rest, so the lines add up.

/** The delivery fee follows the food's rate (10 % for food to be eaten at once). */
export const DELIVERY_FEE_VAT_RATE = 10;

export interface VatLine {
  rate: number;
  /** Before tax. */
  netCents: number;
  vatCents: number;
  /** Taxes included. */
  grossCents: number;
}

/** Sums what was sold per rate and takes the VAT out of each, highest rate last. */
export function vatBreakdown(sold: readonly { rate: number; grossCents: number }[]): VatLine[] {
  const byRate = new Map<number, number>();
  for (const s of sold) if (s.grossCents) byRate.set(s.rate, (byRate.get(s.rate) ?? 0) + s.grossCents);
  return [...byRate]
    .sort(([a], [b]) => a - b)
    .map(([rate, grossCents]) => {
      const vatCents = Math.round((grossCents * rate) / (100 + rate));
      return { rate, netCents: grossCents - vatCents, vatCents, grossCents };
    });
}
