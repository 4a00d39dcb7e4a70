// The geocoder client against a small HTTP server that speaks the national address service's
// protocol (GET /search/?q=…&limit=1 → GeoJSON), as it will in every test that places a delivery.
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AddressApiGeocoder, GeocoderUnavailable } from '../src/lib/server/geocoder.ts';

let server: Server;
let base: string;
const asked: URL[] = [];

// what the stub knows, by the start of the query
const PLACES: Record<string, { coordinates: [number, number]; label: string; score: number; postcode: string; city: string }> = {
  '5 rue Oberkampf': { coordinates: [2.3736, 48.8643], label: '5 Rue Oberkampf 75011 Paris', score: 0.97, postcode: '75011', city: 'Paris' },
  'rue vague': { coordinates: [2.35, 48.85], label: 'Paris', score: 0.3, postcode: '75001', city: 'Paris' },
};

beforeAll(async () => {
  server = createServer((req, res) => {
    const url = new URL(req.url!, 'http://stub');
    asked.push(url);
    const q = url.searchParams.get('q') ?? '';
    if (q.startsWith('boom')) return void res.writeHead(503).end('maintenance');
    if (q.startsWith('slow')) return void setTimeout(() => res.end('{"features":[]}'), 2000);
    if (q.startsWith('garbage')) return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"not":"geojson"}');
    const hit = Object.entries(PLACES).find(([k]) => q.startsWith(k))?.[1];
    const features = hit
      ? [{ type: 'Feature', geometry: { type: 'Point', coordinates: hit.coordinates }, properties: { label: hit.label, score: hit.score, postcode: hit.postcode, city: hit.city } }]
      : [];
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ type: 'FeatureCollection', features }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('geocoding a delivery address', () => {
  it('finds the place of a known address, asking once with the postcode as a filter', async () => {
    const g = new AddressApiGeocoder(base);
    const found = await g.geocode({ street: '5 rue Oberkampf', postcode: '75011', city: 'Paris' });
    expect(found).toEqual({ lat: 48.8643, lng: 2.3736, label: '5 Rue Oberkampf 75011 Paris', score: 0.97, postcode: '75011', city: 'Paris' });
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
