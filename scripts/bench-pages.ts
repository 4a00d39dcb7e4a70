// Page speed (not a test): Lighthouse's mobile performance audit of the four pages people keep open
// on a phone or a tablet, and what each page makes the browser download.
//
//   npm run bench:pages
//
// It creates its own database (migrated, seeded; dropped at the end, also on failure), starts the
// BUILT server with its pages (`node dist/server/index.js`; `npm run build` first if dist/ or
// build/ is missing), places one delivery order (for its tracking page) and signs in a kitchen and a
// driver (their pages with the session cookie). Then, for the storefront, the tracking page, the
// kitchen and the driver's page, it runs Lighthouse (the `lighthouse` package's command, Debian's
// Chromium headless, its default mobile emulation: a mid-range phone, a slow 4G link, the CPU slowed
// 4×) BENCH_PAGES_RUNS times (3) and prints the median run's performance score, the lowest run's
// accessibility score, First Contentful Paint, Largest Contentful Paint, Total Blocking Time, Cumulative Layout Shift, and the JavaScript
// and everything else the page downloaded, as sent (the server sends the build's precompressed
// files, brotli or gzip). Lighthouse's score needs a quiet machine: it says how busy it was.
//
// Knobs: BENCH_PAGES_RUNS (3), BENCH_PAGES_KEEP (a folder to keep Lighthouse's reports in, lh-<n>.json:
// which element shifted, which script weighs what), CHROMIUM_PATH (/usr/bin/chromium), BENCH_DATABASE_BASE_URL, REDIS_URL.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { BASE_DB, REDIS_URL, dropBenchData, say, sleep } from './bench-common.ts';

const RUNS = Math.max(1, Number(process.env.BENCH_PAGES_RUNS ?? 3));
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

interface Audit { score: number; a11y: number; fcp: number; lcp: number; tbt: number; cls: number; jsKiB: number; allKiB: number; jsFiles: number }

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

function machineBusy(): { busy: number; total: number } {
  const [, ...t] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).map(Number);
  const total = t.reduce((a, b) => a + b, 0);
  return { busy: total - t[3] - (t[4] ?? 0), total };
}

