// Every shop as the storefront sees it from a spot: which deliver there, which are open, and the
// time each would promise now (its kitchen's queue, its drivers' plan, the road, its oven's room).
import { DEFAULT_ETA_SETTINGS, promisedMinutes, type EtaSettings, type TravelMode } from '../../domain/eta.ts';
import { promiseRange } from '../../domain/road-speed.ts';
import { KIND_MINUTES, asapPromise } from '../../domain/slots.ts';
import { distanceM, inZone, shopsByDistance, type LatLng } from '../../domain/geo.ts';
import { isOpenAt, nextOpening } from '../../domain/opening-hours.ts';
import { listPizzerias, type Pizzeria } from '../shops/catalogue.ts';
import type { Queryable } from '../kernel/db.ts';
import { learnedRoadOf, roadAt } from '../road/road-model.ts';
import { promiseFromPlan } from '../kitchen/promise.ts';
import type { PositionStore } from '../road/positions.ts';
import { MAKING_STATUSES, sqlList } from '../../domain/order-states.ts';

export interface ShopForSpot {
  id: number;
  slug: string;
  name: string;
  distanceM: number;
  /** Whether its zone holds the spot. */
  delivers: boolean;
  open: boolean;
  /** Its online orders paused by its manager (a rush): it takes none for now, only orders for later. */
  paused: boolean;
  /** When it opens next, if it is closed now. */
  opensAt: string | null;
  /** For a shop that delivers there: the time it would promise now, in minutes (its kitchen's queue and the road). */
  promiseMinutes: number | null;
  /** The same as the window the customer reads ("25–35 min"): as wide as the shop's past promises say it keeps. */
  promiseRange: { from: number; to: number } | null;
}

/**
 * Every shop as seen from a spot: those that deliver there first, open ones before closed ones,
 * nearest first; the storefront suggests the first.
 */
export async function shopsForSpot(
  q: Queryable,
  at: LatLng,
  opts: { pizzas?: number; eta?: EtaSettings; mode?: TravelMode; now?: Date; positions?: PositionStore | null } = {},
): Promise<ShopForSpot[]> {
  const now = opts.now ?? new Date();
  const [all, queues, loads] = await Promise.all([listPizzerias(q), kitchenQueues(q), slotLoadsAhead(q)]);
  // a training shop is its staff's, never a customer's
  const shops = all.filter((s) => !s.training);
  const perPizza = KIND_MINUTES.pizza.make + KIND_MINUTES.pizza.bake;
  const places = shops.map((s) => ({ ...s, location: { lat: s.lat, lng: s.lng } }));
  // the road each shop's drivers make at this hour, and the window its past promises kept
  const base = { mode: opts.mode ?? 'scooter', eta: opts.eta ?? DEFAULT_ETA_SETTINGS } as const;
  const roads = new Map(await Promise.all(shops.map(async (s) => {
    const road = await roadAt(q, s.id, base, now.getTime());
    const learned = await learnedRoadOf(q, s.id, base.eta.roadFactor, now.getTime());
    // behind the orders its drivers already have, for a shop that delivers here
    const rule = promisedMinutes({ items: opts.pizzas ?? 1, itemsAhead: queues.get(s.id) ?? 0, delivery: { distanceM: distanceM(at, s), mode: road.mode } }, road.eta);
    const planned = inZone(at, s.zone) ? await promiseFromPlan(q, opts.positions ?? null, s, at, rule, road, now.getTime(), false) : rule;
    return [s.id, { road, learned, planned }] as const;
  })));
  return shopsByDistance(at, places)
    .map((s) => {
      const { learned, planned } = roads.get(s.id)!;
      const open = !s.openingHours || isOpenAt(s.openingHours, now);
      const next = open || !s.openingHours ? null : nextOpening(s.openingHours, now);
      const delivers = inZone(at, s.zone);
      // as placing promises it: the queue and the road, the manager's busy minutes, the oven's room
      const promise = delivers
        ? asapPromise({
            ruleMinutes: planned,
            busyMinutes: s.busyMinutes, need: (opts.pizzas ?? 1) * perPizza, capacity: s.ovenMinutesPerSlot, load: loads.get(s.id) ?? new Map(), now: now.getTime(),
          }).minutes
        : null;
      return {
        id: s.id, slug: s.slug, name: s.name, distanceM: Math.round(s.distanceM), delivers, open, paused: s.onlinePaused, opensAt: next?.toISOString() ?? null,
        promiseMinutes: promise, promiseRange: promise === null ? null : promiseRange(promise, learned),
      };
    })
    .sort((a, b) => Number(b.delivers) - Number(a.delivers) || Number(b.open) - Number(a.open) || a.distanceM - b.distanceM);
}

