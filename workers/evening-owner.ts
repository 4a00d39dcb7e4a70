// Each shop's evening (its drivers, plan, figures and forecasts: src/lib/server/flows/evenings.ts)
// is computed in one place: the workers process holding the `ocpizza-evenings` lease (reactor-lease.ts,
// a lease of its own beside the reactor's). It computes a shop again when something of it changes:
//   - one of its orders (it follows order_events: the shops of the new events, not the events' bodies);
//   - its drivers (a shift started or ended, a driver lent, made inactive: Postgres notifies
//     `shop_evening`, db/migrations/0115_shop_evening_notices.sql);
//   - a hub asks for it (a screen subscribed: `<prefix>:evening-wanted`): then it is published even
//     when unchanged, for that screen may have been told to wait for it;
// at most every EVENING_GAP_MS per shop, EVENING_DEBOUNCE_MS after the first change (with the shops
// due within EVENING_GATHER_MS of it, in one batch). Every
// EVENING_TICK_MS it looks for what changes with the clock alone: the shops with an open order (their
// plan and promises move with time) and those whose drivers' positions or phones changed (Redis), and
// every shop not computed for EVENING_FULL_MS (a new day's figures). A shop whose state says what it
// said last time is not published again; one that changed is kept in Redis and published once, and
// every hub relays it to its own screens (server/fleet-watch.ts).
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Db } from '../src/lib/server/kernel/db.ts';
import { createPgListener, type PgListener } from '../src/lib/server/events/pg-listener.ts';
import type { Road } from '../src/lib/server/road/drivers.ts';
import type { PositionStore } from '../src/lib/server/road/positions.ts';
import { eveningMessage, eveningNames, eveningReader, fingerprintOf, type EveningState } from '../src/lib/server/flows/evenings.ts';
import { startLease, type Lease } from './reactor-lease.ts';
import { KITCHEN_STATUSES, WITH_DRIVER_STATUSES, sqlList } from '../src/lib/domain/order-states.ts';

/** The lease of the workers process that computes the evenings, per queue prefix. */
export const EVENING_LEASE = 'ocpizza-evenings';
/** A shop's evening is computed this long after the first change of it. */
export const EVENING_DEBOUNCE_MS = 500;
/** And at most this often per shop, however many changes. */
export const EVENING_GAP_MS = 1000;
/**
 * A computation takes, beside the shops due, those due within this (no sooner than EVENING_GAP_MS
 * after their last): shops changed a moment apart are read and published in one batch, whose reads
 * are a handful of statements whatever its size (a batch a shop was most of the evenings' reads at
 * 500 shops). A change waits EVENING_DEBOUNCE_MS less this at the least.
 */
export const EVENING_GATHER_MS = 250;
/** How often what changes with the clock alone is looked for. */
export const EVENING_TICK_MS = 15_000;
/** A shop not computed for this long is computed again (a new day's figures). */
export const EVENING_FULL_MS = 5 * 60_000;
/**
 * The shops of new events are read at most this often, whatever the rate of events (one read a
 * notification cost a read a move in a rush, for shops computed at most every EVENING_GAP_MS anyway).
 */
export const EVENING_EVENTS_READ_MS = 200;

interface Known {
  fingerprint: string;
  /** When it was last computed (published or not). */
  at: number;
  /** Its drivers on shift: whose positions and phones the tick looks at. */
  onShift: number[];
  /** What Redis said of those drivers at the last computation. */
  whereabouts: string;
}

export interface EveningOwnerDeps {
  db: Db;
  databaseUrl: string;
  /** Kept states, published updates, and the hubs' asks (a subscriber is made from it). */
  redis: Redis;
  prefix: string;
  positions: PositionStore | null;
  road: Road;
  log: Logger;
  tickMs?: number;
}

/** The lease and, while it is held, the computing. */
export async function startEveningOwner(deps: EveningOwnerDeps): Promise<{ lease: Lease; close(): Promise<void>; computed(): number }> {
  let owner: ReturnType<typeof eveningOwner> | null = null;
  let computed = 0;
  const lease = await startLease({
    databaseUrl: deps.databaseUrl,
    name: `${EVENING_LEASE}:${deps.prefix}`,
    says: { taken: "evenings' lease taken: this process computes each shop's evening", lost: "evenings' lease lost: another process computes the shops' evenings" },
    log: deps.log,
    onAcquired: async () => {
      owner = eveningOwner(deps, () => computed++);
      await owner.start();
    },
    onLost: async () => {
      const was = owner;
      owner = null;
      await was?.stop();
    },
    healthy: () => deps.redis.status === 'ready',
  });
  return { lease, close: () => lease.close(), computed: () => computed };
}

