import { UnrecoverableError, type Job } from 'bullmq';
import type { JobData, JobName, JobOf, QueueKey } from '../src/lib/server/kernel/queues.ts';

/** Runs one job of queue `K` named `N`: its payload, what the worker was given, and the job itself. */
export type Handler<K extends QueueKey, N extends JobName<K>, C> = (data: JobData<K, N>, ctx: C, job: Job<JobData<K, N>, unknown, N>) => Promise<unknown>;

/**
 * A handler for every job the queue map (src/lib/server/kernel/queues.ts) gives queue `K`: a job added to
 * the map without its handler does not compile, where it used to fail each time it ran.
 */
export type Handlers<K extends QueueKey, C> = { [N in JobName<K>]: Handler<K, N, C> };

/**
 * A worker's processor: each job to the handler of its name. A name the map does not know (a job an
 * earlier version queued) goes to `unknown`, by default a failure retrying cannot mend.
 */
export function processorOf<K extends QueueKey, C>(queue: K, handlers: Handlers<K, C>, ctx: C, unknown?: (job: JobOf<K>) => Promise<unknown>) {
  return async (job: JobOf<K>): Promise<unknown> => {
    const handler = Object.hasOwn(handlers, job.name) ? (handlers[job.name] as Handler<K, JobName<K>, C>) : undefined;
    if (handler) return handler(job.data, ctx, job);
    if (unknown) return unknown(job);
    throw new UnrecoverableError(`unknown ${queue} job ${job.name}`);
  };
}
