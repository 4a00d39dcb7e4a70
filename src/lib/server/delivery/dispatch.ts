// Dispatch by distance: a ready delivery is offered first to the driver the shop's plan chose for
// it (the one its kitchen ticket names), when they are there to take it, else to the best driver of
// its shop (nearest to the shop, least loaded, sooner when the order is tight against its promise),
// with the orders that ride with it; the offer expires unanswered and goes to the next driver. A manager assigns,
// reassigns or takes a delivery off a driver by hand, and head office lends a driver to a
// neighbouring shop for the evening. The rules live in src/lib/domain/dispatch-by-distance.ts.
import type { AssignRequest, OfferAnswerRequest } from '../../shapes/order-requests.ts';
import { DEFAULT_BATCH_SETTINGS, POSITION_STALE_MS, MAX_ACTIVE_DELIVERIES, chooseOffer, driverPresence, planTrips, type OfferCandidate } from '../../domain/dispatch-by-distance.ts';
import { travelMinutes, type EtaSettings, type TravelMode } from '../../domain/eta.ts';
import { distanceM } from '../../domain/geo.ts';
import type { OrderView } from '../../shapes/views.ts';
import { transaction, type Db, type Tx } from '../kernel/db.ts';
import { conflict, forbidden, invalid, notFound } from '../kernel/errors.ts';
import { canActOnShop, getOrder, lockOrder, recordEvent, recordRelease, type StaffActor } from '../orders/index.ts';
import type { PositionStore } from '../road/positions.ts';
import { firesOf, readEvening } from '../kitchen/plan.ts';
import { can, may, runsChain } from '../../domain/permissions.ts';
import { WITH_DRIVER_STATUSES, sqlList } from '../../domain/order-states.ts';

export interface DispatchSettings {
  /** How long a driver has to answer an offer; 0 assigns at once, with no offer. */
  offerTimeoutMs: number;
  /** Orders on one trip at most (1: never batched). */
  maxPerTrip: number;
  mode: TravelMode;
  eta: EtaSettings;
  /**
   * Offer only to drivers whose phone is connected with a position fresher than `positionFreshMs`
   * (false: every driver on shift). Needs the position store: without one (no Redis) on shift is all we know.
   */
  presentOnly?: boolean;
  positionFreshMs?: number;
}

export type DispatchResult =
  | { state: 'not_needed' }
  | { state: 'offer_pending'; driverId: number }
  | { state: 'offered' | 'assigned'; driverId: number; orderIds: string[]; order: OrderView; byPlan: boolean }
  | { state: 'no_driver' };

const SYSTEM = { kind: 'system', name: 'dispatch' } as const;
/** How far from the shop the GEO index is searched: the whole city (a driver past it counts as one with no position). */
const NEAR_ENOUGH_M = 50_000;

/** Drivers working for a shop tonight: its own, less those lent out, plus those lent to it. */
export const WORKS_FOR = 'coalesce(u.lent_to, u.pizzeria_id)';

interface Candidate {
  id: number;
  on_shift: boolean;
  load: number;
  idle_since: number;
  passed: boolean;
}

/**
 * What dispatch reads before its transaction: the order's shop and drivers on shift, the shop's
 * drivers with a fresh position, nearest the shop first (its GEO index in Redis: a position a
 * second old is as good), and whose phone is connected (the hubs vouch for each socket in Redis;
 * Redis away: nobody is known present); and, when an offer is to be made and there is a choice,
 * the driver the shop's plan gives the order to. Null when the order is gone.
 */
async function readBeforeDispatch(dbp: Db, positions: PositionStore | null, orderId: string, s: DispatchSettings) {
  const { rows: head } = await dbp.query<{ pizzeria_id: number; lat: number; lng: number; on_shift: number[]; to_offer: boolean }>(
    `SELECT o.pizzeria_id, p.lat, p.lng,
       ARRAY(SELECT u.id FROM users u WHERE u.role = 'driver' AND u.active AND u.on_shift AND ${WORKS_FOR} = o.pizzeria_id) AS on_shift,
       (o.status = 'ready' AND o.fulfilment = 'delivery' AND o.driver_id IS NULL AND NOT o.awaiting_decision
         AND (o.offer_driver_id IS NULL OR o.offer_expires_at <= now())) AS to_offer
     FROM orders o JOIN pizzerias p ON p.id = o.pizzeria_id WHERE o.id = $1`,
    [orderId],
  );
  if (!head[0]) return null;
  const now = Date.now();
  const freshMs = s.positionFreshMs ?? POSITION_STALE_MS;
  const shopId = head[0].pizzeria_id;
  const [where, connected, planned] = await Promise.all([
    positions ? positions.near(shopId, head[0], NEAR_ENOUGH_M, now, freshMs).catch(() => []) : [],
    positions && s.presentOnly ? positions.connected(head[0].on_shift, now).catch(() => new Set<number>()) : null,
    head[0].to_offer && head[0].on_shift.length > 1 ? plannedDriverOf(dbp, positions, shopId, orderId, s, now) : null,
  ]);
  return { shopId, shop: { lat: head[0].lat, lng: head[0].lng }, now, freshMs, byId: new Map(where.map((p) => [p.driverId, p])), connected, planned };
}

