// The reconciliation page: a platform's week, store by store, held against our own orders (pure
// comparison in src/lib/domain/marketplace-reconcile.ts). Our side: the shop's platform orders of
// that platform whose business day is in the week, not cancelled. Their side: the platform's payout
// report (provider.report), fetched by a manager and kept in marketplace_reports. A platform that
// publishes no report through its API (Deliveroo: Partner Hub downloads only) has no their side:
// the week says the reconciliation is not available, never figures of our own making.
import { reconcileWeek, type OurPlatformOrder, type ReconciledWeek } from '../../domain/marketplace-reconcile.ts';
import type { Db, Queryable } from '../kernel/db.ts';
import { AppError, notFound } from '../kernel/errors.ts';
import type { StaffActor } from '../kernel/actors.ts';
import type { MarketplaceProvider, MarketplaceReport } from './provider.ts';
import { checkShop, knownPlatform, shopsRun } from './stores.ts';

export interface StoreWeek extends ReconciledWeek {
  shop: { id: number; name: string };
  storeId: string;
  fetchedAt: string | null;
  /** False: the platform publishes no payout report through its API, so nothing to reconcile with. */
  reportAvailable: boolean;
}

/** Our platform orders of a store's shop in the week starting on `weekStart` (a Monday), not cancelled. */
export async function ourOrdersOfWeek(q: Queryable, marketplace: string, pizzeriaId: number, weekStart: string): Promise<OurPlatformOrder[]> {
  const { rows } = await q.query<{ external_id: string; number: number; total_cents: number; marketplace_commission_cents: number | null }>(
    `SELECT external_id, number, total_cents, marketplace_commission_cents FROM orders
     WHERE marketplace = $1 AND pizzeria_id = $2 AND business_day >= $3::date AND business_day < $3::date + 7 AND status <> 'cancelled'
     ORDER BY number`,
    [marketplace, pizzeriaId, weekStart],
  );
  return rows.map((r) => ({ externalId: r.external_id, number: r.number, totalCents: r.total_cents, commissionCents: r.marketplace_commission_cents }));
}

/** The kept report of a store and week, if fetched. */
async function keptReport(q: Queryable, marketplace: string, storeId: string, weekStart: string): Promise<{ report: MarketplaceReport; fetchedAt: Date } | null> {
  const { rows } = await q.query<{ report: MarketplaceReport; fetched_at: Date }>(
    `SELECT report, fetched_at FROM marketplace_reports WHERE marketplace = $1 AND store_id = $2 AND week_start = $3::date`,
    [marketplace, storeId, weekStart],
  );
  return rows[0] ? { report: rows[0].report, fetchedAt: rows[0].fetched_at } : null;
}

/** Every store of the platform in the shops the actor runs, its week reconciled. */
export async function reconcileStores(db: Db, actor: StaffActor, providers: readonly MarketplaceProvider[], marketplace: string, weekStart: string): Promise<StoreWeek[]> {
  const reportAvailable = Boolean(knownPlatform(providers, marketplace).report);
  const shops = await shopsRun(db, actor);
  const { rows } = await db.query<{ store_id: string; pizzeria_id: number }>(
    `SELECT store_id, pizzeria_id FROM marketplace_stores WHERE marketplace = $1 AND pizzeria_id = ANY($2) ORDER BY pizzeria_id`,
    [marketplace, shops.map((s) => s.id)],
  );
  return Promise.all(rows.map(async (r) => {
    const [ours, kept] = await Promise.all([ourOrdersOfWeek(db, marketplace, r.pizzeria_id, weekStart), keptReport(db, marketplace, r.store_id, weekStart)]);
    return {
      shop: shops.find((s) => s.id === r.pizzeria_id)!,
      storeId: r.store_id,
      fetchedAt: kept?.fetchedAt.toISOString() ?? null,
      reportAvailable,
      ...reconcileWeek(ours, reportAvailable ? (kept?.report ?? null) : null),
    };
  }));
}

/** Fetches the platform's report of the shop's store for the week and keeps it (a new fetch replaces the old). */
export async function fetchReport(db: Db, actor: StaffActor, providers: readonly MarketplaceProvider[], marketplace: string, pizzeriaId: number, weekStart: string): Promise<MarketplaceReport> {
  checkShop(actor, pizzeriaId);
  const provider = knownPlatform(providers, marketplace);
  if (!provider.report) throw new AppError(409, 'no_report', `${provider.label} publishes no payout report through its API: its reconciliation is not available`);
  if (!provider.configured) throw new AppError(409, 'not_configured', `${provider.label} is not configured: its credentials are not set`);
  const { rows } = await db.query<{ store_id: string }>(`SELECT store_id FROM marketplace_stores WHERE marketplace = $1 AND pizzeria_id = $2`, [marketplace, pizzeriaId]);
  if (!rows[0]) throw notFound('store on this platform');
  let report: MarketplaceReport;
  try {
    report = await provider.report.call(provider, rows[0].store_id, weekStart);
  } catch (err) {
    throw new AppError(502, 'platform_unavailable', `${provider.label} did not give its report: ${(err as Error).message}`);
  }
  await db.query(
    `INSERT INTO marketplace_reports (marketplace, store_id, week_start, report) VALUES ($1, $2, $3::date, $4)
     ON CONFLICT (marketplace, store_id, week_start) DO UPDATE SET report = EXCLUDED.report, fetched_at = now()`,
    [marketplace, rows[0].store_id, weekStart, JSON.stringify(report)],
  );
  return report;
}
