// The loyalty scheme and its reward: pure, so the checkout shows what the server will take off.
// Points are earned by the database (db/migrations/0051_loyalty_spending.sql); they are spent here:
// at `rewardPoints`, one pizza of the basket free, the dearest, up to `rewardMaxCents`.
import { spreadDiscount } from './promo.ts';

export interface LoyaltyScheme {
  active: boolean;
  /** Points an order of the customer's account earns when it is handed over... */
  pointsPerOrder: number;
  /** ...if it paid at least this. */
  fromCents: number;
  /** What the reward costs in points. */
  rewardPoints: number;
  /** The reward: one pizza of the basket free, up to this price. */
  rewardMaxCents: number;
}

export const DEFAULT_LOYALTY_SCHEME: LoyaltyScheme = { active: true, pointsPerOrder: 10, fromCents: 1000, rewardPoints: 60, rewardMaxCents: 1500 };

/** Why points cannot be spent on a basket, each its own API code (loyalty_…). */
export const LOYALTY_REFUSALS = ['scheme_off', 'not_enough_points', 'no_pizza', 'with_promo'] as const;
export type LoyaltyRefusal = (typeof LOYALTY_REFUSALS)[number];

export interface RewardLine {
  category: string;
  unitPriceCents: number;
  quantity: number;
  vatRate: number;
}

export type RewardJudgement =
  | { ok: true; points: number; discountCents: number; byRate: { rate: number; cents: number }[] }
  | { ok: false; reason: LoyaltyRefusal; points?: number };

/**
 * Whether the points pay for a pizza of this basket, and what they take off: the scheme is on, the
 * customer has the points, no promo code is used with them (one discount an order), and the basket
 * holds a pizza (a half-and-half is one). The dearest pizza (with its size and extras) is free up
 * to the scheme's cap; the discount is at that pizza's VAT rate, since it is that pizza given.
 */
export function judgeReward(scheme: LoyaltyScheme, balance: number, lines: readonly RewardLine[], withPromo = false): RewardJudgement {
  if (!scheme.active) return { ok: false, reason: 'scheme_off' };
  if (withPromo) return { ok: false, reason: 'with_promo' };
  if (balance < scheme.rewardPoints) return { ok: false, reason: 'not_enough_points', points: scheme.rewardPoints };
  const pizzas = lines.filter((l) => l.category === 'pizza' && l.quantity > 0 && l.unitPriceCents > 0);
  if (!pizzas.length) return { ok: false, reason: 'no_pizza' };
  const dearest = pizzas.reduce((a, b) => (b.unitPriceCents > a.unitPriceCents ? b : a));
  const discountCents = Math.min(dearest.unitPriceCents, scheme.rewardMaxCents);
  return { ok: true, points: scheme.rewardPoints, discountCents, byRate: spreadDiscount([{ rate: dearest.vatRate, grossCents: discountCents }], discountCents) };
}

/** A promo code and the points both apply to a basket: what each takes off, and the one to suggest. */
export interface OfferComparison {
  better: 'promo' | 'points';
  promoCents: number;
  pointsCents: number;
  /** How much more the better one takes off (0: the same). */
  moreCents: number;
}

/**
 * One discount an order (a code or the points, never both: `judgeReward`'s `with_promo`): when a
 * code the server accepted and the points could both pay, the one that takes more off; the same
 * amount, the code, so the points stay for another order. Null when only one of them (or neither)
 * applies: there is nothing to choose. `points` is the reward judged without the code.
 */
export function betterDiscount(promoCents: number | null, points: RewardJudgement | null): OfferComparison | null {
  if (promoCents === null || promoCents <= 0 || !points?.ok) return null;
  const pointsCents = points.discountCents;
  const better = pointsCents > promoCents ? 'points' : 'promo';
  return { better, promoCents, pointsCents, moreCents: Math.abs(pointsCents - promoCents) };
}
