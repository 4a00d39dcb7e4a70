// What the live page of a shop's manager or of head office loads: the shops they run, their active
// orders (with the id of the last event the snapshot includes, from which the page follows live), low
// stock, this evening's low ratings, refusals for holding too much unpaid, the delivery
// platforms' orders waiting for a decision, and the titres-restaurant refused on orders under way.
import type pg from 'pg';
import { shopsOf, type Member } from '../../domain/permissions.ts';
import { listPizzerias, shopOnBoard } from '../shops/catalogue.ts';
import { listOrdersJson } from '../orders/index.ts';
import { recentHoldingRefusals } from '../orders/limits.ts';
import { recentLowRatings } from '../customers/ratings.ts';
import { lowStockOfShops } from '../stock/stock.ts';
import { platformOrdersWaiting } from '../marketplaces/intake.ts';
import { refusedVoucherCaptures } from '../money/meal-vouchers-online.ts';
import { snapshot } from '../operations/snapshot.ts';
import { jsonText } from '../../shapes/json-text.ts';

/**
 * In a fixed number of statements whatever the number of shops (ten: the shops, the snapshot's
 * four with its BEGIN and COMMIT, and beside it one each for low stock, ratings, refusals,
 * platforms' orders and titres-restaurant refused). The shops (what the page shows of them), their
 * orders and their low stock go to the page as JSON text (shapes/json-text.ts): at 500 shops,
 * hundreds of each, which the page's serializer would otherwise visit value by value; the orders'
 * text is Postgres' own.
 */
export async function managerBoard(pool: pg.Pool, member: Member) {
  const shops = shopsOf(member, await listPizzerias(pool));
  const ids = shops.map((s) => s.id);
  const [{ data: orders, lastEventId }, low, lowRatings, heldStock, platformOrders, voucherRefusals] = await Promise.all([
    snapshot((q) => listOrdersJson(q, { pizzeriaIds: ids, activeOnly: true, limit: 1000 }), pool),
    lowStockOfShops(pool, ids),
    // this evening's low ratings; the next ones arrive live (rating:low)
    recentLowRatings(pool, ids),
    // clients refused for holding too much unpaid in the last hours (read again on reload)
    recentHoldingRefusals(pool, ids),
    // delivery platforms' orders waiting for the manager (read again on reload)
    platformOrdersWaiting(pool, ids),
    // titres-restaurant refused on orders under way; the next ones arrive live (voucher:refused)
    refusedVoucherCaptures(pool, { shops: ids }),
  ]);
  return { shops: jsonText(shops.map(shopOnBoard)), orders, lastEventId, low: jsonText(low), lowRatings, heldStock, platformOrders, voucherRefusals };
}
