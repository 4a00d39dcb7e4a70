// A process's event loop, watched. A loop that stops turning answers nothing — not its sockets, not
// /readyz — while its port stays open and its transactions stay open: the balancer and the operator
// must see it, and a loop that never turns again must end, so its supervisor (systemd's
// Restart=always, the platform's dyno manager) starts a new one.
//
// Two watchers. In the loop itself, a timer every TICK_MS notes how late it fired: a loop that was
// held up more than `stallMs` within the last RECENT_MS is not ready (/readyz answers 503 once it can
// answer at all, so a balancer takes it out until it has run smoothly again). Beside the loop, a
// worker thread reads the loop's last tick from shared memory: when the loop has not ticked for
// `exitAfterMs`, it writes one line to the error output and kills the process (SIGKILL: a signal
// handler would need the very loop that is stuck).
import { Worker } from 'node:worker_threads';

const TICK_MS = 100;
const RECENT_MS = 10_000;

export interface LoopWatch {
  /** The longest the loop was held up within the last RECENT_MS (ms). */
  recentStallMs(): number;
  /** Whether the loop has turned smoothly lately (no hold-up over `stallMs` within RECENT_MS). */
  healthy(): boolean;
  stop(): Promise<void>;
}

// the watchdog, run in a thread of its own: it sees the loop's last tick, never the loop
const WATCHDOG = `
const { workerData } = require('node:worker_threads');
const { writeSync } = require('node:fs');
const last = new Float64Array(workerData.shared);
const timer = setInterval(() => {
  const silent = Date.now() - last[0];
  if (silent < workerData.exitAfterMs) return;
  clearInterval(timer);
  writeSync(2, JSON.stringify({ level: 60, time: Date.now(), pid: process.pid, name: workerData.name, silentMs: silent,
    msg: 'the event loop has not turned for ' + silent + ' ms: exiting, for the supervisor to start this process again' }) + '\\n');
  process.kill(process.pid, 'SIGKILL');
}, Math.min(1000, Math.max(50, Math.floor(workerData.exitAfterMs / 4))));
`;

/**
 * Watches this process's event loop. `stallMs`: a hold-up longer than this makes the process not
 * ready for RECENT_MS; `exitAfterMs`: a loop silent this long kills the process (0: never).
 */
export function watchLoop(opts: { name: string; stallMs: number; exitAfterMs: number }): LoopWatch {
  const shared = new SharedArrayBuffer(8);
  const last = new Float64Array(shared);
  last[0] = Date.now();
  const stalls: { at: number; ms: number }[] = [];
  let expected = performance.now() + TICK_MS;
  const tick = setInterval(() => {
    const now = performance.now();
    const late = now - expected;
    expected = now + TICK_MS;
    last[0] = Date.now();
    if (late > 50) stalls.push({ at: Date.now(), ms: late });
    while (stalls.length && stalls[0].at < Date.now() - RECENT_MS) stalls.shift();
  }, TICK_MS);
  tick.unref();
  const watchdog = opts.exitAfterMs > 0
    // plain JavaScript, without the process's loaders (tsx's would wait on the stuck loop)
    ? new Worker(WATCHDOG, { eval: true, execArgv: [], workerData: { shared, exitAfterMs: opts.exitAfterMs, name: opts.name } })
    : null;
  watchdog?.unref();
  const recentStallMs = () => {
    // a loop stuck right now has not ticked: its silence so far counts too
    const silent = Date.now() - last[0] - TICK_MS;
    return Math.max(0, silent, ...stalls.filter((s) => s.at >= Date.now() - RECENT_MS).map((s) => s.ms));
  };
  return {
    recentStallMs,
    healthy: () => recentStallMs() <= opts.stallMs,
    async stop() {
      clearInterval(tick);
      await watchdog?.terminate();
    },
  };
}
