import { config } from '../src/lib/server/config.ts';
import { createPool } from '../src/lib/server/db.ts';
import { seed } from './seed-data.ts';

const cfg = config();
if (!cfg.demoPassword) {
  console.error('DEMO_PASSWORD is required to seed demo accounts in production');
  process.exit(1);
}
const pool = createPool(cfg.DATABASE_URL, 2);
await seed(pool, cfg.demoPassword);
await pool.end();
console.log('seeded the demo chain: 5 pizzerias, menu, stock and staff accounts');
