// The move path's regression check (not a test: a short benchmark with a verdict), run by CI.
//
//   npm run bench:smoke
//
// It runs the rush-hour benchmark small (scripts/bench-rush.ts: BENCH_SOCKETS 1,000 screens,
// BENCH_RATE 100 moves/s for BENCH_SECONDS 20 s, the project and the bare relay in the same run with
// the same clients) and prints both systems' "sent → screen" latency (from the move sent to each
// screen's receipt, the API's time included) at p50 and p99, and their API move p50 / p99. It fails
// when the project's sent → screen p50 is worse than SMOKE_MAX_RATIO (4) times the bare relay's, or
// its p99 worse than SMOKE_MAX_TAIL_RATIO (8) times, or a screen lost or got twice an update, or a
// move failed. A noisy machine gets a second try (SMOKE_TRIES, 2): a try that passes is enough.
//
// Why two figures: on a 2-core machine shared by the load generator, the p99 of a 20-second run
// moves with whatever else the machine does (the same code gave 2.8× to 6.5× the bare relay's p99),
// so a 4× bound on it would fail good code half the time, and it barely moved for a move made 10 ms
// slower (4.4× to 5.7×); the p50 is steady (about 2×) and doubles for such a move. The p99 bound
// catches a tail that runs away (the regression this check was written for was 19×).
//
// It also fails when the project's sockets take longer to connect and subscribe than
// SMOKE_MAX_SUBSCRIBE_RATIO (3) times the bare relay's, with SMOKE_SUBSCRIBE_SLACK_S (1.5 s) of
// slack: a screen that subscribes is what a restart or a rush of customers opening their tracking
// page costs, and on 2026-11-25 it had grown to 19× at 5,000 sockets (each tracking page read its
// shop's whole evening) while every move figure above stayed within its bounds.
// About 65 s a try on a quiet 2-core machine.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

interface Phase { sentP50: number; sentP99: number; apiP50: number; apiP99: number; lost: number; duplicated: number; failedMoves: number; moves: number; rate: number }
interface Report { system: 'project' | 'bare'; phases: Phase[]; connectSeconds: number }

const MAX_RATIO = Number(process.env.SMOKE_MAX_RATIO ?? 4);
const MAX_TAIL_RATIO = Number(process.env.SMOKE_MAX_TAIL_RATIO ?? 8);
// SMOKE_TAIL=report prints the p99 and its bound without judging by it: for a machine whose stalls
// make the tail say nothing of the code (.ci/run says which and why)
const JUDGE_TAIL = process.env.SMOKE_TAIL !== 'report';
const TRIES = Math.max(1, Number(process.env.SMOKE_TRIES ?? 2));
const MAX_SUBSCRIBE_RATIO = Number(process.env.SMOKE_MAX_SUBSCRIBE_RATIO ?? 3);
const SUBSCRIBE_SLACK_S = Number(process.env.SMOKE_SUBSCRIBE_SLACK_S ?? 1.5);
const f1 = (n: number) => n.toFixed(1);

const dir = mkdtempSync(join(tmpdir(), 'ocpizza-smoke-'));
let passed = false;
try {
  for (let attempt = 1; attempt <= TRIES && !passed; attempt++) {
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
      console.log(`bench:smoke try ${attempt}: the benchmark gave no report (exit ${run.status ?? run.signal})`);
      continue;
    }
    const projectReport = reports.find((r) => r.system === 'project');
    const bareReport = reports.find((r) => r.system === 'bare');
    const project = projectReport?.phases[0];
    const bare = bareReport?.phases[0];
    if (!project || !bare || !projectReport || !bareReport) {
      console.log(`bench:smoke try ${attempt}: a system is missing from the report`);
      continue;
    }
    const ratio = project.sentP50 / Math.max(bare.sentP50, 0.1);
    const tail = project.sentP99 / Math.max(bare.sentP99, 0.1);
    const broken = project.lost + project.duplicated + project.failedMoves;
    const subscribeBound = Math.max(MAX_SUBSCRIBE_RATIO * bareReport.connectSeconds, bareReport.connectSeconds + SUBSCRIBE_SLACK_S);
    const subscribed = projectReport.connectSeconds <= subscribeBound;
    passed = broken === 0 && ratio <= MAX_RATIO && (!JUDGE_TAIL || tail <= MAX_TAIL_RATIO) && subscribed;
    console.log(
      `bench:smoke try ${attempt} (${Math.round((Date.now() - t0) / 1000)} s, ${project.moves} moves at ${project.rate}/s): ` +
        `sent → screen p50 / p99: project ${f1(project.sentP50)} / ${f1(project.sentP99)} ms, bare relay ${f1(bare.sentP50)} / ${f1(bare.sentP99)} ms ` +
        `(${f1(ratio)}×, at most ${MAX_RATIO}× / ${f1(tail)}×, at most ${MAX_TAIL_RATIO}×${JUDGE_TAIL ? '' : ', reported only'}); ` +
        `API p50 / p99: project ${f1(project.apiP50)} / ${f1(project.apiP99)} ms, bare relay ${f1(bare.apiP50)} / ${f1(bare.apiP99)} ms; ` +
        `sockets subscribed in: project ${f1(projectReport.connectSeconds)} s, bare relay ${f1(bareReport.connectSeconds)} s (at most ${f1(subscribeBound)} s)` +
        (broken ? `; ${project.lost} lost, ${project.duplicated} duplicated, ${project.failedMoves} failed moves` : '') +
        (passed ? ': passed' : ': failed'),
    );
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
console.log(passed ? 'bench:smoke passed' : 'bench:smoke FAILED: the move path or the subscriptions are slower than the bounds above, or updates were lost');
process.exit(passed ? 0 : 1);
