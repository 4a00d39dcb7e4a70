// The product started the way each deployment starts it, from the files the operators use: the
// Procfile's lines run through bash as a PaaS runs them ($PORT, DATABASE_URL and a managed
// Redis over TLS with a self-signed certificate, from the environment), and the systemd units'
// ExecStart= lines run with their EnvironmentFile= and WorkingDirectory=, as systemd would, each
// until /readyz says ready, then stopped with the unit's KillSignal within its TimeoutStopSec.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { QUEUES, SCHEDULERS } from '../../src/lib/server/kernel/queues.ts';
import { createSideDatabase, deleteRedisKeys, freePort, parsePrometheus, samplesOf, startTestApp, waitUntil } from '../helpers.ts';
import { asAppRole } from '../app-role.ts';

const ROOT = process.cwd();
const dir = mkdtempSync(join(tmpdir(), 'ocpizza-deploy-'));
const cleanups: (() => Promise<void> | void)[] = [];
let side: Awaited<ReturnType<typeof createSideDatabase>>;
let tlsPort: number;
const prefix = `ocpizza_deploy_${randomBytes(3).toString('hex')}`;

/** `name: command` lines, as a PaaS reads them. */
function procfile(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of readFileSync(join(ROOT, 'Procfile'), 'utf8').split('\n')) {
    const m = /^([a-z][a-z0-9_-]*):\s*(.+)$/.exec(line.trim());
    if (m) out[m[1]] = m[2];
  }
  return out;
}

/** A unit file's settings by section: `Key=value` lines, comments and blank lines skipped. */
function unitFile(name: string): Record<string, Record<string, string[]>> {
  const out: Record<string, Record<string, string[]>> = {};
  let section = '';
  for (const raw of readFileSync(join(ROOT, 'deploy/systemd', name), 'utf8').split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith(';')) continue;
    const s = /^\[(.+)\]$/.exec(line);
    if (s) {
      section = s[1];
      out[section] ??= {};
      continue;
    }
    const eq = line.indexOf('=');
    (out[section][line.slice(0, eq)] ??= []).push(line.slice(eq + 1));
  }
  return out;
}

/** What an EnvironmentFile= holds, as systemd reads it (KEY=value per line). */
function readEnvFile(path: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const m = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line.trim());
    if (m) env[m[1]] = m[2];
  }
  return env;
}

interface Started {
  out: { text: string };
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stop: (signal: NodeJS.Signals) => void;
  running: () => boolean;
}

