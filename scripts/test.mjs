#!/usr/bin/env node
// Runs the tests and ends with one line: "N passed, N failed". With no argument, every tier (unit,
// services, road, alone, browser, ops, quiet; vitest.config.ts); `--project <tier>` (repeatable) runs some, and
// anything else is handed to vitest. Test files run in parallel, TEST_WORKERS at once (the cores by
// default). Before the last line: each tier's time and the 20 slowest files.
// The browser tests and the drills drive the built app, so this builds it first (SKIP_BUILD=1 to reuse a build).
import { spawn, spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { mkdirSync, readFileSync, existsSync, rmSync } from 'node:fs';

const env = { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' };
const run = (cmd, args) => spawnSync(cmd, args, { stdio: 'inherit', env });

const extra = process.argv.slice(2);
const projects = extra.flatMap((a, i) => (a === '--project' ? [extra[i + 1]] : a.startsWith('--project=') ? [a.slice(10)] : []));
const browser = projects.length === 0 || projects.includes('browser');

if (browser) {
  // the browser tests drive Debian's Chromium headless shell (tests/browser/harness.ts), or the full
  // browser when that is all there is; a fresh machine gets the shell from apt when we may install
  const shell = '/usr/bin/chromium-headless-shell';
  const found = () => [process.env.CHROMIUM_PATH, shell, '/usr/bin/chromium'].filter(Boolean).find((p) => existsSync(p));
  if (!found()) {
    if (process.getuid?.() === 0 && existsSync('/usr/bin/apt-get')) {
      console.log('Chromium is missing: installing Debian\'s chromium-headless-shell package for the browser tests');
      run('sh', ['-c', 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium-headless-shell fonts-dejavu-core']);
    }
    if (!found()) {
      console.error(`Chromium not found at ${shell}: install it (apt-get install chromium-headless-shell) or set CHROMIUM_PATH`);
      console.log('0 passed, 1 failed');
      process.exit(1);
    }
  }
}
if ((browser || projects.includes('quiet') || projects.includes('ops')) && process.env.SKIP_BUILD !== '1') {
  const build = run('npm', ['run', 'build']);
  if (build.status !== 0) {
    console.log('0 passed, 1 failed');
    process.exit(1);
  }
}

mkdirSync('test-results', { recursive: true });
const coverage = process.env.COVERAGE === '1';
const cores = Number(process.env.TEST_WORKERS) || availableParallelism();

/**
 * One vitest run; its reports under `name` in test-results/ (and coverage/ when `measured`: the
 * browser and ops tiers drive the product in processes of its own, the built app and the clusters,
 * so coverage of the test process would measure the tests' helpers, not the product, for a third
 * more CPU).
 */
function vitestRun(name, args, workers, measured = true, lowest = false) {
  const report = `test-results/vitest-${name}.json`;
  const timings = `test-results/timings-${name}.json`;
  rmSync(report, { force: true });
  rmSync(timings, { force: true });
  // `lowest`: at the lowest priority of the processor and of the disk (LOWEST), as its children
  const child = spawn(lowest ? 'nice' : 'npx', [
    ...(lowest ? [...LOWEST, 'npx'] : []),
    'vitest', 'run',
    '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, '--reporter=./tests/timings-reporter.ts',
    ...(coverage && measured ? ['--coverage', `--coverage.reportsDirectory=coverage/${name}`] : []),
    ...args,
  ], { stdio: 'inherit', env: { ...env, TEST_WORKERS: String(workers), TEST_TIMINGS: timings } });
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, report, timings })));
}

