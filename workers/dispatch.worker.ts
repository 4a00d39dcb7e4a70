import { Worker, type ConnectionOptions } from 'bullmq';
import type { Logger } from 'pino';
import type { Db } from '../src/lib/server/kernel/db.ts';
import { dispatchOrder, type DispatchSettings } from '../src/lib/server/delivery/dispatch.ts';
import type { PositionStore } from '../src/lib/server/road/positions.ts';
import { QUEUES, SHORT_JOBS, type JobData, type JobName } from '../src/lib/server/kernel/queues.ts';
import { processorOf, type Handlers } from './job-handlers.ts';

interface DispatchDeps {
  db: Db;
  positions: PositionStore | null;
  settings: DispatchSettings;
  log: Logger;
}

const dispatchJobs = {
  async assign({ orderId }, { db, positions, settings, log }) {
    const result = await dispatchOrder(db, positions, orderId, settings);
    switch (result.state) {
      case 'assigned':
        log.info({ orderId, driverId: result.driverId, batch: result.orderIds, byPlan: result.byPlan }, 'driver assigned');
        return `driver ${result.driverId}`;
      case 'offered':
        log.info({ orderId, driverId: result.driverId, batch: result.orderIds, byPlan: result.byPlan }, 'delivery offered');
        throw new Error(`offered to driver ${result.driverId}, waiting for the answer`);
      case 'offer_pending':
        throw new Error(`waiting for driver ${result.driverId} to answer`);
      case 'no_driver':
        throw new Error('no driver free yet, retrying');
      default:
        return 'not needed';
    }
  },
} satisfies Handlers<'dispatch', DispatchDeps>;

/**
 * Delivery dispatch: each attempt offers the order to the driver the shop's plan chose for it (then
 * to the best driver by dispatch's ranking), or finds the offer still open, or expires it and
 * offers the next. The job is retried (its fixed backoff) until a driver
 * has the order, so an unanswered offer expires within one retry of its time.
 */
export function startDispatchWorker(deps: DispatchDeps & { connection: ConnectionOptions; prefix: string }) {
  return new Worker<JobData<'dispatch'>, unknown, JobName<'dispatch'>>(QUEUES.dispatch, processorOf('dispatch', dispatchJobs, deps), {
    connection: deps.connection,
    prefix: deps.prefix,
    concurrency: 2,
    ...SHORT_JOBS,
  });
}
