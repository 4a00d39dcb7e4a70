// What a platform's webhook brings, kept once (marketplace_webhooks by the platform's event id), and
// its orders kept until they are on our make line (marketplace_orders, one row per platform order):
// the workers take each from there (takeOrder), so the webhook answers at once and a queue that
// loses the job loses nothing (the reconciler queues again what is still `received`).
import { MANAGER_MARKETPLACE_STATES, WAITING_MARKETPLACE_STATES, isMoneyProblem, sqlStates } from '../../domain/marketplaces.ts';
import type { AlertPlatformOrder } from '../../domain/alerts.ts';
import { transaction, type Db, type Queryable } from '../kernel/db.ts';
import { AppError } from '../kernel/errors.ts';
import type { MarketplaceNotice, MarketplaceOrderIn, MarketplaceProvider } from './provider.ts';

/** A store of a shop on a platform, as the workers read it. */
export interface StoreRow {
  marketplace: string;
  store_id: string;
  pizzeria_id: number;
  enabled: boolean;
  auto_accept: boolean;
  price_markup_pct: string;
  commission_pct: string;
  activated_at: Date | null;
  order_manager: boolean;
  deprovisioned_at: Date | null;
}

/** A platform order as kept (marketplace_orders). */
export interface MarketplaceOrderRow {
  id: number;
  marketplace: string;
  external_id: string;
  store_id: string;
  pizzeria_id: number;
  state: string;
  /** The order in our terms; only its ids while the webhook named it without its content. */
  payload: MarketplaceOrderIn | { externalId: string; storeId: string; lines?: undefined };
  accept_by: Date | null;
  order_id: string | null;
  /** When the platform took our accept (the order may then be placed; a manager's no is a cancel). */
  platform_accepted_at: Date | null;
}

/** What a kept webhook calls for: an order to take, a notice to act on. */
export type Queued = { kind: 'intake'; id: number; acceptBy: Date | null } | { kind: 'notice'; notice: MarketplaceNotice };

export async function connectedStores(q: Queryable, marketplace: string, storeIds: string[]): Promise<Map<string, StoreRow>> {
  const { rows } = await q.query<StoreRow>('SELECT * FROM marketplace_stores WHERE marketplace = $1 AND store_id = ANY($2) AND enabled', [marketplace, storeIds]);
  return new Map(rows.map((r) => [r.store_id, r]));
}

/**
 * Keeps a verified webhook's notices, each once: a store not connected (or disabled) refuses the
 * whole webhook, and nothing is written. Returns what the workers are to do about the new ones.
 */
export async function keepNotices(db: Db, provider: MarketplaceProvider, given: MarketplaceNotice[]): Promise<Queued[]> {
  const notices = await withOrderStores(db, provider, given);
  // a store's integration given or taken away may come before (or without) its shop's connection here
  const storeIds = [...new Set(notices.flatMap((n) => (n.storeId && n.kind !== 'store' ? [n.storeId] : [])))];
  const stores = await connectedStores(db, provider.id, storeIds);
  const unknown = storeIds.filter((s) => !stores.has(s));
  if (unknown.length) throw new AppError(404, 'unknown_store', `no shop is connected to ${provider.label} store ${unknown.join(', ')}`);
  return transaction(db, async (tx) => {
    const queued: Queued[] = [];
    for (const n of notices) {
      const { rowCount } = await tx.query('INSERT INTO marketplace_webhooks (marketplace, event_id, kind) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', [provider.id, n.eventId, n.kind]);
      if (!rowCount) continue; // a replay: answered, nothing done
      const store = n.storeId && n.kind !== 'store' ? stores.get(n.storeId)! : null;
      if (n.kind === 'order' || n.kind === 'order_named') {
        const payload = n.kind === 'order' ? n.order : { externalId: n.externalId, storeId: n.storeId };
        await checkOrderStore(tx, provider, { externalId: payload.externalId, storeId: n.storeId });
        const kept = await keepOrder(tx, provider.id, store!, payload, n.kind === 'order' ? n.order.acceptBy : null);
        if (kept) queued.push({ kind: 'intake', ...kept });
      } else if (n.kind === 'cancelled' || n.kind === 'courier' || n.kind === 'store') {
        if (n.kind !== 'store') await checkOrderStore(tx, provider, n);
        queued.push({ kind: 'notice', notice: n });
      }
    }
    return queued;
  });
}

/**
 * A platform whose cancel and courier notices name the order alone (Just Eat's, authenticated by the
 * chain's key, its order ids unique across its restaurants): the store is the order's own, as kept.
 * Every other notice names its store, and is checked against the order's (checkOrderStore).
 */
async function withOrderStores(q: Queryable, provider: MarketplaceProvider, notices: MarketplaceNotice[]): Promise<MarketplaceNotice[]> {
  const unnamed = notices.flatMap((n) => ((n.kind === 'cancelled' || n.kind === 'courier') && !n.storeId ? [n.externalId] : []));
  if (!unnamed.length) return notices;
  const { rows } = await q.query<{ external_id: string; store_id: string }>(
    'SELECT external_id, store_id FROM marketplace_orders WHERE marketplace = $1 AND external_id = ANY($2)', [provider.id, unnamed],
  );
  const storeOf = new Map(rows.map((r) => [r.external_id, r.store_id]));
  return notices.map((n) => ((n.kind === 'cancelled' || n.kind === 'courier') && !n.storeId && storeOf.has(n.externalId) ? { ...n, storeId: storeOf.get(n.externalId)! } : n));
}

