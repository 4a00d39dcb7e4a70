// The managers' map, fed by the socket alone: a shop's drivers (on shift, load, what they carry,
// where they are, whether their phone is connected), its plan (when each waiting ticket is fired)
// and its evening's figures, pushed to its managers and head office (`fleet:updated`; its kitchen
// gets its drivers and plan, `kitchen:drivers`) when a subscription starts, soon after any of its
// orders changes (at most once a second per shop), and every FLEET_REFRESH_MS for what changes
// without an order event (a shift started, a driver lent, a phone gone quiet). Each hub pushes to
// its own sockets only, and reads nothing for a shop nobody here is watching.
import type { Logger } from 'pino';
import { roomFor } from '../src/lib/realtime/contract.ts';
import type { FleetUpdate, KitchenDrivers, OrderForecast } from '../src/lib/shapes/views.ts';
import type { Db } from '../src/lib/server/kernel/db.ts';
import type { Road } from '../src/lib/server/road/drivers.ts';
import { firesOf, readEvening, screenPlan, shopsToPlan, type ShopEvening } from '../src/lib/server/kitchen/plan.ts';
import { driversOfShops } from '../src/lib/server/road/drivers.ts';
import type { PlannedFire } from '../src/lib/domain/fire-plan.ts';
import { DEFAULT_ETA_SETTINGS } from '../src/lib/domain/eta.ts';
import { shopFigures } from '../src/lib/server/flows/figures.ts';
import { todaysSpeed } from '../src/lib/server/kitchen/speed.ts';
import type { StageFigures } from '../src/lib/domain/speed-of-service.ts';
import type { PositionStore } from '../src/lib/server/road/positions.ts';
import type { HubServer, HubSocket } from './hub-types.ts';

/** A shop's fleet is read again at most this often, however many orders change. */
const PUSH_EVERY_MS = 1000;
/** What changes without an order event reaches the map within this. */
export const FLEET_REFRESH_MS = 15_000;
/**
 * Today's speed of service on the cards (medians over the whole day) is read again at most this
 * often: it reads every order of the day, and a minute's orders barely move a day's median.
 */
export const SPEED_REFRESH_MS = 30_000;
/**
 * A tracking page that subscribes is told from the shop's plan as last read here, when no older
 * than this: a burst of customers opening their pages (a server restarted, a rush) costs one read
 * of each shop's evening, not one per customer. Staff screens read it afresh within a second.
 */
export const PLAN_FRESH_MS = 5_000;
const STAFF_FRESH_MS = 1_000;
/**
 * Head office's map reads the chain this many shops at a time: their figures, speeds and idle
 * drivers in one query each, the plan of each shop with something to plan one after the other,
 * the hub answering other requests between two shops.
 */
const CHAIN_BATCH = 25;
/** Lets the event loop answer what waits (a page, a move) before the next shop is read. */
const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/** What a kitchen screen gets of its shop's fleet: who, and when each is expected back. */
export const kitchenCut = (f: FleetUpdate): KitchenDrivers => ({
  pizzeriaId: f.pizzeriaId,
  drivers: f.drivers.filter((d) => d.onShift || d.load).map((d) => ({ id: d.id, name: d.name, backAt: d.backAt })),
  plan: f.plan,
});

/**
 * When each shop's next push falls: each shop has its own moment of the period, the k-th shop this
 * hub pushes at the fractional part of k × the golden ratio (a shop's moment never changes as more
 * shops come, and any number of shops stay spread out: five are at least 0.14 of the period apart),
 * after an offset of this hub's own, so that two hubs do not read a shop together either. A shop is
 * never pushed twice within one period.
 */
export function pushSlots(periodMs: number, offset = Math.random()) {
  const phases = new Map<number, number>();
  const last = new Map<number, number>();
  return {
    /** The time (ms since the epoch) of the shop's next push, not before `now`. */
    next(shop: number, now: number): number {
      let phase = phases.get(shop);
      if (phase === undefined) phases.set(shop, (phase = ((phases.size * GOLDEN + offset) % 1) * periodMs));
      const earliest = Math.max(now, (last.get(shop) ?? -Infinity) + periodMs);
      // the first time at the shop's moment that is not before `earliest` (to the millisecond)
      let slot = Math.floor(earliest / periodMs) * periodMs + phase;
      if (slot < earliest - 1) slot += periodMs;
      last.set(shop, slot);
      return slot;
    },
  };
}
const GOLDEN = (Math.sqrt(5) - 1) / 2;

