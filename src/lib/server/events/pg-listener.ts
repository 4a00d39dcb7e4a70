// pg-listen is unmaintained and its type definitions disagree between module resolutions;
// this module is the only place that touches it, with explicit types that hold under both.
import { createRequire } from 'node:module';
import { EventEmitter } from 'node:events';

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
 * How soon a lost listening connection is tried again: quickly at first, then every second at most
 * (a Postgres failover takes seconds; the screens wait for this connection to come back).
 */
export const LISTEN_RETRY_MAX_MS = 1000;

/**
 * A LISTEN connection that never gives up reconnecting (pg-listen's default stops after 3 s) and
 * listens again to its channels on whichever Postgres answers (after a failover, the new leader).
 * Postgres does not replay notifications missed while away: users must catch up from a table
 * after every `connected` event, which comes once every channel is listened to again.
 *
 * pg-listen itself stays connected but deaf when its connection came back and a LISTEN on it failed
 * (it only reports the error): this wrapper then drops that connection and starts a fresh one.
 */
function openPgListener(connectionString: string, name: string): PgListener {
  const events = new EventEmitter();
  const channels = new Set<string>();
  let closed = false;
  let replacing = false;

  const make = (): PgListener => {
    const sub = mod.default(
      { connectionString, application_name: name },
      {
        retryInterval: (attempt) => Math.min(100 * 2 ** attempt, LISTEN_RETRY_MAX_MS),
        retryLimit: Infinity,
        retryTimeout: 0,
        paranoidChecking: 10_000,
        parse: (s) => s,
      },
    );
    sub.events.on('notification', (n: unknown) => events.emit('notification', n));
    sub.events.on('reconnect', (attempt: unknown) => events.emit('reconnect', attempt));
    sub.events.on('connected', () => {
      if (!replacing) events.emit('connected');
    });
    sub.events.on('error', (err: unknown) => {
      if (events.listenerCount('error')) events.emit('error', err);
      if (/Re-initializing/.test(String((err as Error)?.message))) void replace();
    });
    return sub;
  };

  let inner = make();

  const replace = async () => {
    if (replacing || closed) return;
    replacing = true;
    const old = inner;
    old.events.removeAllListeners();
    old.events.on('error', () => {});
    await old.close().catch(() => {});
    for (let attempt = 0; !closed; attempt++) {
      events.emit('reconnect', attempt);
      inner = make();
      try {
        await inner.connect();
        for (const c of channels) await inner.listenTo(c);
        replacing = false;
        events.emit('connected');
        return;
      } catch {
        inner.events.removeAllListeners();
        inner.events.on('error', () => {});
        await inner.close().catch(() => {});
        await new Promise((r) => setTimeout(r, Math.min(100 * 2 ** attempt, LISTEN_RETRY_MAX_MS)));
      }
    }
    replacing = false;
  };

  return {
    events,
    connect: () => inner.connect(),
    async close() {
      closed = true;
      await inner.close();
    },
    listenTo(channel) {
      channels.add(channel);
      return inner.listenTo(channel);
    },
  };
}

/**
 * One listening connection per process and name (the hub's, the workers'), shared by every part of
 * the process that listens: each sees the notifications of the channels it listens to, and the
 * connection's comings and goings. Postgres wakes every listening connection of a database at each
 * notification, whatever its channels, and the woken backend reads the notification queue in a
 * transaction of its own: four listening connections in a hub were four wake-ups and four
 * transactions for each order event's notification. The connection is closed with its last user.
 */
interface SharedListener {
  inner: PgListener;
  users: Map<EventEmitter, Set<string>>;
  /** Each channel listened to, once for all its users. */
  listening: Map<string, Promise<unknown>>;
  connected: boolean;
  connecting: Promise<void> | null;
}
const shared = new Map<string, SharedListener>();

function sharedListener(connectionString: string, name: string, key: string): SharedListener {
  const c: SharedListener = { inner: openPgListener(connectionString, name), users: new Map(), listening: new Map(), connected: false, connecting: null };
  c.inner.events.on('notification', (n: { channel?: string }) => {
    for (const [user, channels] of c.users) if (channels.has(String(n?.channel))) user.emit('notification', n);
  });
  c.inner.events.on('connected', () => {
    c.connected = true;
    for (const user of c.users.keys()) user.emit('connected');
  });
  c.inner.events.on('reconnect', (attempt: unknown) => {
    c.connected = false;
    for (const user of c.users.keys()) user.emit('reconnect', attempt);
  });
  c.inner.events.on('error', (err: unknown) => {
    for (const user of c.users.keys()) if (user.listenerCount('error')) user.emit('error', err);
  });
  shared.set(key, c);
  return c;
}

export function createPgListener(connectionString: string, name: string): PgListener {
  const key = `${name} ${connectionString}`;
  const c = shared.get(key) ?? sharedListener(connectionString, name, key);
  const events = new EventEmitter();
  const channels = new Set<string>();
  c.users.set(events, channels);
  let closed = false;
  return {
    events,
    async connect() {
      if (c.connected) {
        // connected before this user came: told so, as the first user was
        process.nextTick(() => events.emit('connected'));
        return;
      }
      c.connecting ??= c.inner.connect().finally(() => (c.connecting = null));
      await c.connecting;
    },
    listenTo(channel) {
      channels.add(channel);
      let listening = c.listening.get(channel);
      if (!listening) {
        listening = Promise.resolve(c.inner.listenTo(channel));
        c.listening.set(channel, listening);
        listening.catch(() => c.listening.delete(channel));
      }
      return listening;
    },
    async close() {
      if (closed) return;
      closed = true;
      c.users.delete(events);
      if (c.users.size) return;
      shared.delete(key);
      await c.inner.close();
    },
  };
}