function audit(url: string, cookie: string | null, dir: string, n: number): Audit {
  const out = join(dir, `lh-${n}.json`);
  const args = [
    'node_modules/lighthouse/cli/index.js', url,
    '--quiet', '--output=json', `--output-path=${out}`, '--only-categories=performance,accessibility',
    '--chrome-flags=--headless=new --no-sandbox --disable-gpu',
  ];
  if (cookie) args.push(`--extra-headers=${JSON.stringify({ Cookie: cookie })}`);
  // Lighthouse sometimes loses the trace of a load (NO_NAVSTART): that run is made again, once
  let r = spawnSync(process.execPath, args, { env: { ...process.env, CHROME_PATH: CHROMIUM }, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  if (r.status !== 0 || !existsSync(out)) r = spawnSync(process.execPath, args, { env: { ...process.env, CHROME_PATH: CHROMIUM }, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  if (r.status !== 0 || !existsSync(out)) throw new Error(`lighthouse failed on ${url}: ${r.stderr.slice(-500)}`);
  const lhr = JSON.parse(readFileSync(out, 'utf8'));
  const items: { resourceType?: string; transferSize?: number; url: string }[] = lhr.audits['network-requests']?.details?.items ?? [];
  const js = items.filter((i) => i.resourceType === 'Script' && i.url.startsWith(new URL(url).origin));
  const num = (id: string) => Number(lhr.audits[id]?.numericValue ?? NaN);
  return {
    score: Math.round((lhr.categories.performance.score ?? 0) * 100),
    a11y: Math.round((lhr.categories.accessibility?.score ?? 0) * 100),
    fcp: num('first-contentful-paint'),
    lcp: num('largest-contentful-paint'),
    tbt: num('total-blocking-time'),
    cls: num('cumulative-layout-shift'),
    jsKiB: js.reduce((a, i) => a + (i.transferSize ?? 0), 0) / 1024,
    allKiB: items.reduce((a, i) => a + (i.transferSize ?? 0), 0) / 1024,
    jsFiles: js.length,
  };
}

async function main() {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}: apt-get install chromium, or set CHROMIUM_PATH`);
  if (!existsSync('dist/server/index.js') || !existsSync('build/handler.js')) {
    say('building (dist/ or build/ missing): npm run build');
    if (spawnSync('npm', ['run', 'build'], { stdio: 'inherit' }).status !== 0) throw new Error('npm run build failed');
  }
  const suffix = `${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  const dbName = `ocpizza_pages_${suffix}`;
  const dbUrl = `${BASE_DB}/${dbName}`;
  const queuePrefix = `ocpizza_pages_${suffix}`;
  const password = randomBytes(12).toString('base64url');
  const admin = new pg.Client({ connectionString: `${BASE_DB}/postgres` });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${dbName}`);
  const pool = new pg.Pool({ connectionString: dbUrl, max: 2 });
  const dir = mkdtempSync(join(tmpdir(), 'ocpizza-pages-'));
  let server: ChildProcess | undefined;
  try {
    const { migrate } = await import('../db/migrate-runner.ts');
    const { seed } = await import('../db/seed-data.ts');
    await migrate(dbUrl);
    await seed(pool, password);
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    server = spawn(process.execPath, ['dist/server/index.js'], {
      env: { ...process.env, DATABASE_URL: dbUrl, REDIS_URL, QUEUE_PREFIX: queuePrefix, PORT: String(port), HOST: '127.0.0.1', NODE_ENV: 'test', LOG_LEVEL: 'warn', DEMO_PASSWORD: password, PUBLIC_ORIGIN: base },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    for (let until = Date.now() + 60_000; ; await sleep(200)) {
      if (await fetch(`${base}/readyz`).then((r) => r.ok, () => false)) break;
      if (Date.now() > until || server.exitCode !== null) throw new Error('the server did not become ready within 60 s');
    }
    const pages = await pagesToAudit(base, pool, password);
    await auditPages(base, pages, dir);
  } finally {
    if (server && server.exitCode === null) {
      server.kill('SIGTERM');
      await new Promise((r) => server!.once('exit', r));
    }
    await pool.end().catch(() => {});
    await dropBenchData(admin, dbName, queuePrefix);
    await admin.end();
    if (process.env.BENCH_PAGES_KEEP) cpSync(dir, process.env.BENCH_PAGES_KEEP, { recursive: true });
    rmSync(dir, { recursive: true, force: true });
  }
}

interface Page {
  name: string;
  path: string;
  cookie: string | null;
}

/** The four pages, with a pickup taken at the counter (its tracking page is what a customer keeps open) and the staff's sessions. */
async function pagesToAudit(base: string, pool: pg.Pool, password: string): Promise<Page[]> {
  const login = async (email: string) => {
    const r = await fetch(`${base}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password }) });
    const cookie = r.headers.get('set-cookie')?.split(';')[0];
    if (r.status !== 200 || !cookie) throw new Error(`login ${email} failed: ${r.status}`);
    return cookie;
  };
  const { rows: shop } = await pool.query<{ id: number; slug: string }>(`SELECT id, slug FROM pizzerias ORDER BY id LIMIT 1`);
  const { rows: pizza } = await pool.query<{ id: number }>(`SELECT id FROM products WHERE category = 'pizza' ORDER BY id LIMIT 1`);
  const counter = await login(`counter.${shop[0].slug}@ocpizza.test`);
  const placed = await fetch(`${base}/api/orders`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', cookie: counter, origin: base },
    body: JSON.stringify({ pizzeriaId: shop[0].id, channel: 'phone', fulfilment: 'pickup', customer: { name: 'Camille Martin', phone: '0612345678' }, items: [{ productId: pizza[0].id, quantity: 2 }], payment: 'on_delivery' }),
  });
  if (placed.status !== 201) throw new Error(`placing an order failed: ${placed.status} ${await placed.text()}`);
  const { trackingToken } = (await placed.json()) as { trackingToken: string };
  return [
    { name: 'storefront', path: `/?shop=${shop[0].slug}`, cookie: null },
    { name: 'tracking page', path: `/track/${trackingToken}`, cookie: null },
    { name: 'kitchen', path: '/kitchen', cookie: await login(`kitchen.${shop[0].slug}@ocpizza.test`) },
    { name: 'driver', path: '/driver', cookie: await login(`driver1.${shop[0].slug}@ocpizza.test`) },
  ];
}

/** Each page audited RUNS times, its median run printed as a row, after how busy the machine was. */
async function auditPages(base: string, pages: Page[], dir: string) {
  const t0 = machineBusy();
  await sleep(2000);
  const t1 = machineBusy();
  const busy = (t1.busy - t0.busy) / Math.max(1, t1.total - t0.total);
  say(`OC Pizza Live: page speed, Lighthouse ${JSON.parse(readFileSync('node_modules/lighthouse/package.json', 'utf8')).version} mobile (emulated phone, slow 4G, CPU slowed 4×), median of ${RUNS} runs, ${new Date().toISOString().slice(0, 10)}`);
  say(`machine ${Math.round(busy * 100)}% busy before the start${busy > 0.15 ? ': something else is running, the scores will show it' : ''}`);
  say('| page | performance | accessibility | FCP | LCP | TBT | CLS | JavaScript as sent (files) | everything as sent |');
  say('| --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  let n = 0;
  for (const p of pages) {
    const runs: Audit[] = [];
    for (let i = 0; i < RUNS; i++) runs.push(audit(base + p.path, p.cookie, dir, n++));
    const m = [...runs].sort((a, b) => a.score - b.score)[Math.floor(runs.length / 2)];
    say(`| ${p.name} | ${m.score} (runs: ${runs.map((r) => r.score).join(', ')}) | ${Math.min(...runs.map((r) => r.a11y))} | ${(m.fcp / 1000).toFixed(1)} s | ${(m.lcp / 1000).toFixed(1)} s | ${Math.round(m.tbt)} ms | ${m.cls.toFixed(3)} | ${m.jsKiB.toFixed(1)} KiB (${m.jsFiles}) | ${m.allKiB.toFixed(1)} KiB |`);
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
