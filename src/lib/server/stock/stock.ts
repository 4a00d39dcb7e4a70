// A shop's stock, kept by its people: deliveries received, counts at closing (the difference
// recorded with its reason: a count, waste, breakage), low thresholds. Each change is one
// transaction with its movement row, its audit row and a notification (stock_changed) on which
// every hub refreshes that shop's open menus and low-stock alerts.
//
// Quantities, as the view stock_levels reads them: on the shelf (what the kitchen has not used
// yet), held by orders not yet in the oven, and free to sell (shelf less held).
import type { CountRequest, DeliveryRequest, ThresholdRequest } from '../../shapes/back-office-requests.ts';
import type { Locale } from '../../i18n/index.ts';
import { audit } from '../kernel/audit.ts';
import { transaction, type Db, type Queryable, type Tx } from '../kernel/db.ts';
import { AppError, conflict, forbidden, notFound } from '../kernel/errors.ts';
import type { StaffActor } from '../kernel/actors.ts';
import { can, may, mayFor } from '../../domain/permissions.ts';

export interface StockLine {
  ingredientId: number;
  name: string;
  unit: 'g' | 'ml' | 'piece';
  shelf: number;
  held: number;
  free: number;
  lowThreshold: number;
  low: boolean;
  /** Used today by orders the kitchen started (Paris day), and at that rate, hours until none is free. */
  usedToday: number;
  hoursLeft: number | null;
}

export interface LowStock {
  ingredientId: number;
  name: string;
  nameEn: string | null;
  unit: string;
  free: number;
  lowThreshold: number;
}

/** The managers of a shop and head office keep its stock. */
export function mayKeepStock(actor: StaffActor, shop: number): boolean {
  return mayFor(actor, can.runShop, shop);
}
const mustKeepStock = (actor: StaffActor, shop: number) => {
  if (!mayKeepStock(actor, shop)) throw forbidden(may(actor.role, can.runShop) ? 'not your shop' : 'a manager keeps the stock');
};

const name = (locale: Locale) => (locale === 'en' ? 'coalesce(i.name_en, i.name)' : 'i.name');

/** The stock page: every ingredient of the shop, with what will run out at today's rate. */
export async function stockOfShop(q: Queryable, shop: number, locale: Locale = 'fr'): Promise<StockLine[]> {
  const { rows } = await q.query(
    `WITH started AS (
       SELECT o.id, o.preparing_at FROM orders o
       WHERE o.pizzeria_id = $1 AND o.business_day = (now() AT TIME ZONE 'Europe/Paris')::date AND o.preparing_at IS NOT NULL
     ), used AS (
       -- a half-and-half uses half of each of its halves' recipes
       SELECT r.ingredient_id, round(sum(r.quantity * it.quantity * CASE WHEN it.halves IS NULL THEN 1 ELSE 0.5 END))::bigint AS qty
       FROM started s JOIN order_items it ON it.order_id = s.id
         JOIN recipe_ingredients r ON r.product_id IN (it.product_id, (it.halves->'right'->>'productId')::int)
       GROUP BY r.ingredient_id
     ), span AS (SELECT greatest(extract(epoch FROM now() - min(preparing_at)) / 3600, 1) AS hours FROM started)
     SELECT l.ingredient_id, ${name(locale)} AS name, i.unit, l.on_hand, l.reserved, l.free, l.low_threshold,
            coalesce(u.qty, 0) AS used, (SELECT hours FROM span) AS hours
     FROM stock_levels l JOIN ingredients i ON i.id = l.ingredient_id LEFT JOIN used u ON u.ingredient_id = l.ingredient_id
     WHERE l.pizzeria_id = $1 ORDER BY ${name(locale)}`,
    [shop],
  );
  return rows.map((r) => {
    const used = Number(r.used);
    const perHour = r.hours ? used / Number(r.hours) : 0;
    return {
      ingredientId: r.ingredient_id,
      name: r.name,
      unit: r.unit,
      shelf: r.on_hand,
      held: r.reserved,
      free: r.free,
      lowThreshold: r.low_threshold,
      low: r.free <= r.low_threshold,
      usedToday: used,
      hoursLeft: perHour > 0 ? Math.round((r.free / perHour) * 10) / 10 : null,
    };
  });
}

