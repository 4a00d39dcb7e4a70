// The managers' map, fed by the socket alone: a shop's drivers (on shift, load, what they carry,
// where they are, whether their phone is connected), its plan (when each waiting ticket is fired)
// and its evening's figures, pushed to its managers and head office (`fleet:updated`; its kitchen
// gets its drivers and plan, `kitchen:drivers`) when a subscription starts, soon after any of its
// orders changes (at most once a second per shop), and every FLEET_REFRESH_MS for what changes
// without an order event (a shift started, a driver lent, a phone gone quiet). Each hub pushes to
// its own sockets only, and reads nothing for a shop nobody here is watching.
import type { Logger } from 'pino';
import { roomFor, type FirePlan, type FleetUpdate, type KitchenDrivers, type OrderForecast } from '../src/lib/realtime/contract.ts';
import type { Db } from '../src/lib/server/db.ts';
import type { Road } from '../src/lib/server/drivers.ts';
import { planOf, readEvening } from '../src/lib/server/kitchen/plan.ts';
import { DEFAULT_ETA_SETTINGS } from '../src/lib/domain/eta.ts';
import { shopFigures } from '../src/lib/server/figures.ts';
import { todaysSpeed } from '../src/lib/server/kitchen/speed.ts';
import type { StageFigures } from '../src/lib/domain/speed-of-service.ts';
import type { PositionStore } from '../src/lib/server/positions.ts';
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

/** What a kitchen screen gets of its shop's fleet: who, and when each is expected back. */
export const kitchenCut = (f: FleetUpdate): KitchenDrivers => ({
  pizzeriaId: f.pizzeriaId,
  drivers: f.drivers.filter((d) => d.onShift || d.load).map((d) => ({ id: d.id, name: d.name, backAt: d.backAt })),
  plan: f.plan,
});

