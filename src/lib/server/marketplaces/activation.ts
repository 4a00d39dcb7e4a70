// A shop's store activated on a platform by its merchant, where the platform asks it (Uber Eats: the
// merchant's user authorizes the chain on Uber's consent page, head office chooses which of that
// user's stores is which shop's, and the chain becomes the store's order manager). Until then the
// platform refuses our accept of its orders: the back office shows each store's state, and an order
// the platform refused never reaches the make line (flows/platform-taking.ts). The platform's own
// notices (store.provisioned, store.deprovisioned) keep the state true afterwards.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { can, may } from '../../domain/permissions.ts';
import { audit } from '../kernel/audit.ts';
import { transaction, type Db } from '../kernel/db.ts';
import { AppError, conflict, forbidden, notFound } from '../kernel/errors.ts';
import type { StaffActor } from '../kernel/actors.ts';
import type { MarketplaceActivation, MarketplaceNotice, MarketplaceProvider, PlatformStoreChoice } from './provider.ts';
import { knownPlatform } from './stores.ts';

/** How long head office has to choose the stores once the merchant authorized (the merchant's token is kept that long at most). */
const AUTHORIZATION_MINUTES = 30;

/** The platform's activation, for head office only (activating a store decides for the chain), or the reason not. */
export function activationOf(actor: StaffActor, providers: readonly MarketplaceProvider[], marketplace: string): MarketplaceActivation {
  if (!may(actor.role, can.runChain)) throw forbidden('head office activates the stores on a platform');
  const p = knownPlatform(providers, marketplace);
  if (!p.activation) throw new AppError(400, 'not_activated_here', `${p.label} stores are connected by their id`);
  if (!p.configured) throw conflict('not_configured', `${p.label} is not configured on the server`);
  return p.activation;
}

/** A platform's refusal or failure, as the back office says it (the platform's own words kept short). */
const platformError = (err: unknown) =>
  err instanceof AppError ? err : new AppError(502, 'platform_error', `the platform answered: ${String((err as Error)?.message ?? err).slice(0, 200)}`);

/** A fresh state for the consent page (kept by the browser in a cookie, checked when the merchant comes back). */
export const consentState = (): string => randomBytes(24).toString('base64url');

/** The cookie that keeps the platform and the state while the merchant is on the platform's consent page. */
export const CONSENT_COOKIE = 'platform_consent';

/** Where the platform sends the merchant back (the redirect_uri registered with the platform: one per platform). */
export const consentReturn = (here: URL, marketplace: string): string => `${here.origin}/manager/marketplaces/activate/${marketplace}`;

