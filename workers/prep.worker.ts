import { Worker, type ConnectionOptions } from 'bullmq';
import type { Logger } from 'pino';
import type { Db } from '../src/lib/server/kernel/db.ts';
import { fireOrder, flagLate, flagLateStartedBy } from '../src/lib/server/orders/index.ts';
import { fireTimeAhead } from '../src/lib/server/orders/fire.ts';
import { QUEUES, SHORT_JOBS, type JobData, type JobName } from '../src/lib/server/kernel/queues.ts';
import { processorOf, type Handlers } from './job-handlers.ts';

const FIRE_ACTOR = { kind: 'system', name: 'planner' } as const;

interface PrepDeps {
  db: Db;
  log: Logger;
}

const prepJobs = {
  // a job run a little early (the clocks apart) is tried again a second later
  async fire({ orderId }, { db }) {
    const fired = await fireOrder(db, FIRE_ACTOR, orderId);
    if (!fired && (await fireTimeAhead(db, orderId))) throw new Error('fire time not reached yet: tried again');
    return fired ? 'fired' : 'nothing to fire';
  },
  async 'late-sweep'({ pizzeriaId, startedBy }, { db, log }) {
    const late = await flagLateStartedBy(db, pizzeriaId, new Date(startedBy));
    for (const orderId of late) log.warn({ orderId }, 'order is late');
    return late.length ? `${late.length} late` : 'on time';
  },
  async 'late-check'({ orderId }, { db, log }) {
    const flagged = await flagLate(db, orderId);
    if (flagged) log.warn({ orderId }, 'order is late');
    return flagged ? 'late' : 'on time';
  },
} satisfies Handlers<'prep', PrepDeps>;

/**
 * The preparation timers: when a shop's fires, its orders still in preparation that started by its
 * time are flagged late; when an order's own fires, that order if it still is. And an order for
 * later fired into the make line at its fire time.
 */
export function startPrepWorker(deps: PrepDeps & { connection: ConnectionOptions; prefix: string }) {
  return new Worker<JobData<'prep'>, unknown, JobName<'prep'>>(
    QUEUES.prep,
    processorOf('prep', prepJobs, deps, async (job) => {
      throw new Error(`unknown preparation job ${job.name}`);
    }),
    { connection: deps.connection, prefix: deps.prefix, concurrency: 5, ...SHORT_JOBS },
  );
}
