import { describe, expect, it } from 'vitest';
import { Untouched } from './new-tickets.ts';

describe('a new ticket nobody touched', () => {
  it('chimes again every reminder period until it is touched', () => {
    const u = new Untouched();
    u.add('a', 0);
    expect(u.due(29_000, 30_000)).toBe(false);
    expect(u.due(30_000, 30_000)).toBe(true);
    expect(u.due(45_000, 30_000)).toBe(false);
    expect(u.due(60_000, 30_000)).toBe(true);
    expect(u.touch('a')).toBe(true);
    expect(u.due(200_000, 30_000)).toBe(false);
  });

  it('counts each ticket from its own last chime, and one chime covers several due at once', () => {
    const u = new Untouched();
    u.add('a', 0);
    u.add('b', 10_000);
    expect(u.due(30_000, 30_000)).toBe(true); // a
    expect(u.due(40_000, 30_000)).toBe(true); // b
    expect(u.due(55_000, 30_000)).toBe(false);
    expect(u.due(70_000, 30_000)).toBe(true); // both, one chime
    expect(u.due(71_000, 30_000)).toBe(false);
  });

  it('stops for tickets started elsewhere or cancelled, and never reminds when the period is 0', () => {
    const u = new Untouched();
    u.add('a', 0);
    u.add('b', 0);
    u.keepOnly(new Set(['b']));
    expect(u.ids).toEqual(['b']);
    expect(u.due(1_000_000, 0)).toBe(false);
  });
});
