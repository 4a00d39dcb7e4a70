import type { Logger } from 'pino';
import type { RateLimiterMemory } from 'rate-limiter-flexible';
import { orderForRooms } from '../src/lib/realtime/audiences.ts';
import { roomFor, subscribeSchema, type Ack, type RefusalCode, type SubscribeRequest, type SubscribeResult } from '../src/lib/realtime/contract.ts';
import { getMenuAvailability, pizzeriaExists } from '../src/lib/server/shops/catalogue.ts';
import type { Db } from '../src/lib/server/kernel/db.ts';
import { eventBounds, listEventsAfter, type EventFilter } from '../src/lib/server/events/events.ts';
import type { HubSocket } from './hub-types.ts';
import type { OrderRelay } from './order-relay.ts';
import { can, may, runsChain, type Capability } from '../src/lib/domain/permissions.ts';

/**
 * Rooms one socket may be in, beyond its own: what the busiest real screen needs (a head-office
 * manager: hq, shop, kitchen, system, and one menu), with room to spare, and far from a flood.
 */
export const MAX_ROOMS_PER_SOCKET = 8;
/** Replays read from Postgres at once on one server; others wait their turn, the relay never does. */
const MAX_CONCURRENT_REPLAYS = 4;

/** The rooms a subscription opened (not the socket's own, its session's, or the catch-up marker). */
const isScopeRoom = (socket: HubSocket, room: string) => room !== socket.id && !room.startsWith('session:') && room !== 'catching-up';

class Refusal {
  constructor(
    readonly code: RefusalCode,
    readonly message: string,
    /** Past a limit: refuse, then disconnect. */
    readonly disconnect = false,
  ) {}
}

type Grant = { room: string; filter: EventFilter };

/** What each subscription may see, or why not. */
export function authorize(socket: HubSocket, req: SubscribeRequest): Grant | Refusal {
  const user = socket.data.user;
  const deny = (m: string) => new Refusal('forbidden', m);
  const shopOf = (roles: Capability) => {
    if (!user || !may(user.role, roles)) return deny(`this screen needs one of: ${roles.join(', ')}`);
    const shop = req.pizzeriaId ?? user.pizzeriaId;
    if (!shop) return new Refusal('invalid', 'pizzeriaId is required');
    if (!runsChain(user) && user.pizzeriaId !== shop) return deny('not your shop');
    return shop;
  };
  switch (req.scope) {
    case 'kitchen': {
      const shop = shopOf(can.cook);
      return shop instanceof Refusal ? shop : { room: roomFor.kitchen(shop), filter: { pizzeriaId: shop } };
    }
    case 'shop': {
      const shop = shopOf(can.takeOrders);
      return shop instanceof Refusal ? shop : { room: roomFor.shop(shop), filter: { pizzeriaId: shop } };
    }
    case 'hq':
      if (!runsChain(user)) return deny('head office only');
      return { room: roomFor.hq(), filter: { all: true } };
    case 'driver':
      if (!user || !may(user.role, can.drive)) return deny('drivers only');
      return { room: roomFor.driver(user.id), filter: { driverId: user.id } };
    case 'order':
      if (!socket.data.trackedOrderId) return deny('a tracking token is required');
      return { room: roomFor.order(socket.data.trackedOrderId), filter: { orderId: socket.data.trackedOrderId } };
    case 'menu':
      if (!req.pizzeriaId) return new Refusal('invalid', 'pizzeriaId is required');
      return { room: roomFor.menu(req.pizzeriaId), filter: { pizzeriaId: req.pizzeriaId } };
    case 'system':
      if (!may(user?.role, can.runShop)) return deny('managers only');
      return { room: roomFor.system(), filter: { all: true } };
  }
}

/** A counting semaphore: at most `n` holders, the rest wait in order. */
function semaphore(n: number) {
  let free = n;
  const waiting: (() => void)[] = [];
  return async <T>(fn: () => Promise<T>): Promise<T> => {
    if (free > 0) free--;
    else await new Promise<void>((resolve) => waiting.push(resolve));
    try {
      return await fn();
    } finally {
      const next = waiting.shift();
      if (next) next();
      else free++;
    }
  };
}

/**
 * The `subscribe` call: validate, authorize, bound, join, and replay what the screen missed.
 * The replay reads Postgres while the relay goes on: live events for the socket wait in its
 * catch-up buffer (see OrderRelay.beginCatchUp), so no screen ever waits for another's replay.
 */
export function createSubscriptions(deps: SubscriptionDeps) {
  const subscribe = subscriber(deps, replayer(deps));
  return { attach: attacher(deps, subscribe) };
}

type SubscriptionDeps = {
  db: Db;
  log: Logger;
  relay: OrderRelay;
  resumeMaxEvents: number;
  calls: RateLimiterMemory;
};
type Replay = (socket: HubSocket, grant: Grant, lastEventId: number) => Promise<SubscribeResult>;
type Subscribe = (socket: HubSocket, raw: unknown) => Promise<SubscribeResult>;

