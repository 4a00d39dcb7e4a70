import * as Sentry from '@sentry/node';

let enabled = false;

/** Error reporting to Sentry when SENTRY_DSN is set; nothing at all otherwise. */
export function initErrorReporting(dsn: string | undefined, environment: string, service: string): boolean {
  if (!dsn || enabled) return enabled;
  Sentry.init({ dsn, environment, serverName: service, tracesSampleRate: 0 });
  enabled = true;
  return true;
}

export function reportError(err: unknown, context: Record<string, unknown> = {}): void {
  if (enabled) Sentry.captureException(err, { extra: context });
}

export async function flushErrorReports(timeoutMs = 2000): Promise<void> {
  if (enabled) await Sentry.flush(timeoutMs);
}
