// A sentinel whose machine hangs (SIGSTOP: it takes connections and never answers) while the Redis
// master dies: the product's connections (src/lib/server/kernel/redis-options.ts) must still follow
// the master the other sentinels promote, twice. Two ways this went wrong: a connection asked the hung
// sentinel for the master and waited for ever; and, once it waited a second at most, the failover
// announced while it was asking the sentinels ended the connection for good (ioredis's status
// "end": a server's queues refused every job from then on, webhooks kept but never queued). Real
// Redis servers and sentinels (Debian's redis-server and redis-sentinel), as the drill runs them.
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedisSentinel, type RedisSentinelCluster } from '../../scripts/ha/redis-sentinel.ts';
import { connectionFor } from '../../src/lib/server/kernel/queues.ts';
import { createRedis, type RedisSettings } from '../../src/lib/server/kernel/redis-options.ts';
import { waitUntil } from '../helpers.ts';

// this file's ports (the machine's Redis on 6379 is left alone)
const BASE_PORT = 16200;
const engines = ['/usr/bin/redis-server', '/usr/bin/redis-sentinel'].every((p) => existsSync(p));
/** Every connection is back on the new master this soon after the promotion. */
const BACK_MS = 10_000;

let ha: RedisSentinelCluster;
const closers: (() => unknown)[] = [];

beforeAll(async () => {
  if (!engines) return;
  ha = await startRedisSentinel({ dir: mkdtempSync(join(tmpdir(), 'ocpizza-sentinel-hung-')), basePort: BASE_PORT });
}, 60_000);

afterAll(async () => {
  for (const c of closers.reverse()) await Promise.resolve(c()).catch(() => undefined);
  await ha?.stop();
});

describe.skipIf(!engines)('a sentinel that hangs while the Redis master dies', () => {
  it('every connection follows the promoted master within 10 s, master after master, and jobs are queued again each time', async () => {
    // the hung sentinel is the first one each connection asks
    const settings: RedisSettings = {
      REDIS_URL: 'redis://127.0.0.1:6379', REDIS_TLS_VERIFY: true, REDIS_SENTINELS: ha.sentinels.split(',').reverse().join(','), REDIS_SENTINEL_NAME: ha.name,
    };
    // the server's queues share one connection; the workers' queues make theirs from options; the rate limits' refuse to wait
    const shared = createRedis(settings, { maxRetriesPerRequest: null });
    const limits = createRedis(settings, { maxRetriesPerRequest: 1, enableOfflineQueue: false });
    const ends: string[] = [];
    for (const [name, c] of [['shared', shared], ['limits', limits]] as [string, Redis][]) {
      c.on('error', () => {});
      c.on('end', () => ends.push(name));
      closers.push(() => c.disconnect());
    }
    const serverQueue = new Queue('hung-sentinel', { connection: shared, prefix: 'hung' });
    const workersQueue = new Queue('hung-sentinel', { connection: connectionFor(settings), prefix: 'hung' });
    for (const q of [serverQueue, workersQueue]) {
      q.on('error', () => {});
      closers.push(() => q.close());
    }
    await waitUntil(() => shared.status === 'ready' && limits.status === 'ready', BACK_MS, 'the connections ready');
    ha.freezeSentinel(2);
    closers.push(() => ha.thawSentinel(2));

    for (let round = 1; round <= 2; round++) {
      const { address } = await ha.killMaster();
      const promoted = await ha.promoted(address);
      const back = async () => {
        try {
          await Promise.all([serverQueue.add('job', { round }), workersQueue.add('job', { round }), limits.ping()]);
          return shared.status === 'ready' && limits.status === 'ready';
        } catch {
          await new Promise((r) => setTimeout(r, 200));
          return false;
        }
      };
      await waitUntil(back, BACK_MS + 5_000, `every connection on the master promoted in round ${round}`);
      expect(Date.now() - promoted.at, `round ${round}`).toBeLessThan(BACK_MS);
      expect(ends, 'a connection given up').toEqual([]);
      // on the master the sentinels promoted
      expect(/tcp_port:(\d+)/.exec(await shared.info('server'))?.[1]).toBe(promoted.address.split(':')[1]);
      await ha.restartNode(address);
    }
  }, 120_000);
});
