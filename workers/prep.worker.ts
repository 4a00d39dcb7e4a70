import { Worker, type ConnectionOptions } from 'bullmq';
import type { Logger } from 'pino';
import type { Db } from '../src/lib/server/db.ts';
import { fireOrder, flagLate, flagLateStartedBy } from '../src/lib/server/orders.ts';
import { isJob, QUEUES, type JobData, type JobName } from '../src/lib/server/queues.ts';

const FIRE_ACTOR = { kind: 'system', name: 'planner' } as const;

/**
 * The preparation timers: when a shop's fires, its orders still in preparation that started by its
 * time are flagged late; when an order's own fires, that order if it still is. And an order for later fired into the make line at its fire time (a job run a little early, the
 * clocks apart, is tried again a second later).
 */
export function startPrepWorker(deps: { db: Db; connection: ConnectionOptions; prefix: string; log: Logger }) {
  return new Worker<JobData<'prep'>, unknown, JobName<'prep'>>(
    QUEUES.prep,
    async (job) => {
      if (isJob(job, 'fire')) {
        const fired = await fireOrder(deps.db, FIRE_ACTOR, job.data.orderId);
        if (!fired) {
          const { rows } = await deps.db.query<{ early: boolean }>(
            `SELECT fire_at > now() AS early FROM orders WHERE id = $1 AND fired_at IS NULL AND status = 'received'`, [job.data.orderId]);
          if (rows[0]?.early) throw new Error('fire time not reached yet: tried again');
        }
        return fired ? 'fired' : 'nothing to fire';
      }
      if (isJob(job, 'late-sweep')) {
        const late = await flagLateStartedBy(deps.db, job.data.pizzeriaId, new Date(job.data.startedBy));
        for (const orderId of late) deps.log.warn({ orderId }, 'order is late');
        return late.length ? `${late.length} late` : 'on time';
      }
      if (!isJob(job, 'late-check')) throw new Error(`unknown preparation job ${job.name}`);
      const flagged = await flagLate(deps.db, job.data.orderId);
      if (flagged) deps.log.warn({ orderId: job.data.orderId }, 'order is late');
      return flagged ? 'late' : 'on time';
    },
    { connection: deps.connection, prefix: deps.prefix, concurrency: 5 },
  );
}
