// An install started as `npm run up` starts it (scripts/run-all.mjs: the built server and workers,
// no NODE_ENV, no SESSION_SECRET) runs with a secret of its own, made on its first start and kept
// in a private file beside it, not with one anyone can derive from the repository: a payment
// webhook signed with the old public default is refused, one signed with the install's secret is
// taken, and the server and the workers agree on it (a reset link the workers made opens on the server).
// Without PUBLIC_ORIGIN, the links it mails point to http://localhost:$PORT, whatever Host the page
// form "forgot your password?" was posted under, and the form answers alike for any email.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { demoWebhookSecret } from '../../src/lib/server/kernel/config.ts';
import { fiscalKeyFromPem } from '../../src/lib/server/fiscal/keys.ts';
import { signStripeEvent } from '../../src/lib/server/money/stripe.ts';
import { Client, childEnv, createShop, freePort, testPool, waitUntil } from '../helpers.ts';
import { fileDatabase } from '../file-database.ts';

const ROOT = process.cwd();
const dir = mkdtempSync(join(tmpdir(), 'ocpizza-up-'));
const pool = testPool();
let child: ChildProcess;
let out = '';
let base: string;

beforeAll(async () => {
  expect(existsSync(join(ROOT, 'dist/server/index.js')), 'npm run build first (npm test does)').toBe(true);
  // a fresh checkout's folder: what setup built, and nothing else (no .env, no secret yet)
  for (const built of ['dist', 'build', 'node_modules', 'package.json']) symlinkSync(join(ROOT, built), join(dir, built));
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  child = spawn(process.execPath, [join(ROOT, 'scripts/run-all.mjs')], {
    cwd: dir,
    env: childEnv({
      DATABASE_URL: fileDatabase().databaseUrl,
      QUEUE_PREFIX: `${fileDatabase().queuePrefix}_up`,
      DEMO_PASSWORD: inject('demoPassword'),
      GEOCODER_URL: inject('geocoderUrl'),
      MAP_TILE_URL: 'none',
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      BACKUP_CRON: 'off',
    }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  await waitUntil(async () => {
    if (child.exitCode !== null) throw new Error(`npm run up's processes exited:\n${out.slice(-3000)}`);
    return (await fetch(`${base}/readyz`).catch(() => null))?.ok && /workers started/.test(out);
  }, 45_000, 'the server and the workers');
}, 90_000);

afterAll(async () => {
  if (child && child.exitCode === null) {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  }
  await pool.end();
  rmSync(dir, { recursive: true, force: true });
});

const webhook = (secret: string) => {
  const payload = JSON.stringify({ id: `evt_up_${Date.now()}_${Math.random().toString(36).slice(2)}`, type: 'charge.updated', data: { object: {} } });
  return fetch(`${base}/api/payments/stripe/webhook`, { method: 'POST', headers: { 'content-type': 'application/json', 'stripe-signature': signStripeEvent(payload, secret) }, body: payload });
};

describe('an install started by npm run up', () => {
  it('refuses a payment webhook signed with the secret derived from the repository, and takes one signed with its own', async () => {
    const forged = await webhook(demoWebhookSecret('development-only-session-key-not-secret'));
    expect(forged.status).toBe(400);
    const file = join(dir, '.session-secret');
    expect(statSync(file).mode & 0o077).toBe(0);
    const own = readFileSync(file, 'utf8').trim();
    expect(own.length).toBeGreaterThanOrEqual(32);
    expect((await webhook(demoWebhookSecret(own))).status).toBe(200);
  });

  it('signs the fiscal journal with a key of its own, made on first use, kept private beside it and recorded in the technical events journal', async () => {
    const file = join(dir, '.fiscal-key.pem');
    expect(statSync(file).mode & 0o077).toBe(0);
    const key = fiscalKeyFromPem(readFileSync(file, 'utf8'));
    await waitUntil(async () => (await pool.query(`SELECT 1 FROM fiscal_entries WHERE chain = 'jet' AND kind = 'key_change' AND key_id = $1`, [key.keyId])).rowCount! > 0, 15_000, 'the key change in the JET');
  });

  it('gives the server and the workers the same secret: a reset link the workers made opens on the server', async () => {
    const shop = await createShop(pool, 'upsecret');
    const email = shop.email('manager');
    expect((await new Client(base).post('/api/account/forgot', { email })).status).toBe(202);
    // without SMTP_URL the workers write the email to their log
    const found = await waitUntil(() => new RegExp(`"to":"${email.replace(/[.]/g, '\\.')}".*?(http\\S*?)/account/password\\?token=([A-Za-z0-9_-]+)`).exec(out), 15_000, 'the reset email in the log');
    // no PUBLIC_ORIGIN on a development machine: links go to http://localhost:$PORT
    expect(found![1]).toBe(`http://localhost:${new URL(base).port}`);
    const token = found![2];
    const link = await new Client(base).get(`/api/account/link?token=${token}`);
    expect(link.status).toBe(200);
    expect(link.body.email).toBe(email);
  });

  it('the page form "forgot your password?" posted under a forged Host mails a link to localhost:$PORT, and answers the same for an email with no account', async () => {
    const shop = await createShop(pool, 'upform');
    const email = shop.email('counter');
    const unknown = `personne.${shop.slug}@ocpizza.test`;
    const post = (address: string) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = httpRequest(
          {
            host: '127.0.0.1',
            port: new URL(base).port,
            path: '/account/forgot',
            method: 'POST',
            // what an attacker's script sends: its own host, and an Origin that matches it
            headers: { host: 'evil.example', origin: 'http://evil.example', 'content-type': 'application/x-www-form-urlencoded', 'x-sveltekit-action': 'true' },
          },
          (res) => {
            let text = '';
            res.on('data', (d) => (text += d));
            res.on('end', () => resolve({ status: res.statusCode!, body: text }));
          },
        );
        req.on('error', reject);
        req.end(new URLSearchParams({ email: address }).toString());
      });
    const known = await post(email);
    const none = await post(unknown);
    expect(known.status, known.body).toBe(200);
    expect(JSON.parse(known.body).type, known.body).toBe('success');
    expect(none).toEqual(known);
    const found = await waitUntil(() => new RegExp(`"to":"${email.replace(/[.]/g, '\\.')}".*?(http\\S*?)/account/password\\?token=`).exec(out), 15_000, 'the reset email in the log');
    expect(found![1]).toBe(`http://localhost:${new URL(base).port}`);
    expect(out).not.toMatch(/evil\.example\/account/);
    await new Promise((r) => setTimeout(r, 500));
    expect(out).not.toContain(`"to":"${unknown}"`);
  });
});
