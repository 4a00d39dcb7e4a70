// An evening of one shop in virtual time, to measure its rules rather than guess: the same customers
// (placed at the same minutes, at the same doors) served twice, once firing every order the moment
// it is taken and once as the shop's plan fires it (src/lib/domain/fire-plan.ts). The kitchen and
// the road keep their own pace: cooks take a little more or less than the rule says, and the road
// is slower in the rush and never exactly the estimate, which only the plan's estimates ignore.
// The second also promises from the plan (behind the drivers its orders already have), on the road
// and at the kitchen's pace it learned, as the shop does now; the first promises on the oven's queue
// and the road at the rule's estimates alone, as it did before. Both are judged kept by one rule
// (isKept: done at most 5 minutes past the promise), whatever window each told its customers.
// Pure and seeded: one seed gives one evening; `npm run simulate -- --evening` prints the table.
import { DEFAULT_ETA_SETTINGS, kitchenMinutes, promisedMinutes, travelMinutes, type EtaSettings } from './eta.ts';
import { DEFAULT_PLAN_SETTINGS, plannedPromise, planFires, type PlanSettings, type PlannedFire, type WaitingOrder } from './fire-plan.ts';
import { SPREAD_RANGE, etaAt, learnRoad, spreadOf, type LearnedRoad, type RoadSample } from './road-speed.ts';
import { kitchenAt, learnKitchen, type KitchenSample, type LearnedKitchen } from './kitchen-pace.ts';
import { isKept } from './promise-figures.ts';
import { distanceM, type LatLng } from './geo.ts';
import { KIND_MINUTES } from './slots.ts';

export type FirePolicy = 'at_once' | 'planned' | 'planned_blind';

export interface EveningOptions {
  seed: number;
  /** Orders in the evening (18:30 to 22:30). */
  orders: number;
  /** Share of them in the rush, 19:30 to 21:00 (the rest spread over the evening). */
  rushShare?: number;
  drivers: number;
  /** Pizzaiolos making at once (the oven holds what they make). */
  cooks: number;
  /** Doors up to this far from the shop. */
  radiusM: number;
  eta?: EtaSettings;
  /**
   * Share of all the evening's orders that come from the delivery platforms, collected at the shop
   * by the platform's courier (10 to 20 minutes after the order): on top of `orders`, the same
   * customers of our own either way. 0 by default.
   */
  platformShare?: number;
}

export interface EveningFigures {
  policy: FirePolicy;
  delivered: number;
  /** Share of the promises kept (isKept: delivered at most 5 minutes past the promise, the same for both policies). */
  promiseKept: number;
  /** The window the customer was told either side of the promise, in minutes (not what "kept" is judged by). */
  spreadMinutes: number;
  /** Minutes between the first promise and the door: mean absolute, and the 90th percentile of the absolute. */
  etaMae: number;
  etaP90: number;
  /** Minutes between what the tracking page said (every 5 minutes until the door) and the door: mean absolute, p90. */
  liveMae: number;
  liveP90: number;
  /** Minutes a ready order waited at the shop for its driver (a pizza going cold): median, mean and 90th percentile. */
  waitMedian: number;
  waitMean: number;
  waitP90: number;
  /** Minutes drivers stood at the shop, free, while orders were in the oven: per trip. */
  driverWaitPerTrip: number;
  /** Minutes from order to door, mean. */
  doorMean: number;
  ordersPerDriverHour: number;
  ordersPerTrip: number;
  /** The platforms' orders: how many, the share ready when their courier walked in, and the courier's mean wait at the shop (minutes). */
  platform: { orders: number; readyForCourier: number; courierWaitMean: number };
}

const STEP = 0.25; // minutes
const START = 18.5 * 60;
const END = 22.5 * 60;
const HANDOVER = 1; // minutes from a driver at the shop with the bags to leaving
const STOP = 2; // minutes at a door

