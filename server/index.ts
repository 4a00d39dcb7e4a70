import pino from 'pino';
import { config } from '../src/lib/server/config.ts';
import { flushErrorReports, initErrorReporting, reportError } from '../src/lib/server/observability.ts';
import { createApp } from './app.ts';

const cfg = config();
const log = pino({ level: cfg.LOG_LEVEL });
initErrorReporting(cfg.SENTRY_DSN, cfg.NODE_ENV, 'ocpizza-server');
process.on('unhandledRejection', (err) => {
  log.error({ err }, 'unhandled rejection');
  reportError(err);
});

const app = await createApp({ config: cfg, withPages: true, log });
const port = await app.listen(cfg.PORT, cfg.HOST);
log.info({ port }, `OC Pizza Live listening on http://localhost:${port}`);

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
  await app.close(cfg.SHUTDOWN_TIMEOUT_MS).catch((err) => log.error({ err }, 'error while stopping'));
  await flushErrorReports();
  log.info('stopped');
  process.exit(0);
}
process.on('SIGTERM', () => void stop('SIGTERM'));
process.on('SIGINT', () => void stop('SIGINT'));
