import pino from 'pino';
import { config } from '../src/lib/server/config.ts';
import { startWorkers } from './workers.ts';

const cfg = config();
const log = pino({ level: cfg.LOG_LEVEL });
const running = await startWorkers(cfg, log);
log.info({ queues: running.workers.map((w) => w.name) }, 'workers started');

let stopping = false;
async function stop(signal: string) {
  if (stopping) return;
  stopping = true;
  log.info({ signal }, 'stopping workers');
  await running.close(10_000).catch((err) => log.error({ err }, 'error while stopping'));
  process.exit(0);
}
process.on('SIGTERM', () => void stop('SIGTERM'));
process.on('SIGINT', () => void stop('SIGINT'));