/** mulberry32: a small seeded generator, the same numbers for the same seed on every machine. */
function random(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Customer {
  id: string;
  at: number;
  door: LatLng;
  items: number;
  cookFactor: number;
  roadFactor: number;
  /** A platform's order: when its courier walks into the shop (it has no door of ours). */
  courierAt?: number;
}

/** The evening's customers: when each orders (a rush from 19:30 to 21:00), where, how many pizzas, and how the kitchen and the road will really go for them. */
function customersOf(o: EveningOptions): Customer[] {
  const rnd = random(o.seed);
  const shop = { lat: 48.86, lng: 2.37 };
  const out: Customer[] = [];
  for (let i = 0; i < o.orders; i++) {
    // most in the rush, the rest spread over the evening
    const at = rnd() < (o.rushShare ?? 0.7) ? 19.5 * 60 + rnd() * 90 : START + rnd() * (END - START - 30);
    const r = o.radiusM * Math.sqrt(0.05 + 0.95 * rnd());
    const bearing = rnd() * 2 * Math.PI;
    const door = { lat: shop.lat + (r * Math.cos(bearing)) / 111_320, lng: shop.lng + (r * Math.sin(bearing)) / (111_320 * Math.cos((shop.lat * Math.PI) / 180)) };
    const items = 1 + Math.floor(rnd() * 3);
    // a cook 15 % either way of the rule; the road 25 % either way, and 20 % slower in the rush
    const cookFactor = 0.85 + rnd() * 0.3;
    const rush = at >= 19.5 * 60 && at <= 21 * 60 ? 1.2 : 1;
    out.push({ id: `c${i}`, at, door, items, cookFactor, roadFactor: rush * (0.75 + rnd() * 0.5) });
  }
  return [...out, ...platformOrdersOf(o, shop)].sort((a, b) => a.at - b.at);
}

/** The platforms' orders of the evening (their own seed, so our customers stay the same): a courier walks in 10 to 20 minutes after each. */
function platformOrdersOf(o: EveningOptions, shop: LatLng): Customer[] {
  const share = Math.min(0.9, Math.max(0, o.platformShare ?? 0));
  const count = Math.round((o.orders * share) / (1 - share));
  const rnd = random(o.seed * 7919 + 17);
  return Array.from({ length: count }, (_, i) => {
    const at = rnd() < (o.rushShare ?? 0.7) ? 19.5 * 60 + rnd() * 90 : START + rnd() * (END - START - 30);
    return { id: `p${i}`, at, door: shop, items: 1 + Math.floor(rnd() * 3), cookFactor: 0.85 + rnd() * 0.3, roadFactor: 1, courierAt: at + 10 + rnd() * 10 };
  });
}

interface Order extends Customer {
  promisedAt: number;
  /** What the tracking page said, every 5 minutes. */
  said: number[];
  /** The road to its door as estimated when it left. */
  estimatedRoad?: number;
  firedAt: number | null;
  readyAt: number | null;
  leftAt: number | null;
  deliveredAt: number | null;
  driver: number | null;
}

interface Driver { id: number; freeAt: number; expectedBack: number; trips: number }

const pct = (xs: number[], p: number) => {
  if (!xs.length) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(s.length * p) - 1)];
};
const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);
const r1 = (x: number) => Math.round(x * 10) / 10;

/** What an evening leaves behind for the next: its deliveries (the road as driven), its kitchen's orders (as made) and how its promises went. */
interface History { samples: RoadSample[]; errors: number[]; kitchen: KitchenSample[] }

/**
 * One evening under one policy. The plan, as the shop does, promises and fires on the road and at the
 * kitchen's pace it learned from earlier evenings of its own (`learned`, `kitchen`); firing at once
 * promises on the rule.
 */
export function runEvening(
  o: EveningOptions,
  policy: FirePolicy,
  learned: LearnedRoad | null = null,
  history?: History,
  kitchen: LearnedKitchen | null = null,
): EveningFigures {
  const evening = new Evening(o, policy, learned, history, kitchen);
  for (let now = START; now <= END + 180; now += STEP) {
    evening.step(now);
    if (evening.over(now)) break;
  }
  return evening.figures();
}

const SHOP = { lat: 48.86, lng: 2.37 };

/** An evening as it goes, step by step: its orders, its drivers, its cooks and the kitchen's queue. */
class Evening {
  readonly o: EveningOptions;
  readonly policy: FirePolicy;
  readonly learned: LearnedRoad | null;
  readonly history: History | undefined;
  readonly kitchen: LearnedKitchen | null;
  readonly base: EtaSettings;
  readonly spread: number;
  readonly orders: Order[];
  readonly drivers: Driver[];
  readonly cooks: number[];
  readonly kitchenQueue: Order[] = [];
  driverIdle = 0;
  next = 0;
  plan: PlannedFire[] = [];

