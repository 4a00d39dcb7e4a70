import { describe, expect, it } from 'vitest';
import { GREETING_MS, changedItems, hasReceipt, headlineKey, heldOnly, lateIsNews, paidHow } from './track-card.ts';
import type { OrderView } from '../../shapes/views.ts';

const at = Date.parse('2025-03-11T19:00:00Z');
const payment = (more: Partial<OrderView['payment']>) => ({ method: 'online', status: 'paid', paidWith: 'online', captured: true, ...more }) as OrderView['payment'];
const delivery = (collected: OrderView['delivery']['collected'] = null) => ({ collected }) as OrderView['delivery'];
const paid = (status: OrderView['status'], more: Partial<OrderView['payment']> = {}, paidCents = 2500) => ({ status, paidCents, payment: payment(more) });

describe('the tracking card\'s headline', () => {
  const received = { status: 'received' as const, timestamps: { received: new Date(at).toISOString() } as OrderView['timestamps'] };

  it('greets the order for its first three minutes', () => {
    expect(headlineKey(received, at + GREETING_MS - 1, false)).toBe('track.headline.received');
  });

  it('then says it waits, for the kitchen or for its slot', () => {
    expect(headlineKey(received, at + GREETING_MS, false)).toBe('track.headline.receivedWaiting');
    expect(headlineKey(received, at + GREETING_MS, true)).toBe('track.headline.receivedForLater');
  });

  it('says where an order under way is', () => {
    expect(headlineKey({ ...received, status: 'preparing' }, at + GREETING_MS * 5, false)).toBe('track.headline.preparing');
  });
});

describe('how an order was paid', () => {
  it('says how it was paid at the shop or the door', () => {
    expect(paidHow({ payment: payment({ method: 'on_delivery', paidWith: 'cash' }), delivery: delivery() })).toBe('cash');
    expect(paidHow({ payment: payment({ method: 'on_delivery', paidWith: null, status: 'pending' }), delivery: delivery({ cents: 2500, method: 'card' }) })).toBe('card');
  });

  it('says nothing of an online payment', () => {
    expect(paidHow({ payment: payment({}), delivery: delivery({ cents: 2500, method: 'card' }) })).toBeNull();
  });

  it('knows a card only held and let go: no refund, no receipt', () => {
    const released = paid('cancelled', { paidWith: 'online', captured: false, status: 'refunded' });
    expect(heldOnly(released)).toBe(true);
    expect(hasReceipt(released)).toBe(false);
  });

  it('has a receipt once money was taken and the order handed over or paid', () => {
    expect(hasReceipt(paid('delivered'))).toBe(true);
    expect(hasReceipt(paid('preparing', { status: 'authorised', captured: true }))).toBe(false);
    expect(hasReceipt(paid('preparing'))).toBe(true);
    expect(hasReceipt(paid('collected', { method: 'on_delivery', paidWith: 'cash', captured: false }))).toBe(true);
    expect(hasReceipt(paid('delivered', {}, 0))).toBe(false);
  });
});

describe('lateness and changes', () => {
  it('says an order is late from five minutes past its promise', () => {
    expect(lateIsNews('2025-03-11T19:30:00Z', 5)).toBe(true);
    expect(lateIsNews('2025-03-11T19:30:00Z', 4)).toBe(false);
    expect(lateIsNews(null, 20)).toBe(false);
  });

  it('sends the lines still wanted, with their options and other half', () => {
    expect(changedItems({
      'a': { productId: 1, options: [], name: 'Reine', quantity: 2 },
      'b': { productId: 1, options: [7], name: 'Reine grande', quantity: 0 },
      'c': { productId: 2, options: [3], name: '½ Reine / ½ Margherita', quantity: 1, secondHalfId: 4 },
    })).toEqual([{ productId: 1, quantity: 2 }, { productId: 2, quantity: 1, options: [3], secondHalfId: 4 }]);
  });
});
