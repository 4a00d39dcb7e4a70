// Where a checked dump is kept: the BACKUP_DIR folder (a VPS, Compose), or an S3-compatible bucket
// (BACKUP_S3_BUCKET) where nothing on the machine's disk lasts (a PaaS dyno). Either way a dump is
// written and checked in BACKUP_DIR first; the bucket then takes it and the local file goes.
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, stat, unlink } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import type * as S3 from '@aws-sdk/client-s3';
import { whenNeeded } from '../kernel/when-needed.ts';
import { backupTakenAt, pruneBackups } from './backup.ts';

export interface BackupStore {
  /** Where dumps are kept, as the system page and the logs say it. */
  where: string;
  /** Takes a checked dump; answers where it now is (a path or s3://bucket/key). */
  keep(file: string): Promise<string>;
  /** Deletes the dumps older than `days`; answers their names. */
  prune(days: number, now?: Date): Promise<string[]>;
}

export interface BackupStoreSettings {
  BACKUP_DIR: string;
  BACKUP_S3_BUCKET?: string;
  BACKUP_S3_PREFIX: string;
  S3_ENDPOINT?: string;
  S3_REGION: string;
  S3_ACCESS_KEY_ID?: string;
  S3_SECRET_ACCESS_KEY?: string;
  S3_FORCE_PATH_STYLE: boolean;
}

/** The S3 client's package, loaded when backups go to a bucket (kernel/when-needed.ts). */
const s3 = whenNeeded<typeof S3>('@aws-sdk/client-s3');

function s3Client(c: BackupStoreSettings) {
  return new (s3().S3Client)({
    region: c.S3_REGION,
    endpoint: c.S3_ENDPOINT,
    forcePathStyle: c.S3_FORCE_PATH_STYLE,
    credentials: { accessKeyId: c.S3_ACCESS_KEY_ID!, secretAccessKey: c.S3_SECRET_ACCESS_KEY! },
    requestHandler: { requestTimeout: 120_000, connectionTimeout: 5_000 },
    maxAttempts: 3,
    // no checksum trailer on a streamed upload (aws-chunked): many S3-compatible stores keep it
    // in the object instead of reading it, which spoils the dump
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

export function backupStoreFrom(c: BackupStoreSettings): BackupStore {
  if (!c.BACKUP_S3_BUCKET) {
    return { where: c.BACKUP_DIR, keep: async (file) => file, prune: (days, now) => pruneBackups(c.BACKUP_DIR, days, now) };
  }
  const bucket = c.BACKUP_S3_BUCKET;
  const prefix = c.BACKUP_S3_PREFIX;
  const client = s3Client(c);
  const { DeleteObjectCommand, ListObjectsV2Command, PutObjectCommand } = s3();
  return {
    where: `s3://${bucket}/${prefix}`,
    async keep(file) {
      const key = `${prefix}${basename(file)}`;
      const { size } = await stat(file);
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: createReadStream(file), ContentLength: size, ContentType: 'application/octet-stream' }));
      await unlink(file);
      return `s3://${bucket}/${key}`;
    },
    async prune(days, now = new Date()) {
      const cutoff = now.getTime() - days * 24 * 3600_000;
      const deleted: string[] = [];
      let token: string | undefined;
      do {
        const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
        for (const o of page.Contents ?? []) {
          const name = o.Key!.slice(prefix.length);
          const takenAt = backupTakenAt(name);
          // never touch an object this job did not write
          if (takenAt === null || takenAt >= cutoff) continue;
          await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: o.Key! }));
          deleted.push(name);
        }
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
      return deleted;
    },
  };
}

/** A dump named s3://bucket/key brought to a local file (to check and restore it); a path stays as it is. */
export async function fetchBackup(location: string, c: BackupStoreSettings, dir: string): Promise<string> {
  const m = /^s3:\/\/([^/]+)\/(.+)$/.exec(location);
  if (!m) return location;
  await mkdir(dir, { recursive: true });
  const file = join(dir, basename(m[2]));
  const got = await s3Client(c).send(new (s3().GetObjectCommand)({ Bucket: m[1], Key: m[2] }));
  await pipeline(got.Body as Readable, createWriteStream(file));
  return file;
}
