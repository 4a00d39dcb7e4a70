import { createHash, randomBytes, randomInt } from 'node:crypto';
import { isIP } from 'node:net';
import { freeStock, ingredientNeeds, unavailableProducts, type RecipeLine, type StockLevel } from '../domain/availability.ts';
import { checkTransition, customerCanChange, type Actor, type OrderStatus } from '../domain/order-states.ts';
import { checkQuantities, priceOrder, type LineRequest, type PricedLine, type PricedProduct } from '../domain/pricing.ts';
import { clientMayHold, clientNetwork, contactEmail, overUnpaidShare, type ClientHolding, type UnpaidLimits } from '../domain/unpaid-holds.ts';
import { DEFAULT_ETA_SETTINGS, promisedMinutes, type EtaSettings, type TravelMode } from '../domain/eta.ts';
import { distanceM } from '../domain/geo.ts';
import type { PlaceOrderRequest } from '../order-requests.ts';
import type { CancelReason, EventType, FailureReason, OrderView, ShopPaymentMethod } from '../realtime/contract.ts';
import { transaction, type Db, type Queryable, type Tx } from './db.ts';
import { AppError, conflict, forbidden, invalid, notFound } from './errors.ts';
import { claimIdempotencyKey, requestHash, saveIdempotencyKey } from './idempotency.ts';
import { ORDER_VIEW } from './order-view.ts';
import type { Geocoder } from './geocoder.ts';
import { locateDelivery, refuseIfClosed } from './places.ts';
import { PIZZERIA_SELECT, type Pizzeria } from './catalogue.ts';
import { e164 } from './sms.ts';

export interface StaffActor {
  kind: 'staff';
  id: number;
  role: 'admin' | 'manager' | 'counter' | 'kitchen' | 'driver';
  pizzeriaId: number | null;
  name: string;
}
export type OrderActor = StaffActor | { kind: 'customer' } | { kind: 'system'; name: string };

const actorRole = (a: OrderActor): Actor => (a.kind === 'staff' ? a.role : a.kind);
const actorLabel = (a: OrderActor): string =>
  a.kind === 'staff' ? `${a.role}:${a.id}` : a.kind === 'system' ? `system:${a.name}` : 'customer';

export function canActOnShop(actor: StaffActor, pizzeriaId: number): boolean {
  return actor.role === 'admin' || actor.pizzeriaId === pizzeriaId;
}

// ---------- reading orders ----------

type OrderRow = Record<string, any>;

const VIEW_SELECT = `SELECT ${ORDER_VIEW} AS view FROM orders o`;

export async function getOrder(q: Queryable, id: string): Promise<OrderView | null> {
  if (!/^[0-9a-f-]{36}$/i.test(id)) return null;
  const { rows } = await q.query<{ view: OrderView }>({ name: 'get-order', text: `${VIEW_SELECT} WHERE o.id = $1`, values: [id] });
  return rows[0]?.view ?? null;
}

export async function getOrderIdByToken(q: Queryable, token: string): Promise<string | null> {
  if (!/^[A-Za-z0-9_-]{20,64}$/.test(token)) return null;
  const { rows } = await q.query<{ id: string }>('SELECT id FROM orders WHERE tracking_token = $1', [token]);
  return rows[0]?.id ?? null;
}

/** Pizzas the kitchen has to make before this order's (orders of its shop received or in the oven before it). */
export async function itemsAhead(q: Queryable, order: OrderView): Promise<number> {
  if (!['pending_payment', 'received'].includes(order.status)) return 0;
  const { rows } = await q.query<{ n: number }>({
    name: 'items-ahead',
    text: `SELECT coalesce(sum(o.pizzas), 0)::int AS n FROM orders o
           WHERE o.pizzeria_id = $1 AND o.status IN ('received', 'preparing') AND o.id <> $2
             AND (o.status = 'preparing' OR o.created_at < $3)`,
    values: [order.pizzeriaId, order.id, order.timestamps.created],
  });
  return rows[0].n;
}

/**
 * The PIN the customer reads to the driver at the door: only the holder of the tracking link sees
 * it (it is in no order view, so no screen of the shop or the driver receives it).
 */
export async function deliveryPin(q: Queryable, orderId: string): Promise<string | null> {
  const { rows } = await q.query<{ delivery_pin: string | null }>('SELECT delivery_pin FROM orders WHERE id = $1', [orderId]);
  return rows[0]?.delivery_pin ?? null;
}

export async function listOrders(
  q: Queryable,
  filter: { pizzeriaIds: number[] | 'all'; statuses?: OrderStatus[]; driverId?: number; activeOnly?: boolean; limit?: number },
): Promise<OrderView[]> {
  const where: string[] = [];
  const params: unknown[] = [];
  if (filter.pizzeriaIds !== 'all') {
    params.push(filter.pizzeriaIds);
    where.push(`o.pizzeria_id = ANY($${params.length})`);
  }
  if (filter.statuses?.length) {
    params.push(filter.statuses);
    where.push(`o.status = ANY($${params.length}::order_status[])`);
  }
  if (filter.driverId !== undefined) {
    params.push(filter.driverId);
    // theirs, and those offered to them
    where.push(`(o.driver_id = $${params.length} OR o.offer_driver_id = $${params.length})`);
  }
  if (filter.activeOnly) {
    // finished orders stay visible for an hour, so a screen shows what just left
    where.push(`(o.status NOT IN ('delivered','collected','cancelled') OR o.updated_at > now() - interval '1 hour')`);
  }
  params.push(filter.limit ?? 500);
  const { rows } = await q.query<{ view: OrderView }>(
    `${VIEW_SELECT} ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY o.created_at DESC LIMIT $${params.length}`,
    params,
  );
  return rows.map((r) => r.view);
}

export async function lockOrder(tx: Tx, id: string): Promise<OrderRow> {
  const { rows } = await tx.query({ name: 'lock-order', text: 'SELECT * FROM orders WHERE id = $1 FOR UPDATE', values: [id] });
  if (!rows[0]) throw notFound('order');
  return rows[0];
}

/**
 * How a change reaches the publishers: `announce` (the default) wakes them with a notification when
 * it commits; false when the caller publishes it itself right after the commit (the API, through
 * its hub), which spares the commit the database-wide lock every notifying transaction queues for
 * (db/migrations/0028). What a caller leaves unpublished, the workers' sweep publishes.
 */
export interface Publishing {
  announce?: boolean;
}

