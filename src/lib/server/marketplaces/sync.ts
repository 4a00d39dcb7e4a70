// What the platforms hear from us: each kitchen step of their orders, our cancel of one, a shop's
// sold-outs and back-in-stocks (only what changed since they were last told, and once a day each
// sold-out still true: Deliveroo's morning reset puts it back on sale otherwise), the shop's levers
// (online orders paused, busy minutes) and its menu. Each is a job of the workers
// (workers/marketplaces.worker.ts); each is harmless twice.
import type { AlertPlatformPush, PlatformPush } from '../../domain/alerts.ts';
import { menuId, type MarketplaceOrderState } from '../../domain/marketplaces.ts';
import { getMenu, getPizzeria } from '../shops/catalogue.ts';
import type { Db, Queryable } from '../kernel/db.ts';
import type { StoreRow } from './intake.ts';
import { availabilityOf, menuFor } from './menu-push.ts';
import type { AvailabilityChange, MarketplaceOrderRef, MarketplaceProvider, MarketplaceStep } from './provider.ts';

export interface SyncDeps {
  providers: readonly MarketplaceProvider[];
  /** Where the menu's photos are served from (PUBLIC_ORIGIN). */
  origin: string;
}

const configured = (deps: SyncDeps, id: string) => deps.providers.find((p) => p.id === id && p.configured) ?? null;

/** A platform order of ours: its platform, and its store and id there (null: not a platform order). */
async function platformRefOf(q: Queryable, orderId: string): Promise<{ marketplace: string; ref: MarketplaceOrderRef; cancelReason: string | null } | null> {
  const { rows } = await q.query<{ marketplace: string; external_id: string; store_id: string; cancel_reason: string | null }>(
    `SELECT o.marketplace, o.external_id, m.store_id, o.cancel_reason FROM orders o
     JOIN marketplace_orders m ON m.marketplace = o.marketplace AND m.external_id = o.external_id WHERE o.id = $1`,
    [orderId],
  );
  const r = rows[0];
  return r ? { marketplace: r.marketplace, ref: { storeId: r.store_id, externalId: r.external_id }, cancelReason: r.cancel_reason } : null;
}

/** A kitchen step of a platform order, told to its platform. */
export async function tellStep(db: Db, orderId: string, step: MarketplaceStep, deps: SyncDeps): Promise<boolean> {
  const o = await platformRefOf(db, orderId);
  const provider = o && configured(deps, o.marketplace);
  if (!o || !provider) return false;
  await provider.step(o.ref, step);
  return true;
}

/** Our cancel of a platform order, told to its platform (one the platform cancelled itself is not told back). */
export async function tellCancel(db: Db, orderId: string, deps: SyncDeps): Promise<boolean> {
  const o = await platformRefOf(db, orderId);
  const provider = o && configured(deps, o.marketplace);
  if (!o || !provider || o.cancelReason === 'platform') return false;
  await provider.cancel(o.ref, o.cancelReason === 'customer' ? 'customer' : 'the shop cannot make it');
  await db.query(`UPDATE marketplace_orders SET state = $3 WHERE marketplace = $1 AND external_id = $2`, [o.marketplace, o.ref.externalId, 'cancelled' satisfies MarketplaceOrderState]);
  return true;
}

/**
 * A push to a platform, kept when it fails (a 404, a 5xx, no answer): the shop's managers see an
 * alert from its first failure until a push of the same kind succeeds, and the error is thrown
 * again for the job to be tried again. Never dropped as "permanent": a pizza sold out here and still
 * on sale there is what the alert is for.
 */
async function pushing(db: Db, marketplace: string, pizzeriaId: number, what: PlatformPush, push: () => Promise<unknown>): Promise<void> {
  try {
    await push();
  } catch (err) {
    const status = Number((err as { status?: unknown } | null)?.status);
    await db.query(
      `INSERT INTO marketplace_push_failures (marketplace, pizzeria_id, what, error, http_status) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (marketplace, pizzeria_id, what) DO UPDATE SET error = EXCLUDED.error, http_status = EXCLUDED.http_status,
         attempts = marketplace_push_failures.attempts + 1, last_failed_at = now()`,
      [marketplace, pizzeriaId, what, String((err as Error)?.message ?? err).slice(0, 500), Number.isInteger(status) ? status : null],
    );
    throw err;
  }
  await db.query('DELETE FROM marketplace_push_failures WHERE marketplace = $1 AND pizzeria_id = $2 AND what = $3', [marketplace, pizzeriaId, what]);
}

/** The pushes of these shops failing until one succeeds (the managers' alerts). */
export async function failingPushes(q: Queryable, shops: number[]): Promise<AlertPlatformPush[]> {
  const { rows } = await q.query<{ marketplace: string; pizzeria_id: number; what: PlatformPush; first_failed_at: Date; attempts: number }>(
    'SELECT marketplace, pizzeria_id, what, first_failed_at, attempts FROM marketplace_push_failures WHERE pizzeria_id = ANY($1) ORDER BY first_failed_at',
    [shops],
  );
  return rows.map((r) => ({ pizzeriaId: r.pizzeria_id, marketplace: r.marketplace, what: r.what, since: r.first_failed_at.toISOString(), attempts: r.attempts }));
}

/** Each store told in turn, a failing one not keeping the others from hearing; the first failure thrown at the end (the job tried again). */
async function eachStore<S>(stores: readonly S[], tell: (s: S) => Promise<void>): Promise<void> {
  let failed: unknown = null;
  for (const s of stores) await tell(s).catch((err) => (failed ??= err));
  if (failed) throw failed;
}