/** Starts a command with exactly this environment (a PaaS dyno and a systemd service inherit nothing else). */
function start(argv: string[], env: Record<string, string>, cwd = ROOT): Started {
  const child = spawn(argv[0], argv.slice(1), { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const out = { text: '' };
  child.stdout!.on('data', (d) => (out.text += d));
  child.stderr!.on('data', (d) => (out.text += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const running = () => child.exitCode === null && child.signalCode === null;
  cleanups.push(async () => {
    if (running()) {
      child.kill('SIGKILL');
      await exited;
    }
  });
  return { out, exited, stop: (signal) => child.kill(signal), running };
}

/** What every process is given besides its settings: the system's PATH (and a HOME), as systemd and a dyno do. */
const baseEnv = () => ({ PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir, NO_COLOR: '1' });
/** The fiscal journal's signing key production requires: as the PEM a platform's variable holds, or the file install.sh makes. */
const fiscalPem = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const fiscalKeyFile = () => {
  const file = join(dir, 'fiscal-key.pem');
  if (!existsSync(file)) writeFileSync(file, fiscalPem, { mode: 0o600 });
  return file;
};

async function readyz(port: number): Promise<{ status: number; body: { status: string; checks: Record<string, boolean> } } | null> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/readyz`, { signal: AbortSignal.timeout(3000) });
    return { status: res.status, body: await res.json() };
  } catch {
    return null;
  }
}

/**
 * /readyz once the server has settled, as a balancer keeps asking: a start on a loaded machine can
 * hold the event loop, or a check past its time limit, long enough to say "not ready" for a moment.
 */
async function untilAnswers(port: number, p: Started) {
  return waitUntil(async () => {
    if (!p.running()) throw new Error(`it exited before answering:\n${p.out.text.slice(-2000)}`);
    const r = await readyz(port);
    return r && r.body.status !== 'not_ready' ? r : null;
  }, 30_000, `/readyz on ${port} ready or degraded`);
}

beforeAll(async () => {
  expect(existsSync(join(ROOT, 'dist/server/index.js')), 'dist/ is missing: `npm run build` first (npm test does)').toBe(true);
  side = await createSideDatabase('deploy');
  // a managed Redis's kind: TLS only, a self-signed certificate
  const key = join(dir, 'redis.key');
  const cert = join(dir, 'redis.crt');
  const made = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1']);
  expect(made.status, made.stderr?.toString()).toBe(0);
  tlsPort = await freePort();
  const redis = spawn('redis-server', ['--port', '0', '--tls-port', String(tlsPort), '--tls-cert-file', cert, '--tls-key-file', key, '--tls-auth-clients', 'no', '--save', '', '--appendonly', 'no', '--bind', '127.0.0.1'], { stdio: 'ignore' });
  cleanups.push(() => void redis.kill('SIGKILL'));
  await waitUntil(async () => {
    const c = new Redis({ port: tlsPort, host: '127.0.0.1', tls: { rejectUnauthorized: false }, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    c.on('error', () => {});
    try {
      await c.connect();
      return (await c.ping()) === 'PONG';
    } catch {
      return false;
    } finally {
      c.disconnect();
    }
  }, 10_000, 'the TLS Redis');
}, 60_000);

afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
  // the queues of the servers and workers started here (the PaaS's, then the VPS's)
  for (const p of [prefix, `${prefix}_vps`]) await deleteRedisKeys(p);
  await side?.drop();
  rmSync(dir, { recursive: true, force: true });
});

describe('on a PaaS, from the Procfile', () => {
  const paasEnv = (extra: Record<string, string> = {}) => ({
    ...baseEnv(),
    NODE_ENV: 'production',
    // the platform's second credential for the product, its owner's for the release (migrations)
    DATABASE_URL: asAppRole(side.url),
    DATABASE_OWNER_URL: side.url,
    REDIS_URL: `rediss://127.0.0.1:${tlsPort}`,
    SESSION_SECRET: randomBytes(32).toString('base64'),
    FISCAL_SIGNING_KEY: fiscalPem,
    PUBLIC_ORIGIN: 'https://ocpizza.example.fr',
    QUEUE_PREFIX: prefix,
    ...extra,
  });

  it('names a web, a worker and a release process', () => {
    expect(Object.keys(procfile()).sort()).toEqual(['release', 'web', 'worker']);
  });

  it('the release phase migrates a new database, twice at once without harm (the lock), and again with nothing to do', async () => {
    const release = ['/bin/bash', '-c', procfile().release];
    const [a, b] = [start(release, paasEnv()), start(release, paasEnv())];
    const [ra, rb] = await Promise.all([a.exited, b.exited]);
    expect(ra.code, a.out.text).toBe(0);
    expect(rb.code, b.out.text).toBe(0);
    const again = start(release, paasEnv());
    expect((await again.exited).code).toBe(0);
    expect(again.out.text).toMatch(/up to date|No migrations to run/);
  }, 90_000);

  it('web listens on $PORT and is ready with the managed Redis over TLS (its self-signed certificate accepted only when told)', async () => {
    const port = await freePort();
    const web = start(['/bin/bash', '-c', procfile().web], paasEnv({ PORT: String(port), REDIS_TLS_VERIFY: 'false' }));
    const r = await untilAnswers(port, web);
    expect(r).toMatchObject({ status: 200, body: { status: 'ready', checks: { postgres: true, redis: true, schema: true } } });

    // the certificate is checked by default: not trusted, so Redis counts as away (pages still served)
    const strictPort = await freePort();
    const strict = start(['/bin/bash', '-c', procfile().web], paasEnv({ PORT: String(strictPort) }));
    const s = await untilAnswers(strictPort, strict);
    expect(s).toMatchObject({ status: 200, body: { status: 'degraded', checks: { redis: false } } });
    // trusted through its CA file instead
    const pinnedPort = await freePort();
    const pinned = start(['/bin/bash', '-c', procfile().web], paasEnv({ PORT: String(pinnedPort), REDIS_TLS_CA_FILE: join(dir, 'redis.crt') }));
    expect(await untilAnswers(pinnedPort, pinned)).toMatchObject({ status: 200, body: { status: 'ready', checks: { redis: true } } });

    for (const p of [web, strict, pinned]) p.stop('SIGTERM');
    for (const p of [web, strict, pinned]) expect(await p.exited).toMatchObject({ code: 0 });
  }, 90_000);

  it('worker runs its queues on the TLS Redis, leaves the backups to the platform when told, and stops on SIGTERM', async () => {
    const worker = start(['/bin/bash', '-c', procfile().worker], paasEnv({ REDIS_TLS_VERIFY: 'false', BACKUP_CRON: 'off' }));
    await waitUntil(() => {
      if (!worker.running()) throw new Error(worker.out.text.slice(-2000));
      return worker.out.text.includes('workers started');
    }, 30_000, 'the workers to start');
    const queue = new Queue(QUEUES.maintenance, { connection: { host: '127.0.0.1', port: tlsPort, tls: { rejectUnauthorized: false } }, prefix });
    try {
      // the weekly maintenance and the nightly fiscal closings; no backup (the platform's)
      const expected = [SCHEDULERS.housekeeping, SCHEDULERS.closings].sort();
      const schedulers = await waitUntil(async () => {
        const keys = (await queue.getJobSchedulers()).map((j) => j.key).sort();
        return keys.length >= expected.length ? keys : null;
      }, 15_000, 'the schedules in the TLS Redis');
      expect(schedulers).toEqual(expected);
    } finally {
      await queue.close();
    }
    worker.stop('SIGTERM');
    expect(await worker.exited).toMatchObject({ code: 0 });
  }, 60_000);
});

