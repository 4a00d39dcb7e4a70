// VAT on a receipt. Prices are all taxes included (TTC), as a French menu shows them; the VAT of a
// rate is taken out of what was sold at that rate: TTC × rate / (100 + rate), rounded to the cent
// once per rate (as a till does), and the amount before tax is the rest, so the lines add up.

import type { Fulfilment } from './order-states.ts';

/** The delivery fee follows the food's rate (10 % for food to be eaten at once), whatever else the bag holds. */
export const DELIVERY_FEE_VAT_RATE = 10;

/**
 * The rates a product may carry: those French law sets for what a pizzeria sells (CGI art. 278-0 bis
 * (A, 1°): 5.5 %, 279 (m): 10 %, 278: 20 %; docs/conformite-caisse.md §6.2). 2.1 % (press, some
 * medicines) concerns nothing on a pizzeria's menu: refused, like any other figure.
 */
export const VAT_RATES = [5.5, 10, 20] as const;
export const isVatRate = (v: number) => (VAT_RATES as readonly number[]).includes(v);

/**
 * A product's VAT rate for each way it is sold (the chain's ways: taken away, delivered). A sealed
 * soft drink is 5.5 % both ways, a pizza 10 %, a beer 20 %: the accountant sets them in the back office.
 */
export type VatRates = Record<Fulfilment, number>;

/** One rate every way (a pizza, a beer). */
export const sameVatRates = (rate: number): VatRates => ({ pickup: rate, delivery: rate });

/**
 * The rate a product is sold at on an order taken away or delivered, as the order is placed (the
 * line keeps it: a later change of the product's rates never alters a sale). A product that says
 * nothing is at 10 %, food to be eaten at once.
 */
export function vatRateFor(rates: Partial<VatRates> | undefined, fulfilment: Fulfilment): number {
  return rates?.[fulfilment] ?? 10;
}

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
