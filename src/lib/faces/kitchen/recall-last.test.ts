import { describe, expect, it } from 'vitest';
import type { OrderItemView, OrderView } from '../../shapes/views.ts';
import type { Station } from '../../domain/stations.ts';
import { viewOf } from './station-view.ts';
import { lastBump, recallableUntil } from './recall-last.ts';

const oven: Station = { id: 1, name: 'Four', isPass: false, kinds: ['pizza'], categoryIds: [] };
const cold: Station = { id: 2, name: 'Froid', isPass: false, kinds: ['drink', 'dessert'], categoryIds: [] };
const pass: Station = { id: 3, name: 'Passe', isPass: true, kinds: [], categoryIds: [] };
const shop = [oven, cold, pass];
const NOW = Date.parse('2026-11-24T20:10:00.000Z');
const ago = (s: number) => new Date(NOW - s * 1000).toISOString();
const UNDO = 120_000;

let nextLine = 1;
const line = (category: OrderItemView['category'], doneSecondsAgo: number | null = null): OrderItemView => ({
  id: nextLine++, productId: 1, name: category, category, categoryId: null, quantity: 1, unitPriceCents: 1000, options: [], doneAt: doneSecondsAgo === null ? null : ago(doneSecondsAgo),
});
const order = (id: string, status: OrderView['status'], items: OrderItemView[], extra: Partial<OrderView> = {}) =>
  ({ id, number: Number(id.slice(1)), status, items, driver: null, delivery: { awaitingDecision: false, attempts: 0 }, timestamps: {}, ...extra }) as unknown as OrderView;

describe('"recall last": the last ticket bumped, back in one press', () => {
  it('on the pass and the all-in-one screen: the order bumped ready last, while it can go back to the oven', () => {
    const first = order('o1', 'ready', [line('pizza', 90)], { timestamps: { ready: ago(90) } });
    const second = order('o2', 'ready', [line('pizza', 30)], { timestamps: { ready: ago(30) } });
    const tooOld = order('o3', 'ready', [line('pizza', 200)], { timestamps: { ready: ago(200) } });
    const withDriver = order('o4', 'ready', [line('pizza', 5)], { timestamps: { ready: ago(5) }, driver: { id: 1, name: 'Karim' } as OrderView['driver'] });
    for (const view of [viewOf('all', shop), viewOf(3, shop)]) {
      expect(lastBump([first, second, tooOld, withDriver], view, shop, NOW, UNDO)).toMatchObject({ order: { id: 'o2' }, recall: true, lineIds: [] });
    }
    expect(lastBump([tooOld, withDriver], viewOf('all', shop), shop, NOW, UNDO)).toBeNull();
    expect(recallableUntil(second, NOW, UNDO)).toBe(NOW - 30_000 + UNDO);
    expect(recallableUntil(second, NOW, 0)).toBeNull();
  });

  it('on a make station: the ticket that left it last comes back, the lines crossed in that move un-crossed', () => {
    const pizza1 = line('pizza', 40);
    const pizza2 = line('pizza', 39);
    const earlier = line('pizza', 100);
    const left = order('o5', 'preparing', [earlier, pizza1, pizza2, line('drink')]);
    const before = order('o6', 'preparing', [line('pizza', 70)]);
    const stillHere = order('o7', 'preparing', [line('pizza', 10), line('pizza')]);
    expect(lastBump([before, left, stillHere], viewOf(1, shop), shop, NOW, UNDO)).toMatchObject({ order: { id: 'o5' }, recall: false, lineIds: [pizza1.id, pizza2.id] });
    // the cold station had nothing leave it
    expect(lastBump([before, left, stillHere], viewOf(2, shop), shop, NOW, UNDO)).toBeNull();
  });

  it('a make station whose last crossing made the order ready (a shop with no pass) takes it back to the oven first', () => {
    const noPass = [oven, cold];
    const made = line('pizza', 20);
    const o = order('o8', 'ready', [made], { timestamps: { ready: ago(20) } });
    expect(lastBump([o], viewOf(1, noPass), noPass, NOW, UNDO)).toMatchObject({ order: { id: 'o8' }, recall: true, lineIds: [made.id] });
    // handed over since: nothing to bring back
    expect(lastBump([{ ...o, status: 'collected' } as OrderView], viewOf(1, noPass), noPass, NOW, UNDO)).toBeNull();
  });
});
