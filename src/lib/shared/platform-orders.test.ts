import { describe, expect, it } from 'vitest';
import type { OrderView } from '../shapes/views.ts';
import { cancelledByPlatform, collectedByCourier, courierLine, courierSays, courierUrgency } from './platform-orders.ts';
import { createI18n } from '../i18n/index.ts';

const NOW = Date.parse('2026-11-27T19:00:00.000Z');
const at = (ms: number) => new Date(NOW + ms).toISOString();
type Courier = NonNullable<NonNullable<OrderView['marketplace']>['courier']>;

function platformOrder(courier: Courier | null, fulfilment: OrderView['fulfilment'] = 'pickup'): Pick<OrderView, 'fulfilment' | 'marketplace'> {
  return { fulfilment, marketplace: { id: 'uber_eats', externalId: 'e-1', code: 'A1B2C', courier } };
}

describe("the platform's courier, as the pass says it", () => {
  it('counts the minutes down to the courier, to the nearest, and says "now" in the last half minute', () => {
    const o = platformOrder({ eta: at(4 * 60_000), state: 'assigned' });
    expect(courierLine(o, NOW)).toEqual({ kind: 'coming', minutes: 4 });
    expect(courierLine(o, NOW + 40_000)).toEqual({ kind: 'coming', minutes: 3 });
    expect(courierLine(o, NOW + 3 * 60_000)).toEqual({ kind: 'coming', minutes: 1 });
    expect(courierLine(o, NOW + 3 * 60_000 + 31_000)).toEqual({ kind: 'now' });
    expect(courierLine(o, NOW + 4 * 60_000 + 50_000)).toEqual({ kind: 'now' });
  });

  it('says when the courier is late, and by how much', () => {
    const o = platformOrder({ eta: at(-3 * 60_000), state: 'arriving' });
    expect(courierLine(o, NOW)).toEqual({ kind: 'late', minutes: 3 });
    expect(courierUrgency(courierLine(o, NOW)!)).toBe('here');
  });

  it('says the courier is here, or gone with the order, whatever the time said', () => {
    expect(courierLine(platformOrder({ eta: at(5 * 60_000), state: 'arrived' }), NOW)).toEqual({ kind: 'arrived' });
    expect(courierLine(platformOrder({ eta: null, state: 'collected' }), NOW)).toEqual({ kind: 'collected' });
  });

  it('says no courier is assigned yet when the platform has not said, and what it knows without a time', () => {
    expect(courierLine(platformOrder(null), NOW)).toEqual({ kind: 'unassigned' });
    expect(courierLine(platformOrder({ eta: null, state: null }), NOW)).toEqual({ kind: 'unassigned' });
    expect(courierLine(platformOrder({ eta: null, state: 'assigned' }), NOW)).toEqual({ kind: 'assigned' });
    expect(courierLine(platformOrder({ eta: null, state: 'arriving' }), NOW)).toEqual({ kind: 'arriving' });
  });

  it('has no courier line for our own orders, nor for a platform order the shop delivers itself', () => {
    expect(courierLine({ fulfilment: 'pickup', marketplace: null }, NOW)).toBeNull();
    expect(courierLine({ fulfilment: 'pickup' }, NOW)).toBeNull();
    expect(courierLine(platformOrder({ eta: at(60_000), state: 'assigned' }, 'delivery'), NOW)).toBeNull();
    expect(collectedByCourier(platformOrder(null, 'delivery'))).toBe(false);
    expect(collectedByCourier(platformOrder(null))).toBe(true);
  });

  it('ranks the lines: a courier waiting at the counter first, one within 5 min next', () => {
    expect(courierUrgency({ kind: 'arrived' })).toBe('here');
    expect(courierUrgency({ kind: 'coming', minutes: 5 })).toBe('soon');
    expect(courierUrgency({ kind: 'coming', minutes: 6 })).toBe('later');
    expect(courierUrgency({ kind: 'now' })).toBe('soon');
    expect(courierUrgency({ kind: 'unassigned' })).toBe('unknown');
  });
});

describe('a cancelled platform order', () => {
  const cancelled = (cancelReason: OrderView['cancelReason'], marketplace = true) => ({
    status: 'cancelled' as const,
    cancelReason,
    marketplace: marketplace ? { id: 'deliveroo', externalId: 'd-9', code: '4812', courier: null } : null,
  });

  it('was cancelled by the platform unless our staff cancelled it', () => {
    expect(cancelledByPlatform(cancelled('customer'))).toBe(true);
    expect(cancelledByPlatform(cancelled(null))).toBe(true);
    expect(cancelledByPlatform(cancelled('shop'))).toBe(false);
    expect(cancelledByPlatform(cancelled('delivery_failed'))).toBe(false);
  });

  it('is never "by the platform" for our own orders, nor while it is not cancelled', () => {
    expect(cancelledByPlatform(cancelled('customer', false))).toBe(false);
    expect(cancelledByPlatform({ ...cancelled('customer'), status: 'preparing' })).toBe(false);
  });
});

describe("the courier's line in the shop's words", () => {
  const fr = createI18n('fr');
  const en = createI18n('en');
  const ready = (courier: Courier | null) => ({ status: 'ready' as const, ...platformOrder(courier) });

  it('reads "Coursier Uber Eats dans 4 min", "Coursier arrivé", "Coursier pas encore assigné"', () => {
    expect(courierSays(ready({ eta: at(4 * 60_000), state: 'assigned' }), NOW, fr.t)).toBe('Coursier Uber Eats dans 4 min');
    expect(courierSays(ready({ eta: null, state: 'arrived' }), NOW, fr.t)).toBe('Coursier arrivé');
    expect(courierSays(ready(null), NOW, fr.t)).toBe('Coursier pas encore assigné');
    expect(courierSays(ready({ eta: at(4 * 60_000), state: 'assigned' }), NOW, en.t)).toBe('Uber Eats courier in 4 min');
  });

  it('says nothing once the order is done', () => {
    expect(courierSays({ ...ready(null), status: 'collected' }, NOW, fr.t)).toBeNull();
    expect(courierSays({ ...ready(null), status: 'cancelled' }, NOW, fr.t)).toBeNull();
  });
});
