// A shop's stores on the delivery platforms, kept in the back office: which platforms there are (the
// registry: label, whether the chain's credentials are set), each shop's store id there, whether it
// takes orders, accepts them by itself, the markup of its prices and the commission the platform
// takes; a product's own price on a platform (the chain's menu: head office); the platform orders
// waiting for the shop's manager. Every change is audited.
import { can, may } from '../../domain/permissions.ts';
import { WAITING_STATES, type WaitingState } from '../../domain/marketplace-waiting.ts';
import type { StoreRequest } from '../../shapes/marketplace-office-requests.ts';
import { audit } from '../kernel/audit.ts';
import { transaction, type Db, type Queryable } from '../kernel/db.ts';
import { AppError, conflict, forbidden, notFound } from '../kernel/errors.ts';
import { canActOnShop, type StaffActor } from '../kernel/actors.ts';
import type { Config } from '../kernel/config.ts';
import type { MarketplaceOrderIn, MarketplaceProvider } from './provider.ts';
import { marketplacesFor } from './registry.ts';
import type { StoreRow } from './intake.ts';

export interface PlatformInfo {
  id: string;
  label: string;
  configured: boolean;
  /** Whether its stores are activated by their merchant on the platform (else connected by their id alone). */
  activates: boolean;
  /** Whether a store saved here is connected through the platform's API (its orders then sent to us). */
  connects: boolean;
}

export interface StoreSettings {
  storeId: string;
  enabled: boolean;
  autoAccept: boolean;
  markupPct: number;
  commissionPct: number;
  /** Where the platform activates or connects its stores: whether we are this store's order manager there (its orders ours to accept). */
  orderManager: boolean;
  /** When the platform took the integration away (null: it has not). */
  deprovisionedAt: string | null;
}

export interface ShopStores {
  shop: { id: number; name: string };
  /** Per platform id: the shop's store there, or null when not connected. */
  stores: Record<string, StoreSettings | null>;
}

let chosen: readonly MarketplaceProvider[] | null = null;
/** The platforms the back office lists and calls: the settings' (registry.ts), unless a test chose others. */
export function chooseBackOfficePlatforms(providers: readonly MarketplaceProvider[] | null): void {
  chosen = providers;
}
export const backOfficePlatforms = (config: Config): readonly MarketplaceProvider[] => chosen ?? marketplacesFor(config);

export const platformsOf = (providers: readonly MarketplaceProvider[]): PlatformInfo[] =>
  providers.map((p) => ({ id: p.id, label: p.label, configured: p.configured, activates: !!p.activation, connects: !!p.siteConnection }));

/** The platform of this id, or a 404 (a platform the registry does not know). */
export function knownPlatform(providers: readonly MarketplaceProvider[], id: string): MarketplaceProvider {
  const p = providers.find((x) => x.id === id);
  if (!p) throw notFound('platform');
  return p;
}

/** A manager may run their own shop's stores; head office any; nobody else. */
export function checkShop(actor: StaffActor, pizzeriaId: number): void {
  if (!may(actor.role, can.runShop)) throw forbidden('platforms are for managers and head office');
  if (!canActOnShop(actor, pizzeriaId)) throw forbidden('not your shop');
}

/** The shops this member of staff runs: head office every one, a manager theirs. */
export async function shopsRun(q: Queryable, actor: StaffActor): Promise<{ id: number; name: string }[]> {
  if (!may(actor.role, can.runShop)) throw forbidden('platforms are for managers and head office');
  const all = may(actor.role, can.runChain);
  const { rows } = await q.query<{ id: number; name: string }>(`SELECT id, name FROM pizzerias WHERE $1 OR id = $2 ORDER BY id`, [all, actor.pizzeriaId]);
  return rows;
}


const settingsOf = (r: StoreRow): StoreSettings => ({
  storeId: r.store_id, enabled: r.enabled, autoAccept: r.auto_accept, markupPct: Number(r.price_markup_pct), commissionPct: Number(r.commission_pct),
  orderManager: r.order_manager, deprovisionedAt: r.deprovisioned_at?.toISOString() ?? null,
});

/** Every shop the actor runs, with its store on each platform. */
export async function listConnections(db: Db, actor: StaffActor, providers: readonly MarketplaceProvider[]): Promise<ShopStores[]> {
  const shops = await shopsRun(db, actor);
  const { rows } = await db.query<StoreRow>(`SELECT * FROM marketplace_stores WHERE pizzeria_id = ANY($1)`, [shops.map((s) => s.id)]);
  return shops.map((shop) => ({
    shop,
    stores: Object.fromEntries(providers.map((p) => {
      const row = rows.find((r) => r.pizzeria_id === shop.id && r.marketplace === p.id);
      return [p.id, row ? settingsOf(row) : null];
    })),
  }));
}

