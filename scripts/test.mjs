#!/usr/bin/env node
// Runs every test (unit, integration, browser) and ends with one line: "N passed, N failed".
// The browser tests drive the built app, so this builds it first (SKIP_BUILD=1 to reuse a build).
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, existsSync } from 'node:fs';

const env = { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' };
const run = (cmd, args) => spawnSync(cmd, args, { stdio: 'inherit', env });

// the browser tests drive Debian's Chromium; a fresh machine gets it from apt when we may install
const chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
if (!existsSync(chromium)) {
  if (process.getuid?.() === 0 && existsSync('/usr/bin/apt-get')) {
    console.log('Chromium is missing: installing Debian\'s chromium package for the browser tests');
    run('sh', ['-c', 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-dejavu-core']);
  }
  if (!existsSync(chromium)) {
    console.error(`Chromium not found at ${chromium}: install it (apt-get install chromium) or set CHROMIUM_PATH`);
    console.log('0 passed, 1 failed');
    process.exit(1);
  }
}

if (process.env.SKIP_BUILD !== '1') {
  const build = run('npm', ['run', 'build']);
  if (build.status !== 0) {
    console.log('0 passed, 1 failed');
    process.exit(1);
  }
}

mkdirSync('test-results', { recursive: true });
const report = 'test-results/vitest.json';
const extra = process.argv.slice(2);
const coverage = process.env.COVERAGE === '1' ? ['--coverage'] : [];
const vitest = run('npx', ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...coverage, ...extra]);

let passed = 0;
let failed;
if (existsSync(report)) {
  const r = JSON.parse(readFileSync(report, 'utf8'));
  passed = r.numPassedTests ?? 0;
  // a file that failed to load counts once; its tests never ran
  const brokenFiles = (r.testResults ?? []).filter(
    (f) => f.status === 'failed' && !(f.assertionResults ?? []).some((a) => a.status === 'failed'),
  ).length;
  failed = (r.numFailedTests ?? 0) + brokenFiles + (r.numTotalTests === 0 ? 1 : 0);
} else {
  failed = 1;
}
if (vitest.status !== 0 && failed === 0) failed = 1; // a crash outside any test still fails the run
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
