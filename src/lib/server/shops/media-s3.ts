// Product photos in S3-compatible object storage (AWS S3, MinIO, and the like), for a chain that
// runs several servers or keeps nothing that matters on a server's disk. The server still serves
// /media itself (same cache headers, same Content Security Policy): the bucket stays private.
import type * as S3 from '@aws-sdk/client-s3';
import { whenNeeded } from '../kernel/when-needed.ts';
import { MEDIA_KEY, type MediaStore } from './media-store.ts';

export interface S3Settings {
  bucket: string;
  endpoint?: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  forcePathStyle: boolean;
}

/** The S3 client's package, loaded when a server keeps its photos in a bucket (kernel/when-needed.ts). */
const s3 = whenNeeded<typeof S3>('@aws-sdk/client-s3');

export function s3MediaStore(s: S3Settings): MediaStore {
  const { GetObjectCommand, NoSuchKey, PutObjectCommand, S3Client, S3ServiceException } = s3();
  const client = new S3Client({
    region: s.region,
    endpoint: s.endpoint,
    forcePathStyle: s.forcePathStyle,
    credentials: { accessKeyId: s.accessKeyId, secretAccessKey: s.secretAccessKey },
    // a photo that cannot be read in time is a missing photo, not a stuck page
    requestHandler: { requestTimeout: 10_000, connectionTimeout: 3_000 },
    maxAttempts: 3,
  });
  return {
    async put(key, bytes) {
      if (!MEDIA_KEY.test(key)) throw new Error(`not a media key: ${key}`);
      await client.send(
        new PutObjectCommand({ Bucket: s.bucket, Key: key, Body: bytes, ContentType: 'image/webp', CacheControl: 'public, max-age=31536000, immutable' }),
      );
    },
    async get(key) {
      if (!MEDIA_KEY.test(key)) return null;
      try {
        const got = await client.send(new GetObjectCommand({ Bucket: s.bucket, Key: key }));
        return got.Body ? Buffer.from(await got.Body.transformToByteArray()) : null;
      } catch (err) {
        if (err instanceof NoSuchKey || (err instanceof S3ServiceException && err.$metadata.httpStatusCode === 404)) return null;
        throw err;
      }
    },
  };
}