  constructor(o: EveningOptions, policy: FirePolicy, learned: LearnedRoad | null, history: History | undefined, kitchen: LearnedKitchen | null) {
    this.o = o;
    this.policy = policy;
    this.learned = learned;
    this.history = history;
    this.kitchen = kitchen;
    this.base = o.eta ?? DEFAULT_ETA_SETTINGS;
    this.spread = policy !== 'at_once' ? spreadOf(learned) : SPREAD_RANGE.min;
    this.orders = customersOf(o).map((c) => ({ ...c, promisedAt: 0, firedAt: null, readyAt: null, leftAt: null, deliveredAt: null, driver: null, said: [] }));
    this.drivers = Array.from({ length: o.drivers }, (_, i) => ({ id: i + 1, freeAt: START, expectedBack: START, trips: 0 }));
    this.cooks = Array.from({ length: o.cooks }, () => START);
  }

  etaAtMinute(now: number) {
    const hour = Math.floor(now / 60) % 24;
    return this.policy === 'planned' ? kitchenAt(etaAt(this.base, 'scooter', this.learned, hour), this.kitchen, hour) : this.base;
  }

  road(a: LatLng, b: LatLng, now: number) {
    return travelMinutes(distanceM(a, b), 'scooter', this.etaAtMinute(now));
  }

  step(now: number) {
    const eta = this.etaAtMinute(now);
    const settings = { ...DEFAULT_PLAN_SETTINGS, eta };
    this.take(now, eta, settings);
    const placed = this.orders.slice(0, this.next);
    this.fireDue(placed, now, settings);
    this.tellTracking(placed, now);
    this.cook(now);
    // the platforms' couriers walk in and take their orders once ready
    for (const x of placed) {
      if (x.courierAt === undefined || x.leftAt !== null || x.courierAt > now || x.readyAt === null || x.readyAt > now) continue;
      x.leftAt = now;
      x.deliveredAt = now;
    }
    for (const d of this.drivers) this.sendOut(d, placed, now);
    // a driver back early or late is seen as back when they are
    for (const d of this.drivers) if (d.freeAt <= now) d.expectedBack = now;
  }

  /** Whether every order is placed and at its door. */
  over(now: number) {
    return this.next >= this.orders.length && this.orders.every((x) => x.deliveredAt !== null && x.deliveredAt <= now);
  }

  /**
   * New orders, promised as the shop promises: the queue ahead and the road, in fives; with the
   * plan, behind the drivers its orders already have too.
   */
  take(now: number, eta: EtaSettings, settings: PlanSettings) {
    const { orders, policy } = this;
    while (this.next < orders.length && orders[this.next].at <= now) {
      const c = orders[this.next++];
      if (c.courierAt !== undefined) {
        // a platform's order, ready for its courier. On the make line, the shop accepts it with the time
        // its kitchen can make it by (the queue it sees), and the platform sends its courier for then;
        // cooked from the platform's tablet, it was accepted with the platform's own time, fired at once
        if (policy !== 'planned_blind') c.courierAt = Math.max(c.courierAt, now + kitchenMinutes(this.inLine(), c.items, eta));
        c.promisedAt = c.courierAt;
        if (policy !== 'planned') this.fire(c, now);
        continue;
      }
      const ahead = orders.filter((x) => x.at < c.at && x.readyAt === null && x !== c && this.seen(x)).reduce((n, x) => n + x.items, 0);
      const rule = promisedMinutes({ items: c.items, itemsAhead: ahead, delivery: { distanceM: distanceM(SHOP, c.door), mode: 'scooter' } }, eta);
      c.promisedAt = c.at + (policy !== 'at_once' ? plannedPromise(this.planOrders(orders.slice(0, this.next - 1), now), this.driversBack(), { roadMinutes: this.road(SHOP, c.door, now) }, rule, now * 60_000, this.inLine(), settings) : rule);
    }
  }

  /** Firing: at once, or when the plan says (it knows the estimates and the drivers' expected returns, not the real road). */
  fireDue(placed: Order[], now: number, settings: PlanSettings) {
    const waiting = placed.filter((x) => x.firedAt === null);
    if (this.policy !== 'at_once' && placed.some((x) => x.leftAt === null)) this.plan = planFires(this.planOrders(placed, now), this.driversBack(), now * 60_000, this.inLine(), settings);
    if (this.policy === 'at_once') for (const x of waiting) this.fire(x, now);
    else if (waiting.length) {
      const due = new Set(this.plan.filter((p) => p.fireAt <= now * 60_000).map((p) => p.orderId));
      for (const x of waiting) if (due.has(x.id)) this.fire(x, now);
    }
  }

