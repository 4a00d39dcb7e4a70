// loaded only when error reporting is on (SENTRY_DSN): a large module most processes never need
let Sentry: typeof import('@sentry/node') | null = null;
let enabled = false;

/** Error reporting to Sentry when SENTRY_DSN is set; nothing at all otherwise. */
export async function initErrorReporting(dsn: string | undefined, environment: string, service: string): Promise<boolean> {
  if (!dsn || enabled) return enabled;
  Sentry = await import('@sentry/node');
  Sentry.init({ dsn, environment, serverName: service, tracesSampleRate: 0 });
  enabled = true;
  return true;
}

export function reportError(err: unknown, context: Record<string, unknown> = {}): void {
  if (enabled) Sentry?.captureException(err, { extra: context });
}

export async function flushErrorReports(timeoutMs = 2000): Promise<void> {
  if (enabled) await Sentry?.flush(timeoutMs);
}
