import { describe, expect, it } from 'vitest';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { generateKeyPairSync } from 'node:crypto';
import { join } from 'node:path';
import { demoWebhookSecret, installSecret, parseConfig } from './config.ts';
import { libpqUrl } from '../operations/backup.ts';
import { redisOptions, redisTls } from './redis-options.ts';
import { connectionFor } from './queues.ts';

/** An Ed25519 key as an operator makes one (openssl genpkey -algorithm ed25519): production requires it. */
const pem = (type: 'ed25519' | 'ed448' = 'ed25519') => generateKeyPairSync(type as 'ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const FISCAL = { FISCAL_SIGNING_KEY: pem() };

describe('environment', () => {
  it('gives development defaults, including a demo password', () => {
    const c = parseConfig({ NODE_ENV: 'development' });
    expect(c.PORT).toBe(3000);
    expect(c.demoPassword).toBeTruthy();
    expect(c.secureCookies).toBe(false);
  });

  it('has no default demo password in production and makes cookies Secure', () => {
    const c = parseConfig({ NODE_ENV: 'production', SESSION_SECRET: 'x'.repeat(40), PUBLIC_ORIGIN: 'https://commande.ocpizza.example', ...FISCAL });
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

  it('refuses to start in production without PUBLIC_ORIGIN, the start of every link it sends; elsewhere links go to localhost', () => {
    expect(() => parseConfig({ NODE_ENV: 'production', SESSION_SECRET: 'x'.repeat(40) })).toThrow(/PUBLIC_ORIGIN: required in production/);
    expect(() => parseConfig({ NODE_ENV: 'production', SESSION_SECRET: 'x'.repeat(40), PUBLIC_ORIGIN: '' })).toThrow(/PUBLIC_ORIGIN/);
    expect(() => parseConfig({ PUBLIC_ORIGIN: 'ftp://ocpizza.example' })).toThrow(/PUBLIC_ORIGIN/);
    expect(parseConfig({ NODE_ENV: 'production', SESSION_SECRET: 'x'.repeat(40), PUBLIC_ORIGIN: 'https://commande.ocpizza.example/', ...FISCAL }).publicOrigin).toBe('https://commande.ocpizza.example');
    expect(parseConfig({ NODE_ENV: 'development', PORT: '4173' }).publicOrigin).toBe('http://localhost:4173');
  });

  it('never runs an install with a secret derivable from the repository: without SESSION_SECRET, a random one', () => {
    const a = parseConfig({ NODE_ENV: 'development' });
    const b = parseConfig({ NODE_ENV: 'development' });
    expect(a.sessionSecret).not.toBe(b.sessionSecret);
    expect(a.sessionSecret).not.toBe('development-only-session-key-not-secret');
    expect(a.paymentWebhookSecret).not.toBe(demoWebhookSecret('development-only-session-key-not-secret'));
    expect(parseConfig({ NODE_ENV: 'development', SESSION_SECRET: 's'.repeat(40) }).paymentWebhookSecret).toBe(demoWebhookSecret('s'.repeat(40)));
  });

  it("keeps the install's generated secret in one private file that every process reads", () => {
    const dir = mkdtempSync(join(tmpdir(), 'ocpizza-secret-'));
    try {
      const file = join(dir, '.session-secret');
      const first = installSecret(file);
      expect(first.length).toBeGreaterThanOrEqual(32);
      expect(installSecret(file)).toBe(first);
      expect(readFileSync(file, 'utf8').trim()).toBe(first);
      expect(statSync(file).mode & 0o077).toBe(0);
      const other = installSecret(join(dir, 'another'));
      expect(other).not.toBe(first);
      // made readable by others (a careless copy): kept to its owner again
      chmodSync(file, 0o644);
      expect(installSecret(file)).toBe(first);
      expect(statSync(file).mode & 0o077).toBe(0);
      // emptied or cut: refused, naming what to do, rather than a secret of each process's own
      writeFileSync(join(dir, 'empty'), '\n');
      expect(() => installSecret(join(dir, 'empty'))).toThrow(/holds no usable secret.*SESSION_SECRET/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses to start in production without the key that signs the fiscal journal, takes it as PEM or from a file, and refuses anything but Ed25519', () => {
    const prod = { NODE_ENV: 'production', SESSION_SECRET: 'x'.repeat(40), PUBLIC_ORIGIN: 'https://commande.ocpizza.example' };
    expect(() => parseConfig(prod)).toThrow(/FISCAL_SIGNING_KEY: required in production \(or FISCAL_KEY_FILE\)/);
    const key = pem();
    expect(parseConfig({ ...prod, FISCAL_SIGNING_KEY: key }).FISCAL_SIGNING_KEY).toBe(key);
    // a platform's variable or a .env file on one line: its line breaks written \n
    expect(() => parseConfig({ ...prod, FISCAL_SIGNING_KEY: key.replace(/\n/g, '\\n') })).not.toThrow();
    expect(() => parseConfig({ ...prod, FISCAL_SIGNING_KEY: 'not a key' })).toThrow(/FISCAL_SIGNING_KEY: an Ed25519 private key/);
    expect(() => parseConfig({ ...prod, FISCAL_SIGNING_KEY: pem('ed448') })).toThrow(/FISCAL_SIGNING_KEY: an Ed25519 private key/);
    const dir = mkdtempSync(join(tmpdir(), 'ocpizza-fiscal-'));
    try {
      const file = join(dir, 'fiscal-key.pem');
      writeFileSync(file, key, { mode: 0o600 });
      expect(parseConfig({ ...prod, FISCAL_KEY_FILE: file }).FISCAL_KEY_FILE).toBe(file);
      expect(() => parseConfig({ ...prod, FISCAL_KEY_FILE: join(dir, 'missing.pem') })).toThrow(/FISCAL_KEY_FILE: no Ed25519 private key in PEM can be read from/);
      expect(() => parseConfig({ ...prod, FISCAL_KEY_FILE: file, FISCAL_SIGNING_KEY: key })).toThrow(/FISCAL_KEY_FILE: FISCAL_SIGNING_KEY or FISCAL_KEY_FILE, not both/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    // the message names the variable, never its value
    const broken = key.replace(/\n[^\n]+\n-----END/, '\nAAAA\n-----END');
    expect(() => parseConfig({ ...prod, FISCAL_SIGNING_KEY: broken })).toThrow(/^(?![\s\S]*PRIVATE KEY)[\s\S]*FISCAL_SIGNING_KEY: an Ed25519/);
    // elsewhere it is not required: the install makes its own when the journal first signs (fiscal/keys.ts)
    expect(() => parseConfig({ NODE_ENV: 'development' })).not.toThrow();
  });

  it('refuses the development password in production and names bad variables', () => {
    expect(() => parseConfig({ NODE_ENV: 'production', SESSION_SECRET: 'x'.repeat(40), PUBLIC_ORIGIN: 'https://commande.ocpizza.example', DEMO_PASSWORD: 'pizza-demo-dev' })).toThrow(/DEMO_PASSWORD/);
    expect(() => parseConfig({ PORT: 'eighty', DATABASE_URL: 'nope' })).toThrow(/PORT.*DATABASE_URL|DATABASE_URL.*PORT/);
  });

  it('takes a queue prefix as a plain name or as a Redis Cluster hash tag, one pair of braces around it, and refuses anything else by name', () => {
    expect(parseConfig({}).QUEUE_PREFIX).toBe('ocpizza');
    expect(parseConfig({ QUEUE_PREFIX: 'ocpizza_eu-2' }).QUEUE_PREFIX).toBe('ocpizza_eu-2');
    expect(parseConfig({ QUEUE_PREFIX: '{ocpizza}' }).QUEUE_PREFIX).toBe('{ocpizza}');
    for (const bad of ['{}', '{ocpizza', 'ocpizza}', 'oc{pizza}', '{ocpizza}x', '{oc}{pizza}', '{{ocpizza}}', '{oc:pizza}', 'oc pizza', 'oc:pizza']) {
      expect(() => parseConfig({ QUEUE_PREFIX: bad }), bad).toThrow(/QUEUE_PREFIX: letters, digits, _ and - .*one pair of braces for Redis Cluster \(e\.g\. \{ocpizza\}\)/);
    }
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

  it('reads a PaaS\'s settings: $PORT, a TLS Redis with a self-signed certificate, backups left to the platform', () => {
    const c = parseConfig({ PORT: '41234', REDIS_URL: 'rediss://:secret@redis.example.net:16380', REDIS_TLS_VERIFY: 'false', BACKUP_CRON: 'off' });
    expect(c.PORT).toBe(41234);
    expect(c.BACKUP_CRON).toBe('off');
    expect(redisTls(c)).toMatchObject({ rejectUnauthorized: false, servername: 'redis.example.net' });
    // verified by default; plain redis:// has no TLS
    expect(redisTls(parseConfig({ REDIS_URL: 'rediss://redis.example.net:6380' }))).toMatchObject({ rejectUnauthorized: true });
    expect(redisTls(parseConfig({}))).toBeUndefined();
    expect(() => parseConfig({ REDIS_URL: 'http://redis.example.net' })).toThrow(/REDIS_URL/);
    expect(() => parseConfig({ REDIS_TLS_VERIFY: 'maybe' })).toThrow(/REDIS_TLS_VERIFY/);
    expect(() => parseConfig({ BACKUP_CRON: 'never' })).toThrow(/BACKUP_CRON/);
  });

  it('reads Redis behind Sentinel: the sentinels and the master name instead of REDIS_URL\'s host, for every connection and BullMQ', () => {
    const c = parseConfig({ REDIS_URL: 'redis://:node-secret@ignored:6379/2', REDIS_SENTINELS: '10.0.0.11:26379, 10.0.0.12:26379,[fd00::13]:26380', REDIS_SENTINEL_PASSWORD: 's-secret' });
    const o = redisOptions(c);
    expect(o).toMatchObject({
      sentinels: [{ host: '10.0.0.11', port: 26379 }, { host: '10.0.0.12', port: 26379 }, { host: 'fd00::13', port: 26380 }],
      name: 'ocpizza', role: 'master', password: 'node-secret', db: 2, sentinelPassword: 's-secret', failoverDetector: true,
    });
    expect(o.host).toBeUndefined();
    // the queues' connection is the same, with BullMQ's unlimited retries
    expect(connectionFor(c)).toMatchObject({ name: 'ocpizza', sentinels: o.sentinels, maxRetriesPerRequest: null });
    // rediss:// applies to the sentinels and the nodes, each checked against its own address
    const tls = redisOptions(parseConfig({ REDIS_URL: 'rediss://ignored', REDIS_SENTINELS: 'a:26379', REDIS_SENTINEL_NAME: 'chain-1' }));
    expect(tls).toMatchObject({ name: 'chain-1', enableTLSForSentinelMode: true, tls: { rejectUnauthorized: true }, sentinelTLS: { rejectUnauthorized: true } });
    expect((tls.tls as { servername?: string }).servername).toBeUndefined();
    // without sentinels: REDIS_URL's own host
    expect(redisOptions(parseConfig({ REDIS_URL: 'redis://cache.internal:6390' }))).toMatchObject({ host: 'cache.internal', port: 6390 });
    expect(redisOptions(parseConfig({ REDIS_URL: 'redis://cache.internal:6390' })).sentinels).toBeUndefined();
    expect(() => parseConfig({ REDIS_SENTINELS: 'sentinel-without-port' })).toThrow(/REDIS_SENTINELS/);
    expect(() => parseConfig({ REDIS_SENTINELS: '10.0.0.11:26379,10.0.0.12' })).toThrow(/REDIS_SENTINELS/);
    expect(() => parseConfig({ REDIS_SENTINEL_NAME: 'two words' })).toThrow(/REDIS_SENTINEL_NAME/);
  });

  it('hands pg_dump a managed Postgres URL it understands (node-postgres\'s no-verify is libpq\'s require)', () => {
    expect(libpqUrl('postgres://u:p%40ss@db.example.net:5432/ocpizza?sslmode=no-verify')).toBe('postgres://u:p%40ss@db.example.net:5432/ocpizza?sslmode=require');
    expect(libpqUrl('postgres://postgres@127.0.0.1:5432/ocpizza')).toBe('postgres://postgres@127.0.0.1:5432/ocpizza');
  });
});
