import { describe, expect, it } from 'vitest';
import { checkTransition, customerCanChange, discountFixesLines, nextStatus, timelineFor } from './order-states.ts';

describe('order state machine', () => {
  it('lets the kitchen start a received order but not a customer', () => {
    expect(checkTransition('received', 'preparing', 'kitchen', 'delivery')).toEqual({ ok: true });
    expect(checkTransition('received', 'preparing', 'customer', 'delivery')).toEqual({ ok: false, reason: 'forbidden' });
  });

  it('refuses to skip a step or go backwards (a ready order goes back to the oven only by a recall: move-rules and recall.ts)', () => {
    expect(checkTransition('received', 'ready', 'kitchen', 'delivery')).toEqual({ ok: false, reason: 'not_allowed' });
    expect(checkTransition('preparing', 'received', 'manager', 'delivery')).toEqual({ ok: false, reason: 'not_allowed' });
    expect(checkTransition('ready', 'preparing', 'counter', 'delivery')).toEqual({ ok: false, reason: 'forbidden' });
    expect(checkTransition('delivered', 'cancelled', 'admin', 'delivery')).toEqual({ ok: false, reason: 'not_allowed' });
  });

  it('sends delivery orders out with a driver and pickup orders to the counter', () => {
    expect(checkTransition('ready', 'out_for_delivery', 'driver', 'delivery').ok).toBe(true);
    expect(checkTransition('ready', 'out_for_delivery', 'driver', 'pickup')).toEqual({ ok: false, reason: 'wrong_fulfilment' });
    expect(checkTransition('ready', 'collected', 'counter', 'pickup').ok).toBe(true);
    expect(checkTransition('ready', 'collected', 'counter', 'delivery')).toEqual({ ok: false, reason: 'wrong_fulfilment' });
    expect(checkTransition('out_for_delivery', 'delivered', 'kitchen', 'delivery')).toEqual({ ok: false, reason: 'forbidden' });
  });

  it('lets the customer cancel only before preparation starts', () => {
    expect(checkTransition('pending_payment', 'cancelled', 'customer', 'delivery').ok).toBe(true);
    expect(checkTransition('received', 'cancelled', 'customer', 'pickup').ok).toBe(true);
    expect(checkTransition('preparing', 'cancelled', 'customer', 'pickup').ok).toBe(false);
    expect(checkTransition('preparing', 'cancelled', 'manager', 'pickup').ok).toBe(false);
    expect(customerCanChange('received')).toBe(true);
    expect(customerCanChange('preparing')).toBe(false);
  });

  it('keeps the lines of an order placed with a discount (cancelling stays open), any other order changes', () => {
    expect(discountFixesLines(210)).toBe(true);
    expect(discountFixesLines(0)).toBe(false);
  });

  it('only the payment system confirms an online payment, drivers never do', () => {
    expect(checkTransition('pending_payment', 'received', 'system', 'delivery').ok).toBe(true);
    expect(checkTransition('pending_payment', 'received', 'driver', 'delivery').ok).toBe(false);
    expect(checkTransition('pending_payment', 'received', 'kitchen', 'delivery').ok).toBe(false);
  });

  it('the system cancels an order not started (a refused card hold never paid); started, only the system may, for a delivery platform (move-rules.ts)', () => {
    expect(checkTransition('received', 'cancelled', 'system', 'delivery').ok).toBe(true);
    expect(checkTransition('preparing', 'cancelled', 'system', 'pickup').ok).toBe(true);
    expect(checkTransition('preparing', 'cancelled', 'manager', 'pickup').ok).toBe(false);
  });

  it('offers the next bump per kind of order', () => {
    expect(nextStatus('received', 'delivery')).toBe('preparing');
    expect(nextStatus('ready', 'pickup')).toBe('collected');
    expect(nextStatus('ready', 'delivery')).toBe('out_for_delivery');
    expect(nextStatus('delivered', 'delivery')).toBeNull();
    expect(timelineFor('pickup')).toEqual(['received', 'preparing', 'ready', 'collected']);
  });
});
