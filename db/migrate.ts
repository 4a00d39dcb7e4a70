import pg from 'pg';
import { config } from '../src/lib/server/kernel/config.ts';
import { migrate } from './migrate-runner.ts';

// as the role that owns the tables (DATABASE_OWNER_URL), not the one the product runs as
const url = config().DATABASE_OWNER_URL ?? config().DATABASE_URL;
// a fresh machine has no database yet: create it (needs a role allowed to)
const name = decodeURIComponent(new URL(url).pathname.slice(1));
const admin = new URL(url);
admin.pathname = '/postgres';
const client = new pg.Client({ connectionString: admin.toString() });
try {
  await client.connect();
  const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
  if (!rowCount) {
    await client.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`);
    console.log(`created database ${name}`);
  }
} catch (err) {
  console.warn(`could not check for database ${name} (${(err as Error).message}); assuming it exists`);
} finally {
  await client.end().catch(() => {});
}
const applied = await migrate(url, (m) => console.log(m));
console.log(applied.length ? `applied ${applied.length} migration(s): ${applied.join(', ')}` : 'database schema is up to date');
