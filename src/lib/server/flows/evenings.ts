// A shop's evening as its screens get it: its drivers (on shift, load, what they carry, where they
// are, whether their phone is connected, when each is back), its plan (when each waiting ticket is
// fired), its figures, and when each open order's customer is expected to have it. One workers
// process computes it (workers/evening-owner.ts), keeps the last of each shop in Redis (a hash,
// one field per shop) and publishes it on one channel; the hubs relay it to their own sockets and
// hand the kept one to a screen that subscribes (server/fleet-watch.ts). Nothing here runs in a hub.
import { createHash } from 'node:crypto';
import type { FleetUpdate, KitchenDrivers, OrderForecast } from '../../shapes/views.ts';
import type { Db } from '../kernel/db.ts';
import type { Road } from '../road/drivers.ts';
import { driversOfShops } from '../road/drivers.ts';
import type { PositionStore } from '../road/positions.ts';
import { firesOf, readEvenings, screenPlan, shopsToPlan } from '../kitchen/plan.ts';
import type { PlannedFire } from '../../domain/fire-plan.ts';
import { todaysSpeedAndDone } from '../kitchen/speed.ts';
import type { StageFigures } from '../../domain/speed-of-service.ts';
import { shopFigures } from './figures.ts';

/** What is published of a shop: its managers' and head office's fleet (its kitchen gets the cut), and its open orders' forecasts. */
export interface EveningState {
  shop: number;
  fleet: FleetUpdate;
  forecasts: OrderForecast[];
}

/** Where the evenings are kept and published, per queue prefix (the braces of a hash tag kept: one slot for the keys of a prefix). */
export const eveningNames = (prefix: string) => ({
  /** A hash: shop id → its last published state (JSON). */
  states: `${prefix}:evening-states`,
  /** The channel every state goes out on: "<shop id> <JSON>". */
  updates: `${prefix}:evening-updates`,
  /**
   * A hash: shop id → since when (ms) its evening is being computed again. A screen subscribing
   * meanwhile waits for the new state rather than being shown the kept one, older than what it knows.
   */
  pending: `${prefix}:evening-pending`,
  /** The channel a hub asks on for a shop's evening afresh ("<shop id>"), or for every shop not kept yet ("missing"). */
  wanted: `${prefix}:evening-wanted`,
});

/** A pending mark older than this is an owner gone: the kept state is shown. */
export const PENDING_TRUSTED_MS = 5_000;

/** A published message: the shop, then its state; the shop alone is read first, so that a hub watching nothing of it parses nothing. */
export const eveningMessage = (state: EveningState, json = JSON.stringify(state)) => `${state.shop} ${json}`;
export function shopOfMessage(message: string): number | null {
  const shop = Number(message.slice(0, message.indexOf(' ')));
  return Number.isInteger(shop) && shop > 0 ? shop : null;
}
export const stateOfMessage = (message: string) => JSON.parse(message.slice(message.indexOf(' ') + 1)) as EveningState;

/** What a kitchen screen gets of its shop's fleet: who, and when each is expected back. */
export const kitchenCut = (f: FleetUpdate): KitchenDrivers => ({
  pizzeriaId: f.pizzeriaId,
  drivers: f.drivers.filter((d) => d.onShift || d.load).map((d) => ({ id: d.id, name: d.name, backAt: d.backAt })),
  plan: f.plan,
});

const MINUTE = 60_000;
const minuteOf = (iso: unknown) => (typeof iso === 'string' ? Math.round(Date.parse(iso) / MINUTE) : iso);
const ROUNDED = new Set(['fireAt', 'readyAt', 'expectedAt']);

/**
 * What a state says, as a screen shows it: the same fingerprint for two readings that differ only
 * by the clock (when it was read; a driver at the shop "back now"; a time within the same minute).
 * A state is published only when this changes.
 */
export function fingerprintOf(state: EveningState): string {
  const readAt = Date.parse(state.fleet.plan.at);
  const text = JSON.stringify(state, function (this: Record<string, unknown>, key: string, value: unknown) {
    if (key === 'at' && 'fires' in this) return undefined;
    // a driver expected back by the time of reading is at the shop: "here" whatever the clock says
    if (key === 'backAt') return typeof value === 'string' && Date.parse(value) <= readAt + MINUTE ? 'here' : minuteOf(value);
    return ROUNDED.has(key) ? minuteOf(value) : value;
  });
  return createHash('sha1').update(text).digest('base64');
}

const forecastOf = (f: PlannedFire): OrderForecast => ({
  orderId: f.orderId,
  readyAt: new Date(f.readyAt).toISOString(),
  expectedAt: new Date(f.expectedAt).toISOString(),
  lateMinutes: f.lateMinutes,
});

/**
 * The evenings are read this many shops at a time: their figures, speeds, drivers and plans' orders
 * in one query each (eveningReader).
 */
