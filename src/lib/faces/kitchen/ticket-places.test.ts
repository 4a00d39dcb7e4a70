import { describe, expect, it } from 'vitest';
import { flow, gridOf, keep, moved, offPage, pageCount, pageOf, pageWith, readingOrder, settleDue, stripPages, type Room } from './ticket-places.ts';

// columns 500 px high, 10 px between tickets; each ticket's height by its name: a 200, b 200, c 290, …
const H: Record<string, number> = { a: 200, b: 200, c: 290, d: 150, e: 250, f: 200, g: 200 };
const room: Room = { height: 500, gap: 10, heightOf: (id) => H[id] ?? 200 };
const ids = (columns: ReturnType<typeof flow>) => columns.map((c) => c.map((p) => (p.goneAt === null ? p.id : `(${p.id})`)));

describe('where each ticket sits on the wall', () => {
  it('flows the tickets down each column while they fit, then the next column', () => {
    expect(ids(flow(['a', 'b', 'c', 'd', 'e'], room))).toEqual([['a', 'b'], ['c', 'd'], ['e']]);
    // a ticket taller than a column still gets one of its own
    expect(ids(flow(['a', 'x'], { ...room, heightOf: (id) => (id === 'x' ? 900 : 200) }))).toEqual([['a'], ['x']]);
    // a phone: one column, the page scrolls
    expect(ids(flow(['a', 'b', 'c', 'd'], { ...room, height: Infinity }))).toEqual([['a', 'b', 'c', 'd']]);
  });

  it('keeps every ticket in its place when one leaves: its place is held, and nothing moves', () => {
    const before = flow(['a', 'b', 'c', 'd', 'e'], room);
    const after = keep(before, ['a', 'c', 'd', 'e'], room, 1000);
    expect(ids(after)).toEqual([['a', '(b)'], ['c', 'd'], ['e']]);
    expect(after[0][1].goneAt).toBe(1000);
    expect(moved(before, after)).toEqual([]);
    // a ticket taken back (a ready order back to the oven) takes its held place again
    expect(ids(keep(after, ['a', 'b', 'c', 'd', 'e'], room, 2000))).toEqual([['a', 'b'], ['c', 'd'], ['e']]);
  });

  it('puts a new ticket after the last one, under it when it fits, else at the top of the next column, never in a hole before', () => {
    const wall = keep(flow(['a', 'b', 'c'], room), ['b', 'c'], room, 1000);
    expect(ids(keep(wall, ['b', 'c', 'd'], room, 2000))).toEqual([['(a)', 'b'], ['c', 'd']]);
    expect(ids(keep(wall, ['b', 'c', 'e'], room, 2000))).toEqual([['(a)', 'b'], ['c'], ['e']]);
    // the first time, everything in its order
    expect(ids(keep([], ['a', 'b', 'c'], room, 0))).toEqual([['a', 'b'], ['c']]);
  });

  it('settles once a place has been held long enough, or a ticket is out of its order, or grew past the foot of its column', () => {
    const wall = flow(['a', 'b', 'c', 'd'], room);
    expect(settleDue(wall, ['a', 'b', 'c', 'd'], room, 0, 3000)).toBe(false);
    const held = keep(wall, ['a', 'c', 'd'], room, 1000);
    expect(settleDue(held, ['a', 'c', 'd'], room, 3999, 3000)).toBe(false);
    expect(settleDue(held, ['a', 'c', 'd'], room, 4000, 3000)).toBe(true);
    // d marked urgent: it belongs first
    expect(settleDue(wall, ['d', 'a', 'b', 'c'], room, 0, 3000)).toBe(true);
    // b grew (a change noted on it): its column runs past the foot
    expect(settleDue(wall, ['a', 'b', 'c', 'd'], { ...room, heightOf: (id) => (id === 'b' ? 320 : (H[id] ?? 200)) }, 0, 3000)).toBe(true);
    // c shrank (a change seen and gone): it would fit under b now
    expect(settleDue(wall, ['a', 'b', 'c', 'd'], { ...room, heightOf: (id) => (id === 'c' ? 50 : (H[id] ?? 200)) }, 0, 3000)).toBe(true);
  });

  it('says which tickets moved when the wall settles (a tap on them a moment later is held)', () => {
    const wall = keep(flow(['a', 'b', 'c', 'd', 'e'], room), ['a', 'c', 'd', 'e'], room, 1000);
    const settled = flow(['a', 'c', 'd', 'e'], room);
    expect(ids(settled)).toEqual([['a', 'c'], ['d', 'e']]);
    expect(moved(wall, settled).sort()).toEqual(['c', 'd', 'e']);
  });

  it('pages the columns a screen at a time and counts what is before and after the screen shown', () => {
    const wall = flow(['a', 'b', 'c', 'd', 'e', 'f', 'g'], room);
    expect(ids(wall)).toEqual([['a', 'b'], ['c', 'd'], ['e', 'f'], ['g']]);
    expect(pageCount(wall, 2)).toBe(2);
    expect(pageCount([], 2)).toBe(1);
    expect(ids(pageOf(wall, 1, 2))).toEqual([['e', 'f'], ['g']]);
    expect(pageWith(wall, 'g', 2)).toBe(1);
    expect(pageWith(wall, 'z', 2)).toBeNull();
    expect(offPage(wall, 0, 2)).toEqual({ before: 0, after: 3 });
    expect(offPage(wall, 1, 2)).toEqual({ before: 4, after: 0 });
    // a held place is not a ticket
    expect(offPage(keep(wall, ['a', 'b', 'c', 'd', 'e', 'f'], room, 5), 0, 2)).toEqual({ before: 0, after: 2 });
    expect(readingOrder(wall)).toEqual(['a', 'b', 'c', 'd', 'e', 'f', 'g']);
    expect(gridOf(pageOf(wall, 0, 2))).toEqual([
      { id: 'a', col: 0, row: 0 }, { id: 'b', col: 0, row: 1 }, { id: 'c', col: 1, row: 0 }, { id: 'd', col: 1, row: 1 },
    ]);
  });
});

describe('the all-day strip, a page at a time', () => {
  it('puts as many chips as fit on each page, in order, and never cuts one', () => {
    expect(stripPages([100, 100, 100, 100], 300, 10)).toEqual([[0, 1], [2, 3]]);
    expect(stripPages([100, 100, 100], 320, 0)).toEqual([[0, 1, 2]]);
    expect(stripPages([100, 500, 100], 320, 10)).toEqual([[0], [1], [2]]);
    expect(stripPages([], 320, 10)).toEqual([[]]);
  });
});
