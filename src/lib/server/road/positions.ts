// Drivers' positions: hot, not durable. The latest per driver and a GEO index per shop live in
// Redis (a position is stale after a minute); a sampled trail of each order being carried goes to
// Postgres. Nothing here goes through the order events or NOTIFY.
import type { Redis } from 'ioredis';
import { distanceM } from '../../domain/geo.ts';
import { POSITION_STALE_MS } from '../../domain/dispatch-by-distance.ts';
import type { DriverPosition } from '../../shapes/views.ts';
import type { PositionReport } from '../../realtime/contract.ts';
import type { Queryable } from '../kernel/db.ts';

/** How far ahead of the server's clock a phone's may run, and how old a replayed position may be. */
export const CLOCK_SKEW_MS = 30_000;
export const REPLAY_WINDOW_MS = 15 * 60_000;
/** The trail keeps a point every 15 s or 50 m, whichever comes first. */
const TRAIL_EVERY_MS = 15_000;
const TRAIL_EVERY_M = 50;
/**
 * A phone's presence lasts this long unless its hub says again that the socket is there (every
 * PRESENCE_REFRESH_MS): a hub that crashed stops vouching for its sockets within 45 s.
 */
export const PRESENCE_TTL_MS = 45_000;
export const PRESENCE_REFRESH_MS = 15_000;

export class PositionRefused extends Error {
  constructor(
    readonly code: 'invalid' | 'out_of_order' | 'off_shift' | 'forbidden',
    message: string,
  ) {
    super(message);
  }
}

// the latest position moves only forward, and the shop's GEO index with it, in one step
const RECORD = `
local last = redis.call('HGET', KEYS[1], 'at')
if last and tonumber(last) >= tonumber(ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], 'at', ARGV[1], 'lat', ARGV[2], 'lng', ARGV[3], 'acc', ARGV[4], 'shop', ARGV[6])
redis.call('EXPIRE', KEYS[1], 86400)
redis.call('GEOADD', KEYS[2], ARGV[3], ARGV[2], ARGV[5])
redis.call('ZADD', KEYS[3], ARGV[1], ARGV[5])
return 1`;

interface DriverRow {
  on_shift: boolean;
  pizzeria_id: number;
  carrying: string[];
}

export interface StoredPosition {
  driverId: number;
  pizzeriaId: number;
  lat: number;
  lng: number;
  accuracy: number;
  at: number;
  stale: boolean;
}

async function driverState(db: Queryable, driverId: number): Promise<DriverRow | null> {
  const { rows } = await db.query<DriverRow>({
    name: 'driver-position-state',
    text: `SELECT u.on_shift, coalesce(u.lent_to, u.pizzeria_id) AS pizzeria_id,
             coalesce(array_agg(o.id ORDER BY o.out_for_delivery_at) FILTER (WHERE o.id IS NOT NULL), '{}') AS carrying
           FROM users u LEFT JOIN orders o ON o.driver_id = u.id AND o.status = 'out_for_delivery'
           WHERE u.id = $1 AND u.active AND u.role = 'driver' GROUP BY u.id`,
    values: [driverId],
  });
  return rows[0] ?? null;
}

/** How long a hub trusts a driver's state it read, however sure its notices are (a safety net). */
export const DRIVER_STATE_TTL_MS = 60_000;

/**
 * What a hub knows of its drivers between two of their positions: on shift, the shop they work for
 * tonight, the orders they carry. A phone shares a position every few seconds; reading this for
 * each one was a Postgres statement a position (3,000 drivers: 600 a second). Kept until something
 * says it changed: an order event naming the driver (forgetDriver: the hubs relay every event), a
 * change of a shop's drivers (forgetShops: Postgres' `shop_evening` notice of a shift, a lending, an
 * account made inactive); at most DRIVER_STATE_TTL_MS. Nothing is kept while those notices cannot
 * be heard (`listening` false: before the hub listens, and while its listening connection is away),
 * and a read under way when its driver changed is not kept (it may be of before the change).
 */
