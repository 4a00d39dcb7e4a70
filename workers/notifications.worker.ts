import { UnrecoverableError, Worker, type ConnectionOptions } from 'bullmq';
import type { Logger } from 'pino';
import type { EtaSettings, TravelMode } from '../src/lib/domain/eta.ts';
import type { Db } from '../src/lib/server/db.ts';
import type { Mailer } from '../src/lib/server/mailer.ts';
import { notifyCustomer, type MessageLimits, type NotificationStep } from '../src/lib/server/notifications.ts';
import { QUEUES, isJob, type JobData, type JobName, type JobOf } from '../src/lib/server/queues.ts';
import type { SmsProvider } from '../src/lib/server/sms.ts';

const STEP = /^(received|ready|out_for_delivery|delivered|collected|cancelled|hold-failed|refunded-\d+|refund-\d+|delayed-\d+)$/;

/** Customer notifications: an email (and for some steps an SMS) per order and step, once. */
export function startNotificationsWorker(deps: {
  db: Db;
  connection: ConnectionOptions;
  prefix: string;
  mailer: Mailer;
  sms: SmsProvider;
  origin: string;
  eta: EtaSettings;
  mode: TravelMode;
  limits?: MessageLimits;
  log: Logger;
}) {
  const { log } = deps;
  return new Worker<JobData<'notifications'>, unknown, JobName<'notifications'>>(
    QUEUES.notifications,
    async (job: JobOf<'notifications'>) => {
      if (!isJob(job, 'send')) throw new UnrecoverableError('unknown notifications job');
      const { orderId, step } = job.data;
      if (!STEP.test(step)) throw new UnrecoverableError(`unknown step ${step}`);
      const done = await notifyCustomer({ ...deps, log }, orderId, step as NotificationStep);
      log.info({ orderId, step, ...done }, 'customer notified');
      return done;
    },
    { connection: deps.connection, prefix: deps.prefix, concurrency: 5 },
  );
}
