// Loyalty points of a signed-in customer: a ledger (loyalty_ledger, migrations 0050 and 0051)
// written by the database when an order of their account is handed over (the scheme's points for
// an order paid at least its amount) and when it is cancelled or refunded in full after (taken
// back); the balance is its sum. Points are spent when an order is placed (a pizza free, see
// src/lib/domain/loyalty.ts), with the customer's row locked so two checkouts at once spend once,
// and given back by the database if that order is cancelled, or here when the pizza they bought is
// refunded (db/migrations/0058_money_rules_that_compose.sql).
import { DEFAULT_LOYALTY_SCHEME, judgeReward, type LoyaltyRefusal, type LoyaltyScheme, type RewardJudgement } from '../../domain/loyalty.ts';
import type { PricedLine } from '../../domain/pricing.ts';
import { audit } from '../kernel/audit.ts';
import { transaction, type Db, type Queryable, type Tx } from '../kernel/db.ts';
import { AppError, forbidden } from '../kernel/errors.ts';
import type { StaffActor } from '../kernel/actors.ts';
import { placingStep } from '../orders/steps.ts';
import { runsChain } from '../../domain/permissions.ts';

/** 'joined': another account of the same person became this one (its rows moved here; this one counts 0, `carried` says what they came to). */
export type LedgerReason = 'earned' | 'taken_back' | 'spent' | 'returned' | 'joined';

export interface LoyaltyAccount {
  balance: number;
  history: { at: string; points: number; reason: LedgerReason; orderId: string | null; number: number | null; businessDay: string | null; carried: number | null }[];
  scheme: LoyaltyScheme;
}

const schemeOf = (r: { active: boolean; points_per_order: number; from_cents: number; reward_points: number; reward_max_cents: number } | undefined): LoyaltyScheme =>
  r ? { active: r.active, pointsPerOrder: r.points_per_order, fromCents: r.from_cents, rewardPoints: r.reward_points, rewardMaxCents: r.reward_max_cents } : DEFAULT_LOYALTY_SCHEME;

/** The scheme as head office stated it. */
export async function loyaltyScheme(q: Queryable): Promise<LoyaltyScheme> {
  const { rows } = await q.query('SELECT * FROM loyalty_scheme');
  return schemeOf(rows[0]);
}

/** Head office states the scheme (audited); it applies to the orders handed over and placed from now. */
export async function setLoyaltyScheme(db: Db, actor: StaffActor, next: LoyaltyScheme): Promise<LoyaltyScheme> {
  if (!runsChain(actor)) throw forbidden('the loyalty scheme is set by head office');
  return transaction(db, async (tx) => {
    const before = schemeOf((await tx.query('SELECT * FROM loyalty_scheme FOR UPDATE')).rows[0]);
    const { rows } = await tx.query(
      `UPDATE loyalty_scheme SET active = $1, points_per_order = $2, from_cents = $3, reward_points = $4, reward_max_cents = $5, updated_at = now() RETURNING *`,
      [next.active, next.pointsPerOrder, next.fromCents, next.rewardPoints, next.rewardMaxCents],
    );
    const after = schemeOf(rows[0]);
    await audit(tx, actor, { action: 'loyalty.scheme', entity: 'loyalty_scheme', entityId: 1, pizzeriaId: null, before, after });
    return after;
  });
}

const balanceOf = async (q: Queryable, customerId: string) =>
  (await q.query<{ n: number }>('SELECT coalesce(sum(points), 0)::int AS n FROM loyalty_ledger WHERE customer_id = $1', [customerId])).rows[0].n;

export async function loyaltyOf(q: Queryable, customerId: string): Promise<LoyaltyAccount> {
  const [{ rows }, scheme] = await Promise.all([
    q.query(
      `SELECT l.created_at, l.points, l.reason, l.order_id, o.number, o.business_day::text AS business_day, l.carried_points
       FROM loyalty_ledger l LEFT JOIN orders o ON o.id = l.order_id
       WHERE l.customer_id = $1 ORDER BY l.created_at DESC, l.id DESC`,
      [customerId],
    ),
    loyaltyScheme(q),
  ]);
  return {
    balance: rows.reduce((s, r) => s + r.points, 0),
    history: rows.slice(0, 50).map((r) => ({
      at: new Date(r.created_at).toISOString(), points: r.points, reason: r.reason, orderId: r.order_id, number: r.number, businessDay: r.business_day,
      carried: r.carried_points,
    })),
    scheme,
  };
}

/** What the checkout shows a signed-in customer: their balance and the scheme. */
export async function loyaltyAtCheckout(q: Queryable, customerId: string): Promise<{ balance: number; scheme: LoyaltyScheme }> {
  const [balance, scheme] = await Promise.all([balanceOf(q, customerId), loyaltyScheme(q)]);
  return { balance, scheme };
}

