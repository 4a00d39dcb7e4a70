// Redis with Sentinel on this machine, from Debian's redis-server and redis-sentinel: a master, one
// replica and three sentinels (quorum 2) watching it, as production runs them on three machines.
// The failover tests and the drill start it, kill its master, and stop it.
//
//   const ha = await startRedisSentinel({ dir: '/tmp/x', basePort: 16000 });
//   // REDIS_SENTINELS=ha.sentinels REDIS_SENTINEL_NAME=ha.name
//   await ha.killMaster(); // kill -9; a sentinel quorum promotes the replica within seconds
//
// Ports: basePort (first master), basePort+1 (replica), basePort+10..12 (sentinels).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';

export interface RedisSentinelCluster {
  /** host:port of each sentinel, comma separated: REDIS_SENTINELS. */
  sentinels: string;
  /** The master's name the sentinels watch: REDIS_SENTINEL_NAME. */
  name: string;
  /** host:port of the master the sentinels name now. */
  master(): Promise<string>;
  /** kill -9 the master the sentinels name now; when it died. */
  killMaster(): Promise<{ killedAt: number; address: string }>;
  /** kill -9 one sentinel (0, 1 or 2). */
  killSentinel(i: number): void;
  /** Waits until the sentinels name another master than `address`, and says when they did and who. */
  promoted(address: string, timeoutMs?: number): Promise<{ at: number; address: string }>;
  /** Starts again a Redis node killed earlier (host:port), as a replica of the master named now: how a dead master comes back. */
  restartNode(address: string): Promise<void>;
  /** Starts again a sentinel killed earlier, from its configuration (which it rewrote as it learnt). */
  restartSentinel(i: number): void;
  /** Replicas the master has now (connected, in sync or not), as the master says. */
  replicas(): Promise<number>;
  /** Stops everything it started and removes its directory. */
  stop(): Promise<void>;
}

