import { readFileSync } from 'node:fs';
import type { ConnectionOptions as TlsOptions } from 'node:tls';

/** What every Redis connection of the product needs to know beyond the URL: TLS for `rediss://`. */
export interface RedisSettings {
  REDIS_URL: string;
  /** false: accept a managed Redis's self-signed certificate (Heroku Data for Redis and the like). */
  REDIS_TLS_VERIFY: boolean;
  /** A CA certificate (PEM file) to trust for the Redis server, instead of the system's. */
  REDIS_TLS_CA_FILE?: string;
}

/** TLS options for a `rediss://` URL, or undefined for plain `redis://`. */
export function redisTls(s: RedisSettings): TlsOptions | undefined {
  if (!s.REDIS_URL.toLowerCase().startsWith('rediss://')) return undefined;
  const tls: TlsOptions = { rejectUnauthorized: s.REDIS_TLS_VERIFY };
  if (s.REDIS_TLS_CA_FILE) tls.ca = readFileSync(s.REDIS_TLS_CA_FILE, 'utf8');
  // the host name the certificate is checked against (ioredis does not set it from the URL)
  tls.servername = new URL(s.REDIS_URL).hostname;
  return tls;
}

/** node-redis's socket options for the same settings. */
export function nodeRedisSocket(s: RedisSettings): { tls: true; rejectUnauthorized: boolean; ca?: string; servername: string } | undefined {
  const tls = redisTls(s);
  if (!tls) return undefined;
  return { tls: true, rejectUnauthorized: s.REDIS_TLS_VERIFY, ca: tls.ca as string | undefined, servername: tls.servername! };
}