export async function storesOfShop(q: Queryable, pizzeriaId: number, marketplace?: string): Promise<(StoreRow & { told_status: { open: boolean; busyMinutes: number } | null })[]> {
  const { rows } = await q.query('SELECT * FROM marketplace_stores WHERE pizzeria_id = $1 AND enabled AND ($2::text IS NULL OR marketplace = $2) ORDER BY marketplace', [
    pizzeriaId, marketplace ?? null,
  ]);
  return rows;
}

/**
 * What each store was last told of its items' availability (no row: on sale, as the menu said), and
 * whether it was told before today (Paris): a sold-out told on an earlier day is told again.
 */
async function toldOf(q: Queryable, marketplace: string, storeId: string): Promise<Map<string, { available: boolean; earlierDay: boolean }>> {
  const { rows } = await q.query<{ item_id: string; available: boolean; earlier_day: boolean }>(
    `SELECT item_id, available, told_at < (date_trunc('day', now() AT TIME ZONE 'Europe/Paris') AT TIME ZONE 'Europe/Paris') AS earlier_day
     FROM marketplace_availability WHERE marketplace = $1 AND store_id = $2`,
    [marketplace, storeId],
  );
  return new Map(rows.map((r) => [r.item_id, { available: r.available, earlierDay: r.earlier_day }]));
}

async function remember(q: Queryable, marketplace: string, storeId: string, items: { id: string; available: boolean }[]): Promise<void> {
  if (!items.length) return;
  await q.query(
    `INSERT INTO marketplace_availability (marketplace, store_id, item_id, available)
     SELECT $1, $2, i, a FROM unnest($3::text[], $4::boolean[]) AS u(i, a)
     ON CONFLICT (marketplace, store_id, item_id) DO UPDATE SET available = EXCLUDED.available, told_at = now()`,
    [marketplace, storeId, items.map((i) => i.id), items.map((i) => i.available)],
  );
}

/**
 * What a store is to hear now: each item whose availability changed since it was last told, and
 * each sold-out still true that it was told on an earlier day. Deliveroo puts every `unavailable`
 * item back on sale at its morning stock reset, so a sold-out that spans days is told again, once
 * a day, as `lasting` (Deliveroo: `hidden`, which the reset leaves alone) until it is back.
 */
export function availabilityToTell(now: ReadonlyMap<string, boolean>, told: ReadonlyMap<string, { available: boolean; earlierDay: boolean }>): AvailabilityChange[] {
  const out: AvailabilityChange[] = [];
  for (const [id, available] of now) {
    const before = told.get(id);
    if ((before?.available ?? true) !== available) out.push({ id, available });
    else if (!available && before?.earlierDay) out.push({ id, available, lasting: true });
  }
  return out;
}

/** The shop's items whose availability changed since each of its stores was last told (and its sold-outs of earlier days): told now. Returns how many were told. */
export async function tellAvailability(db: Db, pizzeriaId: number, deps: SyncDeps): Promise<number> {
  const stores = (await storesOfShop(db, pizzeriaId)).filter((s) => configured(deps, s.marketplace));
  if (!stores.length) return 0;
  const now = new Map<string, boolean>();
  for (const p of await getMenu(db, pizzeriaId)) {
    now.set(menuId.product(p.id), p.available);
    for (const o of p.options) now.set(menuId.option(o.id), o.available);
  }
  let told = 0;
  await eachStore(stores, async (s) => {
    const changed = availabilityToTell(now, await toldOf(db, s.marketplace, s.store_id));
    if (!changed.length) return;
    await pushing(db, s.marketplace, pizzeriaId, 'availability', () => configured(deps, s.marketplace)!.setAvailability(s.store_id, changed));
    await remember(db, s.marketplace, s.store_id, changed);
    told += changed.length;
  });
  return told;
}

/** The shop's levers (online orders paused, busy minutes), told to each store when they changed. Returns the stores told. */
export async function tellStoreStatus(db: Db, pizzeriaId: number, deps: SyncDeps): Promise<number> {
  const shop = await getPizzeria(db, pizzeriaId);
  if (!shop) return 0;
  const status = { open: !shop.onlinePaused, busyMinutes: shop.busyMinutes };
  let told = 0;
  await eachStore(await storesOfShop(db, pizzeriaId), async (s) => {
    const provider = configured(deps, s.marketplace);
    if (!provider || (s.told_status?.open === status.open && s.told_status.busyMinutes === status.busyMinutes)) return;
    await pushing(db, s.marketplace, pizzeriaId, 'status', () => provider.setStoreStatus(s.store_id, status));
    await db.query('UPDATE marketplace_stores SET told_status = $3 WHERE marketplace = $1 AND store_id = $2', [s.marketplace, s.store_id, JSON.stringify(status)]);
    told++;
  });
  return told;
}

/** The shop's menu pushed to its store on that platform; what it says is on sale is then what the store was told. */
export async function pushMenu(db: Db, pizzeriaId: number, marketplace: string, deps: SyncDeps): Promise<boolean> {
  const [store] = await storesOfShop(db, pizzeriaId, marketplace);
  const provider = configured(deps, marketplace);
  if (!store || !provider) return false;
  const menu = await menuFor(db, pizzeriaId, store, deps.origin);
  await pushing(db, marketplace, pizzeriaId, 'menu', () => provider.pushMenu(store.store_id, menu));
  await remember(db, marketplace, store.store_id, [...availabilityOf(menu)].map(([id, available]) => ({ id, available })));
  return true;
}
