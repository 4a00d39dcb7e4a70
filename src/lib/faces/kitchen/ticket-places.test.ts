import { describe, expect, it } from 'vitest';
import { flow, gridOf, keep, layout, moved, offPage, pageCount, pageWith, readingOrder, settleDue, stripPages, type Pages, type Room, type Shape } from './ticket-places.ts';

// columns 500 px high, two a page, 10 px between tickets, 20 px for a ticket going on in the next column;
// each ticket a head of 100 px, lines of 50 px, a foot of 50: "a3" has three lines (300 px whole), "b6" six (450)
const shape = (id: string): Shape => ({ head: 100, lines: Array(Number(id.slice(1)) || 2).fill(50), foot: 50 });
const room: Room = { height: 500, columns: 2, gap: 10, breakCost: 20, shapeOf: shape };
const ids = (pages: Pages) => pages.map((c) => c.map((p) => (p.goneAt === null ? p.id : `(${p.id})`)));

describe('where each ticket sits on the wall', () => {
  it('fills each column, a ticket that does not fit going on at the top of the next between two lines, and cuts pages of whole tickets', () => {
    // a3 (300) then b3: its head and first line fit under a3 (310 + 150 = 460), its other lines go on in the next column
    const { at, columns } = layout([{ id: 'a3', goneAt: null }, { id: 'b3', goneAt: null }, { id: 'c2', goneAt: null }], room);
    expect(at).toEqual([{ col: 0, top: 0 }, { col: 0, top: 310 }, { col: 1, top: 180 }]);
    expect(columns).toBe(2);
    // a ticket whose head and first line do not fit under the last starts the next column
    expect(layout([{ id: 'a7', goneAt: null }, { id: 'b2', goneAt: null }], room).at[1]).toEqual({ col: 1, top: 0 });
    // two columns a page: the ticket that would need a third starts the next page, whole
    expect(ids(flow(['a3', 'b3', 'c2', 'd6', 'e2'], room))).toEqual([['a3', 'b3', 'c2'], ['d6', 'e2']]);
    // a phone: one column, the page scrolls
    expect(ids(flow(['a3', 'b3', 'c2', 'd6'], { ...room, height: Infinity, columns: 1 }))).toEqual([['a3', 'b3', 'c2', 'd6']]);
  });

  it('keeps every ticket in its place when one leaves: its place is held, and nothing moves', () => {
    const before = flow(['a3', 'b3', 'c2', 'd6'], room);
    const after = keep(before, ['a3', 'c2', 'd6'], room, 1000);
    expect(ids(after)).toEqual([['a3', '(b3)', 'c2'], ['d6']]);
    expect(after[0][1].goneAt).toBe(1000);
    expect(moved(before, after, room)).toEqual([]);
    // a ticket taken back (a ready order back to the oven) takes its held place again
    expect(ids(keep(after, ['a3', 'b3', 'c2', 'd6'], room, 2000))).toEqual([['a3', 'b3', 'c2'], ['d6']]);
  });

  it('puts a new ticket after the last one, on the last page while it fits, never in a hole before', () => {
    const wall = keep(flow(['a3', 'b3'], room), ['b3'], room, 1000);
    expect(ids(keep(wall, ['b3', 'c2'], room, 2000))).toEqual([['(a3)', 'b3', 'c2']]);
    expect(ids(keep(flow(['a6', 'b6'], room), ['a6', 'b6', 'c6'], room, 2000))).toEqual([['a6', 'b6'], ['c6']]);
    // the first time, everything in its order
    expect(ids(keep([], ['a3', 'b3', 'c2'], room, 0))).toEqual([['a3', 'b3', 'c2']]);
  });

  it('settles once a place has been held long enough, or a ticket is out of its order, or the pages are not what they would be afresh', () => {
    const wall = flow(['a3', 'b3', 'c2', 'd6'], room);
    expect(settleDue(wall, ['a3', 'b3', 'c2', 'd6'], room, 0, 3000)).toBe(false);
    const held = keep(wall, ['a3', 'c2', 'd6'], room, 1000);
    expect(settleDue(held, ['a3', 'c2', 'd6'], room, 3999, 3000)).toBe(false);
    expect(settleDue(held, ['a3', 'c2', 'd6'], room, 4000, 3000)).toBe(true);
    // d6 marked urgent: it belongs first
    expect(settleDue(wall, ['d6', 'a3', 'b3', 'c2'], room, 0, 3000)).toBe(true);
    // c2 grew (a line added to the order): the first page no longer holds it
    expect(settleDue(wall, ['a3', 'b3', 'c2', 'd6'], { ...room, shapeOf: (id) => (id === 'c2' ? shape('c9') : shape(id)) }, 0, 3000)).toBe(true);
  });

  it('says which tickets moved when the wall settles (a tap on them a moment later is held)', () => {
    const wall = keep(flow(['a3', 'b3', 'c2', 'd2'], room), ['a3', 'c2', 'd2'], room, 1000);
    const settled = flow(['a3', 'c2', 'd2'], room);
    expect(ids(settled)).toEqual([['a3', 'c2', 'd2']]);
    expect(moved(wall, settled, room).sort()).toEqual(['c2', 'd2']);
  });

  it('pages a screen at a time and counts what is before and after the screen shown', () => {
    const wall = flow(['a3', 'b3', 'c2', 'd6', 'e2', 'f9'], room);
    expect(ids(wall)).toEqual([['a3', 'b3', 'c2'], ['d6', 'e2'], ['f9']]);
    expect(pageCount(wall)).toBe(3);
    expect(pageCount([])).toBe(1);
    expect(pageWith(wall, 'e2')).toBe(1);
    expect(pageWith(wall, 'z')).toBeNull();
    expect(offPage(wall, 0)).toEqual({ before: 0, after: 3 });
    expect(offPage(wall, 1)).toEqual({ before: 3, after: 1 });
    // a held place is not a ticket
    expect(offPage(keep(wall, ['a3', 'b3', 'c2', 'd6', 'f9'], room, 5), 0)).toEqual({ before: 0, after: 2 });
    expect(readingOrder(wall)).toEqual(['a3', 'b3', 'c2', 'd6', 'e2', 'f9']);
    expect(gridOf(wall[0], room)).toEqual([{ id: 'a3', col: 0, row: 0 }, { id: 'b3', col: 0, row: 1 }, { id: 'c2', col: 1, row: 0 }]);
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
