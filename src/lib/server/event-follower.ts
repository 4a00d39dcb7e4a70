import type { OrderUpdated } from '../realtime/contract.ts';
import type { Db } from './db.ts';
import { listEventsAfter, publishEvents } from './events.ts';
import { createPgListener, type PgListener } from './pg-listener.ts';

const EVENTS_CHANNEL = 'order_events';
const INBOX_CHANNEL = 'order_event_inbox';
const PUBLISH_BATCH = 1000;
export const PUBLISH_BACKUP_DELAY_MS = 250;

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
  /**
   * When to publish committed inbox events (see events.ts): 'now' (the hubs: at once, then read),
   * 'backup' (the workers: PUBLISH_BACKUP_DELAY_MS later, so that events still reach order_events
   * when no hub runs, at the cost of one cheap empty publish when one does), or false.
   */
  publish?: 'now' | 'backup' | false;
}

/**
 * Follows order_events in id order. A notification only says "something new": the follower then
 * publishes what has committed in the inbox (see events.ts) and reads every event after the last
 * one it delivered, so a lost notification or a dropped listening connection never loses an event
 * (it catches up after each reconnect).
 */
export class EventFollower {
  private listener: PgListener;
  private last: number;
  private draining: Promise<void> | null = null;
  private again = false;
  private publishAgain = false;
  private closed = false;
  private readonly publishes: boolean;
  private backupTimer: NodeJS.Timeout | null = null;
  private cyclesStarted = 0;
  private waiters: { cycle: number; resolve: () => void }[] = [];
  connected = false;

  constructor(private readonly opts: FollowerOptions) {
    this.last = opts.startAfter;
    const mode = opts.publish ?? 'now';
    this.publishes = mode !== false;
    this.listener = createPgListener(opts.databaseUrl, opts.name);
    this.listener.events.on('notification', (n: { channel?: string }) => {
      if (n?.channel !== INBOX_CHANNEL) return void this.drain();
      if (mode === 'now') return void this.drain(true);
      // a backup publisher: once, a moment later, whatever no hub published by then
      this.backupTimer ??= setTimeout(() => {
        this.backupTimer = null;
        void this.drain(true);
      }, PUBLISH_BACKUP_DELAY_MS);
    });
    this.listener.events.on('connected', () => {
      this.connected = true;
      opts.onConnectionChange?.(true);
      this.drain(true);
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
    await this.listener.listenTo(EVENTS_CHANNEL);
    if (this.publishes) await this.listener.listenTo(INBOX_CHANNEL);
    // events committed between startAfter and LISTEN taking effect
    await this.drain(true);
  }

  /**
   * Publishes (when asked and this follower publishes), then reads and delivers everything after
   * the last delivered event; concurrent calls coalesce.
   */
  drain(publish = false): Promise<void> {
    if (this.closed) return Promise.resolve();
    if (publish && this.publishes) this.publishAgain = true;
    if (this.draining) {
      this.again = true;
      return this.draining;
    }
    this.draining = (async () => {
      try {
        do {
          this.again = false;
          const cycle = ++this.cyclesStarted;
          if (this.publishAgain) {
            this.publishAgain = false;
            // a full batch may leave more behind; what commits later announces itself
            while (!this.closed && (await publishEvents(this.opts.db, PUBLISH_BATCH)).published === PUBLISH_BATCH) {
              await this.deliver();
            }
          }
          await this.deliver();
          this.settleWaiters(cycle);
        } while (this.again && !this.closed);
      } catch (err) {
        this.opts.onError?.(err);
        // retry soon: the next notification or reconnect would too, but do not wait for one
        this.publishAgain = this.publishes;
        setTimeout(() => this.drain(), 1000).unref();
      } finally {
        this.draining = null;
        // nobody waits past a failure or a close: their events come with the next cycle
        this.settleWaiters(Infinity);
      }
    })();
    return this.draining;
  }

  /**
   * Publishes now and resolves once what had committed before the call is delivered: the next
   * publish-and-deliver cycle that starts after this call has run (however busy the follower stays
   * afterwards). The API waits for it, so its answer means the screens have the change.
   */
  publishNow(): Promise<void> {
    if (this.closed || !this.publishes) return Promise.resolve();
    const done = new Promise<void>((resolve) => this.waiters.push({ cycle: this.cyclesStarted + 1, resolve }));
    void this.drain(true);
    return done;
  }

  private settleWaiters(upTo: number) {
    if (!this.waiters.length) return;
    const still = [];
    for (const w of this.waiters) {
      if (w.cycle <= upTo) w.resolve();
      else still.push(w);
    }
    this.waiters = still;
  }

  /** Delivers every event committed after the last one delivered (a short batch means none is left). */
  private async deliver() {
    const size = this.opts.batchSize ?? 500;
    for (;;) {
      const batch = await listEventsAfter(this.opts.db, { all: true }, this.last, size);
      if (batch.length) {
        await this.opts.onEvents(batch);
        this.last = batch[batch.length - 1].eventId;
      }
      if (batch.length < size || this.closed) return;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.backupTimer) clearTimeout(this.backupTimer);
    await this.draining?.catch(() => {});
    await this.listener.close().catch(() => {});
  }
}