const HOST = '127.0.0.1';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function startRedisSentinel(opts: { dir: string; basePort: number; name?: string; downAfterMs?: number }): Promise<RedisSentinelCluster> {
  const name = opts.name ?? 'ocpizza';
  const downAfter = opts.downAfterMs ?? 1000;
  rmSync(opts.dir, { recursive: true, force: true });
  const nodes = new Map<number, ChildProcess>();
  const sentinelPorts = [10, 11, 12].map((d) => opts.basePort + d);
  const sentinelProcs: ChildProcess[] = [];
  const sentinelConfs: string[] = [];
  const clients: Redis[] = [];
  const client = (port: number) => {
    const c = new Redis({ host: HOST, port, lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null, connectTimeout: 500 });
    c.on('error', () => {});
    clients.push(c);
    return c;
  };
  const started: ChildProcess[] = [];
  const run = (cmd: string, args: string[]) => {
    const p = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'inherit'] });
    started.push(p);
    return p;
  };
  const ask = async <T>(port: number, f: (c: Redis) => Promise<T>): Promise<T> => {
    const c = client(port);
    try {
      await c.connect();
      return await f(c);
    } finally {
      c.disconnect();
      clients.splice(clients.indexOf(c), 1);
    }
  };
  const waitFor = async <T>(what: string, f: () => Promise<T | false | null | undefined>, timeoutMs = 20_000): Promise<T> => {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const v = await f().catch(() => null);
      if (v) return v;
      if (Date.now() > until) throw new Error(`redis-sentinel harness: ${what} not within ${timeoutMs} ms`);
      await sleep(100);
    }
  };

  const startNode = (port: number, replicaOf?: number) => {
    const dir = join(opts.dir, `redis-${port}`);
    mkdirSync(dir, { recursive: true });
    const args = ['--port', String(port), '--bind', HOST, '--dir', dir, '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--loglevel', 'warning'];
    if (replicaOf) args.push('--replicaof', HOST, String(replicaOf));
    nodes.set(port, run('redis-server', args));
  };
  startNode(opts.basePort);
  startNode(opts.basePort + 1, opts.basePort);
  await waitFor('the master answering', () => ask(opts.basePort, (c) => c.ping()));
  await waitFor('the replica in sync', () => ask(opts.basePort + 1, async (c) => /master_link_status:up/.test(await c.info('replication'))));

  for (const port of sentinelPorts) {
    const dir = join(opts.dir, `sentinel-${port}`);
    mkdirSync(dir, { recursive: true });
    const conf = join(dir, 'sentinel.conf');
    writeFileSync(conf, [
      `port ${port}`,
      `bind ${HOST}`,
      `dir ${dir}`,
      'daemonize no',
      'loglevel warning',
      `sentinel monitor ${name} ${HOST} ${opts.basePort} 2`,
      `sentinel down-after-milliseconds ${name} ${downAfter}`,
      `sentinel failover-timeout ${name} 5000`,
      `sentinel parallel-syncs ${name} 1`,
      '',
    ].join('\n'));
    sentinelConfs.push(conf);
    sentinelProcs.push(run('redis-sentinel', [conf]));
  }
  // ready when every sentinel knows the replica and the two other sentinels (they find each other through the master)
  for (const port of sentinelPorts) {
    await waitFor(`sentinel ${port} seeing the replica and its peers`, () =>
      ask(port, async (c) => {
        const [m] = (await c.call('SENTINEL', 'MASTERS')) as string[][];
        const field = (k: string) => Number(m[m.indexOf(k) + 1]);
        return field('num-slaves') >= 1 && field('num-other-sentinels') >= 2;
      }),
    );
  }

  const masterFrom = async (): Promise<string> => {
    for (const port of sentinelPorts) {
      const addr = await ask(port, (c) => c.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', name) as Promise<[string, string]>).catch(() => null);
      if (addr) return `${addr[0]}:${addr[1]}`;
    }
    throw new Error('no sentinel answers');
  };

  return {
    sentinels: sentinelPorts.map((p) => `${HOST}:${p}`).join(','),
    name,
    master: masterFrom,
    async killMaster() {
      const address = await masterFrom();
      const proc = nodes.get(Number(address.split(':').pop()));
      if (!proc) throw new Error(`the master ${address} is not one of ours`);
      proc.kill('SIGKILL');
      const killedAt = Date.now();
      await new Promise((r) => (proc.exitCode !== null || proc.signalCode ? r(null) : proc.once('exit', r)));
      return { killedAt, address };
    },
    killSentinel(i: number) {
      sentinelProcs[i].kill('SIGKILL');
    },
    async restartNode(address: string) {
      const master = await masterFrom();
      startNode(Number(address.split(':').pop()), Number(master.split(':').pop()));
      await waitFor('the restarted node answering', () => ask(Number(address.split(':').pop()), (c) => c.ping()));
    },
    restartSentinel(i: number) {
      sentinelProcs[i] = run('redis-sentinel', [sentinelConfs[i]]);
    },
    promoted: (address, timeoutMs = 30_000) =>
      waitFor('a new master', async () => {
        const now = await masterFrom();
        return now !== address && { at: Date.now(), address: now };
      }, timeoutMs),
    async replicas() {
      const address = await masterFrom();
      return ask(Number(address.split(':').pop()), async (c) => Number(/connected_slaves:(\d+)/.exec(await c.info('replication'))?.[1] ?? 0));
    },
    async stop() {
      for (const c of clients.splice(0)) c.disconnect();
      await Promise.all(
        started.map((p) => {
          if (p.exitCode !== null || p.signalCode) return;
          const exited = new Promise((r) => p.once('exit', r));
          p.kill('SIGKILL');
          return exited;
        }),
      );
      rmSync(opts.dir, { recursive: true, force: true });
    },
  };
}

// `npx tsx scripts/ha/redis-sentinel.ts [basePort]`: a cluster to try by hand, until Ctrl-C
if (import.meta.url === `file://${process.argv[1]}`) {
  const basePort = Number(process.argv[2] ?? 16000);
  const ha = await startRedisSentinel({ dir: join(process.env.TMPDIR ?? '/tmp', `redis-sentinel-${basePort}`), basePort });
  console.log(`REDIS_SENTINELS=${ha.sentinels} REDIS_SENTINEL_NAME=${ha.name}  (master ${await ha.master()})`);
  process.once('SIGINT', () => void ha.stop().then(() => process.exit(0)));
}
