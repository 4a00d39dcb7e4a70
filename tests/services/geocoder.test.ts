// The geocoder client against a small HTTP server that speaks the national address service's
// protocol (GET /search/?q=…&limit=1 → GeoJSON), as it will in every test that places a delivery.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AddressApiGeocoder, GeocoderUnavailable } from '../../src/lib/server/road/geocoder.ts';
import { startGeocoderStub, type GeocoderStub } from '../geocoder-stub.ts';

let stub: GeocoderStub;
let base: string;
let asked: URL[];

beforeAll(async () => {
  stub = await startGeocoderStub();
  base = stub.url;
  asked = stub.asked;
});
afterAll(() => stub.close());

describe('geocoding a delivery address', () => {
  it('finds the place of a known address, asking once with the postcode as a filter', async () => {
    const g = new AddressApiGeocoder(base);
    const found = await g.geocode({ street: '5 rue Oberkampf', postcode: '75011', city: 'Paris' });
    expect(found).toEqual({ lat: 48.8643, lng: 2.3736, label: '5 Rue Oberkampf 75011 Paris', score: 0.95, postcode: '75011', city: 'Paris' });
    const last = asked.at(-1)!;
    expect(last.pathname).toBe('/search/');
    expect(Object.fromEntries(last.searchParams)).toEqual({ q: '5 rue Oberkampf 75011 Paris', limit: '1', postcode: '75011' });
  });

  it('finds nothing for an address it does not know, or knows too vaguely', async () => {
    const g = new AddressApiGeocoder(`${base}/`);
    expect(await g.geocode({ street: '1 impasse Inconnue', postcode: null, city: 'Nulle-Part' })).toBeNull();
    expect(await g.geocode({ street: 'rue vague', city: 'Paris' })).toBeNull(); // score 0.3
    expect(await new AddressApiGeocoder(base, { minScore: 0.2 }).geocode({ street: 'rue vague', city: 'Paris' })).toMatchObject({ score: 0.3 });
  });

  it('says it is unavailable when the service is down, slow or answers nonsense, so ordering can go on without it', async () => {
    const g = new AddressApiGeocoder(base, { timeoutMs: 300 });
    await expect(g.geocode({ street: 'boom', city: 'Paris' })).rejects.toBeInstanceOf(GeocoderUnavailable);
    await expect(g.geocode({ street: 'slow', city: 'Paris' })).rejects.toBeInstanceOf(GeocoderUnavailable);
    await expect(g.geocode({ street: 'garbage', city: 'Paris' })).rejects.toBeInstanceOf(GeocoderUnavailable);
    await expect(new AddressApiGeocoder('http://127.0.0.1:9', { timeoutMs: 300 }).geocode({ street: 'x', city: 'y' })).rejects.toBeInstanceOf(GeocoderUnavailable);
  });
});