const CHAIN_BATCH = 25;
/**
 * Today's speed of service on the cards (medians over the whole day) is read again at most this
 * often, and after a handover (the shop's count of orders handed over moved): it reads every order
 * of the day, and only a handover closes a stage's last time.
 */
export const SPEED_REFRESH_MS = 30_000;
/** Lets the event loop answer what waits before the next shop is read. */
const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Today's speed of service per shop, read again at most every `refreshMs` (a read in flight is shared); the shops due are read together. */
function speedReader(db: Db, refreshMs: number) {
  const speeds = new Map<number, { at: number; done: number | undefined; figures: Promise<StageFigures | null> }>();
  return function speedsOf(shops: number[], done: ReadonlyMap<number, number>): Map<number, Promise<StageFigures | null>> {
    const now = Date.now();
    const due = shops.filter((shop) => {
      const held = speeds.get(shop);
      return !(held && now - held.at < refreshMs && held.done === done.get(shop));
    });
    if (due.length) {
      const read = todaysSpeedAndDone(db, due);
      for (const shop of due) {
        const figures = read.then((m) => m.get(shop)?.figures ?? null);
        const held = { at: now, done: done.get(shop), figures };
        speeds.set(shop, held);
        // kept with the count of handovers the speed itself was read with: figures read a moment
        // before it (their count) may have missed a handover it saw, or seen one it missed
        read.then((m) => void (held.done = m.get(shop)?.done ?? held.done), () => undefined);
        figures.catch(() => {
          if (speeds.get(shop)?.figures === figures) speeds.delete(shop);
        });
      }
    }
    return new Map(shops.map((shop) => [shop, speeds.get(shop)!.figures]));
  };
}

/**
 * Reads shops' evenings, CHAIN_BATCH shops at a time, each handed to `each` as soon as it is made.
 * A batch is a handful of queries whatever its size: its figures and speeds; the drivers of the shops
 * with nothing to plan (no order in the plan, no driver on shift: their plan is empty, their drivers
 * all off shift); and the others' evenings, read together (readEvenings). Each shop's plan is then
 * made one after the other, yielding to the event loop between two. A shop that fails is told to
 * `failed`, the others go on; a batch whose read fails, each of its shops.
 */
export function eveningReader(deps: { db: Db; positions: PositionStore | null; road: Road; speedRefreshMs?: number }) {
  const { db, positions, road } = deps;
  const speedsOf = speedReader(db, deps.speedRefreshMs ?? SPEED_REFRESH_MS);
  /** What a batch of shops' evenings are made of, read in a handful of statements. */
  async function readBatch(batch: number[], at: number) {
    const [busyShops, figures] = await Promise.all([shopsToPlan(db, batch), shopFigures(db, batch, { speed: false })]);
    const speeds = speedsOf(batch, new Map(figures.map((f) => [f.pizzeriaId, f.done])));
    const idle = batch.filter((shop) => !busyShops.has(shop));
    const [idleDrivers, busy] = await Promise.all([
      idle.length ? driversOfShops(db, idle, positions, road) : [],
      readEvenings(db, batch.filter((shop) => busyShops.has(shop)), positions, road, at),
    ]);
    return { figuresOf: new Map(figures.map((f) => [f.pizzeriaId, f])), speeds, idleDrivers, busy };
  }
  /**
   * The evenings of these shops, handed over a batch at a time (up to CHAIN_BATCH states, read
   * together): what is done with them (kept, published) is done for the batch at once.
   */
  return async function evenings(shops: number[], each: (states: EveningState[]) => Promise<void> | void, failed: (shop: number, err: unknown) => void, stop = () => false): Promise<void> {
    for (let i = 0; i < shops.length; i += CHAIN_BATCH) {
      if (stop()) return;
      const batch = shops.slice(i, i + CHAIN_BATCH);
      const at = Date.now();
      const read = await readBatch(batch, at).catch((err: unknown) => {
        for (const shop of batch) failed(shop, err);
        return null;
      });
      if (!read) continue;
      const states: EveningState[] = [];
      for (const shop of batch) {
        if (stop()) return;
        try {
          const evening = read.busy.get(shop) ?? null;
          const speed = await read.speeds.get(shop)!;
          const fires = evening ? firesOf(evening, at) : [];
          const drivers = evening?.drivers ?? read.idleDrivers.filter((d) => d.worksFor === shop);
          const f = read.figuresOf.get(shop) ?? null;
          const fleet: FleetUpdate = { pizzeriaId: shop, drivers, figures: f ? { ...f, speed } : null, plan: screenPlan(shop, fires, at) };
          states.push({ shop, fleet, forecasts: fires.map(forecastOf) });
        } catch (err) {
          failed(shop, err);
        }
        await yieldToLoop();
      }
      if (stop() || !states.length) continue;
      try {
        await each(states);
      } catch (err) {
        for (const state of states) failed(state.shop, err);
      }
    }
  };
}
