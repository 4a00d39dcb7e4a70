// Images the pages show (product photos), in a media store: a folder on the server's disk by
// default (MEDIA_DIR), or an S3-compatible bucket when S3_BUCKET is set (media-s3.ts). Keys are content-addressed (a new photo is a new key), so they are served
// with a year's cache. Photos are checked to be images, turned upright, resized to 800×600 and
// re-encoded as WebP before they are kept: nothing of the upload is served as it came.
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { AppError, invalid } from '../kernel/errors.ts';
import { s3MediaStore } from './media-s3.ts';
import { MEDIA_KEY, type MediaStore } from './media-store.ts';

export { MEDIA_KEY, type MediaStore } from './media-store.ts';

export const MAX_UPLOAD_BYTES = 8 * 1024 * 1024;

export function localMediaStore(dir: string): MediaStore {
  return {
    async put(key, bytes) {
      const path = join(dir, key);
      await mkdir(dirname(path), { recursive: true });
      // written whole, then renamed: a reader never sees half a photo
      // a name of its own: two uploads of the same photo at once each write their own file
      const tmp = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
      await writeFile(tmp, bytes);
      await rename(tmp, path);
    },
    async get(key) {
      if (!MEDIA_KEY.test(key)) return null;
      return readFile(join(dir, key)).catch(() => null);
    },
  };
}

/** The store the settings name: the bucket when S3_BUCKET is set, else the MEDIA_DIR folder. */
export function mediaStoreFrom(c: {
  MEDIA_DIR: string;
  S3_BUCKET?: string;
  S3_ENDPOINT?: string;
  S3_REGION: string;
  S3_ACCESS_KEY_ID?: string;
  S3_SECRET_ACCESS_KEY?: string;
  S3_FORCE_PATH_STYLE: boolean;
}): MediaStore {
  if (!c.S3_BUCKET) return localMediaStore(c.MEDIA_DIR);
  return s3MediaStore({
    bucket: c.S3_BUCKET,
    endpoint: c.S3_ENDPOINT,
    region: c.S3_REGION,
    accessKeyId: c.S3_ACCESS_KEY_ID!,
    secretAccessKey: c.S3_SECRET_ACCESS_KEY!,
    forcePathStyle: c.S3_FORCE_PATH_STYLE,
  });
}

/** An uploaded (or drawn) picture made into a product photo: 800×600 WebP, and its key. */
export async function productPhoto(slug: string, bytes: Buffer, opts: { allowSvg?: boolean } = {}): Promise<{ key: string; webp: Buffer }> {
  if (!bytes.length) throw invalid({ photo: 'no photo' });
  if (bytes.length > MAX_UPLOAD_BYTES) throw new AppError(413, 'too_large', `a photo of at most ${MAX_UPLOAD_BYTES / 1024 / 1024} MB`);
  const isSvg = opts.allowSvg && bytes.subarray(0, 200).toString('utf8').includes('<svg');
  if (!isSvg && !imageType(bytes)) throw new AppError(415, 'not_an_image', 'a JPEG, PNG or WebP photo');
  let webp: Buffer;
  try {
    // loaded on the first photo: most processes never resize one
    const { default: sharp } = await import('sharp');
    webp = await sharp(bytes, { limitInputPixels: 40_000_000 }).rotate().resize(800, 600, { fit: 'cover' }).webp({ quality: 80 }).toBuffer();
  } catch {
    throw new AppError(415, 'not_an_image', 'the photo could not be read');
  }
  const hash = createHash('sha256').update(webp).digest('hex').slice(0, 12);
  return { key: `products/${slug.replace(/[^a-z0-9-]/g, '')}-${hash}.webp`, webp };
}

/** What a photo's first bytes say it is (its declared type is not trusted). */
export function imageType(bytes: Buffer): 'image/jpeg' | 'image/png' | 'image/webp' | null {
  if (bytes.length > 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'image/jpeg';
  if (bytes.length > 8 && bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'image/png';
  if (bytes.length > 12 && bytes.subarray(0, 4).toString('latin1') === 'RIFF' && bytes.subarray(8, 12).toString('latin1') === 'WEBP') return 'image/webp';
  return null;
}
