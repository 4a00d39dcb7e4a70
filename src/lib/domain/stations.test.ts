import { describe, expect, it } from 'vitest';
import { checkStations, doneAt, linesAt, madeEverywhere, otherStations, progress, readyWhenAllCrossed, stationOf, type Station } from './stations.ts';

const oven: Station = { id: 1, name: 'Four', isPass: false, kinds: ['pizza'], categoryIds: [] };
const cold: Station = { id: 2, name: 'Froid', isPass: false, kinds: ['drink', 'dessert'], categoryIds: [] };
const pass: Station = { id: 3, name: 'Passe', isPass: true, kinds: [], categoryIds: [] };
// the pass listed first: routing must not fall back on it while a make station exists
const shop = [pass, oven, cold];

const pizza = (doneAt: string | null = null) => ({ category: 'pizza' as const, categoryId: 10, doneAt });
const drink = (doneAt: string | null = null) => ({ category: 'drink' as const, categoryId: 20, doneAt });
const salad = (doneAt: string | null = null) => ({ category: 'dessert' as const, categoryId: 30, doneAt });

describe('where a line is made', () => {
  it('a kind goes to its station; a category routed elsewhere wins over its kind', () => {
    expect(stationOf(pizza(), shop)?.name).toBe('Four');
    expect(stationOf(drink(), shop)?.name).toBe('Froid');
    const coldDesserts = { ...cold, kinds: ['drink' as const], categoryIds: [30] };
    const ovenDesserts = { ...oven, kinds: ['pizza' as const, 'dessert' as const] };
    expect(stationOf(salad(), [pass, ovenDesserts, coldDesserts])?.name).toBe('Froid');
  });

  it('what nothing routes goes to the first make station, and a shop without stations has none', () => {
    expect(stationOf(salad(), [pass, oven])?.name).toBe('Four');
    expect(stationOf(pizza(), [])).toBeNull();
    expect(stationOf(pizza(), [pass])?.name).toBe('Passe');
  });

  it('a station sees its own lines, in their place in the order, and which other stations the order goes to', () => {
    const lines = [pizza(), drink(), pizza()];
    expect(linesAt(lines, oven, shop).map((l) => l.index)).toEqual([0, 2]);
    expect(otherStations(lines, oven, shop).map((s) => s.name)).toEqual(['Froid']);
    expect(otherStations([pizza()], oven, shop)).toEqual([]);
  });
});

describe('when an order is made', () => {
  it('a station is done when its lines are crossed off, whatever the others', () => {
    const lines = [pizza('t'), drink()];
    expect(doneAt(lines, oven, shop)).toBe(true);
    expect(doneAt(lines, cold, shop)).toBe(false);
    expect(progress(lines, shop).map((p) => `${p.station.name} ${p.done}/${p.total}`)).toEqual(['Four 1/1', 'Froid 0/1']);
  });

  it('the pass lights an order once every make station is done; lines of the pass itself do not keep it dark', () => {
    expect(madeEverywhere([pizza('t'), drink()], shop)).toBe(false);
    expect(madeEverywhere([pizza('t'), drink('t')], shop)).toBe(true);
    const pourAtPass = [oven, { ...pass, kinds: ['drink' as const] }];
    expect(madeEverywhere([pizza('t'), drink()], pourAtPass)).toBe(true);
    expect(madeEverywhere([], shop)).toBe(false);
  });

  it('crossing off the last line makes an order ready by itself only where no pass says so', () => {
    expect(readyWhenAllCrossed([])).toBe(true);
    expect(readyWhenAllCrossed([oven, cold])).toBe(true);
    expect(readyWhenAllCrossed(shop)).toBe(false);
  });
});

describe("a manager's stations", () => {
  it('are refused with a reason for each mistake', () => {
    const problems = checkStations([
      { name: 'Four', isPass: false, kinds: ['pizza'], categoryIds: [7] },
      { name: 'four ', isPass: false, kinds: ['pizza'], categoryIds: [7] },
      { name: '', isPass: true, kinds: [], categoryIds: [] },
      { name: 'Passe', isPass: true, kinds: [], categoryIds: [] },
    ]);
    expect(problems.map((p) => p.field)).toEqual(['stations.1.name', 'stations.1.kinds', 'stations.1.categoryIds', 'stations.2.name', 'stations']);
    expect(checkStations([oven, cold, pass])).toEqual([]);
  });
});