/** Today's speed of service per shop, read again at most every `refreshMs` (a read in flight is shared); the shops due are read together. */
function speedReader(db: Db, refreshMs: number) {
  const speeds = new Map<number, { at: number; figures: Promise<StageFigures | null> }>();
  return function speedsOf(shops: number[]): Map<number, Promise<StageFigures | null>> {
    const now = Date.now();
    const due = shops.filter((shop) => {
      const held = speeds.get(shop);
      return !(held && now - held.at < refreshMs);
    });
    if (due.length) {
      const read = todaysSpeed(db, due);
      for (const shop of due) {
        const figures = read.then((m) => m.get(shop) ?? null);
        speeds.set(shop, { at: now, figures });
        figures.catch(() => {
          if (speeds.get(shop)?.figures === figures) speeds.delete(shop);
        });
      }
    }
    return new Map(shops.map((shop) => [shop, speeds.get(shop)!.figures]));
  };
}

/** Each shop's evening as last read here, and its plan (a read in flight is shared). */
function eveningReader(db: Db, positions: PositionStore | null, road: Road) {
  const evenings = new Map<number, { at: number; read: Promise<{ evening: ShopEvening; fires: PlannedFire[]; at: number }> }>();
  return function eveningOf(shop: number, freshMs: number) {
    const last = evenings.get(shop);
    if (last && Date.now() - last.at <= freshMs) return last.read;
    const at = Date.now();
    const read = readEvening(db, shop, positions, road, at).then((evening) => ({ evening, fires: firesOf(evening, at), at }));
    evenings.set(shop, { at, read });
    read.catch(() => {
      if (evenings.get(shop)?.read === read) evenings.delete(shop);
    });
    return read;
  };
}

type ShopFleet = { fleet: FleetUpdate; fires: PlannedFire[] };

/** The shop's drivers, its plan and (for its managers, not its kitchen) its evening's figures. */
function fleetReader(db: Db, positions: PositionStore | null, road: Road, eveningOf: ReturnType<typeof eveningReader>, speedsOf: ReturnType<typeof speedReader>) {
  async function fleetOf(shop: number, kitchenOnly = false, freshMs = 0): Promise<ShopFleet> {
    // the road its drivers make at this hour: when each is back, and the plan, from the same figures
    const [read, figures, speed] = await Promise.all([
      eveningOf(shop, freshMs),
      kitchenOnly ? null : shopFigures(db, [shop], { speed: false }).then((f) => f[0] ?? null),
      kitchenOnly ? null : speedsOf([shop]).get(shop)!,
    ]);
    const fleet = { pizzeriaId: shop, drivers: read.evening.drivers, figures: figures ? { ...figures, speed } : null, plan: screenPlan(shop, read.fires, read.at) };
    return { fleet, fires: read.fires };
  }

  /**
   * Many shops' fleets, for their managers (head office's map of the chain), each handed to `each`
   * as soon as it is read: what fleetOf says of each shop, read CHAIN_BATCH shops at a time. The
   * figures, the speeds and the drivers of the shops with nothing to plan (no order in the plan, no
   * driver on shift: their plan is empty, their drivers all off shift) are one query each per batch;
   * the others' evenings are read one shop after the other, yielding to the event loop between two.
   * `stop` ends the reading early (the screen has gone).
   */
  async function fleetsOf(shops: number[], freshMs: number, each: (shop: number, read: ShopFleet) => void, stop = () => false, failed?: (shop: number, err: unknown) => void): Promise<void> {
    for (let i = 0; i < shops.length; i += CHAIN_BATCH) {
      if (stop()) return;
      const batch = shops.slice(i, i + CHAIN_BATCH);
      const speeds = speedsOf(batch);
      const [busy, figures] = await Promise.all([shopsToPlan(db, batch), shopFigures(db, batch, { speed: false })]);
      const idle = batch.filter((shop) => !busy.has(shop));
      const idleDrivers = idle.length ? await driversOfShops(db, idle, positions, road) : [];
      const figuresOf = new Map(figures.map((f) => [f.pizzeriaId, f]));
      for (const shop of batch) {
        if (stop()) return;
        let read: Awaited<ReturnType<typeof eveningOf>> | null, speed: StageFigures | null;
        try {
          [read, speed] = await Promise.all([busy.has(shop) ? eveningOf(shop, freshMs) : null, speeds.get(shop)!]);
        } catch (err) {
          // a refresh goes on with the other shops; a snapshot fails as a whole
          if (!failed) throw err;
          failed(shop, err);
          continue;
        }
        const at = read?.at ?? Date.now();
        const fires = read?.fires ?? [];
        const drivers = read?.evening.drivers ?? idleDrivers.filter((d) => d.worksFor === shop);
        const f = figuresOf.get(shop) ?? null;
        each(shop, { fleet: { pizzeriaId: shop, drivers, figures: f ? { ...f, speed } : null, plan: screenPlan(shop, fires, at) }, fires });
        await yieldToLoop();
      }
    }
  }
  return { fleetOf, fleetsOf };
}