/** What the lease holder runs: the triggers, the due shops, the computing and the publishing. */
function eveningOwner(deps: EveningOwnerDeps, count: () => void) {
  const shops = new DueShops(deps, count);
  const triggers = new Triggers(deps, shops);
  return {
    start: () => triggers.start(),
    async stop() {
      shops.stop();
      await Promise.all([shops.idle(), triggers.stop()]);
    },
  };
}

/** The shops due to be computed, computed in batches, and their states published when they changed. */
class DueShops {
  readonly known = new Map<number, Known>();
  /** Shops to compute, and from when. */
  private readonly due = new Map<number, number>();
  /** Shops a screen asked for: published at their next computation even when unchanged (the screen may hold nothing of them yet). */
  private readonly asked = new Set<number>();
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;
  private readonly names: ReturnType<typeof eveningNames>;
  private readonly read: ReturnType<typeof eveningReader>;

  constructor(
    private readonly deps: EveningOwnerDeps,
    private readonly count: () => void,
  ) {
    this.names = eveningNames(deps.prefix);
    this.read = eveningReader({ db: deps.db, positions: deps.positions, road: deps.road });
  }

  touch(shop: number, now = Date.now(), asked = false) {
    if (this.stopped) return;
    if (asked) this.asked.add(shop);
    const at = Math.max(now + EVENING_DEBOUNCE_MS, (this.known.get(shop)?.at ?? 0) + EVENING_GAP_MS);
    const was = this.due.get(shop);
    if (was === undefined || at < was) this.due.set(shop, at);
    // a screen subscribing meanwhile waits for this computation rather than take the kept state
    if (was === undefined) void this.deps.redis.hset(this.names.pending, String(shop), String(now)).catch(() => undefined);
    this.arm();
  }

  private arm() {
    if (this.stopped || this.running || this.timer || !this.due.size) return;
    const next = Math.min(...this.due.values());
    this.timer = setTimeout(() => void this.flush(), Math.max(0, next - Date.now()));
  }

  private async flush() {
    this.timer = null;
    const now = Date.now();
    const shops = [...this.due].filter(([shop, at]) => at <= now || (at <= now + EVENING_GATHER_MS && (this.known.get(shop)?.at ?? 0) + EVENING_GAP_MS <= now)).map(([shop]) => shop);
    for (const shop of shops) this.due.delete(shop);
    const { log } = this.deps;
    this.running = this.read(shops, (states) => this.publish(states), (shop, err) => void (this.stopped || log.warn({ err, shop }, 'evening not computed')), () => this.stopped)
      .catch((err) => void (this.stopped || log.warn({ err }, 'evenings not computed')))
      .finally(() => {
        this.running = null;
        this.arm();
      });
    await this.running;
  }

  /**
   * A batch of computed states: what Redis says of their drivers read for all of them at once (three
   * round trips), and those that say something new kept and published in one MULTI (it was three
   * round trips and a MULTI a shop: at 500 shops, most of the evenings' cost in the workers).
   */
  private async publish(states: EveningState[]) {
    const { redis } = this.deps;
    const onShift = new Map(states.map((s) => [s.shop, s.fleet.drivers.filter((d) => d.onShift).map((d) => d.id)]));
    const whereabouts = await this.whereaboutsOfShops(onShift).catch(() => new Map<number, string>());
    const multi = redis.multi();
    const changed: number[] = [];
    /** Pending marks lifted: the computation they announced is done. */
    let queued = 0;
    for (const state of states) {
      this.count();
      const key = String(state.shop);
      const fingerprint = fingerprintOf(state);
      const last = this.known.get(state.shop);
      this.known.set(state.shop, { fingerprint, at: Date.now(), onShift: onShift.get(state.shop)!, whereabouts: whereabouts.get(state.shop) ?? '' });
      const settled = !this.due.has(state.shop);
      const asked = this.asked.delete(state.shop);
      if (settled) {
        multi.hdel(this.names.pending, key);
        queued++;
      }
      if (last?.fingerprint === fingerprint && !asked) continue;
      const json = JSON.stringify(state);
      multi.hset(this.names.states, key, json).publish(this.names.updates, eveningMessage(state, json));
      changed.push(state.shop);
    }
    if (!queued && !changed.length) return;
    try {
      await multi.exec();
    } catch (err) {
      // Redis away: published at the next change or tick (a pending mark alone left: it lapses)
      if (!changed.length) return;
      for (const shop of changed) this.known.delete(shop);
      throw err;
    }
  }

