// Promo codes: whether a code applies to a basket, what it takes off, and how the discount is
// spread over the basket's VAT rates. Pure: the server reads the code and its uses, then asks here.
import { contactEmail } from './unpaid-holds.ts';

export const PROMO_KINDS = ['percent', 'amount', 'free_product'] as const;
export type PromoKind = (typeof PROMO_KINDS)[number];

/** Why a code is refused, each its own code for the API and its own message for the customer. */
export const PROMO_REFUSALS = [
  'unknown', 'not_started', 'expired', 'not_at_this_shop', 'under_minimum', 'used_up', 'already_used', 'needs_sign_in', 'already_held',
  'free_product_unavailable', 'free_product_not_in_basket',
] as const;
export type PromoRefusal = (typeof PROMO_REFUSALS)[number];

export interface PromoRule {
  id: number;
  code: string;
  kind: PromoKind;
  /** percent: 1 to 100; amount: cents off; free_product: unused. */
  value: number;
  productId: number | null;
  minBasketCents: number;
  startsAt: Date | null;
  endsAt: Date | null;
  /** The shops it works at (null: every shop). */
  pizzeriaIds: number[] | null;
  maxUses: number | null;
  maxUsesPerCustomer: number | null;
  active: boolean;
}

export interface PromoBasketLine {
  productId: number;
  unitPriceCents: number;
  quantity: number;
  vatRate: number;
  /** A half-and-half line is not the free product, even with it as a half. */
  halves?: unknown;
}

export interface PromoContext {
  now: Date;
  pizzeriaId: number;
  lines: readonly PromoBasketLine[];
  /** Orders not cancelled that used the code, in all and by this signed-in customer (their account or the contacts it proved). */
  usesInAll: number;
  usesByCustomer: number;
  /** Orders of this client (account, phone, email or network) with the code, neither paid nor handed over yet. */
  heldByClient: number;
  /**
   * Whether a customer is signed in: a per-customer limit needs it, since a guest's phone and email
   * are only typed (another phone and a lookalike email would be another customer).
   */
  signedIn: boolean;
  /** The free product's price at this shop now (null: not on sale here tonight). */
  freeProductCents: number | null;
}

export type PromoJudgement =
  | { ok: true; discountCents: number }
  | { ok: false; reason: PromoRefusal; minBasketCents?: number; productId?: number };

/**
 * How many uses of a limited code (in all or per customer) one client may hold at once on orders
 * neither paid nor handed over: one, so orders left unpaid (at the door, or online) cannot take a
 * "first N customers" code from the customers who come after.
 */
export const HELD_USES_PER_CLIENT = 1;

/**
 * An email in the one form a once-per-customer code compares: lower case, without a "+tag", and for
 * Gmail (which ignores dots, and answers to googlemail.com too) without the dots of its name: every
 * spelling of one mailbox is one customer.
 */
export function canonicalEmail(email: string): string {
  const e = contactEmail(email);
  const at = e.lastIndexOf('@');
  if (at < 0) return e;
  const domain = e.slice(at + 1);
  if (domain !== 'gmail.com' && domain !== 'googlemail.com') return e;
  return `${e.slice(0, at).replace(/\./g, '')}@gmail.com`;
}

/** The items' total, taxes included (the minimum basket and a percent are on it; the delivery fee is not discounted). */
export const itemsCentsOf = (lines: readonly PromoBasketLine[]) => lines.reduce((s, l) => s + l.unitPriceCents * l.quantity, 0);

/**
 * Whether the code applies, checked in this order (the first rule broken is the reason): it exists
 * and is active, has started, has not ended, works at this shop, the basket reaches its minimum, it
 * has uses left in all, the customer is signed in when it counts uses per customer and has uses left,
 * the client holds no other use of it not yet paid nor handed over (a code with a limit), the free
 * product is on sale here and in the basket. The discount never exceeds the items' total;
 * a percent is rounded to the nearest cent.
 */
export function judgePromo(rule: PromoRule | null, ctx: PromoContext): PromoJudgement {
  if (!rule || !rule.active) return { ok: false, reason: 'unknown' };
  if (rule.startsAt && ctx.now < rule.startsAt) return { ok: false, reason: 'not_started' };
  if (rule.endsAt && ctx.now >= rule.endsAt) return { ok: false, reason: 'expired' };
  if (rule.pizzeriaIds && !rule.pizzeriaIds.includes(ctx.pizzeriaId)) return { ok: false, reason: 'not_at_this_shop' };
  const items = itemsCentsOf(ctx.lines);
  if (items < rule.minBasketCents) return { ok: false, reason: 'under_minimum', minBasketCents: rule.minBasketCents };
  if (rule.maxUses !== null && ctx.usesInAll >= rule.maxUses) return { ok: false, reason: 'used_up' };
  if (rule.maxUsesPerCustomer !== null) {
    if (!ctx.signedIn) return { ok: false, reason: 'needs_sign_in' };
    if (ctx.usesByCustomer >= rule.maxUsesPerCustomer) return { ok: false, reason: 'already_used' };
  }
  if ((rule.maxUses !== null || rule.maxUsesPerCustomer !== null) && ctx.heldByClient >= HELD_USES_PER_CLIENT) return { ok: false, reason: 'already_held' };
  let off: number;
  if (rule.kind === 'percent') off = Math.round((items * rule.value) / 100);
  else if (rule.kind === 'amount') off = rule.value;
  else {
    if (ctx.freeProductCents === null) return { ok: false, reason: 'free_product_unavailable', productId: rule.productId! };
    const lines = ctx.lines.filter((l) => l.productId === rule.productId && !l.halves);
    if (!lines.length) return { ok: false, reason: 'free_product_not_in_basket', productId: rule.productId! };
    // one of it free, at its menu price (a size or an extra chosen on it is paid)
    off = Math.min(ctx.freeProductCents, ...lines.map((l) => l.unitPriceCents));
  }
  return { ok: true, discountCents: Math.min(off, items) };
}

/**
 * The discount spread over the basket's VAT rates pro rata of what each rate sold, so the VAT is
 * taken out of what was paid: each rate gets its share rounded down to the cent, and the cents left
 * go one each to the rates with the largest remainders (the larger sales first on a tie), so the
 * parts add up to the discount exactly. No rate gets more off than it sold.
 */
export function spreadDiscount(sold: readonly { rate: number; grossCents: number }[], discountCents: number): { rate: number; cents: number }[] {
  const byRate = new Map<number, number>();
  for (const s of sold) if (s.grossCents > 0) byRate.set(s.rate, (byRate.get(s.rate) ?? 0) + s.grossCents);
  const total = [...byRate.values()].reduce((a, b) => a + b, 0);
  if (!total || discountCents <= 0) return [];
  const off = Math.min(discountCents, total);
  const parts = [...byRate].map(([rate, gross]) => {
    const exact = (off * gross) / total;
    return { rate, gross, cents: Math.floor(exact), rest: exact - Math.floor(exact) };
  });
  let left = off - parts.reduce((s, p) => s + p.cents, 0);
  for (const p of [...parts].sort((a, b) => b.rest - a.rest || b.gross - a.gross || a.rate - b.rate)) {
    if (left <= 0) break;
    p.cents += 1;
    left -= 1;
  }
  return parts.filter((p) => p.cents > 0).sort((a, b) => a.rate - b.rate).map((p) => ({ rate: p.rate, cents: p.cents }));
}
