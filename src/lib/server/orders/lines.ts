// An order's lines: priced from the shop's catalogue, its ingredients reserved from the shop's
// stock (and given back), and written as rows.
import { freeStock, ingredientNeeds, unavailableProducts, type RecipeLine, type StockLevel } from '../../domain/availability.ts';
import { checkQuantities, priceOrder, type HalfAndHalfPricing, type LineRequest, type PricedLine, type PricedProduct } from '../../domain/pricing.ts';
import { type Queryable, type Tx } from '../kernel/db.ts';
import { conflict, invalid } from '../kernel/errors.ts';
import { PIZZERIA_SELECT, type Pizzeria } from '../shops/catalogue.ts';
import type { Fulfilment } from '../../domain/order-states.ts';
import type { VatRates } from '../../domain/vat.ts';
import { MAKING_STATUSES, sqlList } from '../../domain/order-states.ts';


interface CatalogueProduct extends PricedProduct {
  recipe: RecipeLine[];
  offTonight: boolean;
  /** Its own make and bake minutes (null: its kind's, src/lib/domain/slots.ts). */
  makeMinutes: number | null;
  bakeMinutes: number | null;
  options: (NonNullable<PricedProduct['options']>[number] & { timeFactor?: number })[];
}

/**
 * The products asked for, with their recipes and options, and whether this shop took each off its
 * menu tonight.
 */
const catalogueSelect = (productIds: string, pizzeriaId: string) => `SELECT p.id, p.name, p.name_en, p.category, p.price_cents,
       json_build_object('pickup', p.vat_rate_pickup::float8, 'delivery', p.vat_rate_delivery::float8) AS vat_rates,
       p.make_minutes::float8 AS make_minutes, p.bake_minutes::float8 AS bake_minutes,
       COALESCE((SELECT json_agg(json_build_object('ingredientId', r.ingredient_id, 'quantity', r.quantity))
                 FROM recipe_ingredients r WHERE r.product_id = p.id), '[]') AS recipe,
       COALESCE((SELECT json_agg(json_build_object('id', o.id, 'kind', o.kind, 'name', o.name, 'nameEn', o.name_en,
                   'priceCents', o.price_cents, 'removesIngredientId', o.removes_ingredient_id, 'timeFactor', o.time_factor::float8,
                   'ingredients', COALESCE((SELECT json_agg(json_build_object('ingredientId', oi.ingredient_id, 'quantity', oi.quantity))
                                            FROM option_ingredients oi WHERE oi.option_id = o.id), '[]')))
                 FROM product_options o WHERE o.product_id = p.id), '[]') AS options,
       EXISTS (SELECT 1 FROM product_unavailable u WHERE u.pizzeria_id = ${pizzeriaId} AND u.product_id = p.id
                 AND u.business_day = (now() AT TIME ZONE 'Europe/Paris')::date) AS off_tonight
     FROM products p WHERE p.active AND p.id = ANY(${productIds})`;

type CatalogueRow = {
  id: number; name: string; name_en: string | null; category: PricedProduct['category']; price_cents: number; vat_rates: VatRates; recipe: RecipeLine[];
  options: CatalogueProduct['options']; off_tonight: boolean; make_minutes: number | null; bake_minutes: number | null;
};
const catalogueOf = (rows: CatalogueRow[]) =>
  new Map(
    rows.map((r): [number, CatalogueProduct] => [
      r.id,
      { id: r.id, name: r.name, nameEn: r.name_en, category: r.category, priceCents: r.price_cents, vatRates: r.vat_rates, recipe: r.recipe, options: r.options, offTonight: r.off_tonight,
        makeMinutes: r.make_minutes, bakeMinutes: r.bake_minutes },
    ]),
  );

/** The products a request names: each line's, and the right half of a half-and-half. */
export const productIdsOf = (items: readonly LineRequest[]) => [...new Set(items.flatMap((i) => (i.secondHalfId !== undefined ? [i.productId, i.secondHalfId] : [i.productId])))];

async function loadCatalogue(q: Queryable, pizzeriaId: number, productIds: number[]): Promise<Map<number, CatalogueProduct>> {
  const { rows } = await q.query<CatalogueRow>({ name: 'load-catalogue', text: catalogueSelect('$1', '$2'), values: [productIds, pizzeriaId] });
  return catalogueOf(rows);
}

