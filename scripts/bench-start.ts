// Start benchmark (not a test): the CPU a server and a workers process spend loading their modules,
// which every start pays (a deploy, a failover, a crash, each browser test file's app).
//
//   npm run bench:start                  7 runs of each, in turns
//   BENCH_START_RUNS=15 npm run bench:start
//
// Each run is a fresh `node` that imports the built server's app (dist/server/app.js) or the
// workers' (dist/workers/workers.js), and nothing else: no database, no Redis, no listening. It
// prints its own CPU since it started (user + system, process.cpuUsage); a bare `node` that imports
// nothing is measured in the same turns as the baseline, and subtracted. Then one more run of each,
// not timed, counts the modules loaded (ES modules through a loader hook, CommonJS from require's
// cache) and which packages they come from.
import { spawnSync } from 'node:child_process';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ensureBuilt, percentile, say } from './bench-common.ts';

const RUNS = Math.max(1, Number(process.env.BENCH_START_RUNS) || 7);

const dir = mkdtempSync(join(tmpdir(), 'bench-start-'));
// the ES modules loaded, each written down by a loader hook (it runs on a thread of its own)
const esmList = join(dir, 'esm.txt');
writeFileSync(join(dir, 'hooks.mjs'), `import { appendFileSync } from 'node:fs';
export async function load(url, context, next) { appendFileSync(process.env.BENCH_START_ESM, url + '\\n'); return next(url, context); }
`);
writeFileSync(join(dir, 'register.mjs'), `import { register } from 'node:module';\nregister(${JSON.stringify('file://' + join(dir, 'hooks.mjs'))});\n`);
const probe = join(dir, 'probe.mjs');
writeFileSync(probe, `
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
const target = process.argv[2];
if (target !== 'none') await import(target);
// the whole process's CPU since it started: node's own start is the bare run's
const used = process.cpuUsage();
const cjs = Object.keys(createRequire(import.meta.url).cache);
const esm = process.env.BENCH_START_ESM ? readFileSync(process.env.BENCH_START_ESM, 'utf8').split('\\n').filter(Boolean) : [];
const packages = {};
for (const f of [...cjs, ...esm]) { const m = /node_modules\\/((@[^/]+\\/)?[^/]+)/.exec(f); if (m) packages[m[1]] = (packages[m[1]] ?? 0) + 1; }
process.stdout.write(JSON.stringify({ ms: (used.user + used.system) / 1000, modules: cjs.length + esm.length, packages }));
`);

interface Reading { ms: number; modules: number; packages: Record<string, number> }
/** One import in a fresh node; `listed`: with the hook that lists the ES modules (not timed: the hook costs CPU of its own). */
function once(target: string, listed = false): Reading {
  if (listed) writeFileSync(esmList, '');
  const args = listed ? ['--import', 'file://' + join(dir, 'register.mjs'), probe, target] : [probe, target];
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', env: { ...process.env, NODE_ENV: 'production', ...(listed ? { BENCH_START_ESM: esmList } : {}) } });
  if (r.status !== 0) throw new Error(`importing ${target} failed: ${r.stderr.slice(-2000)}`);
  return JSON.parse(r.stdout) as Reading;
}

ensureBuilt();
const targets = {
  'bare node': 'none',
  server: 'file://' + resolve('dist/server/app.js'),
  workers: 'file://' + resolve('dist/workers/workers.js'),
} as const;
const readings = new Map<string, Reading[]>(Object.keys(targets).map((k) => [k, []]));
for (let i = 0; i < RUNS; i++) {
  for (const [name, target] of Object.entries(targets)) readings.get(name)!.push(once(target));
}

say(`CPU of a process that loads the modules and stops (ms, ${RUNS} runs each, in turns; process.cpuUsage)`);
say('| process | p50 | min | max | above bare node (p50) | modules loaded | largest packages (modules) |');
say('| --- | --- | --- | --- | --- | --- | --- |');
const bare = percentile(readings.get('bare node')!.map((r) => r.ms).sort((a, b) => a - b), 50);
for (const [name, rs] of readings) {
  const ms = rs.map((r) => r.ms).sort((a, b) => a - b);
  const p50 = percentile(ms, 50);
  const listed = once(targets[name as keyof typeof targets], true);
  const top = Object.entries(listed.packages).sort((a, b) => b[1] - a[1]).slice(0, 6).map(([p, n]) => `${p} ${n}`).join(', ');
  say(`| ${name} | ${p50.toFixed(0)} | ${ms[0].toFixed(0)} | ${ms[ms.length - 1].toFixed(0)} | ${name === 'bare node' ? '' : (p50 - bare).toFixed(0)} | ${listed.modules} | ${top} |`);
}
