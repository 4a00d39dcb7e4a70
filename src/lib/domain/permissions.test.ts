import { describe, expect, it } from 'vitest';
import { FINAL_STATUSES, OPEN_STATUSES, ORDER_STATUSES, ROLES, STARTED_STATUSES, checkTransition, isIn, sqlList } from './order-states.ts';
import { SHOP_CREW, can, may, mayFor, runsChain, shopsOf } from './permissions.ts';

describe('who may do what', () => {
  it('gives head office every capability but the crew\'s own (the road, the clock), and a driver only the road', () => {
    expect(Object.entries(can).filter(([, c]) => !may('admin', c)).map(([name]) => name)).toEqual(['drive', 'clockIn']);
    expect(Object.entries(can).filter(([, c]) => may('driver', c)).map(([name]) => name)).toEqual(['drive', 'deliver']);
  });

  it('lets the kitchen cook but not run the shop, and nobody signed out do anything', () => {
    expect(may('kitchen', can.cook)).toBe(true);
    expect(may('kitchen', can.runShop)).toBe(false);
    expect(may(null, can.cook)).toBe(false);
    expect(may(undefined, can.drive)).toBe(false);
  });

  it('is what the state machine asks: whoever may cook starts an order, whoever may hand over collects it', () => {
    for (const role of ROLES) {
      expect(checkTransition('received', 'preparing', role, 'pickup').ok, role).toBe(may(role, can.cook));
      expect(checkTransition('ready', 'collected', role, 'pickup').ok, role).toBe(may(role, can.handOver));
    }
  });

  it('leaves a shop crew without managers or head office', () => {
    expect(SHOP_CREW.some((r) => may(r, can.runShop))).toBe(false);
  });

  it('gives head office every shop and anyone else their own, for what their role may do', () => {
    const office = { role: 'admin' as const, pizzeriaId: null };
    const manager = { role: 'manager' as const, pizzeriaId: 2 };
    const cook = { role: 'kitchen' as const, pizzeriaId: 2 };
    expect([office, manager, cook].map(runsChain)).toEqual([true, false, false]);
    expect([1, 2].map((shop) => mayFor(office, can.runShop, shop))).toEqual([true, true]);
    expect([1, 2].map((shop) => mayFor(manager, can.runShop, shop))).toEqual([false, true]);
    expect([mayFor(cook, can.cook, 2), mayFor(cook, can.runShop, 2), mayFor(cook, can.cook, 1)]).toEqual([true, false, false]);
    expect(mayFor(null, can.cook, 2)).toBe(false);
    const shops = [{ id: 1, name: 'Bastille' }, { id: 2, name: 'Canal' }, { id: 3, name: 'Lepic' }];
    expect(shopsOf(office, shops).map((s) => s.id)).toEqual([1, 2, 3]);
    expect(shopsOf(manager, shops).map((s) => s.id)).toEqual([2]);
    expect(shopsOf({ role: 'driver', pizzeriaId: 9 }, shops)).toEqual([]);
  });
});

describe('status sets', () => {
  it('splits every status into open or final', () => {
    expect([...OPEN_STATUSES, ...FINAL_STATUSES].sort()).toEqual([...ORDER_STATUSES].sort());
  });

  it('says a set in SQL as quoted constants', () => {
    expect(sqlList(FINAL_STATUSES)).toBe("'delivered', 'collected', 'cancelled'");
    expect(isIn(STARTED_STATUSES, 'cancelled')).toBe(false);
    expect(isIn(STARTED_STATUSES, 'collected')).toBe(true);
  });
});
