import type { Server as HttpServer } from 'node:http';
import { Server, type Socket } from 'socket.io';
import { z } from 'zod';
import type { Logger } from 'pino';
import {
  roomFor,
  type ClientToServerEvents,
  type OrderUpdated,
  type ServerToClientEvents,
  type SocketData,
  type SubscribeResult,
  type SystemStatus,
} from '../src/lib/realtime/contract.ts';
import { SESSION_COOKIE, readCookie, userForSession } from '../src/lib/server/auth.ts';
import { getMenuAvailability } from '../src/lib/server/catalogue.ts';
import type { Db } from '../src/lib/server/db.ts';
import { AppError } from '../src/lib/server/errors.ts';
import { EventFollower } from '../src/lib/server/event-follower.ts';
import { eventBounds, listEventsAfter, type EventFilter } from '../src/lib/server/events.ts';
import { getOrderIdByToken } from '../src/lib/server/orders.ts';

export type HubServer = Server<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;
type HubSocket = Socket<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;

const subscribeSchema = z.strictObject({
  scope: z.enum(['kitchen', 'shop', 'hq', 'driver', 'order', 'menu', 'system']),
  pizzeriaId: z.number().int().positive().optional(),
  lastEventId: z.number().int().min(0).optional(),
});

export interface HubOptions {
  db: Db;
  databaseUrl: string;
  log: Logger;
  resumeMaxEvents: number;
  /** Called after each relayed event with the commit-to-emit lag in ms (for metrics and benchmarks). */
  onRelayed?: (e: OrderUpdated, lagMs: number) => void;
  /** Queue, backup and maintenance state for the operations page (screens and relay come from the hub). */
  systemInfo?: () => Promise<Pick<SystemStatus, 'queues' | 'backup' | 'maintenance'>>;
  systemIntervalMs?: number;
}