/** The shop's store on a platform, or null. */
export async function storeOf(q: Queryable, marketplace: string, pizzeriaId: number): Promise<StoreSettings | null> {
  const { rows } = await q.query<StoreRow>(`SELECT * FROM marketplace_stores WHERE marketplace = $1 AND pizzeria_id = $2`, [marketplace, pizzeriaId]);
  return rows[0] ? settingsOf(rows[0]) : null;
}

const storeTaken = async (q: Queryable, marketplace: string, storeId: string, pizzeriaId: number) => {
  const taken = await q.query(`SELECT 1 FROM marketplace_stores WHERE marketplace = $1 AND store_id = $2 AND pizzeria_id <> $3`, [marketplace, storeId, pizzeriaId]);
  if (taken.rowCount) throw conflict('store_taken', 'this store id is connected to another shop', { fields: { storeId: 'connected to another shop' } });
};

/**
 * Where the platform's API connects a store (provider.siteConnection) and it is configured: a new
 * store id, or one not connected yet, is told to the platform with every other store of the chain
 * there. Its refusal is a 502 with its words, and nothing is saved. Returns whether it connected
 * now (null: nothing to tell, the store's state stays as it is).
 */
async function connectSite(db: Db, p: MarketplaceProvider, pizzeriaId: number, req: StoreRequest): Promise<boolean | null> {
  if (!p.siteConnection) return null;
  const before = await storeOf(db, p.id, pizzeriaId);
  if (before && before.storeId === req.storeId && before.orderManager) return null;
  if (!p.configured) return false;
  const { rows } = await db.query<{ store_id: string; name: string; pizzeria_id: number }>(
    `SELECT s.store_id, z.name, z.id AS pizzeria_id FROM marketplace_stores s JOIN pizzerias z ON z.id = s.pizzeria_id WHERE s.marketplace = $1 AND s.pizzeria_id <> $2
     UNION ALL SELECT $3, name, id FROM pizzerias WHERE id = $2 ORDER BY pizzeria_id`,
    [p.id, pizzeriaId, req.storeId],
  );
  try {
    await p.siteConnection.connect(rows.map((r) => ({ storeId: r.store_id, name: r.name })));
  } catch (err) {
    throw new AppError(502, 'platform_error', `${p.label} did not take the connection: ${String((err as Error)?.message ?? err).slice(0, 200)}`);
  }
  return true;
}

/**
 * Connects the shop's store on a platform, or changes how it works (audited); a store id another
 * shop has is a 409. Where the platform's API connects stores, a new one is connected there first.
 */
export async function connectStore(
  db: Db, actor: StaffActor, providers: readonly MarketplaceProvider[], pizzeriaId: number, marketplace: string, req: StoreRequest,
): Promise<StoreSettings> {
  checkShop(actor, pizzeriaId);
  const p = knownPlatform(providers, marketplace);
  const shop = await db.query('SELECT 1 FROM pizzerias WHERE id = $1', [pizzeriaId]);
  if (!shop.rowCount) throw notFound('pizzeria');
  await storeTaken(db, marketplace, req.storeId, pizzeriaId);
  const connected = await connectSite(db, p, pizzeriaId, req);
  return transaction(db, async (tx) => {
    await storeTaken(tx, marketplace, req.storeId, pizzeriaId);
    const before = await storeOf(tx, marketplace, pizzeriaId);
    const { rows } = await tx.query<StoreRow>(
      `INSERT INTO marketplace_stores (marketplace, store_id, pizzeria_id, enabled, auto_accept, price_markup_pct, commission_pct)
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (marketplace, pizzeria_id) DO UPDATE SET store_id = EXCLUDED.store_id, enabled = EXCLUDED.enabled, auto_accept = EXCLUDED.auto_accept,
         price_markup_pct = EXCLUDED.price_markup_pct, commission_pct = EXCLUDED.commission_pct, updated_at = now()
       RETURNING *`,
      [marketplace, req.storeId, pizzeriaId, req.enabled, req.autoAccept, req.markupPct, req.commissionPct],
    );
    if (connected !== null) {
      const set = await tx.query<StoreRow>(
        `UPDATE marketplace_stores SET order_manager = $3, activated_at = CASE WHEN $3 THEN now() END, deprovisioned_at = NULL
         WHERE marketplace = $1 AND pizzeria_id = $2 RETURNING *`,
        [marketplace, pizzeriaId, connected],
      );
      rows[0] = set.rows[0];
    }
    const after = settingsOf(rows[0]);
    await audit(tx, actor, { action: 'marketplace.store', entity: 'marketplace_store', entityId: `${marketplace}:${pizzeriaId}`, pizzeriaId, before, after });
    return after;
  });
}

export interface PlatformPrices {
  products: { id: number; name: string; priceCents: number; prices: Record<string, number | null> }[];
}

