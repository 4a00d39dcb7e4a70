import { Worker, type ConnectionOptions, type Queue } from 'bullmq';
import type { Logger } from 'pino';
import { createBackup } from '../src/lib/server/backup.ts';
import { backupStoreFrom } from '../src/lib/server/backup-store.ts';
import type { Config } from '../src/lib/server/config.ts';
import type { Db } from '../src/lib/server/db.ts';
import { runMaintenance } from '../src/lib/server/maintenance.ts';
import { QUEUES, RETIRED_SCHEDULERS, SCHEDULERS, type JobData, type JobName, type Queues } from '../src/lib/server/queues.ts';

/** Registers the schedules: daily backup and weekly housekeeping (the reconciler does what the sweeps did). */
export async function scheduleMaintenance(queues: Queues, config: Config) {
  // BullMQ types a scheduler's id as a job name; ours are ids, the template names the job
  const schedules = queues.maintenance as Queue;
  if (config.BACKUP_CRON === 'off') await schedules.removeJobScheduler(SCHEDULERS.backup);
  else await schedules.upsertJobScheduler(SCHEDULERS.backup, { pattern: config.BACKUP_CRON, tz: 'UTC' }, { name: 'backup', data: { trigger: 'schedule' } });
  await schedules.upsertJobScheduler(
    SCHEDULERS.housekeeping,
    { pattern: config.MAINTENANCE_CRON, tz: 'UTC' },
    { name: 'housekeeping', data: { trigger: 'schedule' } },
  );
  for (const key of RETIRED_SCHEDULERS) await schedules.removeJobScheduler(key);
}

export function startMaintenanceWorker(deps: { db: Db; config: Config; connection: ConnectionOptions; prefix: string; log: Logger }) {
  const { db, config, log } = deps;
  const store = backupStoreFrom(config);
  return new Worker<JobData<'maintenance'>, unknown, JobName<'maintenance'>>(
    QUEUES.maintenance,
    async (job) => {
      if (job.name === 'backup') {
        try {
          const result = await createBackup(db, config.DATABASE_URL, config.BACKUP_DIR, job.data.trigger ?? 'schedule', store.keep);
          const pruned = await store.prune(config.BACKUP_RETENTION_DAYS);
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
      // a sweep queued before an upgrade: the reconciler does its work now
      if ((RETIRED_SCHEDULERS as readonly string[]).includes(job.name)) return 'done by the reconciler';
      throw new Error(`unknown maintenance job ${job.name}`);
    },
    // a backup can take minutes on a big database: keep the lock alive meanwhile
    { connection: deps.connection, prefix: deps.prefix, concurrency: 1, lockDuration: 120_000 },
  );
}
