import { Worker, type ConnectionOptions } from 'bullmq';
import type { Logger } from 'pino';
import type { Db } from '../src/lib/server/db.ts';
import { flagLate } from '../src/lib/server/orders.ts';
import { QUEUES, type JobData, type JobName } from '../src/lib/server/queues.ts';

/** The preparation timer: when it fires and the order is still in preparation, it is flagged late. */
export function startPrepWorker(deps: { db: Db; connection: ConnectionOptions; prefix: string; log: Logger }) {
  return new Worker<JobData<'prep'>, unknown, JobName<'prep'>>(
    QUEUES.prep,
    async (job) => {
      const flagged = await flagLate(deps.db, job.data.orderId);
      if (flagged) deps.log.warn({ orderId: job.data.orderId }, 'order is late');
      return flagged ? 'late' : 'on time';
    },
    { connection: deps.connection, prefix: deps.prefix, concurrency: 5 },
  );
}
