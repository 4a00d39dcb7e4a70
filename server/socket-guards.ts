import type { IncomingMessage } from 'node:http';
import proxyaddr from 'proxy-addr';
import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { Config } from '../src/lib/server/kernel/config.ts';
import { originAllowed } from '../src/lib/server/kernel/origin.ts';

type TrustFn = (addr: string, hop: number) => boolean;

/** Express's "trust proxy" semantics for TRUST_PROXY: true/false, a hop count, or addresses and CIDRs. */
export function compileTrust(value: string): TrustFn {
  if (value === 'true' || value === 'false') {
    const all = value === 'true';
    return () => all;
  }
  if (/^\d+$/.test(value)) {
    const hops = Number(value);
    return (_addr, hop) => hop < hops;
  }
  return proxyaddr.compile(value.split(',').map((v) => v.trim()));
}

/** The client's address as Express computes `req.ip`: the forwarded one only behind a trusted proxy. */
export function clientAddress(req: IncomingMessage, trust: TrustFn): string {
  try {
    return proxyaddr(req, trust);
  } catch {
    return req.socket.remoteAddress ?? 'unknown';
  }
}

export interface HandshakeGuard {
  /** engine.io's `allowRequest`: refuses a handshake with 403 and a reason the client reads. */
  allowRequest(req: IncomingMessage, callback: (err: string | null | undefined, success: boolean) => void): void;
  /** Counts a connection that was let in until it closes. */
  track(req: IncomingMessage, onClose: (fn: () => void) => void): void;
  addressOf(req: IncomingMessage): string;
}

/**
 * What a socket handshake must pass before any work is done for it: an origin this deployment
 * serves, and the client address's limits (live sockets on this server, new connections per
 * minute across servers when Redis is there). Cheap on purpose: it runs before the socket exists.
 */
export function createHandshakeGuard(config: Config, redis?: Redis): HandshakeGuard {
  const trust = compileTrust(config.TRUST_PROXY);
  const live = new Map<string, number>();
  const memory = new RateLimiterMemory({ keyPrefix: 'sock-conn', points: config.SOCKET_CONNECTS_PER_MINUTE, duration: 60 });
  // counted in Redis so every hub counts together; this server's own count stands in while Redis is away
  const connects: RateLimiterAbstract = redis
    ? new RateLimiterRedis({
        storeClient: redis,
        keyPrefix: `${config.QUEUE_PREFIX}:rl:sock-conn`,
        points: config.SOCKET_CONNECTS_PER_MINUTE,
        duration: 60,
        // an address past its limit is refused from memory for the rest of the minute: a flood of
        // handshakes costs no Redis round trip each
        inMemoryBlockOnConsumed: config.SOCKET_CONNECTS_PER_MINUTE,
        inMemoryBlockDuration: 60,
        insuranceLimiter: memory,
      })
    : memory;
  const addressOf = (req: IncomingMessage) => {
    const cached = (req as IncomingMessage & { clientAddress?: string }).clientAddress;
    if (cached) return cached;
    const address = clientAddress(req, trust);
    (req as IncomingMessage & { clientAddress?: string }).clientAddress = address;
    return address;
  };

  return {
    addressOf,
    allowRequest(req, callback) {
      const origin = req.headers.origin;
      if (!originAllowed(origin, { host: req.headers.host }, config)) return callback('bad_origin', false);
      const address = addressOf(req);
      if ((live.get(address) ?? 0) >= config.SOCKET_MAX_PER_ADDRESS) return callback('too_many_connections', false);
      connects.consume(address).then(
        () => callback(null, true),
        (res: unknown) => callback(res instanceof Error ? 'server_error' : 'rate_limited', false),
      );
    },
    track(req, onClose) {
      const address = addressOf(req);
      live.set(address, (live.get(address) ?? 0) + 1);
      onClose(() => {
        const n = (live.get(address) ?? 1) - 1;
        if (n <= 0) live.delete(address);
        else live.set(address, n);
      });
    },
  };
}

/**
 * Calls one socket may make: a bucket of `points` per 10 s, refilled continuously enough for
 * every screen (a handful of subscriptions at each connection).
 */
export function createCallLimiter(config: Config) {
  return new RateLimiterMemory({ keyPrefix: 'sock-calls', points: config.SOCKET_CALLS_PER_10S, duration: 10 });
}
