// What needs a manager now, most urgent first. Each alert is something only the manager can
// unblock, and the order says how soon: food that is going nowhere first, then what is about to
// make customers late, then what weakens the evening (fewer drivers, less stock).

import { driverPresence } from './dispatch-by-distance.ts';
import { FINAL_STATUSES, type Fulfilment } from './order-states.ts';
import { LOW_RATING_ALERT_MS } from './ratings.ts';

/**
 * From most to least urgent:
 * - delivery_failed: a delivery came back to the shop; nothing moves until the manager sends it
 *   again or cancels it, and the customer is waiting without news.
 * - platform_order: a delivery platform's order waiting for the manager (an item not mapped to the
 *   menu, a store that does not accept by itself, a time the kitchen cannot keep): the platform
 *   cancels it by itself at its deadline, shown as a countdown.
 * - platform_push: a delivery platform refused or never answered what it was told of the shop (a
 *   sold-out, the pause or busy minutes, the menu): a pizza sold out here may still be on sale there;
 *   the workers try again, the manager can check it on the platform's own tablet or site meanwhile.
 * - waiting_driver: hot food ready with nobody to take it; only the manager can assign or borrow a driver.
 * - late_in_oven: a ticket past its shop's preparation target (red on the kitchen screen): the
 *   kitchen is stuck and every order behind it slips; a hand in the kitchen now saves the promise.
 * - driver_quiet: a driver carrying deliveries whose phone stopped sending: food on the road
 *   nobody can follow; the manager calls them.
 * - late: the shop's plan expects it past the time promised to the customer (raised once, before
 *   the customer is told), or it is past it already: the fix is a call to the customer (the causes
 *   above come first because acting on them stops more lateness).
 * - voucher_refused: a titre-restaurant held online that its issuer would not pay when the kitchen
 *   started (a lapsed authorisation): the card part was taken, the voucher part is owed at the
 *   handover; a call warns the customer before the driver or the counter asks for it.
 * - app_closed: on shift but the app closed: dispatch offers them nothing, the shop has one driver
 *   less than it thinks; a call sorts it out, nothing is stuck yet.
 * - low_rating: a customer gave two stars or fewer (food or delivery) in the last hours: the
 *   evening is over for that order, a call back can still win them; nothing is stuck.
 * - held_stock: a client refused for holding more than its allowance of orders not paid yet (online,
 *   or at the door days ahead), or the shop's share of them reached: the menu is not off sale (the
 *   limits saw to it), but someone may be hoarding; the manager looks at its orders and may cancel them.
 * - fiscal_anomaly: an order's money was changed outside the till after the fiscal journal sealed
 *   it (src/lib/server/fiscal/anomalies.ts): nothing stops the evening, but someone changed the
 *   takings by hand; head office finds out who, until the order is what the journal sealed again.
 * - payment_corrected: the counter re-booked a sale from cash to card or back (each one, for a
 *   shift's hours): the evening's expected cash moved; head office sees who and whether a manager
 *   confirmed it (src/lib/server/flows/payment-correction.ts).
 * - stock_low: an ingredient running low: hours of margin, dealt with between rushes.
 */
export const ALERT_ORDER = ['delivery_failed', 'platform_order', 'platform_push', 'waiting_driver', 'late_in_oven', 'driver_quiet', 'late', 'voucher_refused', 'app_closed', 'low_rating', 'held_stock', 'fiscal_anomaly', 'payment_corrected', 'stock_low'] as const;
export type AlertKind = (typeof ALERT_ORDER)[number];