export class DriverStates {
  private readonly held = new Map<number, { state: DriverRow | null; at: number }>();
  /** Bumped by each forgetting: a read is kept only when nothing was forgotten since it began. */
  private generation = 0;
  private hearing = false;

  constructor(private readonly ttlMs = DRIVER_STATE_TTL_MS) {}

  async of(db: Queryable, driverId: number, now = Date.now()): Promise<DriverRow | null> {
    const h = this.held.get(driverId);
    if (h && now - h.at < this.ttlMs) return h.state;
    const generation = this.generation;
    const state = await driverState(db, driverId);
    if (this.hearing && generation === this.generation) this.held.set(driverId, { state, at: now });
    return state;
  }

  /** Whether the changes' notices are heard now; either way, what was kept is forgotten. */
  set listening(on: boolean) {
    this.hearing = on;
    this.clear();
  }

  forgetDriver(driverId: number) {
    this.generation++;
    this.held.delete(driverId);
  }

  /** Drivers of these shops (and any account read as no driver: it may have become one). */
  forgetShops(shops: ReadonlySet<number>) {
    this.generation++;
    for (const [id, h] of this.held) if (!h.state || shops.has(h.state.pizzeria_id)) this.held.delete(id);
  }

  clear() {
    this.generation++;
    this.held.clear();
  }
}

function toStored(driverId: number, h: Record<string, string>, now: number): StoredPosition {
  const at = Number(h.at);
  return { driverId, pizzeriaId: Number(h.shop), lat: Number(h.lat), lng: Number(h.lng), accuracy: Number(h.acc), at, stale: now - at > POSITION_STALE_MS };
}

/** The store's Redis keys, under the install's prefix. */
const keysOf = (prefix: string) => ({
  driver: (id: number) => `${prefix}:pos:driver:${id}`,
  geo: (shop: number) => `${prefix}:pos:geo:${shop}`,
  seen: (shop: number) => `${prefix}:pos:seen:${shop}`,
  presence: (id: number) => `${prefix}:presence:driver:${id}`,
});

/** Where the drivers are, in Redis under the install's prefix (one store per hub or worker process). */
export class PositionStore {
  private readonly key: ReturnType<typeof keysOf>;
  /** The last trail point per driver, on the hub their phone talks to. */
  private readonly trail = new Map<number, { at: number; lat: number; lng: number }>();

  constructor(
    private readonly redis: Redis,
    prefix: string,
  ) {
    this.key = keysOf(prefix);
  }

  /**
   * Checks and keeps a driver's report. Refuses a driver off shift, a time too far ahead of the
   * server's clock or too old to matter, and one not after the last kept (a repeat, a reorder).
   * Returns what the maps are told. The driver's state is read from `states` when given (a hub's).
   */
  async record(db: Queryable, driverId: number, p: PositionReport, now = Date.now(), states?: DriverStates): Promise<DriverPosition> {
    if (p.at > now + CLOCK_SKEW_MS) throw new PositionRefused('invalid', 'the position is dated in the future: check the phone clock');
    if (p.at < now - REPLAY_WINDOW_MS) throw new PositionRefused('invalid', 'the position is too old to share');
    const state = states ? await states.of(db, driverId, now) : await driverState(db, driverId);
    if (!state) throw new PositionRefused('forbidden', 'only drivers share positions');
    if (!state.on_shift) throw new PositionRefused('off_shift', 'start your shift to share your position');
    const kept = await this.redis.eval(
      RECORD, 3, this.key.driver(driverId), this.key.geo(state.pizzeria_id), this.key.seen(state.pizzeria_id),
      String(p.at), String(p.lat), String(p.lng), String(p.accuracy), String(driverId), String(state.pizzeria_id),
    );
    if (kept !== 1) throw new PositionRefused('out_of_order', 'a newer position was already shared');
    if (state.carrying.length) await this.keepTrail(db, driverId, state.carrying, p);
    return {
      driverId,
      pizzeriaId: state.pizzeria_id,
      lat: p.lat,
      lng: p.lng,
      accuracy: p.accuracy,
      at: new Date(p.at).toISOString(),
      carrying: state.carrying,
    };
  }