  /** What each tracking page says, every 5 minutes until the door: the plan's time, or the rule's countdown. */
  tellTracking(placed: Order[], now: number) {
    if (Math.abs(now / 5 - Math.round(now / 5)) >= 1e-9) return;
    const expected = new Map(this.plan.map((p) => [p.orderId, p.expectedAt / 60_000]));
    for (const x of placed) {
      if (x.deliveredAt !== null && x.deliveredAt <= now) continue;
      if (x.courierAt !== undefined) continue;
      x.said.push(x.leftAt !== null ? x.leftAt + x.estimatedRoad! : this.policy !== 'at_once' ? (expected.get(x.id) ?? now) : this.ruleEstimate(x, now));
    }
  }

  /**
   * The kitchen: each cook takes the next fired order and makes its pizzas (3 minutes each, give
   * or take), then they bake 6 minutes in an oven that holds several, and are boxed in one.
   */
  cook(now: number) {
    const { cooks, kitchenQueue } = this;
    for (let k = 0; k < cooks.length; k++) {
      if (cooks[k] > now || !kitchenQueue.length) continue;
      const x = kitchenQueue.shift()!;
      const make = KIND_MINUTES.pizza.make * x.items * x.cookFactor;
      cooks[k] = now + make;
      x.readyAt = now + make + KIND_MINUTES.pizza.bake + 1;
      // started to ready, as the shop's orders teach its kitchen's pace
      this.history?.kitchen.push({ hour: Math.floor(now / 60) % 24, items: x.items, minutes: x.readyAt - now });
    }
  }

  /** A driver at the shop takes the oldest ready orders, up to three promised within 10 minutes of each other. */
  sendOut(d: Driver, placed: Order[], now: number) {
    if (d.freeAt > now) return;
    const ready = placed.filter((x) => x.courierAt === undefined && x.readyAt !== null && x.readyAt <= now && x.leftAt === null).sort((a, b) => a.promisedAt - b.promisedAt);
    if (!ready.length) {
      // free at the shop while pizzas are in the oven: waiting for them
      if (placed.some((x) => x.courierAt === undefined && x.firedAt !== null && x.leftAt === null)) this.driverIdle += STEP;
      return;
    }
    const trip = ready.filter((x) => x.promisedAt - ready[0].promisedAt <= 10).slice(0, DEFAULT_PLAN_SETTINGS.maxPerTrip);
    let at = SHOP;
    let t = now + HANDOVER;
    let estimate = now + HANDOVER;
    const left = [...trip];
    while (left.length) {
      left.sort((a, b) => distanceM(at, a.door) - distanceM(at, b.door));
      const x = left.shift()!;
      const real = travelMinutes(distanceM(at, x.door), 'scooter', this.base) * x.roadFactor;
      t += real;
      estimate += this.road(at, x.door, now);
      x.leftAt = now + HANDOVER;
      x.estimatedRoad = estimate - x.leftAt;
      x.deliveredAt = t;
      x.driver = d.id;
      this.history?.samples.push({ hour: Math.floor(x.leftAt / 60) % 24, metres: distanceM(at, x.door), minutes: real });
      t += STOP;
      estimate += STOP;
      at = x.door;
    }
    d.freeAt = t + travelMinutes(distanceM(at, SHOP), 'scooter', this.base) * trip[trip.length - 1].roadFactor;
    // what the plan can know: the estimates, not the road's real times
    d.expectedBack = estimate + this.road(at, SHOP, now);
    d.trips += 1;
  }

  /** What the plan sees: the orders not gone yet, with the estimated times (ms). */
  planOrders(list: Order[], now: number): WaitingOrder[] {
    const eta = this.etaAtMinute(now);
    return list.filter((x) => x.leftAt === null && this.seen(x)).map((x) => ({
      id: x.id, fulfilment: x.courierAt === undefined ? 'delivery' : 'pickup', promisedAt: x.promisedAt * 60_000, items: x.items,
      roadMinutes: x.courierAt === undefined ? this.road(SHOP, x.door, now) : 0,
      startedReadyAt: x.firedAt === null ? null : (x.readyAt ?? x.firedAt + kitchenMinutes(0, x.items, eta)) * 60_000,
      driverId: x.driver,
      // a courier's order fires to be ready as the courier walks in
      fixedFireAt: x.courierAt === undefined || x.firedAt !== null ? null : Math.max(now, x.courierAt - kitchenMinutes(this.inLine(), x.items, eta)) * 60_000,
    }));
  }

