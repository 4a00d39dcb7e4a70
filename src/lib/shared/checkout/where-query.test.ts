import { describe, expect, it } from 'vitest';
import { whereQuery } from './where-query.ts';

describe('the question asked of who delivers there', () => {
  const address = { street: ' 5 rue Oberkampf ', postcode: '75011', city: 'Paris' };

  it('sends the spot the page has, rather than the address', () => {
    const q = new URLSearchParams(whereQuery(2, { lat: 48.8651234567, lng: 2.37 }, address)!);
    expect(Object.fromEntries(q)).toEqual({ pizzas: '2', lat: '48.865123', lng: '2.370000' });
  });

  it('sends the typed address, its postcode only when whole', () => {
    expect(Object.fromEntries(new URLSearchParams(whereQuery(1, null, address)!))).toEqual({ pizzas: '1', street: '5 rue Oberkampf', postcode: '75011', city: 'Paris' });
    expect(Object.fromEntries(new URLSearchParams(whereQuery(1, null, { ...address, postcode: '750' })!))).toEqual({ pizzas: '1', street: '5 rue Oberkampf', city: 'Paris' });
  });

  it('counts one pizza at least and fifty at most', () => {
    expect(new URLSearchParams(whereQuery(0, null, address)!).get('pizzas')).toBe('1');
    expect(new URLSearchParams(whereQuery(80, null, address)!).get('pizzas')).toBe('50');
  });

  it('asks nothing with neither a spot nor a street and a city', () => {
    expect(whereQuery(1, null, { street: ' ', postcode: '75011', city: 'Paris' })).toBeNull();
    expect(whereQuery(1, null, { street: '5 rue Oberkampf', postcode: '75011', city: '' })).toBeNull();
  });
});
