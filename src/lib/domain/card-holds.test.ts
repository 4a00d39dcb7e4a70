import { describe, expect, it } from 'vitest';
import { holdDueAt, payAgainBy, savesCardFirst } from './card-holds.ts';

const H = 3_600_000;
const at = (iso: string) => Date.parse(iso);
// Tuesday 24 November 2026, 17:00 Paris
const NOW = at('2026-11-24T16:00:00Z');

describe('when an order paid online is held on its card', () => {
  it('an order for tonight or tomorrow is held at checkout; one more than two days ahead saves the card first', () => {
    expect(savesCardFirst(null, NOW)).toBe(false);
    expect(savesCardFirst(NOW + 3 * H, NOW)).toBe(false);
    expect(savesCardFirst(NOW + 48 * H, NOW)).toBe(false);
    expect(savesCardFirst(NOW + 48 * H + 15 * 60_000, NOW)).toBe(true);
    expect(savesCardFirst(NOW + 6.5 * 24 * H, NOW)).toBe(true);
  });

  it('the hold is placed the day before the slot, and at least six hours before the order is fired', () => {
    const slot = at('2026-11-30T19:00:00Z');
    const fire = slot - 40 * 60_000;
    expect(holdDueAt(slot, fire)).toBe(slot - 24 * H);
    // a fire time far before its slot (a party's order started early): six hours before the fire
    expect(holdDueAt(slot, slot - 20 * H)).toBe(slot - 26 * H);
    // whatever the slot, within the 7 days a hold lasts before it is captured at the fire
    expect(fire - holdDueAt(slot, fire)).toBeLessThan(7 * 24 * H);
  });

  it('a refused hold leaves twelve hours to pay, until two hours before the fire, and never less than half an hour', () => {
    const fire = at('2026-11-30T18:20:00Z');
    const failed = fire - 24 * H;
    expect(payAgainBy(failed, fire)).toBe(failed + 12 * H);
    expect(payAgainBy(fire - 6 * H, fire)).toBe(fire - 2 * H);
    // refused after a manager fired the order early: half an hour all the same
    expect(payAgainBy(fire + 5 * 60_000, fire)).toBe(fire + 35 * 60_000);
  });
});
