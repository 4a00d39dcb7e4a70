// Product photos in S3-compatible object storage, against an S3-compatible server run in the test
// (s3rver: the S3 REST protocol over HTTP, with signed requests): head office's upload goes to the
// bucket, the server serves it from there with its year of cache, and nothing is written to
// MEDIA_DIR; the store reads back exactly what it wrote and says "no such photo" for the rest.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import S3rver from 's3rver';
import sharp from 'sharp';
import { Client, freePort } from '../helpers.ts';
import { useStack } from '../services.ts';
import { mediaStoreFrom, productPhoto } from '../../src/lib/server/shops/media.ts';
import { parseConfig } from '../../src/lib/server/kernel/config.ts';

const BUCKET = 'ocpizza-photos';
let s3: S3rver;
let endpoint: string;
const mediaDir = mkdtempSync(join(tmpdir(), 'ocp-media-'));
const settings = () => ({
  S3_BUCKET: BUCKET,
  S3_ENDPOINT: endpoint,
  S3_ACCESS_KEY_ID: 'S3RVER',
  S3_SECRET_ACCESS_KEY: 'S3RVER',
  MEDIA_DIR: mediaDir,
});

beforeAll(async () => {
  s3 = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory: mkdtempSync(join(tmpdir(), 'ocp-s3-')), configureBuckets: [{ name: BUCKET, configs: [] }] });
  const { port } = await s3.run();
  endpoint = `http://127.0.0.1:${port}`;
});
afterAll(async () => {
  await s3?.close();
});
const stack = useStack({ env: settings });

const picture = () => sharp({ create: { width: 1000, height: 700, channels: 3, background: { r: 200, g: 80, b: 40 } } }).png().toBuffer();

describe('photos in an S3 bucket', () => {
  it('picks the bucket when S3_BUCKET is set, the folder otherwise', async () => {
    const folderDir = mkdtempSync(join(tmpdir(), 'ocp-folder-'));
    const { key, webp } = await productPhoto('which-store', await picture());
    await mediaStoreFrom(parseConfig({ MEDIA_DIR: folderDir })).put(key, webp);
    expect(existsSync(join(folderDir, key))).toBe(true);
    const bucketDir = mkdtempSync(join(tmpdir(), 'ocp-unused-'));
    const bucket = mediaStoreFrom(parseConfig({ ...settings(), MEDIA_DIR: bucketDir }));
    expect(await bucket.get(key)).toBeNull();
    await bucket.put(key, webp);
    expect(readdirSync(bucketDir)).toEqual([]);
    expect(Buffer.compare((await bucket.get(key))!, webp)).toBe(0);
  });

  it('reads back byte for byte what it stored; an unknown key is no photo, a bad key is not even asked for', async () => {
    const store = mediaStoreFrom(parseConfig(settings()));
    const { key, webp } = await productPhoto('bucket-test', await picture());
    await store.put(key, webp);
    expect(Buffer.compare((await store.get(key))!, webp)).toBe(0);
    expect(await store.get('products/nothing-here-000000000000.webp')).toBeNull();
    expect(await store.get('../../etc/passwd')).toBeNull();
    // nothing listens there: a bad key answers null only because no request is sent
    const nowhere = mediaStoreFrom(parseConfig({ ...settings(), S3_ENDPOINT: `http://127.0.0.1:${await freePort()}` }));
    expect(await nowhere.get('../../etc/passwd')).toBeNull();
    expect(await nowhere.get('products/UPPER-case.webp')).toBeNull();
    await expect(nowhere.get(key)).rejects.toThrow();
    await expect(store.put('../outside.webp', webp)).rejects.toThrow(/not a media key/);
    // what the bucket holds is the WebP, typed and cached for a year (the server's own headers say the same)
    const raw = await fetch(`${endpoint}/${BUCKET}/${key}`);
    expect([raw.headers.get('content-type'), raw.headers.get('cache-control')]).toEqual(['image/webp', 'public, max-age=31536000, immutable']);
  });

  it("head office's upload lands in the bucket, is served by the server with a year's cache, and nothing is written to MEDIA_DIR", async () => {
    const admin = await new Client(stack.base).login('admin@ocpizza.test');
    const pate = (await stack.pool.query<{ id: number }>(`SELECT id FROM ingredients WHERE slug = 'pate'`)).rows[0].id;
    const made = await admin.post('/api/menu/products', { slug: `s3-${Math.random().toString(36).slice(2, 8)}`, name: 'S3', category: 'pizza', priceCents: 1000, vatRates: { pickup: 10, delivery: 10 }, recipe: [{ ingredientId: pate, quantity: 1 }] });
    expect(made.status, JSON.stringify(made.body)).toBe(201);
    const res = await fetch(`${stack.base}/api/menu/products/${made.body.id}/photo`, { method: 'POST', headers: { 'content-type': 'image/png', cookie: admin.cookie }, body: new Uint8Array(await picture()) });
    expect(res.status).toBe(200);
    const { photo } = (await res.json()) as { photo: string };
    const served = await fetch(`${stack.base}/media/${photo}`);
    expect(served.status).toBe(200);
    expect(served.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    const meta = await sharp(Buffer.from(await served.arrayBuffer())).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['webp', 800, 600]);
    const inBucket = await mediaStoreFrom(parseConfig(settings())).get(photo);
    expect(inBucket?.length).toBeGreaterThan(100);
    expect(existsSync(mediaDir) ? readdirSync(mediaDir) : []).toEqual([]);
    expect((await fetch(`${stack.base}/media/products/missing-000000000000.webp`)).status).toBe(404);
  });
});
