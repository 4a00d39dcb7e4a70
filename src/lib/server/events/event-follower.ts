import type { OrderUpdated } from '../../realtime/contract.ts';
import type { Db } from '../kernel/db.ts';
import { inboxHasOlderThan, listSettledEventsAfter, publishEvents } from './events.ts';
import { createPgListener, type PgListener } from './pg-listener.ts';

const EVENTS_CHANNEL = 'order_events';
const INBOX_CHANNEL = 'order_event_inbox';
const PUBLISH_BATCH = 1000;
export const PUBLISH_BACKUP_DELAY_MS = 250;
/**
 * How often a backup publisher looks for events nobody announced nor published (their writer, the
 * API, publishes them itself after the commit, unless its process stopped in between).
 */
export const PUBLISH_SWEEP_MS = 1000;
const RECENTLY_PUBLISHED_MAX = 10_000;

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
   * when no hub runs, at the cost of one cheap empty publish when one does; and every
   * PUBLISH_SWEEP_MS, what has waited in the inbox that long), or false.
   */
  publish?: 'now' | 'backup' | false;
  /**
   * A follower in no hurry (the workers) gathers what publishes announce for up to this long and
   * reads it in one go: in a rush every move's publish announces itself, and a read for each
   * (a round trip, a wake-up of this process and of Postgres) was most of the workers' reading.
   */
  gatherMs?: number;
  /**
   * Reads the next events itself (at most `limit`), from places of its own (the reactor: a place per
   * partition, event-reactor.ts), instead of every shop's events after the last one delivered. Every
   * announcement is then read (an event of another partition may come below the last id delivered),
   * and what a publish here gave is read, not handed on.
   */
  read?: (limit: number) => Promise<OrderUpdated[]>;
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
  private readAgain = false;
  /** Inbox rows this follower published lately (their notifications need no publish). */
  private recentlyPublished = new Set<number>();
  private closed = false;
  private readonly publishes: boolean;
  private backupTimer: NodeJS.Timeout | null = null;
  private gatherTimer: NodeJS.Timeout | null = null;
  private sweepTimer: NodeJS.Timeout | null = null;
  /** The newest event id a publish announced (here or by another process). */
  private heard = 0;
  private cyclesStarted = 0;
  private waiters: { cycle: number; resolve: () => void }[] = [];
  connected = false;

  constructor(private readonly opts: FollowerOptions) {
    this.last = opts.startAfter;
    const mode = opts.publish ?? 'now';
    this.publishes = mode !== false;
    this.listener = createPgListener(opts.databaseUrl, opts.name);
    this.listener.events.on('notification', (n: { channel?: string; payload?: unknown }) => {
      if (n?.channel !== INBOX_CHANNEL) {
        // a publish (here or by another process) says the newest id it gave: read only if it is news
        // (this follower's own publish announces itself too, often before its result comes back:
        // the cycle under way delivers it, and reads only if it did not)
        const newest = Number(n?.payload);
        if (!Number.isFinite(newest)) return void this.drain({ read: true });
        if (opts.read) this.readAgain = true;
        else if (newest <= this.last) return;
        this.heard = Math.max(this.heard, newest);
        if (opts.gatherMs) {
          this.gatherTimer ??= setTimeout(() => {
            this.gatherTimer = null;
            void this.drain({});
          }, opts.gatherMs);
          return;
        }
        void this.drain({});
        return;
      }
      // this follower published that row already (the API asked it to, before answering)
      if (this.recentlyPublished.has(Number(n?.payload))) return;
      if (mode === 'now') return void this.drain({ publish: true });
      // a backup publisher: once, a moment later, whatever no hub published by then
      this.backupTimer ??= setTimeout(() => {
        this.backupTimer = null;
        void this.drain({ publish: true });
      }, PUBLISH_BACKUP_DELAY_MS);
    });
    this.listener.events.on('connected', () => {
      this.connected = true;
      opts.onConnectionChange?.(true);
      void this.drain({ publish: true, read: true });
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
    if (this.opts.publish === 'backup') {
      this.sweepTimer = setInterval(() => void this.sweep(), PUBLISH_SWEEP_MS);
      this.sweepTimer.unref();
    }
    // events committed between startAfter and LISTEN taking effect
    await this.drain({ publish: true, read: true });
  }

  /**
   * Publishes (when asked and this follower publishes) and delivers what it published; reads and
   * delivers everything after the last delivered event when asked, or when what was published does
   * not follow on from it (another process published in between). Concurrent calls coalesce.
   */
  drain(what: { publish?: boolean; read?: boolean }): Promise<void> {
    if (this.closed) return Promise.resolve();
    if (what.publish && this.publishes) this.publishAgain = true;
    if (what.read || (what.publish && !this.publishes)) this.readAgain = true;
    if (this.draining) {
      this.again = true;
      return this.draining;
    }
    this.draining = (async () => {
      // a cycle with nothing to do would otherwise run to its end (the `finally` below clearing
      // `draining`) before `draining` is even set, and leave it set for good: no cycle would ever
      // run again (a gathering follower's timer that fires after its events came by another cycle)
      await null;
      try {
        do {
          this.again = false;
          const cycle = ++this.cyclesStarted;
          let read = this.readAgain;
          this.readAgain = false;
          if (this.publishAgain) {
            this.publishAgain = false;
            for (;;) {
              const { events: published, inboxSeqs } = await publishEvents(this.opts.db, PUBLISH_BATCH);
              for (const seq of inboxSeqs) this.remember(seq);
              // handed on as published only when its ids follow on from the last one delivered with
              // no hole: a hole may be an id of another partition's publish still under way
              if (published.length && !this.opts.read && published.every((e, i) => e.eventId === this.last + 1 + i)) await this.hand(published);
              else if (published.length) read = true;
              // a full batch may leave more behind; what commits later announces itself
              if (published.length < PUBLISH_BATCH || this.closed) break;
            }
          }
          // an announced event this cycle did not deliver
          if (this.heard > this.last || this.readAgain) read = true;
          this.readAgain = false;
          if (read) await this.deliver();
          this.settleWaiters(cycle);
        } while (this.again && !this.closed);
      } catch (err) {
        this.opts.onError?.(err);
        // retry soon: the next notification or reconnect would too, but do not wait for one
        setTimeout(() => void this.drain({ publish: true, read: true }), 1000).unref();
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
    void this.drain({ publish: true });
    return done;
  }

  private async sweep() {
    if (this.closed || this.draining) return;
    try {
      if (await inboxHasOlderThan(this.opts.db, PUBLISH_SWEEP_MS)) await this.drain({ publish: true });
    } catch (err) {
      this.opts.onError?.(err);
    }
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

  private remember(seq: number) {
    this.recentlyPublished.add(seq);
    if (this.recentlyPublished.size > RECENTLY_PUBLISHED_MAX) {
      this.recentlyPublished.delete(this.recentlyPublished.values().next().value!);
    }
  }

  /** Hands a batch (in id order, following on from the last one delivered) to the follower's user. */
  private async hand(batch: OrderUpdated[]) {
    await this.opts.onEvents(batch);
    this.last = Math.max(this.last, batch[batch.length - 1].eventId);
  }

  /**
   * Delivers every event committed after the last one delivered, up to the settled id (events.ts),
   * or what `read` gives; a short batch means none is left.
   */
  private async deliver() {
    const size = this.opts.batchSize ?? 500;
    for (;;) {
      const batch = this.opts.read ? await this.opts.read(size) : await listSettledEventsAfter(this.opts.db, this.last, size);
      if (batch.length) await this.hand(batch);
      if (batch.length < size || this.closed) return;
    }
  }

  /** Resolves once the cycles under way (and those they chain) are done. */
  async idle(): Promise<void> {
    while (this.draining) await this.draining.catch(() => undefined);
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.backupTimer) clearTimeout(this.backupTimer);
    if (this.gatherTimer) clearTimeout(this.gatherTimer);
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    await this.draining?.catch(() => {});
    await this.listener.close().catch(() => {});
  }
}
