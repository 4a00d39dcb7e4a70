// npm run db:restore -- <file or s3://bucket/key> [--force] [--to <database url>]
// Restores a backup into DATABASE_URL (or --to); one in the bucket is fetched into BACKUP_DIR first. A database that already holds tables is refused
// unless --force. A target database that does not exist is created.
import { parseArgs } from 'node:util';
import pg from 'pg';
import { checkBackupFile, restoreBackup } from '../src/lib/server/backup.ts';
import { config } from '../src/lib/server/config.ts';
import { fetchBackup } from '../src/lib/server/backup-store.ts';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { force: { type: 'boolean', default: false }, to: { type: 'string' } },
});
if (positionals.length !== 1) {
  console.error('usage: npm run db:restore -- <backup file or s3://bucket/key> [--force] [--to <database url>]');
  process.exit(2);
}
const target = values.to ?? config().DATABASE_URL;

async function ensureDatabase(url: string) {
  const name = decodeURIComponent(new URL(url).pathname.slice(1));
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (!rowCount) await client.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`);
  } finally {
    await client.end();
  }
}

try {
  const file = await fetchBackup(positionals[0], config(), config().BACKUP_DIR);
  await checkBackupFile(file); // a missing or unreadable file creates no database
  await ensureDatabase(target);
  await restoreBackup(file, target, { force: values.force });
  console.log(`restored ${positionals[0]} into ${new URL(target).pathname.slice(1)}`);
} catch (err) {
  console.error(`restore refused or failed: ${(err as Error).message}`);
  process.exit(1);
}