  /**
   * What Redis says of these shops' drivers on shift now (their positions, stale or not, and whether
   * their phones are connected), for many shops in three round trips to Redis:
   * their positions (two) and their phones (one), however many shops.
   */
  async whereaboutsOfShops(shops: Map<number, number[]>): Promise<Map<number, string>> {
    const { positions } = this.deps;
    const asked = [...shops].filter(([, drivers]) => drivers.length);
    const out = new Map<number, string>([...shops].filter(([, drivers]) => !drivers.length).map(([shop]) => [shop, '']));
    if (!positions || !asked.length) return new Map([...shops.keys()].map((shop) => [shop, '']));
    const [where, connected] = await Promise.all([positions.ofShops(asked.map(([shop]) => shop)), positions.connected([...new Set(asked.flatMap(([, drivers]) => drivers))])]);
    for (const [shop, drivers] of asked) {
      const phones = drivers.filter((d) => connected.has(d));
      out.set(shop, JSON.stringify([(where.get(shop) ?? []).map((p) => [p.driverId, p.lat, p.lng, p.at, p.stale]), [...new Set(phones)].sort()]));
    }
    return out;
  }

  /** What changes with the clock alone: shops with an open order, drivers moved or phones gone, shops not computed for long. */
  async tick() {
    const now = Date.now();
    const { rows } = await this.deps.db.query<{ id: number }>({
      name: 'evenings-open',
      text: `SELECT DISTINCT pizzeria_id AS id FROM orders WHERE status IN (${sqlList(TIME_DRIVEN)})`,
    });
    for (const { id } of rows) this.touch(id, now);
    const open = new Set(rows.map((r) => r.id));
    // the others' drivers on shift, asked of Redis together (a round trip or two a shop was 1,500 a tick at 500 shops)
    const watched = new Map<number, number[]>();
    for (const [shop, k] of this.known) {
      if (open.has(shop) || this.stopped) continue;
      if (now - k.at >= EVENING_FULL_MS) this.touch(shop, now);
      else if (k.onShift.length) watched.set(shop, k.onShift);
    }
    if (!watched.size || this.stopped) return;
    // Redis away: nothing is said to have moved (the next tick asks again)
    const whereabouts = await this.whereaboutsOfShops(watched).catch(() => new Map<number, string>());
    for (const [shop, said] of whereabouts) {
      const k = this.known.get(shop);
      if (k && said !== k.whereabouts) this.touch(shop, now);
    }
  }

  /** Every shop with no kept state yet (a hub asked: head office opened), or every shop (`all`). */
  async missing(all = false) {
    const [{ rows }, kept] = await Promise.all([this.deps.db.query<{ id: number }>('SELECT id FROM pizzerias ORDER BY id'), all ? [] : this.deps.redis.hkeys(this.names.states)]);
    const have = new Set(kept.map(Number));
    for (const { id } of rows) if (!have.has(id)) this.touch(id);
  }

  /** What was published before (by this process or another): not published again when it says the same. */
  async remember() {
    const kept = await this.deps.redis.hgetall(this.names.states);
    const at = Date.now() - EVENING_FULL_MS / 2;
    for (const [shop, json] of Object.entries(kept)) {
      try {
        this.known.set(Number(shop), { fingerprint: fingerprintOf(JSON.parse(json) as EveningState), at, onShift: [], whereabouts: '' });
      } catch {
        // a state that does not read is computed again at the next change
      }
    }
  }

  stop() {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.due.clear();
    this.asked.clear();
  }

  idle() {
    return this.running?.catch(() => undefined);
  }
}

