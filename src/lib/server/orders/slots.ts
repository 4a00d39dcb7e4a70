// Orders for later: the slots a shop offers (open, far enough ahead, with room in its oven and, for
// a delivery, for its drivers on shift tonight or on the rota), the slot an order takes when it is placed (checked
// under the shop's slot lock, so two customers never take the last room twice), and firing an
// order for later into the make line.
import { DEFAULT_ETA_SETTINGS, kitchenMinutes, travelMinutes, type EtaSettings, type TravelMode } from '../../domain/eta.ts';
import { SLOT_MS, checkSlot, fits, freeMinutes, ovenMinutes, slotsAhead, type SlotRefusal } from '../../domain/slots.ts';
import type { Fulfilment } from '../../domain/order-states.ts';
import type { PricedLine } from '../../domain/pricing.ts';
import type { Pizzeria } from '../shops/catalogue.ts';
import { type Queryable, type Tx } from '../kernel/db.ts';
import { AppError } from '../kernel/errors.ts';
import { freeDeliveries, hasDriverRoom, readDriverRoom } from './driver-room.ts';

/** Where the load of a shop's slots is read from: what is not cancelled, by the slot it is due in (orders_slot_load). */
async function loads(q: Queryable, pizzeriaId: number, from: number, to: number): Promise<Map<number, number>> {
  const { rows } = await q.query<{ at: string; minutes: string }>({
    name: 'slot-loads',
    text: `SELECT (extract(epoch FROM slot_at) * 1000)::bigint AS at, sum(oven_minutes) AS minutes FROM orders
           WHERE pizzeria_id = $1 AND slot_at >= to_timestamp($2 / 1000.0) AND slot_at < to_timestamp($3 / 1000.0) AND status <> 'cancelled'
           GROUP BY slot_at`,
    values: [pizzeriaId, from, to],
  });
  return new Map(rows.map((r) => [Number(r.at), Number(r.minutes)]));
}

/** Minutes from firing an order to its customer having it: made and baked with nothing ahead, then the handover and the road. */
export function leadMinutes(o: { pizzas: number; fulfilment: Fulfilment; distanceM: number | null }, s: EtaSettings = DEFAULT_ETA_SETTINGS, mode: TravelMode = 'scooter'): number {
  const kitchen = kitchenMinutes(0, o.pizzas, s);
  return o.fulfilment === 'delivery' ? kitchen + s.handoverMinutes + travelMinutes(o.distanceM ?? 2000, mode, s) : kitchen;
}

export interface OpenSlot {
  /** ISO: the slot's first minute, and the minute after its last. */
  start: string;
  end: string;
  /** Oven minutes still free in it. */
  freeMinutes: number;
  /**
   * Deliveries the shop's drivers can still take out in it (src/lib/domain/driver-capacity.ts): tonight
   * those on shift or the rota's, later the rota's; null where they are not counted: a pickup, or
   * nobody on shift or on the rota for it.
   */
  freeDeliveries: number | null;
}

/**
 * The slots an order of `minutes` oven minutes may be placed for at a shop, with room for it, from
 * the first its lead time allows to a week ahead (the storefront's, the counter's and the phone's choice).
 */
export async function openSlots(
  q: Queryable,
  shop: Pick<Pizzeria, 'id' | 'openingHours'> & { ovenMinutesPerSlot: number },
  order: { fulfilment: Fulfilment; pizzas: number; minutes: number; distanceM?: number | null },
  eta: EtaSettings = DEFAULT_ETA_SETTINGS,
  now = Date.now(),
  mode: TravelMode = 'scooter',
): Promise<{ capacity: number; deliveriesPerSlot: number | null; slots: OpenSlot[] }> {
  const starts = slotsAhead({ hours: shop.openingHours, now, leadMinutes: leadMinutes({ ...order, distanceM: order.distanceM ?? null }, eta) });
  // a delivery also needs a driver: tonight's on shift, or the rota's, take so many out a slot
  const drivers = order.fulfilment === 'delivery' ? await readDriverRoom(q, shop.id, { mode, eta }, now, (starts.at(-1) ?? now) + SLOT_MS) : null;
  if (!starts.length) return { capacity: shop.ovenMinutesPerSlot, deliveriesPerSlot: drivers?.perSlot ?? null, slots: [] };
  const load = await loads(q, shop.id, starts[0], starts.at(-1)! + SLOT_MS);
  const slots = starts
    .filter((s) => fits(order.minutes, load.get(s) ?? 0, shop.ovenMinutesPerSlot) && (!drivers || hasDriverRoom(drivers, s)))
    .map((s) => ({
      start: new Date(s).toISOString(),
      end: new Date(s + SLOT_MS).toISOString(),
      freeMinutes: freeMinutes(shop.ovenMinutesPerSlot, load.get(s) ?? 0),
      freeDeliveries: drivers ? freeDeliveries(drivers, s) : null,
    }));
  return { capacity: shop.ovenMinutesPerSlot, deliveriesPerSlot: drivers?.perSlot ?? null, slots };
}