/** Appends the order's event with its view as it now is in the transaction, in one statement; returns the view. */
export async function recordEvent(tx: Tx, orderId: string, type: EventType, actor: OrderActor, publishing: Publishing = {}): Promise<{ order: OrderView }> {
  const { rows } = await tx.query<{ payload: OrderView }>({
    name: 'record-event',
    text: `INSERT INTO order_event_inbox (order_id, pizzeria_id, driver_id, type, actor, payload, announce)
           SELECT o.id, o.pizzeria_id, coalesce(o.driver_id, o.offer_driver_id), $2, $3, ${ORDER_VIEW}, $4 FROM orders o WHERE o.id = $1
           RETURNING payload`,
    values: [orderId, type, actorLabel(actor), publishing.announce ?? true],
  });
  return { order: rows[0].payload };
}

/**
 * The event of a change that took the order from a driver (or an offer from them): it goes to that
 * driver's screens (room and catch-up), and says so, so their phone drops the order.
 */
export async function recordRelease(tx: Tx, orderId: string, type: EventType, actor: OrderActor, releasedDriverId: number): Promise<{ order: OrderView }> {
  const { rows } = await tx.query<{ payload: OrderView }>({
    name: 'record-release',
    text: `INSERT INTO order_event_inbox (order_id, pizzeria_id, driver_id, type, actor, payload)
           SELECT o.id, o.pizzeria_id, $4, $2, $3, ${ORDER_VIEW} || jsonb_build_object('releasedDriverId', $4::int) FROM orders o WHERE o.id = $1
           RETURNING payload`,
    values: [orderId, type, actorLabel(actor), releasedDriverId],
  });
  return { order: rows[0].payload };
}

// ---------- catalogue and stock ----------

interface CatalogueProduct extends PricedProduct {
  recipe: RecipeLine[];
  offTonight: boolean;
}

/**
 * The products asked for, with their recipes and options, and whether this shop took each off its
 * menu tonight.
 */
const catalogueSelect = (productIds: string, pizzeriaId: string) => `SELECT p.id, p.name, p.category, p.price_cents, p.vat_rate,
       COALESCE((SELECT json_agg(json_build_object('ingredientId', r.ingredient_id, 'quantity', r.quantity))
                 FROM recipe_ingredients r WHERE r.product_id = p.id), '[]') AS recipe,
       COALESCE((SELECT json_agg(json_build_object('id', o.id, 'kind', o.kind, 'name', o.name, 'nameEn', o.name_en,
                   'priceCents', o.price_cents, 'removesIngredientId', o.removes_ingredient_id,
                   'ingredients', COALESCE((SELECT json_agg(json_build_object('ingredientId', oi.ingredient_id, 'quantity', oi.quantity))
                                            FROM option_ingredients oi WHERE oi.option_id = o.id), '[]')))
                 FROM product_options o WHERE o.product_id = p.id), '[]') AS options,
       EXISTS (SELECT 1 FROM product_unavailable u WHERE u.pizzeria_id = ${pizzeriaId} AND u.product_id = p.id
                 AND u.business_day = (now() AT TIME ZONE 'Europe/Paris')::date) AS off_tonight
     FROM products p WHERE p.active AND p.id = ANY(${productIds})`;

type CatalogueRow = { id: number; name: string; category: PricedProduct['category']; price_cents: number; vat_rate: string | number; recipe: RecipeLine[]; options: CatalogueProduct['options']; off_tonight: boolean };
const catalogueOf = (rows: CatalogueRow[]) =>
  new Map(
    rows.map((r): [number, CatalogueProduct] => [
      r.id,
      { id: r.id, name: r.name, category: r.category, priceCents: r.price_cents, vatRate: Number(r.vat_rate), recipe: r.recipe, options: r.options, offTonight: r.off_tonight },
    ]),
  );

