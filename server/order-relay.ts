import type { Logger } from 'pino';
import { FINAL_STATUSES } from '../src/lib/domain/order-states.ts';
import { orderFor, orderForRooms, roomsByAudience } from '../src/lib/realtime/audiences.ts';
import type { OrderUpdated } from '../src/lib/realtime/contract.ts';
import type { Db } from '../src/lib/server/kernel/db.ts';
import { EventFollower } from '../src/lib/server/events/event-follower.ts';
import { eventBounds, settledEventId } from '../src/lib/server/events/events.ts';
import type { HubServer, HubSocket } from './hub-types.ts';

/** Sockets catching up are in this room: live events reach them through their catch-up buffer. */
const CATCHING_UP = 'catching-up';
/** A screen that falls this far behind while it catches up reloads a snapshot instead. */
const MAX_BUFFERED = 2000;
/** The longest an API answer waits for its change to be relayed. */
const PUBLISH_WAIT_MS = 1000;
/** Open orders whose newest view the hub keeps for the API's moves (the oldest forgotten first). */
const SEEN_MAX = 20_000;
const FINAL = new Set<string>(FINAL_STATUSES);

interface CatchUp {
  buffer: OrderUpdated[];
  overflowed: boolean;
}

export interface OrderRelay {
  readonly follower: EventFollower;
  /** The newest event handed to the rooms: a fresh subscriber gets everything after it. */
  readonly deliveredUpTo: number;
  /**
   * Holds the live events meant for `socket` (in any of its rooms) until `finish` is called with
   * the ids the caller already sent it: a screen replays what it missed without stopping the relay
   * for anyone else, and then gets what came meanwhile, once, in order.
   */
  beginCatchUp(socket: HubSocket): { finish(sent: Set<number>, after: number): { overflowed: boolean } };
  /**
   * Publishes what has committed and relays it to this hub's rooms; resolves once it is on its way
   * to the screens (or after PUBLISH_WAIT_MS at most: an answer never waits long for the relay).
   */
  publishNow(): Promise<void>;
  /** Whether publishNow publishes (the relay is not closed). */
  readonly publishing: boolean;
  /**
   * The newest view of an open order this hub relayed (whole, not an audience's cut), if it has
   * one: the API checks a move against it instead of reading the order (advanceOrder's `seen`).
   */
  seen(orderId: string): OrderUpdated['order'] | undefined;
  close(): Promise<void>;
}

/** The newest view of each open order relayed, the oldest forgotten first past SEEN_MAX. */
function seenOrders() {
  const newest = new Map<string, OrderUpdated['order']>();
  return {
    get: (orderId: string) => newest.get(orderId),
    remember(o: OrderUpdated['order']) {
      newest.delete(o.id);
      if (FINAL.has(o.status)) return;
      newest.set(o.id, o);
      if (newest.size > SEEN_MAX) newest.delete(newest.keys().next().value!);
    },
  };
}

/**
 * Each audience its cut of the order (audiences.ts): rooms that see the same cut get one emit, and
 * each emit skips the rooms already told, so a screen in several rooms gets the change once.
 * Sockets catching up are skipped (`skipCatchingUp`): their buffer has it.
 */
function emitToRooms(io: HubServer, e: OrderUpdated, skipCatchingUp: boolean) {
  const o = e.order;
  const told: string[] = [];
  let last: { view: OrderUpdated['order']; rooms: string[] } | null = null;
  const send = () => {
    if (!last) return;
    let to = io.local.to(last.rooms);
    if (told.length) to = to.except(told);
    if (skipCatchingUp) to = to.except(CATCHING_UP);
    to.emit('order:updated', last.view === o ? e : { ...e, order: last.view });
    told.push(...last.rooms);
  };
  for (const g of roomsByAudience(o)) {
    const view = orderFor(g.audience, o);
    if (last && last.view === view) last.rooms.push(...g.rooms);
    else {
      send();
      last = { view, rooms: [...g.rooms] };
    }
  }
  send();
}