const REFUSALS: Record<SlotRefusal | 'full' | 'drivers', string> = {
  not_a_slot: 'a slot starts on the quarter hour (20:00, 20:15, 20:30, 20:45)',
  too_soon: 'too soon for this order to be made and brought: choose a later slot, or as soon as possible',
  too_far: 'orders are taken at most 7 days ahead',
  closed: 'the shop is closed then: choose a slot within its opening hours',
  full: 'this slot is full: choose another one',
  drivers: 'the drivers have no room left in this slot for a delivery: choose another one, or collect it',
};

const slotError = (code: keyof typeof REFUSALS, status = 422) =>
  new AppError(status, code === 'full' || code === 'drivers' ? 'slot_full' : 'slot_unavailable', REFUSALS[code], {
    fields: { slot: REFUSALS[code] },
  });

/**
 * When an order for a slot is fired, promised and counted: refused with a clear reason when the slot
 * is not one the shop offers. Any slot of the week may be paid online: one more than two days ahead
 * saves the card at checkout and is held the day before (src/lib/domain/card-holds.ts), so no hold
 * outlives the 7 days a card hold lasts (`paysByCard` no longer changes anything).
 */
export function planForSlot(
  slot: string,
  o: { shop: Pick<Pizzeria, 'openingHours'>; pizzas: number; fulfilment: Fulfilment; distanceM: number | null; paysByCard?: boolean },
  eta: EtaSettings = DEFAULT_ETA_SETTINGS,
  now = Date.now(),
) {
  const start = Date.parse(slot);
  const check = checkSlot(start, { hours: o.shop.openingHours, now, leadMinutes: leadMinutes(o, eta) });
  if (!check.ok) throw slotError(check.reason);
  return { wantedAt: new Date(start), slotAt: new Date(start), fireAt: new Date(check.fireAt), promisedAt: new Date(start + SLOT_MS) };
}

/**
 * Takes `minutes` of a slot for an order being placed (in its transaction): the shop's slots are
 * locked until the commit, so the room read is the room left; a full slot is refused (409).
 */
export async function claimSlot(
  tx: Tx,
  shop: { id: number; ovenMinutesPerSlot: number },
  slotAt: Date,
  minutes: number,
  /** A delivery: its slot must also have room for its drivers, on shift or on the rota (src/lib/domain/driver-capacity.ts). */
  delivery?: { mode: TravelMode; eta?: EtaSettings },
): Promise<void> {
  await tx.query({ name: 'lock-slots', text: 'SELECT pg_advisory_xact_lock(7239, $1)', values: [shop.id] });
  const load = (await loads(tx, shop.id, slotAt.getTime(), slotAt.getTime() + SLOT_MS)).get(slotAt.getTime()) ?? 0;
  if (!fits(minutes, load, shop.ovenMinutesPerSlot)) throw slotError('full', 409);
  if (delivery && !hasDriverRoom(await readDriverRoom(tx, shop.id, delivery, Date.now(), slotAt.getTime() + SLOT_MS), slotAt.getTime())) throw slotError('drivers', 409);
}

/** The oven minutes of priced lines, with their products' make and bake minutes and their sizes' factors. */
export function ovenMinutesOf(
  lines: readonly PricedLine[],
  catalogue: ReadonlyMap<number, { makeMinutes?: number | null; bakeMinutes?: number | null; options?: readonly { id: number; kind: string; timeFactor?: number }[] }>,
): number {
  return ovenMinutes(
    lines.map((l) => {
      const p = catalogue.get(l.productId);
      const chosen = new Set(l.options.map((o) => o.id));
      const timeFactor = (p?.options ?? []).filter((o) => chosen.has(o.id) && o.kind === 'size').reduce((f, o) => f * Number(o.timeFactor ?? 1), 1);
      return { category: l.category, quantity: l.quantity, makeMinutes: p?.makeMinutes ?? null, bakeMinutes: p?.bakeMinutes ?? null, timeFactor };
    }),
  );
}
