// The manager's alerts, read from the same facts their live page follows (active orders, the
// drivers and whether their phone is connected, low stock, low ratings, refusals for holding too much,
// pushes a delivery platform keeps refusing,
// orders whose money was changed outside the till, payments the counter corrected, titres-restaurant
// refused when they were to be taken), sorted by the domain's rule.
import { managerAlerts, DEFAULT_ALERT_SETTINGS, type ManagerAlert } from '../../domain/alerts.ts';
import type { Queryable } from '../kernel/db.ts';
import { driversOfShops } from '../road/drivers.ts';
import { listOrders } from '../orders/index.ts';
import type { PositionStore } from '../road/positions.ts';
import { recentLowRatings } from '../customers/ratings.ts';
import { lowStockOfShops } from '../stock/stock.ts';
import { recentHoldingRefusals } from '../orders/limits.ts';
import { platformOrdersWaiting } from '../marketplaces/intake.ts';
import { failingPushes } from '../marketplaces/sync.ts';
import { anomalies } from '../fiscal/anomalies.ts';
import { recentCorrections } from '../fiscal/corrections.ts';
import { refusedVoucherCaptures } from '../money/meal-vouchers-online.ts';

export async function alertsOfShops(q: Queryable, shops: number[], positions: PositionStore | null, positionFreshMs: number, now = Date.now()): Promise<ManagerAlert[]> {
  const [orders, drivers, low, lowRatings, heldStock, platformOrders, fiscalAnomalies, paymentCorrections, platformPushes, voucherRefusals] = await Promise.all([
    listOrders(q, { pizzeriaIds: shops, activeOnly: true, limit: 1000 }),
    driversOfShops(q, shops, positions),
    lowStockOfShops(q, shops),
    recentLowRatings(q, shops, now),
    recentHoldingRefusals(q, shops),
    platformOrdersWaiting(q, shops),
    anomalies(q, { shops, openOnly: true, limit: 100 }),
    recentCorrections(q, shops),
    failingPushes(q, shops),
    refusedVoucherCaptures(q, { shops }),
  ]);
  return managerAlerts({ orders, drivers, lowStock: low, lowRatings, heldStock, platformOrders, platformPushes, fiscalAnomalies, paymentCorrections, voucherRefusals }, now, { ...DEFAULT_ALERT_SETTINGS, positionFreshMs });
}