  /** Whether the shop's plan sees this order: a platform's order is on the make line, unless it is cooked from the platform's tablet. */
  seen(x: Order) {
    return x.courierAt === undefined || this.policy !== 'planned_blind';
  }

  driversBack() {
    return this.drivers.map((d) => ({ id: d.id, backAt: d.expectedBack * 60_000 }));
  }

  inLine() {
    return this.kitchenQueue.filter((x) => this.seen(x)).reduce((n, x) => n + x.items, 0);
  }

  /** The tracking page's countdown before the plan: the oven (its queue), the handover and the road, by the rule. */
  ruleEstimate(x: Order, now: number) {
    const ready = x.readyAt ?? (x.firedAt ?? now) + kitchenMinutes(this.inLine(), x.items, this.base);
    return Math.max(now, ready) + this.base.handoverMinutes + this.road(SHOP, x.door, now);
  }

  fire(x: Order, now: number) {
    x.firedAt = now;
    this.kitchenQueue.push(x);
  }

  figures(): EveningFigures {
    const { orders, drivers, o } = this;
    const platform = orders.filter((x) => x.courierAt !== undefined && x.leftAt !== null);
    const done = orders.filter((x) => x.courierAt === undefined && x.deliveredAt !== null);
    const errors = done.map((x) => x.deliveredAt! - x.promisedAt);
    this.history?.errors.push(...errors);
    const live = done.flatMap((x) => x.said.map((said) => Math.abs(said - x.deliveredAt!)));
    const waits = done.map((x) => x.leftAt! - x.readyAt!);
    const trips = drivers.reduce((n, d) => n + d.trips, 0);
    return {
      policy: this.policy,
      delivered: done.length,
      promiseKept: done.length ? done.filter((x) => isKept(x.deliveredAt! - x.promisedAt)).length / done.length : 0,
      spreadMinutes: this.spread,
      etaMae: r1(mean(errors.map(Math.abs))),
      etaP90: r1(pct(errors.map(Math.abs), 0.9)),
      liveMae: r1(mean(live)),
      liveP90: r1(pct(live, 0.9)),
      waitMedian: r1(pct(waits, 0.5)),
      waitMean: r1(mean(waits)),
      waitP90: r1(pct(waits, 0.9)),
      driverWaitPerTrip: trips ? r1(this.driverIdle / trips) : 0,
      doorMean: r1(mean(done.map((x) => x.deliveredAt! - x.at))),
      ordersPerDriverHour: r1(done.length / (o.drivers * ((END - START) / 60))),
      ordersPerTrip: trips ? r1(done.length / trips) : 0,
      platform: {
        orders: platform.length,
        readyForCourier: platform.length ? platform.filter((x) => x.readyAt! <= x.courierAt!).length / platform.length : 0,
        courierWaitMean: r1(mean(platform.map((x) => x.leftAt! - x.courierAt!))),
      },
    };
  }
}

/**
 * The same evening under both policies. The plan first learns its road, its window and its kitchen's
 * pace from the shop's earlier evenings (three, with other customers: other seeds), as the shop learns
 * from its last 28 days.
 */
export function compareEvening(o: EveningOptions): [EveningFigures, EveningFigures, ...EveningFigures[]] {
  const rows: [EveningFigures, EveningFigures, ...EveningFigures[]] = [runEvening(o, 'at_once'), learnedEvening(o, 'planned')];
  // with platforms' orders: the same plan blind to them (cooked from the platforms' tablets), as the
  // shop did before they reached its make line, having learned from evenings of its own like it
  if ((o.platformShare ?? 0) > 0) rows.push(learnedEvening(o, 'planned_blind'));
  return rows;
}

/** The plan's evening after three earlier evenings of the same policy to learn from. */
function learnedEvening(o: EveningOptions, policy: 'planned' | 'planned_blind'): EveningFigures {
  const base = o.eta ?? DEFAULT_ETA_SETTINGS;
  const history: History = { samples: [], errors: [], kitchen: [] };
  let learned: LearnedRoad | null = null;
  let kitchen: LearnedKitchen | null = null;
  for (const earlier of [1, 2, 3]) {
    runEvening({ ...o, seed: o.seed * 1000 + earlier }, policy, learned, history, kitchen);
    learned = learnRoad(history.samples, base.roadFactor, history.errors.slice(-o.orders));
    kitchen = learnKitchen(history.kitchen, base);
  }
  return runEvening(o, policy, learned, undefined, kitchen);
}
