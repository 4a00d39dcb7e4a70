// The managers' map and the kitchen's drivers, relayed: each shop's evening (its drivers, plan,
// figures and forecasts) is computed once, by the workers process that owns the evenings
// (workers/evening-owner.ts), kept in Redis and published there when it changes. Every hub hears
// the one channel and hands each shop's state to its own sockets: `fleet:updated` to the shop's
// managers and head office, `kitchen:drivers` (the cut) to its kitchen, `order:forecast` to the
// tracking pages of its orders (when the plan expects one a minute or more earlier or later). A
// screen that subscribes gets the state kept (head office: every shop's), and the hub asks the owner
// for that shop afresh. A hub computes nothing per shop: with head office open on every hub, the
// chain's evenings are read once, not once per hub every 15 s.
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { roomFor } from '../src/lib/realtime/contract.ts';
import type { OrderForecast } from '../src/lib/shapes/views.ts';
import type { Db } from '../src/lib/server/kernel/db.ts';
import { eveningNames, kitchenCut, PENDING_TRUSTED_MS, shopOfMessage, stateOfMessage, type EveningState } from '../src/lib/server/flows/evenings.ts';
import type { HubServer, HubSocket } from './hub-types.ts';

export { kitchenCut };

/** Each order followed here hears when the plan expects it: when that moved by a minute or more, or at once on subscribing (`only`). */
function forecastTeller(io: HubServer) {
  const told = new Map<string, number>();
  return {
    tell(forecasts: readonly OrderForecast[], only?: HubSocket) {
      for (const f of forecasts) {
        if (only ? only.data.trackedOrderId !== f.orderId : !io.sockets.adapter.rooms.has(roomFor.order(f.orderId))) continue;
        const minute = Math.round(Date.parse(f.expectedAt) / 60_000);
        if (!only && told.get(f.orderId) === minute) continue;
        told.set(f.orderId, minute);
        if (only) only.emit('order:forecast', f);
        else io.local.to(roomFor.order(f.orderId)).emit('order:forecast', f);
      }
    },
    forget(orderId: string) {
      told.delete(orderId);
    },
  };
}

/**
 * The hub's subscription to the evenings' channel: a state of a shop watched here is handed to
 * `deliver`, any other is not even parsed. Back after losing Redis, `again` hands over what is kept.
 * (No Redis: a hub alone, in development, relays nothing and its screens show no fleet.)
 */
export function relayEvenings(opts: {
  redis: Redis;
  channel: string;
  watched: (shop: number) => boolean;
  deliver: (state: EveningState) => void;
  warn: (err: unknown, what: string) => void;
  again: () => Promise<void>;
}) {
  const { warn } = opts;
  const sub = opts.redis.duplicate({ lazyConnect: true, enableOfflineQueue: true, maxRetriesPerRequest: null });
  sub.on('error', (err) => warn(err, 'evenings not relayed (Redis)'));
  sub.on('message', (_channel: string, message: string) => {
    const shop = shopOfMessage(message);
    if (!shop || !opts.watched(shop)) return;
    try {
      opts.deliver(stateOfMessage(message));
    } catch (err) {
      warn(err, 'an evening could not be read');
    }
  });
  let ready = false;
  sub.on('ready', () => {
    if (ready) void opts.again().catch((err) => warn(err, 'evenings not read again'));
    ready = true;
  });
  // the subscription waits in the offline queue for the connection: a first connection that closes
  // before it is ready (Redis away as the hub starts) rejects connect(), and the client goes on
  // trying; a subscription made only once connect() resolved was then never made, and this hub
  // relayed no shop's evening until it restarted
  void sub.connect().catch((err) => warn(err, 'evenings not relayed yet (Redis)'));
  void sub.subscribe(opts.channel).catch((err) => warn(err, 'evenings not relayed (Redis)'));
  return sub;
}

