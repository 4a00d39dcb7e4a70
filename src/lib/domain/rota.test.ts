import { describe, expect, it } from 'vitest';
import { addDays, checkShift, copyWeek, driversForSlot, isRotaRole, labourCents, labourShare, mondayOf, plannedDriversAt, staffPerHour, weekDates, type PlannedShift } from './rota.ts';

const at = (iso: string) => Date.parse(iso);
const shift = (userId: number, from: string, to: string, role: PlannedShift['role'] = 'driver'): PlannedShift => ({ userId, role, startsAt: at(from), endsAt: at(to) });

describe('the weeks of a rota', () => {
  it('runs from Monday to Sunday, whatever day is asked', () => {
    // 27 November 2026 is a Friday
    expect(mondayOf('2026-11-27')).toBe('2026-11-23');
    expect(mondayOf('2026-11-23')).toBe('2026-11-23');
    expect(mondayOf('2026-11-29')).toBe('2026-11-23');
    expect(weekDates('2026-11-23')).toEqual(['2026-11-23', '2026-11-24', '2026-11-25', '2026-11-26', '2026-11-27', '2026-11-28', '2026-11-29']);
    expect(addDays('2026-12-28', 7)).toBe('2027-01-04');
  });

  it('plans the crew only: drivers, pizzaiolos, counter', () => {
    expect(['driver', 'kitchen', 'counter'].every(isRotaRole)).toBe(true);
    expect(isRotaRole('manager')).toBe(false);
    expect(isRotaRole('customer')).toBe(false);
  });
});

describe("a shift's checks", () => {
  const mine = shift(1, '2026-11-27T17:00:00Z', '2026-11-27T21:00:00Z');
  it('ends after it starts and lasts at most 16 hours', () => {
    expect(checkShift(mine, [])).toBeNull();
    expect(checkShift({ ...mine, endsAt: mine.startsAt }, [])).toBe('ends_before_start');
    expect(checkShift({ ...mine, endsAt: mine.startsAt + 17 * 3_600_000 }, [])).toBe('too_long');
  });

  it('never puts one person on two shifts at once; back to back, another person, or itself are fine', () => {
    expect(checkShift(mine, [shift(1, '2026-11-27T20:00:00Z', '2026-11-27T23:00:00Z')])).toBe('overlap');
    expect(checkShift(mine, [shift(1, '2026-11-27T21:00:00Z', '2026-11-27T23:00:00Z')])).toBeNull();
    expect(checkShift(mine, [shift(2, '2026-11-27T17:00:00Z', '2026-11-27T21:00:00Z')])).toBeNull();
    expect(checkShift({ ...mine, id: 5 }, [{ ...mine, id: 5 }])).toBeNull();
  });
});

describe('copying last week', () => {
  it('puts each shift seven days on, except one that would clash with what the week already holds', () => {
    const last = [shift(1, '2026-11-20T17:00:00Z', '2026-11-20T21:00:00Z'), shift(2, '2026-11-21T17:00:00Z', '2026-11-21T21:00:00Z')];
    const already = [shift(2, '2026-11-28T20:00:00Z', '2026-11-28T23:00:00Z')];
    const { copies, clashes } = copyWeek(last, already);
    expect(copies).toEqual([shift(1, '2026-11-27T17:00:00Z', '2026-11-27T21:00:00Z')]);
    expect(clashes).toEqual([last[1]]);
  });
});

describe('the drivers a slot counts on', () => {
  const rota = [shift(1, '2026-11-27T17:00:00Z', '2026-11-27T21:00:00Z'), shift(2, '2026-11-27T18:00:00Z', '2026-11-27T22:00:00Z'), shift(3, '2026-11-27T17:00:00Z', '2026-11-27T21:00:00Z', 'kitchen')];
  it("counts the rota's drivers on shift for the whole slot, not the kitchen", () => {
    expect(plannedDriversAt(rota, at('2026-11-27T18:00:00Z'))).toBe(2);
    expect(plannedDriversAt(rota, at('2026-11-27T20:45:00Z'))).toBe(2);
    expect(plannedDriversAt(rota, at('2026-11-27T21:00:00Z'))).toBe(1);
    expect(plannedDriversAt(rota, at('2026-11-27T22:00:00Z'))).toBe(0);
  });

  it("tonight takes those on shift or the rota's if it plans more; later, the rota's alone", () => {
    expect(driversForSlot({ withinHorizon: true, onShift: 1, planned: 3 })).toBe(3);
    expect(driversForSlot({ withinHorizon: true, onShift: 2, planned: 0 })).toBe(2);
    expect(driversForSlot({ withinHorizon: false, onShift: 2, planned: 0 })).toBe(0);
    expect(driversForSlot({ withinHorizon: false, onShift: 0, planned: 3 })).toBe(3);
  });
});

describe('staff per hour and what they cost', () => {
  const spans = [
    { ...shift(1, '2026-11-27T17:30:00Z', '2026-11-27T19:00:00Z'), role: 'driver' as const },
    { ...shift(2, '2026-11-27T17:00:00Z', '2026-11-27T18:00:00Z'), role: 'kitchen' as const },
  ];
  it('counts each person present at some time in the hour', () => {
    expect(staffPerHour(spans, [at('2026-11-27T16:00:00Z'), at('2026-11-27T17:00:00Z'), at('2026-11-27T18:00:00Z')])).toEqual([0, 2, 1]);
  });

  it("costs each hour at its role's rate, cut to the day, and shares it against sales", () => {
    // 1.5 h of a driver at 14 €, 1 h of a pizzaiolo at 16 €: 21 + 16 = 37 €
    expect(labourCents(spans, { driver: 1400, kitchen: 1600 }, at('2026-11-27T00:00:00Z'), at('2026-11-28T00:00:00Z'))).toBe(3700);
    // from 18:00 only the driver's last hour
    expect(labourCents(spans, { driver: 1400, kitchen: 1600 }, at('2026-11-27T18:00:00Z'), at('2026-11-28T00:00:00Z'))).toBe(1400);
    expect(labourCents(spans, {}, 0, Number.MAX_SAFE_INTEGER)).toBe(0);
    expect(labourShare(3700, 12_000)).toBe(30.8);
    expect(labourShare(3700, 0)).toBeNull();
  });
});
