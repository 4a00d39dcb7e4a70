import { isLatLng } from '../../domain/geo.ts';

/** A delivery address with the place it stands, as a geocoder found it. */
export interface GeocodedAddress {
  lat: number;
  lng: number;
  /** The address as the geocoder understood it ("5 Rue Oberkampf 75011 Paris"). */
  label: string;
  /** 0 to 1: how sure the geocoder is. */
  score: number;
  postcode: string | null;
  city: string | null;
}

export interface AddressQuery {
  street: string;
  postcode?: string | null;
  city: string;
}

/** Turns an address into coordinates; null when it found nothing it trusts. */
export interface Geocoder {
  geocode(address: AddressQuery): Promise<GeocodedAddress | null>;
}

/** The geocoder could not answer (down, slow, or an answer that is not one): the caller decides what to do without it. */
export class GeocoderUnavailable extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'GeocoderUnavailable';
  }
}

/**
 * The French national address service (Base Adresse Nationale: `GET {base}/search/?q=…`, answering
 * GeoJSON), or anything that speaks its protocol at the configured URL: a mirror, or a small
 * server in tests.
 */
export class AddressApiGeocoder implements Geocoder {
  private readonly timeoutMs: number;
  private readonly minScore: number;

  constructor(
    private readonly baseUrl: string,
    opts: { timeoutMs?: number; minScore?: number } = {},
  ) {
    this.timeoutMs = opts.timeoutMs ?? 3000;
    this.minScore = opts.minScore ?? 0.5;
  }

  async geocode(address: AddressQuery): Promise<GeocodedAddress | null> {
    const url = new URL('search/', this.baseUrl.endsWith('/') ? this.baseUrl : `${this.baseUrl}/`);
    url.searchParams.set('q', [address.street, address.postcode, address.city].filter(Boolean).join(' ').slice(0, 200));
    url.searchParams.set('limit', '1');
    if (address.postcode && /^\d{5}$/.test(address.postcode)) url.searchParams.set('postcode', address.postcode);

    let body: unknown;
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(this.timeoutMs), headers: { accept: 'application/json' } });
      if (!res.ok) throw new GeocoderUnavailable(`the geocoder answered ${res.status}`);
      body = await res.json();
    } catch (err) {
      if (err instanceof GeocoderUnavailable) throw err;
      throw new GeocoderUnavailable(`the geocoder did not answer: ${(err as Error).message}`, { cause: err });
    }

    const features = (body as { features?: unknown })?.features;
    if (!Array.isArray(features)) throw new GeocoderUnavailable('the geocoder answered something that is not a list of places');
    const f = features[0] as { geometry?: { coordinates?: unknown }; properties?: Record<string, unknown> } | undefined;
    if (!f) return null;
    const [lng, lat] = Array.isArray(f.geometry?.coordinates) ? (f.geometry!.coordinates as unknown[]) : [];
    const place = { lat, lng };
    const score = Number(f.properties?.score ?? 0);
    if (!isLatLng(place) || !(score >= this.minScore)) return null;
    const text = (v: unknown) => (typeof v === 'string' && v.length <= 200 ? v : null);
    return {
      lat: place.lat,
      lng: place.lng,
      label: text(f.properties?.label) ?? [address.street, address.postcode, address.city].filter(Boolean).join(' '),
      score,
      postcode: text(f.properties?.postcode),
      city: text(f.properties?.city),
    };
  }
}
