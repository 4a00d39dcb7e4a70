import { describe, expect, it } from 'vitest';
import type { DriverOnMap, FleetUpdate, OrderView, PlannedFireView } from '../../shapes/views.ts';
import { OrderLedger } from '../../shared/order-ledger.ts';
import { ManagerBoard, firesByOrder, fleetShown, heldUntil, onShiftFor, placeDriver } from './manager-board.ts';

const delivery = { proof: null, collected: null, failure: null, awaitingDecision: false, attempts: 0, pinLocked: false };
function order(id: string, pizzeriaId: number, status: OrderView['status'], fields: Partial<OrderView> = {}): OrderView {
  return { id, number: 1, pizzeriaId, status, version: 1, late: false, waitingForDriver: false, delivery, timestamps: { created: `2026-01-01T19:0${id.length}:00Z` }, ...fields } as OrderView;
}
const shops = [{ id: 1, name: 'Bastille' }, { id: 2, name: 'Nation' }];
const driver = (id: number, fields: Partial<DriverOnMap> = {}): DriverOnMap => ({
  id,
  name: `Driver ${id}`,
  onShift: true,
  homeShop: 1,
  worksFor: 1,
  load: 0,
  carrying: [],
  connected: true,
  position: null,
  backAt: null,
  ...fields,
});

describe("the manager's live page", () => {
  it('moves an order from column to column on each event, and counts it done once handed over', () => {
    const ledger = new OrderLedger([order('a', 1, 'received')]);
    const board = new ManagerBoard(ledger, shops);
    expect(board.stats[0]).toMatchObject({ active: 1, doneLastHour: 0, counts: { received: 1, preparing: 0 } });

    ledger.apply(order('a', 1, 'preparing', { version: 2 }));
    expect(board.stats[0].counts).toMatchObject({ received: 0, preparing: 1 });

    ledger.apply(order('a', 1, 'delivered', { version: 3 }));
    expect(board.stats[0]).toMatchObject({ active: 0, doneLastHour: 1 });
    expect(board.rows('all', 'all')).toEqual([]);
  });

  it('counts an order for later apart until it is fired: no load on the kitchen yet', () => {
    const scheduled = (fired: boolean) => ({ scheduled: { slotAt: '2026-01-02T19:30:00Z', fireAt: '2026-01-02T19:10:00Z', fired } });
    const ledger = new OrderLedger([order('a', 1, 'received', scheduled(false)), order('bb', 1, 'received')]);
    const board = new ManagerBoard(ledger, shops);
    expect(board.stats[0]).toMatchObject({ active: 1, later: 1, counts: { received: 1 } });
    ledger.apply(order('a', 1, 'received', { ...scheduled(true), version: 2 }));
    expect(board.stats[0]).toMatchObject({ active: 2, later: 0, counts: { received: 2 } });
  });

  it('flags late orders and those waiting for a driver per shop', () => {
    const board = new ManagerBoard(new OrderLedger([order('a', 1, 'ready', { late: true, waitingForDriver: true }), order('bb', 2, 'preparing')]), shops);
    expect(board.stats.map((s) => [s.shop.id, s.late, s.waiting, s.active])).toEqual([
      [1, 1, 1, 1],
      [2, 0, 0, 1],
    ]);
  });

  it('filters the open orders by shop and status, oldest first', () => {
    const board = new ManagerBoard(new OrderLedger([order('ccc', 1, 'ready'), order('a', 1, 'received'), order('bb', 2, 'ready')]), shops);
    expect(board.rows('all', 'all').map((o) => o.id)).toEqual(['a', 'bb', 'ccc']);
    expect(board.rows(1, 'all').map((o) => o.id)).toEqual(['a', 'ccc']);
    expect(board.rows('all', 'ready').map((o) => o.id)).toEqual(['bb', 'ccc']);
  });

  it('lists an urgent order first, whatever its age', () => {
    const board = new ManagerBoard(new OrderLedger([order('a', 1, 'received'), order('bb', 2, 'ready'), order('ccc', 1, 'preparing', { urgent: true })]), shops);
    expect(board.rows('all', 'all').map((o) => o.id)).toEqual(['ccc', 'a', 'bb']);
  });

  it('lists a failed delivery for a decision and a PIN-locked one to close, until they move on', () => {
    const ledger = new OrderLedger();
    const board = new ManagerBoard(ledger, shops);
    ledger.apply(order('a', 1, 'ready', { delivery: { ...delivery, awaitingDecision: true } }));
    ledger.apply(order('b', 1, 'out_for_delivery', { delivery: { ...delivery, pinLocked: true } }));
    expect(board.decisions.map((o) => o.id)).toEqual(['a']);
    expect(board.locked.map((o) => o.id)).toEqual(['b']);

    ledger.apply(order('a', 1, 'out_for_delivery', { version: 2 }));
    ledger.apply(order('b', 1, 'delivered', { version: 2, delivery: { ...delivery, pinLocked: true } }));
    expect(board.decisions).toEqual([]);
    expect(board.locked).toEqual([]);
  });
});