/** The ingredients of a shop at or under their low threshold (free to sell), for the live alerts. */
export async function lowStock(q: Queryable, shop: number): Promise<LowStock[]> {
  const { rows } = await q.query({
    name: 'low-stock',
    text: `SELECT l.ingredient_id, i.name, i.name_en, i.unit, l.free, l.low_threshold FROM stock_levels l JOIN ingredients i ON i.id = l.ingredient_id
           WHERE l.pizzeria_id = $1 AND l.free <= l.low_threshold ORDER BY l.free::float / greatest(l.low_threshold, 1), i.name`,
    values: [shop],
  });
  return rows.map((r) => ({ ingredientId: r.ingredient_id, name: r.name, nameEn: r.name_en, unit: r.unit, free: r.free, lowThreshold: r.low_threshold }));
}

/**
 * Each shop's low stock (the same as lowStock reads for one shop), in one statement whatever the number of
 * shops: head office's board at 500 shops read it in 500. Every shop asked is in the answer, in the
 * order asked, with an empty list when nothing of it is low.
 */
export async function lowStockOfShops(q: Queryable, shops: readonly number[]): Promise<{ pizzeriaId: number; low: LowStock[] }[]> {
  const { rows } = await q.query({
    name: 'low-stock-of-shops',
    text: `SELECT l.pizzeria_id, l.ingredient_id, i.name, i.name_en, i.unit, l.free, l.low_threshold FROM stock_levels l JOIN ingredients i ON i.id = l.ingredient_id
           WHERE l.pizzeria_id = ANY($1::int[]) AND l.free <= l.low_threshold ORDER BY l.pizzeria_id, l.free::float / greatest(l.low_threshold, 1), i.name`,
    values: [[...new Set(shops)]],
  });
  const byShop = new Map<number, LowStock[]>(shops.map((s) => [s, []]));
  for (const r of rows) byShop.get(r.pizzeria_id)!.push({ ingredientId: r.ingredient_id, name: r.name, nameEn: r.name_en, unit: r.unit, free: r.free, lowThreshold: r.low_threshold });
  return shops.map((s) => ({ pizzeriaId: s, low: byShop.get(s)! }));
}

interface Level {
  shelf: number;
  held: number;
  free: number;
  low_threshold: number;
}

/** The shop's row for an ingredient, locked for the change; as a person counts it. */
async function lockLevel(tx: Tx, shop: number, ingredientId: number): Promise<Level> {
  const { rows } = await tx.query('SELECT 1 FROM stock WHERE pizzeria_id = $1 AND ingredient_id = $2 FOR UPDATE', [shop, ingredientId]);
  if (!rows[0]) throw notFound('ingredient in this shop');
  const { rows: l } = await tx.query<{ on_hand: number; reserved: number; free: number; low_threshold: number }>(
    'SELECT on_hand, reserved, free, low_threshold FROM stock_levels WHERE pizzeria_id = $1 AND ingredient_id = $2',
    [shop, ingredientId],
  );
  return { shelf: l[0].on_hand, held: l[0].reserved, free: l[0].free, low_threshold: l[0].low_threshold };
}

async function movement(
  tx: Tx,
  actor: StaffActor,
  shop: number,
  m: { ingredientId: number; kind: string; quantity: number; shelfAfter: number; supplier?: string; receivedOn?: string; note?: string },
) {
  const { rows } = await tx.query<{ id: string }>(
    `INSERT INTO stock_movements (pizzeria_id, ingredient_id, kind, quantity, shelf_after, supplier, received_on, note, by_user)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`,
    [shop, m.ingredientId, m.kind, m.quantity, m.shelfAfter, m.supplier ?? null, m.receivedOn ?? null, m.note ?? null, actor.id],
  );
  return Number(rows[0].id);
}

