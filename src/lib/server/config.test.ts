import { describe, expect, it } from 'vitest';
import { parseConfig } from './config.ts';

describe('environment', () => {
  it('gives development defaults, including a demo password', () => {
    const c = parseConfig({ NODE_ENV: 'development' });
    expect(c.PORT).toBe(3000);
    expect(c.demoPassword).toBeTruthy();
    expect(c.secureCookies).toBe(false);
  });

  it('has no default demo password in production and makes cookies Secure', () => {
    const c = parseConfig({ NODE_ENV: 'production', SESSION_SECRET: 'x'.repeat(40) });
    expect(c.demoPassword).toBeNull();
    expect(c.secureCookies).toBe(true);
  });

  it('treats an empty variable as not set, as compose passes "${X:-}"', () => {
    const c = parseConfig({ NODE_ENV: 'development', SENTRY_DSN: '', PUBLIC_ORIGIN: '', PORT: '' });
    expect(c.SENTRY_DSN).toBeUndefined();
    expect(c.PORT).toBe(3000);
  });

  it('refuses to start in production without a session secret', () => {
    expect(() => parseConfig({ NODE_ENV: 'production' })).toThrow(/SESSION_SECRET: required in production/);
    expect(() => parseConfig({ NODE_ENV: 'production', SESSION_SECRET: 'short' })).toThrow(/SESSION_SECRET/);
  });

  it('refuses the development password in production and names bad variables', () => {
    expect(() => parseConfig({ NODE_ENV: 'production', SESSION_SECRET: 'x'.repeat(40), DEMO_PASSWORD: 'pizza-demo-dev' })).toThrow(/DEMO_PASSWORD/);
    expect(() => parseConfig({ PORT: 'eighty', DATABASE_URL: 'nope' })).toThrow(/PORT.*DATABASE_URL|DATABASE_URL.*PORT/);
  });

  it('keeps photos on disk unless a bucket is set, and then wants its keys', () => {
    expect(parseConfig({}).S3_BUCKET).toBeUndefined();
    const c = parseConfig({ S3_BUCKET: 'ocpizza-photos', S3_ENDPOINT: 'http://minio:9000', S3_ACCESS_KEY_ID: 'k', S3_SECRET_ACCESS_KEY: 's', S3_FORCE_PATH_STYLE: 'false' });
    expect([c.S3_BUCKET, c.S3_REGION, c.S3_FORCE_PATH_STYLE]).toEqual(['ocpizza-photos', 'us-east-1', false]);
    expect(() => parseConfig({ S3_BUCKET: 'ocpizza-photos' })).toThrow(/S3_ACCESS_KEY_ID/);
    expect(() => parseConfig({ S3_BUCKET: 'Not A Bucket', S3_ACCESS_KEY_ID: 'k', S3_SECRET_ACCESS_KEY: 's' })).toThrow(/S3_BUCKET/);
  });

  it('puts the bucket in the path unless told otherwise, and names a missing secret or a bad endpoint', () => {
    const keys = { S3_ACCESS_KEY_ID: 'k', S3_SECRET_ACCESS_KEY: 's' };
    expect(parseConfig({ S3_BUCKET: 'ocpizza-photos', ...keys }).S3_FORCE_PATH_STYLE).toBe(true);
    // compose passes "${S3_BUCKET:-}" when it is not set: photos stay on disk
    expect(parseConfig({ S3_BUCKET: '', S3_ACCESS_KEY_ID: '' }).S3_BUCKET).toBeUndefined();
    expect(() => parseConfig({ S3_BUCKET: 'ocpizza-photos', S3_ACCESS_KEY_ID: 'k' })).toThrow(/S3_SECRET_ACCESS_KEY are needed with S3_BUCKET/);
    expect(() => parseConfig({ S3_BUCKET: 'ocpizza-photos', ...keys, S3_ENDPOINT: 'minio:9000' })).toThrow(/S3_ENDPOINT/);
    expect(() => parseConfig({ S3_FORCE_PATH_STYLE: 'yes' })).toThrow(/S3_FORCE_PATH_STYLE/);
  });
});