export interface ManagerAlert {
  /** Stable across refreshes (kind and subject), for lists keyed by it. */
  id: string;
  kind: AlertKind;
  pizzeriaId: number;
  /** Since when it has been true (ms): within a kind, the longest first. */
  since: number;
  orderId?: string;
  number?: number;
  driverId?: number;
  name?: string;
  /** Deliveries a quiet driver carries; ingredients running low. */
  count?: number;
  /** A low rating's stars (delivery: null for a pickup) and comment. */
  food?: number;
  delivery?: number | null;
  comment?: string | null;
  /** The numbers of the orders a client refused for holding too much still holds unpaid. */
  orders?: number[];
  /** A late order: when it was promised (ms), and how late the plan expected it (minutes) when it raised the alert. */
  promisedAt?: number;
  expectedMinutes?: number;
  /** A waiting platform order: its platform (a provider's id), its id in marketplace_orders, its deadline (ms), the items to map. */
  marketplace?: string;
  platformOrderId?: number;
  acceptBy?: number | null;
  unmapped?: string[];
  /** A failed push to a platform: what it has not heard (its tries in `count`). */
  push?: PlatformPush;
  /** A waiting platform order whose prices are not ours (or an amount at zero or below): to check. */
  priceCheck?: boolean;
  /** A payment corrected: the ways from and to, the amount, and the manager who confirmed it (null: nobody needed). */
  correction?: { from: string; to: string; cents: number; by: string; confirmedBy: string | null };
  /** A titre-restaurant's part its issuer refused to pay: the issuer and what is owed instead. */
  voucher?: { issuer: string | null; cents: number };
}

/** Most urgent kind first; within a kind, the oldest first (it has waited longest). */
export function sortAlerts<T extends Pick<ManagerAlert, 'kind' | 'since' | 'id'>>(alerts: readonly T[]): T[] {
  const rank = (k: AlertKind) => ALERT_ORDER.indexOf(k);
  return [...alerts].sort((a, b) => rank(a.kind) - rank(b.kind) || a.since - b.since || a.id.localeCompare(b.id));
}

/** What the rules read of an order (a subset of what the screens have). */
export interface AlertOrder {
  id: string;
  number: number;
  pizzeriaId: number;
  status: string;
  fulfilment: Fulfilment;
  late: boolean;
  promisedAt: string | null;
  waitingForDriver: boolean;
  /** The shop's plan expected it late (OrderView.lateExpected). */
  lateExpected?: { minutes: number; at: string } | null;
  driver: { id: number } | null;
  delivery: { awaitingDecision: boolean; failure: { at: string } | null };
  timestamps: Partial<Record<string, string>>;
}

export interface AlertDriver {
  id: number;
  name: string;
  onShift: boolean;
  worksFor: number;
  load: number;
  /** null: the server cannot tell (no Redis): no "app closed" alert then. */
  connected: boolean | null;
  position: { at: string } | null;
}

/** Refusals for holding too much at a shop in the last hours (src/lib/server/orders/limits.ts). */
export interface AlertHolding {
  pizzeriaId: number;
  /** The client's phone; null: the shop's share of unpaid holdings was reached. */
  client: string | null;
  attempts: number;
  /** ISO: the first refusal. */
  since: string;
  orders: number[];
}

/** What the rules read of a low rating (LowRatingAlert of the socket contract). */
export interface AlertRating {
  orderId: string;
  pizzeriaId: number;
  number: number;
  food: number;
  delivery: number | null;
  comment: string | null;
  at: string;
}

/** An order whose money was changed outside the till after the journal sealed it, still so (src/lib/server/fiscal/anomalies.ts). */
export interface AlertAnomaly {
  orderId: string;
  pizzeriaId: number;
  number: number;
  /** ISO: when the journal found it. */
  at: string;
}

/** A payment the counter corrected in the last shift's hours (src/lib/server/fiscal/corrections.ts recentCorrections). */
/** A titre-restaurant part refused when it was to be taken, on an order still under way (also the socket's `voucher:refused`). */
export interface AlertVoucherRefusal {
  pizzeriaId: number;
  orderId: string;
  number: number;
  /** When it was refused (ISO). */
  at: string;
  issuer: string | null;
  /** What the order owes instead, at its handover. */
  cents: number;
}

export interface AlertCorrection {
  seq: number;
  pizzeriaId: number;
  orderId: string;
  number: number;
  at: string;
  operator: string;
  from: string;
  to: string;
  cents: number;
  confirmedBy: string | null;
}

/** A platform order waiting for the manager (src/lib/server/marketplaces/). */
export interface AlertPlatformOrder {
  id: number;
  pizzeriaId: number;
  marketplace: string;
  /** The platform's short code of the order. */
  code: string | null;
  receivedAt: string;
  acceptBy: string | null;
  /** The names of its items no one mapped to the menu yet. */
  unmapped: string[];
  /** Its prices are not ours, or an amount is at zero or below. */
  priceCheck?: boolean;
}

