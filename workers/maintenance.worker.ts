import { Worker, type ConnectionOptions } from 'bullmq';
import type { Logger } from 'pino';
import { createBackup, pruneBackups } from '../src/lib/server/backup.ts';
import type { Config } from '../src/lib/server/config.ts';
import type { Db } from '../src/lib/server/db.ts';
import { runMaintenance } from '../src/lib/server/maintenance.ts';
import { ordersWaitingForDriver } from '../src/lib/server/orders.ts';
import { dispatchJobOptions, ensureJob, jobId, QUEUES, SCHEDULERS, type Queues } from './queues.ts';

/** Registers the schedules: daily backup, weekly housekeeping, and a sweep for deliveries still without a driver. */
export async function scheduleMaintenance(queues: Queues, config: Config) {
  await queues.maintenance.upsertJobScheduler(SCHEDULERS.backup, { pattern: config.BACKUP_CRON, tz: 'UTC' }, { name: 'backup', data: { trigger: 'schedule' } });
  await queues.maintenance.upsertJobScheduler(
    SCHEDULERS.housekeeping,
    { pattern: config.MAINTENANCE_CRON, tz: 'UTC' },
    { name: 'housekeeping', data: { trigger: 'schedule' } },
  );
  // a driver starting a shift, or a delivery whose retries ran out, is picked up within a minute
  await queues.maintenance.upsertJobScheduler(SCHEDULERS.dispatchSweep, { every: 60_000 }, { name: 'dispatch-sweep', data: {} });
  // an online payment whose jobs failed for good (a long outage) is tried again
  await queues.maintenance.upsertJobScheduler(SCHEDULERS.paymentsSweep, { every: 60_000 }, { name: 'payments-sweep', data: {} });
}

export function startMaintenanceWorker(deps: { db: Db; config: Config; queues: Queues; connection: ConnectionOptions; prefix: string; log: Logger }) {
  const { db, config, queues, log } = deps;
  return new Worker(
    QUEUES.maintenance,
    async (job) => {
      if (job.name === 'backup') {
        try {
          const result = await createBackup(db, config.DATABASE_URL, config.BACKUP_DIR, job.data.trigger ?? 'schedule');
          const pruned = await pruneBackups(config.BACKUP_DIR, config.BACKUP_RETENTION_DAYS);
          log.info({ file: result.file, bytes: result.bytes, tables: result.tables, pruned }, 'backup done');
          return { file: result.file, bytes: result.bytes, pruned: pruned.length };
        } catch (err) {
          log.error({ err }, 'backup failed');
          throw err;
        }
      }
      if (job.name === 'housekeeping') {
        const result = await runMaintenance(db, config.EVENT_ARCHIVE_DAYS, job.data.trigger ?? 'schedule');
        log.info(result, 'maintenance done');
        return result;
      }
      if (job.name === 'dispatch-sweep') {
        let queued = 0;
        for (const orderId of await ordersWaitingForDriver(db)) {
          // same job id as the event reactor's: no duplicate while one is pending, a retry if it gave up
          const r = await ensureJob(queues.dispatch, 'assign', { orderId }, dispatchJobOptions(orderId, config.DISPATCH_RETRY_MS));
          if (r === 'added' || r === 'retried') queued++;
        }
        return { queued };
      }
      if (job.name === 'payments-sweep') {
        const { rows } = await db.query<{ id: string }>(
          `SELECT id FROM orders WHERE status = 'pending_payment' AND payment_method = 'online' AND created_at < now() - interval '1 minute'`,
        );
        let retried = 0;
        for (const { id } of rows) {
          for (const jid of [jobId.paymentBegin(id), jobId.paymentConfirm(id)]) {
            const j = await queues.payments.getJob(jid);
            if (j && (await j.getState()) === 'failed') {
              await j.retry('failed');
              retried++;
            }
          }
        }
        if (retried) log.warn({ retried }, 'payment jobs that had given up were retried');
        return { retried };
      }
      throw new Error(`unknown maintenance job ${job.name}`);
    },
    // a backup can take minutes on a big database: keep the lock alive meanwhile
    { connection: deps.connection, prefix: deps.prefix, concurrency: 1, lockDuration: 120_000 },
  );
}