export function watchFleet(opts: { io: HubServer; db: Db; redis?: Redis; prefix: string; log: Logger }) {
  const { io, db, redis, log } = opts;
  const names = eveningNames(opts.prefix);
  let closed = false;
  const watchers = (room: string) => io.sockets.adapter.rooms.get(room)?.size ?? 0;
  // the orders followed on a tracking page here, and their shops: the plan tells each when to expect it
  const tracked = new Map<string, number>();
  const tracking = (shop: number) => {
    for (const [id, s] of tracked) {
      if (!io.sockets.adapter.rooms.has(roomFor.order(id))) {
        tracked.delete(id);
        forecasts.forget(id);
      } else if (s === shop) return true;
    }
    return false;
  };
  const managers = (shop: number) => watchers(roomFor.shop(shop)) + watchers(roomFor.hq());
  const forecasts = forecastTeller(io);

  /** A shop's state: to its managers and head office, its kitchen's cut, the forecasts of its orders followed here. */
  function deliver({ shop, fleet, forecasts: f }: EveningState) {
    if (managers(shop)) io.local.to([roomFor.shop(shop), roomFor.hq()]).emit('fleet:updated', fleet);
    if (watchers(roomFor.kitchen(shop))) io.local.to(roomFor.kitchen(shop)).emit('kitchen:drivers', kitchenCut(fleet));
    forecasts.tell(f);
  }

  let warned = 0;
  const warn = (err: unknown, what: string) => {
    if (closed || Date.now() - warned < 60_000) return;
    warned = Date.now();
    log.warn({ err }, what);
  };
  const watchedShop = (shop: number) => !closed && (managers(shop) + watchers(roomFor.kitchen(shop)) > 0 || tracking(shop));
  const sub = redis ? relayEvenings({ redis, channel: names.updates, watched: watchedShop, deliver, warn, again: () => keptOf(null).then((all) => all.forEach(deliverIfWatched)) }) : null;
  const deliverIfWatched = (s: EveningState) => void (watchedShop(s.shop) && deliver(s));

  /** The kept state of a shop (none while a newer one is being computed), or of every shop (null). */
  async function keptOf(shop: number | null): Promise<EveningState[]> {
    if (!redis) return [];
    if (shop !== null) {
      const read = await redis.pipeline().hget(names.states, String(shop)).hget(names.pending, String(shop)).exec();
      const [json, pending] = (read ?? []).map(([err, value]) => (err ? null : (value as string | null)));
      if (pending && Date.now() - Number(pending) < PENDING_TRUSTED_MS) return [];
      return json ? [JSON.parse(json) as EveningState] : [];
    }
    return Object.values(await redis.hgetall(names.states)).map((json) => JSON.parse(json) as EveningState);
  }
  /** Asks the owner for a shop's evening afresh (or for every shop it keeps nothing of yet). */
  const ask = (what: number | 'missing') => void redis?.publish(names.wanted, String(what)).catch((err: unknown) => warn(err, 'evening not asked for (Redis)'));

  return {
    /** A manager's screen just subscribed: it gets its shop's fleet (head office: every shop's) at once; a kitchen screen its cut. */
    async sendTo(socket: HubSocket, shop: number | 'all', kitchen = false) {
      if (closed) return;
      ask(shop === 'all' ? 'missing' : shop);
      for (const { fleet } of await keptOf(shop === 'all' ? null : shop)) {
        if (kitchen) socket.emit('kitchen:drivers', kitchenCut(fleet));
        else socket.emit('fleet:updated', fleet);
      }
    },
    /** A tracking page just subscribed: it hears at once when its order is expected, then as the plan moves. */
    async track(socket: HubSocket, orderId: string) {
      if (closed) return;
      const { rows } = await db.query<{ pizzeria_id: number }>({ name: 'order-shop', text: 'SELECT pizzeria_id FROM orders WHERE id = $1', values: [orderId] });
      if (!rows[0]) return;
      tracked.set(orderId, rows[0].pizzeria_id);
      // the kept plan at once, and the owner asked afresh: a driver who moved since changes it
      ask(rows[0].pizzeria_id);
      const [state] = await keptOf(rows[0].pizzeria_id);
      if (state) forecasts.tell(state.forecasts, socket);
    },
    close() {
      closed = true;
      sub?.disconnect();
    },
  };
}