/**
 * The driver the shop's plan gives the order to now: the plan the kitchen's tickets and the
 * managers' map show (src/lib/server/kitchen/plan.ts), read from the same evening. Null when it
 * names nobody, or cannot be read (dispatch then ranks the drivers alone).
 */
async function plannedDriverOf(dbp: Db, positions: PositionStore | null, shopId: number, orderId: string, s: DispatchSettings, now: number) {
  try {
    const evening = await readEvening(dbp, shopId, positions, { mode: s.mode, eta: s.eta }, now);
    return firesOf(evening, now).find((f) => f.orderId === orderId)?.driverId ?? null;
  } catch {
    return null;
  }
}
type Seen = NonNullable<Awaited<ReturnType<typeof readBeforeDispatch>>>;

/** The shop's drivers on shift tonight, with their load, when each last delivered, and whether each passed on this trip. */
async function candidatesOf(tx: Tx, o: Record<string, any>): Promise<Candidate[]> {
  const { rows } = await tx.query<Candidate>(
    `SELECT u.id, u.on_shift,
       (SELECT count(*) FROM orders a WHERE (a.driver_id = u.id AND a.status IN (${sqlList(WITH_DRIVER_STATUSES)}))
                                         OR (a.offer_driver_id = u.id AND a.id <> $2))::int AS load,
       COALESCE((SELECT extract(epoch FROM max(a.delivered_at)) FROM orders a WHERE a.driver_id = u.id), 0) * 1000 AS idle_since,
       EXISTS (SELECT 1 FROM delivery_offers f WHERE f.order_id = $2 AND f.round = $3 AND f.driver_id = u.id) AS passed
     FROM users u WHERE u.role = 'driver' AND u.active AND u.on_shift AND ${WORKS_FOR} = $1`,
    [o.pizzeria_id, o.id, o.delivery_attempts],
  );
  return rows;
}

/**
 * Who is offered the order (chooseOffer): the plan's driver when they can take it now, else the best
 * driver present not asked yet this trip, or everyone again once all have passed.
 */
function bestDriver(drivers: Candidate[], seen: Seen, job: { promisedAt: number; deliveryMinutes: number }, s: DispatchSettings) {
  const { byId, connected, now } = seen;
  const candidate = (d: Candidate): OfferCandidate => {
    const p = byId.get(d.id);
    return {
      driverId: d.id,
      onShift: d.on_shift,
      activeDeliveries: d.load,
      idleSince: Number(d.idle_since),
      mode: s.mode,
      position: p ? { at: p.at, sentAt: p.sentAt } : null,
      present: !connected || driverPresence({ connected: connected.has(d.id), positionSentAt: p?.sentAt ?? null }, now, seen.freshMs) === 'present',
      passed: d.passed,
    };
  };
  return chooseOffer(drivers.map(candidate), seen.planned, seen.shop, job, now, undefined, s.eta);
}

