// npm run db:backup — one backup now, into BACKUP_DIR (then BACKUP_S3_BUCKET when set), checked with pg_restore --list.
import { createBackup } from '../src/lib/server/operations/backup.ts';
import { backupStoreFrom } from '../src/lib/server/operations/backup-store.ts';
import { config } from '../src/lib/server/kernel/config.ts';
import { createPool } from '../src/lib/server/kernel/db.ts';

const cfg = config();
const pool = createPool(cfg.DATABASE_URL, 1);
try {
  const store = backupStoreFrom(cfg);
  const r = await createBackup(pool, cfg.DATABASE_URL, cfg.BACKUP_DIR, 'manual', store.keep);
  const pruned = await store.prune(cfg.BACKUP_RETENTION_DAYS);
  console.log(JSON.stringify({ level: 'info', msg: 'backup done', file: r.file, bytes: r.bytes, tables: r.tables, pruned }));
  console.log(r.file);
} catch (err) {
  console.error((err as Error).message);
  process.exitCode = 1;
} finally {
  await pool.end();
}
