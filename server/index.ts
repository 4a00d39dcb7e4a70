import pino from 'pino';
import { config } from '../src/lib/server/kernel/config.ts';
import { flushErrorReports, initErrorReporting, reportError } from '../src/lib/server/kernel/observability.ts';
import { guardFiscalRole } from '../src/lib/server/fiscal/privileges.ts';
import { newInstance, recordStart, recordStop } from '../src/lib/server/fiscal/jet-events.ts';
import { fiscalKeyOf, recordKeyOnce } from '../src/lib/server/fiscal/signing.ts';
import { software } from '../src/lib/server/fiscal/archive.ts';
import { createApp } from './app.ts';
import { watchLoop } from '../src/lib/server/kernel/loop-watch.ts';

const cfg = config();
const log = pino({ level: cfg.LOG_LEVEL });
await initErrorReporting(cfg.SENTRY_DSN, cfg.NODE_ENV, 'ocpizza-server');
process.on('unhandledRejection', (err) => {
  log.error({ err }, 'unhandled rejection');
  reportError(err);
});

// a PaaS dyno's disk is thrown away at every restart: photos kept there are lost
if (cfg.NODE_ENV === 'production' && process.env.DYNO && !cfg.S3_BUCKET) {
  log.warn('product photos are kept on this dyno\'s disk, which does not last: set S3_BUCKET (docs/operations.md, 3.1)');
}
// never as a role that could change the fiscal journal unseen (refused in production)
await guardFiscalRole(cfg.DATABASE_URL, cfg.NODE_ENV === 'production', log);
// a loop held up says so on /readyz; one that never turns again ends the process (kernel/loop-watch.ts)
const loop = watchLoop({ name: 'server', stallMs: cfg.EVENT_LOOP_STALL_MS, exitAfterMs: cfg.EVENT_LOOP_EXIT_MS });
const app = await createApp({ config: cfg, withPages: true, log, loop });
const port = await app.listen(cfg.PORT, cfg.HOST);
log.info({ port }, `OC Pizza Live listening on http://localhost:${port}`);
// this server's start (and, below, its stop) in the technical events journal
const instance = newInstance('server', software().version);
const startedAt = Date.now();
const fiscal = fiscalKeyOf(cfg);
await recordKeyOnce(app.db, fiscal).then(() => recordStart(app.db, fiscal, instance)).catch((err) => log.error({ err }, 'the server\'s start could not be written in the technical events journal'));

let stopping = false;
async function stop(signal: string) {
  if (stopping) return;
  stopping = true;
  log.info({ signal, timeoutMs: cfg.SHUTDOWN_TIMEOUT_MS }, 'stopping: not ready, no new connections, sockets told to reconnect');
  // a hard limit over the graceful one, whatever hangs
  setTimeout(() => {
    log.error('shutdown took too long, exiting');
    process.exit(1);
  }, cfg.SHUTDOWN_TIMEOUT_MS + 5000).unref();
  await recordStop(app.db, fiscal, instance, startedAt).catch((err) => log.error({ err }, 'the server\'s stop could not be written in the technical events journal'));
  await app.close(cfg.SHUTDOWN_TIMEOUT_MS).catch((err) => log.error({ err }, 'error while stopping'));
  await flushErrorReports();
  log.info('stopped');
  process.exit(0);
}
process.on('SIGTERM', () => void stop('SIGTERM'));
process.on('SIGINT', () => void stop('SIGINT'));
