// The move path's regression check (not a test: a short benchmark with a verdict), run by CI.
//
//   npm run bench:smoke
//
// It runs the rush-hour benchmark small (scripts/bench-rush.ts: BENCH_SOCKETS 1,000 screens,
// BENCH_RATE 100 moves/s for BENCH_SECONDS 20 s, the project and the bare relay in the same run with
// the same clients), prints both systems' "sent → screen" p99 (from the move sent to each screen's
// receipt, the API's time included) and API move p50 / p99, and fails when the project's sent → screen
// p99 is worse than SMOKE_MAX_RATIO (4) times the bare relay's, or when a screen lost or got twice an
// update, or a move failed. A noisy machine gets a second try (SMOKE_TRIES, 2): the best try counts.
// Under 90 s a try on a quiet 2-core machine.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

interface Phase { sentP99: number; apiP50: number; apiP99: number; lost: number; duplicated: number; failedMoves: number; moves: number; rate: number }
interface Report { system: 'project' | 'bare'; phases: Phase[] }

const MAX_RATIO = Number(process.env.SMOKE_MAX_RATIO ?? 4);
const TRIES = Math.max(1, Number(process.env.SMOKE_TRIES ?? 2));
const f1 = (n: number) => n.toFixed(1);

const dir = mkdtempSync(join(tmpdir(), 'ocpizza-smoke-'));
let best: { ratio: number; ok: boolean } | null = null;
try {
  for (let attempt = 1; attempt <= TRIES; attempt++) {
    const file = join(dir, `try-${attempt}.json`);
    const t0 = Date.now();
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/bench-rush.ts'], {
      stdio: 'inherit',
      env: {
        ...process.env,
        BENCH_SOCKETS: process.env.BENCH_SOCKETS ?? '1000',
        BENCH_STAFF: process.env.BENCH_STAFF ?? '40',
        BENCH_RATE: process.env.BENCH_RATE ?? '100',
        BENCH_SECONDS: process.env.BENCH_SECONDS ?? '20',
        BENCH_SYSTEMS: 'project,bare',
        BENCH_CEILING: '',
        BENCH_REPORT_JSON: file,
      },
    });
    let reports: Report[];
    try {
      reports = (JSON.parse(readFileSync(file, 'utf8')) as { reports: Report[] }).reports;
    } catch {
      console.log(`try ${attempt}: the benchmark gave no report (exit ${run.status ?? run.signal})`);
      continue;
    }
    const project = reports.find((r) => r.system === 'project')?.phases[0];
    const bare = reports.find((r) => r.system === 'bare')?.phases[0];
    if (!project || !bare) {
      console.log(`try ${attempt}: a system is missing from the report`);
      continue;
    }
    const ratio = project.sentP99 / Math.max(bare.sentP99, 0.1);
    const broken = project.lost + project.duplicated + project.failedMoves;
    const ok = broken === 0 && ratio <= MAX_RATIO;
    console.log(
      `try ${attempt} (${Math.round((Date.now() - t0) / 1000)} s, ${project.moves} moves at ${project.rate}/s):` +
        ` project sent → screen p99 ${f1(project.sentP99)} ms, API p50 / p99 ${f1(project.apiP50)} / ${f1(project.apiP99)} ms;` +
        ` bare relay sent → screen p99 ${f1(bare.sentP99)} ms, API p50 / p99 ${f1(bare.apiP50)} / ${f1(bare.apiP99)} ms;` +
        ` ratio ${f1(ratio)} (at most ${MAX_RATIO})` +
        (broken ? `; ${project.lost} lost, ${project.duplicated} duplicated, ${project.failedMoves} failed moves` : ''),
    );
    if (!best || (ok && !best.ok) || (ok === best.ok && ratio < best.ratio)) best = { ratio, ok };
    if (ok) break;
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
if (best?.ok) {
  console.log(`bench:smoke passed: the project's sent → screen p99 is ${f1(best.ratio)}× the bare relay's`);
} else {
  console.log(best
    ? `bench:smoke FAILED: the best try's sent → screen p99 is ${f1(best.ratio)}× the bare relay's (at most ${MAX_RATIO}×), or updates were lost`
    : 'bench:smoke FAILED: no try gave a report');
  process.exit(1);
}
