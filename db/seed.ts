import { config } from '../src/lib/server/kernel/config.ts';
import { createPool } from '../src/lib/server/kernel/db.ts';
import { seed } from './seed-data.ts';
import { mediaStoreFrom } from '../src/lib/server/shops/media.ts';

const cfg = config();
if (!cfg.demoPassword) {
  console.error('DEMO_PASSWORD is required to seed demo accounts in production');
  process.exit(1);
}
const pool = createPool(cfg.DATABASE_URL, 2);
// the demo menu's photos go where the server reads them: MEDIA_DIR, or the S3 bucket
await seed(pool, cfg.demoPassword, mediaStoreFrom(cfg));
await pool.end();
console.log('seeded the demo chain: 5 pizzerias, menu, stock and staff accounts');
