import type { Server as HttpServer } from 'node:http';
import { Server } from 'socket.io';
import { createAdapter } from '@socket.io/redis-streams-adapter';
import { closeStreamsClient, createStreamsClient } from '../src/lib/server/kernel/redis-options.ts';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { OrderUpdated } from '../src/lib/realtime/contract.ts';
import { SESSION_COOKIE, readCookie, tokenId, userForSession } from '../src/lib/server/staff/auth.ts';
import type { Config } from '../src/lib/server/kernel/config.ts';
import type { Db } from '../src/lib/server/kernel/db.ts';
import { getOrderIdByToken } from '../src/lib/server/orders/index.ts';
import type { HubServer } from './hub-types.ts';
import { createPositionStore, type PositionStore } from '../src/lib/server/road/positions.ts';
import { createDriverPositions } from './driver-positions.ts';
import { createPositionChannels } from './position-channels.ts';
import { createOrderRelay } from './order-relay.ts';
import { watchStock } from './stock-watch.ts';
import { watchFleet } from './fleet-watch.ts';
import { sessionRoom, watchSessions } from './session-watch.ts';
import { createCallLimiter, createHandshakeGuard } from './socket-guards.ts';
import { createSubscriptions } from './subscriptions.ts';
import { createLagWindow, createSystemStatus, type SystemInfo } from './system-status.ts';
import { createLiveMenus } from './live-menus.ts';

export type { HubServer } from './hub-types.ts';

export interface HubOptions {
  db: Db;
  config: Config;
  log: Logger;
  /** Where connection rates are counted across servers; this server alone counts without it. */
  redis?: Redis;
  /** Called after each relayed event with the commit-to-emit lag in ms (for metrics and benchmarks). */
  onRelayed?: (e: OrderUpdated, lagMs: number) => void;
  /** Queue, backup and maintenance state for the operations page (screens and relay come from the hub). */
  systemInfo?: SystemInfo;
  systemIntervalMs?: number;
  /**
   * Share what does not come from Postgres (the screens of the system page; positions, see
   * position-channels.ts) with the other hubs through Redis (default). Order events never take
   * that path: each hub relays them from Postgres to its own sockets.
   */
  crossHub?: boolean;
  /** Where drivers' positions are kept (Redis); without it the hub refuses them. */
  positions?: PositionStore;
}

/**
 * The Socket.io hub, in four parts: the handshake guard (origin, per-address limits, who is
 * calling), the order relay (events → rooms; it never decides anything), subscriptions (authorize,
 * bound, replay) and the operations page's status. A session that ends closes its sockets.
 */
export async function createHub(httpServer: HttpServer, opts: HubOptions) {
  const { db, log, config } = opts;
  const { io, guard, streams } = createIo(httpServer, opts);
  const positionStore = opts.positions ?? (opts.redis ? createPositionStore(opts.redis, config.QUEUE_PREFIX) : null);
  // positions reach only the hubs whose sockets watch them (sharded pub/sub), or every hub (POSITIONS_TO_HUBS=all)
  const channels = createPositionChannels({ io, redis: opts.redis, prefix: config.QUEUE_PREFIX, mode: streams ? config.POSITIONS_TO_HUBS : 'local', log });
  const positions = createDriverPositions({ db, redis: opts.redis, store: positionStore, channels, config, log });
  io.engine.on('connection', (raw: { request: import('node:http').IncomingMessage; once(e: 'close', f: () => void): void }) => {
    guard.track(raw.request, (release) => raw.once('close', release));
  });

  io.use(identify(db, log));

  // the parts in the order they depend on each other: menus, stock, the relay (which tells both
  // when an order touched a shop's stock), then the operations page's view of the relay
  const menus = createLiveMenus({ io, db, log });
  const stock = await watchStock({ io, db, databaseUrl: config.DATABASE_URL, log, refreshMenu: menus.stockChanged });
  const lags = createLagWindow();
  // each shop's evening comes computed from the workers (one owner): this hub relays it
  const fleet = watchFleet({ io, db, redis: opts.redis, prefix: config.QUEUE_PREFIX, log });
  const relay = await createOrderRelay({
    io,
    db,
    databaseUrl: config.DATABASE_URL,
    log,
    onRelayed: (e, lagMs) => {
      positions.orderChanged(e);
      opts.onRelayed?.(e, lagMs);
    },
    onStockTouched: (shop) => {
      menus.stockChanged(shop);
      stock.touched(shop);
    },
    recordLag: lags.record,
  });
  const system = createSystemStatus({
    io,
    log,
    systemInfo: opts.systemInfo,
    intervalMs: opts.systemIntervalMs,
    lags,
    relay: () => ({ listening: relay.follower.connected, lastEventId: relay.deliveredUpTo }),
  });
  const sessions = await watchSessions({ io, db, databaseUrl: config.DATABASE_URL, log });
  const subscriptions = createSubscriptions({
    db,
    log,
    relay,
    resumeMaxEvents: config.RESUME_MAX_EVENTS,
    calls: createCallLimiter(config),
  });

  io.on('connection', (socket) => {
    if (socket.data.sessionId) socket.join(sessionRoom(socket.data.sessionId));
    positions.attach(socket);
    subscriptions.attach(socket, {
      subscribed: (req) => {
        if (req.scope === 'system') void system.push([socket]).catch(() => {});
        const shop = req.scope === 'hq' ? 'all' : req.scope === 'shop' || req.scope === 'kitchen' ? (req.pizzeriaId ?? socket.data.user?.pizzeriaId) : null;
        if (shop) void fleet.sendTo(socket, shop, req.scope === 'kitchen').catch((err) => log.warn({ err }, 'fleet snapshot failed'));
        if (req.scope === 'order' && socket.data.trackedOrderId) void fleet.track(socket, socket.data.trackedOrderId).catch((err) => log.warn({ err }, 'forecast failed'));
      },
    });
  });

  return {
    io,
    relay,
    relayListening: () => relay.follower.connected,
    /** Drivers' positions this hub read from Redis for its sockets, and what it published (for the metrics). */
    positionCounts: channels.counts,
    /** A driver changed an order through this process's API: what this hub kept of them is read again. */
    driverWrote: (driverId: number) => positions.forgetDriver(driverId),
    /** Tells every screen to reconnect (elsewhere, or here after the restart), then stops relaying. */
    async close() {
      system.stop();
      fleet.close();
      menus.close();
      await sayRestarting(io);
      // closing the transports (rather than disconnecting sockets) makes clients reconnect by themselves
      await new Promise<void>((resolve) => io.close(() => resolve()));
      await Promise.all([relay.close(), sessions.close(), stock.close(), channels.close(), positions.close()]);
      if (streams) await closeStreamsClient(streams);
    },
  };
}

