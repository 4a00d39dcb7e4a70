import { describe, expect, it } from 'vitest';
import type { OrderUpdated } from '../../realtime/contract.ts';
import type { OrderView } from '../../shapes/views.ts';
import { OrderLedger } from '../../shared/order-ledger.ts';
import { DriverBoard, offerRefusal, secondsLeft } from './driver-board.ts';

const SHOP = { lat: 48.8566, lng: 2.3522 };
const ME = 7;
let eventId = 0;

function order(id: string, number: number, fields: Partial<OrderView> = {}): OrderView {
  return {
    id,
    number,
    pizzeriaId: 1,
    status: 'ready',
    version: 1,
    customer: { name: `Client ${number}` },
    address: { street: '1 rue de Rivoli', city: 'Paris', distanceM: 800, lat: SHOP.lat + number / 1000, lng: SHOP.lng },
    driver: null,
    offer: null,
    items: [],
    timestamps: {},
    ...fields,
  } as OrderView;
}
const event = (o: OrderView): OrderUpdated => ({ eventId: ++eventId, type: 'order.status', at: new Date().toISOString(), order: o });
const phone = (initial: OrderView[] = []) => new DriverBoard(new OrderLedger(initial), ME, SHOP);

describe("the driver's phone", () => {
  it('shows an offer when dispatch offers a trip, its orders together, and drops it when it expires', () => {
    const board = phone();
    const expiresAt = new Date(Date.now() + 30_000).toISOString();
    const offer = { driverId: ME, name: 'Lina', expiresAt };
    board.receive(event(order('b', 12, { offer, version: 2 })));
    board.receive(event(order('a', 11, { offer, version: 2 })));
    board.receive(event(order('c', 13, { offer: { ...offer, driverId: 99 }, version: 2 })));
    expect(board.offers).toEqual([{ expiresAt, orders: [expect.objectContaining({ id: 'a' }), expect.objectContaining({ id: 'b' })] }]);

    board.receive(event(order('a', 11, { offer: null, version: 3 })));
    board.receive(event(order('b', 12, { offer: null, version: 3 })));
    expect(board.offers).toEqual([]);
  });

  it('counts down the seconds left to answer, never below zero', () => {
    const now = Date.parse('2026-01-01T20:00:00Z');
    expect(secondsLeft('2026-01-01T20:00:30Z', now)).toBe(30);
    expect(secondsLeft('2026-01-01T19:59:00Z', now)).toBe(0);
  });

  it('keeps an older snapshot from undoing a newer one (events may repeat or cross)', () => {
    const board = phone();
    const driver = { id: ME, name: 'Lina' };
    board.receive(event(order('a', 1, { driver, status: 'out_for_delivery', version: 5 })));
    expect(board.receive(event(order('a', 1, { driver, status: 'ready', version: 4 })))).toBe(false);
    expect(board.active.map((o) => o.status)).toEqual(['out_for_delivery']);
  });

  it('lists deliveries in the order to ride them, nearest first, and moves a delivered one to the done list', () => {
    const driver = { id: ME, name: 'Lina' };
    const far = order('far', 1, { driver, address: { street: 'loin', city: 'Paris', distanceM: 5000, lat: SHOP.lat + 0.05, lng: SHOP.lng } });
    const near = order('near', 2, { driver, address: { street: 'près', city: 'Paris', distanceM: 300, lat: SHOP.lat + 0.002, lng: SHOP.lng } });
    const nowhere = order('nowhere', 3, { driver, address: null });
    const someoneElse = order('other', 4, { driver: { id: 99, name: 'Sam' } });
    const board = phone([far, near, nowhere, someoneElse]);
    expect(board.active.map((o) => o.id)).toEqual(['near', 'far', 'nowhere']);
    expect([...board.stopOrder.entries()]).toEqual([
      ['near', 1],
      ['far', 2],
    ]);
    expect(board.readyOnes).toHaveLength(3);

    board.receive(event({ ...near, status: 'out_for_delivery', version: 2 }));
    expect(board.readyOnes.map((o) => o.id)).toEqual(['far', 'nowhere']);

    board.receive(event({ ...near, status: 'delivered', version: 3, timestamps: { delivered: '2026-01-01T20:10:00Z' } }));
    expect(board.active.map((o) => o.id)).toEqual(['far', 'nowhere']);
    expect(board.done.map((o) => o.id)).toEqual(['near']);
  });

  it('says an offer taken or expired is gone, and passes any other refusal on', () => {
    expect(offerRefusal({ error: { code: 'offer_expired' } })).toBe('gone');
    expect(offerRefusal({ error: { code: 'offer_gone', message: 'x' } })).toBe('gone');
    expect(offerRefusal({ error: { code: 'conflict', message: 'changed meanwhile' } })).toEqual({ message: 'changed meanwhile' });
    expect(offerRefusal(null)).toEqual({ message: null });
  });
});