describe('on a VPS, from the systemd units', () => {
  /** The ExecStart= of a unit as systemd would run it: %i the instance, the unit's folder, its environment file. */
  function fromUnit(name: string, instance: string, envFile: string, longRunning = true) {
    const u = unitFile(name);
    const service = u.Service;
    expect(service.User).toEqual(['ocpizza']); // never root
    expect(service.EnvironmentFile).toEqual(['/etc/ocpizza/ocpizza.env']);
    expect(service.WorkingDirectory).toEqual(['/opt/ocpizza/current']);
    if (longRunning) expect(service.Restart).toEqual(['on-failure']);
    const argv = service.ExecStart[0].replaceAll('%i', instance).split(/\s+/);
    // the installed folder is this checkout here; the environment file is ours
    return {
      argv,
      env: { ...baseEnv(), ...readEnvFile(envFile) },
      cwd: ROOT,
      stopSignal: (service.KillSignal?.[0] ?? 'SIGTERM') as NodeJS.Signals,
      stopWithinMs: Number(service.TimeoutStopSec?.[0] ?? 90) * 1000,
    };
  }

  it('a server instance listens on the port its name gives, is ready, and stops gracefully within TimeoutStopSec; so do the workers', async () => {
    // the settings file install.sh writes, with this machine's services
    const envFile = join(dir, 'ocpizza.env');
    writeFileSync(envFile, [
      `DATABASE_URL=${asAppRole(side.url)}`,
      `DATABASE_OWNER_URL=${side.url}`,
      'REDIS_URL=redis://127.0.0.1:6379',
      `SESSION_SECRET=${randomBytes(48).toString('base64')}`,
      `FISCAL_KEY_FILE=${fiscalKeyFile()}`,
      'PUBLIC_ORIGIN=https://ocpizza.example.fr',
      'TRUST_PROXY=loopback',
      `BACKUP_DIR=${join(dir, 'backups')}`,
      `MEDIA_DIR=${join(dir, 'media')}`,
      `QUEUE_PREFIX=${prefix}_vps`,
      'LOG_LEVEL=info',
      // a PORT in the file does not move an instance off its own port
      'PORT=1',
    ].join('\n'));
    const port = await freePort();
    const server = fromUnit('ocpizza-server@.service', String(port), envFile);
    expect(server.argv).toContain(`PORT=${port}`);
    const p = start(server.argv, server.env, server.cwd);
    expect(await untilAnswers(port, p)).toMatchObject({ status: 200, body: { status: 'ready' } });
    // behind Nginx only: it listens on loopback (HOST=127.0.0.1)
    expect(p.out.text).toContain(`"port":${port}`);

    const workers = fromUnit('ocpizza-workers.service', '', envFile);
    const w = start(workers.argv, workers.env, workers.cwd);
    await waitUntil(() => {
      if (!w.running()) throw new Error(w.out.text.slice(-2000));
      return w.out.text.includes('workers started');
    }, 30_000, 'the workers to start');

    const t0 = Date.now();
    p.stop(server.stopSignal);
    w.stop(workers.stopSignal);
    expect(await p.exited).toMatchObject({ code: 0 });
    expect(Date.now() - t0).toBeLessThan(server.stopWithinMs);
    expect(await w.exited).toMatchObject({ code: 0 });
    expect(Date.now() - t0).toBeLessThan(workers.stopWithinMs);
  }, 90_000);

  it('the backup service takes a checked dump into BACKUP_DIR, as its timer does every night', async () => {
    const envFile = join(dir, 'backup.env');
    writeFileSync(envFile, `DATABASE_URL=${asAppRole(side.url)}\nDATABASE_OWNER_URL=${side.url}\nSESSION_SECRET=${randomBytes(48).toString('base64')}\nFISCAL_KEY_FILE=${fiscalKeyFile()}\nPUBLIC_ORIGIN=https://ocpizza.example.fr\nBACKUP_DIR=${join(dir, 'nightly')}\nBACKUP_RETENTION_DAYS=14\n`);
    const backup = fromUnit('ocpizza-backup.service', '', envFile, false);
    expect(unitFile('ocpizza-backup.timer').Timer.OnCalendar).toEqual(['*-*-* 03:00:00 Europe/Paris']);
    const b = start(backup.argv, backup.env, backup.cwd);
    expect((await b.exited).code, b.out.text).toBe(0);
    const file = b.out.text.trim().split('\n').at(-1)!;
    expect(file).toMatch(/nightly\/ocpizza-.*\.dump$/);
    expect(existsSync(file)).toBe(true);
  }, 90_000);
});