/** Each order followed here hears when the plan expects it: when that moved by a minute or more, or at once on subscribing (`only`). */
function forecastTeller(io: HubServer) {
  const told = new Map<string, number>();
  return {
    tell(fires: readonly PlannedFire[], only?: HubSocket) {
      for (const f of fires) {
        if (only ? only.data.trackedOrderId !== f.orderId : !io.sockets.adapter.rooms.has(roomFor.order(f.orderId))) continue;
        const minute = Math.round(f.expectedAt / 60_000);
        if (!only && told.get(f.orderId) === minute) continue;
        told.set(f.orderId, minute);
        const forecast: OrderForecast = {
          orderId: f.orderId,
          readyAt: new Date(f.readyAt).toISOString(),
          expectedAt: new Date(f.expectedAt).toISOString(),
          lateMinutes: f.lateMinutes,
        };
        if (only) only.emit('order:forecast', forecast);
        else io.local.to(roomFor.order(f.orderId)).emit('order:forecast', forecast);
      }
    },
    forget(orderId: string) {
      told.delete(orderId);
    },
  };
}

const allShops = async (db: Db) => (await db.query<{ id: number }>('SELECT id FROM pizzerias ORDER BY id')).rows.map((r) => r.id);

/** A shop's fleet, read: to its managers and head office, its kitchen's cut, the forecasts of its orders followed here. */
function deliverFleet(io: HubServer, forecasts: ReturnType<typeof forecastTeller>, shop: number, { fleet, fires }: ShopFleet) {
  const watchers = (room: string) => io.sockets.adapter.rooms.get(room)?.size ?? 0;
  if (watchers(roomFor.shop(shop)) + watchers(roomFor.hq())) io.local.to([roomFor.shop(shop), roomFor.hq()]).emit('fleet:updated', fleet);
  if (watchers(roomFor.kitchen(shop))) io.local.to(roomFor.kitchen(shop)).emit('kitchen:drivers', kitchenCut(fleet));
  forecasts.tell(fires);
}

/**
 * Head office watches: every shop of the chain is read again and pushed in one pass that reads many
 * shops at once (fleetsOf), not each shop on its own timer: 250 shops each read on its own within
 * the same second kept every page of the site waiting behind them for seconds. A pass still running
 * when the next is due is not doubled; a shop that fails to read is told to `failed`, the others go on.
 */
function chainPusher(
  fleetsOf: ReturnType<typeof fleetReader>['fleetsOf'],
  deliver: (shop: number, read: ShopFleet) => void,
  stop: () => boolean,
  failed: (err: unknown, shop?: number) => void,
) {
  let pass: Promise<void> | null = null;
  return function pushChain(shops: number[]): Promise<void> {
    pass ??= fleetsOf(shops, 0, deliver, stop, (shop, err) => failed(err, shop))
      .catch((err) => failed(err))
      .finally(() => (pass = null));
    return pass;
  };
}

