// npm run db:backup — one backup now, into BACKUP_DIR, checked with pg_restore --list.
import { createBackup, pruneBackups } from '../src/lib/server/backup.ts';
import { config } from '../src/lib/server/config.ts';
import { createPool } from '../src/lib/server/db.ts';

const cfg = config();
const pool = createPool(cfg.DATABASE_URL, 1);
try {
  const r = await createBackup(pool, cfg.DATABASE_URL, cfg.BACKUP_DIR, 'manual');
  const pruned = await pruneBackups(cfg.BACKUP_DIR, cfg.BACKUP_RETENTION_DAYS);
  console.log(JSON.stringify({ level: 'info', msg: 'backup done', file: r.file, bytes: r.bytes, tables: r.tables, pruned }));
  console.log(r.file);
} catch (err) {
  console.error((err as Error).message);
  process.exitCode = 1;
} finally {
  await pool.end();
}
