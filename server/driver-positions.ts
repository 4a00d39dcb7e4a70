import type { Logger } from 'pino';
import { RateLimiterMemory, RateLimiterRedis, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { Redis } from 'ioredis';
import { positionSchema, type Ack } from '../src/lib/realtime/contract.ts';
import type { Config } from '../src/lib/server/kernel/config.ts';
import type { Db } from '../src/lib/server/kernel/db.ts';
import { DriverStates, PRESENCE_REFRESH_MS, PositionRefused, type PositionStore } from '../src/lib/server/road/positions.ts';
import { createPgListener } from '../src/lib/server/events/pg-listener.ts';
import type { OrderUpdated } from '../src/lib/realtime/contract.ts';
import type { HubSocket } from './hub-types.ts';
import type { createPositionChannels } from './position-channels.ts';
import { can, may } from '../src/lib/domain/permissions.ts';

/**
 * `driver:position` from a driver's phone: checked (shape, ranges, clock, order, shift, rate per
 * driver), kept (Redis, the trail), then sent to the hubs that watch it (position-channels.ts): the
 * managers of the driver's shop, and the tracking page of each order the driver carries now.
 * It also vouches, in Redis, for each driver's socket connected here: dispatch offers deliveries
 * only to a driver whose phone is connected (to any hub), and the manager sees who is not.
 * What it knows of each driver (on shift, their shop, what they carry) is kept between two
 * positions (DriverStates), forgotten on each order event naming the driver (`orderChanged`, from
 * the relay) and each change of a shop's drivers (`shop_evening`, heard on the hub's listening connection).
 */
export function createDriverPositions(deps: {
  db: Db;
  redis?: Redis;
  store: PositionStore | null;
  channels: ReturnType<typeof createPositionChannels>;
  config: Config;
  log: Logger;
}) {
  const { db, store, log, channels } = deps;
  const states = new DriverStates();
  const changes = store ? watchDriverChanges(states, deps.config.DATABASE_URL, log) : null;
  const memory = new RateLimiterMemory({ keyPrefix: 'positions', points: deps.config.POSITIONS_PER_10S, duration: 10 });
  // per driver, counted across hubs (a phone that reconnects elsewhere keeps its count)
  const perDriver: RateLimiterAbstract = deps.redis
    ? new RateLimiterRedis({ storeClient: deps.redis, keyPrefix: `${deps.config.QUEUE_PREFIX}:rl:positions`, points: deps.config.POSITIONS_PER_10S, duration: 10, insuranceLimiter: memory })
    : memory;

  type Reply = (res: Ack<{ accepted: true }>) => void;
  const refuse = (ack: unknown, code: string, message: string) => {
    if (typeof ack === 'function') (ack as Reply)({ error: { code, message } });
  };

  async function handle(socket: HubSocket, raw: unknown, ack: unknown) {
    const user = socket.data.user;
    if (!user || !may(user.role, can.drive)) return refuse(ack, 'forbidden', 'only drivers share positions');
    const parsed = positionSchema.safeParse(raw);
    if (!parsed.success) {
      return refuse(ack, 'invalid', parsed.error.issues.map((i) => `${i.path.join('.') || 'position'}: ${i.message}`).join('; ').slice(0, 300));
    }
    try {
      await perDriver.consume(String(user.id));
    } catch (err) {
      if (err instanceof Error) log.warn({ err }, 'position limiter failed');
      return refuse(ack, 'rate_limited', 'too many positions: one every few seconds is enough');
    }
    if (!store) return refuse(ack, 'server_error', 'positions are not kept on this server');
    try {
      const position = await store.record(db, user.id, parsed.data, Date.now(), states);
      await channels.send(position);
      if (typeof ack === 'function') (ack as Reply)({ data: { accepted: true } });
    } catch (err) {
      if (err instanceof PositionRefused) return refuse(ack, err.code, err.message);
      log.error({ err }, 'position not kept');
      refuse(ack, 'server_error', 'the position could not be kept, it will be sent again');
    }
  }

  // the drivers' sockets of this hub, refreshed in Redis before their presence lapses
  const local = new Map<string, number>();
  const vouch = (driverId: number, socketIds: string[]) =>
    store?.markConnected(driverId, socketIds).catch((err: Error) => log.warn({ err: err.message }, 'driver presence not kept (Redis)'));
  const refresher = setInterval(() => {
    const byDriver = new Map<number, string[]>();
    for (const [socketId, driverId] of local) byDriver.set(driverId, [...(byDriver.get(driverId) ?? []), socketId]);
    // every phone of this hub in one round trip (750 phones: one write, where it was 750 every 15 s)
    store?.markAllConnected(byDriver).catch((err: Error) => log.warn({ err: err.message }, 'drivers presence not kept (Redis)'));
  }, PRESENCE_REFRESH_MS);
  refresher.unref();

  return {
    attach(socket: HubSocket) {
      socket.on('driver:position', (raw, ack) => void handle(socket, raw, ack));
      const user = socket.data.user;
      if (user && may(user.role, can.drive) && store) {
        local.set(socket.id, user.id);
        void vouch(user.id, [socket.id]);
        socket.on('disconnect', () => {
          local.delete(socket.id);
          store.markDisconnected(user.id, socket.id).catch(() => {});
        });
      }
    },
    /** The driver changed something through this process's API (a pick-up, a delivery): not waiting for its event. */
    forgetDriver(driverId: number) {
      states.forgetDriver(driverId);
    },
    /** An order event: what its drivers (the one it names, the one it was taken from, the one offered it) carry may have changed. */
    orderChanged(e: OrderUpdated) {
      for (const id of [e.order.driver?.id, e.order.releasedDriverId, e.order.offer?.driverId]) if (id) states.forgetDriver(id);
    },
    async close() {
      clearInterval(refresher);
      await changes?.close();
    },
  };
}

/**
 * Hears `shop_evening` (a shop's drivers changed: a shift, a lending, an account made inactive) on
 * the hub's listening connection, and has `states` forget those shops' drivers; nothing is kept while the
 * notices cannot be heard (before the first LISTEN, and while the connection is away).
 */
function watchDriverChanges(states: DriverStates, databaseUrl: string, log: Logger) {
  let started = false;
  const listener = createPgListener(databaseUrl, 'ocpizza-hub');
  listener.events.on('notification', (n: { payload?: unknown }) => {
    states.forgetShops(new Set(String(n.payload).split(',').map(Number).filter((shop) => Number.isInteger(shop) && shop > 0)));
  });
  // notices missed while the connection was away: nothing kept is trusted, and nothing kept until it is back
  listener.events.on('reconnect', () => void (states.listening = false));
  listener.events.on('connected', () => void (states.listening = started));
  listener.events.on('error', (err: unknown) => {
    states.listening = false;
    log.warn({ err }, 'drivers listener error');
  });
  const listening = listener
    .connect()
    .then(() => listener.listenTo('shop_evening'))
    .then(() => {
      started = true;
      states.listening = true;
    })
    .catch((err: unknown) => log.warn({ err }, 'drivers listener not started: their states are read at each position'));
  return {
    listening,
    async close() {
      states.listening = false;
      await listening;
      await listener.close().catch(() => {});
    },
  };
}
