import { describe, expect, it } from 'vitest';
import type { OpeningHours } from './opening-hours.ts';
import { SLOT_MS, asapPromise, checkSlot, fireTime, firstSlotWithRoom, fits, ovenMinutes, slotOf, slotsAhead } from './slots.ts';

// dinner every evening but Monday, Paris time (UTC+1 in November)
const SHOP: OpeningHours = {
  week: { 2: [['18:00', '23:00']], 3: [['18:00', '23:00']], 4: [['18:00', '23:00']], 5: [['18:00', '23:00']], 6: [['18:00', '23:00']], 7: [['18:00', '23:00']] },
  closedOn: ['2026-11-26'],
};
const at = (iso: string) => Date.parse(iso);
// Tuesday 24 November 2026, 17:00 Paris
const NOW = at('2026-11-24T16:00:00Z');

describe('orders for later, in 15-minute slots', () => {
  it('counts an order by its pizzas: make and bake, scaled by size; drinks take no oven time', () => {
    const margherita = { category: 'pizza' as const, makeMinutes: null, bakeMinutes: null, timeFactor: 1 };
    expect(ovenMinutes([{ ...margherita, quantity: 2 }])).toBe(18);
    expect(ovenMinutes([{ ...margherita, quantity: 1, timeFactor: 1.3 }])).toBe(11.7);
    expect(ovenMinutes([{ category: 'drink', quantity: 6, makeMinutes: null, bakeMinutes: null, timeFactor: 1 }])).toBe(0);
    // a product's own minutes win over its kind's
    expect(ovenMinutes([{ ...margherita, quantity: 1, makeMinutes: 5, bakeMinutes: 8 }])).toBe(13);
  });

  it('fires an order its lead time before the middle of its slot', () => {
    const slot = at('2026-11-24T19:30:00Z');
    expect(fireTime(slot, 30)).toBe(slot + 7.5 * 60_000 - 30 * 60_000);
  });

  it('offers only slots on the quarter, far enough for the lead time, within a week and while the shop is open', () => {
    const rules = { hours: SHOP, now: NOW, leadMinutes: 30 };
    const slots = slotsAhead(rules);
    // the first: 18:30 Paris, fired at 18:07:30 (18:15's would fire at 17:52:30, before the opening)
    expect(new Date(slots[0]).toISOString()).toBe('2026-11-24T17:30:00.000Z');
    // the last of the evening starts at 22:45 and ends at the closing
    expect(slots).toContain(at('2026-11-24T21:45:00Z'));
    expect(slots).not.toContain(at('2026-11-24T22:00:00Z'));
    // Thursday is a closed day, Monday has no hours: none of theirs
    const day = (ms: number) => new Date(ms + 3_600_000).toISOString().slice(0, 10);
    expect(slots.some((s) => day(s) === '2026-11-26')).toBe(false);
    expect(slots.some((s) => day(s) === '2026-11-30')).toBe(false);
    expect(slots.every((s) => s % SLOT_MS === 0 && s <= NOW + 7 * 86_400_000)).toBe(true);
    // every evening has its 18 quarter hours from 18:30 to 22:45
    expect(slots.filter((s) => day(s) === '2026-11-25')).toHaveLength(18);
  });

  it('says why a slot is refused', () => {
    const rules = { hours: SHOP, now: NOW, leadMinutes: 30 };
    expect(checkSlot(at('2026-11-24T19:10:00Z'), rules)).toEqual({ ok: false, reason: 'not_a_slot' });
    expect(checkSlot(at('2026-11-24T16:15:00Z'), rules)).toEqual({ ok: false, reason: 'too_soon' });
    expect(checkSlot(at('2026-12-02T19:00:00Z'), rules)).toEqual({ ok: false, reason: 'too_far' });
    expect(checkSlot(at('2026-11-26T19:00:00Z'), rules)).toEqual({ ok: false, reason: 'closed' });
    expect(checkSlot(at('2026-11-24T19:00:00Z'), rules)).toEqual({ ok: true, fireAt: fireTime(at('2026-11-24T19:00:00Z'), 30) });
    expect(slotOf(at('2026-11-24T19:14:59Z'))).toBe(at('2026-11-24T19:00:00Z'));
  });

  it('fits an order in a slot while the slot has the oven minutes; a party bigger than a slot only in an empty one', () => {
    expect(fits(18, 100, 120)).toBe(true);
    expect(fits(18, 110, 120)).toBe(false);
    expect(fits(0, 200, 120)).toBe(true);
    expect(fits(180, 0, 120)).toBe(true);
    expect(fits(180, 9, 120)).toBe(false);
  });

  it('promises an order for as soon as possible the first slot with room: the promise grows as the oven fills', () => {
    const from = at('2026-11-24T19:07:00Z');
    const q = (iso: string) => at(iso);
    const load = new Map([[q('2026-11-24T19:00:00Z'), 115], [q('2026-11-24T19:15:00Z'), 120], [q('2026-11-24T19:30:00Z'), 112]]);
    expect(firstSlotWithRoom(load, from, 9, 120)).toBe(q('2026-11-24T19:45:00Z'));
    expect(firstSlotWithRoom(load, from, 0, 120)).toBe(q('2026-11-24T19:00:00Z'));
    expect(firstSlotWithRoom(new Map(), from, 9, 120)).toBe(q('2026-11-24T19:00:00Z'));
    // a kitchen full for hours: the last slot looked at
    const full = new Map(Array.from({ length: 20 }, (_, i) => [q('2026-11-24T19:00:00Z') + i * SLOT_MS, 120] as [number, number]));
    expect(firstSlotWithRoom(full, from, 9, 120, 4)).toBe(q('2026-11-24T19:45:00Z'));
  });

  it('promises as soon as possible: the queue and the road, plus the manager\'s busy minutes, later when the oven is full', () => {
    const now = at('2026-11-24T19:02:00Z');
    const quiet = asapPromise({ ruleMinutes: 30, busyMinutes: 0, need: 9, capacity: 120, load: new Map(), now });
    expect(quiet).toEqual({ minutes: 30, slotAt: at('2026-11-24T19:30:00Z') });
    expect(asapPromise({ ruleMinutes: 30, busyMinutes: 20, need: 9, capacity: 120, load: new Map(), now }).minutes).toBe(50);
    // the slots at 19:30 and 19:45 are full: due by the middle of 20:00's (20:07:30), a promise of 70 minutes (20:12)
    const full = new Map([[at('2026-11-24T19:30:00Z'), 118], [at('2026-11-24T19:45:00Z'), 120]]);
    expect(asapPromise({ ruleMinutes: 30, busyMinutes: 0, need: 9, capacity: 120, load: full, now })).toEqual({ minutes: 70, slotAt: at('2026-11-24T20:00:00Z') });
    // drinks only: no oven time, no wait for room
    expect(asapPromise({ ruleMinutes: 15, busyMinutes: 0, need: 0, capacity: 120, load: full, now }).minutes).toBe(15);
  });
});
