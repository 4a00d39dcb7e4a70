// A screen's live subscription, in plain TypeScript: the socket is given, so the pages use a real
// socket.io client and tests a fake one (or a real one) with the same code.
import type { Socket } from 'socket.io-client';
import type { ClientToServerEvents, OrderUpdated, ServerToClientEvents, SubscribeRequest } from './contract.ts';
import type { MenuAvailability, SystemStatus } from '../shapes/views.ts';

export type LiveStatus = 'connecting' | 'live' | 'reconnecting' | 'refused';

/** What the link needs of a socket.io client socket. */
export type LiveSocket = Pick<Socket<ServerToClientEvents, ClientToServerEvents>, 'on' | 'emit' | 'connect' | 'close'>;

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

export interface LiveLinkOptions extends LiveOptions {
  /** Told of every change of status, for a screen to show whether it is live. */
  onStatus?: (status: LiveStatus, error: string | null) => void;
  /** Wait before coming back after a server that shuts down disconnected us on purpose. */
  comebackDelayMs?: () => number;
  setTimer?: (fn: () => void, ms: number) => unknown;
}

/**
 * Connects, subscribes with the last event id it saw, and on every reconnect asks for what it
 * missed; when the gap is too old to replay, reloads the snapshot through onResync.
 */
export class LiveLink {
  status: LiveStatus = 'connecting';
  error: string | null = null;
  lastEventId: number;
  private closed = false;

  constructor(
    private readonly socket: LiveSocket,
    private readonly opts: LiveLinkOptions,
  ) {
    this.lastEventId = opts.lastEventId;
    const later = opts.setTimer ?? ((fn, ms) => setTimeout(fn, ms));
    const comeback = opts.comebackDelayMs ?? (() => 500 + Math.random() * 1500);
    socket.on('connect', () => this.subscribe());
    socket.on('disconnect', (reason) => {
      this.set('reconnecting');
      // a server that shuts down disconnects us on purpose: come back (to it or another hub)
      if (reason === 'io server disconnect') later(() => !this.closed && this.socket.connect(), comeback());
    });
    socket.on('connect_error', () => this.set('reconnecting'));
    socket.on('order:updated', (e) => {
      if (e.eventId > this.lastEventId) this.lastEventId = e.eventId;
      opts.onEvent?.(e);
    });
    // the server is going away: say so now; the socket reconnects (here or to another server) by itself
    socket.on('server:restarting', () => this.set('reconnecting'));
    socket.on('menu:availability', (m) => opts.onMenu?.(m));
    socket.on('system:status', (st) => opts.onSystem?.(st));
  }

  private subscribe() {
    this.socket.emit('subscribe', { ...this.opts.subscription, lastEventId: this.lastEventId }, async (res) => {
      if ('error' in res) {
        this.set('refused', res.error.message);
        return;
      }
      if (res.data.resync && this.opts.onResync) {
        this.lastEventId = Math.max(await this.opts.onResync(), 0);
      } else if (res.data.lastEventId > this.lastEventId) {
        this.lastEventId = res.data.lastEventId;
      }
      this.set('live');
    });
  }

  private set(status: LiveStatus, error: string | null = null) {
    this.status = status;
    this.error = error;
    this.opts.onStatus?.(status, error);
  }

  close() {
    this.closed = true;
    this.socket.close();
  }
}
