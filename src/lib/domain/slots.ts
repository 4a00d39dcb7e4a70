// Orders for later and the kitchen's capacity: time in 15-minute slots, each with so many oven
// minutes a shop can make (its pizzaiolos and its oven), an order taking its pizzas' make and bake
// minutes from the slot it is due in. Pure rules: the server feeds them the clock, the shop's
// hours and what its slots already hold.
import { isOpenAt, type OpeningHours } from './opening-hours.ts';
import type { ProductKind } from './product-kinds.ts';

export const SLOT_MINUTES = 15;
export const SLOT_MS = SLOT_MINUTES * 60_000;
/** How far ahead an order may be placed. */
export const MAX_DAYS_AHEAD = 7;
/** Two pizzaiolos and an oven of six: about 13 pizzas of 30 cm per quarter of an hour. */
export const DEFAULT_OVEN_MINUTES_PER_SLOT = 120;

/** Minutes a product takes when its own are not set: a pizza is made in 3 and baked in 6 (a wood or deck oven at 350 °C). */
export const KIND_MINUTES: Record<ProductKind, { make: number; bake: number }> = {
  pizza: { make: 3, bake: 6 },
  drink: { make: 0, bake: 0 },
  dessert: { make: 0, bake: 0 },
};

/** The start of the slot an instant is in (slots are quarter hours, as every time zone in use). */
export const slotOf = (ms: number) => Math.floor(ms / SLOT_MS) * SLOT_MS;
/** The first slot starting at or after an instant. */
export const slotFrom = (ms: number) => Math.ceil(ms / SLOT_MS) * SLOT_MS;

export interface OvenLine {
  category: ProductKind;
  quantity: number;
  /** The product's own minutes (null: its kind's). */
  makeMinutes: number | null;
  bakeMinutes: number | null;
  /** The chosen size's factor (1 without a size): a 40 cm pizza takes longer than a 30 cm one. */
  timeFactor: number;
}

/** The oven minutes an order takes from its slot, to a tenth. */
export function ovenMinutes(lines: readonly OvenLine[]): number {
  let total = 0;
  for (const l of lines) {
    const kind = KIND_MINUTES[l.category] ?? { make: 0, bake: 0 };
    const each = ((l.makeMinutes ?? kind.make) + (l.bakeMinutes ?? kind.bake)) * l.timeFactor;
    total += each * l.quantity;
  }
  return Math.round(total * 10) / 10;
}

export interface SlotRules {
  /** The shop's opening hours (null: always open). */
  hours: OpeningHours | null;
  now: number;
  /** Minutes from firing an order to the customer having it: the make line, the oven, the box, the road. */
  leadMinutes: number;
  daysAhead?: number;
}

/**
 * When an order for a slot is fired (enters the make line): its lead time before the middle of the
 * slot, so that it reaches the customer inside it even a few minutes early or late.
 */
export const fireTime = (slotStart: number, leadMinutes: number) => slotStart + SLOT_MS / 2 - Math.round(leadMinutes * 60_000);

export type SlotRefusal = 'not_a_slot' | 'too_soon' | 'too_far' | 'closed';

/**
 * Whether an order may be placed for the slot starting at `start`: on a slot's edge, far enough
 * ahead for its lead time (fired no earlier than now), at most `daysAhead` days ahead, and the shop
 * open from the order's firing to the slot's end.
 */
export function checkSlot(start: number, r: SlotRules): { ok: true; fireAt: number } | { ok: false; reason: SlotRefusal } {
  if (!Number.isFinite(start) || start % SLOT_MS !== 0) return { ok: false, reason: 'not_a_slot' };
  const fireAt = fireTime(start, r.leadMinutes);
  if (fireAt < r.now) return { ok: false, reason: 'too_soon' };
  if (start > r.now + (r.daysAhead ?? MAX_DAYS_AHEAD) * 86_400_000) return { ok: false, reason: 'too_far' };
  if (r.hours && !(isOpenAt(r.hours, new Date(fireAt)) && isOpenAt(r.hours, new Date(start)) && isOpenAt(r.hours, new Date(start + SLOT_MS - 60_000)))) {
    return { ok: false, reason: 'closed' };
  }
  return { ok: true, fireAt };
}

/** Every slot an order may be placed for, from the first its lead time allows to `daysAhead` days ahead. */
export function slotsAhead(r: SlotRules): number[] {
  const out: number[] = [];
  const last = r.now + (r.daysAhead ?? MAX_DAYS_AHEAD) * 86_400_000;
  for (let start = slotFrom(r.now + r.leadMinutes * 60_000 - SLOT_MS / 2); start <= last; start += SLOT_MS) {
    if (checkSlot(start, r).ok) out.push(start);
  }
  return out;
}

/** Oven minutes still free in a slot. */
export const freeMinutes = (capacity: number, load: number) => Math.max(0, Math.round((capacity - load) * 10) / 10);

/**
 * Whether an order of `need` oven minutes fits in a slot already holding `load`: an order with no
 * pizza always does, and one bigger than a whole slot (a party's twenty pizzas) only in an empty one.
 */
export const fits = (need: number, load: number, capacity: number) => need <= 0 || load + need <= capacity || load === 0;

/**
 * The first slot from `fromMs` (the slot it is in) with room for `need` oven minutes: where an
 * order for as soon as possible is due when the kitchen is full (its promise grows by itself
 * instead of the kitchen drowning). Looks `maxSlots` ahead; past them, the last one looked at.
 */
export function firstSlotWithRoom(load: ReadonlyMap<number, number>, fromMs: number, need: number, capacity: number, maxSlots = 16): number {
  let start = slotOf(fromMs);
  for (let i = 0; i < maxSlots; i++, start += SLOT_MS) if (fits(need, load.get(start) ?? 0, capacity)) return start;
  return start - SLOT_MS;
}

/**
 * The promise of an order for as soon as possible, in minutes from now (a multiple of 5, as the
 * customer reads it): the kitchen's queue and the road (`ruleMinutes`), plus what the manager added
 * in a rush (`busyMinutes`), later still when the oven has no room for it before: it is then due in
 * the middle of the first slot that has. `slotAt`: the slot it takes its oven minutes from.
 */
export function asapPromise(o: {
  ruleMinutes: number;
  busyMinutes: number;
  need: number;
  capacity: number;
  load: ReadonlyMap<number, number>;
  now: number;
}): { minutes: number; slotAt: number } {
  const base = o.ruleMinutes + Math.max(0, o.busyMinutes);
  const slot = firstSlotWithRoom(o.load, o.now + base * 60_000, o.need, o.capacity);
  // pushed to a later slot: due by its middle, said in fives
  const minutes = slot > slotOf(o.now + base * 60_000) ? Math.max(base, Math.ceil((slot + SLOT_MS / 2 - o.now) / 60_000 / 5) * 5) : base;
  return { minutes, slotAt: slotOf(o.now + minutes * 60_000) };
}