/** The Socket.io hub: relays order events from Postgres to rooms; it never decides anything. */
export async function createHub(httpServer: HttpServer, opts: HubOptions) {
  const { db, log } = opts;
  const io: HubServer = new Server(httpServer, {
    serveClient: false,
    maxHttpBufferSize: 16_384,
    pingInterval: 10_000,
    pingTimeout: 8_000,
  });

  io.use(async (socket, next) => {
    try {
      socket.data.user = null;
      socket.data.trackedOrderId = null;
      socket.data.connectedAt = new Date().toISOString();
      socket.data.scopes = [];
      const token = readCookie(socket.handshake.headers.cookie, SESSION_COOKIE);
      const user = await userForSession(db, token);
      if (user) socket.data.user = { id: user.id, role: user.role, pizzeriaId: user.pizzeriaId, name: user.name };
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
  });

  // what each subscription may see, or why not
  function authorize(socket: HubSocket, req: z.infer<typeof subscribeSchema>): { room: string; filter: EventFilter } | AppError {
    const user = socket.data.user;
    const deny = (m: string) => new AppError(403, 'forbidden', m);
    const shopOf = (roles: string[]) => {
      if (!user || !roles.includes(user.role)) return deny(`this screen needs one of: ${roles.join(', ')}`);
      const shop = req.pizzeriaId ?? user.pizzeriaId;
      if (!shop) return new AppError(422, 'invalid', 'pizzeriaId is required');
      if (user.role !== 'admin' && user.pizzeriaId !== shop) return deny('not your shop');
      return shop;
    };
    switch (req.scope) {
      case 'kitchen': {
        const shop = shopOf(['kitchen', 'manager', 'admin']);
        return shop instanceof AppError ? shop : { room: roomFor.kitchen(shop), filter: { pizzeriaId: shop } };
      }
      case 'shop': {
        const shop = shopOf(['manager', 'admin', 'counter']);
        return shop instanceof AppError ? shop : { room: roomFor.shop(shop), filter: { pizzeriaId: shop } };
      }
      case 'hq':
        if (user?.role !== 'admin') return deny('head office only');
        return { room: roomFor.hq(), filter: { all: true } };
      case 'driver':
        if (user?.role !== 'driver') return deny('drivers only');
        return { room: roomFor.driver(user.id), filter: { driverId: user.id } };
      case 'order':
        if (!socket.data.trackedOrderId) return deny('a tracking token is required');
        return { room: roomFor.order(socket.data.trackedOrderId), filter: { orderId: socket.data.trackedOrderId } };
      case 'menu':
        if (!req.pizzeriaId) return new AppError(422, 'invalid', 'pizzeriaId is required');
        return { room: roomFor.menu(req.pizzeriaId), filter: { pizzeriaId: req.pizzeriaId } };
      case 'system':
        if (user?.role !== 'admin' && user?.role !== 'manager') return deny('managers only');
        return { room: roomFor.system(), filter: { all: true } };
    }
  }

  async function systemStatus(): Promise<SystemStatus> {
    const info = (await opts.systemInfo?.().catch((err) => (log.error({ err }, 'system info failed'), null))) ?? {
      queues: [],
      backup: null,
      maintenance: null,
    };
    const sorted = [...recentLags].sort((a, b) => a - b);
    const screens = [...io.of('/').sockets.values()]
      .filter((s) => s.data.user && s.data.user.role !== 'admin' && s.data.user.role !== 'manager')
      .map((s) => ({
        socketId: s.id,
        role: s.data.user!.role,
        pizzeriaId: s.data.user!.pizzeriaId,
        name: s.data.user!.name,
        scopes: s.data.scopes,
        connectedAt: s.data.connectedAt,
      }));
    return {
      at: new Date().toISOString(),
      screens,
      ...info,
      relay: {
        listening: relay.connected,
        lastEventId: relay.lastEventId,
        lastLagMs: recentLags.at(-1) ?? null,
        p99LagMs: sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))] : null,
      },
      hub: { pid: process.pid, startedAt },
    };
  }

  /** Sends each watcher the status it may see: a manager only their shop's screens. */
  async function pushSystemStatus(targets?: HubSocket[]) {
    const ids = io.of('/').adapter.rooms.get(roomFor.system()) ?? new Set<string>();
    const watchers = targets ?? [...ids].map((id) => io.of('/').sockets.get(id)).filter((s): s is HubSocket => !!s);
    if (!watchers.length) return;
    const status = await systemStatus();
    for (const w of watchers) {
      const u = w.data.user;
      const screens = u?.role === 'admin' ? status.screens : status.screens.filter((x) => x.pizzeriaId === u?.pizzeriaId);
      w.emit('system:status', { ...status, screens });
    }
  }
  const systemTimer = setInterval(() => void pushSystemStatus().catch(() => {}), opts.systemIntervalMs ?? 2000);
  systemTimer.unref();

  /** Replays what a screen missed, up to `upTo`: the relay delivers what comes after (see `relay.hold`). */
  async function replay(socket: HubSocket, filter: EventFilter, lastEventId: number | undefined, upTo: number): Promise<SubscribeResult> {
    if (lastEventId === undefined) return { lastEventId: upTo };
    const bounds = await eventBounds(db);
    // older than what the hot table keeps, or from another database: the screen reloads a snapshot
    if (lastEventId > bounds.last || (bounds.first > 0 && lastEventId < bounds.first - 1)) return { resync: true, lastEventId: bounds.last };
    const missed = (await listEventsAfter(db, filter, lastEventId, opts.resumeMaxEvents + 1)).filter((e) => e.eventId <= upTo);
    if (missed.length > opts.resumeMaxEvents) return { resync: true, lastEventId: bounds.last };
    for (const e of missed) socket.emit('order:updated', e);
    return { lastEventId: Math.max(lastEventId, missed.at(-1)?.eventId ?? 0) };
  }

  // each hub listens to Postgres itself and emits to its own sockets only, so with several hubs
  // every screen still gets each event once
  const AFFECTS_MENU = new Set(['order.placed', 'order.modified']);
  const recentLags: number[] = [];
  const startedAt = new Date().toISOString();
  const relay = new EventFollower({
    db,
    databaseUrl: opts.databaseUrl,
    name: 'ocpizza-hub',
    startAfter: (await eventBounds(db)).last,
    onError: (err) => log.error({ err }, 'relay error'),
    onConnectionChange: (up) => log.info({ up }, up ? 'relay listening' : 'relay lost its listening connection, reconnecting'),
    onEvents: async (events) => {
      const menusToRefresh = new Set<number>();
      for (const e of events) {
        const o = e.order;
        const rooms = [roomFor.kitchen(o.pizzeriaId), roomFor.shop(o.pizzeriaId), roomFor.hq(), roomFor.order(o.id)];
        if (o.driver) rooms.push(roomFor.driver(o.driver.id));
        io.local.to(rooms).emit('order:updated', e);
        const lag = Date.now() - Date.parse(e.at);
        recentLags.push(lag);
        if (recentLags.length > 200) recentLags.shift();
        opts.onRelayed?.(e, lag);
        if (AFFECTS_MENU.has(e.type) || (e.type === 'order.status' && o.status === 'cancelled')) menusToRefresh.add(o.pizzeriaId);
      }
      for (const shop of menusToRefresh) {
        if ((io.sockets.adapter.rooms.get(roomFor.menu(shop))?.size ?? 0) === 0) continue;
        io.local.to(roomFor.menu(shop)).emit('menu:availability', await getMenuAvailability(db, shop));
      }
    },
  });
  await relay.start();

  io.on('connection', (socket) => {
    socket.on('subscribe', async (raw, ack) => {
      const reply = typeof ack === 'function' ? ack : () => {};
      const fail = (e: AppError) => reply({ error: { code: e.code, message: e.message } });
      const parsed = subscribeSchema.safeParse(raw);
      if (!parsed.success) return fail(new AppError(422, 'invalid', parsed.error.issues.map((i) => `${i.path.join('.') || 'request'}: ${i.message}`).join('; ')));
      const req = parsed.data;
      const grant = authorize(socket, req);
      if (grant instanceof AppError) return fail(grant);
      try {
        if (req.scope === 'system' || req.scope === 'menu') {
          await socket.join(grant.room);
          if (!socket.data.scopes.includes(req.scope)) socket.data.scopes.push(req.scope);
          if (req.scope === 'system') {
            reply({ data: { lastEventId: relay.lastEventId } });
            return void pushSystemStatus([socket]);
          }
          socket.emit('menu:availability', await getMenuAvailability(db, req.pizzeriaId!));
          return reply({ data: { lastEventId: relay.lastEventId } });
        }
        // join and replay while the relay stands still: the replay ends where the relay stopped and
        // the room gets what follows, so a screen gets each event once and in order (a newer version
        // arriving before an older one would hide the older one's event, e.g. the new-ticket chime)
        const result = await relay.hold(async (upTo) => {
          await socket.join(grant.room);
          if (!socket.data.scopes.includes(req.scope)) socket.data.scopes.push(req.scope);
          return replay(socket, grant.filter, req.lastEventId, upTo);
        });
        reply({ data: result });
      } catch (err) {
        log.error({ err }, 'subscribe failed');
        fail(new AppError(500, 'server_error', 'could not subscribe, try again'));
      }
    });
  });


  return {
    io,
    relay,
    /** Tells every screen to reconnect (elsewhere, or here after the restart), then stops relaying. */
    async close() {
      clearInterval(systemTimer);
      io.local.emit('server:restarting');
      // a transport still busy with an earlier packet keeps the notice in its buffer, which closing
      // the engine discards: give each a moment (at most 1 s) to hand it over
      const busy = [...io.of('/').sockets.values()]
        .map((s) => s.conn as unknown as { writeBuffer: unknown[]; once(e: 'drain', f: () => void): void })
        .filter((conn) => conn.writeBuffer.length > 0)
        .map((conn) => new Promise<void>((resolve) => conn.once('drain', resolve)));
      if (busy.length) {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([Promise.all(busy), new Promise<void>((resolve) => (timer = setTimeout(resolve, 1000)))]);
        clearTimeout(timer);
      }
      // closing the transports (rather than disconnecting sockets) makes clients reconnect by themselves
      await new Promise<void>((resolve) => io.close(() => resolve()));
      await relay.close();
    },
  };
}