/** Offers the orders of a trip to the driver (or gives them, when offers are not waited for); the first order's view. */
async function offerTrip(tx: Tx, orderIds: string[], driverId: number, s: DispatchSettings): Promise<OrderView> {
  const direct = s.offerTimeoutMs === 0;
  let first: OrderView | undefined;
  for (const id of orderIds) {
    await tx.query(
      direct
        ? 'UPDATE orders SET driver_id = $2, waiting_for_driver = false, version = version + 1 WHERE id = $1'
        : `UPDATE orders SET offer_driver_id = $2, offer_expires_at = now() + make_interval(secs => $3::float8 / 1000),
             waiting_for_driver = false, version = version + 1 WHERE id = $1`,
      direct ? [id, driverId] : [id, driverId, s.offerTimeoutMs],
    );
    await tx.query(
      `INSERT INTO delivery_offers (order_id, driver_id, round, expires_at, outcome, decided_at)
       SELECT id, $2, delivery_attempts, now() + make_interval(secs => $3::float8 / 1000), $4, CASE WHEN $4::text IS NULL THEN NULL ELSE now() END
       FROM orders WHERE id = $1`,
      [id, driverId, s.offerTimeoutMs, direct ? 'accepted' : null],
    );
    const done = await recordEvent(tx, id, direct ? 'order.assigned' : 'order.offered', SYSTEM);
    first ??= done.order;
  }
  return first!;
}

/**
 * One step of an order's dispatch (the worker repeats it until a driver has the order): expires an
 * offer left unanswered, then offers the order, and the ready orders that ride with it, to the best
 * driver not yet asked this trip (everyone again once all have been).
 */
export async function dispatchOrder(
  dbp: Db,
  positions: PositionStore | null,
  orderId: string,
  s: DispatchSettings,
): Promise<DispatchResult> {
  const seen = await readBeforeDispatch(dbp, positions, orderId, s);
  if (!seen) return { state: 'not_needed' };
  return transaction(dbp, async (tx) => {
    // one dispatch at a time per shop (taken before the order, so a dispatch never waits holding
    // one): two orders do not both count the same driver as free, and a trip finds its orders free
    await tx.query('SELECT pg_advisory_xact_lock(7242002, $1)', [seen.shopId]);
    const o = await lockOrder(tx, orderId);
    if (o.fulfilment !== 'delivery' || o.status !== 'ready' || o.driver_id || o.awaiting_decision) return { state: 'not_needed' };
    if (o.offer_driver_id) {
      const { rows } = await tx.query<{ open: boolean }>('SELECT $1::timestamptz > now() AS open', [o.offer_expires_at]);
      if (rows[0].open) return { state: 'offer_pending', driverId: o.offer_driver_id };
      await closeOffer(tx, orderId, 'expired');
      await recordRelease(tx, orderId, 'order.offer_expired', SYSTEM, o.offer_driver_id);
    }
    const drivers = await candidatesOf(tx, o);
    const to = o.address_lat != null ? { lat: o.address_lat, lng: o.address_lng } : null;
    const deliveryMinutes = to ? travelMinutes(distanceM(seen.shop, to), s.mode, s.eta) : 15;
    const promisedAt = o.promised_at ? new Date(o.promised_at).getTime() : seen.now + 30 * 60_000;
    const best = bestDriver(drivers, seen, { promisedAt, deliveryMinutes }, s);
    if (!best) {
      if (!o.waiting_for_driver) {
        await tx.query('UPDATE orders SET waiting_for_driver = true, version = version + 1 WHERE id = $1', [orderId]);
        await recordEvent(tx, orderId, 'order.waiting_driver', SYSTEM);
      }
      return { state: 'no_driver' };
    }
    const load = drivers.find((d) => d.id === best.driverId)!.load;
    const riders = to ? await companions(tx, o, seen.shop, to, promisedAt, seen.now, Math.min(MAX_ACTIVE_DELIVERIES - load, s.maxPerTrip) - 1, s) : [];
    const orderIds = [orderId, ...riders];
    const order = await offerTrip(tx, orderIds, best.driverId, s);
    return { state: s.offerTimeoutMs === 0 ? 'assigned' : 'offered', driverId: best.driverId, orderIds, order, byPlan: best.byPlan };
  });
}

/**
 * The ready orders of the shop that ride with this one (planTrips: ready within minutes of each
 * other, the same way, nobody late), locked without waiting: one another dispatch holds is left to it.
 */
