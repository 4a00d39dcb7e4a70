import { readFileSync } from 'node:fs';
import type { ConnectionOptions as TlsOptions } from 'node:tls';
import { Redis, ReplyError, SentinelConnector, type RedisOptions } from 'ioredis';
import type { createClient } from 'redis';
import { parseSentinels } from './sentinels.ts';
import { whenNeeded } from './when-needed.ts';

/**
 * The one place every Redis connection of the product is made (queues, workers, hubs, rate limits,
 * positions, presence): one Redis at REDIS_URL, or the master the sentinels of REDIS_SENTINELS name.
 * tests/ops/lint-conventions.test.ts keeps `new Redis(…)` and `createClient(…)` out of the rest of the product.
 */
export interface RedisSettings {
  REDIS_URL: string;
  /** false: accept a managed Redis's self-signed certificate (Heroku Data for Redis and the like). */
  REDIS_TLS_VERIFY: boolean;
  /** A CA certificate (PEM file) to trust for the Redis server, instead of the system's. */
  REDIS_TLS_CA_FILE?: string;
  /** host:port of each sentinel, comma separated: the master is asked of them, REDIS_URL's host is not used. */
  REDIS_SENTINELS?: string;
  /** The master's name in the sentinels' configuration. */
  REDIS_SENTINEL_NAME?: string;
  REDIS_SENTINEL_PASSWORD?: string;
}

/** Whether the connections go through Sentinel. */
export const viaSentinel = (s: RedisSettings): boolean => !!s.REDIS_SENTINELS && parseSentinels(s.REDIS_SENTINELS).length > 0;

/** TLS options for a `rediss://` URL, or undefined for plain `redis://`. */
export function redisTls(s: RedisSettings): TlsOptions | undefined {
  if (!s.REDIS_URL.toLowerCase().startsWith('rediss://')) return undefined;
  const tls: TlsOptions = { rejectUnauthorized: s.REDIS_TLS_VERIFY };
  if (s.REDIS_TLS_CA_FILE) tls.ca = readFileSync(s.REDIS_TLS_CA_FILE, 'utf8');
  // the host name the certificate is checked against (ioredis does not set it from the URL); behind
  // Sentinel each node is checked against its own address, as the sentinels give it
  if (!viaSentinel(s)) tls.servername = new URL(s.REDIS_URL).hostname;
  return tls;
}

/**
 * ioredis's Sentinel connector (6.0), with two changes:
 * - its own connections to the sentinels (the failover detector's) are quiet when a sentinel is
 *   down: their errors are expected and handled, and ioredis would print each as an "Unhandled
 *   error event" on the error output;
 * - a failover announced while the connection is being made again (the sentinels being asked for
 *   the master) no longer ends it for good. ioredis's failover detector, still listening from the
 *   last connection, disconnects the connector; the connect under way then fails with "Connection
 *   is closed." and ioredis gives the connection up (status "end": every command refused from then
 *   on, seen as a server's queues dead after a Redis failover while a sentinel answered slowly).
 *   Such an announcement is ignored while the sentinels are being asked: what they answer is the
 *   new master already (or a dead one, and the connection is made again).
 * Should ioredis's internals change, it is ioredis's connector unchanged.
 */
class QuietSentinelConnector extends SentinelConnector {
  /** Whether a connect is under way (from asking the sentinels to the socket made). */
  private asking = false;

  constructor(options: unknown) {
    super(options as ConstructorParameters<typeof SentinelConnector>[0]);
    const self = this as unknown as { connectToSentinel?: (...args: unknown[]) => Redis; failoverDetector?: unknown };
    const connect = self.connectToSentinel?.bind(this);
    if (!connect) return;
    self.connectToSentinel = (...args: unknown[]) => {
      const client = connect(...args);
      client.on('error', () => {});
      return client;
    };
    // each failover detector made (after a connection) disconnects through failedOver()
    let detector: { connector?: unknown } | undefined;
    Object.defineProperty(this, 'failoverDetector', {
      configurable: true,
      get: () => detector,
      set: (d: { connector?: unknown } | undefined) => {
        detector = d;
        if (d && 'connector' in d) d.connector = { disconnect: () => this.failedOver() };
      },
    });
  }

  override connect(...args: Parameters<SentinelConnector['connect']>): ReturnType<SentinelConnector['connect']> {
    this.asking = true;
    const made = super.connect(...args);
    made.then(() => (this.asking = false), () => (this.asking = false));
    return made;
  }

  /** The sentinels announced a new master: connect again, unless the sentinels are being asked now. */
  private failedOver() {
    const self = this as unknown as { failoverDetector?: { cleanup(): void } };
    if (this.asking) self.failoverDetector?.cleanup();
    else this.disconnect();
  }
}

/** How long a sentinel is given to name the master before the next one is asked. */
export const SENTINEL_ANSWER_MS = 1000;

/** A node that became a replica answers writes with READONLY: reconnect (to the master the sentinels name now) and resend. */
const reconnectOnReadonly = (err: Error) => (err.message.startsWith('READONLY') ? 2 : false);

