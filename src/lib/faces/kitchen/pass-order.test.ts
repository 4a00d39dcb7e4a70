import { describe, expect, it } from 'vitest';
import type { OrderView } from '../../shapes/views.ts';
import { passOrder } from './pass-order.ts';

const NOW = Date.parse('2026-11-27T20:00:00Z');
const at = (minutes: number) => new Date(NOW + minutes * 60_000).toISOString();
const order = (id: string, over: Partial<OrderView>, readyMinutesAgo = 5): OrderView =>
  ({ id, fulfilment: 'pickup', marketplace: null, driver: null, promisedAt: null, timestamps: { ready: at(-readyMinutesAgo) }, ...over }) as unknown as OrderView;
const courier = (eta: string | null, state: 'assigned' | 'arriving' | 'arrived' | null = 'assigned') =>
  ({ id: 'uber_eats', externalId: 'x', code: 'AB12', courier: { eta, state } }) as OrderView['marketplace'];

describe("the pass's order", () => {
  it('puts whoever is coming first first: the courier at the counter, then by when each is expected', () => {
    const ready = [
      order('customer-later', { promisedAt: at(20) }, 9),
      order('no-courier-yet', { marketplace: courier(null, null) }, 12),
      order('driver-back-in-8', { fulfilment: 'delivery', driver: { id: 7, name: 'Karim' } as OrderView['driver'] }),
      order('courier-in-2', { marketplace: courier(at(2)) }),
      order('courier-here', { marketplace: courier(null, 'arrived') }, 1),
      order('customer-now', { promisedAt: at(-3) }, 2),
      order('customer-now-older', { promisedAt: at(-1) }, 6),
    ];
    const back = (id: number) => (id === 7 ? at(8) : null);
    expect(passOrder(ready, NOW, back).map((o) => o.id)).toEqual([
      'courier-here', 'customer-now-older', 'customer-now', 'courier-in-2', 'driver-back-in-8', 'customer-later', 'no-courier-yet',
    ]);
  });

  it('takes a delivery whose driver is unknown as nobody coming yet, and keeps equals by how long they have been ready', () => {
    const ready = [order('a', { fulfilment: 'delivery' }, 1), order('b', { fulfilment: 'delivery' }, 4)];
    expect(passOrder(ready, NOW, () => null).map((o) => o.id)).toEqual(['b', 'a']);
  });
});