describe('the fleet on the map', () => {
  it("moves a known driver to the position the socket sends, with what they carry", () => {
    const drivers = [driver(7), driver(8)];
    const at = '2026-01-01T20:00:00Z';
    expect(placeDriver(drivers, { driverId: 7, pizzeriaId: 1, lat: 48.85, lng: 2.35, accuracy: 12, at, carrying: ['a'] })).toBe(true);
    expect(drivers[0]).toMatchObject({ position: { lat: 48.85, lng: 2.35, at, stale: false }, carrying: ['a'] });
    expect(placeDriver(drivers, { driverId: 9, pizzeriaId: 1, lat: 1, lng: 1, accuracy: 1, at, carrying: [] })).toBe(false);
    // a customer's view of a driver has no shop: not for this map
    expect(placeDriver(drivers, { driverId: 8, lat: 1, lng: 1, accuracy: 1, at })).toBe(false);
  });

  it('offers a delivery only to the drivers on shift for that shop, and lists those on shift or still loaded', () => {
    const drivers = [driver(1), driver(2, { worksFor: 2 }), driver(3, { onShift: false, load: 1 }), driver(4, { onShift: false })];
    expect(onShiftFor(drivers, 1).map((d) => d.id)).toEqual([1]);
    expect(fleetShown(drivers).map((d) => d.id)).toEqual([1, 2, 3]);
  });
});

describe("the shops' plans on the live page", () => {
  const NOW = Date.parse('2026-01-01T19:00:00Z');
  const fire = (orderId: string, inMinutes: number, reason: PlannedFireView['reason'] = 'driver') =>
    ({ orderId, fireAt: new Date(NOW + inMinutes * 60_000).toISOString(), reason }) as PlannedFireView;
  const push = (pizzeriaId: number, fires: PlannedFireView[]) => ({ pizzeriaId, drivers: [], figures: null, plan: { pizzeriaId, at: '', fires } }) as FleetUpdate;

  it("reads every shop's plan by order", () => {
    const fires = firesByOrder([push(1, [fire('a', 5), fire('b', 1)]), push(2, [fire('c', 9)])]);
    expect([...fires.keys()]).toEqual(['a', 'b', 'c']);
    expect(firesByOrder([{ ...push(3, []), plan: undefined as unknown as FleetUpdate['plan'] }]).size).toBe(0);
  });

  it('says when a ticket the plan holds past the next minute is fired, and nothing of one made now or soon', () => {
    const fires = firesByOrder([push(1, [fire('held', 5), fire('soon', 0.4), fire('now', 5, 'now'), fire('started', 5)])]);
    expect(heldUntil(order('held', 1, 'received'), fires, NOW)).toBe(fires.get('held')!.fireAt);
    expect(heldUntil(order('soon', 1, 'received'), fires, NOW)).toBeNull();
    expect(heldUntil(order('now', 1, 'received'), fires, NOW)).toBeNull();
    expect(heldUntil(order('started', 1, 'preparing'), fires, NOW)).toBeNull();
    expect(heldUntil(order('held', 1, 'received', { scheduled: { fireAt: '', fired: false } as OrderView['scheduled'] }), fires, NOW)).toBeNull();
    expect(heldUntil(order('unplanned', 1, 'received'), fires, NOW)).toBeNull();
  });
});
