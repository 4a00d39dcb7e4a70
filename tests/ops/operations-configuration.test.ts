// The production configuration and the compiled commands, as child processes: the server and the
// workers refuse to start on missing or bad settings, naming them, and the commands a container runs
// work as their npm forms do. No mocks.
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createSideDatabase, freePort, run } from '../helpers.ts';
import { useTmpDirs } from '../operations.ts';
import { fileDatabase } from '../file-database.ts';

const databaseUrl = fileDatabase().databaseUrl;
// the commands alone: no server of the suite's runs here
const tmpDir = useTmpDirs();

describe('configuration', () => {
  // the real entry points, run from an empty directory: a developer's .env (read in production) plays no part
  let emptyDir: string;
  beforeAll(async () => {
    emptyDir = await tmpDir('config');
  });
  const tsx = pathToFileURL(join(process.cwd(), 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;
  const start = (entry: string, env: Record<string, string>) =>
    run(process.execPath, ['--import', tsx, join(process.cwd(), entry)], env, 30_000, emptyDir);
  const prodEnv = async () => ({
    NODE_ENV: 'production',
    DATABASE_URL: databaseUrl,
    PORT: String(await freePort()),
    HOST: '127.0.0.1',
    DEMO_PASSWORD: 'a-production-password',
    QUEUE_PREFIX: fileDatabase().queuePrefix,
  });

  it('the production server and workers refuse to start without SESSION_SECRET or a fiscal signing key, naming them', async () => {
    const env = await prodEnv();
    for (const entry of ['server/index.ts', 'workers/index.ts']) {
      const r = await start(entry, env);
      expect(r.code, `${entry}: ${r.stdout}`).not.toBe(0);
      expect(r.signal).toBeNull();
      expect(r.stderr).toMatch(/SESSION_SECRET: required in production/);
      // nor without the key that signs the fiscal journal
      expect(r.stderr).toMatch(/FISCAL_SIGNING_KEY: required in production \(or FISCAL_KEY_FILE\)/);
    }
    // nothing listens on its port
    await expect(fetch(`http://127.0.0.1:${env.PORT}/healthz`)).rejects.toThrow();
  });

  it('a SESSION_SECRET that is too short is refused too, and so is a bad value of any variable', async () => {
    const env = await prodEnv();
    const short = await start('server/index.ts', { ...env, SESSION_SECRET: 'short' });
    expect(short.code).not.toBe(0);
    expect(short.stderr).toMatch(/SESSION_SECRET: at least 32 characters/);
    const badPort = await start('server/index.ts', { ...env, SESSION_SECRET: 's'.repeat(40), PORT: 'eighty' });
    expect(badPort.code).not.toBe(0);
    expect(badPort.stderr).toMatch(/PORT: /);
  });
});

describe('inside the image', () => {
  it('the compiled commands a container runs (node dist/db/migrate.js, seed.js, backup.js, maintenance.js) work as their npm forms do', async () => {
    const side = await createSideDatabase('compiled');
    const dir = await mkdtemp(join(tmpdir(), 'ocpizza-compiled-'));
    try {
      const env = { DATABASE_URL: side.url, BACKUP_DIR: dir, DEMO_PASSWORD: inject('demoPassword'), NODE_ENV: 'test' };
      const migrateRun = await run('node', ['dist/db/migrate.js'], env);
      expect(migrateRun.code, migrateRun.stderr).toBe(0);
      expect(migrateRun.stdout).toMatch(/applied \d+ migration/);
      const seedRun = await run('node', ['dist/db/seed.js'], env);
      expect(seedRun.code, seedRun.stderr).toBe(0);
      const backupRun = await run('node', ['dist/db/backup.js'], env);
      expect(backupRun.code, backupRun.stderr).toBe(0);
      expect((await readdir(dir)).filter((f) => /^ocpizza-.*\.dump$/.test(f))).toHaveLength(1);
      const maintenanceRun = await run('node', ['dist/db/maintenance.js'], env);
      expect(maintenanceRun.code, maintenanceRun.stderr).toBe(0);
      expect(maintenanceRun.stdout).toMatch(/"msg":"maintenance done"/);
    } finally {
      await rm(dir, { recursive: true, force: true });
      await side.drop();
    }
  }, 90_000);
});