/** How the shop prices a half-and-half (its settings; 'dearer' for a shop unknown here, refused elsewhere). */
async function halfPricingOf(q: Queryable, pizzeriaId: number): Promise<HalfAndHalfPricing> {
  const { rows } = await q.query<{ rule: HalfAndHalfPricing }>({ name: 'half-pricing', text: 'SELECT half_and_half_pricing AS rule FROM pizzerias WHERE id = $1', values: [pizzeriaId] });
  return rows[0]?.rule ?? 'dearer';
}

/** The shop's stock for these ingredients, as it stands (no lock: `reserve` is what decides). */
async function readStock(tx: Tx, pizzeriaId: number, ingredientIds: number[]): Promise<Map<number, StockLevel>> {
  const { rows } = await tx.query({
    name: 'read-stock',
    text: 'SELECT ingredient_id, on_hand, reserved FROM stock WHERE pizzeria_id = $1 AND ingredient_id = ANY($2)',
    values: [pizzeriaId, ingredientIds],
  });
  return new Map(rows.map((r) => [r.ingredient_id, { ingredientId: r.ingredient_id, onHand: r.on_hand, reserved: r.reserved }]));
}

const unavailableError = (catalogue: Map<number, CatalogueProduct>, productIds: number[]) =>
  conflict('unavailable', 'some items are no longer available', {
    items: productIds.map((id) => ({ productId: id, name: catalogue.get(id)!.name })),
  });

/**
 * Reserves what the order needs, each ingredient only if the shop still has it free, in one call
 * (db/migrations/0009: the stock rows are locked in ingredient order and only from here to the
 * commit). Refuses the order, naming the products, when an ingredient ran out meanwhile.
 */
export async function reserve(tx: Tx, orderId: string, pizzeriaId: number, check: Awaited<ReturnType<typeof priceAndCheck>>) {
  const ids = [...check.needs.keys()];
  const { rows } = await tx.query<{ short: number[] }>({
    name: 'reserve-stock',
    text: 'SELECT reserve_stock($1, $2, $3, $4) AS short',
    values: [orderId, pizzeriaId, ids, ids.map((id) => check.needs.get(id)!)],
  });
  refuseShort(check, rows[0].short);
}

/** Refuses the order, naming the products, when reserve_stock found some ingredients short (the transaction rolls back). */
export function refuseShort(check: Pick<Awaited<ReturnType<typeof priceAndCheck>>, 'priced' | 'catalogue'>, shortIngredients: number[]) {
  const short = new Set(shortIngredients);
  if (!short.size) return;
  throw unavailableError(check.catalogue, shortProducts(check.priced.lines, short));
}

/** The products whose ingredients are short: a half-and-half names the half (or halves) that needs them. */
function shortProducts(lines: readonly PricedLine[], short: ReadonlySet<number>): number[] {
  const uses = (recipe: readonly RecipeLine[]) => recipe.some((r) => short.has(r.ingredientId));
  const products = lines.flatMap((l) => {
    if (!uses(l.recipe)) return [];
    if (!l.halves || !l.halfRecipes) return [l.productId];
    const halves = [uses(l.halfRecipes.left) && l.halves.left.productId, uses(l.halfRecipes.right) && l.halves.right.productId].filter((id) => id !== false);
    // an ingredient only an option adds: the pizza is named by its left half
    return halves.length ? halves : [l.productId];
  });
  return [...new Set(products)];
}

/** Gives an order's reservation back to its shop (a cancel, or a change, before the kitchen starts it). */
export async function releaseReservation(tx: Tx, orderId: string) {
  await tx.query({ name: 'release-stock', text: 'SELECT release_stock($1)', values: [orderId] });
}

/** Started orders folded in one transaction: a rush's folds are many small ones, not one that stalls every move behind its WAL. */
export const FOLD_BATCH_ORDERS = 100;

