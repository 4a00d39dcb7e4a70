// What a media store is, whatever keeps the bytes (a folder on disk, media.ts; a bucket,
// media-s3.ts), and the only keys it serves.
export const MEDIA_KEY = /^products\/[a-z0-9-]+\.webp$/;

export interface MediaStore {
  put(key: string, bytes: Buffer): Promise<void>;
  get(key: string): Promise<Buffer | null>;
}
