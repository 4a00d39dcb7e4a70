import pino from 'pino';
import { config } from '../src/lib/server/config.ts';
import { createApp } from './app.ts';

const cfg = config();
const log = pino({ level: cfg.LOG_LEVEL });
const app = await createApp({ config: cfg, withPages: true, log });
const port = await app.listen(cfg.PORT, cfg.HOST);
log.info({ port }, `OC Pizza Live listening on http://localhost:${port}`);

let stopping = false;
async function stop(signal: string) {
  if (stopping) return;
  stopping = true;
  log.info({ signal }, 'stopping: sockets are told to reconnect elsewhere');
  const timer = setTimeout(() => {
    log.error('shutdown took too long, exiting');
    process.exit(1);
  }, 10_000);
  timer.unref();
  await app.close().catch((err) => log.error({ err }, 'error while stopping'));
  process.exit(0);
}
process.on('SIGTERM', () => void stop('SIGTERM'));
process.on('SIGINT', () => void stop('SIGINT'));