/**
 * Folds the reservations of every order the kitchen started into the stock rows: starting an
 * order writes nothing to the shop's stock, its reservation counts as consumed from then on (free
 * stock is the same either way). The workers fold each started order soon after its event
 * (workers/stock-folder.ts) and sweep with this once a minute, for what no event brought. It folds
 * FOLD_BATCH_ORDERS orders a transaction, pausing `pauseMs` between them, until none is left (or
 * `stopped`). Returns the stock rows updated.
 */
export async function foldConsumedStock(q: Queryable, opts: { batch?: number; pauseMs?: number; stopped?: () => boolean } = {}): Promise<number> {
  const batch = opts.batch ?? FOLD_BATCH_ORDERS;
  let updated = 0;
  for (;;) {
    const { rows } = await q.query<{ orders: number; stock_rows: number }>({
      name: 'fold-consumed-stock',
      text: 'SELECT orders, stock_rows FROM fold_consumed_stock_batch($1)',
      values: [batch],
    });
    updated += rows[0].stock_rows;
    if (rows[0].orders < batch || opts.stopped?.()) return updated;
    if (opts.pauseMs) await new Promise((resolve) => setTimeout(resolve, opts.pauseMs));
  }
}

/**
 * Folds the reservations of these orders into their shops' stock rows, those the kitchen started
 * (fold_consumed_stock_of, migration 0053: through the reservations' primary key, so a hundred
 * orders cost the same early in the evening as late). Returns how many orders it folded.
 */
export async function foldStartedOrders(q: Queryable, orderIds: string[]): Promise<number> {
  if (!orderIds.length) return 0;
  const { rows } = await q.query<{ orders: number }>({
    name: 'fold-started-orders',
    text: 'SELECT orders, stock_rows FROM fold_consumed_stock_of($1::uuid[])',
    values: [orderIds],
  });
  return rows[0].orders;
}

/** The oven minutes each of the shop's next slots holds ($1), for the next five hours (orders_slot_load): slot start (ms) → minutes. */
const SLOT_LOADS_AHEAD = `(SELECT coalesce(json_object_agg((extract(epoch FROM l.slot_at) * 1000)::bigint, l.minutes), '{}')
     FROM (SELECT slot_at, sum(oven_minutes) AS minutes FROM orders
           WHERE pizzeria_id = $1 AND status <> 'cancelled' AND slot_at >= now() - interval '15 minutes' AND slot_at < now() + interval '5 hours'
           GROUP BY slot_at) l)`;
export const loadsOf = (json: Record<string, number | string>) => new Map(Object.entries(json).map(([at, m]) => [Number(at), Number(m)]));

/**
 * What placing an order reads, in one statement: the shop (unknown: refused), the pizzas its
 * kitchen has ahead (received or in the oven: the promise) and the products asked for.
 */
export async function readBeforePlacing(q: Queryable, pizzeriaId: number, productIds: number[]) {
  const { rows } = await q.query<{ shop: Pizzeria | null; ahead: number; catalogue: CatalogueRow[]; loads: Record<string, number> }>({
    name: 'read-before-placing',
    text: `SELECT (SELECT row_to_json(s) FROM (${PIZZERIA_SELECT} WHERE id = $1) s) AS shop,
                  (SELECT coalesce(sum(o.pizzas), 0)::int FROM orders o WHERE o.pizzeria_id = $1 AND o.status IN (${sqlList(MAKING_STATUSES)})
                     AND (o.fire_at IS NULL OR o.fired_at IS NOT NULL)) AS ahead,
                  coalesce((SELECT json_agg(c) FROM (${catalogueSelect('$2', '$1')}) c), '[]') AS catalogue,
                  ${SLOT_LOADS_AHEAD} AS loads`,
    values: [pizzeriaId, productIds],
  });
  const { shop, ahead, catalogue, loads } = rows[0];
  if (!shop) throw invalid({ pizzeriaId: 'unknown pizzeria' });
  return { shop, ahead, catalogue: catalogueOf(catalogue), loads: loadsOf(loads) };
}