/** A delivery received: the shelf goes up, and what it makes available goes on sale at once. */
export async function receiveDelivery(db: Db, actor: StaffActor, shop: number, req: DeliveryRequest) {
  mustKeepStock(actor, shop);
  return transaction(db, async (tx) => {
    const before = await lockLevel(tx, shop, req.ingredientId);
    if (before.shelf + req.quantity > 2_000_000_000) throw new AppError(422, 'invalid', 'too much for one shelf', { fields: { quantity: 'too much' } });
    await tx.query('UPDATE stock SET on_hand = on_hand + $3 WHERE pizzeria_id = $1 AND ingredient_id = $2', [shop, req.ingredientId, req.quantity]);
    const shelfAfter = before.shelf + req.quantity;
    const id = await movement(tx, actor, shop, { ingredientId: req.ingredientId, kind: 'delivery', quantity: req.quantity, shelfAfter, supplier: req.supplier, receivedOn: req.receivedOn, note: req.note });
    await audit(tx, actor, {
      action: 'stock.delivery',
      entity: 'stock',
      entityId: `${shop}:${req.ingredientId}`,
      pizzeriaId: shop,
      before: { shelf: before.shelf, free: before.free },
      after: { shelf: shelfAfter, free: before.free + req.quantity, supplier: req.supplier ?? null, receivedOn: req.receivedOn ?? null },
    });
    return { movementId: id, shelf: shelfAfter, free: before.free + req.quantity };
  });
}

/**
 * A count: what is on the shelf now. The difference with what the system thought is recorded as
 * an adjustment with its reason. A count below what orders already hold is refused: those orders
 * were promised that stock (cancel or change them first).
 */
export async function countStock(db: Db, actor: StaffActor, shop: number, req: CountRequest) {
  mustKeepStock(actor, shop);
  return transaction(db, async (tx) => {
    const before = await lockLevel(tx, shop, req.ingredientId);
    if (req.counted < before.held) {
      throw conflict('below_reserved', `orders not yet in the oven already hold ${before.held}: a count of ${req.counted} is less than that`, {
        fields: { counted: `at least ${before.held}, held by orders` },
      });
    }
    const delta = req.counted - before.shelf;
    await tx.query('UPDATE stock SET on_hand = on_hand + $3 WHERE pizzeria_id = $1 AND ingredient_id = $2', [shop, req.ingredientId, delta]);
    const id = await movement(tx, actor, shop, { ingredientId: req.ingredientId, kind: req.reason, quantity: delta, shelfAfter: req.counted, note: req.note });
    await audit(tx, actor, {
      action: `stock.${req.reason}`,
      entity: 'stock',
      entityId: `${shop}:${req.ingredientId}`,
      pizzeriaId: shop,
      before: { shelf: before.shelf, free: before.free },
      after: { shelf: req.counted, free: before.free + delta, difference: delta, note: req.note ?? null },
    });
    return { movementId: id, shelf: req.counted, free: before.free + delta, difference: delta };
  });
}

export async function setLowThreshold(db: Db, actor: StaffActor, shop: number, req: ThresholdRequest) {
  mustKeepStock(actor, shop);
  return transaction(db, async (tx) => {
    const before = await lockLevel(tx, shop, req.ingredientId);
    await tx.query('UPDATE stock SET low_threshold = $3 WHERE pizzeria_id = $1 AND ingredient_id = $2', [shop, req.ingredientId, req.lowThreshold]);
    await audit(tx, actor, {
      action: 'stock.threshold',
      entity: 'stock',
      entityId: `${shop}:${req.ingredientId}`,
      pizzeriaId: shop,
      before: { lowThreshold: before.low_threshold },
      after: { lowThreshold: req.lowThreshold },
    });
    // the alerts follow the new threshold at once
    await tx.query(`SELECT pg_notify('stock_changed', $1)`, [String(shop)]);
    return { lowThreshold: req.lowThreshold };
  });
}

