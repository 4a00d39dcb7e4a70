import { Worker, type ConnectionOptions } from 'bullmq';
import type { Logger } from 'pino';
import type { Db } from '../src/lib/server/db.ts';
import { fireOrder, flagLate } from '../src/lib/server/orders.ts';
import { QUEUES, type JobData, type JobName } from '../src/lib/server/queues.ts';

const FIRE_ACTOR = { kind: 'system', name: 'planner' } as const;

/**
 * The preparation timer: when it fires and the order is still in preparation, it is flagged late.
 * And an order for later fired into the make line at its fire time (a job run a little early, the
 * clocks apart, is tried again a second later).
 */
export function startPrepWorker(deps: { db: Db; connection: ConnectionOptions; prefix: string; log: Logger }) {
  return new Worker<JobData<'prep'>, unknown, JobName<'prep'>>(
    QUEUES.prep,
    async (job) => {
      if (job.name === 'fire') {
        const fired = await fireOrder(deps.db, FIRE_ACTOR, job.data.orderId);
        if (!fired) {
          const { rows } = await deps.db.query<{ early: boolean }>(
            `SELECT fire_at > now() AS early FROM orders WHERE id = $1 AND fired_at IS NULL AND status = 'received'`, [job.data.orderId]);
          if (rows[0]?.early) throw new Error('fire time not reached yet: tried again');
        }
        return fired ? 'fired' : 'nothing to fire';
      }
      const flagged = await flagLate(deps.db, job.data.orderId);
      if (flagged) deps.log.warn({ orderId: job.data.orderId }, 'order is late');
      return flagged ? 'late' : 'on time';
    },
    { connection: deps.connection, prefix: deps.prefix, concurrency: 5 },
  );
}
