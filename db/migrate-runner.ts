import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

// db/migrations, whether this runs from the sources or from dist/
const here = dirname(fileURLToPath(import.meta.url));
export const MIGRATIONS_DIR = join(here.replace(/[/\\]dist[/\\]db$/, '/db'), 'migrations');

/** Applies pending migrations under node-pg-migrate's advisory lock: two deploys at once wait for each other. */
export async function migrate(databaseUrl: string, log: (msg: string) => void = () => {}): Promise<string[]> {
  // loaded here, not with the module: a server reads the pending migrations (below) and never runs them
  const { runner } = await import('node-pg-migrate');
  const applied = await runner({
    databaseUrl,
    dir: MIGRATIONS_DIR,
    direction: 'up',
    migrationsTable: 'pgmigrations',
    singleTransaction: true,
    advisoryLockMode: 'wait',
    log,
    verbose: false,
  } as Parameters<typeof runner>[0]);
  return applied.map((m) => m.name);
}

/** Migrations present in db/migrations that the database has not applied yet (the code is ahead). */
export async function pendingMigrations(q: { query: (sql: string) => Promise<{ rows: { name: string }[] }> }): Promise<string[]> {
  const { readdir } = await import('node:fs/promises');
  const files = (await readdir(MIGRATIONS_DIR)).filter((f) => f.endsWith('.sql')).map((f) => f.replace(/\.sql$/, ''));
  let applied: Set<string>;
  try {
    applied = new Set((await q.query('SELECT name FROM pgmigrations')).rows.map((r) => r.name));
  } catch {
    applied = new Set(); // no migrations table: nothing applied yet
  }
  return files.filter((f) => !applied.has(f)).sort();
}