/** What the workers tell a platform of a shop: its sold-outs, its levers (pause, busy minutes), its menu. */
export type PlatformPush = 'availability' | 'status' | 'menu';

/** A push to a platform failing since `since` (src/lib/server/marketplaces/sync.ts), until one succeeds. */
export interface AlertPlatformPush {
  pizzeriaId: number;
  marketplace: string;
  what: PlatformPush;
  since: string;
  attempts: number;
}

export interface AlertSettings {
  /** A ready delivery without a driver becomes an alert after this long (or at once when dispatch found nobody). */
  waitingAfterMs: number;
  /** A driver with deliveries whose last position is older than this has gone quiet. */
  quietAfterMs: number;
  /** A driver whose phone is connected but silent this long counts as absent (dispatch's freshness). */
  positionFreshMs: number;
}

export const DEFAULT_ALERT_SETTINGS: AlertSettings = { waitingAfterMs: 2 * 60_000, quietAfterMs: 60_000, positionFreshMs: 2 * 60_000 };

const FINAL = new Set<string>(FINAL_STATUSES);

/** The delivery platforms' alerts: their orders waiting for the manager (until their deadline), the pushes they keep refusing. */
function platformAlerts(orders: readonly AlertPlatformOrder[], pushes: readonly AlertPlatformPush[], now: number): ManagerAlert[] {
  const list: ManagerAlert[] = [];
  for (const p of orders) {
    const acceptBy = p.acceptBy ? Date.parse(p.acceptBy) : null;
    if (acceptBy !== null && acceptBy <= now) continue;
    list.push({
      id: `platform-${p.id}`, kind: 'platform_order', pizzeriaId: p.pizzeriaId, since: Date.parse(p.receivedAt), marketplace: p.marketplace,
      platformOrderId: p.id, acceptBy, unmapped: [...p.unmapped], ...(p.code ? { name: p.code } : {}), ...(p.priceCheck ? { priceCheck: true } : {}),
    });
  }
  for (const f of pushes) {
    list.push({
      id: `push-${f.marketplace}-${f.pizzeriaId}-${f.what}`, kind: 'platform_push', pizzeriaId: f.pizzeriaId, since: Date.parse(f.since),
      marketplace: f.marketplace, push: f.what, count: f.attempts,
    });
  }
  return list;
}