  /** The latest position of each driver of a shop, stale ones marked (older than a minute). */
  async ofShop(shop: number, now = Date.now()): Promise<StoredPosition[]> {
    const ids = await this.redis.zrange(this.key.seen(shop), '0', '-1');
    const rows = await Promise.all(ids.map((id) => this.redis.hgetall(this.key.driver(Number(id)))));
    return rows.flatMap((h, i) => (h.at && Number(h.shop) === shop ? [toStored(Number(ids[i]), h, now)] : []));
  }

  /**
   * ofShop for many shops in two round trips to Redis, whatever their number (the evenings' tick
   * asks for every shop with drivers on shift: at 500 shops, a round trip or two each was some
   * 1,500 every tick). A shop's read that fails fails the whole.
   */
  async ofShops(shops: number[], now = Date.now()): Promise<Map<number, StoredPosition[]>> {
    const out = new Map<number, StoredPosition[]>();
    if (!shops.length) return out;
    const seen = this.redis.pipeline();
    for (const shop of shops) seen.zrange(this.key.seen(shop), '0', '-1');
    const idsOf = ((await seen.exec()) ?? []).map(([err, ids]) => {
      if (err) throw err;
      return ids as string[];
    });
    const read = this.redis.pipeline();
    for (const ids of idsOf) for (const id of ids) read.hgetall(this.key.driver(Number(id)));
    const rows = idsOf.some((ids) => ids.length) ? ((await read.exec()) ?? []) : [];
    let i = 0;
    shops.forEach((shop, s) => {
      const here: StoredPosition[] = [];
      for (const id of idsOf[s]) {
        const [err, h] = rows[i++] as [Error | null, Record<string, string>];
        if (err) throw err;
        if (h.at && Number(h.shop) === shop) here.push(toStored(Number(id), h, now));
      }
      out.set(shop, here);
    });
    return out;
  }

  async ofDriver(driverId: number, now = Date.now()): Promise<StoredPosition | null> {
    const h = await this.redis.hgetall(this.key.driver(driverId));
    return h.at ? toStored(driverId, h, now) : null;
  }

  /**
   * Drivers of a shop within `radiusM` of a spot, nearest first (the shop's GEO index), with
   * where they are and when they said so; fresh positions only (a minute).
   */
  async near(
    shop: number,
    at: { lat: number; lng: number },
    radiusM: number,
    now = Date.now(),
    freshMs = POSITION_STALE_MS,
  ): Promise<{ driverId: number; distanceM: number; at: { lat: number; lng: number }; sentAt: number }[]> {
    const [hits, fresh] = await Promise.all([
      this.redis.geosearch(this.key.geo(shop), 'FROMLONLAT', at.lng, at.lat, 'BYRADIUS', radiusM, 'm', 'ASC', 'WITHDIST', 'WITHCOORD') as Promise<[string, string, [string, string]][]>,
      this.redis.zrangebyscore(this.key.seen(shop), now - freshMs, '+inf', 'WITHSCORES'),
    ]);
    const sentAt = new Map<string, number>();
    for (let i = 0; i < fresh.length; i += 2) sentAt.set(fresh[i], Number(fresh[i + 1]));
    return hits
      .filter(([id]) => sentAt.has(id))
      .map(([id, d, [lng, lat]]) => ({ driverId: Number(id), distanceM: Number(d), at: { lat: Number(lat), lng: Number(lng) }, sentAt: sentAt.get(id)! }));
  }

