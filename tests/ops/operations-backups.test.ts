// Backups and restores, end to end against real Postgres and child processes: `npm run db:backup`
// writes a checked dump and records it, a restore brings the data back, a failed backup shows in the
// metrics, pruning keeps other files, and the workers schedule the daily backup. No mocks.
import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { readdir, stat, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  Client,
  SHOPS,
  createSideDatabase,
  databaseExists,
  databaseUrlFor,
  deleteRedisKeys,
  npmRun,
  samplesOf,
  sideDatabaseName,
  silentLog,
  testConfig,
  waitUntil,
  move,
} from '../helpers.ts';
import { backupFileName, createBackup, pruneBackups } from '../../src/lib/server/operations/backup.ts';
import { startWorkers } from '../../workers/workers.ts';
import { scheduleMaintenance } from '../../workers/maintenance.worker.ts';
import { SCHEDULERS } from '../../src/lib/server/kernel/queues.ts';
import { DUMP_NAME, queryOn, tableDigests, useOperations } from '../operations.ts';
import { fileDatabase } from '../file-database.ts';

const databaseUrl = fileDatabase().databaseUrl;
const execFileP = promisify(execFile);
const { stack, sideDatabases, tmpDir, metrics, metricValue, placePickup } = useOperations();

// each spawns npm commands (backup, restore, migrate): 20 s and more on a busy machine, so 90 s each
describe('backups and restores', () => {
  it('npm run db:backup writes a checked dump and records it; a restore into a fresh database brings back the data as of the backup, refuses a non-empty one unless --force, and fails clearly on a missing file', async () => {
    const dir = await tmpDir('backup');
    const before = await tableDigests(databaseUrl);

    const backup = await npmRun('db:backup', [], { DATABASE_URL: databaseUrl, BACKUP_DIR: dir, NODE_ENV: 'test' });
    expect(backup.code, backup.stderr).toBe(0);
    const files = await readdir(dir);
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(DUMP_NAME);
    const file = join(dir, files[0]);
    expect(backup.stdout.trim().split('\n').at(-1)).toBe(file);

    // the dump is one pg_restore reads, with the data of our tables
    const { stdout: listing } = await execFileP('pg_restore', ['--list', file]);
    // (the order events' data is in their months' tables: migration 0110)
    for (const t of ['orders', 'order_events_\\d{4}_\\d{2}', 'stock']) expect(listing).toMatch(new RegExp(`TABLE DATA public ${t} `));

    const { rows: recorded } = await stack.pool.query('SELECT * FROM backups WHERE file = $1', [file]);
    expect(recorded).toHaveLength(1);
    expect(recorded[0]).toMatchObject({ ok: true, error: null, trigger: 'manual', bytes: (await stat(file)).size });
    expect(recorded[0].finished_at).toBeInstanceOf(Date);

    // life goes on after the backup: an order is placed and its preparation consumes stock
    const kitchen = await new Client(stack.base).login('kitchen.montmartre@ocpizza.test');
    const after = await placePickup(SHOPS.montmartre);
    await move(kitchen, after.id, 'preparing');
    await move(kitchen, after.id, 'ready');
    await move(kitchen, after.id, 'collected');
    const changed = await tableDigests(databaseUrl);
    for (const t of ['orders', 'order_events', 'stock']) expect(changed[t], t).not.toEqual(before[t]);

    // restore into a database that does not exist yet: the command creates it
    const target = sideDatabaseName('restored');
    sideDatabases.push(target);
    const targetUrl = databaseUrlFor(target);
    const restored = await npmRun('db:restore', [file, '--to', targetUrl], { DATABASE_URL: databaseUrl, NODE_ENV: 'test' });
    expect(restored.code, restored.stderr).toBe(0);
    expect(restored.stdout).toContain(`restored ${file} into ${target}`);
    expect(await tableDigests(targetUrl)).toEqual(before);
    expect(await queryOn(targetUrl, 'SELECT id FROM orders WHERE id = $1', [after.id])).toEqual([]);

    // the same again into the now non-empty database: refused, and nothing in it changes
    await queryOn(targetUrl, `INSERT INTO maintenance_runs (sessions_deleted, events_archived, trigger) VALUES (0, 0, 'marker')`);
    const marked = await tableDigests(targetUrl);
    const refused = await npmRun('db:restore', [file, '--to', targetUrl], { DATABASE_URL: databaseUrl, NODE_ENV: 'test' });
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/not empty.*--force/);
    expect(await tableDigests(targetUrl)).toEqual(marked);
    expect(await queryOn(targetUrl, `SELECT 1 FROM maintenance_runs WHERE trigger = 'marker'`)).toHaveLength(1);

    // with --force it replaces the contents with the backup's
    const forced = await npmRun('db:restore', [file, '--to', targetUrl, '--force'], { DATABASE_URL: databaseUrl, NODE_ENV: 'test' });
    expect(forced.code, forced.stderr).toBe(0);
    expect(await tableDigests(targetUrl)).toEqual(before);
    expect(await queryOn(targetUrl, `SELECT 1 FROM maintenance_runs WHERE trigger = 'marker'`)).toEqual([]);

    // a file that is not there: a clear message, and no database created on the way
    const missing = join(dir, 'ocpizza-1999-01-01T00-00-00Z.dump');
    const nowhere = sideDatabaseName('never');
    sideDatabases.push(nowhere);
    const failed = await npmRun('db:restore', [missing, '--to', databaseUrlFor(nowhere)], { DATABASE_URL: databaseUrl, NODE_ENV: 'test' });
    expect(failed.code).not.toBe(0);
    expect(failed.stderr).toContain(missing);
    expect(failed.stderr).toMatch(/not found|no such file/i);
    expect(await databaseExists(nowhere)).toBe(false);

    // a file that is not a dump: refused before touching anything
    const junk = join(dir, 'junk.dump');
    await writeFile(junk, 'not a dump at all');
    const notADump = await npmRun('db:restore', [junk, '--to', targetUrl, '--force'], { DATABASE_URL: databaseUrl, NODE_ENV: 'test' });
    expect(notADump.code).not.toBe(0);
    expect(notADump.stderr).toContain(junk);
    expect(await tableDigests(targetUrl)).toEqual(before);
    const intoNowhere = await npmRun('db:restore', [junk, '--to', databaseUrlFor(nowhere)], { DATABASE_URL: databaseUrl, NODE_ENV: 'test' });
    expect(intoNowhere.code).not.toBe(0);
    expect(await databaseExists(nowhere)).toBe(false);
  }, 90_000);

  it('a failed backup is recorded with its error and shows as ocpizza_backup_last_ok 0 until a good one brings it back to 1', async () => {
    const dir = await tmpDir('failing');
    const failuresBefore = (await metricValue('ocpizza_backup_failures_total')) ?? 0;

    // a database that does not exist
    const badUrl = databaseUrlFor(sideDatabaseName('missing'));
    await expect(createBackup(stack.pool, badUrl, dir, 'test')).rejects.toThrow(/backup failed: .*does not exist/);
    const { rows: lastRows } = await stack.pool.query('SELECT * FROM backups ORDER BY id DESC LIMIT 1');
    expect(lastRows[0]).toMatchObject({ ok: false, trigger: 'test', bytes: null });
    expect(lastRows[0].error).toMatch(/does not exist/);
    expect(lastRows[0].finished_at).toBeInstanceOf(Date);
    expect(await readdir(dir)).toEqual([]); // no half-written dump left behind

    await waitUntil(async () => (await metricValue('ocpizza_backup_last_ok')) === 0, 5000, 'ocpizza_backup_last_ok 0');

    // a directory that cannot be written (a path under a regular file)
    const blocker = join(dir, 'a-file');
    await writeFile(blocker, '');
    await expect(createBackup(stack.pool, databaseUrl, join(blocker, 'backups'), 'test')).rejects.toThrow(/backup failed/);
    const { rows: second } = await stack.pool.query('SELECT ok, error FROM backups ORDER BY id DESC LIMIT 1');
    expect(second[0]).toMatchObject({ ok: false, error: expect.stringMatching(/ENOTDIR|not a directory/) });
    await waitUntil(
      async () => (await metricValue('ocpizza_backup_failures_total')) === failuresBefore + 2,
      5000,
      'two more failures counted',
    );
    expect(await metricValue('ocpizza_backup_last_ok')).toBe(0);

    const good = await createBackup(stack.pool, databaseUrl, dir, 'test');
    expect(good.bytes).toBeGreaterThan(0);
    await waitUntil(async () => (await metricValue('ocpizza_backup_last_ok')) === 1, 5000, 'ocpizza_backup_last_ok 1');
    const m = await metrics();
    expect(samplesOf(m, 'ocpizza_backup_last_size_bytes')[0].value).toBe(good.bytes);
    expect(samplesOf(m, 'ocpizza_backup_last_success_timestamp_seconds')[0].value).toBeGreaterThan(Date.now() / 1000 - 60);
  }, 90_000);

  it('pruning deletes only our dumps older than the retention, never any other file', async () => {
    const dir = await tmpDir('prune');
    const now = new Date('2026-11-22T03:00:00Z');
    const daysAgo = (d: number) => new Date(now.getTime() - d * 24 * 3600_000);
    const old = backupFileName(daysAgo(15));
    const justOld = backupFileName(new Date(daysAgo(14).getTime() - 1000));
    const recent = backupFileName(daysAgo(13));
    const atCutoff = backupFileName(daysAgo(14));
    const others = [
      'notes.txt',
      'ocpizza-latest.dump',
      'other-2020-01-01T00-00-00Z.dump',
      `${old}.partial`,
      `copy-of-${old}`,
      'ocpizza-2020-01-01T00-00-00Z.sql',
    ];
    for (const f of [old, justOld, recent, atCutoff, ...others]) await writeFile(join(dir, f), 'x');
    await mkdir(join(dir, 'ocpizza-2019-01-01T00-00-00Z.dump.d'));

    const deleted = await pruneBackups(dir, 14, now);
    expect(deleted.sort()).toEqual([old, justOld].sort());
    expect((await readdir(dir)).sort()).toEqual([recent, atCutoff, ...others, 'ocpizza-2019-01-01T00-00-00Z.dump.d'].sort());
    // a directory that is not there is nothing to prune
    expect(await pruneBackups(join(dir, 'absent'), 14, now)).toEqual([]);
  });

  it('the workers schedule the daily backup with BACKUP_CRON, and a backup job writes and records a dump', async () => {
    const side = await createSideDatabase('sched', { migrate: true });
    sideDatabases.push(side.name);
    const dir = await tmpDir('scheduled');
    const prefix = `${fileDatabase().queuePrefix}_ops`;
    const env = { DATABASE_URL: side.url, QUEUE_PREFIX: prefix, BACKUP_DIR: dir, BACKUP_CRON: '17 2 * * *', MAINTENANCE_CRON: '45 5 * * 1' };
    const workers = await startWorkers(testConfig(env), silentLog);
    try {
      const schedulers = await workers.queues.maintenance.getJobSchedulers();
      const byKey = Object.fromEntries(schedulers.map((s) => [s.key, s]));
      expect(byKey[SCHEDULERS.backup]).toMatchObject({ name: 'backup', pattern: '17 2 * * *', tz: 'UTC' });
      expect(byKey[SCHEDULERS.housekeeping]).toMatchObject({ name: 'housekeeping', pattern: '45 5 * * 1' });
      expect(schedulers).toHaveLength(Object.keys(SCHEDULERS).length); // one per schedule, nothing else

      // a restart with another pattern replaces the schedule rather than adding one
      await scheduleMaintenance(workers.queues, testConfig({ ...env, BACKUP_CRON: '5 4 * * *' }));
      const again = await workers.queues.maintenance.getJobSchedulers();
      expect(again).toHaveLength(Object.keys(SCHEDULERS).length);
      expect(again.find((s) => s.key === SCHEDULERS.backup)).toMatchObject({ pattern: '5 4 * * *' });

      // the job the scheduler would add, now
      const job = await workers.queues.maintenance.add('backup', { trigger: 'schedule' });
      const row = await waitUntil(
        async () => (await queryOn(side.url, 'SELECT * FROM backups WHERE finished_at IS NOT NULL ORDER BY id DESC LIMIT 1'))[0],
        30_000,
        'the scheduled backup',
      );
      expect(row, row.error ?? '').toMatchObject({ ok: true, trigger: 'schedule' });
      const files = await readdir(dir);
      expect(files).toHaveLength(1);
      expect(files[0]).toMatch(DUMP_NAME);
      expect(row.file).toBe(join(dir, files[0]));
      expect(Number(row.bytes)).toBe((await stat(row.file)).size);
      await waitUntil(async () => (await workers.queues.maintenance.getJob(job.id!))?.finishedOn, 5000, 'the job to finish');
      expect((await workers.queues.maintenance.getJob(job.id!))?.returnvalue).toMatchObject({ file: row.file, pruned: 0 });
    } finally {
      await workers.close();
      await deleteRedisKeys(prefix);
    }
  }, 90_000);
});
