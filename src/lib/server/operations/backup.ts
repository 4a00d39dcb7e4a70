import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdir, readdir, stat, unlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import type { Queryable } from '../kernel/db.ts';

const run = promisify(execFile);
const BACKUP_NAME = /^ocpizza-(\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}Z)\.dump$/;

export interface BackupResult {
  id: number;
  file: string;
  bytes: number;
  tables: number;
}

/** `ocpizza-2026-11-22T03-00-00Z.dump`: sorts by time, and says when it was taken. */
export function backupFileName(at: Date): string {
  return `ocpizza-${at.toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/:/g, '-')}.dump`;
}

/**
 * The database URL as pg_dump and pg_restore (libpq) read it: node-postgres's `sslmode=no-verify`
 * (a managed Postgres with the platform's own certificate) is libpq's `require` (encrypted, not verified).
 */
export function libpqUrl(databaseUrl: string): string {
  const u = new URL(databaseUrl);
  if (u.searchParams.get('sslmode') !== 'no-verify') return databaseUrl;
  u.searchParams.set('sslmode', 'require');
  return u.toString();
}

/**
 * Dumps the database in pg_dump's custom format into `dir`, checks the dump with
 * `pg_restore --list`, hands it to `keep`, and records the attempt in `backups` (success or failure).
 */
export async function createBackup(
  q: Queryable,
  databaseUrl: string,
  dir: string,
  trigger = 'schedule',
  /** Where the checked dump goes next (the bucket); answers its new place. */
  keep: (file: string) => Promise<string> = async (file) => file,
): Promise<BackupResult> {
  const { rows } = await q.query<{ id: number }>('INSERT INTO backups (trigger) VALUES ($1) RETURNING id', [trigger]);
  const id = rows[0].id;
  const file = resolve(dir, backupFileName(new Date()));
  try {
    await mkdir(dir, { recursive: true });
    await run('pg_dump', ['--format=custom', '--no-owner', '--no-privileges', `--file=${file}`, `--dbname=${libpqUrl(databaseUrl)}`], {
      maxBuffer: 16 * 1024 * 1024,
    });
    const { stdout } = await run('pg_restore', ['--list', file], { maxBuffer: 64 * 1024 * 1024 });
    const tables = stdout.split('\n').filter((l) => / TABLE DATA /.test(l)).length;
    if (tables === 0) throw new Error('the dump lists no table data');
    const bytes = (await stat(file)).size;
    const kept = await keep(file);
    await q.query('UPDATE backups SET finished_at = now(), file = $2, bytes = $3, ok = true WHERE id = $1', [id, kept, bytes]);
    return { id, file: kept, bytes, tables };
  } catch (err) {
    const message = (err as { stderr?: string }).stderr?.trim() || (err as Error).message;
    await q.query('UPDATE backups SET finished_at = now(), file = $2, ok = false, error = $3 WHERE id = $1', [id, file, message.slice(0, 2000)]);
    await unlink(file).catch(() => {});
    throw new Error(`backup failed: ${message}`, { cause: err });
  }
}

/** When a dump of ours was taken, from its name; null for any other name. */
export function backupTakenAt(name: string): number | null {
  const m = BACKUP_NAME.exec(name);
  return m ? Date.parse(m[1].replace(/T(\d{2})-(\d{2})-(\d{2})Z$/, 'T$1:$2:$3Z')) : null;
}

/** Deletes dumps in `dir` older than `days`; returns the names it deleted. */
export async function pruneBackups(dir: string, days: number, now = new Date()): Promise<string[]> {
  const cutoff = now.getTime() - days * 24 * 3600_000;
  const deleted: string[] = [];
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    const takenAt = backupTakenAt(name);
    if (takenAt === null) continue; // never touch a file this job did not write
    if (takenAt < cutoff) {
      await unlink(join(dir, name));
      deleted.push(name);
    }
  }
  return deleted;
}

export async function lastBackup(q: Queryable) {
  const { rows } = await q.query(
    `SELECT id, started_at, finished_at, file, bytes, ok, error, trigger FROM backups ORDER BY id DESC LIMIT 1`,
  );
  const lastOk = await q.query(`SELECT finished_at, bytes, file FROM backups WHERE ok ORDER BY id DESC LIMIT 1`);
  return { last: rows[0] ?? null, lastSuccessful: lastOk.rows[0] ?? null };
}