/** Every alert of these orders, drivers and low stocks, sorted by what needs action first. */
export function managerAlerts(
  input: {
    orders: readonly AlertOrder[];
    drivers: readonly AlertDriver[];
    lowStock?: readonly { pizzeriaId: number; low: readonly unknown[] }[];
    /** Low ratings (the server sends only those); each is an alert for LOW_RATING_ALERT_MS. */
    lowRatings?: readonly AlertRating[];
    /** Refusals for holding too much (the server sends only the recent ones). */
    heldStock?: readonly AlertHolding[];
    /** Platform orders waiting for the manager; one past its deadline is gone (the platform cancelled it). */
    platformOrders?: readonly AlertPlatformOrder[];
    /** Pushes to a platform failing until one succeeds. */
    platformPushes?: readonly AlertPlatformPush[];
    /** Orders whose money was changed outside the till after the journal sealed it, still so. */
    fiscalAnomalies?: readonly AlertAnomaly[];
    /** Payments the counter corrected lately, each one. */
    paymentCorrections?: readonly AlertCorrection[];
    /** Titres-restaurant refused at their capture, on orders still under way. */
    voucherRefusals?: readonly AlertVoucherRefusal[];
  },
  now: number,
  s: AlertSettings = DEFAULT_ALERT_SETTINGS,
): ManagerAlert[] {
  const list: ManagerAlert[] = [];
  const at = (iso: string | null | undefined) => (iso ? Date.parse(iso) : now);
  for (const o of input.orders) {
    if (FINAL.has(o.status)) continue;
    const about = { pizzeriaId: o.pizzeriaId, orderId: o.id, number: o.number };
    if (o.fulfilment === 'delivery' && o.status === 'ready' && o.delivery.awaitingDecision) {
      list.push({ id: `failed-${o.id}`, kind: 'delivery_failed', since: at(o.delivery.failure?.at ?? o.timestamps.ready), ...about });
    } else if (o.fulfilment === 'delivery' && o.status === 'ready' && !o.driver) {
      const since = at(o.timestamps.ready ?? o.timestamps.created);
      if (o.waitingForDriver || now - since > s.waitingAfterMs) list.push({ id: `wait-${o.id}`, kind: 'waiting_driver', since, ...about });
    }
    if (o.status === 'preparing' && o.late) list.push({ id: `oven-${o.id}`, kind: 'late_in_oven', since: at(o.timestamps.preparing), ...about });
    // one alert per order: from the plan's forecast (before the promise has passed), then past the promise
    const promised = o.promisedAt ? Date.parse(o.promisedAt) : null;
    const expected = o.lateExpected ?? null;
    if (expected || (promised !== null && now > promised)) {
      list.push({
        id: `late-${o.id}`, kind: 'late', since: expected ? Date.parse(expected.at) : promised!, ...about,
        ...(promised !== null ? { promisedAt: promised } : {}), ...(expected ? { expectedMinutes: expected.minutes } : {}),
      });
    }
  }
  list.push(...platformAlerts(input.platformOrders ?? [], input.platformPushes ?? [], now));
  for (const d of input.drivers) {
    const about = { pizzeriaId: d.worksFor, driverId: d.id, name: d.name };
    const sentAt = d.position ? Date.parse(d.position.at) : null;
    if (d.load > 0 && (sentAt === null || now - sentAt > s.quietAfterMs)) {
      list.push({ id: `quiet-${d.id}`, kind: 'driver_quiet', since: sentAt ?? now, count: d.load, ...about });
    } else if (d.onShift && d.connected !== null && driverPresence({ connected: d.connected, positionSentAt: sentAt }, now, s.positionFreshMs) !== 'present') {
      list.push({ id: `absent-${d.id}`, kind: 'app_closed', since: sentAt ?? now, ...about });
    }
  }
  for (const r of input.lowRatings ?? []) {
    const since = Date.parse(r.at);
    if (now - since > LOW_RATING_ALERT_MS) continue;
    list.push({ id: `rating-${r.orderId}`, kind: 'low_rating', pizzeriaId: r.pizzeriaId, since, orderId: r.orderId, number: r.number, food: r.food, delivery: r.delivery, comment: r.comment });
  }
  for (const h of input.heldStock ?? []) {
    list.push({
      id: `held-${h.pizzeriaId}-${h.client ?? 'share'}`, kind: 'held_stock', pizzeriaId: h.pizzeriaId, since: Date.parse(h.since), count: h.attempts,
      ...(h.client ? { name: h.client, orders: [...h.orders] } : {}),
    });
  }
  for (const a of input.fiscalAnomalies ?? []) {
    list.push({ id: `fiscal-${a.orderId}`, kind: 'fiscal_anomaly', pizzeriaId: a.pizzeriaId, since: Date.parse(a.at), orderId: a.orderId, number: a.number });
  }
  for (const c of input.paymentCorrections ?? []) {
    list.push({
      id: `correction-${c.pizzeriaId}-${c.seq}`, kind: 'payment_corrected', pizzeriaId: c.pizzeriaId, since: Date.parse(c.at), orderId: c.orderId, number: c.number,
      correction: { from: c.from, to: c.to, cents: c.cents, by: c.operator, confirmedBy: c.confirmedBy },
    });
  }
  for (const v of input.voucherRefusals ?? []) {
    list.push({ id: `voucher-${v.orderId}`, kind: 'voucher_refused', pizzeriaId: v.pizzeriaId, since: Date.parse(v.at), orderId: v.orderId, number: v.number, voucher: { issuer: v.issuer, cents: v.cents } });
  }
  for (const l of input.lowStock ?? []) {
    if (l.low.length) list.push({ id: `stock-${l.pizzeriaId}`, kind: 'stock_low', pizzeriaId: l.pizzeriaId, since: now, count: l.low.length });
  }
  return sortAlerts(list);
}
