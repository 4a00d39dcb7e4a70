import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { migrate } from '../db/migrate-runner.ts';
import { APP_ROLE } from './app-role.ts';
import { seed } from '../db/seed-data.ts';
import { startGeocoderStub } from './geocoder-stub.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The run's name: every database and queue prefix of the run starts with it (dropped at its end). */
    runPrefix: string;
    /** The database migrated and seeded once per run, that each test file's own is cloned from (tests/file-database.ts). */
    templateDatabase: string;
    demoPassword: string;
    geocoderUrl: string;
    /** The demo chain's products by slug, as the seed made them (the same for every file of the run). */
    productIds: Record<string, number>;
  }
}

const BASE = process.env.TEST_DATABASE_BASE_URL ?? 'postgres://postgres@127.0.0.1:5432';

/** Drops every database and Redis key whose name starts with the run's prefix. */
async function dropRun(admin: pg.Client, prefix: string) {
  const { rows } = await admin.query<{ datname: string }>(`SELECT datname FROM pg_database WHERE datname LIKE $1 || '%'`, [prefix]);
  for (const { datname } of rows) {
    await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`, [datname]);
    await admin.query(`DROP DATABASE IF EXISTS "${datname}"`);
  }
  const { Redis } = await import('ioredis');
  const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    if (keys.length) await redis.del(...keys);
    cursor = next;
  } while (cursor !== '0');
  redis.disconnect();
}

interface Run {
  runPrefix: string;
  template: string;
  demoPassword: string;
  productIds: Record<string, number>;
  geocoderUrl: string;
  /** The tiers still running: the last one to end drops what the run made. */
  tiers: number;
  end(): Promise<void>;
}

/**
 * Once per run (each tier's setup shares it): the template database (migrated, then seeded with the
 * demo chain) that each test file clones into a database of its own, and the geocoder every server
 * of the run asks. When the last tier ends, every database and queue key of the run goes, whatever
 * a file left behind.
 */
async function startRun(): Promise<Run> {
  const runPrefix = `ocpizza_test_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  const template = `${runPrefix}_template`;
  const admin = new pg.Client({ connectionString: `${BASE}/postgres` });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${template}`);
  const templateUrl = `${BASE}/${template}`;
  await migrate(templateUrl);
  // the product's own role, as production runs it (a member of ocpizza_app, which the migrations
  // made: it may read and add to the fiscal journal, nothing more): tests/helpers.ts asAppRole
  await admin.query(`DO $$ BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${APP_ROLE}') THEN CREATE ROLE ${APP_ROLE} LOGIN IN ROLE ocpizza_app; END IF;
  EXCEPTION WHEN duplicate_object THEN NULL; END $$`);
  // a fresh password per run: nothing to keep secret, nothing to guess
  const demoPassword = randomBytes(12).toString('base64url');
  const pool = new pg.Pool({ connectionString: templateUrl, max: 2 });
  await seed(pool, demoPassword);
  const { rows: products } = await pool.query<{ slug: string; id: number }>('SELECT slug, id FROM products');
  // a template has no one connected: CREATE DATABASE … TEMPLATE refuses a source in use
  await pool.end();
  // the address service every server of the run asks (no internet here)
  const geocoder = await startGeocoderStub();
  return {
    runPrefix,
    template,
    demoPassword,
    productIds: Object.fromEntries(products.map((p) => [p.slug, p.id])),
    geocoderUrl: geocoder.url,
    tiers: 0,
    async end() {
      await geocoder.close();
      await dropRun(admin, runPrefix);
      await admin.end();
    },
  };
}

const RUN = Symbol.for('ocpizza.testRun');
type Holder = { [RUN]?: Promise<Run> };

export default async function setup(project: TestProject) {
  const holder = globalThis as Holder;
  const run = await (holder[RUN] ??= startRun());
  run.tiers++;
  project.provide('productIds', run.productIds);
  project.provide('runPrefix', run.runPrefix);
  project.provide('templateDatabase', run.template);
  project.provide('demoPassword', run.demoPassword);
  project.provide('geocoderUrl', run.geocoderUrl);
  return async () => {
    if (--run.tiers === 0) {
      delete holder[RUN];
      await run.end();
    }
  };
}
