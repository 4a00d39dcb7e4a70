// The hubs' streams adapter with its Redis gone (a master killed, not yet replaced): the adapter
// reads each stream in a loop that reads again at once when a read fails, and a client that refuses
// every command at once (ioredis without its offline queue, as a Sentinel client between masters)
// then kept the loop in the microtask queue: the event loop stopped, and the server answered
// nothing. Against a real redis-server killed with SIGKILL: the event loop keeps turning, an HTTP
// server keeps answering, the reads fall to about two a second, and they carry on once Redis is back.
// And a hub started while its Redis is away (an ioredis connection's first attempt closed before it
// was ready, which rejects its connect()): no rejection left unhandled, the stream read and the
// shops' evenings relayed once Redis comes.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAdapter } from '@socket.io/redis-streams-adapter';
import type { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { createRedis, readsPauseAfterFailure, STREAM_READ_PAUSE_MS } from '../../src/lib/server/kernel/redis-options.ts';
import { relayEvenings } from '../../server/fleet-watch.ts';
import type { EveningState } from '../../src/lib/server/flows/evenings.ts';
import { freePort } from '../helpers.ts';

// a port nobody listens on (a random one was once already taken in a full run: Redis never came);
// the same port again when Redis comes back
let port = 0;
let redis: ChildProcess | null = null;
const servers: ChildProcess[] = [];
let http: Server | null = null;
const clients: Redis[] = [];

async function startRedis(): Promise<void> {
  port ||= await freePort();
  redis = await redisServerOn(port);
}

async function redisServerOn(on: number): Promise<ChildProcess> {
  const server = spawn('redis-server', ['--port', String(on), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  servers.push(server);
  let exited: number | null = null;
  server.once('exit', (code) => (exited = code ?? -1));
  // a loaded machine may take seconds to start it: a client a try, for up to 20 s
  for (const until = Date.now() + 20_000; Date.now() < until && exited === null; ) {
    const probe = createRedis({ REDIS_URL: `redis://127.0.0.1:${on}`, REDIS_TLS_VERIFY: true }, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    probe.on('error', () => {});
    const pong = await probe.connect().then(() => probe.ping(), () => null).catch(() => null);
    probe.disconnect();
    if (pong === 'PONG') return server;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`redis-server on port ${on} ${exited === null ? 'did not answer in 20 s' : `exited (${exited})`}`);
}

/** A client of the test's Redis on `port` (kept to be closed at the end), its errors ignored. */
function clientOn(on: number, options: Parameters<typeof createRedis>[1]): Redis {
  const client = createRedis({ REDIS_URL: `redis://127.0.0.1:${on}`, REDIS_TLS_VERIFY: true }, options);
  client.on('error', () => {});
  clients.push(client);
  return client;
}

afterAll(async () => {
  for (const c of clients) c.disconnect();
  for (const server of servers) server.kill('SIGKILL');
  await new Promise<void>((r) => (http ? http.close(() => r()) : r()));
});

describe("the hubs' streams with their Redis killed", () => {
  it('leave the event loop turning and the server answering, reading about twice a second until Redis is back', async () => {
    await startRedis();
    // a client that refuses every command at once while its connection is away, its copies' reads counted
    const base = createRedis({ REDIS_URL: `redis://127.0.0.1:${port}`, REDIS_TLS_VERIFY: true }, { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0 });
    base.on('error', () => {});
    clients.push(base);
    let reads = 0;
    const duplicate = base.duplicate.bind(base);
    base.duplicate = ((...args: Parameters<Redis['duplicate']>) => {
      const copy = duplicate(...args);
      clients.push(copy);
      const xread = copy.xread.bind(copy) as (...a: unknown[]) => Promise<unknown>;
      (copy as unknown as { xread: (...a: unknown[]) => Promise<unknown> }).xread = (...a: unknown[]) => {
        reads++;
        return xread(...a);
      };
      return copy;
    }) as Redis['duplicate'];
    await base.connect();
    createAdapter(readsPauseAfterFailure(base), { streamName: `streams-away-${port}`, blockTimeInMs: 200 });
    http = createServer((_req, res) => res.end('ok'));
    await new Promise<void>((r) => http!.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}/`;
    await expect.poll(() => reads, { timeout: 5_000 }).toBeGreaterThan(0);

    redis!.kill('SIGKILL');
    await new Promise((r) => redis!.once('exit', r));
    const readsBefore = reads;
    let ticks = 0;
    const timer = setInterval(() => ticks++, 20);
    const started = Date.now();
    const answers: number[] = [];
    while (Date.now() - started < 2_000) {
      answers.push((await fetch(url)).status);
      await new Promise((r) => setTimeout(r, 200));
    }
    clearInterval(timer);
    expect(answers.length).toBeGreaterThanOrEqual(5);
    expect(answers.every((s) => s === 200)).toBe(true);
    expect(ticks).toBeGreaterThan(40);
    // about one read a pause per stream (a read may also wait its block time): never a loop
    expect(reads - readsBefore).toBeLessThanOrEqual(Math.ceil(2_000 / STREAM_READ_PAUSE_MS) + 2);

    await startRedis();
    const back = reads;
    await expect.poll(() => reads - back, { timeout: 10_000 }).toBeGreaterThan(2);
  });

  it('started while its Redis is away: no rejection left unhandled, and the stream read once Redis comes', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (err: unknown) => unhandled.push(err);
    process.on('unhandledRejection', onUnhandled);
    try {
      const away = await freePort();
      // as a hub makes it behind Sentinel: ioredis, lazy, connected without waiting, retrying for ever
      const base = clientOn(away, { lazyConnect: true });
      const read: string[] = [];
      const duplicate = base.duplicate.bind(base);
      base.duplicate = ((...args: Parameters<Redis['duplicate']>) => {
        const copy = duplicate(...args);
        clients.push(copy);
        const xread = copy.xread.bind(copy) as (...a: unknown[]) => Promise<unknown>;
        (copy as unknown as { xread: (...a: unknown[]) => Promise<unknown> }).xread = async (...a: unknown[]) => {
          const answer = (await xread(...a)) as [string, [string, string[]][]][] | null;
          for (const [, entries] of answer ?? []) for (const [, fields] of entries) read.push(fields[fields.indexOf('uid') + 1]);
          return answer;
        };
        return copy;
      }) as Redis['duplicate'];
      base.connect().catch(() => {});
      const stream = `streams-away-start-${away}`;
      createAdapter(readsPauseAfterFailure(base), { streamName: stream, blockTimeInMs: 200 });
      // the copies' first connections are refused, again and again
      await new Promise((r) => setTimeout(r, 1_500));
      expect(unhandled).toEqual([]);

      await redisServerOn(away);
      const writer = clientOn(away, { maxRetriesPerRequest: 1 });
      // the adapter reads from the stream's end as it first reads it: written until a read brings one
      let sent = 0;
      await expect.poll(async () => {
        await writer.xadd(stream, '*', 'uid', `other-hub-${++sent}`, 'nsp', '/', 'type', '3');
        return read.length;
      }, { timeout: 15_000, interval: 300 }).toBeGreaterThan(0);
      expect(read[0]).toMatch(/^other-hub-/);
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it("started while its Redis is away: the hub's evenings subscription relays the shops' evenings once Redis comes", async () => {
    const away = await freePort();
    const base = clientOn(away, { lazyConnect: true });
    const delivered: EveningState[] = [];
    const warned: string[] = [];
    const sub = relayEvenings({
      redis: base, channel: `evenings-away-${away}`, watched: () => true,
      deliver: (state) => delivered.push(state), warn: (_err, what) => warned.push(what), again: async () => {},
    });
    clients.push(sub);
    // its first connections are refused, again and again
    await new Promise((r) => setTimeout(r, 1_500));
    expect(warned).toContain('evenings not relayed yet (Redis)');

    await redisServerOn(away);
    const writer = clientOn(away, { maxRetriesPerRequest: 1 });
    const state = { shop: 7, fleet: { pizzeriaId: 7, drivers: [] }, forecasts: [] };
    // a state published every 300 ms until one arrives: the subscription is made once connected
    await expect.poll(async () => {
      await writer.publish(`evenings-away-${away}`, `7 ${JSON.stringify(state)}`);
      return delivered.length;
    }, { timeout: 15_000, interval: 300 }).toBeGreaterThan(0);
    expect(delivered[0]).toEqual(state);
  });
});
