import { io, type Socket } from 'socket.io-client';
import type {
  ClientToServerEvents,
  MenuAvailability,
  OrderUpdated,
  OrderView,
  ServerToClientEvents,
  SubscribeRequest,
  SystemStatus,
} from './contract.ts';

export type LiveStatus = 'connecting' | 'live' | 'reconnecting' | 'refused';

export interface LiveOptions {
  subscription: Omit<SubscribeRequest, 'lastEventId'>;
  lastEventId: number;
  trackingToken?: string;
  onEvent?: (e: OrderUpdated) => void;
  onMenu?: (m: MenuAvailability) => void;
  onSystem?: (s: SystemStatus) => void;
  /** The gap was too old to replay: reload the page's snapshot and return its last event id. */
  onResync?: () => Promise<number>;
}

/**
 * One live subscription: connects, subscribes with the last event id it saw, and on every
 * reconnect asks for what it missed. It shows its state so every screen can say whether it is live.
 */
export class LiveConnection {
  status = $state<LiveStatus>('connecting');
  error = $state<string | null>(null);
  lastEventId: number;
  private socket: Socket<ServerToClientEvents, ClientToServerEvents>;

  constructor(private readonly opts: LiveOptions) {
    this.lastEventId = opts.lastEventId;
    this.socket = io({
      transports: ['websocket'],
      auth: opts.trackingToken ? { trackingToken: opts.trackingToken } : {},
      reconnectionDelay: 500,
      reconnectionDelayMax: 5000,
    });
    this.socket.on('connect', () => this.subscribe());
    this.socket.on('disconnect', (reason) => {
      this.status = 'reconnecting';
      // a server that shuts down disconnects us on purpose: come back (to it or another hub)
      if (reason === 'io server disconnect') setTimeout(() => this.socket.connect(), 500 + Math.random() * 1500);
    });
    this.socket.on('connect_error', () => (this.status = 'reconnecting'));
    this.socket.on('order:updated', (e) => {
      if (e.eventId > this.lastEventId) this.lastEventId = e.eventId;
      opts.onEvent?.(e);
    });
    // the server is going away: say so now; the socket reconnects (here or to another server) by itself
    this.socket.on('server:restarting', () => (this.status = 'reconnecting'));
    this.socket.on('menu:availability', (m) => opts.onMenu?.(m));
    this.socket.on('system:status', (st) => opts.onSystem?.(st));
  }

  private subscribe() {
    this.socket.emit('subscribe', { ...this.opts.subscription, lastEventId: this.lastEventId }, async (res) => {
      if ('error' in res) {
        this.status = 'refused';
        this.error = res.error.message;
        return;
      }
      if (res.data.resync && this.opts.onResync) {
        this.lastEventId = Math.max(await this.opts.onResync(), 0);
      } else if (res.data.lastEventId > this.lastEventId) {
        this.lastEventId = res.data.lastEventId;
      }
      this.status = 'live';
      this.error = null;
    });
  }

  close() {
    this.socket.close();
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
