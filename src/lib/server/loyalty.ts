// Loyalty points of a signed-in customer: a ledger (loyalty_ledger, migration 0050) written by the
// database when an order of their account is handed over (10 points for an order paid at least
// 10 EUR) and when it is cancelled or refunded in full after (taken back); the balance is its sum.
import type { Queryable } from './db.ts';

/** The scheme, as the ledger's trigger applies it (db/migrations/0050_loyalty_points.sql). */
export const LOYALTY_SCHEME = { pointsPerOrder: 10, fromCents: 1000 } as const;

export interface LoyaltyAccount {
  balance: number;
  history: { at: string; points: number; reason: 'earned' | 'taken_back'; orderId: string | null; number: number | null; businessDay: string | null }[];
  scheme: typeof LOYALTY_SCHEME;
}

export async function loyaltyOf(q: Queryable, customerId: string): Promise<LoyaltyAccount> {
  const { rows } = await q.query(
    `SELECT l.created_at, l.points, l.reason, l.order_id, o.number, o.business_day::text AS business_day
     FROM loyalty_ledger l LEFT JOIN orders o ON o.id = l.order_id
     WHERE l.customer_id = $1 ORDER BY l.created_at DESC, l.id DESC`,
    [customerId],
  );
  return {
    balance: rows.reduce((s, r) => s + r.points, 0),
    history: rows.slice(0, 50).map((r) => ({
      at: new Date(r.created_at).toISOString(), points: r.points, reason: r.reason, orderId: r.order_id, number: r.number, businessDay: r.business_day,
    })),
    scheme: LOYALTY_SCHEME,
  };
}