/**
 * The time a shop would promise an order collected there now, as placing promises it: its kitchen's
 * queue and this order, the manager's busy minutes, the oven's room; with the window its past
 * promises say it keeps.
 */
export async function pickupPromise(
  q: Queryable,
  shop: Pizzeria,
  opts: { pizzas?: number; eta?: EtaSettings; now?: Date } = {},
): Promise<{ minutes: number; range: { from: number; to: number } }> {
  const now = opts.now ?? new Date();
  const eta = opts.eta ?? DEFAULT_ETA_SETTINGS;
  const pizzas = opts.pizzas ?? 1;
  const [queues, loads, road, learned] = await Promise.all([
    kitchenQueues(q), slotLoadsAhead(q), roadAt(q, shop.id, { mode: 'scooter', eta }, now.getTime()), learnedRoadOf(q, shop.id, eta.roadFactor, now.getTime()),
  ]);
  const rule = promisedMinutes({ items: pizzas, itemsAhead: queues.get(shop.id) ?? 0, delivery: null }, road.eta);
  const { minutes } = asapPromise({
    ruleMinutes: rule, busyMinutes: shop.busyMinutes, need: pizzas * (KIND_MINUTES.pizza.make + KIND_MINUTES.pizza.bake),
    capacity: shop.ovenMinutesPerSlot, load: loads.get(shop.id) ?? new Map(), now: now.getTime(),
  });
  return { minutes, range: promiseRange(minutes, learned) };
}

/** The oven minutes each shop's next slots hold (five hours ahead): shop → slot start (ms) → minutes. */
async function slotLoadsAhead(q: Queryable): Promise<Map<number, Map<number, number>>> {
  const { rows } = await q.query<{ pizzeria_id: number; at: string; minutes: string }>({
    name: 'slot-loads-ahead',
    text: `SELECT pizzeria_id, (extract(epoch FROM slot_at) * 1000)::bigint AS at, sum(oven_minutes) AS minutes FROM orders
           WHERE status <> 'cancelled' AND slot_at >= now() - interval '15 minutes' AND slot_at < now() + interval '5 hours'
           GROUP BY pizzeria_id, slot_at`,
  });
  const out = new Map<number, Map<number, number>>();
  for (const r of rows) {
    const shop = out.get(r.pizzeria_id) ?? new Map<number, number>();
    shop.set(Number(r.at), Number(r.minutes));
    out.set(r.pizzeria_id, shop);
  }
  return out;
}

/** Pizzas each kitchen has ahead (received or in the oven; an order for later only once fired). */
async function kitchenQueues(q: Queryable): Promise<Map<number, number>> {
  const { rows } = await q.query<{ pizzeria_id: number; pizzas: number }>({
    name: 'kitchen-queues',
    text: `SELECT o.pizzeria_id, sum(o.pizzas)::int AS pizzas FROM orders o
           WHERE o.status IN (${sqlList(MAKING_STATUSES)}) AND (o.fire_at IS NULL OR o.fired_at IS NOT NULL) GROUP BY o.pizzeria_id`,
  });
  return new Map(rows.map((r) => [r.pizzeria_id, r.pizzas]));
}