describe('the alerts and the dashboard', () => {
  it('watch only series the servers export: readiness, relay, shops open, screens, queues, backups', async () => {
    const { app, base } = await startTestApp();
    cleanups.push(() => app.close());
    await fetch(`${base}/healthz`);
    const text = (await waitUntil(async () => {
      const t = await (await fetch(`${base}/metrics`)).text();
      // ready as a balancer would see it: a start on a loaded machine can hold the event loop long
      // enough for the server to say it is not ready for a while (kernel/loop-watch.ts)
      return /^ocpizza_relay_listening 1$/m.test(t) && /^ocpizza_ready 1$/m.test(t) ? t : null;
    }, 30_000, 'the relay listening and the server ready'))!;
    const exported = new Set([...text.matchAll(/^# TYPE (\S+)/gm)].map((m) => m[1]));
    const named = (file: string) => new Set([...readFileSync(join(ROOT, file), 'utf8').matchAll(/\bocpizza_[a-z0-9_]+/g)].map((m) => m[0]));
    for (const file of ['deploy/prometheus/alerts.yml', 'deploy/grafana/ocpizza-evening.json']) {
      const missing = [...named(file)].filter((n) => !exported.has(n) && !exported.has(n.replace(/_(bucket|count|sum)$/, '')));
      expect(missing, `${file} names series no server exports`).toEqual([]);
    }
    const samples = parsePrometheus(text);
    expect(samplesOf(samples, 'ocpizza_ready')[0].value).toBe(1);
    // every seeded shop says whether it is open now
    const open = samplesOf(samples, 'ocpizza_shop_open');
    expect(open.map((s) => s.labels.pizzeria)).toEqual(expect.arrayContaining(['bastille', 'montmartre', 'batignolles', 'montparnasse', 'canal']));
    expect(open.every((s) => s.value === 0 || s.value === 1)).toBe(true);
  }, 60_000);
});
