// The managers' map is pushed at most once a second per shop, and the shops' pushes are spread over
// the second: in a rush every shop changes all the time, and five shops' plans read at the same
// moment made every move of that moment wait behind them.
import { describe, expect, it } from 'vitest';
import { pushSlots } from '../../server/fleet-watch.ts';

describe("the managers' map's pushes", () => {
  it('share out the second among the shops, whenever their changes come', () => {
    const slots = pushSlots(1000, 0);
    const now = 1_700_000_000_000; // a whole second
    // every shop changes in the same millisecond
    const first = [1, 2, 3, 4, 5].map((shop) => slots.next(shop, now + 3));
    // no two shops share a moment of the second
    const moments = first.map((t) => t % 1000).sort((a, b) => a - b);
    for (let i = 1; i < moments.length; i++) expect(moments[i] - moments[i - 1]).toBeGreaterThanOrEqual(140);
    for (const t of first) {
      expect(t).toBeGreaterThanOrEqual(now + 3);
      expect(t).toBeLessThanOrEqual(now + 3 + 1000);
    }
  });

  it('never push a shop twice within a second, and push it within a second of a change after that', () => {
    const slots = pushSlots(1000, 0.37);
    let now = 1_700_000_000_123;
    let previous = slots.next(4, now);
    for (let i = 0; i < 50; i++) {
      // the first change after the push comes right after it (a rush), or a while later
      now = previous + (i % 3 === 0 ? 1 : 1700);
      const next = slots.next(4, now);
      expect(next - previous).toBeGreaterThanOrEqual(999);
      expect(next - now).toBeLessThanOrEqual(1000);
      previous = next;
    }
  });

  it('two hubs with their own offsets do not read a shop at the same moment', () => {
    const a = pushSlots(1000, 0.1);
    const b = pushSlots(1000, 0.6);
    const now = 1_700_000_000_000;
    expect(Math.abs((a.next(7, now) % 1000) - (b.next(7, now) % 1000))).toBeGreaterThanOrEqual(400);
  });
});