const REFUSALS: Record<LoyaltyRefusal, [number, string]> = {
  scheme_off: [409, 'loyalty points cannot be spent at the moment'],
  not_enough_points: [409, 'not enough loyalty points for a free pizza'],
  no_pizza: [422, 'loyalty points pay for a pizza: add one to the basket'],
  with_promo: [422, 'loyalty points and a promo code cannot be used on the same order'],
};

export const loyaltyRefused = (j: Extract<RewardJudgement, { ok: false }>) => {
  const [status, message] = REFUSALS[j.reason];
  return new AppError(status, `loyalty_${j.reason}`, message, { fields: { useLoyalty: message } });
};

/**
 * Spends the points of the customer placing an order, in its transaction: their row is locked
 * until the commit, so two checkouts at once read the balance one after the other and only what it
 * holds is spent; refused with its reason (the transaction, and so the order, rolled back).
 */
export async function judgeRewardForPlacing(tx: Tx, customerId: string, lines: readonly PricedLine[], withPromo: boolean): Promise<Extract<RewardJudgement, { ok: true }>> {
  await tx.query('SELECT 1 FROM customers WHERE id = $1 FOR UPDATE', [customerId]);
  const balance = await balanceOf(tx, customerId);
  const scheme = await loyaltyScheme(tx);
  const j = judgeReward(scheme, balance, lines.map((l) => ({ category: l.category, unitPriceCents: l.unitPriceCents, quantity: l.quantity, vatRate: l.vatRate })), withPromo);
  if (!j.ok) throw loyaltyRefused(j);
  return j;
}

/**
 * The points spent by the order placed with them (its total already less the discount), with the
 * line they bought: the dearest pizza, the first of its price as the basket listed them (judgeReward's
 * choice; the lines are numbered in the basket's order). A refund of that line gives the points back.
 */
export async function recordReward(tx: Tx, customerId: string, orderId: string, r: Extract<RewardJudgement, { ok: true }>): Promise<void> {
  await tx.query(`INSERT INTO loyalty_ledger (customer_id, order_id, points, reason) VALUES ($1, $2, $3, 'spent')`, [customerId, orderId, -r.points]);
  await tx.query(
    `INSERT INTO loyalty_redemptions (order_id, points, discount_cents, by_rate, item_id)
     VALUES ($1, $2, $3, $4, (SELECT i.id FROM order_items i WHERE i.order_id = $1 AND i.category = 'pizza' AND i.unit_price_cents > 0 AND i.quantity > 0
                              ORDER BY i.unit_price_cents DESC, i.id LIMIT 1))`,
    [orderId, r.points, r.discountCents, JSON.stringify(r.byRate)],
  );
}

type Reward = Extract<RewardJudgement, { ok: true }>;

/**
 * Placing's step: points are a signed-in customer's, spent online by themselves; their row locked
 * until the commit, so they are spent once, and never beside another discount.
 */
export const loyaltyStep = placingStep<Reward>({
  check(input, opts) {
    if (input.useLoyalty && !opts.customerId) throw new AppError(401, 'loyalty_needs_sign_in', 'sign in to spend loyalty points', { fields: { useLoyalty: 'sign in to spend loyalty points' } });
  },
  judge: (tx, { input, opts, prepared: { check }, discountCents }) =>
    input.useLoyalty ? judgeRewardForPlacing(tx, opts.customerId!, check.priced.lines, discountCents !== null) : Promise.resolve(null),
  discount: (reward) => reward.discountCents,
  record: async (tx, { opts }, placed, reward) => {
    if (reward) await recordReward(tx, opts.customerId!, placed.id, reward);
  },
});

/**
 * The points spent on an order come back once the line they bought is refunded whole (every unit of
 * it, by refunds done), in the transaction that settles the refund; once, whatever runs it again.
 * A refund of other lines, or of an amount, however large, gives none back: the pizza was kept.
 */
export async function returnPointsOfRefundedReward(tx: Tx, orderId: string): Promise<boolean> {
  const { rowCount } = await tx.query(
    `INSERT INTO loyalty_ledger (customer_id, order_id, points, reason)
     SELECT l.customer_id, l.order_id, -l.points, 'returned'
     FROM loyalty_ledger l JOIN loyalty_redemptions r ON r.order_id = l.order_id JOIN order_items i ON i.id = r.item_id
     WHERE l.order_id = $1 AND l.reason = 'spent'
       AND (SELECT coalesce(sum((x->>'quantity')::int), 0) FROM order_refunds f, jsonb_array_elements(f.lines) x
            WHERE f.order_id = $1 AND f.status = 'done' AND f.lines IS NOT NULL AND (x->>'itemId')::int = i.id) >= i.quantity
     ON CONFLICT (order_id, reason) DO NOTHING`,
    [orderId],
  );
  return (rowCount ?? 0) > 0;
}
