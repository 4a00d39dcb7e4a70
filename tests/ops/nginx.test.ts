// deploy/nginx/ocpizza.conf in front of two built servers, as on the VPS: Debian's nginx runs the
// file as shipped, with only its ports, certificate and cache folder moved for a test machine
// (listen 80/443 become two free local ports). Plain HTTP is sent to HTTPS, pages and the API go
// through, a screen's Socket.io WebSocket is upgraded and lives, the servers take turns, the
// fingerprinted assets are cached, and an oversized body is refused at the door.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { io as ioClient } from 'socket.io-client';
import { childEnv, freePort, holdPort, waitUntil } from '../helpers.ts';
import { asAppRole } from '../app-role.ts';
import { fileDatabase } from '../file-database.ts';

const nginx = ['/usr/sbin/nginx', '/usr/bin/nginx'].find((p) => existsSync(p));
const ROOT = process.cwd();
const dir = mkdtempSync(join(tmpdir(), 'ocpizza-nginx-'));
const cleanups: (() => Promise<void> | void)[] = [];
let httpPort: number;
let httpsPort: number;
const serverPorts: number[] = [];
const logs: string[] = [];

interface Answer { status: number; headers: Record<string, string | string[] | undefined>; body: string }
/** An HTTPS request to Nginx that accepts its test certificate. */
function https(path: string, opts: { method?: string; headers?: Record<string, string>; body?: Buffer | string } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: httpsPort, path, method: opts.method ?? 'GET', headers: opts.headers, rejectUnauthorized: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

beforeAll(async () => {
  if (!nginx) return;
  chmodSync(dir, 0o755); // nginx's workers run as nobody
  expect(existsSync(join(ROOT, 'dist/server/index.js')), 'npm run build first (npm test does)').toBe(true);
  // Nginx's two ports are held open until it starts: picked and let go at once, another test's
  // server could take one while the two app servers start (seen once: "Address already in use")
  const held = await Promise.all([holdPort(), holdPort()]);
  [httpPort, httpsPort] = held.map((h) => h.port);
  // two servers, as two ocpizza-server@ instances
  for (let i = 0; i < 2; i++) {
    const port = await freePort();
    serverPorts.push(port);
    const child = spawn(process.execPath, ['dist/server/index.js'], {
      cwd: ROOT,
      env: childEnv({
        NODE_ENV: 'production',
        SESSION_SECRET: randomBytes(32).toString('base64'),
        FISCAL_SIGNING_KEY: generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
        // the site's name on this machine (install.sh writes https://<domain>)
        PUBLIC_ORIGIN: `https://127.0.0.1:${httpsPort}`,
        // the product's own role: production refuses one that could change the fiscal journal
        DATABASE_URL: asAppRole(fileDatabase().databaseUrl),
        QUEUE_PREFIX: fileDatabase().queuePrefix,
        PORT: String(port),
        HOST: '127.0.0.1',
        LOG_LEVEL: 'info',
        TRUST_PROXY: 'loopback',
        GEOCODER_URL: inject('geocoderUrl'),
        // the suite's other customers came from this address too, counted in the same Redis
        RATE_LIMIT_ORDERS: '100000',
      }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (d) => logs.push(`[${port}] ${d}`));
    child.stderr!.on('data', (d) => logs.push(`[${port}] ${d}`));
    const exited = new Promise((r) => child.once('exit', r));
    cleanups.push(async () => {
      child.kill('SIGTERM');
      await exited;
    });
  }
  for (const port of serverPorts) {
    await waitUntil(async () => (await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => null))?.ok, 30_000, `server ${port}`);
  }

  // the site as shipped, moved onto free ports with a test certificate, named as this machine is
  const made = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=localhost']);
  expect(made.status, made.stderr?.toString()).toBe(0);
  mkdirSync(join(dir, 'acme'));
  const site = readFileSync(join(ROOT, 'deploy/nginx/ocpizza.conf'), 'utf8')
    .replace(/^\s*listen \[::\]:\d+.*$/gm, '')
    .replace(/listen 80( default_server)?;/g, `listen 127.0.0.1:${httpPort}$1;`)
    .replace(/listen 443 ssl http2( default_server)?;/g, `listen 127.0.0.1:${httpsPort} ssl http2$1;`)
    .replace(/server_name ocpizza\.example\.fr;/g, 'server_name 127.0.0.1;')
    .replace(/^\s*server 127\.0\.0\.1:\d+ (.*)$/gm, '')
    .replace(/least_conn;/, `least_conn;\n${serverPorts.map((p) => `    server 127.0.0.1:${p} max_fails=3 fail_timeout=10s;`).join('\n')}`)
    .replace(/^(\s*)ssl_certificate\s+\S+;/gm, `$1ssl_certificate ${join(dir, 'cert.pem')};`)
    .replace(/^(\s*)ssl_certificate_key\s+\S+;/gm, `$1ssl_certificate_key ${join(dir, 'key.pem')};`)
    .replace(/proxy_cache_path \S+/, `proxy_cache_path ${join(dir, 'cache')}`)
    .replace(/root \/var\/www\/letsencrypt;/, `root ${join(dir, 'acme')};`);
  writeFileSync(join(dir, 'ocpizza.conf'), site);
  writeFileSync(join(dir, 'nginx.conf'), [
    'daemon off;',
    `pid ${join(dir, 'nginx.pid')};`,
    `error_log ${join(dir, 'error.log')} warn;`,
    'events {}',
    'http {',
    '  include /etc/nginx/mime.types;',
    "  log_format upstream '$upstream_addr $uri';",
    `  access_log ${join(dir, 'access.log')} upstream;`,
    ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `  ${t}_temp_path ${join(dir, `${t}-temp`)};`),
    `  include ${join(dir, 'ocpizza.conf')};`,
    '}',
  ].join('\n'));
  await Promise.all(held.map((h) => h.release()));
  const proc = spawn(nginx, ['-c', join(dir, 'nginx.conf')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  proc.stderr!.on('data', (d) => (err += d));
  const exited = new Promise((r) => proc.once('exit', r));
  cleanups.push(async () => {
    proc.kill('SIGQUIT');
    await exited;
  });
  await waitUntil(async () => {
    if (proc.exitCode !== null) {
      // what nginx said: on its standard error (a bad configuration, a port taken) and in its log, when it got that far
      const log = existsSync(join(dir, 'error.log')) ? readFileSync(join(dir, 'error.log'), 'utf8') : '';
      throw new Error(`nginx exited with ${proc.exitCode}: ${err}${log}`);
    }
    return (await https('/healthz').catch(() => null))?.status === 200;
  }, 15_000, 'nginx');
}, 90_000);

afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
  rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!nginx)('the shipped Nginx site in front of two servers', () => {
  it('sends plain HTTP to HTTPS, and serves the pages, the API and the probes over HTTPS', async () => {
    const plain = await fetch(`http://127.0.0.1:${httpPort}/kitchen?x=1`, { redirect: 'manual' });
    expect(plain.status).toBe(301);
    expect(plain.headers.get('location')).toBe(`https://127.0.0.1/kitchen?x=1`);
    expect((await https('/readyz')).body).toMatch(/"status":"ready"/);
    const menu = await https('/api/pizzerias/1/menu');
    expect(menu.status).toBe(200);
    const home = await https('/');
    expect(home.status).toBe(200);
    expect(home.headers['strict-transport-security']).toBeTruthy(); // the app's own headers come through
  });

  it('closes the connection of a request for any other name, on HTTP and HTTPS, without reaching the servers', async () => {
    const plain = (host: string) =>
      new Promise<string>((resolve) => {
        const req = httpRequest({ host: '127.0.0.1', port: httpPort, path: '/api/account/forgot', method: 'POST', headers: { host, 'content-type': 'application/json' } }, (res) => {
          res.resume();
          resolve(`answered ${res.statusCode}`);
        });
        req.on('error', (e) => resolve(`closed: ${(e as NodeJS.ErrnoException).code}`));
        req.end('{"email":"manager@ocpizza.example"}');
      });
    const secure = (host: string) => https('/api/account/forgot', { method: 'POST', headers: { host, 'content-type': 'application/json' }, body: '{"email":"manager@ocpizza.example"}' }).then((a) => `answered ${a.status}`, (e) => `closed: ${e.code}`);
    expect(await plain('evil.example')).toMatch(/^closed: /);
    expect(await secure('evil.example')).toMatch(/^closed: /);
    expect(await secure(`evil.example:${httpsPort}`)).toMatch(/^closed: /);
    // the site's own name still goes through
    expect(await plain('127.0.0.1')).toBe('answered 301');
    expect(await secure(`127.0.0.1:${httpsPort}`)).toBe('answered 202');
    // one of them reached a server: the one for the site's name (the others have no upstream); Nginx
    // writes its log line just after the answer, so it is waited for, then counted
    const forwarded = () => readFileSync(join(dir, 'access.log'), 'utf8').split('\n').filter((l) => l.endsWith(' /api/account/forgot') && !l.startsWith('- '));
    await waitUntil(() => forwarded().length >= 1, 5000, 'the log line of the forwarded request');
    await new Promise((r) => setTimeout(r, 200));
    expect(forwarded()).toHaveLength(1);
  });

  it('upgrades a screen\'s Socket.io connection to a WebSocket, from a page of the site, and refuses one from elsewhere', async () => {
    const origin = `https://127.0.0.1:${httpsPort}`;
    const socket = ioClient(origin, { transports: ['websocket'], rejectUnauthorized: false, extraHeaders: { origin }, reconnection: false });
    cleanups.push(() => void socket.close());
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('connect_error', reject);
    });
    expect(socket.io.engine.transport.name).toBe('websocket');
    // a page elsewhere may not open one (the servers check Origin against the Host Nginx passes)
    const foreign = ioClient(origin, { transports: ['websocket'], rejectUnauthorized: false, extraHeaders: { origin: 'https://evil.example' }, reconnection: false });
    cleanups.push(() => void foreign.close());
    const refused = await new Promise<string>((resolve) => {
      foreign.once('connect', () => resolve('connected'));
      foreign.once('connect_error', (e) => resolve(e.message));
    });
    expect(refused).not.toBe('connected');
    expect(socket.connected).toBe(true);
  });

  it('balances over both servers, caches the fingerprinted assets, and refuses an oversized body at the door', async () => {
    await Promise.all(Array.from({ length: 12 }, () => https('/healthz')));
    // least_conn over two idle servers spreads them: both took requests (the log names the upstream of each)
    const served = () => new Set(readFileSync(join(dir, 'access.log'), 'utf8').split('\n').filter((l) => l.endsWith(' /healthz')).map((l) => l.split(' ')[0]));
    // Nginx writes each log line just after its answer
    await waitUntil(() => served().size >= serverPorts.length, 5000, 'both upstreams in the log').catch(() => {});
    expect([...served()].sort()).toEqual(serverPorts.map((p) => `127.0.0.1:${p}`).sort());

    const home = await https('/');
    const asset = /\/_app\/immutable\/[^"']+\.js(?=["'])/.exec(home.body)?.[0];
    expect(asset, 'an immutable asset on the home page').toBeTruthy();
    const first = await https(asset!);
    const second = await https(asset!);
    expect(first.status).toBe(200);
    expect(second.headers['x-cache-status']).toBe('HIT');
    expect(String(second.headers['cache-control'])).toMatch(/immutable/);

    const big = await https('/api/orders', { method: 'POST', headers: { 'content-type': 'application/json' }, body: Buffer.alloc(11 * 1024 * 1024, 32) });
    expect(big.status).toBe(413);
  });
});
