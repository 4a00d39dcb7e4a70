import type { Request } from 'express';
import { rateLimit, type Options as RateLimitOptions, type Store } from 'express-rate-limit';
import type { Config } from '../src/lib/server/kernel/config.ts';

/**
 * Limits per client address, kept in Redis so every server counts together, and let through if
 * Redis is down (taking orders matters more than counting them). The same name counts the same
 * calls wherever it is mounted: the API's routes and the pages' forms that do the same thing.
 */
export function limiterFactory(config: Pick<Config, 'QUEUE_PREFIX'>, store?: (prefix: string) => Store) {
  return (name: string, windowMs: number, limit: number, extra: Partial<RateLimitOptions> = {}) =>
    rateLimit({
      windowMs,
      limit,
      standardHeaders: 'draft-8',
      legacyHeaders: false,
      passOnStoreError: true,
      store: store?.(`${config.QUEUE_PREFIX}:rl:${name}:`),
      handler: (req: Request, res) => {
        res.status(429).json({ error: { code: 'rate_limited', message: 'too many requests, try again in a few minutes', requestId: String(req.id) } });
      },
      ...extra,
    });
}

/** What a customer (anyone not signed in as staff) may ask in 10 minutes: orders, cancels, changes, account links. */
export function customerRateLimit(config: Pick<Config, 'QUEUE_PREFIX' | 'RATE_LIMIT_ORDERS'>, store?: (prefix: string) => Store) {
  return limiterFactory(config, store)('customer', 10 * 60_000, config.RATE_LIMIT_ORDERS, { skip: (req) => !!req.user });
}
