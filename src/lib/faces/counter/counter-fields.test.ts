import { describe, expect, it } from 'vitest';
import { addressComplete, addressIndexOf, fold, missingFields, shortSize } from './counter-fields.ts';

const typed = { phone: '06 12 34 56 78', name: 'Camille', street: '5 rue Oberkampf', postcode: '75011', city: 'Paris', fulfilment: 'delivery' as const };

describe('what the counter fills in before an order goes', () => {
  it('asks nothing of an order whole', () => {
    expect(missingFields(typed)).toEqual({});
  });

  it('asks the number and the name of every order', () => {
    expect(missingFields({ ...typed, phone: ' ', name: '', fulfilment: 'pickup' })).toEqual({ 'customer.phone': 'required', 'customer.name': 'required' });
  });

  it('asks a delivery its street, a five-digit postcode and its city', () => {
    expect(missingFields({ ...typed, street: '', postcode: '7501', city: ' ' })).toEqual({
      'address.street': 'required', 'address.postcode': 'required', 'address.city': 'required',
    });
    expect(missingFields({ ...typed, street: '', postcode: '', city: '', fulfilment: 'pickup' })).toEqual({});
  });

  it('knows an address the geocoder can read', () => {
    expect(addressComplete(typed)).toBe(true);
    expect(addressComplete({ ...typed, postcode: '750' })).toBe(false);
    expect(addressComplete({ ...typed, street: '  ' })).toBe(false);
  });
});

describe('the counter\'s words', () => {
  it('searches without accents or capitals', () => {
    expect(fold('Pâtes Carbonara')).toBe('pates carbonara');
    expect(fold('CRÈME brûlée')).toBe('creme brulee');
  });

  it('names a size without its diameter', () => {
    expect(shortSize('Grande (40 cm)')).toBe('Grande');
    expect(shortSize('Normale')).toBe('Normale');
  });

  it('finds the known address an earlier order went to', () => {
    const addresses = [{ street: '1 rue A', postcode: '75011' }, { street: '5 rue Oberkampf', postcode: '75011' }];
    expect(addressIndexOf(addresses, { street: '5 rue Oberkampf', postcode: '75011' })).toBe(1);
    expect(addressIndexOf(addresses, { street: '5 rue Oberkampf', postcode: '75012' })).toBe(-1);
    expect(addressIndexOf(addresses, null)).toBe(-1);
  });
});
