import { Worker, type ConnectionOptions } from 'bullmq';
import type { Logger } from 'pino';
import type { Db } from '../src/lib/server/kernel/db.ts';
import { QUEUES, SHORT_JOBS, type JobData, type JobName } from '../src/lib/server/kernel/queues.ts';
import { sendPasswordReset, type AccountLinks } from '../src/lib/server/staff/staff.ts';
import { processorOf, type Handlers } from './job-handlers.ts';

interface AccountDeps {
  db: Db;
  links: AccountLinks;
  log: Logger;
}

const accountJobs = {
  async 'password-reset'({ email }, { db, links, log }, job) {
    const done = await sendPasswordReset(db, email, links);
    // the email stays out of the log: whether it has an account is what the request hides
    log.info({ jobId: job.id, done }, 'password reset request handled');
    return done;
  },
} satisfies Handlers<'accounts', AccountDeps>;

/**
 * Staff accounts' emails asked for from outside: "forgot your password?" looks the account up here,
 * not in the request, makes the link in Postgres and mails it (an unknown email: nothing).
 */
export function startAccountsWorker(deps: AccountDeps & { connection: ConnectionOptions; prefix: string }) {
  return new Worker<JobData<'accounts'>, unknown, JobName<'accounts'>>(QUEUES.accounts, processorOf('accounts', accountJobs, deps), {
    connection: deps.connection,
    prefix: deps.prefix,
    concurrency: 2,
    ...SHORT_JOBS,
  });
}
