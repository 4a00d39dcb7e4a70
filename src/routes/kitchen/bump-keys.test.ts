import { describe, expect, it } from 'vitest';
import { keyAction } from './bump-keys.ts';

describe("the kitchen's keys", () => {
  it('a number picks the ticket at that place (0 is the tenth), if there is one', () => {
    expect(keyAction('1', null, 12, 5)).toEqual({ kind: 'select', index: 0 });
    expect(keyAction('0', null, 12, 5)).toEqual({ kind: 'select', index: 9 });
    expect(keyAction('7', 2, 6, 5)).toBeNull();
  });

  it('arrows move the pick along a row and from row to row, never off the screen; the first arrow picks the first ticket', () => {
    expect(keyAction('ArrowRight', null, 12, 5)).toEqual({ kind: 'select', index: 0 });
    expect(keyAction('ArrowRight', 3, 12, 5)).toEqual({ kind: 'select', index: 4 });
    expect(keyAction('ArrowDown', 3, 12, 5)).toEqual({ kind: 'select', index: 8 });
    expect(keyAction('ArrowDown', 8, 12, 5)).toEqual({ kind: 'select', index: 11 });
    expect(keyAction('ArrowUp', 2, 12, 5)).toEqual({ kind: 'select', index: 0 });
    expect(keyAction('ArrowLeft', 0, 12, 5)).toEqual({ kind: 'select', index: 0 });
    expect(keyAction('ArrowDown', null, 0, 5)).toBeNull();
  });

  it('Enter bumps the picked ticket; E and C hand over a pickup paid cash or card; V, R and Delete do what the ticket buttons do', () => {
    expect(keyAction('Enter', 0, 3, 5)).toEqual({ kind: 'bump' });
    expect(keyAction(' ', 0, 3, 5)).toEqual({ kind: 'bump' });
    expect(keyAction('e', 1, 3, 5)).toEqual({ kind: 'pay', method: 'cash' });
    expect(keyAction('C', 1, 3, 5)).toEqual({ kind: 'pay', method: 'card' });
    expect(keyAction('v', 1, 3, 5)).toEqual({ kind: 'seen' });
    expect(keyAction('r', 1, 3, 5)).toEqual({ kind: 'recipe' });
    expect(keyAction('Delete', 1, 3, 5)).toEqual({ kind: 'remove' });
  });

  it('X crosses off the next line of the picked ticket and Z un-crosses the last one', () => {
    expect(keyAction('x', 0, 3, 5)).toEqual({ kind: 'cross' });
    expect(keyAction('Z', 2, 3, 5)).toEqual({ kind: 'uncross' });
    expect(keyAction('z', null, 3, 5)).toBeNull();
    expect(keyAction('u', 0, 3, 5)).toEqual({ kind: 'recall' });
  });

  it('with nothing picked, a ticket key does nothing; S turns the sound on or off at any time', () => {
    expect(keyAction('Enter', null, 3, 5)).toBeNull();
    expect(keyAction('Enter', 5, 3, 5)).toBeNull();
    expect(keyAction('s', null, 0, 5)).toEqual({ kind: 'sound' });
    expect(keyAction('q', 0, 3, 5)).toBeNull();
  });
});

describe('the number shown on each ticket', () => {
  it('is its number key: 1 to 9, then 0, then none', async () => {
    const { placeKey } = await import('./bump-keys.ts');
    expect([0, 8, 9, 10].map(placeKey)).toEqual(['1', '9', '0', '']);
  });
});