/** Whether the state the platform sent back is the one this browser left with, for this platform (compared in constant time). */
export function consentMatches(cookie: string | undefined, marketplace: string, state: string | null): boolean {
  if (!cookie || !state) return false;
  const [a, b] = [Buffer.from(cookie), Buffer.from(`${marketplace}:${state}`)];
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The merchant came back with a code: their token exchanged and kept a short while, with the stores it may activate. */
export async function keepAuthorization(
  db: Db, actor: StaffActor, providers: readonly MarketplaceProvider[], marketplace: string, code: string, redirectUri: string,
): Promise<string> {
  const activation = activationOf(actor, providers, marketplace);
  const { accessToken, expiresInSeconds, stores } = await activation.authorized(code, redirectUri).catch((err: unknown) => {
    throw platformError(err);
  });
  const minutes = Math.max(1, Math.min(AUTHORIZATION_MINUTES, Math.floor(expiresInSeconds / 60)));
  await db.query('DELETE FROM marketplace_authorizations WHERE expires_at < now()');
  const { rows } = await db.query<{ id: string }>(
    `INSERT INTO marketplace_authorizations (marketplace, access_token, stores, created_by, expires_at)
     VALUES ($1, $2, $3, $4, now() + make_interval(mins => $5)) RETURNING id`,
    [marketplace, accessToken, JSON.stringify(stores), actor.id, minutes],
  );
  return rows[0].id;
}

export interface AuthorizedStores {
  id: string;
  marketplace: string;
  expiresAt: string;
  /** Each store the merchant's user may activate, with the shop it is connected to here, if any. */
  stores: (PlatformStoreChoice & { shopId: number | null; orderManager: boolean })[];
}

/** An authorization this member of head office received, with its stores (a 404 when gone, expired or another's). */
export async function readAuthorization(db: Db, actor: StaffActor, id: string): Promise<AuthorizedStores> {
  if (!may(actor.role, can.runChain)) throw forbidden('head office activates the stores on a platform');
  if (!/^[0-9a-f-]{36}$/i.test(id)) throw notFound('authorization');
  const { rows } = await db.query<{ id: string; marketplace: string; stores: PlatformStoreChoice[]; expires_at: Date }>(
    'SELECT id, marketplace, stores, expires_at FROM marketplace_authorizations WHERE id = $1 AND created_by = $2 AND expires_at > now()',
    [id, actor.id],
  );
  const row = rows[0];
  if (!row) throw notFound('authorization');
  const connected = await db.query<{ store_id: string; pizzeria_id: number; order_manager: boolean }>(
    'SELECT store_id, pizzeria_id, order_manager FROM marketplace_stores WHERE marketplace = $1 AND store_id = ANY($2)',
    [row.marketplace, row.stores.map((s) => s.id)],
  );
  const by = new Map(connected.rows.map((r) => [r.store_id, r]));
  return {
    id: row.id, marketplace: row.marketplace, expiresAt: row.expires_at.toISOString(),
    stores: row.stores.map((s) => ({ ...s, shopId: by.get(s.id)?.pizzeria_id ?? null, orderManager: by.get(s.id)?.order_manager ?? false })),
  };
}

/**
 * Activates one of the authorized stores for a shop: the platform told (we become its order
 * manager), then the shop's store kept as connected and activated, audited. A store another shop
 * has is a 409, a store the authorization does not name a 404.
 */
export async function activateStore(
  db: Db, actor: StaffActor, providers: readonly MarketplaceProvider[], authorizationId: string, storeId: string, pizzeriaId: number,
): Promise<{ orderManager: boolean }> {
  const auth = await readAuthorization(db, actor, authorizationId);
  const activation = activationOf(actor, providers, auth.marketplace);
  const choice = auth.stores.find((s) => s.id === storeId);
  if (!choice) throw notFound('store in this authorization');
  if (choice.shopId !== null && choice.shopId !== pizzeriaId) throw conflict('store_taken', 'this store is connected to another shop');
  const { rows: shops } = await db.query<{ slug: string }>('SELECT slug FROM pizzerias WHERE id = $1', [pizzeriaId]);
  if (!shops[0]) throw notFound('pizzeria');
  const token = (await db.query<{ access_token: string }>('SELECT access_token FROM marketplace_authorizations WHERE id = $1', [auth.id])).rows[0]?.access_token;
  if (!token) throw notFound('authorization');
  const integration = await activation.activate(token, storeId, shops[0].slug).catch((err: unknown) => {
    throw platformError(err);
  });
  const orderManager = integration.orderManager ?? true;
  await transaction(db, async (tx) => {
    const before = (await tx.query('SELECT store_id, enabled, order_manager FROM marketplace_stores WHERE marketplace = $1 AND pizzeria_id = $2', [auth.marketplace, pizzeriaId])).rows[0] ?? null;
    await tx.query(
      `INSERT INTO marketplace_stores (marketplace, store_id, pizzeria_id, enabled, activated_at, order_manager)
       VALUES ($1, $2, $3, $4, now(), $5)
       ON CONFLICT (marketplace, pizzeria_id) DO UPDATE SET store_id = EXCLUDED.store_id, enabled = EXCLUDED.enabled, activated_at = now(),
         order_manager = EXCLUDED.order_manager, deprovisioned_at = NULL, updated_at = now()`,
      [auth.marketplace, storeId, pizzeriaId, integration.enabled, orderManager],
    );
    await audit(tx, actor, {
      action: 'marketplace.activate', entity: 'marketplace_store', entityId: `${auth.marketplace}:${pizzeriaId}`, pizzeriaId,
      before, after: { storeId, name: choice.name, enabled: integration.enabled, orderManager },
    });
  });
  return { orderManager };
}

/** The platform's notice of a store's integration given or taken away: the store's state kept true (the integration read back when given). */
export async function storeIntegrationChanged(db: Db, provider: MarketplaceProvider, notice: Extract<MarketplaceNotice, { kind: 'store' }>): Promise<boolean> {
  if (!notice.provisioned || !provider.activation) {
    const { rowCount } = await db.query(
      'UPDATE marketplace_stores SET order_manager = false, deprovisioned_at = now(), updated_at = now() WHERE marketplace = $1 AND store_id = $2',
      [provider.id, notice.storeId],
    );
    return rowCount === 1;
  }
  const integration = await provider.activation.integration(notice.storeId);
  const { rowCount } = await db.query(
    `UPDATE marketplace_stores SET activated_at = now(), deprovisioned_at = NULL, order_manager = coalesce($3, order_manager), updated_at = now()
     WHERE marketplace = $1 AND store_id = $2`,
    [provider.id, notice.storeId, integration.enabled ? integration.orderManager : false],
  );
  return rowCount === 1;
}