/** The Socket.io server behind the handshake guard, sharing rooms with the other hubs through Redis streams. */
function createIo(httpServer: HttpServer, opts: HubOptions) {
  const { log, config } = opts;
  const guard = createHandshakeGuard(config, opts.redis);
  const io: HubServer = new Server(httpServer, {
    serveClient: false,
    maxHttpBufferSize: 16_384,
    pingInterval: 10_000,
    pingTimeout: 8_000,
    allowRequest: (req, callback) => guard.allowRequest(req, callback),
  });
  // the Redis streams adapter (node-redis, or ioredis behind Sentinel): broadcasts to rooms and fetchSockets() reach every hub
  const streams = opts.crossHub === false ? null : createStreamsClient(config);
  if (streams) {
    let lastWarning = 0;
    streams.on('error', (err: Error) => {
      if (Date.now() - lastWarning < 60_000) return;
      lastWarning = Date.now();
      log.warn({ err: err.message }, 'hub-to-hub stream unreachable (Redis)');
    });
    // not awaited: without Redis this hub still serves its own sockets, and joins the others once Redis answers
    streams.connect().catch((err: Error) => log.warn({ err: err.message }, 'redis not reachable yet: hubs will share once it is'));
    io.adapter(createAdapter(streams, { streamName: `${config.QUEUE_PREFIX}:hub`, blockTimeInMs: 2000, heartbeatInterval: 3000, heartbeatTimeout: 8000 }));
  }
  return { io, guard, streams };
}

/** Who a socket is: a member of staff by their session cookie, a customer by their tracking token, or a visitor. */
function identify(db: Db, log: Logger): Parameters<HubServer['use']>[0] {
  return async (socket, next) => {
    try {
      socket.data.user = null;
      socket.data.trackedOrderId = null;
      socket.data.sessionId = null;
      socket.data.connectedAt = new Date().toISOString();
      socket.data.scopes = [];
      const token = readCookie(socket.handshake.headers.cookie, SESSION_COOKIE);
      const user = await userForSession(db, token);
      if (user) {
        socket.data.user = { id: user.id, role: user.role, pizzeriaId: user.pizzeriaId, name: user.name };
        socket.data.sessionId = tokenId(token!);
      }
      const tracking = socket.handshake.auth?.trackingToken;
      if (typeof tracking === 'string') {
        const orderId = await getOrderIdByToken(db, tracking);
        if (!orderId) return next(new Error('unknown tracking token'));
        socket.data.trackedOrderId = orderId;
      }
      next();
    } catch (err) {
      log.error({ err }, 'socket authentication failed');
      next(new Error('server error'));
    }
  };
}

/**
 * Tells every screen of this hub that the server restarts (they reconnect, elsewhere or here after
 * the restart). A transport still busy with an earlier packet keeps the notice in its buffer, which
 * closing the engine discards: each gets a moment (at most 1 s) to hand it over.
 */
async function sayRestarting(io: HubServer) {
  io.local.emit('server:restarting');
  const busy = [...io.of('/').sockets.values()]
    .map((s) => s.conn as unknown as { writeBuffer: unknown[]; once(e: 'drain', f: () => void): void })
    .filter((conn) => conn.writeBuffer.length > 0)
    .map((conn) => new Promise<void>((resolve) => conn.once('drain', resolve)));
  if (!busy.length) return;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([Promise.all(busy), new Promise<void>((resolve) => (timer = setTimeout(resolve, 1000)))]);
  clearTimeout(timer);
}
