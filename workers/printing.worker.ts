import { UnrecoverableError, Worker, type ConnectionOptions } from 'bullmq';
import type { Logger } from 'pino';
import type { Db } from '../src/lib/server/db.ts';
import type { PrinterPolicy } from '../src/lib/server/printing/address.ts';
import { printOrder } from '../src/lib/server/printing/index.ts';
import { QUEUES, isJob, type JobData, type JobName, type JobOf } from '../src/lib/server/queues.ts';

/**
 * The kitchen's printer: an order's label when it is ready, a reprint or the whole ticket when
 * asked. A printer that fails is retried (the job's backoff, for about an hour) and raises the
 * shop's alert meanwhile; the order itself never waits on paper.
 */
export function startPrintingWorker(deps: {
  db: Db;
  connection: ConnectionOptions;
  prefix: string;
  origin: string;
  timeoutMs: number;
  /** Where a printer may be: checked again before each connection, whatever the database says. */
  policy: PrinterPolicy;
  log: Logger;
}) {
  const { log } = deps;
  return new Worker<JobData<'printing'>, unknown, JobName<'printing'>>(
    QUEUES.printing,
    async (job: JobOf<'printing'>) => {
      if (!isJob(job, 'print')) throw new UnrecoverableError('unknown printing job');
      const outcome = await printOrder(deps.db, job.data, { origin: deps.origin, timeoutMs: deps.timeoutMs, policy: deps.policy });
      log.info({ jobId: job.id, outcome }, 'print job handled');
      return outcome;
    },
    // one shop's printer is one socket: a few at once across the chain, never a flood
    { connection: deps.connection, prefix: deps.prefix, concurrency: 4 },
  );
}
