// The plain sums of an order's page in the back office: what the lines hold beyond them, what a
// refund gives back and how it goes back. Tested alone; the page's state is refund-desk.svelte.ts.
import { unitsRefundCents, type RefundMethod } from '../../domain/refunds.ts';

/** A line as the refund form counts it: what was paid for it after the order's discount, and how many are left to give back. */
export interface RefundLine {
  itemId: number;
  quantity: number;
  left: number;
  paidCents: number;
}

/** A way the order was paid, as far as a refund can give it back. */
export interface RefundWay {
  method: RefundMethod;
  refundableCents: number;
  why: string | null;
}

/** What the total holds beyond the lines: the delivery fee (the receipt counts it the same way). */
export function deliveryFeeCents(totalCents: number, discountCents: number, items: readonly { unitPriceCents: number; quantity: number }[]): number {
  return Math.max(0, totalCents + discountCents - items.reduce((s, i) => s + i.unitPriceCents * i.quantity, 0));
}

/** "lina.morel@example.test" broken only before its "@" when the card is narrow. */
export function emailParts(email: string): string[] {
  const at = email.lastIndexOf('@');
  return at > 0 ? [email.slice(0, at), email.slice(at)] : [email];
}

/** Euros typed ("4,50", "4.5", "12"), in cents; 0 for anything else. */
export function typedCents(euros: string): number {
  return /^\d+([.,]\d{1,2})?$/.test(euros.trim()) ? Math.round(Number(euros.trim().replace(',', '.')) * 100) : 0;
}

/** What the units chosen give back: a line gives back what was paid for it after the order's discount, unit by unit as the server counts it. */
export function linesCents(lines: readonly RefundLine[], quantities: Readonly<Record<number, number>>): number {
  return lines.reduce((s, l) => s + unitsRefundCents(l.paidCents, l.quantity, l.quantity - l.left, quantities[l.itemId] ?? 0), 0);
}

/**
 * How the amount goes back: the part chosen, or (the whole, or no way named) the card's part
 * first, then the shop's, as the server does.
 */
export function refundPlan(amountCents: number, ways: { chosen: RefundWay | null; mixed: boolean; method: RefundMethod | null; usable: readonly RefundWay[] }): { method: RefundMethod; cents: number }[] {
  if (ways.chosen) return [{ method: ways.chosen.method, cents: amountCents }];
  if (!ways.mixed) return [{ method: ways.method ?? 'cash', cents: amountCents }];
  let left = amountCents;
  return ways.usable
    .map((p) => {
      const cents = Math.min(left, p.refundableCents);
      left -= cents;
      return { method: p.method, cents };
    })
    .filter((p) => p.cents > 0);
}

/** The refusals the page says in its own words (refund.cannot.*); any other is said as the server put it. */
const SAID_REFUSALS = new Set(['over_refundable', 'line_already_refunded', 'wrong_method', 'not_paid', 'nothing_left', 'not_captured', 'no_provider_payment', 'idempotency_key_reused']);
export const saidInOwnWords = (code: string | undefined): code is string => !!code && SAID_REFUSALS.has(code);
