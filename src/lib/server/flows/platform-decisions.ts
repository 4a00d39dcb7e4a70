// What the back office decides about the delivery platforms: a waiting platform order accepted or
// denied by the manager, the orders waiting for a mapping tried again once it is made, and a shop's
// menu pushed to a platform (by the workers).
import { Queue } from 'bullmq';
import { MANAGER_MARKETPLACE_STATES, moneyProblems, type MarketplaceOrderState } from '../../domain/marketplaces.ts';
import { can, may } from '../../domain/permissions.ts';
import { config } from '../kernel/config.ts';
import type { Db } from '../kernel/db.ts';
import { conflict, forbidden, notFound } from '../kernel/errors.ts';
import { actorLabel, canActOnShop, type StaffActor } from '../kernel/actors.ts';
import { addJob, connectionFor, DEFAULT_JOB_OPTIONS, jobId, QUEUES, type QueueOf } from '../kernel/queues.ts';
import { getPizzeria } from '../shops/catalogue.ts';
import { connectedStores, readMarketplaceOrder, settle, type MarketplaceOrderRow } from '../marketplaces/intake.ts';
import { mapLines } from '../marketplaces/lines.ts';
import type { DenyReason, MarketplaceOrderIn, MarketplaceProvider } from '../marketplaces/provider.ts';
import { marketplacesFor } from '../marketplaces/registry.ts';
import { kitchenReadyAt, placeFromPlatform, providerOf, takeOrder, wantedBy, type TakingDeps } from './platform-taking.ts';

let chosen: readonly MarketplaceProvider[] | null = null;
/** The platforms the decisions call: the settings' (registry.ts), unless a server or a test chose others. */
export function useMarketplaces(providers: readonly MarketplaceProvider[] | null): void {
  chosen = providers;
}
const deps = (): TakingDeps => ({ providers: chosen ?? marketplacesFor(config()), eta: config().eta });

/** The waiting platform order a manager of its shop decides about, locked until the decision is written. */
async function waitingFor(db: Db, id: number, actor: StaffActor): Promise<MarketplaceOrderRow> {
  const row = await readMarketplaceOrder(db, id);
  if (!row) throw notFound('platform order');
  if (!may(actor.role, can.runShop) || !canActOnShop(actor, row.pizzeria_id)) throw forbidden("the shop's manager decides about its platform orders");
  if (!(MANAGER_MARKETPLACE_STATES as readonly string[]).includes(row.state as MarketplaceOrderState)) {
    throw conflict('not_waiting', `this platform order is ${row.state.replace('_', ' ')}, not waiting for a decision`);
  }
  if (row.accept_by && row.accept_by.getTime() <= Date.now()) {
    await settle(db, id, 'expired');
    throw conflict('expired', 'the platform\'s deadline to accept it has passed: the platform cancels it');
  }
  return row;
}

/** The manager accepts a waiting platform order: placed on the make line (its items must all be mapped), the platform told. */
export async function acceptWaiting(db: Db, marketplaceOrderId: number, actor: StaffActor): Promise<void> {
  const row = await waitingFor(db, marketplaceOrderId, actor);
  const d = deps();
  const provider = providerOf(d, row.marketplace);
  const order = row.payload as MarketplaceOrderIn;
  if (!order.lines) throw conflict('not_fetched', 'the platform has not sent this order yet');
  // a price far from ours is the manager's to accept; an amount at zero or below cannot be booked
  if (moneyProblems(order, []).length) throw conflict('bad_amount', 'this order holds an amount at zero or below: deny it');
  const mapped = await mapLines(db, row.marketplace, row.pizzeria_id, order);
  if (mapped.unmapped.length) throw conflict('unmapped', `map ${mapped.unmapped.map((u) => `"${u.name}"`).join(', ')} to the menu first`);
  const [shop, stores] = await Promise.all([getPizzeria(db, row.pizzeria_id), connectedStores(db, row.marketplace, [row.store_id])]);
  const store = stores.get(row.store_id);
  if (!shop || !store) throw conflict('not_connected', 'this store is no longer connected');
  const readyAt = new Date(Math.max(await kitchenReadyAt(db, shop, mapped, d.eta), wantedBy(order) ?? 0));
  const state = await placeFromPlatform(db, { row, order, mapped, store, readyAt, provider, decidedBy: actorLabel(actor) });
  if (state !== 'accepted') throw conflict('refused', 'the order could not be placed: see its problems');
}

/** The manager denies a waiting platform order, with a reason the platform is told. */
export async function denyWaiting(db: Db, marketplaceOrderId: number, reason: DenyReason, explanation: string, actor: StaffActor): Promise<void> {
  const row = await waitingFor(db, marketplaceOrderId, actor);
  const provider = providerOf(deps(), row.marketplace);
  if (!(await settle(db, row.id, 'denied', { denyReason: reason, decidedBy: actorLabel(actor), problems: [{ kind: 'manual' }] }))) {
    throw conflict('not_waiting', 'this platform order was decided meanwhile');
  }
  const ref = { storeId: row.store_id, externalId: row.external_id };
  // an order the platform holds as accepted (then not placed here) is cancelled, not denied
  if (row.platform_accepted_at) await provider.cancel(ref, explanation.slice(0, 300) || reason);
  else await provider.deny(ref, reason, explanation.slice(0, 300));
}

/**
 * The platform's orders waiting for a mapping, taken again (after a mapping was made): the shop's
 * when it was the shop's, every shop's when it was the chain's. Returns how many were tried.
 */
export async function retryMapped(db: Db, marketplace: string, pizzeriaId: number | null = null): Promise<number> {
  const { rows } = await db.query<{ id: string }>(
    "SELECT id FROM marketplace_orders WHERE marketplace = $1 AND state = 'needs_mapping' AND ($2::int IS NULL OR pizzeria_id = $2) ORDER BY id",
    [marketplace, pizzeriaId],
  );
  const d = deps();
  for (const r of rows) {
    // back to received so the intake decides afresh (it may now accept, deny or leave it to the manager)
    await db.query("UPDATE marketplace_orders SET state = 'received' WHERE id = $1 AND state = 'needs_mapping'", [r.id]);
    await takeOrder(db, Number(r.id), d);
  }
  return rows.length;
}

let menuQueue: QueueOf<'marketplaces'> | null = null;
/** The queue the menu pushes go to: the settings' (below), unless a server or a test gives its own. */
export function useMarketplaceQueue(queue: QueueOf<'marketplaces'> | null): void {
  menuQueue = queue;
}
/** The workers' queue for what the back office asks of the platforms. */
function sharedMarketplaceQueue(): QueueOf<'marketplaces'> {
  if (!menuQueue) {
    const c = config();
    menuQueue = new Queue(QUEUES.marketplaces, { connection: connectionFor(c), prefix: c.QUEUE_PREFIX, defaultJobOptions: DEFAULT_JOB_OPTIONS }) as QueueOf<'marketplaces'>;
    menuQueue.on('error', () => {}); // Redis away: the request answers 503 after its timeout
  }
  return menuQueue;
}

/** The shop's menu pushed to its store on that platform, by the workers (names, prices, photos, options, allergens, availability, hours). */
export async function queueMenuPush(pizzeriaId: number, marketplace: string): Promise<void> {
  const at = Date.now();
  await addJob(sharedMarketplaceQueue(), 'menu', { pizzeriaId, marketplace }, { jobId: jobId.marketplaceMenu(marketplace, pizzeriaId, at), removeOnComplete: true });
}
