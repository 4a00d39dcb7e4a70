import { describe, expect, it } from 'vitest';
import type { OrderView } from '../../shapes/views.ts';
import { cancelNote, cancelTune, handOverLabel } from './platform-tickets.ts';

const uberEats = { id: 'uber_eats', externalId: 'ue-1', code: 'A1B2C', courier: null };
const order = (extra: Partial<OrderView>) => ({ id: 'o1', status: 'ready', fulfilment: 'pickup', marketplace: null, cancelReason: null, ...extra }) as OrderView;

describe("a platform's order on the kitchen", () => {
  it("is handed over to the platform's courier when the courier collects it, to our customer otherwise", () => {
    expect(handOverLabel(order({ marketplace: uberEats }))).toBe('platform.handOver');
    expect(handOverLabel(order({}))).toBe('kitchen.handedOver');
    // a platform order the shop delivers itself leaves with our driver, as our own
    expect(handOverLabel(order({ marketplace: uberEats, fulfilment: 'delivery' }))).toBe('kitchen.handedOver');
  });

  it('plays its own tune and says so when the platform cancelled it, ours when our staff did', () => {
    const byPlatform = order({ status: 'cancelled', marketplace: uberEats, cancelReason: 'customer' });
    expect(cancelTune(byPlatform)).toBe('platform');
    expect(cancelNote(byPlatform)).toBe('platform.cancelledBy');
    const byUs = order({ status: 'cancelled', marketplace: uberEats, cancelReason: 'shop' });
    expect(cancelTune(byUs)).toBe('ours');
    expect(cancelNote(byUs)).toBe('kitchen.cancelled');
    // our own orders, whoever cancelled them
    expect(cancelTune(order({ status: 'cancelled', cancelReason: 'customer' }))).toBe('ours');
  });
});
