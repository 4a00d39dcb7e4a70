import { describe, expect, it } from 'vitest';
import { firstName, orderFor, orderForRooms, roomsByAudience, streetWithoutNumber } from './audiences.ts';
import type { OrderView } from '../shapes/views.ts';

const order = {
  id: 'o1', pizzeriaId: 3, customer: { name: ' Camille  Martin ', phone: '06 12 34 56 78' },
  address: { street: '12 bis rue de la Roquette', postcode: '75011', city: 'Paris', lat: 48.85, lng: 2.37, locatedBy: 'pin', doorCode: '4B21', floor: '3e', instructions: 'Sonner', distanceM: 812 },
  delivery: { proof: null, collected: null, failure: { reason: 'absent', note: 'Personne, code 4B21', at: '2026-01-01T00:00:00.000Z' }, awaitingDecision: false, attempts: 1 },
  driver: { id: 7, name: 'Ali' }, offer: { driverId: 8, name: 'Bea', expiresAt: '2026-01-01T00:00:00.000Z' }, releasedDriverId: 9,
} as unknown as OrderView;

describe('who gets what of an order', () => {
  it('leaves the street without its number, however it is written', () => {
    expect(streetWithoutNumber('12 rue de la Roquette')).toBe('rue de la Roquette');
    expect(streetWithoutNumber('12 bis, rue de la Roquette')).toBe('rue de la Roquette');
    expect(streetWithoutNumber('3B avenue Trudaine')).toBe('avenue Trudaine');
    expect(streetWithoutNumber('10-12 boulevard Voltaire')).toBe('boulevard Voltaire');
    expect(streetWithoutNumber('rue du 8 Mai 1945')).toBe('rue du 8 Mai 1945');
    expect(streetWithoutNumber('5 allée des Arts')).toBe('allée des Arts');
    expect(firstName(' Camille  Martin ')).toBe('Camille');
  });

  it('gives the kitchen the first name and no address, an offered driver the street and distance, the others everything', () => {
    expect(orderFor('kitchen', order)).toMatchObject({ customer: { name: 'Camille' }, address: null, delivery: { failure: { reason: 'absent', note: null } } });
    expect(orderFor('kitchen', order).customer).not.toHaveProperty('phone');
    expect(orderFor('driver_offered', order).address).toEqual({ street: 'rue de la Roquette', city: 'Paris', distanceM: 812 });
    for (const a of ['shop', 'hq', 'customer', 'driver_assigned'] as const) expect(orderFor(a, order)).toBe(order);
  });

  it('tells a screen in several rooms once, as the most told of them', () => {
    expect(roomsByAudience(order).map((g) => [g.audience, g.rooms])).toEqual([
      ['shop', ['shop:3']], ['hq', ['hq']], ['customer', ['order:o1']], ['driver_assigned', ['driver:7']], ['driver_offered', ['driver:8', 'driver:9']], ['kitchen', ['kitchen:3']],
    ]);
    expect(orderForRooms(order, (r) => r === 'kitchen:3' || r === 'shop:3')).toBe(order);
    expect(orderForRooms(order, (r) => r === 'driver:9')!.address).toEqual({ street: 'rue de la Roquette', city: 'Paris', distanceM: 812 });
    expect(orderForRooms(order, (r) => r === 'menu:3')).toBeNull();
  });
});
