import { Worker, type ConnectionOptions, type Queue } from 'bullmq';
import type { Logger } from 'pino';
import { createBackup } from '../src/lib/server/operations/backup.ts';
import { backupStoreFrom } from '../src/lib/server/operations/backup-store.ts';
import type { Config } from '../src/lib/server/kernel/config.ts';
import type { Db } from '../src/lib/server/kernel/db.ts';
import { runMaintenance } from '../src/lib/server/operations/maintenance.ts';
import { closeDueDays } from '../src/lib/server/fiscal/closings.ts';
import { journalOrders, ordersNotJournaled } from '../src/lib/server/fiscal/order-facts.ts';
import { fiscalKeyOf, recordKeyOnce } from '../src/lib/server/fiscal/signing.ts';
import { QUEUES, RETIRED_SCHEDULERS, SCHEDULERS, type JobData, type JobName, type Queues } from '../src/lib/server/kernel/queues.ts';
import { processorOf, type Handlers } from './job-handlers.ts';

/** The daily closings' schedule: every day at FISCAL_CLOSING_HOUR, Paris time (cron). */
export const closingsPattern = (config: Pick<Config, 'FISCAL_CLOSING_HOUR'>) => `0 ${config.FISCAL_CLOSING_HOUR} * * *`;

/** Registers the schedules: daily backup, the shops' daily closings and weekly housekeeping (the reconciler does what the sweeps did). */
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
  await schedules.upsertJobScheduler(SCHEDULERS.closings, { pattern: closingsPattern(config), tz: 'Europe/Paris' }, { name: 'closings', data: { trigger: 'schedule' } });
  for (const key of RETIRED_SCHEDULERS) await schedules.removeJobScheduler(key);
}

interface MaintenanceDeps {
  db: Db;
  config: Config;
  store: ReturnType<typeof backupStoreFrom>;
  log: Logger;
}

const maintenanceJobs = {
  async backup({ trigger }, { db, config, store, log }) {
    try {
      const result = await createBackup(db, config.DATABASE_URL, config.BACKUP_DIR, trigger ?? 'schedule', store.keep);
      const pruned = await store.prune(config.BACKUP_RETENTION_DAYS);
      log.info({ file: result.file, bytes: result.bytes, tables: result.tables, pruned }, 'backup done');
      return { file: result.file, bytes: result.bytes, pruned: pruned.length };
    } catch (err) {
      log.error({ err }, 'backup failed');
      throw err;
    }
  },
  async housekeeping({ trigger }, { db, config, log }) {
    const result = await runMaintenance(db, config.EVENT_ARCHIVE_DAYS, trigger ?? 'schedule');
    log.info(result, 'maintenance done');
    return result;
  },
  /**
   * The shops' days that are over, closed (src/lib/server/fiscal/closings.ts), after what the orders
   * of the last days say and the journal lacks is written (the journal's own sweep, at once).
   */
  async closings(_data, { db, config, log }) {
    const key = fiscalKeyOf(config);
    await recordKeyOnce(db, key);
    await journalOrders(db, key, await ordersNotJournaled(db));
    const result = await closeDueDays(db, key, { closingHour: config.FISCAL_CLOSING_HOUR, yearStartMonth: config.FISCAL_YEAR_START_MONTH });
    const closed = result.written.map((e) => `${e.chain}:${(e.body as { level: string }).level}:${(e.body as { period: { key: string } }).period.key}`);
    log.info({ shops: result.shops, closings: closed }, 'fiscal closings done');
    return { shops: result.shops, closings: closed.length };
  },
} satisfies Handlers<'maintenance', MaintenanceDeps>;

/** A sweep queued before an upgrade: the reconciler does its work now. */
async function retiredJob(job: { name: string }) {
  if ((RETIRED_SCHEDULERS as readonly string[]).includes(job.name)) return 'done by the reconciler';
  throw new Error(`unknown maintenance job ${job.name}`);
}

export function startMaintenanceWorker(deps: { db: Db; config: Config; connection: ConnectionOptions; prefix: string; log: Logger }) {
  const ctx = { ...deps, store: backupStoreFrom(deps.config) };
  return new Worker<JobData<'maintenance'>, unknown, JobName<'maintenance'>>(
    QUEUES.maintenance,
    processorOf('maintenance', maintenanceJobs, ctx, retiredJob),
    // a backup can take minutes on a big database: keep the lock alive meanwhile
    { connection: deps.connection, prefix: deps.prefix, concurrency: 1, lockDuration: 120_000 },
  );
}
