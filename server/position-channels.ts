import type { Logger } from 'pino';
import type { Redis } from 'ioredis';
import { roomFor } from '../src/lib/realtime/contract.ts';
import type { DriverPosition, TrackedDriverPosition } from '../src/lib/shapes/views.ts';
import type { HubServer } from './hub-types.ts';

/** How a hub hands drivers' positions to the others (POSITIONS_TO_HUBS). */
export type PositionsToHubs = 'watching' | 'all';

/** The rooms whose positions cross between hubs: a shop's managers and an order's tracking page. */
const WATCHED = /^(?:shop|order):/;

/**
 * Drivers' positions go only to the hubs whose sockets watch them. The hub that accepts a position
 * publishes it on Redis sharded pub/sub (SPUBLISH, Redis 7): on its shop's channel and on the
 * channel of each order its driver carries. Each hub subscribes (SSUBSCRIBE) to the channel of a
 * shop's or an order's room while one of its own sockets is in that room (the adapter's
 * `create-room` / `delete-room`), and hands what arrives to those sockets only: a hub with no
 * screen of a shop reads nothing of that shop, whatever the chain's size. Head office's map takes
 * no live stream: its fleet pushes carry each driver's latest position (server/fleet-watch.ts).
 *
 * `all` keeps the path of a Redis without sharded pub/sub (6.x): positions through the Socket.io
 * streams adapter, read by every hub. Without Redis (or a hub alone) positions reach this hub's
 * sockets only. When a publish fails (Redis away), the position still reaches this hub's own
 * screens; the hub subscribes again to every room it holds as soon as Redis answers.
 */
export function createPositionChannels(deps: { io: HubServer; redis?: Redis; prefix: string; mode: PositionsToHubs | 'local'; log: Logger }) {
  const { io, redis, log } = deps;
  const base = `${deps.prefix.replace(/[{}]/g, '')}:positions:`;
  const channelOf = (room: string) => base + room;
  let received = 0;
  let published = 0;

  const toLocal = (room: string, p: DriverPosition | TrackedDriverPosition) => io.local.to(room).emit('driver:position', p);
  const sub = deps.mode === 'watching' && redis ? subscriber(redis, log) : null;

  if (sub) {
    const adapter = io.of('/').adapter;
    adapter.on('create-room', (room: string) => {
      if (WATCHED.test(room)) sub.want(channelOf(room));
    });
    adapter.on('delete-room', (room: string) => {
      if (WATCHED.test(room)) sub.drop(channelOf(room));
    });
    for (const room of adapter.rooms.keys()) if (WATCHED.test(room)) sub.want(channelOf(room));
    sub.client.on('smessage', (channel: string, message: string) => {
      if (!channel.startsWith(base)) return;
      received++;
      try {
        toLocal(channel.slice(base.length), JSON.parse(message) as DriverPosition | TrackedDriverPosition);
      } catch (err) {
        log.warn({ err, channel }, 'a position from another hub could not be read');
      }
    });
  }

  /** Hands one position (and its cut for each order's page) to whoever watches it, here or on another hub. */
  async function send(position: DriverPosition) {
    const tracked: TrackedDriverPosition = { driverId: position.driverId, lat: position.lat, lng: position.lng, accuracy: position.accuracy, at: position.at };
    const sends: [string, DriverPosition | TrackedDriverPosition][] = [[roomFor.shop(position.pizzeriaId), position], ...position.carrying.map((o) => [roomFor.order(o), tracked] as [string, TrackedDriverPosition])];
    if (deps.mode === 'all' && redis) {
      for (const [room, p] of sends) io.to(room).emit('driver:position', p);
      return;
    }
    if (!sub) {
      for (const [room, p] of sends) toLocal(room, p);
      return;
    }
    await Promise.all(
      sends.map(([room, p]) =>
        redis!.spublish(channelOf(room), JSON.stringify(p)).then(
          () => void published++,
          (err: Error) => {
            // Redis away: this hub's own screens still get it
            sub.warn(err);
            toLocal(room, p);
          },
        ),
      ),
    );
  }

  return {
    send,
    /** Positions this hub read from Redis for its own sockets, and the channel messages it published. */
    counts: () => ({ received, published, channels: sub?.size() ?? 0 }),
    async close() {
      await sub?.close();
    },
  };
}

/** A connection of its own in subscriber mode, subscribed to the channels wanted now (again after each reconnection). */
function subscriber(redis: Redis, log: Logger) {
  const client = redis.duplicate({ lazyConnect: true, enableOfflineQueue: false, autoResubscribe: false, maxRetriesPerRequest: null });
  const wanted = new Set<string>();
  let lastWarning = 0;
  const warn = (err: Error) => {
    if (Date.now() - lastWarning < 60_000) return;
    lastWarning = Date.now();
    log.warn({ err: err.message }, 'drivers\' positions not shared with the other hubs (Redis)');
  };
  const run = (command: 'ssubscribe' | 'sunsubscribe', channel: string) => {
    if (client.status === 'ready') client[command](channel).catch(warn);
  };
  client.on('error', warn);
  client.on('ready', () => {
    for (const channel of wanted) run('ssubscribe', channel);
  });
  client.connect().catch(warn);
  return {
    client,
    warn,
    want(channel: string) {
      wanted.add(channel);
      run('ssubscribe', channel);
    },
    drop(channel: string) {
      if (wanted.delete(channel)) run('sunsubscribe', channel);
    },
    size: () => wanted.size,
    async close() {
      if (client.status === 'ready') await client.quit().catch(() => client.disconnect());
      else client.disconnect();
    },
  };
}