/** Checks the lines against the catalogue and the shop's free stock, and returns their price and needs. */
export async function priceAndCheck(tx: Tx, pizzeriaId: number, items: LineRequest[], fulfilment: Fulfilment) {
  checkLineQuantities(items);
  const [catalogue, halfPricing] = await Promise.all([loadCatalogue(tx, pizzeriaId, productIdsOf(items)), halfPricingOf(tx, pizzeriaId)]);
  const { priced, needs } = priceLines(catalogue, items, fulfilment, halfPricing);
  // refused early when it is already short; `reserve` checks again, atomically, at the end
  const stock = await readStock(tx, pizzeriaId, [...needs.keys()]);
  // an ingredient the shop does not stock at all counts as zero
  const free = freeStock(stock);
  if (unavailableProducts(priced.lines, new Map(), free).length) {
    throw unavailableError(catalogue, shortProducts(priced.lines, new Set([...needs].filter(([id, qty]) => (free.get(id) ?? 0) < qty).map(([id]) => id))));
  }
  return { priced, needs, catalogue };
}

/** The caps on quantities hold on what is merged, whichever door the lines came through. */
export function checkLineQuantities(items: LineRequest[]) {
  const quantities = checkQuantities(items);
  if (!quantities.ok) throw invalid(quantities.fields);
}

/** The lines priced against the catalogue (unknown, withdrawn, off tonight: refused), with what they need of the stock. */
export function priceLines(catalogue: Map<number, CatalogueProduct>, items: LineRequest[], fulfilment: Fulfilment, halfPricing: HalfAndHalfPricing) {
  const priced = priceOrder(items, catalogue, fulfilment, halfPricing);
  if (!priced.ok) {
    throw invalid({
      items: priced.unknownProductIds.length
        ? `unknown or withdrawn products: ${priced.unknownProductIds.join(', ')}`
        : (priced.halfProblems ?? priced.optionProblems!).join('; '),
    });
  }
  // a product the shop took off its menu for the evening is not sold there tonight (nor half of one)
  const offTonight = priced.lines
    .flatMap((l) => (l.halves ? [l.halves.left.productId, l.halves.right.productId] : [l.productId]))
    .filter((id) => catalogue.get(id)!.offTonight);
  if (offTonight.length) throw unavailableError(catalogue, [...new Set(offTonight)]);
  // each line with its own recipe: the product's, with what its options add or leave out
  return { priced, needs: ingredientNeeds(priced.lines), catalogue };
}

/** The pizzas among an order's lines (orders.pizzas: the kitchen's queue counts them). */
export const pizzaCount = (lines: PricedLine[]) => lines.reduce((n, l) => n + (l.category === 'pizza' ? l.quantity : 0), 0);

/** An order's lines as the parameters of linesFrom: one array per column. */
export const lineColumns = (lines: PricedLine[]) => [
  lines.map((l) => l.productId),
  lines.map((l) => l.name),
  lines.map((l) => l.category),
  lines.map((l) => l.unitPriceCents),
  lines.map((l) => l.quantity),
  lines.map((l) => JSON.stringify(l.options)),
  lines.map((l) => l.vatRate),
];

/** The halves of each line (order_items.halves: null for a whole product), a parameter of its own after lineColumns. */
export const halvesColumn = (lines: PricedLine[]) => lines.map((l) => (l.halves ? JSON.stringify(l.halves) : null));

/**
 * The lines (lineColumns, from parameter $first on, and halvesColumn at $halvesAt) as rows `l`,
 * numbered `n` in their order.
 */
export const linesFrom = (first: number, halvesAt: number) =>
  `unnest(${['int', 'text', 'product_category', 'int', 'int', 'jsonb', 'numeric'].map((t, i) => `$${first + i}::${t}[]`).join(', ')}, $${halvesAt}::jsonb[])
     WITH ORDINALITY AS l(product_id, name, category, unit_price_cents, quantity, options, vat_rate, halves, n)`;

export async function insertItems(tx: Tx, orderId: string, lines: PricedLine[]) {
  await tx.query({
    name: 'insert-items',
    text: `INSERT INTO order_items (order_id, product_id, name, category, unit_price_cents, quantity, options, vat_rate, category_id, halves)
           SELECT $1, l.product_id, l.name, l.category, l.unit_price_cents, l.quantity, l.options, l.vat_rate,
             (SELECT p.category_id FROM products p WHERE p.id = l.product_id), l.halves
           FROM ${linesFrom(2, 9)}
           ORDER BY l.n`,
    values: [orderId, ...lineColumns(lines), halvesColumn(lines)],
  });
}
