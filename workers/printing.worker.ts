import { Worker, type ConnectionOptions } from 'bullmq';
import type { Logger } from 'pino';
import type { Db } from '../src/lib/server/kernel/db.ts';
import type { PrinterPolicy } from '../src/lib/server/printing/address.ts';
import { printOrder } from '../src/lib/server/printing/index.ts';
import type { FiscalKey } from '../src/lib/server/fiscal/keys.ts';
import { QUEUES, SHORT_JOBS, type JobData, type JobName } from '../src/lib/server/kernel/queues.ts';
import { processorOf, type Handlers } from './job-handlers.ts';

interface PrintingDeps {
  db: Db;
  origin: string;
  timeoutMs: number;
  /** Where a printer may be: checked again before each connection, whatever the database says. */
  policy: PrinterPolicy;
  /** Signs the duplicates of receipts printed again (the fiscal journal's key). */
  key: FiscalKey;
  log: Logger;
}

const printingJobs = {
  async print(data, { db, origin, timeoutMs, policy, key, log }, job) {
    const outcome = await printOrder(db, data, { origin, timeoutMs, policy, key });
    log.info({ jobId: job.id, outcome }, 'print job handled');
    return outcome;
  },
} satisfies Handlers<'printing', PrintingDeps>;

/**
 * The kitchen's printer: an order's label when it is ready, a reprint or the whole ticket when
 * asked. A printer that fails is retried (the job's backoff, for about an hour) and raises the
 * shop's alert meanwhile; the order itself never waits on paper.
 */
export function startPrintingWorker(deps: PrintingDeps & { connection: ConnectionOptions; prefix: string }) {
  return new Worker<JobData<'printing'>, unknown, JobName<'printing'>>(
    QUEUES.printing,
    processorOf('printing', printingJobs, deps),
    // one shop's printer is one socket: a few at once across the chain, never a flood
    { connection: deps.connection, prefix: deps.prefix, concurrency: 4, ...SHORT_JOBS },
  );
}
