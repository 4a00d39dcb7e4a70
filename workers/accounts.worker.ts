import { UnrecoverableError, Worker, type ConnectionOptions } from 'bullmq';
import type { Logger } from 'pino';
import type { Db } from '../src/lib/server/db.ts';
import { QUEUES, isJob, type JobData, type JobName, type JobOf } from '../src/lib/server/queues.ts';
import { sendPasswordReset, type AccountLinks } from '../src/lib/server/staff.ts';

/**
 * Staff accounts' emails asked for from outside: "forgot your password?" looks the account up here,
 * not in the request, makes the link in Postgres and mails it (an unknown email: nothing).
 */
export function startAccountsWorker(deps: { db: Db; connection: ConnectionOptions; prefix: string; links: AccountLinks; log: Logger }) {
  const { log } = deps;
  return new Worker<JobData<'accounts'>, unknown, JobName<'accounts'>>(
    QUEUES.accounts,
    async (job: JobOf<'accounts'>) => {
      if (!isJob(job, 'password-reset')) throw new UnrecoverableError('unknown accounts job');
      const done = await sendPasswordReset(deps.db, job.data.email, deps.links);
      // the email stays out of the log: whether it has an account is what the request hides
      log.info({ jobId: job.id, done }, 'password reset request handled');
      return done;
    },
    { connection: deps.connection, prefix: deps.prefix, concurrency: 2 },
  );
}
