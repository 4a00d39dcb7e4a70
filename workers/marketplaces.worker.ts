import { UnrecoverableError, Worker, type ConnectionOptions } from 'bullmq';
import type { Logger } from 'pino';
import { permanentProviderError } from '../src/lib/domain/marketplaces.ts';
import type { EtaSettings } from '../src/lib/domain/eta.ts';
import type { Db } from '../src/lib/server/kernel/db.ts';
import { courierNews, platformCancelled } from '../src/lib/server/marketplaces/couriers.ts';
import { storeIntegrationChanged } from '../src/lib/server/marketplaces/activation.ts';
import { readMarketplaceOrder, settle } from '../src/lib/server/marketplaces/intake.ts';
import type { MarketplaceNotice, MarketplaceProvider } from '../src/lib/server/marketplaces/provider.ts';
import { pushMenu, tellAvailability, tellCancel, tellStep, tellStoreStatus } from '../src/lib/server/marketplaces/sync.ts';
import { takeOrder } from '../src/lib/server/flows/platform-taking.ts';
import { addJob, jobId, QUEUES, SHORT_JOBS, type JobData, type JobName, type Queues } from '../src/lib/server/kernel/queues.ts';
import { processorOf, type Handlers } from './job-handlers.ts';

export interface MarketplacesDeps {
  db: Db;
  providers: readonly MarketplaceProvider[];
  queues: Pick<Queues, 'marketplaces'>;
  /** Where the menu's photos are served from. */
  origin: string;
  eta: EtaSettings;
  log: Logger;
}

/**
 * A call to a platform: retried by the job's backoff when it fails for a while; refused for good (a
 * 4xx that retrying cannot mend), logged as an error and not retried (the workers report it).
 */
async function toPlatform<T>(what: string, deps: MarketplacesDeps, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (!permanentProviderError(err)) throw err;
    deps.log.error({ err, what }, 'a delivery platform refused a call for good: not retried');
    throw new UnrecoverableError(`${what}: ${(err as Error).message}`);
  }
}

/**
 * What a shop tells the platforms (its sold-outs, levers, menu): any failure, a 4xx included, is
 * kept for the managers' alert by sync.ts and tried again by the job's backoff, never dropped.
 */
async function pushToPlatform<T>(what: string, deps: MarketplacesDeps, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    deps.log.error({ err, what }, 'a delivery platform did not take what the shop told it: tried again, the managers alerted');
    throw err;
  }
}

const marketplaceJobs = {
  async intake({ id }, deps) {
    const state = await toPlatform(`platform order ${id}`, deps, () => takeOrder(deps.db, id, deps));
    // waiting for the manager: let expire at the platform's deadline (the platform cancels it itself)
    const row = state === 'needs_mapping' || state === 'awaiting_manager' ? await readMarketplaceOrder(deps.db, id) : null;
    if (row?.accept_by) {
      await addJob(deps.queues.marketplaces, 'expire', { id }, { jobId: jobId.marketplaceExpire(id), delay: Math.max(0, row.accept_by.getTime() - Date.now()) + 1000 });
    }
    deps.log.info({ id, state }, 'platform order taken');
    return state;
  },
  async expire({ id }, { db }) {
    const row = await readMarketplaceOrder(db, id);
    if (!row?.accept_by || row.accept_by.getTime() > Date.now()) return false;
    return settle(db, id, 'expired');
  },
  async notice({ marketplace, notice: kept }, deps) {
    const { db, log } = deps;
    const notice = kept as unknown as MarketplaceNotice;
    const provider = deps.providers.find((p) => p.id === marketplace);
    const done = notice.kind === 'cancelled' ? await platformCancelled(db, marketplace, notice)
      : notice.kind === 'courier' ? await courierNews(db, marketplace, notice)
      : notice.kind === 'store' && provider ? await toPlatform(`store ${notice.storeId}`, deps, () => storeIntegrationChanged(db, provider, notice))
      : null;
    log.info({ marketplace, kind: notice.kind, eventId: notice.eventId, done }, 'platform notice acted on');
    return done;
  },
  step: ({ orderId, step }, deps) => toPlatform(`step ${step} of ${orderId}`, deps, () => tellStep(deps.db, orderId, step, deps)),
  cancel: ({ orderId }, deps) => toPlatform(`cancel of ${orderId}`, deps, () => tellCancel(deps.db, orderId, deps)),
  availability: ({ pizzeriaId }, deps) => pushToPlatform(`availability of shop ${pizzeriaId}`, deps, () => tellAvailability(deps.db, pizzeriaId, deps)),
  status: ({ pizzeriaId }, deps) => pushToPlatform(`status of shop ${pizzeriaId}`, deps, () => tellStoreStatus(deps.db, pizzeriaId, deps)),
  menu: ({ pizzeriaId, marketplace }, deps) => pushToPlatform(`menu of shop ${pizzeriaId}`, deps, () => pushMenu(deps.db, pizzeriaId, marketplace, deps)),
} satisfies Handlers<'marketplaces', MarketplacesDeps>;

/**
 * The delivery platforms' jobs: their orders taken onto the make line, their cancellations and
 * couriers acted on, and what they hear from us (steps, cancels, sold-outs, levers, the menu).
 */
export function startMarketplacesWorker(deps: MarketplacesDeps & { connection: ConnectionOptions; prefix: string }) {
  return new Worker<JobData<'marketplaces'>, unknown, JobName<'marketplaces'>>(QUEUES.marketplaces, processorOf('marketplaces', marketplaceJobs, deps), {
    connection: deps.connection,
    prefix: deps.prefix,
    concurrency: 8,
    ...SHORT_JOBS,
  });
}
