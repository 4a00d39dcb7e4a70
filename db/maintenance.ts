// npm run maintenance — the weekly housekeeping, now: expired sessions, old order events archived.
import { config } from '../src/lib/server/kernel/config.ts';
import { createPool } from '../src/lib/server/kernel/db.ts';
import { runMaintenance } from '../src/lib/server/operations/maintenance.ts';

const cfg = config();
const pool = createPool(cfg.DATABASE_URL, 1);
try {
  const r = await runMaintenance(pool, cfg.EVENT_ARCHIVE_DAYS, 'manual');
  console.log(JSON.stringify({ level: 'info', msg: 'maintenance done', ...r, archiveAfterDays: cfg.EVENT_ARCHIVE_DAYS }));
} finally {
  await pool.end();
}