  /**
   * A driver's phone is connected (one entry per socket, whichever hub holds it, each valid
   * `ttlMs` unless refreshed): a hub that dies without saying so is forgotten once its entries lapse.
   */
  async markConnected(driverId: number, socketIds: string[], ttlMs = PRESENCE_TTL_MS, now = Date.now()) {
    await this.markAllConnected(new Map([[driverId, socketIds]]), ttlMs, now);
  }

  /** markConnected for many drivers at once (a hub's refresh of its phones): one round trip to Redis. */
  async markAllConnected(sockets: ReadonlyMap<number, string[]>, ttlMs = PRESENCE_TTL_MS, now = Date.now()) {
    const pipe = this.redis.pipeline();
    for (const [driverId, socketIds] of sockets) {
      if (!socketIds.length) continue;
      const k = this.key.presence(driverId);
      pipe.zadd(k, ...socketIds.flatMap((id) => [now + ttlMs, id])).zremrangebyscore(k, '-inf', now).pexpire(k, ttlMs);
    }
    if (!pipe.length) return;
    const failed = ((await pipe.exec()) ?? []).find(([err]) => err);
    if (failed) throw failed[0];
  }

  async markDisconnected(driverId: number, socketId: string) {
    await this.redis.zrem(this.key.presence(driverId), socketId);
  }

  /** Which of these drivers have a phone connected now (to any hub). */
  async connected(driverIds: number[], now = Date.now()): Promise<Set<number>> {
    if (!driverIds.length) return new Set();
    const pipe = this.redis.pipeline();
    for (const id of driverIds) pipe.zcount(this.key.presence(id), now, '+inf');
    const counts = (await pipe.exec()) ?? [];
    return new Set(driverIds.filter((_, i) => !counts[i]?.[0] && Number(counts[i]?.[1]) > 0));
  }

  /** A driver who leaves a shop (lent elsewhere, off shift for good) leaves its index. */
  async forget(driverId: number, shop: number) {
    await this.redis.multi().zrem(this.key.geo(shop), String(driverId)).zrem(this.key.seen(shop), String(driverId)).del(this.key.driver(driverId)).exec();
    this.trail.delete(driverId);
  }

  private async keepTrail(db: Queryable, driverId: number, orders: string[], p: PositionReport) {
    const last = this.trail.get(driverId);
    if (last && p.at - last.at < TRAIL_EVERY_MS && distanceM(last, p) < TRAIL_EVERY_M) return;
    this.trail.set(driverId, { at: p.at, lat: p.lat, lng: p.lng });
    // only orders this driver still carries: what `carrying` said may be a moment old (DriverStates
    // keeps it until the order's event is relayed), and the trail is the delivery's record
    await db.query({
      name: 'keep-trail',
      text: `INSERT INTO delivery_trail (order_id, at, driver_id, lat, lng, accuracy_m)
             SELECT o.id, to_timestamp($2 / 1000.0), $3, $4, $5, $6 FROM orders o
             WHERE o.id = ANY($1::uuid[]) AND o.driver_id = $3 AND o.status = 'out_for_delivery'
             ON CONFLICT DO NOTHING`,
      values: [orders, p.at, driverId, p.lat, p.lng, p.accuracy],
    });
  }
}

export const createPositionStore = (redis: Redis, prefix: string) => new PositionStore(redis, prefix);

/** The trail of one order, oldest first (for a dispute, or the evening's replay). */
export async function deliveryTrail(db: Queryable, orderId: string) {
  const { rows } = await db.query<{ at: Date; lat: number; lng: number; accuracy_m: number; driver_id: number }>(
    'SELECT at, lat, lng, accuracy_m, driver_id FROM delivery_trail WHERE order_id = $1 ORDER BY at',
    [orderId],
  );
  return rows.map((r) => ({ at: r.at.toISOString(), lat: r.lat, lng: r.lng, accuracy: r.accuracy_m, driverId: r.driver_id }));
}
