import type { OrderUpdated } from '../realtime/contract.ts';
import type { Db } from './db.ts';
import { listEventsAfter } from './events.ts';
import { createPgListener, type PgListener } from './pg-listener.ts';

export interface FollowerOptions {
  db: Db;
  databaseUrl: string;
  name: string;
  /** Where to start: events after this id are delivered. */
  startAfter: number;
  /** Called with each batch, in id order; the follower waits for it before reading more. */
  onEvents: (events: OrderUpdated[]) => Promise<void> | void;
  onError?: (err: unknown) => void;
  onConnectionChange?: (connected: boolean) => void;
  batchSize?: number;
}

/**
 * Follows order_events in id order. A notification only says "something new": the follower then
 * reads every event after the last one it delivered, so a lost notification or a dropped listening
 * connection never loses an event (it catches up after each reconnect).
 */
export class EventFollower {
  private listener: PgListener;
  private last: number;
  private draining: Promise<void> | null = null;
  private again = false;
  private closed = false;
  connected = false;

  constructor(private readonly opts: FollowerOptions) {
    this.last = opts.startAfter;
    this.listener = createPgListener(opts.databaseUrl, opts.name);
    this.listener.events.on('notification', () => this.drain());
    this.listener.events.on('connected', () => {
      this.connected = true;
      opts.onConnectionChange?.(true);
      this.drain();
    });
    this.listener.events.on('reconnect', () => {
      if (this.connected) opts.onConnectionChange?.(false);
      this.connected = false;
    });
    this.listener.events.on('error', (err: unknown) => opts.onError?.(err));
  }

  get lastEventId(): number {
    return this.last;
  }

  async start(): Promise<void> {
    await this.listener.connect();
    await this.listener.listenTo('order_events');
    // events committed between startAfter and LISTEN taking effect
    await this.drain();
  }

  /** Reads and delivers everything after the last delivered event; concurrent calls coalesce. */
  drain(): Promise<void> {
    if (this.closed) return Promise.resolve();
    if (this.draining) {
      this.again = true;
      return this.draining;
    }
    this.draining = (async () => {
      try {
        do {
          this.again = false;
          for (;;) {
            const batch = await listEventsAfter(this.opts.db, { all: true }, this.last, this.opts.batchSize ?? 500);
            if (!batch.length) break;
            await this.opts.onEvents(batch);
            this.last = batch[batch.length - 1].eventId;
          }
        } while (this.again && !this.closed);
      } catch (err) {
        this.opts.onError?.(err);
        // retry soon: the next notification or reconnect would too, but do not wait for one
        setTimeout(() => this.drain(), 1000).unref();
      } finally {
        this.draining = null;
      }
    })();
    return this.draining;
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.draining?.catch(() => {});
    await this.listener.close().catch(() => {});
  }
}
