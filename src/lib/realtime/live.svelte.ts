import { io, type Socket } from 'socket.io-client';
import type { Ack, ClientToServerEvents, PositionReport, ServerToClientEvents } from './contract.ts';
import type { DriverPosition, FleetUpdate, KitchenDrivers, LowRatingAlert, LowStockAlert, OrderForecast, PrinterStatus, OrderView, ShopStatus, TrackedDriverPosition, VoucherRefusedAlert } from '../shapes/views.ts';
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
  private readonly socket: Socket<ServerToClientEvents, ClientToServerEvents>;

  constructor(opts: LiveOptions) {
    const socket: Socket<ServerToClientEvents, ClientToServerEvents> = io({
      transports: ['websocket'],
      auth: opts.trackingToken ? { trackingToken: opts.trackingToken } : {},
      reconnectionDelay: 500,
      reconnectionDelayMax: 5000,
    });
    this.socket = socket;
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

  /** A driver's phone shares a fix; null when no answer came (offline: the fix waits on the phone). */
  async sharePosition(p: PositionReport, timeoutMs = 8000): Promise<Ack<{ accepted: true }> | null> {
    if (!this.socket.connected) return null;
    try {
      return await this.socket.timeout(timeoutMs).emitWithAck('driver:position', p);
    } catch {
      return null;
    }
  }

  /** Drivers' positions this page may see (a manager's shop, a tracked order's driver). */
  onPosition(handler: (p: DriverPosition | TrackedDriverPosition) => void): () => void {
    this.socket.on('driver:position', handler);
    return () => void this.socket.off('driver:position', handler);
  }

  /** A shop's low-stock list, whenever it changes (kitchen, shop and head-office screens). */
  onStockLow(handler: (e: LowStockAlert) => void): () => void {
    this.socket.on('stock:low', handler);
    return () => void this.socket.off('stock:low', handler);
  }

  /** A shop's drivers and figures (managers and head office): when subscribing, then as they change. */
  onFleet(handler: (e: FleetUpdate) => void): () => void {
    this.socket.on('fleet:updated', handler);
    return () => void this.socket.off('fleet:updated', handler);
  }

  /** A shop's drivers and when each is expected back (kitchen screens): when subscribing, then as they change. */
  onKitchenDrivers(handler: (e: KitchenDrivers) => void): () => void {
    this.socket.on('kitchen:drivers', handler);
    return () => void this.socket.off('kitchen:drivers', handler);
  }

  /** When the shop's plan expects this order (a tracking page): on subscribing, then as the evening moves. */
  onForecast(handler: (e: OrderForecast) => void): () => void {
    this.socket.on('order:forecast', handler);
    return () => void this.socket.off('order:forecast', handler);
  }

  /** A shop's printer started failing, or works again. */
  onPrinterStatus(handler: (e: PrinterStatus) => void): () => void {
    this.socket.on('printer:status', handler);
    return () => void this.socket.off('printer:status', handler);
  }

  /** A customer rated an order of the shop two stars or fewer (managers and head office). */
  onLowRating(handler: (e: LowRatingAlert) => void): () => void {
    this.socket.on('rating:low', handler);
    return () => void this.socket.off('rating:low', handler);
  }

  /** A titre-restaurant held online was refused by its issuer when the kitchen started (managers and head office). */
  onVoucherRefused(handler: (e: VoucherRefusedAlert) => void): () => void {
    this.socket.on('voucher:refused', handler);
    return () => void this.socket.off('voucher:refused', handler);
  }

  /** A shop's settings changed (online orders paused or resumed, hours). */
  onShopStatus(handler: (e: ShopStatus) => void): () => void {
    this.socket.on('shop:status', handler);
    return () => void this.socket.off('shop:status', handler);
  }

  /** The driver's money changed (their phone): a delivery made, a tip, the shop's pay rule. */
  onDriverMoney(handler: () => void): () => void {
    this.socket.on('driver:money', handler);
    return () => void this.socket.off('driver:money', handler);
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
