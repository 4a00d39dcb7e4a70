// A small HTTP server that speaks the national address service's protocol (GET /search/?q=…
// → GeoJSON), standing in for it in every test: the streets the suite delivers to, then a
// postcode's district (a lower score, as the real service gives a place it is less sure of).
// "boom…" answers 503, "slow…" answers after 2 s, "garbage…" answers something that is not GeoJSON.
import { createServer } from 'node:http';

interface Place {
  lat: number;
  lng: number;
  label: string;
  score: number;
  postcode: string;
  city: string;
}

const street = (lat: number, lng: number, label: string): Place => ({ lat, lng, label, score: 0.95, postcode: label.match(/\d{5}/)![0], city: label.includes('Marseille') ? 'Marseille' : 'Paris' });

/** By the start of the query. */
export const STREETS: Record<string, Place> = {
  '5 rue Oberkampf': street(48.8643, 2.3736, '5 Rue Oberkampf 75011 Paris'),
  '8 rue de Charonne': street(48.8532, 2.3745, '8 Rue de Charonne 75011 Paris'),
  '3 rue des Dames': street(48.8836, 2.3257, '3 Rue des Dames 75017 Paris'),
  '3 rue Lepic': street(48.8838, 2.3329, '3 Rue Lepic 75018 Paris'),
  '10 rue de la Gaîté': street(48.8405, 2.3232, '10 Rue de la Gaîté 75014 Paris'),
  '20 quai de Valmy': street(48.87, 2.364, '20 Quai de Valmy 75010 Paris'),
  '12 rue de la République': street(43.2984, 5.3742, '12 Rue de la République 13001 Marseille'),
  '1 avenue de Paris': street(48.8049, 2.1204, '1 Avenue de Paris 78000 Versailles'),
  // where no shop of the demo chain delivers: a test's own shops are moved there (tests/browser/where-first.test.ts)
  '2 place Bellecour': { lat: 45.7578, lng: 4.832, label: '2 Place Bellecour 69002 Lyon', score: 0.95, postcode: '69002', city: 'Lyon' },
  'rue vague': { lat: 48.85, lng: 2.35, label: 'Paris', score: 0.3, postcode: '75001', city: 'Paris' },
};

// the middle of each Paris district, for an address the table does not hold
const DISTRICTS: Record<string, [number, number]> = {
  '75001': [48.8626, 2.3363], '75002': [48.8683, 2.3428], '75003': [48.863, 2.36], '75004': [48.8543, 2.3576],
  '75005': [48.8445, 2.3507], '75006': [48.8491, 2.3329], '75007': [48.8562, 2.3122], '75008': [48.8727, 2.3125],
  '75009': [48.8771, 2.3375], '75010': [48.8761, 2.3608], '75011': [48.8591, 2.38], '75012': [48.835, 2.4213],
  '75013': [48.8283, 2.3623], '75014': [48.8292, 2.3265], '75015': [48.8401, 2.293], '75016': [48.8604, 2.262],
  '75017': [48.8873, 2.3067], '75018': [48.8925, 2.3484], '75019': [48.8871, 2.3848], '75020': [48.8634, 2.4012],
};

export interface GeocoderStub {
  url: string;
  /** Every query it received. */
  asked: URL[];
  close(): Promise<void>;
}

export async function startGeocoderStub(): Promise<GeocoderStub> {
  const asked: URL[] = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url!, 'http://stub');
    asked.push(url);
    const q = url.searchParams.get('q') ?? '';
    if (q.startsWith('boom')) return void res.writeHead(503).end('maintenance');
    if (q.startsWith('slow')) return void setTimeout(() => res.end('{"features":[]}'), 2000);
    if (q.startsWith('garbage')) return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"not":"geojson"}');
    let hit = Object.entries(STREETS).find(([k]) => q.toLowerCase().startsWith(k.toLowerCase()))?.[1];
    const postcode = url.searchParams.get('postcode') ?? '';
    if (!hit && DISTRICTS[postcode]) {
      const [lat, lng] = DISTRICTS[postcode];
      hit = { lat, lng, label: `Paris ${postcode}`, score: 0.6, postcode, city: 'Paris' };
    }
    const features = hit
      ? [{ type: 'Feature', geometry: { type: 'Point', coordinates: [hit.lng, hit.lat] }, properties: { label: hit.label, score: hit.score, postcode: hit.postcode, city: hit.city } }]
      : [];
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ type: 'FeatureCollection', features }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  return {
    url: `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`,
    asked,
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}