async function companions(
  tx: Tx,
  o: Record<string, any>,
  shop: { lat: number; lng: number },
  to: { lat: number; lng: number },
  promisedAt: number,
  now: number,
  room: number,
  s: DispatchSettings,
): Promise<string[]> {
  if (room <= 0) return [];
  const { rows } = await tx.query<{ id: string; lat: number; lng: number; promised_at: Date | null; ready_at: Date | null }>(
    `SELECT id, address_lat AS lat, address_lng AS lng, promised_at, ready_at FROM orders
     WHERE pizzeria_id = $1 AND id <> $2 AND status = 'ready' AND fulfilment = 'delivery' AND driver_id IS NULL
       AND offer_driver_id IS NULL AND NOT awaiting_decision AND address_lat IS NOT NULL
     ORDER BY ready_at LIMIT 20
     FOR UPDATE SKIP LOCKED`,
    [o.pizzeria_id, o.id],
  );
  if (!rows.length) return [];
  const ready = [
    { id: o.id as string, readyAt: o.ready_at ? new Date(o.ready_at).getTime() : now, promisedAt, to },
    ...rows.map((r) => ({
      id: r.id,
      readyAt: r.ready_at ? r.ready_at.getTime() : now,
      promisedAt: r.promised_at ? r.promised_at.getTime() : now + 30 * 60_000,
      to: { lat: r.lat, lng: r.lng },
    })),
  ];
  const trip = planTrips(shop, ready, now, s.mode, { ...DEFAULT_BATCH_SETTINGS, maxPerTrip: s.maxPerTrip }, s.eta).find((t) => t.stops.some((x) => x.id === o.id))!;
  return trip.stops.map((x) => x.id).filter((id) => id !== o.id).slice(0, room);
}

async function closeOffer(tx: Tx, orderId: string, outcome: 'accepted' | 'declined' | 'expired' | 'withdrawn') {
  await tx.query('UPDATE delivery_offers SET outcome = $2, decided_at = now() WHERE order_id = $1 AND outcome IS NULL', [orderId, outcome]);
  if (outcome !== 'accepted') {
    await tx.query('UPDATE orders SET offer_driver_id = NULL, offer_expires_at = NULL, version = version + 1 WHERE id = $1', [orderId]);
  }
}

const checkVersion = (o: Record<string, any>, version: number | undefined) => {
  if (version !== undefined && version !== o.version) throw conflict('stale', `the order changed since you saw it (now version ${o.version})`);
};

/** The driver's answer to an offer: the delivery is theirs, or goes to the next driver. */
export async function answerOffer(
  dbp: Db,
  actor: StaffActor,
  orderId: string,
  req: OfferAnswerRequest,
): Promise<{ order: OrderView }> {
  if (!may(actor.role, can.drive)) throw forbidden('offers are answered by the driver they were made to');
  return transaction(dbp, async (tx) => {
    const o = await lockOrder(tx, orderId);
    if (o.offer_driver_id !== actor.id) {
      // an accept repeated after it went through (a phone that sent it twice) answers with the order as it is
      if (o.driver_id === actor.id && req.accept) return { order: (await getOrder(tx, orderId))! };
      throw conflict('offer_gone', 'this delivery is no longer offered to you');
    }
    checkVersion(o, req.version);
    const { rows } = await tx.query<{ open: boolean }>('SELECT $1::timestamptz > now() AS open', [o.offer_expires_at]);
    if (!rows[0].open) throw conflict('offer_expired', 'the offer expired: it goes to another driver');
    if (req.accept) {
      await closeOffer(tx, orderId, 'accepted');
      await tx.query(
        'UPDATE orders SET driver_id = $2, offer_driver_id = NULL, offer_expires_at = NULL, waiting_for_driver = false, version = version + 1 WHERE id = $1',
        [orderId, actor.id],
      );
      return recordEvent(tx, orderId, 'order.assigned', actor);
    }
    await closeOffer(tx, orderId, 'declined');
    return recordRelease(tx, orderId, 'order.offer_declined', actor, actor.id);
  });
}

/**
 * A manager's hand: gives a ready delivery to a driver of the shop (taking it off the driver or the
 * offer it had), or takes it off its driver (`driverId` null), and dispatch finds another, passing
 * over the driver it was taken from.
 */
