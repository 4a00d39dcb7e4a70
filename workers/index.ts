import { getPriority, setPriority } from 'node:os';
import pino from 'pino';
import { config } from '../src/lib/server/kernel/config.ts';
import { flushErrorReports, initErrorReporting } from '../src/lib/server/kernel/observability.ts';
import { guardFiscalRole } from '../src/lib/server/fiscal/privileges.ts';
import { startWorkers } from './workers.ts';
import { watchLoop } from '../src/lib/server/kernel/loop-watch.ts';

const cfg = config();
const log = pino({ level: cfg.LOG_LEVEL });
// the server answers people and tells the screens; the workers' jobs can wait a few milliseconds:
// where both share a machine, the server gets the CPU first (WORKERS_NICE)
try {
  setPriority(Math.max(getPriority(), cfg.WORKERS_NICE));
} catch (err) {
  log.warn({ err }, 'could not lower the workers\' CPU priority');
}
await initErrorReporting(cfg.SENTRY_DSN, cfg.NODE_ENV, 'ocpizza-workers');
// a loop that never turns again (jobs, the reactor's lease, timers all stopped) ends the process,
// for its supervisor to start it again (kernel/loop-watch.ts)
watchLoop({ name: 'workers', stallMs: cfg.EVENT_LOOP_STALL_MS, exitAfterMs: cfg.EVENT_LOOP_EXIT_MS });

// handlers first: a signal during start-up still stops cleanly
const state: { running?: Awaited<ReturnType<typeof startWorkers>> } = {};
let stopping = false;
async function stop(signal: string) {
  if (stopping) return;
  stopping = true;
  log.info({ signal, timeoutMs: cfg.SHUTDOWN_TIMEOUT_MS }, 'stopping workers: active jobs finish or go back to their queue');
  await state.running?.close(cfg.SHUTDOWN_TIMEOUT_MS).catch((err) => log.error({ err }, 'error while stopping'));
  await flushErrorReports();
  process.exit(0);
}
process.on('SIGTERM', () => void stop('SIGTERM'));
process.on('SIGINT', () => void stop('SIGINT'));

// never as a role that could change the fiscal journal unseen (refused in production)
await guardFiscalRole(cfg.DATABASE_URL, cfg.NODE_ENV === 'production', log);
const running = await startWorkers(cfg, log);
state.running = running;
log.info({ queues: running.workers.map((w) => w.name) }, 'workers started');
if (stopping) await running.close(cfg.SHUTDOWN_TIMEOUT_MS);
