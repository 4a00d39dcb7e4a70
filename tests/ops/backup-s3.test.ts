// Backups where the machine's disk does not last (a PaaS dyno): with BACKUP_S3_BUCKET, each dump is
// checked where it was written, then moved to an S3-compatible bucket (s3rver here: the S3 REST
// protocol with signed requests) and the local file goes; retention prunes the bucket, and a dump
// is restored straight from its s3:// name. What a workers process does on its schedule is what
// `npm run db:backup` does here (the same code, backupStoreFrom).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import pg from 'pg';
import S3rver from 's3rver';
import { createSideDatabase, npmRun } from '../helpers.ts';
import { backupStoreFrom } from '../../src/lib/server/operations/backup-store.ts';
import { backupFileName } from '../../src/lib/server/operations/backup.ts';
import { parseConfig } from '../../src/lib/server/kernel/config.ts';

const BUCKET = 'ocpizza-backups';
let s3: S3rver;
let endpoint: string;
let client: S3Client;
let side: Awaited<ReturnType<typeof createSideDatabase>>;
const dir = mkdtempSync(join(tmpdir(), 'ocp-backup-s3-'));
const env = () => ({
  NODE_ENV: 'test',
  DATABASE_URL: side.url,
  BACKUP_DIR: dir,
  BACKUP_S3_BUCKET: BUCKET,
  S3_ENDPOINT: endpoint,
  S3_ACCESS_KEY_ID: 'S3RVER',
  S3_SECRET_ACCESS_KEY: 'S3RVER',
});
const keys = async () => ((await client.send(new ListObjectsV2Command({ Bucket: BUCKET }))).Contents ?? []).map((o) => ({ key: o.Key!, size: o.Size! }));

beforeAll(async () => {
  s3 = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory: mkdtempSync(join(tmpdir(), 'ocp-s3b-')), configureBuckets: [{ name: BUCKET, configs: [] }] });
  const { port } = await s3.run();
  endpoint = `http://127.0.0.1:${port}`;
  client = new S3Client({ region: 'us-east-1', endpoint, forcePathStyle: true, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } });
  side = await createSideDatabase('s3backup', { seed: true });
}, 60_000);
afterAll(async () => {
  await side?.drop();
  await s3?.close();
});

describe('backups in an S3 bucket', () => {
  it('a checked dump goes to the bucket, nothing stays on the disk, and the backups table says where it is', async () => {
    const r = await npmRun('db:backup', [], env());
    expect(r.code, r.stderr).toBe(0);
    const location = r.stdout.trim().split('\n').at(-1)!;
    expect(location).toMatch(new RegExp(`^s3://${BUCKET}/backups/ocpizza-[0-9T-]+Z\\.dump$`));
    expect(readdirSync(dir).filter((f) => f.endsWith('.dump'))).toEqual([]);
    const stored = await keys();
    expect(stored.map((o) => o.key)).toEqual([location.slice(`s3://${BUCKET}/`.length)]);
    const pool = new pg.Pool({ connectionString: side.url, max: 1 });
    try {
      const { rows } = await pool.query('SELECT file, bytes, ok FROM backups ORDER BY id DESC LIMIT 1');
      expect(rows[0]).toMatchObject({ file: location, ok: true, bytes: stored[0].size });
    } finally {
      await pool.end();
    }
  }, 60_000);

  it('retention deletes the dumps older than BACKUP_RETENTION_DAYS in the bucket, and nothing it did not write', async () => {
    const old = `backups/${backupFileName(new Date(Date.now() - 20 * 24 * 3600_000))}`;
    const recent = `backups/${backupFileName(new Date(Date.now() - 2 * 24 * 3600_000))}`;
    for (const Key of [old, recent, 'backups/notes.txt', 'elsewhere/ocpizza-2020-01-01T03-00-00Z.dump']) {
      await client.send(new PutObjectCommand({ Bucket: BUCKET, Key, Body: 'x' }));
    }
    const pruned = await backupStoreFrom(parseConfig(env())).prune(14);
    expect(pruned).toEqual([old.slice('backups/'.length)]);
    const left = (await keys()).map((o) => o.key);
    expect(left).not.toContain(old);
    expect(left).toEqual(expect.arrayContaining([recent, 'backups/notes.txt', 'elsewhere/ocpizza-2020-01-01T03-00-00Z.dump']));
  });

  it('restores a dump straight from its s3:// name into a new database', async () => {
    const dump = (await keys()).map((o) => o.key).filter((k) => /^backups\/ocpizza-.*\.dump$/.test(k));
    // the real dump is the one the first test made (the others here are one byte)
    const sizes = await Promise.all(dump.map(async (k) => ({ k, body: await (await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: k }))).Body!.transformToByteArray() })));
    const real = sizes.find((s) => s.body.length > 1000)!.k;
    const target = await createSideDatabase('s3restore');
    try {
      const r = await npmRun('db:restore', [`s3://${BUCKET}/${real}`, '--to', target.url], env());
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain(`restored s3://${BUCKET}/${real}`);
      const pool = new pg.Pool({ connectionString: target.url, max: 1 });
      try {
        expect(Number((await pool.query('SELECT count(*) AS n FROM pizzerias')).rows[0].n)).toBe(5);
      } finally {
        await pool.end();
      }
      // a name that is not there is refused, and says so
      const missing = await npmRun('db:restore', [`s3://${BUCKET}/backups/none.dump`, '--to', target.url], env());
      expect(missing.code).toBe(1);
      expect(missing.stderr).toMatch(/restore refused or failed/);
    } finally {
      await target.drop();
    }
  }, 90_000);
});