export async function assignByHand(
  dbp: Db,
  actor: StaffActor,
  orderId: string,
  req: AssignRequest,
): Promise<{ order: OrderView }> {
  if (!may(actor.role, can.runShop)) throw forbidden('a manager assigns deliveries');
  return transaction(dbp, async (tx) => {
    const o = await lockOrder(tx, orderId);
    if (!canActOnShop(actor, o.pizzeria_id)) throw forbidden('not your shop');
    checkVersion(o, req.version);
    if (o.fulfilment !== 'delivery') throw conflict('not_allowed', 'a pick-up order has no driver');
    if (o.status !== 'ready') throw conflict('not_allowed', o.status === 'out_for_delivery' ? 'the driver already has it on the road' : 'only an order ready at the shop can be assigned');
    if (o.awaiting_decision) throw conflict('not_allowed', 'this failed delivery waits for a decision: send it out again first');
    if (req.driverId !== null) {
      const { rows } = await tx.query<{ on_shift: boolean; works_for: number }>(
        `SELECT u.on_shift, ${WORKS_FOR} AS works_for FROM users u WHERE u.id = $1 AND u.role = 'driver' AND u.active`,
        [req.driverId],
      );
      if (!rows[0] || rows[0].works_for !== o.pizzeria_id) throw invalid({ driverId: 'not a driver of this shop tonight' });
      if (!rows[0].on_shift) throw conflict('driver_off_shift', 'this driver is not on shift');
      if (o.driver_id === req.driverId) throw conflict('not_allowed', 'this driver already has it');
    } else if (!o.driver_id && !o.offer_driver_id) throw conflict('not_allowed', 'no driver has this delivery');
    let last: { order: OrderView } | undefined;
    if (o.offer_driver_id) {
      await closeOffer(tx, orderId, 'withdrawn');
      last = await recordRelease(tx, orderId, 'order.unassigned', actor, o.offer_driver_id);
    }
    if (o.driver_id) {
      await tx.query('UPDATE orders SET driver_id = NULL, version = version + 1 WHERE id = $1', [orderId]);
      // dispatch passes over this driver for the rest of the trip
      await tx.query(
        `INSERT INTO delivery_offers (order_id, driver_id, round, expires_at, outcome, decided_at, by_user)
         VALUES ($1, $2, $3, now(), 'unassigned', now(), $4)`,
        [orderId, o.driver_id, o.delivery_attempts, actor.id],
      );
      last = await recordRelease(tx, orderId, 'order.unassigned', actor, o.driver_id);
    }
    if (req.driverId === null) return last!;
    await tx.query('UPDATE orders SET driver_id = $2, waiting_for_driver = false, version = version + 1 WHERE id = $1', [orderId, req.driverId]);
    await tx.query(
      `INSERT INTO delivery_offers (order_id, driver_id, round, expires_at, outcome, decided_at, by_user)
       VALUES ($1, $2, $3, now(), 'accepted', now(), $4)`,
      [orderId, req.driverId, o.delivery_attempts, actor.id],
    );
    return recordEvent(tx, orderId, 'order.assigned', actor);
  });
}

/**
 * Head office lends a driver to another shop for the evening (`toShop` their own shop, or null,
 * brings them back). Only between deliveries; the loan ends with their shift.
 */
export async function lendDriver(
  dbp: Db,
  positions: PositionStore | null,
  actor: StaffActor,
  driverId: number,
  toShop: number | null,
): Promise<{ driverId: number; homeShop: number; worksFor: number }> {
  if (!runsChain(actor)) throw forbidden('head office lends drivers between shops');
  const moved = await transaction(dbp, async (tx) => {
    const { rows } = await tx.query<{ pizzeria_id: number; lent_to: number | null }>(
      `SELECT pizzeria_id, lent_to FROM users WHERE id = $1 AND role = 'driver' AND active FOR UPDATE`,
      [driverId],
    );
    if (!rows[0]) throw notFound('driver');
    if (toShop !== null) {
      const { rowCount } = await tx.query('SELECT 1 FROM pizzerias WHERE id = $1', [toShop]);
      if (!rowCount) throw invalid({ toShop: 'no such shop' });
    }
    const { rows: busy } = await tx.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM orders WHERE (driver_id = $1 AND status IN (${sqlList(WITH_DRIVER_STATUSES)})) OR offer_driver_id = $1`,
      [driverId],
    );
    if (busy[0].n > 0) throw conflict('driver_busy', 'the driver has deliveries under way: lend them once they are back');
    const lentTo = toShop === null || toShop === rows[0].pizzeria_id ? null : toShop;
    await tx.query('UPDATE users SET lent_to = $2 WHERE id = $1', [driverId, lentTo]);
    return { driverId, homeShop: rows[0].pizzeria_id, from: rows[0].lent_to ?? rows[0].pizzeria_id, worksFor: lentTo ?? rows[0].pizzeria_id };
  });
  // the old shop's map forgets them; the new one sees them at their next position
  if (positions && moved.from !== moved.worksFor) await positions.forget(driverId, moved.from).catch(() => {});
  return { driverId: moved.driverId, homeShop: moved.homeShop, worksFor: moved.worksFor };
}