export function watchFleet(opts: { io: HubServer; db: Db; positions: PositionStore | null; log: Logger; refreshMs?: number; speedRefreshMs?: number; road?: Road }) {
  const { io, db, log } = opts;
  /** The shops whose push is due, each on its own timer. */
  const timers = new Map<number, NodeJS.Timeout>();
  const slots = pushSlots(PUSH_EVERY_MS);
  let closed = false;
  // the rooms of this hub's own sockets
  const rooms = () => io.sockets.adapter.rooms;
  const watchers = (room: string) => rooms().get(room)?.size ?? 0;
  // the orders followed on a tracking page here, and their shops: the plan tells each when to expect it
  const tracked = new Map<string, number>();
  const tracking = (shop: number) => [...tracked.values()].includes(shop);
  const watched = (shop: number) => watchers(roomFor.shop(shop)) + watchers(roomFor.hq()) + watchers(roomFor.kitchen(shop)) > 0 || tracking(shop);

  const road = opts.road ?? { mode: 'scooter', eta: DEFAULT_ETA_SETTINGS };
  const speedsOf = speedReader(db, opts.speedRefreshMs ?? SPEED_REFRESH_MS);
  const eveningOf = eveningReader(db, opts.positions, road);
  const { fleetOf, fleetsOf } = fleetReader(db, opts.positions, road, eveningOf, speedsOf);
  const forecasts = forecastTeller(io);

  /** Pushes one shop's fleet, plan and forecasts to this hub's sockets. */
  async function push(shop: number) {
    timers.delete(shop);
    if (closed || !watched(shop)) return;
    try {
      deliver(shop, await fleetOf(shop, watchers(roomFor.shop(shop)) + watchers(roomFor.hq()) === 0));
    } catch (err) {
      if (!closed) log.warn({ err, shop }, 'fleet push failed');
    }
  }

  const deliver = (shop: number, read: ShopFleet) => void (closed || deliverFleet(io, forecasts, shop, read));
  const pushChain = chainPusher(fleetsOf, deliver, () => closed || !watchers(roomFor.hq()), (err, shop) => void (closed || log.warn({ err, shop }, 'fleet push failed')));

  /** A snapshot still being read when the hub stops fails with the pool it read from: that is the stop, not a fault. */
  async function unlessClosed(work: () => Promise<void>) {
    try {
      await work();
    } catch (err) {
      if (!closed) throw err;
    }
  }

  /**
   * One of the shop's orders or drivers changed: its managers hear of it within a second, at the
   * shop's own moment of the second (pushSlots), so that a busy chain's shops are read spread over
   * the second, not all at once: read together, five shops' plans made every move wait behind them
   * for a tenth of a second. (A timer armed by the first change after each push kept them together:
   * in a rush every shop changes all the time.)
   */
  function touched(shop: number) {
    if (closed || timers.has(shop)) return;
    const slot = slots.next(shop, Date.now());
    timers.set(shop, setTimeout(() => void push(shop), Math.max(0, slot - Date.now())));
  }

  /** Every shop someone here watches (head office watches them all) is pushed again. */
  async function refreshWatched() {
    for (const id of tracked.keys()) if (!rooms().has(roomFor.order(id))) {
      tracked.delete(id);
      forecasts.forget(id);
    }
    if (watchers(roomFor.hq())) {
      // every shop, tracked ones included
      await pushChain(await allShops(db));
      return;
    }
    const shops = [...rooms().keys()].flatMap((room) => (/^(shop|kitchen):\d+$/.test(room) ? [Number(room.split(':')[1])] : []));
    // each at its own moment of the second, as the shops' own changes are
    for (const shop of new Set([...shops, ...tracked.values()])) touched(shop);
  }
  const every = setInterval(() => void refreshWatched().catch((err) => log.warn({ err }, 'fleet refresh failed')), opts.refreshMs ?? FLEET_REFRESH_MS);

  return {
    touched,
    /** A manager's screen just subscribed: it gets its shop's fleet (head office: every shop's, as each is read) at once; a kitchen screen its cut. */
    async sendTo(socket: HubSocket, shop: number | 'all', kitchen = false) {
      await unlessClosed(async () => {
        // head office: a screen gone meanwhile (its page left for another) needs no more shops read
        if (shop === 'all') return fleetsOf(await allShops(db), STAFF_FRESH_MS, (_, { fleet }) => socket.emit('fleet:updated', fleet), () => closed || socket.disconnected);
        const { fleet } = await fleetOf(shop, kitchen, STAFF_FRESH_MS);
        if (kitchen) socket.emit('kitchen:drivers', kitchenCut(fleet));
        else socket.emit('fleet:updated', fleet);
      });
    },
    /** A tracking page just subscribed: it hears at once when its order is expected, then as the plan moves. */
    async track(socket: HubSocket, orderId: string) {
      await unlessClosed(async () => {
        const { rows } = await db.query<{ pizzeria_id: number }>({ name: 'order-shop', text: 'SELECT pizzeria_id FROM orders WHERE id = $1', values: [orderId] });
        if (!rows[0]) return;
        tracked.set(orderId, rows[0].pizzeria_id);
        const { fires } = await eveningOf(rows[0].pizzeria_id, PLAN_FRESH_MS);
        forecasts.tell(fires, socket);
      });
    },
    close() {
      closed = true;
      clearInterval(every);
      for (const t of timers.values()) clearTimeout(t);
      timers.clear();
    },
  };
}
