import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runner } from 'node-pg-migrate';

// db/migrations, whether this runs from the sources or from dist/
const here = dirname(fileURLToPath(import.meta.url));
export const MIGRATIONS_DIR = join(here.replace(/[/\\]dist[/\\]db$/, '/db'), 'migrations');

/** Applies pending migrations under node-pg-migrate's advisory lock: two deploys at once wait for each other. */
export async function migrate(databaseUrl: string, log: (msg: string) => void = () => {}): Promise<string[]> {
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
