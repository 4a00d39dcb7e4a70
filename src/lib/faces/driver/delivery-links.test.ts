import { describe, expect, it } from 'vitest';
import type { OrderView } from '../../shapes/views.ts';
import { dialable, directionsUrl, km, typedCents } from './delivery-links.ts';

const address = (fields: Partial<NonNullable<OrderView['address']>>) => ({ street: '5 rue Oberkampf', postcode: '75011', city: 'Paris', ...fields }) as OrderView['address'];

describe("a delivery's links on the driver's phone", () => {
  it('gives directions to the spot when the address has one, else to the address as written', () => {
    expect(directionsUrl(address({ lat: 48.8638, lng: 2.3723 }))).toBe('https://www.google.com/maps/dir/?api=1&destination=48.8638,2.3723');
    expect(directionsUrl(address({ lat: null, lng: null }))).toBe(`https://www.google.com/maps/dir/?api=1&destination=${encodeURIComponent('5 rue Oberkampf, 75011 Paris')}`);
    expect(directionsUrl(address({ postcode: undefined }))).toContain(encodeURIComponent('5 rue Oberkampf,  Paris'));
    expect(directionsUrl(null)).toBe('#');
  });

  it('dials the digits of a phone number and its leading plus', () => {
    expect(dialable('06 12 34 56 78')).toBe('0612345678');
    expect(dialable('+33 (0)6.12.34.56.78')).toBe('+330612345678');
  });

  it('says the distance in kilometres with one decimal, in the phone\'s language', () => {
    expect(km(800, 'fr')).toBe('0,8');
    expect(km(12_345, 'en')).toBe('12.3');
  });

  it('reads the amount collected with a comma or a point', () => {
    expect(typedCents('12,50')).toBe(1250);
    expect(typedCents('8.3')).toBe(830);
    expect(typedCents('19.99')).toBe(1999);
  });
});