export interface Movement {
  id: number;
  at: string;
  ingredientId: number;
  ingredient: string;
  unit: string;
  kind: 'delivery' | 'count' | 'waste' | 'breakage';
  quantity: number;
  shelfAfter: number;
  supplier: string | null;
  receivedOn: string | null;
  note: string | null;
  by: string;
}

export const MOVEMENTS_PAGE = 30;

/** The history of a shop's stock, newest first, a page at a time, for one ingredient or kind if asked. */
export async function stockMovements(
  q: Queryable,
  shop: number,
  filter: { page?: number; ingredientId?: number; kind?: string },
  locale: Locale = 'fr',
): Promise<{ rows: Movement[]; page: number; pages: number; total: number }> {
  const where = ['m.pizzeria_id = $1'];
  const params: unknown[] = [shop];
  if (filter.ingredientId) {
    params.push(filter.ingredientId);
    where.push(`m.ingredient_id = $${params.length}`);
  }
  if (filter.kind) {
    params.push(filter.kind);
    where.push(`m.kind = $${params.length}`);
  }
  const page = Math.max(1, filter.page ?? 1);
  const [{ rows }, { rows: count }] = await Promise.all([
    q.query(
      `SELECT m.id, m.at, m.ingredient_id, ${name(locale)} AS ingredient, i.unit, m.kind, m.quantity, m.shelf_after, m.supplier,
              to_char(m.received_on, 'YYYY-MM-DD') AS received_on, m.note, u.name AS by
       FROM stock_movements m JOIN ingredients i ON i.id = m.ingredient_id JOIN users u ON u.id = m.by_user
       WHERE ${where.join(' AND ')} ORDER BY m.at DESC, m.id DESC LIMIT ${MOVEMENTS_PAGE} OFFSET ${(page - 1) * MOVEMENTS_PAGE}`,
      params,
    ),
    q.query<{ n: number }>(`SELECT count(*)::int AS n FROM stock_movements m WHERE ${where.join(' AND ')}`, params),
  ]);
  return {
    rows: rows.map((r) => ({
      id: Number(r.id),
      at: r.at.toISOString(),
      ingredientId: r.ingredient_id,
      ingredient: r.ingredient,
      unit: r.unit,
      kind: r.kind,
      quantity: r.quantity,
      shelfAfter: r.shelf_after,
      supplier: r.supplier,
      receivedOn: r.received_on,
      note: r.note,
      by: r.by,
    })),
    page,
    pages: Math.max(1, Math.ceil(count[0].n / MOVEMENTS_PAGE)),
    total: count[0].n,
  };
}

/** A shop takes a product off its menu for the evening, or puts it back; open menus follow at once. */
export async function setOffTonight(db: Db, actor: StaffActor, shop: number, productId: number, off: boolean): Promise<{ productId: number; offTonight: boolean }> {
  mustKeepStock(actor, shop);
  return transaction(db, async (tx) => {
    const { rows } = await tx.query<{ id: number }>('SELECT id FROM products WHERE id = $1 AND active', [productId]);
    if (!rows[0]) throw notFound('product');
    const today = `(now() AT TIME ZONE 'Europe/Paris')::date`;
    const { rowCount } = off
      ? await tx.query(`INSERT INTO product_unavailable (pizzeria_id, product_id, business_day, by_user) VALUES ($1, $2, ${today}, $3) ON CONFLICT DO NOTHING`, [shop, productId, actor.id])
      : await tx.query(`DELETE FROM product_unavailable WHERE pizzeria_id = $1 AND product_id = $2 AND business_day = ${today}`, [shop, productId]);
    if (rowCount) {
      await audit(tx, actor, { action: off ? 'menu.off_tonight' : 'menu.back_tonight', entity: 'product', entityId: productId, pizzeriaId: shop, before: { offTonight: !off }, after: { offTonight: off } });
      await tx.query(`SELECT pg_notify('stock_changed', $1)`, [String(shop)]);
    }
    return { productId, offTonight: off };
  });
}