/** Whether the target database holds any table of ours (a restore must not overwrite it silently). */
export async function databaseIsEmpty(databaseUrl: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query(
      `SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = 'public'`,
    );
    return rows[0].n === 0;
  } finally {
    await client.end();
  }
}

/** Refuses, with a clear message, a file that is missing or that pg_restore cannot read (before anything is touched). */
export async function checkBackupFile(file: string): Promise<void> {
  await stat(file).catch((err: NodeJS.ErrnoException) => {
    throw err.code === 'ENOENT' ? new Error(`backup file not found: ${file}`) : err;
  });
  await run('pg_restore', ['--list', file], { maxBuffer: 64 * 1024 * 1024 }).catch((err: { stderr?: string }) => {
    throw new Error(`not a backup pg_restore can read: ${file} (${err.stderr?.trim() ?? 'pg_restore --list failed'})`);
  });
}

/**
 * Restores a custom-format dump into `databaseUrl`. A database that already holds tables is
 * refused unless `force`, in which case existing objects are dropped first (`--clean`). The
 * objects belong to the role restoring (DATABASE_OWNER_URL's), and the product's role
 * (ocpizza_app) gets its rights again, read and add only on the fiscal journal.
 */
export async function restoreBackup(file: string, databaseUrl: string, opts: { force?: boolean } = {}) {
  await checkBackupFile(file);
  const empty = await databaseIsEmpty(databaseUrl);
  if (!empty && !opts.force) {
    throw new Error('the target database is not empty: pass --force to replace its contents');
  }
  if (empty) {
    await run('pg_restore', ['--no-owner', '--no-privileges', '--exit-on-error', '--single-transaction', `--dbname=${libpqUrl(databaseUrl)}`, file], { maxBuffer: 64 * 1024 * 1024 });
  } else await restoreReplacing(file, databaseUrl);
  // the product's role gets its rights again (a dump of a database made before them has no such function)
  const c = new pg.Client({ connectionString: databaseUrl });
  await c.connect();
  try {
    await c.query(`DO $$ BEGIN IF to_regprocedure('ocpizza_grant_app()') IS NOT NULL THEN PERFORM ocpizza_grant_app(); END IF; END $$`);
  } finally {
    await c.end();
  }
}

/**
 * A restore over a database's contents, all or nothing: the dump's script (pg_restore's) run by
 * psql in one transaction after the schema's objects are dropped in that same transaction. Not
 * pg_restore's own --clean: it drops a partitioned table's parts one by one, which Postgres refuses
 * ("cannot drop inherited constraint": the order events by month, migration 0110).
 */
async function restoreReplacing(file: string, databaseUrl: string): Promise<void> {
  const script = spawn('pg_restore', ['--no-owner', '--no-privileges', '--file=-', file], { stdio: ['ignore', 'pipe', 'pipe'] });
  const psql = spawn('psql', ['--no-psqlrc', '--quiet', '--single-transaction', '--set=ON_ERROR_STOP=1', `--dbname=${libpqUrl(databaseUrl)}`, '--file=-'], {
    stdio: ['pipe', 'ignore', 'pipe'],
  });
  const errors: string[] = [];
  const ended = (child: ChildProcess, name: string) => new Promise<void>((done, fail) => {
    child.stderr!.on('data', (d) => errors.push(String(d)));
    child.on('error', fail);
    child.on('close', (code) => (code === 0 ? done() : fail(Object.assign(new Error(`${name} exited with ${code}`), { stderr: errors.join('') }))));
  });
  const both = Promise.all([ended(script, 'pg_restore'), ended(psql, 'psql')]);
  psql.stdin!.write('DROP SCHEMA public CASCADE;\nCREATE SCHEMA public;\n');
  script.stdout!.pipe(psql.stdin!);
  // psql stopped at an error: pg_restore's writes then fail, and the whole restore with them
  psql.stdin!.on('error', () => undefined);
  await both;
}
