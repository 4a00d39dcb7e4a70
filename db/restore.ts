// npm run db:restore -- <file or s3://bucket/key> [--force] [--to <database url>]
// Restores a backup into DATABASE_OWNER_URL or DATABASE_URL (or --to); one in the bucket is fetched into BACKUP_DIR first. A database that already holds tables is refused
// unless --force. A target database that does not exist is created. Then the fiscal journal restored is verified
// (with the operator's keys when FISCAL_PUBLIC_KEYS_FILE names them: those and the signing key) and the restore
// is written in its technical events journal; a journal that does not verify is reported on stderr and in the JET,
// and the command exits 3 (the data is restored, but its journal is not one to trust: a script or an operator
// that checks only the exit code is not told all is well). Exit 1: refused or failed; 2: a bad argument.
import { userInfo } from 'node:os';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { checkBackupFile, restoreBackup } from '../src/lib/server/operations/backup.ts';
import { config } from '../src/lib/server/kernel/config.ts';
import { fetchBackup } from '../src/lib/server/operations/backup-store.ts';
import { createPool } from '../src/lib/server/kernel/db.ts';
import { fiscalKey, operatorPublicKeys } from '../src/lib/server/fiscal/keys.ts';
import { journalRestore } from '../src/lib/server/fiscal/restore.ts';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { force: { type: 'boolean', default: false }, to: { type: 'string' } },
});
if (positionals.length !== 1) {
  console.error('usage: npm run db:restore -- <backup file or s3://bucket/key> [--force] [--to <database url>]');
  process.exit(2);
}
// as the role that owns the tables (DATABASE_OWNER_URL): the restored tables are its own
const target = values.to ?? config().DATABASE_OWNER_URL ?? config().DATABASE_URL;

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
  const key = fiscalKey(config());
  const pool = createPool(target, 1);
  try {
    const report = await journalRestore(pool, key, { file, actor: `restore:${userInfo().username}`, operatorKeys: config().FISCAL_PUBLIC_KEYS_FILE ? operatorPublicKeys(config(), key) : undefined });
    if (!report) console.log('the backup holds no fiscal journal');
    else {
      for (const c of report.chains) {
        if (c.broken) console.error(`fiscal journal BROKEN ${c.chain}: entry ${c.broken.seq}: ${c.broken.kind}: ${c.broken.reason}`);
        else console.log(`fiscal journal OK ${c.chain}: ${c.entries} entries, last ${c.lastSeq}`);
      }
      for (const a of report.openAnomalies) console.error(`fiscal journal ANOMALY shop:${a.pizzeriaId} order no. ${a.number} of ${a.businessDay}: its money changed outside the till after it was sealed (JET entry ${a.seq})`);
      console.log(`the restore is written in the technical events journal${report.ok ? '' : ' (with the verification that failed)'}`);
      if (!report.ok) {
        console.error('the restored fiscal journal does not verify: the data is restored, the journal is not to be trusted (exit 3)');
        process.exitCode = 3;
      }
    }
  } finally {
    await pool.end();
  }
} catch (err) {
  console.error(`restore refused or failed: ${(err as Error).message}`);
  process.exit(1);
}