/**
 * ioredis options for the settings, with `extra` on top (retries, offline queue, lazy connect):
 * what BullMQ is given as its connection, and what createRedis connects with.
 */
export function redisOptions(s: RedisSettings, extra: RedisOptions = {}): RedisOptions {
  const u = new URL(s.REDIS_URL);
  const node: RedisOptions = {
    tls: redisTls(s),
    username: u.username ? decodeURIComponent(u.username) : undefined,
    password: u.password ? decodeURIComponent(u.password) : undefined,
    db: u.pathname.length > 1 ? Number(u.pathname.slice(1)) : undefined,
  };
  if (!viaSentinel(s)) return { ...node, host: u.hostname, port: Number(u.port || 6379), ...extra };
  const tls = node.tls;
  return {
    ...node,
    sentinels: parseSentinels(s.REDIS_SENTINELS!),
    name: s.REDIS_SENTINEL_NAME ?? 'ocpizza',
    role: 'master',
    Connector: QuietSentinelConnector,
    sentinelPassword: s.REDIS_SENTINEL_PASSWORD,
    enableTLSForSentinelMode: !!tls,
    sentinelTLS: tls,
    // the sentinels announce a failover (+switch-master): connections move at once, not at their next
    // error (a master whose machine vanished may never answer with one); a sentinel that died is
    // listened to again at the next reconnection
    failoverDetector: true,
    sentinelReconnectStrategy: () => null,
    // no sentinel answers: ask again every second, for ever (as a lone Redis is retried)
    sentinelRetryStrategy: (times: number) => Math.min(times * 100, 1000),
    // a sentinel whose machine hangs takes the connection and never answers: asked for a second at most
    sentinelCommandTimeout: SENTINEL_ANSWER_MS,
    reconnectOnError: reconnectOnReadonly,
    ...extra,
  };
}

/** An ioredis connection to the Redis of the settings (the master, through Sentinel). */
export function createRedis(s: RedisSettings, extra: RedisOptions = {}): Redis {
  return new Redis(redisOptions(s, extra));
}

/** node-redis's socket options for the same settings. */
export function nodeRedisSocket(s: RedisSettings): { tls: true; rejectUnauthorized: boolean; ca?: string; servername?: string } | undefined {
  const tls = redisTls(s);
  if (!tls) return undefined;
  return { tls: true, rejectUnauthorized: s.REDIS_TLS_VERIFY, ca: tls.ca as string | undefined, servername: tls.servername };
}

/**
 * The client the hubs' Socket.io streams adapter shares rooms through: node-redis on REDIS_URL;
 * behind Sentinel, ioredis, which follows the master as the other connections do (the adapter
 * speaks both; node-redis's Sentinel client lacks the disconnect() it calls when it stops).
 */
export function createStreamsClient(s: RedisSettings): StreamsClient {
  if (!viaSentinel(s)) return readsPauseAfterFailure(nodeRedis().createClient({ url: s.REDIS_URL, socket: nodeRedisSocket(s) }));
  // lazy: the hub connects it, and the adapter connects the copies it makes of it (one per stream, one to subscribe)
  return readsPauseAfterFailure(createRedis(s, { lazyConnect: true }));
}
export type StreamsClient = ReturnType<typeof createClient> | Redis;

/**
 * node-redis, loaded when a hub first needs it: the workers and the CLIs never do, and loading it
 * is a quarter of a second of a process's start.
 */
const nodeRedis = whenNeeded<{ createClient: typeof createClient }>('redis');

/** How long a failed stream read waits before it fails (and the adapter reads again). */
export const STREAM_READ_PAUSE_MS = 500;

/**
 * The streams adapter reads each stream in a loop that reads again at once when a read fails
 * (@socket.io/redis-streams-adapter 0.3, startPolling). While Redis changes master, a client may
 * refuse every command at once: the loop then never leaves the microtask queue, the event loop
 * stops turning, and the hub answers nothing — not its sockets, not /readyz — with its requests'
 * transactions left open. The copies the adapter makes of this client (duplicate: one per stream)
 * wait STREAM_READ_PAUSE_MS on a timer after a failed read before failing it: a Redis away costs
 * two reads a second, and the hub keeps serving.
 *
 * The adapter also connects each copy (`await copy.connect()`) before it reads or subscribes, and
 * nothing catches that promise: an ioredis copy whose first connection closes before it is ready
 * (Redis away when the hub starts, or killed while the copies connect) rejects it with "Connection
 * is closed." — an unhandled rejection, and a hub that never reads the stream, though the copy goes
 * on reconnecting by itself. The copies' connect here waits for the copy to be ready instead.
 */