/** What each socket catching up will get, its rooms' cut of the order, until it overflows. */
function bufferForCatchingUp(catchingUp: Map<HubSocket, CatchUp>, e: OrderUpdated) {
  for (const [socket, c] of catchingUp) {
    const view = orderForRooms(e.order, (r) => socket.rooms.has(r));
    if (!view) continue;
    if (c.buffer.length >= MAX_BUFFERED) c.overflowed = true;
    else c.buffer.push(view === e.order ? e : { ...e, order: view });
  }
}

/** A socket starts catching up: live events are held for it until `finish` sends what it did not get. */
function startCatchUp(catchingUp: Map<HubSocket, CatchUp>, socket: HubSocket) {
  const c: CatchUp = { buffer: [], overflowed: false };
  catchingUp.set(socket, c);
  socket.join(CATCHING_UP);
  return {
    finish(sent: Set<number>, after: number) {
      if (catchingUp.get(socket) === c) catchingUp.delete(socket);
      socket.leave(CATCHING_UP);
      if (c.overflowed || !socket.connected) return { overflowed: c.overflowed };
      for (const e of c.buffer) if (e.eventId > after && !sent.has(e.eventId)) socket.emit('order:updated', e);
      return { overflowed: false };
    },
  };
}

const AFFECTS_MENU = new Set(['order.placed', 'order.modified']);
/** Whether an event changed what its shop has free (placed, changed, cancelled). */
const touchesStock = (e: OrderUpdated) => AFFECTS_MENU.has(e.type) || (e.type === 'order.status' && e.order.status === 'cancelled');

/** Events → rooms. Each hub listens to Postgres itself and emits to its own sockets only (`io.local`). */
export async function createOrderRelay(opts: {
  io: HubServer;
  db: Db;
  databaseUrl: string;
  log: Logger;
  onRelayed?: (e: OrderUpdated, lagMs: number) => void;
  /** An order changed what a shop has free (placed, changed, cancelled). */
  onStockTouched?: (shop: number) => void;
  recordLag: (lagMs: number) => void;
}): Promise<OrderRelay> {
  const { io, db, log } = opts;
  const catchingUp = new Map<HubSocket, CatchUp>();
  const seen = seenOrders();
  // from the settled id (every id below it committed: another shop's publish may still hold a lower
  // one than the newest), and never past the newest event (a screen told a later id would reload)
  let deliveredUpTo = Math.min(await settledEventId(db), (await eventBounds(db)).last);
  let closed = false;

  const follower = new EventFollower({
    db,
    databaseUrl: opts.databaseUrl,
    name: 'ocpizza-hub',
    startAfter: deliveredUpTo,
    onError: (err) => log.error({ err }, 'relay error'),
    onConnectionChange: (up) => log.info({ up }, up ? 'relay listening' : 'relay lost its listening connection, reconnecting'),
    onEvents: (events) => {
      for (const e of events) {
        emitToRooms(io, e, catchingUp.size > 0);
        bufferForCatchingUp(catchingUp, e);
        deliveredUpTo = e.eventId;
        seen.remember(e.order);
        const lag = Date.now() - Date.parse(e.at);
        opts.recordLag(lag);
        opts.onRelayed?.(e, lag);
        if (touchesStock(e)) opts.onStockTouched?.(e.order.pizzeriaId);
      }
    },
  });
  await follower.start();

  return {
    follower,
    seen: seen.get,
    get deliveredUpTo() {
      return deliveredUpTo;
    },
    get publishing() {
      return !closed;
    },
    beginCatchUp: (socket) => startCatchUp(catchingUp, socket),
    async publishNow() {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([follower.publishNow(), new Promise<void>((resolve) => (timer = setTimeout(resolve, PUBLISH_WAIT_MS)))]);
      clearTimeout(timer);
    },
    async close() {
      closed = true;
      catchingUp.clear();
      await follower.close();
    },
  };
}
