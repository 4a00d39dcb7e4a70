import { describe, expect, it } from 'vitest';
import { keyAction, type Spot } from './bump-keys.ts';

// the make line's screen: three columns (two tickets, two, one), then two tickets on the pass
const spots: Spot[] = [
  { band: 0, col: 0, row: 0 }, { band: 0, col: 0, row: 1 },
  { band: 0, col: 1, row: 0 }, { band: 0, col: 1, row: 1 },
  { band: 0, col: 2, row: 0 },
  { band: 1, col: 0, row: 0 }, { band: 1, col: 1, row: 0 },
];
const three = spots.slice(0, 3);

describe("the kitchen's keys", () => {
  it('a number picks the ticket at that place (0 is the tenth), if there is one', () => {
    const twelve = Array.from({ length: 12 }, (_, i) => ({ band: 0, col: Math.floor(i / 2), row: i % 2 }));
    expect(keyAction('1', null, twelve)).toEqual({ kind: 'select', index: 0 });
    expect(keyAction('0', null, twelve)).toEqual({ kind: 'select', index: 9 });
    expect(keyAction('7', 2, spots.slice(0, 6))).toBeNull();
  });

  it('up and down go through the tickets in reading order; left and right to the next column at the same height; never off the screen', () => {
    expect(keyAction('ArrowRight', null, spots)).toEqual({ kind: 'select', index: 0 });
    expect(keyAction('ArrowDown', 0, spots)).toEqual({ kind: 'select', index: 1 });
    expect(keyAction('ArrowDown', 1, spots)).toEqual({ kind: 'select', index: 2 });
    expect(keyAction('ArrowUp', 2, spots)).toEqual({ kind: 'select', index: 1 });
    expect(keyAction('ArrowRight', 1, spots)).toEqual({ kind: 'select', index: 3 });
    expect(keyAction('ArrowRight', 3, spots)).toEqual({ kind: 'select', index: 4 });
    expect(keyAction('ArrowLeft', 4, spots)).toEqual({ kind: 'select', index: 2 });
    // no column further: the ticket before or after
    expect(keyAction('ArrowLeft', 1, spots)).toEqual({ kind: 'select', index: 0 });
    expect(keyAction('ArrowLeft', 0, spots)).toEqual({ kind: 'select', index: 0 });
    // the pass is a row of its own
    expect(keyAction('ArrowRight', 5, spots)).toEqual({ kind: 'select', index: 6 });
    expect(keyAction('ArrowRight', 6, spots)).toEqual({ kind: 'select', index: 6 });
    expect(keyAction('ArrowDown', null, [])).toBeNull();
  });

  it('Enter bumps the picked ticket; E and C hand over a pickup paid cash or card; V, R and Delete do what the ticket buttons do', () => {
    expect(keyAction('Enter', 0, three)).toEqual({ kind: 'bump' });
    expect(keyAction(' ', 0, three)).toEqual({ kind: 'bump' });
    expect(keyAction('e', 1, three)).toEqual({ kind: 'pay', method: 'cash' });
    expect(keyAction('C', 1, three)).toEqual({ kind: 'pay', method: 'card' });
    expect(keyAction('v', 1, three)).toEqual({ kind: 'seen' });
    expect(keyAction('r', 1, three)).toEqual({ kind: 'recipe' });
    expect(keyAction('Delete', 1, three)).toEqual({ kind: 'remove' });
  });

  it('X crosses off the next line of the picked ticket and Z un-crosses the last one', () => {
    expect(keyAction('x', 0, three)).toEqual({ kind: 'cross' });
    expect(keyAction('Z', 2, three)).toEqual({ kind: 'uncross' });
    expect(keyAction('z', null, three)).toBeNull();
    expect(keyAction('u', 0, three)).toEqual({ kind: 'recall' });
  });

  it('L brings back the last ticket bumped in one press, nothing picked; Page Down and Page Up turn the screens', () => {
    expect(keyAction('l', null, three)).toEqual({ kind: 'last' });
    expect(keyAction('L', null, [])).toEqual({ kind: 'last' });
    expect(keyAction('PageDown', null, three)).toEqual({ kind: 'page', delta: 1 });
    expect(keyAction('PageUp', 1, three)).toEqual({ kind: 'page', delta: -1 });
  });

  it('with nothing picked, a ticket key does nothing; S turns the sound on or off at any time', () => {
    expect(keyAction('Enter', null, three)).toBeNull();
    expect(keyAction('Enter', 5, three)).toBeNull();
    expect(keyAction('s', null, [])).toEqual({ kind: 'sound' });
    expect(keyAction('q', 0, three)).toBeNull();
  });
});

describe('the number shown on each ticket', () => {
  it('is its number key: 1 to 9, then 0, then none', async () => {
    const { placeKey } = await import('./bump-keys.ts');
    expect([0, 8, 9, 10].map(placeKey)).toEqual(['1', '9', '0', '']);
  });
});
