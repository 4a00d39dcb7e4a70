import { io } from 'socket.io-client';
import type { OrderView } from './contract.ts';
import { LiveLink, type LiveOptions, type LiveStatus } from './live-link.ts';

export type { LiveOptions, LiveStatus } from './live-link.ts';

/**
 * One live subscription for a page: a LiveLink (live-link.ts) on a real socket, with its state
 * reactive so every screen can say whether it is live.
 */
export class LiveConnection {
  status = $state<LiveStatus>('connecting');
  error = $state<string | null>(null);
  private readonly link: LiveLink;

  constructor(opts: LiveOptions) {
    const socket = io({
      transports: ['websocket'],
      auth: opts.trackingToken ? { trackingToken: opts.trackingToken } : {},
      reconnectionDelay: 500,
      reconnectionDelayMax: 5000,
    });
    this.link = new LiveLink(socket, {
      ...opts,
      onStatus: (status, error) => {
        this.status = status;
        this.error = error;
      },
    });
  }

  get lastEventId(): number {
    return this.link.lastEventId;
  }

  close() {
    this.link.close();
  }
}

/** Orders by id, applying each snapshot only if it is newer than the one held (events may repeat). */
export class OrderBoard {
  orders = $state<Record<string, OrderView>>({});

  constructor(initial: OrderView[]) {
    this.reset(initial);
  }

  reset(list: OrderView[]) {
    const next: Record<string, OrderView> = {};
    for (const o of list) next[o.id] = o;
    this.orders = next;
  }

  /** Returns true when the order was new to this board. */
  apply(order: OrderView): boolean {
    const current = this.orders[order.id];
    if (current && current.version >= order.version) return false;
    this.orders[order.id] = order;
    return !current;
  }

  get list(): OrderView[] {
    return Object.values(this.orders);
  }
}