async function loadCatalogue(q: Queryable, pizzeriaId: number, productIds: number[]): Promise<Map<number, CatalogueProduct>> {
  const { rows } = await q.query<CatalogueRow>({ name: 'load-catalogue', text: catalogueSelect('$1', '$2'), values: [productIds, pizzeriaId] });
  return catalogueOf(rows);
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
async function reserve(tx: Tx, orderId: string, pizzeriaId: number, check: Awaited<ReturnType<typeof priceAndCheck>>) {
  const ids = [...check.needs.keys()];
  const { rows } = await tx.query<{ short: number[] }>({
    name: 'reserve-stock',
    text: 'SELECT reserve_stock($1, $2, $3, $4) AS short',
    values: [orderId, pizzeriaId, ids, ids.map((id) => check.needs.get(id)!)],
  });
  refuseShort(check, rows[0].short);
}

/** Refuses the order, naming the products, when reserve_stock found some ingredients short (the transaction rolls back). */
function refuseShort(check: Pick<Awaited<ReturnType<typeof priceAndCheck>>, 'priced' | 'catalogue'>, shortIngredients: number[]) {
  const short = new Set(shortIngredients);
  if (!short.size) return;
  const products = check.priced.lines.filter((l) => l.recipe.some((r) => short.has(r.ingredientId))).map((l) => l.productId);
  throw unavailableError(check.catalogue, [...new Set(products)]);
}

/** Gives an order's reservation back to its shop (a cancel, or a change, before the kitchen starts it). */
async function releaseReservation(tx: Tx, orderId: string) {
  await tx.query({ name: 'release-stock', text: 'SELECT release_stock($1)', values: [orderId] });
}

/**
 * Folds the reservations of orders the kitchen started into the stock rows (the workers do it
 * every few seconds): starting an order writes nothing to the shop's stock, its reservation counts
 * as consumed from then on (free stock is the same either way). Returns the stock rows updated.
 */
export async function foldConsumedStock(q: Queryable): Promise<number> {
  const { rows } = await q.query<{ n: number }>('SELECT fold_consumed_stock() AS n');
  return rows[0].n;
}

/**
 * What placing an order reads, in one statement: the shop (unknown: refused), the pizzas its
 * kitchen has ahead (received or in the oven: the promise) and the products asked for.
 */
async function readBeforePlacing(q: Queryable, pizzeriaId: number, productIds: number[]) {
  const { rows } = await q.query<{ shop: Pizzeria | null; ahead: number; catalogue: CatalogueRow[] }>({
    name: 'read-before-placing',
    text: `SELECT (SELECT row_to_json(s) FROM (${PIZZERIA_SELECT} WHERE id = $1) s) AS shop,
                  (SELECT coalesce(sum(o.pizzas), 0)::int FROM orders o WHERE o.pizzeria_id = $1 AND o.status IN ('received', 'preparing')) AS ahead,
                  coalesce((SELECT json_agg(c) FROM (${catalogueSelect('$2', '$1')}) c), '[]') AS catalogue`,
    values: [pizzeriaId, productIds],
  });
  const { shop, ahead, catalogue } = rows[0];
  if (!shop) throw invalid({ pizzeriaId: 'unknown pizzeria' });
  return { shop, ahead, catalogue: catalogueOf(catalogue) };
}

/** Checks the lines against the catalogue and the shop's free stock, and returns their price and needs. */
async function priceAndCheck(tx: Tx, pizzeriaId: number, items: LineRequest[], fulfilment: 'delivery' | 'pickup') {
  checkLineQuantities(items);
  const catalogue = await loadCatalogue(tx, pizzeriaId, items.map((i) => i.productId));
  const { priced, needs } = priceLines(catalogue, items, fulfilment);
  // refused early when it is already short; `reserve` checks again, atomically, at the end
  const stock = await readStock(tx, pizzeriaId, [...needs.keys()]);
  // an ingredient the shop does not stock at all counts as zero
  const unavailable = unavailableProducts(priced.lines, new Map(), freeStock(stock));
  if (unavailable.length) throw unavailableError(catalogue, unavailable);
  return { priced, needs, catalogue };
}

/** The caps on quantities hold on what is merged, whichever door the lines came through. */
function checkLineQuantities(items: LineRequest[]) {
  const quantities = checkQuantities(items);
  if (!quantities.ok) throw invalid(quantities.fields);
}

/** The lines priced against the catalogue (unknown, withdrawn, off tonight: refused), with what they need of the stock. */
function priceLines(catalogue: Map<number, CatalogueProduct>, items: LineRequest[], fulfilment: 'delivery' | 'pickup') {
  const priced = priceOrder(items, catalogue, fulfilment);
  if (!priced.ok) {
    throw invalid({
      items: priced.unknownProductIds.length
        ? `unknown or withdrawn products: ${priced.unknownProductIds.join(', ')}`
        : priced.optionProblems!.join('; '),
    });
  }
  // a product the shop took off its menu for the evening is not sold there tonight
  const offTonight = priced.lines.filter((l) => catalogue.get(l.productId)!.offTonight).map((l) => l.productId);
  if (offTonight.length) throw unavailableError(catalogue, offTonight);
  // each line with its own recipe: the product's, with what its options add or leave out
  return { priced, needs: ingredientNeeds(priced.lines), catalogue };
}

/** The pizzas among an order's lines (orders.pizzas: the kitchen's queue counts them). */
const pizzaCount = (lines: PricedLine[]) => lines.reduce((n, l) => n + (l.category === 'pizza' ? l.quantity : 0), 0);

/** An order's lines as the parameters of linesFrom: one array per column. */
const lineColumns = (lines: PricedLine[]) => [
  lines.map((l) => l.productId),
  lines.map((l) => l.name),
  lines.map((l) => l.category),
  lines.map((l) => l.unitPriceCents),
  lines.map((l) => l.quantity),
  lines.map((l) => JSON.stringify(l.options)),
  lines.map((l) => l.vatRate),
];

/** The lines (lineColumns, from parameter $first on) as rows `l`, numbered `n` in their order. */
const linesFrom = (first: number) =>
  `unnest(${['int', 'text', 'product_category', 'int', 'int', 'jsonb', 'numeric'].map((t, i) => `$${first + i}::${t}[]`).join(', ')})
     WITH ORDINALITY AS l(product_id, name, category, unit_price_cents, quantity, options, vat_rate, n)`;

async function insertItems(tx: Tx, orderId: string, lines: PricedLine[]) {
  await tx.query({
    name: 'insert-items',
    text: `INSERT INTO order_items (order_id, product_id, name, category, unit_price_cents, quantity, options, vat_rate)
           SELECT $1, l.product_id, l.name, l.category, l.unit_price_cents, l.quantity, l.options, l.vat_rate
           FROM ${linesFrom(2)}
           ORDER BY l.n`,
    values: [orderId, ...lineColumns(lines)],
  });
}

// ---------- what one client may ask of a shop ----------

/** The limits on customers' online orders (config: UNPAID_*, ORDERS_PER_CONTACT_PER_HOUR). */
export interface OrderLimits extends UnpaidLimits {
  /** Online orders per hour for one phone number or email. */
  ordersPerContactPerHour: number;
}

/**
 * Who an online order is from, as the limits count them: the client's network (clientNetwork: an
 * IPv4 address, an IPv6 /64), phone (e164) and email (contactEmail).
 */
interface ClientKeys {
  address: string | null;
  phone: string;
  email: string | null;
}

const clientKeys = (address: string | null, phone: string, email: string | null | undefined): ClientKeys => ({
  address: address ? clientNetwork(address) : null,
  phone: e164(phone),
  email: email ? contactEmail(email) : null,
});

const tooMany = (code: string, message: string, field: string) => new AppError(429, code, message, { fields: { [field]: message } });

/**
 * Counts of one client are read then written by the same transaction: two orders of one client at
 * once wait for each other here (keys locked in one global order, before any stock row).
 */
async function lockClient(tx: Tx, who: ClientKeys) {
  const keys = [who.address && `address:${who.address}`, `phone:${who.phone}`, who.email && `email:${who.email}`].filter((k): k is string => !!k);
  await tx.query({
    name: 'lock-client',
    text: `SELECT pg_advisory_xact_lock(h) FROM (SELECT DISTINCT hashtextextended(k, 20) AS h FROM unnest($1::text[]) k ORDER BY 1) s`,
    values: [keys],
  });
}

/** A phone number or email that already had its online orders of the hour is refused (each order sends messages there). */
async function checkContactAllowance(tx: Tx, who: ClientKeys, perHour: number) {
  const { rows } = await tx.query<{ phone: number; email: number }>({
    name: 'contact-orders',
    text: `SELECT (SELECT count(*) FROM orders WHERE channel = 'online' AND phone_key = $1 AND created_at > now() - interval '1 hour')::int AS phone,
                  (SELECT count(*) FROM orders WHERE channel = 'online' AND email_key = $2 AND created_at > now() - interval '1 hour')::int AS email`,
    values: [who.phone, who.email],
  });
  if (rows[0].phone >= perHour) {
    throw tooMany('too_many_orders', `${perHour} orders in the last hour for this phone number already: try again later, or call the shop`, 'customer.phone');
  }
  if (who.email && rows[0].email >= perHour) {
    throw tooMany('too_many_orders', `${perHour} orders in the last hour for this email already: try again later, or call the shop`, 'customer.email');
  }
}

/**
 * What the unpaid online orders of this client (by address, by phone, by email) hold, `except` the
 * order being changed; refused beyond the client's allowance (UNPAID_ORDERS_PER_CLIENT, UNPAID_ITEMS_PER_CLIENT).
 */
async function checkClientHolding(tx: Tx, who: ClientKeys, items: number, limits: UnpaidLimits, except: string | null) {
  const { rows } = await tx.query<ClientHolding & { who: 'address' | 'phone' | 'email' }>({
    name: 'client-unpaid',
    text: `WITH unpaid AS (
             SELECT o.client_address, o.phone_key, o.email_key AS email,
                    (SELECT coalesce(sum(i.quantity), 0) FROM order_items i WHERE i.order_id = o.id) AS items
             FROM orders o WHERE o.status = 'pending_payment' AND o.id IS DISTINCT FROM $4::uuid
               AND (o.client_address <<= $1::inet OR o.phone_key = $2 OR o.email_key = $3))
           SELECT 'address' AS who, count(*)::int AS orders, coalesce(sum(items), 0)::int AS items FROM unpaid WHERE client_address <<= $1::inet
           UNION ALL SELECT 'phone', count(*)::int, coalesce(sum(items), 0)::int FROM unpaid WHERE phone_key = $2
           UNION ALL SELECT 'email', count(*)::int, coalesce(sum(items), 0)::int FROM unpaid WHERE email = $3`,
    values: [who.address, who.phone, who.email, except],
  });
  const field = { address: 'payment', phone: 'customer.phone', email: 'customer.email' } as const;
  for (const held of rows) {
    const may = clientMayHold(held, items, limits, except === null);
    if (may.ok) continue;
    const message =
      may.reason === 'orders'
        ? `${limits.ordersPerClient} orders are already waiting for payment from this ${held.who}: pay or cancel them first, or pay on delivery`
        : `orders waiting for payment from this ${held.who} may hold ${limits.itemsPerClient} items at most (${held.items} already): pay them first, or pay on delivery`;
    throw tooMany('too_many_unpaid', message, field[held.who]);
  }
}

/**
 * After this order's reservation (the stock rows it needs are locked until the commit): all the
 * shop's unpaid online orders together may hold at most UNPAID_STOCK_SHARE of each ingredient (free,
 * plus held by them), so the rest stays on sale whoever never pays.
 */
async function checkUnpaidShare(tx: Tx, pizzeriaId: number, check: Awaited<ReturnType<typeof priceAndCheck>>, share: number) {
  if (share >= 1) return;
  const ids = [...check.needs.keys()];
  const { rows } = await tx.query<{ ingredient_id: number; free: number; held_unpaid: number }>({
    name: 'unpaid-share',
    text: `SELECT s.ingredient_id, s.on_hand - s.reserved AS free,
                  coalesce((SELECT sum(r.quantity) FROM orders o JOIN stock_reservations r ON r.order_id = o.id
                            WHERE o.status = 'pending_payment' AND o.pizzeria_id = $1 AND r.ingredient_id = s.ingredient_id), 0)::int AS held_unpaid
           FROM stock s WHERE s.pizzeria_id = $1 AND s.ingredient_id = ANY($2)`,
    values: [pizzeriaId, ids],
  });
  const levels = rows.map((r) => ({ ingredientId: r.ingredient_id, free: r.free, heldUnpaid: r.held_unpaid, heldByThis: check.needs.get(r.ingredient_id) ?? 0 }));
  const over = new Set(overUnpaidShare(levels, share));
  if (!over.size) return;
  const products = [...new Set(check.priced.lines.filter((l) => l.recipe.some((r) => over.has(r.ingredientId))).map((l) => l.productId))];
  throw conflict('unpaid_share', 'other orders waiting for their payment at this shop hold what is left of some items: pay on delivery, or try again in a few minutes', {
    items: products.map((id) => ({ productId: id, name: check.catalogue.get(id)!.name })),
  });
}

const itemCount = (lines: readonly { quantity: number }[]) => lines.reduce((n, l) => n + l.quantity, 0);

// ---------- placing ----------

/** What placing an order takes: the checked request (src/lib/order-requests.ts), with no address for a pickup. */
export type PlaceOrderInput = Omit<PlaceOrderRequest, 'address'> & { address?: PlaceOrderRequest['address'] | null };

export interface PlacedOrder {
  order: OrderView;
  trackingToken: string;
  /** The order an earlier request with the same Idempotency-Key placed (nothing new was created). */
  replayed?: boolean;
}

/**
 * Places an order. With an `idempotencyKey`, a repeat of the same request (same actor, same input)
 * returns the order the first one placed, and the same key with anything else is refused; the key
 * is stored in the order's transaction, so concurrent repeats wait for each other and place one.
 */
export async function placeOrder(
  dbp: Db,
  input: PlaceOrderInput,
  actor: OrderActor,
  opts: {
    idempotencyKey?: string;
    /** Asked for the spot of a delivery address only when the page sent none. */
    geocoder?: Geocoder | null;
    eta?: EtaSettings;
    travelMode?: TravelMode;
    log?: (msg: string, err: unknown) => void;
    /** Whether the order's event wakes the publishers (see Publishing). */
    announce?: boolean;
    /** The limits on a customer's online orders (none when not given: a service or a script). */
    limits?: OrderLimits;
    /** The client's address (req.ip), counted by the limits. */
    clientAddress?: string;
  } = {},
): Promise<PlacedOrder> {
  if (input.channel !== 'online') {
    if (actor.kind !== 'staff' || !['counter', 'manager', 'admin'].includes(actor.role)) {
      throw forbidden('phone and counter orders are taken by shop staff');
    }
  }
  if (actor.kind === 'staff' && !canActOnShop(actor, input.pizzeriaId)) throw forbidden('not your shop');
  if (input.fulfilment === 'delivery' && !input.address) throw invalid({ address: 'a delivery needs an address' });
  checkLineQuantities(input.items);
  // the shop, its queue and what it sells of the order, in one read before the transaction: what is
  // read here only prices the order and shapes its promise; the stock is decided by `reserve`
  const known = await readBeforePlacing(dbp, input.pizzeriaId, input.items.map((i) => i.productId));
  if (input.channel === 'online') refuseIfClosed(known.shop);
  const { priced, needs, catalogue } = priceLines(known.catalogue, input.items, input.fulfilment);
  // where it goes, before the transaction (a geocoder is a network call): refused outside the shop's zone
  const spot =
    input.fulfilment === 'delivery'
      ? await locateDelivery(dbp, { shop: known.shop, address: input.address!, takenByStaff: actor.kind === 'staff', geocoder: opts.geocoder ?? null, log: opts.log })
      : null;
  const eta = opts.eta ?? DEFAULT_ETA_SETTINGS;
  // a customer's address (staff orders come from the shop's own, and are not counted against anyone)
  // (an IPv4 address mapped into IPv6 kept as the IPv4 one)
  const clientAddress = actor.kind === 'customer' && opts.clientAddress && isIP(opts.clientAddress) ? opts.clientAddress.replace(/^::ffff:(?=\d+\.)/i, '') : null;

  const idempotency = opts.idempotencyKey
    ? { key: opts.idempotencyKey, requestHash: requestHash({ actor: actorLabel(actor), input }) }
    : null;
  return transaction(dbp, async (tx) => {
    if (idempotency) {
      const earlier = await claimIdempotencyKey(tx, idempotency.key);
      if (earlier && earlier.requestHash !== idempotency.requestHash) {
        throw new AppError(422, 'idempotency_key_reused', 'this Idempotency-Key was already used for a different order', {
          fields: { 'Idempotency-Key': 'already used for a different order: send a new key for a new order' },
        });
      }
      if (earlier) {
        const order = (await getOrder(tx, earlier.orderId))!;
        const { rows: t } = await tx.query<{ tracking_token: string }>('SELECT tracking_token FROM orders WHERE id = $1', [earlier.orderId]);
        return { order, trackingToken: t[0].tracking_token, replayed: true };
      }
    }
    const check = { priced, needs, catalogue };
    const paysOnline = input.payment === 'online';
    const who = clientKeys(clientAddress, input.customer.phone, input.customer.email);
    const limits = actor.kind === 'customer' ? opts.limits : undefined;
    if (limits) {
      await lockClient(tx, who);
      await checkContactAllowance(tx, who, limits.ordersPerContactPerHour);
      if (paysOnline) await checkClientHolding(tx, who, itemCount(priced.lines), limits, null);
    }
    const pizzas = pizzaCount(priced.lines);
    const promised = promisedMinutes(
      {
        items: pizzas,
        itemsAhead: known.ahead,
        delivery: spot ? { distanceM: spot.at ? distanceM(known.shop, spot.at) : 2000, mode: opts.travelMode ?? 'scooter' } : null,
      },
      eta,
    );

    const status: OrderStatus = paysOnline ? 'pending_payment' : 'received';
    const trackingToken = randomBytes(24).toString('base64url');
    const a = input.fulfilment === 'delivery' ? input.address! : null;
    const lines = priced.lines;
    // the order's number of the day, the order, its lines and what it holds of the shop's stock, in
    // one statement: the shop's counter row and its stock rows are locked from here to the commit
    // (every order of the shop takes its number and its ingredients from them), so as few round trips
    // as possible follow it. The stock is reserved by reserve_stock (db/migrations/0009) once the
    // order row exists, each ingredient only if the shop still has it free.
    const ingredients = [...needs.keys()];
    const { rows } = await tx.query<{ id: string; short: number[] }>({
      name: `insert-order-${status}`,
      text: `WITH numbered AS (
         INSERT INTO order_counters (pizzeria_id, business_day, last_number)
         VALUES ($1, (now() AT TIME ZONE 'Europe/Paris')::date, 1)
         ON CONFLICT (pizzeria_id, business_day) DO UPDATE SET last_number = order_counters.last_number + 1
         RETURNING last_number, business_day
       ), placed AS (
         INSERT INTO orders (pizzeria_id, business_day, number, channel, fulfilment, customer_name, customer_phone, customer_email,
           address_street, address_postcode, address_city, address_lat, address_lng,
           payment_method, payment_status, total_cents, status, tracking_token, ${status}_at,
           door_code, floor, delivery_instructions, location_source, delivery_pin, promised_at, customer_lang, client_address, phone_key, email_key, pizzas)
         SELECT $1, n.business_day, n.last_number, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, now(),
           $17, $18, $19, $20, $21, now() + make_interval(mins => $22), $23, $24, $25, $26, $27
         FROM numbered n
         RETURNING id
       ), lined AS (
         INSERT INTO order_items (order_id, product_id, name, category, unit_price_cents, quantity, options, vat_rate)
         SELECT placed.id, l.product_id, l.name, l.category, l.unit_price_cents, l.quantity, l.options, l.vat_rate
         FROM placed, ${linesFrom(28)}
         ORDER BY l.n
       ), reserved AS (
         SELECT reserve_stock(placed.id, $1, $35::int[], $36::int[]) AS short FROM placed
       )
       SELECT placed.id, reserved.short FROM placed, reserved`,
      values: [
        input.pizzeriaId, input.channel, input.fulfilment,
        input.customer.name, input.customer.phone, input.customer.email ?? null,
        a?.street ?? null, a?.postcode ?? null, a?.city ?? null, spot?.at?.lat ?? null, spot?.at?.lng ?? null,
        input.payment, paysOnline ? 'pending' : 'due', priced.totalCents, status, trackingToken,
        a?.doorCode ?? null, a?.floor ?? null, a?.instructions ?? null, spot?.source ?? null,
        // the proof of delivery the customer reads to the driver
        a ? String(randomInt(0, 10_000)).padStart(4, '0') : null,
        promised,
        input.lang ?? 'fr',
        clientAddress,
        who.phone,
        who.email,
        pizzas,
        ...lineColumns(lines),
        ingredients,
        ingredients.map((id) => needs.get(id)!),
      ],
    });
    const orderId = rows[0].id;
    refuseShort(check, rows[0].short);
    if (limits && paysOnline) await checkUnpaidShare(tx, input.pizzeriaId, check, limits.stockShare);
    if (idempotency) await saveIdempotencyKey(tx, idempotency, orderId);
    const { order } = await recordEvent(tx, orderId, 'order.placed', actor, { announce: opts.announce });
    return { order, trackingToken };
  });
}

// ---------- moving ----------

export interface MoveOptions {
  /** How the money was taken: marking a pending order paid (cash, card, phone), handing over a pickup still owed (cash, card). */
  paymentMethod?: ShopPaymentMethod;
  cancelReason?: CancelReason;
  /** How a driver proved the delivery (checked by deliverOrder before the move). */
  proof?: 'pin' | 'photo';
  /** What the driver collected at the door. */
  collected?: { amountCents: number; method: 'cash' | 'card' };
  /** Why a delivery failed at the door (the order goes back to the shop). */
  failure?: { reason: FailureReason; note?: string };
  /** Whether the move's event wakes the publishers (see Publishing). */
  announce?: boolean;
  /**
   * The order as the caller last saw it (the hub's newest view): the move is checked against it and
   * made only if the order is still at its version, without reading the order first. Every change
   * of an order bumps its version (orders_guard), so a view at the order's version is the order; a
   * stale one costs the read it would have saved, and never decides an answer.
   */
  seen?: OrderView;
}

/** What a move is checked against: the order's row, or the same fields of a view of it. */
interface MoveBasis {
  id: string;
  pizzeria_id: number;
  driver_id: number | null;
  status: OrderStatus;
  version: number;
  fulfilment: 'delivery' | 'pickup';
  awaiting_decision: boolean;
  amount_due_cents: number | string;
  payment_status: string;
}

function moveBasisOf(v: OrderView): MoveBasis {
  return {
    id: v.id, pizzeria_id: v.pizzeriaId, driver_id: v.driver?.id ?? null, status: v.status, version: v.version, fulfilment: v.fulfilment,
    awaiting_decision: v.delivery.awaitingDecision, amount_due_cents: v.amountDueCents, payment_status: v.payment.status,
  };
}

export async function advanceOrder(
  dbp: Db,
  actor: OrderActor,
  orderId: string,
  to: OrderStatus,
  expectedVersion?: number,
  opts: MoveOptions = {},
): Promise<{ order: OrderView }> {
  if (to === 'cancelled') {
    // a cancel gives stock back to the shop: a transaction, with the order locked
    return transaction(dbp, async (tx) => {
      const o = await lockOrder(tx, orderId);
      const { sets, params } = planMove(o as MoveBasis, actor, to, expectedVersion, opts);
      await releaseReservation(tx, orderId);
      await tx.query(`UPDATE orders SET ${sets.join(', ')} WHERE id = $1`, params);
      return recordEvent(tx, orderId, 'order.status', actor, { announce: opts.announce });
    });
  }
  // Any other move is one statement: the order is read (or taken from the view the caller saw: no
  // read at all), the move checked against it, and then the update and its event are written at
  // once, only if the order is still at that version; another change in between: read again and
  // check again. (Starting an order consumes its reservation without a write: see foldConsumedStock.)
  for (let attempt = 1; ; attempt++) {
    let planned: { o: MoveBasis; sets: string[]; params: unknown[] } | null = null;
    const seen = attempt === 1 && opts.seen?.id === orderId ? opts.seen : undefined;
    if (seen && (expectedVersion === undefined || seen.version >= expectedVersion)) {
      try {
        const o = moveBasisOf(seen);
        planned = { o, ...planMove(o, actor, to, expectedVersion, opts) };
      } catch {
        // refused against what was seen: the order as it is now says what to answer
      }
    }
    if (!planned) {
      const { rows: read } = await dbp.query({ name: 'read-order', text: 'SELECT * FROM orders WHERE id = $1', values: [orderId] });
      if (!read[0]) throw notFound('order');
      const o = read[0] as MoveBasis;
      planned = { o, ...planMove(o, actor, to, expectedVersion, opts) };
    }
    const { o, sets, params } = planned!;
    params.push(o.version, actorLabel(actor), opts.announce ?? true);
    const [version, label, announce] = [params.length - 2, params.length - 1, params.length];
    const text = `WITH moved AS (
         UPDATE orders o SET ${sets.join(', ')} WHERE o.id = $1 AND o.version = $${version}
         RETURNING o.id, o.pizzeria_id, o.driver_id, ${ORDER_VIEW} AS view
       ), recorded AS (
         INSERT INTO order_event_inbox (order_id, pizzeria_id, driver_id, type, actor, payload, announce)
         SELECT id, pizzeria_id, driver_id, 'order.status', $${label}, view, $${announce}::boolean FROM moved
       )
       SELECT view FROM moved`;
    // a handful of shapes (one per kind of move): each prepared once per connection
    const name = `move-${createHash('sha1').update(text).digest('hex').slice(0, 16)}`;
    const { rows } = await dbp.query<{ view: OrderView }>({ name, text, values: params });
    if (rows[0]) return { order: rows[0].view };
    if (attempt >= 10) throw conflict('busy', 'the order keeps changing: try again');
  }
}

/**
 * Checks a move against the order as read (who may make it, from which status, at which version)
 * and says what it changes: the SET clauses, with $1 the order id and the parameters they use.
 */
function planMove(
  o: MoveBasis,
  actor: OrderActor,
  to: OrderStatus,
  expectedVersion: number | undefined,
  opts: MoveOptions,
): { sets: string[]; params: unknown[] } {
  if (actor.kind === 'staff') {
    if (!canActOnShop(actor, o.pizzeria_id)) throw forbidden('not your shop');
    if (actor.role === 'driver' && o.driver_id !== actor.id) throw forbidden('this delivery is not yours');
  }
  if (to === 'cancelled' && o.status === 'cancelled') throw conflict('already_cancelled', 'this order is already cancelled');
  // in the oven, nothing a cook decides on can change any more: what moves the version meanwhile is the
  // card captured or the late flag, so "ready" from there is not refused as stale (the tap would fail for nothing)
  const ovenToReady = o.status === 'preparing' && to === 'ready';
  if (expectedVersion !== undefined && expectedVersion !== o.version && !(ovenToReady && expectedVersion < o.version)) {
    throw conflict('stale', `the order changed since you saw it (now version ${o.version})`);
  }
  const check = checkTransition(o.status, to, actorRole(actor), o.fulfilment);
  if (!check.ok) {
    if (check.reason === 'forbidden' && actor.kind === 'staff') throw forbidden(`a ${actor.role} cannot move an order to ${to}`);
    if (actor.kind === 'customer' && to === 'cancelled') throw conflict('too_late', 'the kitchen has already started this order');
    throw conflict('not_allowed', `an order cannot go from ${o.status} to ${to}`);
  }
  if (to === 'out_for_delivery' && !o.driver_id && actor.kind === 'staff' && actor.role !== 'driver') {
    throw conflict('no_driver', 'assign a driver before sending the order out');
  }
  if (to === 'out_for_delivery' && o.awaiting_decision) throw conflict('awaiting_decision', 'this delivery failed: a manager decides first');
  // back from the road only as a failed delivery, with its reason; cancelled at the shop only after one
  if (o.status === 'out_for_delivery' && to === 'ready' && !opts.failure) {
    throw invalid({ reason: 'why the delivery failed: absent, refused or wrong_address' }, 'a failed delivery needs its reason');
  }
  if (o.status === 'ready' && to === 'cancelled' && !o.awaiting_decision) {
    throw conflict('not_allowed', 'an order ready at the shop is cancelled only after a failed delivery');
  }
  if (to === 'delivered' && actor.kind === 'staff' && actor.role === 'driver') {
    if (!opts.proof) throw invalid({ proof: 'the PIN the customer reads to you, or a photo at the door' }, 'a delivery needs its proof');
    if (Number(o.amount_due_cents) > 0 && !opts.collected) {
      throw invalid({ collected: `collect ${(Number(o.amount_due_cents) / 100).toFixed(2)} € and say how (cash or card)` }, 'say what you collected');
    }
    if (opts.collected && opts.collected.amountCents < Number(o.amount_due_cents)) {
      throw invalid({ 'collected.amountCents': `the customer owes ${(Number(o.amount_due_cents) / 100).toFixed(2)} €` }, 'less than what is owed');
    }
  }

  // the payment provider's events move an online order on (payments.ts); anyone else says how the money was taken
  const markedPaid = to === 'received' && o.status === 'pending_payment';
  if (markedPaid && !opts.paymentMethod) {
    throw invalid({ paymentMethod: 'say how the customer paid: cash, card (at the counter) or phone' }, 'a payment method is needed to mark an order as paid');
  }
  // a pickup handed over with money still owed: the counter says how it was taken, as a driver does at the door
  const collectedAtCounter = to === 'collected' && Number(o.amount_due_cents) > 0;
  if (collectedAtCounter && opts.paymentMethod !== 'cash' && opts.paymentMethod !== 'card') {
    const due = (Number(o.amount_due_cents) / 100).toFixed(2);
    throw invalid({ paymentMethod: `the customer owes ${due} €: say how they paid at the counter, cash or card` }, 'say how the customer paid');
  }

  const sets = [`status = $2`, `version = version + 1`, `${to}_at = now()`];
  const params: unknown[] = [o.id, to];
  if (to === 'cancelled') {
    sets.push(`waiting_for_driver = false`);
    // money taken stays recorded as paid: what is owed back shows as refund_due until the refund is made
    if (o.payment_status === 'pending') sets.push(`payment_status = 'failed'`);
    params.push(opts.cancelReason ?? (actor.kind === 'customer' ? 'customer' : o.awaiting_decision ? 'delivery_failed' : 'shop'));
    sets.push(`cancel_reason = $${params.length}`);
  }
  if (markedPaid) {
    params.push(opts.paymentMethod);
    sets.push(`payment_status = 'paid'`, `paid_cents = total_cents`, `paid_with = $${params.length}::paid_with`);
  }
  if (o.status === 'out_for_delivery' && to === 'ready') {
    params.push(opts.failure!.reason, opts.failure!.note ?? null);
    sets.push(
      `driver_id = NULL`, `waiting_for_driver = false`, `awaiting_decision = true`, `delivery_failed_at = now()`,
      `delivery_failure = $${params.length - 1}`, `delivery_failure_note = $${params.length}`, `delivery_attempts = delivery_attempts + 1`,
    );
  }
  if (to === 'cancelled') sets.push(`awaiting_decision = false`);
  if (to === 'delivered') {
    params.push(opts.proof ?? (actor.kind === 'staff' ? 'manager' : null));
    sets.push(`proof_kind = $${params.length}`);
    if (opts.collected) {
      params.push(opts.collected.amountCents, opts.collected.method);
      sets.push(`collected_cents = $${params.length - 1}`, `collected_method = $${params.length}`);
    }
  }
  if (collectedAtCounter) {
    // what the counter took, and how (read before this update: what was due)
    params.push(opts.paymentMethod);
    sets.push(`collected_cents = amount_due_cents`, `collected_method = $${params.length}`);
  }
  if (to === 'delivered' || to === 'collected') {
    // the handover collects what was still due, or gives back what the shop took too much
    // (money taken online is refunded through the provider instead)
    sets.push(
      `paid_cents = paid_cents + amount_due_cents`,
      // a card hold not captured yet stays one (its capture, or its failure, is the manager's to see)
      `payment_status = CASE WHEN payment_status = 'authorised' THEN payment_status ELSE 'paid' END`,
      `refunded_cents = refunded_cents + CASE WHEN paid_with = 'online' THEN 0 ELSE refund_due_cents END`,
      `refunded_at = CASE WHEN paid_with IS DISTINCT FROM 'online' AND refund_due_cents > 0 THEN now() ELSE refunded_at END`,
    );
  }
  return { sets, params };
}

export async function cancelByToken(dbp: Db, token: string, publishing: Publishing = {}) {
  const id = await getOrderIdByToken(dbp, token);
  if (!id) throw notFound('order');
  return advanceOrder(dbp, { kind: 'customer' }, id, 'cancelled', undefined, { announce: publishing.announce });
}

export async function modifyByToken(
  dbp: Db, token: string, items: LineRequest[], expectedVersion?: number, limits?: OrderLimits, publishing: Publishing = {},
) {
  const id = await getOrderIdByToken(dbp, token);
  if (!id) throw notFound('order');
  return transaction(dbp, async (tx) => {
    const o = await lockOrder(tx, id);
    if (o.status === 'cancelled') throw conflict('already_cancelled', 'this order was cancelled');
    if (!customerCanChange(o.status)) throw conflict('too_late', 'the kitchen has already started this order');
    if (expectedVersion !== undefined && expectedVersion !== o.version) {
      throw conflict('stale', `the order changed since you saw it (now version ${o.version})`);
    }
    // an order awaiting payment grows only within its client's allowance and the shop's share; its
    // client is locked before any stock row, as placing an order does (else the two wait for each other)
    const unpaid = o.status === 'pending_payment' && limits;
    const who = clientKeys(o.client_address, o.customer_phone, o.customer_email);
    if (unpaid) await lockClient(tx, who);
    await releaseReservation(tx, id);
    const check = await priceAndCheck(tx, o.pizzeria_id, items, o.fulfilment);
    const { priced } = check;
    if (unpaid) await checkClientHolding(tx, who, itemCount(priced.lines), limits, id);
    await tx.query('DELETE FROM order_items WHERE order_id = $1', [id]);
    await insertItems(tx, id, priced.lines);
    await reserve(tx, id, o.pizzeria_id, check);
    if (unpaid) await checkUnpaidShare(tx, o.pizzeria_id, check, limits.stockShare);
    // an online payment still pending is asked again for the new total (the earlier attempt's
    // confirmation no longer counts), with the same deadline: the expiry counts from when the order
    // first awaited payment, so changing it does not keep its stock held any longer. A paid order
    // keeps its payment, and the difference shows as amount due (collected at the door) or refund
    // due (refunded by the workers)
    const restartPayment = o.status === 'pending_payment' && o.payment_method === 'online';
    await tx.query(
      `UPDATE orders SET total_cents = $2, pizzas = $3, version = version + 1
         ${restartPayment ? ', payment_attempt = payment_attempt + 1' : ''}
       WHERE id = $1`,
      [id, priced.totalCents, pizzaCount(priced.lines)],
    );
    return recordEvent(tx, id, 'order.modified', { kind: 'customer' }, publishing);
  });
}

/** The preparation timer fired: flag the order late if it is still in the oven. */
export async function flagLate(dbp: Db, orderId: string) {
  return transaction(dbp, async (tx) => {
    const o = await lockOrder(tx, orderId);
    if (o.status !== 'preparing' || o.late) return null;
    await tx.query('UPDATE orders SET late = true, version = version + 1 WHERE id = $1', [orderId]);
    return recordEvent(tx, orderId, 'order.late', { kind: 'system', name: 'prep-timer' });
  });
}

/** Ready deliveries with no driver (and not waiting for a manager's decision), with their trip number. */
export async function ordersWaitingForDriver(q: Queryable): Promise<{ id: string; round: number }[]> {
  const { rows } = await q.query<{ id: string; delivery_attempts: number }>(
    `SELECT id, delivery_attempts FROM orders WHERE status = 'ready' AND fulfilment = 'delivery' AND driver_id IS NULL AND NOT awaiting_decision`,
  );
  return rows.map((r) => ({ id: r.id, round: r.delivery_attempts }));
}

/**
 * A driver leaving (shift ended, account disabled) hands their open offers on: each is closed with
 * `outcome` and its order told, so their phone drops it and dispatch offers it to the next driver.
 */
export async function handOffersOn(tx: Tx, driverId: number, actor: OrderActor, outcome: 'declined' | 'withdrawn'): Promise<void> {
  const { rows } = await tx.query<{ id: string }>('SELECT id FROM orders WHERE offer_driver_id = $1 ORDER BY id FOR UPDATE', [driverId]);
  for (const { id } of rows) {
    await tx.query(`UPDATE delivery_offers SET outcome = $2, decided_at = now() WHERE order_id = $1 AND outcome IS NULL`, [id, outcome]);
    await tx.query('UPDATE orders SET offer_driver_id = NULL, offer_expires_at = NULL, version = version + 1 WHERE id = $1', [id]);
    await recordRelease(tx, id, 'order.offer_declined', actor, driverId);
  }
}

export async function setShift(dbp: Db, driver: StaffActor, onShift: boolean): Promise<{ onShift: boolean }> {
  if (driver.role !== 'driver') throw forbidden('only drivers take shifts');
  return transaction(dbp, async (tx) => {
    // a loan to another shop lasts the evening: it ends with the shift
    await tx.query('UPDATE users SET on_shift = $2, lent_to = CASE WHEN $2 THEN lent_to END WHERE id = $1', [driver.id, onShift]);
    // offers still open go to the next driver at once, not after their time
    if (!onShift) await handOffersOn(tx, driver.id, driver, 'declined');
    return { onShift };
  });
}

// ---------- money owed back, unpaid orders, and what the workers must have queued ----------

/**
 * The payment provider refunded `amountCents` of this order (it says how much): recorded on the
 * order with the time, and the order shows as refunded once everything it kept is given back.
 */
export async function recordRefund(
  dbp: Db,
  orderId: string,
  refund: { amountCents: number; reference: string; provider?: string; kind?: 'refunded' | 'released' },
) {
  return transaction(dbp, async (tx) => {
    const o = await lockOrder(tx, orderId);
    const amount = Math.min(refund.amountCents, o.paid_cents - o.refunded_cents);
    if (amount <= 0) return null;
    await tx.query(
      `INSERT INTO payment_movements (order_id, kind, amount_cents, provider, payment_intent_id, refund_id) VALUES ($1, $2, $3, $4, $5, $6)`,
      [orderId, refund.kind ?? 'refunded', amount, refund.provider ?? 'development', o.payment_reference, refund.kind === 'released' ? null : refund.reference],
    );
    const fully = o.status === 'cancelled' && o.paid_cents - o.refunded_cents === amount;
    await tx.query(
      `UPDATE orders SET refunded_cents = refunded_cents + $2, refunded_at = now(), version = version + 1
         ${fully ? `, payment_status = 'refunded'` : ''}
       WHERE id = $1`,
      [orderId, amount],
    );
    return recordEvent(tx, orderId, 'order.refunded', { kind: 'system', name: `refunds:${refund.reference}`.slice(0, 120) });
  });
}

/** What a refund of this order needs from the provider: how much is due, against which payment. */
export async function refundToMake(q: Queryable, orderId: string) {
  const { rows } = await q.query<{
    refund_due_cents: number;
    refunded_cents: number;
    payment_reference: string | null;
    paid_with: string | null;
    payment_status: string;
    status: string;
  }>('SELECT refund_due_cents, refunded_cents, payment_reference, paid_with, payment_status, status FROM orders WHERE id = $1', [orderId]);
  const r = rows[0];
  if (!r || r.refund_due_cents <= 0 || r.paid_with !== 'online' || !r.payment_reference) return null;
  // a hold not captured yet: a cancelled order lets it go whole; a smaller order is captured for less
  const hold = r.payment_status === 'authorised';
  if (hold && r.status !== 'cancelled') return null;
  return { amountCents: r.refund_due_cents, refundedSoFarCents: r.refunded_cents, paymentReference: r.payment_reference, hold };
}

/** An online order still unpaid `expiryMinutes` after its payment started is cancelled by the system, and its stock given back. */
export async function expireUnpaidOrder(dbp: Db, orderId: string, expiryMinutes: number) {
  const { rows } = await dbp.query(
    `SELECT 1 FROM orders WHERE id = $1 AND status = 'pending_payment'
       AND COALESCE(payment_started_at, pending_payment_at, created_at) <= now() - make_interval(secs => $2)`,
    [orderId, expiryMinutes * 60],
  );
  if (!rows[0]) return null;
  try {
    return await advanceOrder(dbp, { kind: 'system', name: 'payment-expiry' }, orderId, 'cancelled', undefined, { cancelReason: 'payment_expired' });
  } catch (err) {
    // paid or cancelled meanwhile: nothing to expire
    if (err instanceof AppError && err.status === 409) return null;
    throw err;
  }
}

/** Online orders waiting for their payment, with the attempt in progress and when it started. */
export async function pendingOnlinePayments(q: Queryable): Promise<{ id: string; attempt: number; startedAt: Date }[]> {
  const { rows } = await q.query(
    `SELECT id, payment_attempt, COALESCE(payment_started_at, pending_payment_at, created_at) AS started_at
     FROM orders WHERE status = 'pending_payment' AND payment_method = 'online'`,
  );
  return rows.map((r) => ({ id: r.id, attempt: r.payment_attempt, startedAt: r.started_at }));
}

/** Orders in the oven not yet flagged late, with when preparation started and their shop's own target (null: the chain's). */
export async function ordersInPreparation(q: Queryable): Promise<{ id: string; preparingAt: Date; targetSeconds: number | null }[]> {
  const { rows } = await q.query(
    `SELECT o.id, o.preparing_at, p.prep_target_seconds FROM orders o JOIN pizzerias p ON p.id = o.pizzeria_id WHERE o.status = 'preparing' AND NOT o.late`,
  );
  return rows.map((r) => ({ id: r.id, preparingAt: r.preparing_at ?? new Date(), targetSeconds: r.prep_target_seconds }));
}

/** Orders paid online with money still to give back. */
export async function onlineRefundsDue(q: Queryable): Promise<{ id: string; refundedCents: number }[]> {
  const { rows } = await q.query(
    `SELECT id, refunded_cents FROM orders WHERE refund_due_cents > 0 AND paid_with = 'online' AND payment_reference IS NOT NULL
       AND NOT (payment_status = 'authorised' AND status <> 'cancelled')`,
  );
  return rows.map((r) => ({ id: r.id, refundedCents: r.refunded_cents }));
}

export async function isOnShift(q: Queryable, driverId: number): Promise<boolean> {
  const { rows } = await q.query<{ on_shift: boolean }>('SELECT on_shift FROM users WHERE id = $1', [driverId]);
  return rows[0]?.on_shift ?? false;
}
