// Platform orders for the back office's tests, as the intake leaves them: a pickup order placed
// through the normal road, then made the platform's (its channel, its platform and id there, paid to
// the platform in full, the commission known when it was accepted), and a platform's payout report
// kept as the reconciliation page fetches it. The intake itself is tested on its own.
import type pg from 'pg';
import { expect } from 'vitest';
import { placeThroughApi } from './helpers.ts';
import type { MarketplaceProvider, MarketplaceReport } from '../src/lib/server/marketplaces/provider.ts';

export interface PlatformOrder {
  id: string;
  number: number;
  totalCents: number;
  externalId: string;
}

/**
 * A platform order of this shop: `lines` of our products (pickup: the platform's courier collects
 * it), `commissionCents` the platform's share. Paid to the platform: paid_cents is its total.
 */
export async function platformOrder(
  base: string,
  pool: pg.Pool,
  o: { pizzeriaId: number; marketplace: string; externalId: string; lines: { productId: number; quantity: number }[]; commissionCents: number },
): Promise<PlatformOrder> {
  const [first] = o.lines;
  const placed = await placeThroughApi(base, {
    pizzeriaId: o.pizzeriaId,
    productId: first.productId,
    quantity: first.quantity,
    fulfilment: 'pickup',
    items: o.lines,
    customer: { name: 'Léa (plateforme)', phone: '06 12 34 56 78' },
  });
  const { rowCount } = await pool.query(
    `UPDATE orders SET channel = 'marketplace', payment_method = 'marketplace', payment_status = 'paid', paid_cents = total_cents,
       marketplace = $2, external_id = $3, external_code = upper(substr(md5($3), 1, 5)), marketplace_commission_cents = $4,
       version = version + 1, updated_at = now()
     WHERE id = $1`,
    [placed.id, o.marketplace, o.externalId, o.commissionCents],
  );
  expect(rowCount).toBe(1);
  return { id: placed.id, number: placed.number, totalCents: placed.total, externalId: o.externalId };
}

/** A platform's payout report for a store and week, as fetched (marketplace_reports). */
export async function seedReport(pool: pg.Pool, marketplace: string, report: MarketplaceReport): Promise<void> {
  await pool.query(
    `INSERT INTO marketplace_reports (marketplace, store_id, week_start, report) VALUES ($1, $2, $3::date, $4)
     ON CONFLICT (marketplace, store_id, week_start) DO UPDATE SET report = EXCLUDED.report, fetched_at = now()`,
    [marketplace, report.storeId, report.weekStart, JSON.stringify(report)],
  );
}

/** A shop's store on a platform, connected directly (the API's own test connects through the page's route). */
export async function connectStore(pool: pg.Pool, marketplace: string, pizzeriaId: number, storeId: string, commissionPct = 30): Promise<void> {
  await pool.query(
    `INSERT INTO marketplace_stores (marketplace, store_id, pizzeria_id, commission_pct) VALUES ($1, $2, $3, $4)`,
    [marketplace, storeId, pizzeriaId, commissionPct],
  );
}

/**
 * A platform as the back office sees it, without its API: its id and label, configured, the payout
 * reports it gives (by store and week), and the decisions it is told (`told`). Everything else is
 * refused: the back office's tests call nothing else of it.
 */
export function stubPlatform(id: string, label: string, reports: Map<string, MarketplaceReport> = new Map(), told: string[] = []): MarketplaceProvider {
  const no = () => Promise.reject(new Error(`${label}: not in the back office's tests`));
  return {
    id, label, configured: true,
    verify: () => false,
    read: () => [],
    fetchOrder: no, step: no, cancel: no, pushMenu: no, setAvailability: no, setStoreStatus: no,
    // what the manager decided, as the platform heard it
    accept: async (ref) => void told.push(`accept ${ref.externalId}`),
    deny: async (ref, reason) => void told.push(`deny ${ref.externalId} ${reason}`),
    report: async (storeId, weekStart) => {
      const r = reports.get(`${storeId}|${weekStart}`);
      if (!r) throw new Error('no report for this week');
      return r;
    },
  };
}