export function readsPauseAfterFailure<C extends StreamsClient>(client: C, pauseMs = STREAM_READ_PAUSE_MS): C {
  const duplicate = client.duplicate.bind(client) as () => C;
  (client as unknown as { duplicate: () => C }).duplicate = () => {
    const copy = duplicate();
    if (copy instanceof Redis) {
      const connect = copy.connect.bind(copy);
      copy.connect = () => connect().catch(() => new Promise<void>((ready) => copy.once('ready', () => ready())));
    }
    for (const name of ['xread', 'xRead'] as const) {
      const read = (copy as unknown as Record<string, unknown>)[name];
      if (typeof read !== 'function') continue;
      (copy as unknown as Record<string, unknown>)[name] = (...args: unknown[]) =>
        (read as (...a: unknown[]) => Promise<unknown>).apply(copy, args).catch(async (err: unknown) => {
          await new Promise((r) => setTimeout(r, pauseMs));
          throw err;
        });
    }
    return copy;
  };
  return client;
}

/** Closes the streams client, whichever it is, without waiting on a Redis that does not answer. */
export async function closeStreamsClient(c: StreamsClient): Promise<void> {
  if (c instanceof Redis) {
    if (c.status === 'ready') await c.quit().catch(() => c.disconnect());
    else c.disconnect();
    return;
  }
  if (c.isReady) await c.close().catch(() => c.destroy());
  else if (c.isOpen) c.destroy();
}

/** What the operators are told of Redis (/readyz, the system page, the metrics). */
export interface RedisStatus {
  /** The node this server's connection answers from (host:port), null while Redis is not reached. */
  master: string | null;
  /** Whether the sentinels named it (REDIS_SENTINELS) rather than REDIS_URL. */
  sentinel: boolean;
  /** Replicas connected to the master now, as the master says (null: not known). */
  replicas: number | null;
  /** Master changes this server saw since it started (a failover moves every server's connections). */
  failovers: number;
  /**
   * Behind Sentinel: how many sentinels answer, of how many, and whether they can still agree a
   * failover (SENTINEL CKQUORUM): without it, the master's death is Redis down until one comes back.
   */
  sentinels?: { answering: number; of: number; quorum: boolean };
}

const within = <T>(p: Promise<T>, ms: number): Promise<T> => {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([p, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('timed out')), ms)))]).finally(() => clearTimeout(timer));
};

/** Asks each sentinel whether a failover could be agreed now (a connection of its own each time, closed after). */
async function sentinelQuorum(s: RedisSettings, timeoutMs: number): Promise<NonNullable<RedisStatus['sentinels']>> {
  const tls = redisTls(s);
  const name = s.REDIS_SENTINEL_NAME ?? 'ocpizza';
  const answers = await Promise.all(
    parseSentinels(s.REDIS_SENTINELS!).map(async ({ host, port }) => {
      const c = new Redis({ host, port, password: s.REDIS_SENTINEL_PASSWORD, tls, lazyConnect: true, connectTimeout: timeoutMs, retryStrategy: () => null, maxRetriesPerRequest: 0, enableOfflineQueue: false });
      c.on('error', () => {});
      try {
        await within(c.connect(), timeoutMs);
        // "OK 3 usable Sentinels…", or an error "NOQUORUM 1 usable Sentinels…" (it answers, and cannot agree)
        return await within(c.call('SENTINEL', 'CKQUORUM', name) as Promise<string>, timeoutMs).then(
          (ok) => ({ answered: true, quorum: String(ok).startsWith('OK') }),
          (err: Error) => ({ answered: /NOQUORUM/.test(err.message), quorum: false }),
        );
      } catch {
        return { answered: false, quorum: false };
      } finally {
        c.disconnect();
      }
    }),
  );
  return { answering: answers.filter((a) => a.answered).length, of: answers.length, quorum: answers.some((a) => a.quorum) };
}

/**
 * Reads where `redis` is connected and what its master says of its replicas (ROLE), and counts
 * the master changes it sees between two reads: a failover shows as a new address. Behind
 * Sentinel it also asks the sentinels whether they could agree a failover, at most every 5 s.
 */
export function watchRedis(redis: Redis, s: RedisSettings) {
  let last: string | null = null;
  let failovers = 0;
  let quorum: { at: number; value: Promise<NonNullable<RedisStatus['sentinels']>> } | null = null;
  return async function status(timeoutMs = 1000): Promise<RedisStatus> {
    if (viaSentinel(s) && (!quorum || Date.now() - quorum.at > 5000)) quorum = { at: Date.now(), value: sentinelQuorum(s, timeoutMs) };
    // a managed Redis may refuse ROLE (an error reply): it answered, only its replicas are not known
    const [role, sentinels] = await Promise.all([
      within(redis.call('ROLE') as Promise<[string, number, [string, string, string][]?]>, timeoutMs).catch((err: Error) =>
        err instanceof ReplyError ? ('refused' as const) : null,
      ),
      quorum?.value,
    ]);
    const stream = (redis as unknown as { stream?: { remoteAddress?: string; remotePort?: number } }).stream;
    const master = role && stream?.remoteAddress ? `${stream.remoteAddress.replace(/^::ffff:/, '')}:${stream.remotePort}` : null;
    if (master && last && master !== last) failovers++;
    if (master) last = master;
    const replicas = Array.isArray(role) && role[0] === 'master' && Array.isArray(role[2]) ? role[2].length : null;
    return { master, sentinel: viaSentinel(s), replicas, failovers, ...(sentinels ? { sentinels } : {}) };
  };
}