/**
 * A notice about an order must name the store the order came through: one naming another store (a
 * cancel, a courier, or the order itself sent again) is refused (409) and the whole webhook with
 * it, so nothing is kept. An order not kept yet passes (its notice may come first); the workers
 * look it up by its store too (couriers.ts).
 */
async function checkOrderStore(q: Queryable, provider: MarketplaceProvider, n: { externalId: string; storeId: string }): Promise<void> {
  const { rows } = await q.query<{ store_id: string }>('SELECT store_id FROM marketplace_orders WHERE marketplace = $1 AND external_id = $2', [provider.id, n.externalId]);
  if (rows[0] && rows[0].store_id !== n.storeId) {
    throw new AppError(409, 'wrong_store', `${provider.label} order ${n.externalId} is not of store ${n.storeId}: nothing was done`);
  }
}

async function keepOrder(q: Queryable, marketplace: string, store: StoreRow, payload: MarketplaceOrderRow['payload'], acceptBy: string | null) {
  const { rows } = await q.query<{ id: string; accept_by: Date | null }>(
    `INSERT INTO marketplace_orders (marketplace, external_id, store_id, pizzeria_id, payload, accept_by)
     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (marketplace, external_id) DO NOTHING RETURNING id, accept_by`,
    [marketplace, payload.externalId, store.store_id, store.pizzeria_id, JSON.stringify(payload), acceptBy],
  );
  return rows[0] ? { id: Number(rows[0].id), acceptBy: rows[0].accept_by } : null;
}

export async function readMarketplaceOrder(q: Queryable, id: number, lock = false): Promise<MarketplaceOrderRow | null> {
  const { rows } = await q.query<MarketplaceOrderRow>(`SELECT * FROM marketplace_orders WHERE id = $1${lock ? ' FOR UPDATE' : ''}`, [id]);
  return rows[0] ? { ...rows[0], id: Number(rows[0].id) } : null;
}

export const isWaiting = (row: Pick<MarketplaceOrderRow, 'state'>) => (WAITING_MARKETPLACE_STATES as readonly string[]).includes(row.state);

/** The platform order's new state, only while it still waits (a decision made meanwhile wins). */
export async function settle(
  q: Queryable,
  id: number,
  state: string,
  extra: { problems?: unknown[]; orderId?: string; decidedBy?: string; denyReason?: string } = {},
): Promise<boolean> {
  const { rowCount } = await q.query(
    `UPDATE marketplace_orders SET state = $2::marketplace_order_state, problems = coalesce($3::jsonb, problems), order_id = coalesce($4, order_id),
       decided_by = coalesce($5, decided_by), deny_reason = coalesce($6, deny_reason),
       decided_at = CASE WHEN $2::marketplace_order_state IN (${sqlStates(WAITING_MARKETPLACE_STATES)}) THEN decided_at ELSE now() END
     WHERE id = $1 AND state IN (${sqlStates(WAITING_MARKETPLACE_STATES)})`,
    [id, state, extra.problems ? JSON.stringify(extra.problems) : null, extra.orderId ?? null, extra.decidedBy ?? null, extra.denyReason ?? null],
  );
  return rowCount === 1;
}

/** The platform orders still `received` (their job lost, or never queued): the reconciler queues them again. */
export async function ordersLeftReceived(q: Queryable): Promise<number[]> {
  const { rows } = await q.query<{ id: string }>(`SELECT id FROM marketplace_orders WHERE state = 'received' AND received_at < now() - interval '10 seconds' ORDER BY id LIMIT 1000`);
  return rows.map((r) => Number(r.id));
}

/** The platform orders of these shops waiting for their manager (the alert, with its countdown). */
export async function platformOrdersWaiting(q: Queryable, shops: number[]): Promise<AlertPlatformOrder[]> {
  const { rows } = await q.query<{ id: string; pizzeria_id: number; marketplace: string; payload: { code?: string | null }; received_at: Date; accept_by: Date | null; problems: { kind: string; name?: string }[] }>(
    `SELECT id, pizzeria_id, marketplace, payload, received_at, accept_by, problems FROM marketplace_orders
     WHERE pizzeria_id = ANY($1) AND state IN (${sqlStates(MANAGER_MARKETPLACE_STATES)}) AND (accept_by IS NULL OR accept_by > now()) ORDER BY received_at LIMIT 100`,
    [shops],
  );
  return rows.map((r) => ({
    id: Number(r.id), pizzeriaId: r.pizzeria_id, marketplace: r.marketplace, code: r.payload.code ?? null, receivedAt: r.received_at.toISOString(),
    acceptBy: r.accept_by?.toISOString() ?? null, unmapped: r.problems.flatMap((p) => (p.kind === 'unmapped' && p.name ? [p.name] : [])),
    ...(r.problems.some(isMoneyProblem) ? { priceCheck: true } : {}),
  }));
}
