import { Worker, type ConnectionOptions } from 'bullmq';
import type { Logger } from 'pino';
import type { Db } from '../src/lib/server/db.ts';
import { assignDriver } from '../src/lib/server/orders.ts';
import { QUEUES, type JobData, type JobName } from '../src/lib/server/queues.ts';

/** Delivery assignment: retried (the job's backoff) until a driver of the shop is free. */
export function startDispatchWorker(deps: { db: Db; connection: ConnectionOptions; prefix: string; log: Logger }) {
  return new Worker<JobData<'dispatch'>, unknown, JobName<'dispatch'>>(
    QUEUES.dispatch,
    async (job) => {
      const result = await assignDriver(deps.db, job.data.orderId);
      if (result.assigned) {
        deps.log.info({ orderId: job.data.orderId, driverId: result.driverId }, 'driver assigned');
        return `driver ${result.driverId}`;
      }
      if (result.reason === 'no_driver') throw new Error('no driver free yet, retrying');
      return 'not needed';
    },
    { connection: deps.connection, prefix: deps.prefix, concurrency: 2 },
  );
}
