import type { Config } from './config.ts';

/**
 * Whether a browser request from `origin` may change state (API writes, socket handshakes).
 *
 * Browsers always send `Origin` on a cross-origin request and on every POST/PATCH/DELETE, so a
 * request without one comes from a non-browser client, which cannot carry a victim's cookie: it
 * is let through. With `PUBLIC_ORIGIN` (and `ALLOWED_ORIGINS`) set, only those origins are
 * accepted; without, only the origin the request was addressed to (its Host), so a page on the
 * same host but another port (same site, another origin) is refused.
 */
export function originAllowed(
  origin: string | undefined,
  request: { host: string | undefined; protocol?: string },
  config: Pick<Config, 'PUBLIC_ORIGIN' | 'ALLOWED_ORIGINS'>,
): boolean {
  if (origin === undefined) return true;
  const normalized = normalizeOrigin(origin);
  if (!normalized) return false;
  const allowed = configuredOrigins(config);
  if (allowed.length) return allowed.includes(normalized);
  if (!request.host) return false;
  const protocols = request.protocol ? [request.protocol.replace(/:$/, '')] : ['http', 'https'];
  return protocols.some((p) => normalizeOrigin(`${p}://${request.host}`) === normalized);
}

export function configuredOrigins(config: Pick<Config, 'PUBLIC_ORIGIN' | 'ALLOWED_ORIGINS'>): string[] {
  return [config.PUBLIC_ORIGIN, ...(config.ALLOWED_ORIGINS ?? '').split(',')]
    .map((o) => (o ? normalizeOrigin(o.trim()) : null))
    .filter((o): o is string => !!o);
}

function normalizeOrigin(value: string): string | null {
  if (value === 'null' || value.length > 300) return null;
  try {
    const u = new URL(value);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') return null;
    return u.origin;
  } catch {
    return null;
  }
}
