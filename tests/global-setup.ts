import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { migrate } from '../db/migrate-runner.ts';
import { seed } from '../db/seed-data.ts';
import { startGeocoderStub } from './geocoder-stub.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    databaseUrl: string;
    queuePrefix: string;
    demoPassword: string;
    geocoderUrl: string;
    /** The demo chain's products by slug, as the seed made them (the same for every file of the run). */
    productIds: Record<string, number>;
  }
}

const BASE = process.env.TEST_DATABASE_BASE_URL ?? 'postgres://postgres@127.0.0.1:5432';

/** A fresh database and queue prefix per run, dropped afterwards. */
export default async function setup(project: TestProject) {
  const suffix = `${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  const dbName = `ocpizza_test_${suffix}`;
  const admin = new pg.Client({ connectionString: `${BASE}/postgres` });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${dbName}`);
  const databaseUrl = `${BASE}/${dbName}`;
  await migrate(databaseUrl);
  // a fresh password per run: nothing to keep secret, nothing to guess
  const demoPassword = randomBytes(12).toString('base64url');
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 2 });
  await seed(pool, demoPassword);
  const { rows: products } = await pool.query<{ slug: string; id: number }>('SELECT slug, id FROM products');
  await pool.end();
  project.provide('productIds', Object.fromEntries(products.map((p) => [p.slug, p.id])));
  project.provide('databaseUrl', databaseUrl);
  project.provide('queuePrefix', `ocpizza_test_${suffix}`);
  project.provide('demoPassword', demoPassword);
  // the address service every server of the run asks (no internet here)
  const geocoder = await startGeocoderStub();
  project.provide('geocoderUrl', geocoder.url);

  return async () => {
    await geocoder.close();
    await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`, [dbName]);
    await admin.query(`DROP DATABASE IF EXISTS ${dbName}`);
    await admin.end();
    // queue keys of this run
    const { Redis } = await import('ioredis');
    const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `ocpizza_test_${suffix}*`, 'COUNT', 1000);
      if (keys.length) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
    redis.disconnect();
  };
}
