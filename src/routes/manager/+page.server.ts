import { listPizzerias } from '$lib/server/shops/catalogue.ts';
import { config } from '$lib/server/kernel/config.ts';
import { db } from '$lib/server/kernel/db.ts';
import { listOrders } from '$lib/server/orders/index.ts';
import { requireRole } from '$lib/server/staff/page-guards.ts';
import { recentLowRatings } from '$lib/server/customers/ratings.ts';
import { recentHoldingRefusals } from '$lib/server/orders/limits.ts';
import { snapshot } from '$lib/server/operations/snapshot.ts';
import { platformOrdersWaiting } from '$lib/server/marketplaces/intake.ts';
import { lowStock } from '$lib/server/stock/stock.ts';
import type { PageServerLoad } from './$types';
import { can, runsChain, shopsOf } from '$lib/domain/permissions.ts';

export const load: PageServerLoad = async ({ locals, url }) => {
  const user = requireRole(locals, url, can.runShop);
  const all = await listPizzerias(db());
  const shops = shopsOf(user, all);
  const { data: orders, lastEventId } = await snapshot((q) =>
    listOrders(q, { pizzeriaIds: shops.map((s) => s.id), activeOnly: true, limit: 1000 }),
  );
  const low = await Promise.all(shops.map(async (s) => ({ pizzeriaId: s.id, low: await lowStock(db(), s.id) })));
  // this evening's low ratings; the next ones arrive live (rating:low)
  const lowRatings = await recentLowRatings(db(), shops.map((s) => s.id));
  // clients refused for holding too much unpaid in the last hours (read again on reload)
  const heldStock = await recentHoldingRefusals(db(), shops.map((s) => s.id));
  // delivery platforms' orders waiting for the manager (read again on reload)
  const platformOrders = await platformOrdersWaiting(db(), shops.map((s) => s.id));
  return { shops, orders, lastEventId, low, lowRatings, heldStock, platformOrders, positionFreshMs: config().DRIVER_POSITION_FRESH_SECONDS * 1000, scope: runsChain(user) ? ('hq' as const) : ('shop' as const) };
};
