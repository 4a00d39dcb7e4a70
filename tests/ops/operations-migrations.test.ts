// Migrations under concurrency and readiness, against real Postgres and child processes: two
// `npm run db:migrate` at once apply each migration once, and /readyz names a pending migration. No mocks.
import { beforeAll, describe, expect, it } from 'vitest';
import { readdir } from 'node:fs/promises';
import { databaseExists, databaseUrlFor, npmRun, sideDatabaseName, startTestApp } from '../helpers.ts';
import { MIGRATIONS_DIR } from '../../db/migrate-runner.ts';
import { queryOn, useOperations } from '../operations.ts';

const { sideDatabases, metricValue } = useOperations();

describe('migrations and readiness', () => {
  let name: string;
  let url: string;
  const migrationNames = async () => (await readdir(MIGRATIONS_DIR)).filter((f) => f.endsWith('.sql')).map((f) => f.replace(/\.sql$/, '')).sort();

  beforeAll(() => {
    name = sideDatabaseName('migrate');
    sideDatabases.push(name);
    url = databaseUrlFor(name);
  });

  it('two npm run db:migrate started at once on a brand-new database both succeed and apply each migration once; a third applies nothing', async () => {
    expect(await databaseExists(name)).toBe(false);
    const env = { DATABASE_URL: url, NODE_ENV: 'test' };
    const [one, two] = await Promise.all([npmRun('db:migrate', [], env), npmRun('db:migrate', [], env)]);
    expect(one.code, one.stderr).toBe(0);
    expect(two.code, two.stderr).toBe(0);
    const expected = await migrationNames();
    const rows = await queryOn(url, 'SELECT name, count(*)::int AS n FROM pgmigrations GROUP BY name ORDER BY name');
    expect(rows).toEqual(expected.map((n) => ({ name: n, n: 1 })));
    // one of them applied everything, the other found nothing left to do
    const outputs = [one.stdout, two.stdout];
    expect(outputs.filter((o) => o.includes(`applied ${expected.length} migration(s)`))).toHaveLength(1);
    expect(outputs.filter((o) => o.includes('database schema is up to date'))).toHaveLength(1);

    const third = await npmRun('db:migrate', [], env);
    expect(third.code, third.stderr).toBe(0);
    expect(third.stdout).toContain('database schema is up to date');
    expect(await queryOn(url, 'SELECT count(*)::int AS n FROM pgmigrations')).toEqual([{ n: expected.length }]);
  }, 90_000);

  it('/readyz says not ready, naming the pending migration, while the database is behind the code, and ready again once it is not', async () => {
    const expected = await migrationNames();
    const last = expected.at(-1)!;
    const [removed] = await queryOn(url, 'DELETE FROM pgmigrations WHERE name = $1 RETURNING *', [last]);
    const { app: behind, base: behindBase } = await startTestApp({ DATABASE_URL: url });
    try {
      const res = await fetch(`${behindBase}/readyz`);
      expect(res.status).toBe(503);
      expect(await res.json()).toEqual({
        status: 'not_ready',
        checks: { postgres: true, redis: true, queues: true, schema: false, accepting: true, loop: true },
        pendingMigrations: [last],
        // the Postgres and Redis it reached: a single one of each here, no standby, no sentinels
        database: expect.objectContaining({ primary: true, standbysExpected: 0 }),
        redis: expect.objectContaining({ sentinel: false }),
      });
      expect(await metricValue('ocpizza_schema_pending_migrations', {}, behindBase)).toBe(1);
      // alive all the same: liveness is not readiness
      expect((await fetch(`${behindBase}/healthz`)).status).toBe(200);

      await queryOn(url, 'INSERT INTO pgmigrations (id, name, run_on) VALUES ($1, $2, $3)', [removed.id, removed.name, removed.run_on]);
      const ok = await fetch(`${behindBase}/readyz`);
      expect(ok.status).toBe(200);
      expect(await ok.json()).toEqual({
        status: 'ready',
        checks: { postgres: true, redis: true, queues: true, schema: true, accepting: true, loop: true },
        database: expect.objectContaining({ primary: true }),
        redis: expect.objectContaining({ sentinel: false }),
      });
      expect(await metricValue('ocpizza_schema_pending_migrations', {}, behindBase)).toBe(0);
    } finally {
      await behind.close();
    }
  });
});
