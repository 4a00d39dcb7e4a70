// pg-listen is unmaintained and its type definitions disagree between module resolutions;
// this module is the only place that touches it, with explicit types that hold under both.
import { createRequire } from 'node:module';
import type { EventEmitter } from 'node:events';

export interface PgListener {
  events: EventEmitter;
  connect(): Promise<void>;
  close(): Promise<void>;
  listenTo(channel: string): Promise<unknown> | undefined;
}

type CreateSubscriber = (
  config: { connectionString: string; application_name?: string },
  options: { retryInterval: (attempt: number) => number; retryLimit: number; retryTimeout: number; paranoidChecking: number; parse: (s: string) => unknown },
) => PgListener;

const require = createRequire(import.meta.url);
const mod = require('pg-listen') as { default: CreateSubscriber };

/**
 * A LISTEN connection that never gives up reconnecting (pg-listen's default stops after 3 s).
 * Postgres does not replay notifications missed while away: users must catch up from a table
 * after every `connected` event.
 */
export function createPgListener(connectionString: string, name: string): PgListener {
  return mod.default(
    { connectionString, application_name: name },
    {
      retryInterval: (attempt) => Math.min(250 * 2 ** attempt, 5000),
      retryLimit: Infinity,
      retryTimeout: 0,
      paranoidChecking: 10_000,
      parse: (s) => s,
    },
  );
}