/** The chain's products with their own price on each platform (null: ours plus the store's markup). */
export async function listPlatformPrices(db: Queryable, providers: readonly MarketplaceProvider[]): Promise<PlatformPrices> {
  const { rows } = await db.query<{ id: number; name: string; price_cents: number; prices: Record<string, number> | null }>(
    `SELECT p.id, p.name, p.price_cents,
       (SELECT json_object_agg(m.marketplace, m.price_cents) FROM marketplace_prices m WHERE m.product_id = p.id) AS prices
     FROM products p WHERE p.active ORDER BY p.name, p.id`,
  );
  return {
    products: rows.map((r) => ({ id: r.id, name: r.name, priceCents: r.price_cents, prices: Object.fromEntries(providers.map((p) => [p.id, r.prices?.[p.id] ?? null])) })),
  };
}

/** A product's own price on a platform (head office: the menu is the chain's), or back to ours plus the markup (null). Audited. */
export async function setPlatformPrice(
  db: Db, actor: StaffActor, providers: readonly MarketplaceProvider[], marketplace: string, productId: number, priceCents: number | null,
): Promise<{ productId: number; priceCents: number | null }> {
  if (!may(actor.role, can.runChain)) throw forbidden("head office keeps the menu's prices");
  knownPlatform(providers, marketplace);
  return transaction(db, async (tx) => {
    const product = await tx.query('SELECT 1 FROM products WHERE id = $1', [productId]);
    if (!product.rowCount) throw notFound('product');
    const was = await tx.query<{ price_cents: number }>('SELECT price_cents FROM marketplace_prices WHERE marketplace = $1 AND product_id = $2', [marketplace, productId]);
    if (priceCents === null) await tx.query('DELETE FROM marketplace_prices WHERE marketplace = $1 AND product_id = $2', [marketplace, productId]);
    else {
      await tx.query(
        `INSERT INTO marketplace_prices (marketplace, product_id, price_cents) VALUES ($1, $2, $3)
         ON CONFLICT (marketplace, product_id) DO UPDATE SET price_cents = EXCLUDED.price_cents`,
        [marketplace, productId, priceCents],
      );
    }
    await audit(tx, actor, {
      action: 'marketplace.price', entity: 'product', entityId: productId, pizzeriaId: null,
      before: { marketplace, priceCents: was.rows[0]?.price_cents ?? null }, after: { marketplace, priceCents },
    });
    return { productId, priceCents };
  });
}

export interface WaitingOrder {
  id: number;
  marketplace: string;
  pizzeriaId: number;
  externalId: string;
  code: string | null;
  state: WaitingState;
  customer: string;
  lines: { name: string; quantity: number }[];
  totalCents: number;
  receivedAt: string;
  acceptBy: string | null;
  /** Why it waits: the platform's names not mapped yet, a paused shop, an item out (as the intake wrote them). */
  problems: unknown[];
}

/** The platform orders of these shops waiting for a person, the oldest first. */
export async function waitingOrders(q: Queryable, pizzeriaIds: number[]): Promise<WaitingOrder[]> {
  const { rows } = await q.query<{ id: string; marketplace: string; pizzeria_id: number; external_id: string; state: WaitingState; payload: MarketplaceOrderIn; received_at: Date; accept_by: Date | null; problems: unknown[] }>(
    `SELECT id, marketplace, pizzeria_id, external_id, state, payload, received_at, accept_by, problems FROM marketplace_orders
     WHERE pizzeria_id = ANY($1) AND state::text = ANY($2) ORDER BY received_at, id`,
    [pizzeriaIds, [...WAITING_STATES]],
  );
  return rows.map((r) => ({
    id: Number(r.id), marketplace: r.marketplace, pizzeriaId: r.pizzeria_id, externalId: r.external_id, code: r.payload.code ?? null, state: r.state,
    customer: r.payload.customer?.name ?? '', lines: (r.payload.lines ?? []).map((l) => ({ name: l.name, quantity: l.quantity })),
    totalCents: r.payload.totalCents ?? 0, receivedAt: r.received_at.toISOString(), acceptBy: r.accept_by?.toISOString() ?? null, problems: r.problems ?? [],
  }));
}

/** A waiting order's shop, checked against the actor (a 404 for an order that is not waiting). */
export async function waitingOrderShop(q: Queryable, actor: StaffActor, id: number): Promise<number> {
  const { rows } = await q.query<{ pizzeria_id: number }>(`SELECT pizzeria_id FROM marketplace_orders WHERE id = $1 AND state::text = ANY($2)`, [id, [...WAITING_STATES]]);
  if (!rows[0]) throw notFound('waiting platform order');
  checkShop(actor, rows[0].pizzeria_id);
  return rows[0].pizzeria_id;
}
