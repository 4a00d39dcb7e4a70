import { UnrecoverableError, Worker, type ConnectionOptions } from 'bullmq';
import type { Logger } from 'pino';
import type { EtaSettings, TravelMode } from '../src/lib/domain/eta.ts';
import type { Db } from '../src/lib/server/kernel/db.ts';
import type { Mailer } from '../src/lib/server/kernel/mailer.ts';
import { notifyCustomer, type MessageLimits, type NotificationStep } from '../src/lib/server/messages/notifications.ts';
import { QUEUES, SHORT_JOBS, type JobData, type JobName } from '../src/lib/server/kernel/queues.ts';
import type { SmsProvider } from '../src/lib/server/kernel/sms.ts';
import { processorOf, type Handlers } from './job-handlers.ts';

const STEP = /^(received|ready|out_for_delivery|delivered|collected|cancelled|hold-failed|refunded-\d+|refund-\d+|delayed-\d+)$/;

interface NotificationsDeps {
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
}

const notificationJobs = {
  async send({ orderId, step }, deps) {
    if (!STEP.test(step)) throw new UnrecoverableError(`unknown step ${step}`);
    const done = await notifyCustomer(deps, orderId, step as NotificationStep);
    deps.log.info({ orderId, step, ...done }, 'customer notified');
    return done;
  },
} satisfies Handlers<'notifications', NotificationsDeps>;

/** Customer notifications: an email (and for some steps an SMS) per order and step, once. */
export function startNotificationsWorker(deps: NotificationsDeps) {
  return new Worker<JobData<'notifications'>, unknown, JobName<'notifications'>>(QUEUES.notifications, processorOf('notifications', notificationJobs, deps), {
    connection: deps.connection,
    prefix: deps.prefix,
    concurrency: 5,
    ...SHORT_JOBS,
  });
}
