import { describe, expect, it } from 'vitest';
import { availabilityToTell } from './sync.ts';

const told = (entries: [string, boolean, boolean][]) => new Map(entries.map(([id, available, earlierDay]) => [id, { available, earlierDay }]));

describe('what a platform store hears of the shop’s availability', () => {
  it('only what changed since it was last told; an item never told is on sale as the menu said', () => {
    const now = new Map([['p1', false], ['p2', true], ['p3', true], ['o4', false]]);
    expect(availabilityToTell(now, told([['p2', false, false], ['p3', true, false], ['o4', false, false]]))).toEqual([
      { id: 'p1', available: false },
      { id: 'p2', available: true },
    ]);
  });

  it('a sold-out still true that it was told on an earlier day is told again as lasting (Deliveroo’s morning reset), once a day', () => {
    const now = new Map([['p1', false], ['p2', true]]);
    expect(availabilityToTell(now, told([['p1', false, true], ['p2', true, true]]))).toEqual([{ id: 'p1', available: false, lasting: true }]);
    expect(availabilityToTell(now, told([['p1', false, false]]))).toEqual([]);
  });
});