/** An open order's plan and promise move with the clock. */
const TIME_DRIVEN = [...new Set([...KITCHEN_STATUSES, ...WITH_DRIVER_STATUSES])];

/** What makes a shop due: its order events, its drivers' notices, the hubs' asks, the tick. */
class Triggers {
  private listener: PgListener | null = null;
  private asks: Redis | null = null;
  private ticker: NodeJS.Timeout | null = null;
  private lastEvent = 0;
  private reading: Promise<void> | null = null;
  private readAgain = false;
  private readSoon: NodeJS.Timeout | null = null;

  constructor(
    private readonly deps: EveningOwnerDeps,
    private readonly shops: DueShops,
  ) {}

  /** The shops of the events after the last one seen. */
  private async readEvents(): Promise<void> {
    if (this.reading) return void (this.readAgain = true);
    this.reading = (async () => {
      do {
        this.readAgain = false;
        const { rows } = await this.deps.db.query<{ shop: number; last: string }>({
          name: 'evenings-event-shops',
          text: 'SELECT pizzeria_id AS shop, max(id) AS last FROM order_events WHERE id > $1 GROUP BY pizzeria_id',
          values: [this.lastEvent],
        });
        for (const r of rows) {
          this.lastEvent = Math.max(this.lastEvent, Number(r.last));
          this.shops.touch(r.shop);
        }
      } while (this.readAgain);
    })().finally(() => (this.reading = null));
    await this.reading.catch((err) => this.deps.log.warn({ err }, 'evenings: the shops of the last events not read'));
  }

  private heard(n: { channel?: string; payload?: unknown }) {
    if (n.channel === 'order_events') {
      const newest = Number(n.payload);
      if ((!Number.isFinite(newest) || newest > this.lastEvent) && !this.readSoon) {
        this.readSoon = setTimeout(() => {
          this.readSoon = null;
          void this.readEvents();
        }, EVENING_EVENTS_READ_MS);
      }
      return;
    }
    for (const part of String(n.payload).split(',')) {
      const shop = Number(part);
      if (Number.isInteger(shop) && shop > 0) this.shops.touch(shop);
    }
  }

  async start() {
    const { db, log } = this.deps;
    await this.shops.remember();
    const { rows } = await db.query<{ id: string }>('SELECT coalesce(max(id), 0) AS id FROM order_events');
    this.lastEvent = Number(rows[0].id);
    const listener = (this.listener = createPgListener(this.deps.databaseUrl, 'ocpizza-workers'));
    listener.events.on('error', (err: unknown) => log.debug({ err }, 'evenings listener error'));
    listener.events.on('notification', (n: { channel?: string; payload?: unknown }) => this.heard(n));
    // notifications missed while the connection was away: what the events brought meanwhile
    listener.events.on('connected', () => void this.readEvents());
    await listener.connect();
    await listener.listenTo('order_events');
    await listener.listenTo('shop_evening');
    const names = eveningNames(this.deps.prefix);
    const asks = (this.asks = this.deps.redis.duplicate({ enableOfflineQueue: true, maxRetriesPerRequest: null }));
    asks.on('error', (err) => log.debug({ err }, 'evenings asks connection error'));
    asks.on('message', (_channel: string, message: string) => {
      if (message === 'missing') return void this.shops.missing().catch((err) => log.warn({ err }, 'evenings: the shops not kept not read'));
      const shop = Number(message);
      if (Number.isInteger(shop) && shop > 0) this.shops.touch(shop, Date.now(), true);
    });
    await asks.subscribe(names.wanted);
    const tick = () => void this.shops.tick().catch((err) => log.warn({ err }, 'evenings tick failed'));
    this.ticker = setInterval(tick, this.deps.tickMs ?? EVENING_TICK_MS);
    this.ticker.unref();
    tick();
    // what changed while no owner ran (this process taking over from one gone, or the first start):
    // every shop computed once now, and published only when it says something new
    void this.shops.missing(true).catch((err) => log.warn({ err }, 'evenings: the shops not kept not read'));
  }

  async stop() {
    if (this.ticker) clearInterval(this.ticker);
    if (this.readSoon) clearTimeout(this.readSoon);
    this.asks?.disconnect();
    await this.listener?.close().catch(() => undefined);
  }
}