const started = Date.now();
// A whole run is two lanes side by side, then a quiet end. The browser lane: the browser tier, whose
// files mostly wait on a built app and a Chromium, BROWSER_WORKERS files at once (the cores by
// default), and the tier alone (four services and road files that need a process each). The other
// lane: unit, services and road, on the rest of the cores (one at least; the services and road
// files one after the other in a process that keeps the app's modules loaded: vitest.config.ts).
// Both lanes keep every core busy, and end within a minute of each other on a 2-core machine (the
// tier alone in the other lane made it end two minutes after the browser lane, on one worker while
// a core stood half idle). Once both are done, the tier quiet (the ops
// files whose clusters and processes fail over or restart on timers), a file at a time, and beside
// it, at the lowest priority of the processor and of the disk, the ops tier (the checks that read
// the tree, the CLIs, the installs: they need no quiet machine) on every core, and TEST_BESIDE_QUIET:
// they take what the fail-over files leave (those wait on their clusters' timers far more than they
// compute), never what those ask for.
const browserWorkers = Number(process.env.BROWSER_WORKERS) || cores;
const LOWEST = ['-n', '19', 'ionice', '-c', '3'];
/**
 * TEST_BESIDE_QUIET: a shell command run beside the quiet tier at the lowest priority (CI's check
 * of the deployment files, .ci/run). Its output is its own; the run waits for it.
 */
const besideQuiet = () => {
  const command = process.env.TEST_BESIDE_QUIET;
  if (!command) return Promise.resolve();
  const beside = spawn('nice', [...LOWEST, 'sh', '-c', command], { stdio: 'inherit', env });
  return new Promise((resolve) => beside.on('close', resolve));
};
const otherWorkers = Math.max(1, cores - Math.floor(cores / 2));
const runs = projects.length > 0 || extra.length > 0
  // the quiet tier, asked for alone or with others, a file at a time
  ? [await vitestRun('all', extra, projects.includes('quiet') ? 1 : cores)]
  : [
    ...(await Promise.all([
      // (measuring coverage, the tier alone stays in the lane whose run is measured)
      vitestRun('browser', ['--project', 'browser', ...(coverage ? [] : ['--project', 'alone'])], browserWorkers, false),
      vitestRun('others', ['--project', 'unit', '--project', 'services', '--project', 'road', ...(coverage ? ['--project', 'alone'] : [])], otherWorkers),
    ])),
    ...(await Promise.all([
      vitestRun('quiet', ['--project', 'quiet'], 1, false),
      vitestRun('ops', ['--project', 'ops'], cores, false, true),
      besideQuiet(),
    ])).slice(0, 2),
  ];
const wall = (Date.now() - started) / 1000;

const secs = (ms) => `${(ms / 1000).toFixed(1)} s`;
const files = runs.flatMap((r) => (existsSync(r.timings) ? JSON.parse(readFileSync(r.timings, 'utf8')).files : []));
if (files.length) {
  const tiers = new Map();
  for (const f of files) {
    const t = tiers.get(f.tier) ?? { files: 0, tests: 0, ms: 0 };
    t.files++;
    t.tests += f.tests;
    t.ms += f.ms;
    tiers.set(f.tier, t);
  }
  console.log(`\nTiers (files in parallel; a tier's time is the sum of its files' own times), ${wall.toFixed(0)} s in all:`);
  for (const [tier, t] of [...tiers].sort((a, b) => b[1].ms - a[1].ms)) {
    console.log(`  ${tier.padEnd(9)} ${String(t.files).padStart(4)} files ${String(t.tests).padStart(5)} tests ${secs(t.ms).padStart(9)}`);
  }
  console.log('The 20 slowest files:');
  for (const f of [...files].sort((a, b) => b.ms - a.ms).slice(0, 20)) {
    console.log(`  ${secs(f.ms).padStart(8)}  ${f.file}${f.failed ? `  (${f.failed} failed)` : ''}`);
  }
}

let passed = 0;
let failed = 0;
for (const r of runs) {
  if (!existsSync(r.report)) {
    failed++;
    continue;
  }
  const j = JSON.parse(readFileSync(r.report, 'utf8'));
  passed += j.numPassedTests ?? 0;
  // a file that failed to load counts once; its tests never ran
  const brokenFiles = (j.testResults ?? []).filter(
    (f) => f.status === 'failed' && !(f.assertionResults ?? []).some((a) => a.status === 'failed'),
  ).length;
  let runFailed = (j.numFailedTests ?? 0) + brokenFiles + (j.numTotalTests === 0 ? 1 : 0);
  if (r.code !== 0 && runFailed === 0) runFailed = 1; // a crash outside any test still fails the run
  failed += runFailed;
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
