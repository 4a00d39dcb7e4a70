// The day's platform orders apart, per platform (a shop's orders from Uber Eats, Deliveroo…): they
// were paid to the platform, not to the shop's till, and the platform pays the shop their total less
// its commission. What they sold (with their VAT per rate, as our own sales), the commission, and the
// amount due to the shop. Their sales are in the day's sales too (the journal's), and what they took
// is the 'marketplace' way, never cash nor card of the shop.
import { vatBreakdown, type VatLine } from '../../domain/vat.ts';
import type { Queryable } from '../kernel/db.ts';

export interface PlatformTakings {
  marketplace: string;
  orders: number;
  salesCents: number;
  vat: VatLine[];
  commissionCents: number;
  /** What the platform owes the shop for them: their sales less its commission. */
  dueCents: number;
}

interface Row {
  pizzeria_id: number;
  marketplace: string;
  orders: number;
  sales: number;
  commission: number;
  by_rate: { rate: string; gross: number }[];
}

/** Per shop, the day's platform orders (not cancelled) per platform, by platform id. */
export async function platformTakingsOfDay(q: Queryable, pizzeriaIds: number[], day: string): Promise<Map<number, PlatformTakings[]>> {
  const { rows } = await q.query<Row>(
    `WITH o AS (
       SELECT id, pizzeria_id, marketplace, total_cents, coalesce(marketplace_commission_cents, 0) AS commission FROM orders
       WHERE pizzeria_id = ANY($1) AND business_day = $2::date AND marketplace IS NOT NULL AND status <> 'cancelled'
     )
     SELECT o.pizzeria_id, o.marketplace, count(*)::int AS orders, sum(o.total_cents)::int AS sales, sum(o.commission)::int AS commission,
       (SELECT json_agg(json_build_object('rate', r.rate, 'gross', r.gross)) FROM (
          SELECT i.vat_rate::text AS rate, sum(i.unit_price_cents * i.quantity)::int AS gross
          FROM order_items i JOIN o o2 ON o2.id = i.order_id
          WHERE o2.pizzeria_id = o.pizzeria_id AND o2.marketplace = o.marketplace GROUP BY i.vat_rate) r) AS by_rate
     FROM o GROUP BY o.pizzeria_id, o.marketplace ORDER BY o.pizzeria_id, o.marketplace`,
    [pizzeriaIds, day],
  );
  const out = new Map<number, PlatformTakings[]>();
  for (const r of rows) {
    const list = out.get(r.pizzeria_id) ?? [];
    list.push({
      marketplace: r.marketplace, orders: r.orders, salesCents: r.sales, commissionCents: r.commission, dueCents: r.sales - r.commission,
      vat: vatBreakdown((r.by_rate ?? []).map((v) => ({ rate: Number(v.rate), grossCents: v.gross }))),
    });
    out.set(r.pizzeria_id, list);
  }
  return out;
}

/** The chain's platform figures: the shops' added platform by platform (VAT lines as each shop rounded them). */
export function chainPlatforms(shops: readonly PlatformTakings[][]): PlatformTakings[] {
  const by = new Map<string, PlatformTakings>();
  for (const p of shops.flat()) {
    const t = by.get(p.marketplace) ?? { marketplace: p.marketplace, orders: 0, salesCents: 0, vat: [], commissionCents: 0, dueCents: 0 };
    const vat = new Map(t.vat.map((v) => [v.rate, { ...v }]));
    for (const v of p.vat) {
      const w = vat.get(v.rate) ?? { rate: v.rate, netCents: 0, vatCents: 0, grossCents: 0 };
      vat.set(v.rate, { rate: v.rate, netCents: w.netCents + v.netCents, vatCents: w.vatCents + v.vatCents, grossCents: w.grossCents + v.grossCents });
    }
    by.set(p.marketplace, {
      marketplace: p.marketplace, orders: t.orders + p.orders, salesCents: t.salesCents + p.salesCents, commissionCents: t.commissionCents + p.commissionCents,
      dueCents: t.dueCents + p.dueCents, vat: [...vat.values()].sort((a, b) => a.rate - b.rate),
    });
  }
  return [...by.values()].sort((a, b) => a.marketplace.localeCompare(b.marketplace));
}
