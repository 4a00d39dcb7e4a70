// The driver's phone shares where it is: a fix kept every 5 s or every 25 m, whichever comes
// first, sent over the live socket; while the network is away the fixes wait on the phone (the
// most recent ones, thinned) and go out in order, once each, when it returns. Plain TypeScript,
// tested alone: the page gives it the socket's send and the clock.
import { distanceM } from '../../domain/geo.ts';
import type { PositionReport } from '../../realtime/contract.ts';

export type SendResult = 'accepted' | 'refused' | 'rate_limited' | 'unreachable';

export interface PositionSharerOptions {
  /** Sends one fix; resolves how the server answered (unreachable: no answer, keep it). */
  send: (p: PositionReport) => Promise<SendResult>;
  now?: () => number;
  everyMs?: number;
  everyM?: number;
  /** Fixes kept while offline; past it the older ones are thinned (every other one dropped). */
  maxWaiting?: number;
  onChange?: () => void;
}

export class PositionSharer {
  private readonly queue: PositionReport[] = [];
  private lastKept: PositionReport | null = null;
  private running: Promise<void> | null = null;
  private online = true;
  private readonly o: Required<Omit<PositionSharerOptions, 'onChange'>> & Pick<PositionSharerOptions, 'onChange'>;
  /** Fixes the server took, and refused (too old, out of order: they will never be taken). */
  sent = 0;
  refused = 0;

  constructor(options: PositionSharerOptions) {
    this.o = { now: () => Date.now(), everyMs: 5000, everyM: 25, maxWaiting: 40, ...options };
  }

  /** Fixes on the phone not yet taken by the server. */
  get waiting(): number {
    return this.queue.length;
  }

  /** A fix from the phone's GPS: kept if 5 s have passed or it moved 25 m since the last one kept. */
  offer(p: PositionReport): boolean {
    const last = this.lastKept;
    if (last && p.at <= last.at) return false;
    if (last && p.at - last.at < this.o.everyMs && distanceM(last, p) < this.o.everyM) return false;
    this.lastKept = p;
    this.queue.push(p);
    if (this.queue.length > this.o.maxWaiting) this.thin();
    this.o.onChange?.();
    void this.flush();
    return true;
  }

  setOnline(online: boolean) {
    this.online = online;
    if (online) void this.flush();
  }

  /** Sends what waits, oldest first, one at a time (each once: a fix leaves the queue only when answered). */
  flush(): Promise<void> {
    if (!this.online) return Promise.resolve();
    this.running ??= this.drain().finally(() => (this.running = null));
    return this.running;
  }

  private async drain(): Promise<void> {
    while (this.queue.length && this.online) {
      const result = await this.o.send(this.queue[0]);
      if (result === 'unreachable') {
        this.online = false;
        break;
      }
      if (result === 'rate_limited') {
        await new Promise((r) => setTimeout(r, 2000));
        continue;
      }
      this.queue.shift();
      if (result === 'accepted') this.sent++;
      else this.refused++;
      this.o.onChange?.();
    }
  }

  /** Halves the older part of the queue, keeping the newest fixes whole (the map needs where the driver is now). */
  private thin() {
    const keepWhole = Math.floor(this.o.maxWaiting / 2);
    const older = this.queue.slice(0, this.queue.length - keepWhole).filter((_, i) => i % 2 === 1);
    this.queue.splice(0, this.queue.length, ...older, ...this.queue.slice(this.queue.length - keepWhole));
  }
}