/** Sends a resuming screen what it missed, a few screens at a time. */
function replayer({ db, relay, resumeMaxEvents }: SubscriptionDeps): Replay {
  const replaySlot = semaphore(MAX_CONCURRENT_REPLAYS);

  return async function replay(socket: HubSocket, grant: Grant, lastEventId: number): Promise<SubscribeResult> {
    const catchUp = relay.beginCatchUp(socket);
    // what this hub relayed before the catch-up began comes from the replay; anything after it
    // comes through the catch-up buffer, then live. An event already in Postgres but not yet
    // relayed here is left to the relay, so it is sent once, not by both.
    const relayedBefore = relay.deliveredUpTo;
    const sent = new Set<number>();
    try {
      const result = await replaySlot(async (): Promise<SubscribeResult> => {
        const bounds = await eventBounds(db);
        // older than what the hot table keeps, or from another database: the screen reloads a snapshot
        if (lastEventId > bounds.last || (bounds.first > 0 && lastEventId < bounds.first - 1)) return { resync: true, lastEventId: bounds.last };
        const missed = (await listEventsAfter(db, grant.filter, lastEventId, resumeMaxEvents + 1)).filter((e) => e.eventId <= relayedBefore);
        if (missed.length > resumeMaxEvents) return { resync: true, lastEventId: bounds.last };
        for (const e of missed) {
          // as the relay would have sent it to this screen (audiences.ts)
          const view = orderForRooms(e.order, (r) => socket.rooms.has(r));
          if (view) socket.emit('order:updated', view === e.order ? e : { ...e, order: view });
          sent.add(e.eventId);
        }
        return { lastEventId: Math.max(lastEventId, missed.at(-1)?.eventId ?? 0, relay.deliveredUpTo) };
      });
      const { overflowed } = catchUp.finish(sent, lastEventId);
      return overflowed ? { resync: true, lastEventId: relay.deliveredUpTo } : result;
    } catch (err) {
      catchUp.finish(sent, 0);
      throw err;
    }
  };
}

/** Validates, authorizes and bounds one subscription, joins its room, and replays what was missed. */
function subscriber({ db, relay }: SubscriptionDeps, replay: Replay): Subscribe {
  return async function subscribe(socket, raw) {
    const parsed = subscribeSchema.safeParse(raw);
    if (!parsed.success) {
      throw new Refusal('invalid', parsed.error.issues.map((i) => `${i.path.join('.') || 'request'}: ${i.message}`).join('; ').slice(0, 300));
    }
    const req = parsed.data;
    const grant = authorize(socket, req);
    if (grant instanceof Refusal) throw grant;
    if (req.scope === 'menu' && !(await pizzeriaExists(db, req.pizzeriaId!))) throw new Refusal('not_found', 'no such pizzeria');

    // a storefront follows one menu at a time: switching shops leaves the previous one
    if (req.scope === 'menu') for (const r of socket.rooms) if (r.startsWith('menu:') && r !== grant.room) socket.leave(r);
    const ownRooms = [...socket.rooms].filter((r) => r !== grant.room && isScopeRoom(socket, r)).length;
    if (ownRooms + 1 > MAX_ROOMS_PER_SOCKET) {
      throw new Refusal('too_many_subscriptions', `at most ${MAX_ROOMS_PER_SOCKET} subscriptions per connection`, true);
    }
    if (!socket.data.scopes.includes(req.scope)) socket.data.scopes.push(req.scope);
    socket.join(grant.room);

    if (req.scope === 'menu') {
      socket.emit('menu:availability', await getMenuAvailability(db, req.pizzeriaId!));
      return { lastEventId: relay.deliveredUpTo };
    }
    if (req.lastEventId === undefined || req.scope === 'system') return { lastEventId: relay.deliveredUpTo };
    return replay(socket, grant, req.lastEventId);
  };
}

/** Wires a socket: one call at a time, each counted; past the limits, a refused ack then a disconnect. */
function attacher({ log, calls }: SubscriptionDeps, subscribe: Subscribe) {
  return function attach(socket: HubSocket, after: { subscribed: (req: { scope: string; pizzeriaId?: number }) => void }) {
    let queue: Promise<unknown> = Promise.resolve();
    let ended = false;
    const refuse = (ack: unknown, r: Refusal) => {
      if (ended) return;
      if (typeof ack === 'function') (ack as (res: Ack<never>) => void)({ error: { code: r.code, message: r.message } });
      // the refusal goes out before the disconnect packet, on the same transport
      if (r.disconnect) {
        ended = true;
        socket.disconnect();
      }
    };
    // every incoming message counts, whatever its name: a flood of unknown events costs as much to parse
    socket.use((packet, next) => {
      if (ended) return;
      calls.consume(socket.id).then(
        () => next(),
        () => refuse(packet.at(-1), new Refusal('rate_limited', 'too many calls on this connection', true)),
      );
    });
    socket.on('subscribe', (raw, ack) => {
      queue = queue.then(async () => {
        if (!socket.connected) return;
        try {
          const data = await subscribe(socket, raw);
          after.subscribed(raw as { scope: string; pizzeriaId?: number });
          if (typeof ack === 'function') ack({ data });
        } catch (err) {
          if (err instanceof Refusal) return refuse(ack, err);
          log.error({ err }, 'subscribe failed');
          refuse(ack, new Refusal('server_error', 'could not subscribe, try again'));
        }
      });
    });
  };
}