export function watchFleet(opts: { io: HubServer; db: Db; positions: PositionStore | null; log: Logger; refreshMs?: number; speedRefreshMs?: number; road?: Road }) {
  const { io, db, log } = opts;
  const due = new Set<number>();
  let timer: NodeJS.Timeout | null = null;
  let closed = false;
  // the rooms of this hub's own sockets
  const rooms = () => io.sockets.adapter.rooms;
  const watchers = (room: string) => rooms().get(room)?.size ?? 0;
  // the orders followed on a tracking page here, and their shops: the plan tells each when to expect it
  const tracked = new Map<string, number>();
  const tracking = (shop: number) => [...tracked.values()].includes(shop);
  const watched = (shop: number) => watchers(roomFor.shop(shop)) + watchers(roomFor.hq()) + watchers(roomFor.kitchen(shop)) > 0 || tracking(shop);

  const speeds = new Map<number, { at: number; figures: Promise<StageFigures | null> }>();
  function speedOf(shop: number): Promise<StageFigures | null> {
    const held = speeds.get(shop);
    if (held && Date.now() - held.at < (opts.speedRefreshMs ?? SPEED_REFRESH_MS)) return held.figures;
    const figures = todaysSpeed(db, [shop]).then((m) => m.get(shop) ?? null);
    speeds.set(shop, { at: Date.now(), figures });
    figures.catch(() => speeds.delete(shop));
    return figures;
  }

  const road: Road = opts.road ?? { mode: 'scooter', eta: DEFAULT_ETA_SETTINGS };
  /** The shop's drivers, its plan and (for its managers, not its kitchen) its evening's figures. */
  async function fleetOf(shop: number, kitchenOnly = false): Promise<FleetUpdate> {
    // the road its drivers make at this hour: when each is back, and the plan, from the same figures
    const [evening, figures, speed] = await Promise.all([
      readEvening(db, shop, opts.positions, road),
      kitchenOnly ? null : shopFigures(db, [shop], { speed: false }).then((f) => f[0] ?? null),
      kitchenOnly ? null : speedOf(shop),
    ]);
    return { pizzeriaId: shop, drivers: evening.drivers, figures: figures ? { ...figures, speed } : null, plan: planOf(shop, evening) };
  }

  async function push() {
    timer = null;
    const shops = [...due];
    due.clear();
    for (const shop of shops) {
      if (closed || !watched(shop)) continue;
      try {
        const fleet = await fleetOf(shop, watchers(roomFor.shop(shop)) + watchers(roomFor.hq()) === 0);
        io.local.to([roomFor.shop(shop), roomFor.hq()]).emit('fleet:updated', fleet);
        io.local.to(roomFor.kitchen(shop)).emit('kitchen:drivers', kitchenCut(fleet));
        tellForecasts(fleet.plan);
      } catch (err) {
        if (!closed) log.warn({ err, shop }, 'fleet push failed');
      }
    }
  }

  /** Each order followed here hears when the plan expects it: when that moved by a minute or more, or at once on subscribing (`only`). */
  const told = new Map<string, number>();
  function tellForecasts(plan: FirePlan, only?: HubSocket) {
    for (const f of plan.fires) {
      if (only ? only.data.trackedOrderId !== f.orderId : !rooms().has(roomFor.order(f.orderId))) continue;
      const minute = Math.round(Date.parse(f.expectedAt) / 60_000);
      if (!only && told.get(f.orderId) === minute) continue;
      told.set(f.orderId, minute);
      const forecast: OrderForecast = { orderId: f.orderId, readyAt: f.readyAt, expectedAt: f.expectedAt, lateMinutes: f.lateMinutes };
      if (only) only.emit('order:forecast', forecast);
      else io.local.to(roomFor.order(f.orderId)).emit('order:forecast', forecast);
    }
  }

  /** A snapshot still being read when the hub stops fails with the pool it read from: that is the stop, not a fault. */
  async function unlessClosed(work: () => Promise<void>) {
    try {
      await work();
    } catch (err) {
      if (!closed) throw err;
    }
  }

  /** One of the shop's orders or drivers changed: its managers hear of it within a second. */
  function touched(shop: number) {
    if (closed) return;
    due.add(shop);
    timer ??= setTimeout(() => void push(), PUSH_EVERY_MS);
  }

  /** Every shop someone here watches (head office watches them all) is pushed again. */
  async function refreshWatched() {
    for (const id of tracked.keys()) if (!rooms().has(roomFor.order(id))) {
      tracked.delete(id);
      told.delete(id);
    }
    const shops = watchers(roomFor.hq())
      ? (await db.query<{ id: number }>('SELECT id FROM pizzerias ORDER BY id')).rows.map((r) => r.id)
      : [...rooms().keys()].flatMap((room) => (/^(shop|kitchen):\d+$/.test(room) ? [Number(room.split(':')[1])] : []));
    for (const shop of new Set([...shops, ...tracked.values()])) touched(shop);
  }
  const every = setInterval(() => void refreshWatched().catch((err) => log.warn({ err }, 'fleet refresh failed')), opts.refreshMs ?? FLEET_REFRESH_MS);

  return {
    touched,
    /** A manager's screen just subscribed: it gets its shop's fleet (head office: every shop's) at once; a kitchen screen its cut. */
    async sendTo(socket: HubSocket, shop: number | 'all', kitchen = false) {
      await unlessClosed(async () => {
        const shops = shop === 'all' ? (await db.query<{ id: number }>('SELECT id FROM pizzerias ORDER BY id')).rows.map((r) => r.id) : [shop];
        for (const s of shops) {
          const fleet = await fleetOf(s, kitchen);
          if (kitchen) socket.emit('kitchen:drivers', kitchenCut(fleet));
          else socket.emit('fleet:updated', fleet);
        }
      });
    },
    /** A tracking page just subscribed: it hears at once when its order is expected, then as the plan moves. */
    async track(socket: HubSocket, orderId: string) {
      await unlessClosed(async () => {
        const { rows } = await db.query<{ pizzeria_id: number }>('SELECT pizzeria_id FROM orders WHERE id = $1', [orderId]);
        if (!rows[0]) return;
        tracked.set(orderId, rows[0].pizzeria_id);
        const fleet = await fleetOf(rows[0].pizzeria_id, true);
        tellForecasts(fleet.plan, socket);
      });
    },
    close() {
      closed = true;
      clearInterval(every);
      if (timer) clearTimeout(timer);
    },
  };
}
