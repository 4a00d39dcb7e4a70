import { untrack } from 'svelte';
import { api } from '../../shared/api-client.ts';
import { getI18n } from '../../i18n/context.ts';
import { pizzasIn } from '../../shared/checkout/checkout.ts';
import type { Checkout } from '../../shared/checkout/checkout.svelte.ts';
import type { LatLng } from '../../domain/geo.ts';
import { whereQuery } from '../../shared/checkout/where-query.ts';
import { sameSpot } from './spot.ts';

/** A shop as GET /api/delivery/where answers for a spot: whether it delivers there, and its promise. */
export interface ShopForSpot {
  id: number;
  slug: string;
  name: string;
  distanceM: number;
  delivers: boolean;
  open: boolean;
  paused: boolean;
  opensAt: string | null;
  promiseMinutes: number | null;
  promiseRange?: { from: number; to: number } | null;
}
export interface WhereAnswer {
  at: LatLng | null;
  unavailable: boolean;
  shops: ShopForSpot[];
}
/** Who placed the spot: the customer's pin, their phone's position, or the geocoder reading the address. */
export type SpotSource = 'pin' | 'device' | 'geocoder';

/**
 * Where the storefront's delivery goes: the spot the page has for the address (a pin the customer
 * placed, their phone's position, a previous order's, or the geocoder's, which is not sent: the
 * server asks the geocoder itself), and who delivers there, asked of the server before checkout.
 * Create it while the taker is created.
 */
export class DeliverySpot {
  /** The pin on the map (bound to it: a tap or a drag moves it). */
  pin = $state.raw<LatLng | null>(null);
  source = $state<SpotSource | null>(null);
  where = $state<WhereAnswer | null>(null);
  locating = $state(false);

  private readonly checkout: Checkout;
  private readonly i18n = getI18n();
  private pinnedAt: LatLng | null = null;
  private devicePin: LatLng | null = null;
  private seq = 0;

  constructor(checkout: Checkout) {
    this.checkout = checkout;
    $effect(() => {
      // the customer moved the pin (a tap on the map, a drag): that is now their spot
      const pin = this.pin;
      if (pin && pin !== this.pinnedAt) {
        this.pinnedAt = pin;
        untrack(() => {
          if (this.source !== 'device' || !sameSpot(pin, this.devicePin)) this.source = 'pin';
          void this.check();
        });
      }
    });
  }

  /** The spot placed by the customer or their phone (not the geocoder's), which goes with the order. */
  get located(): LatLng | null {
    return this.pin && (this.source === 'pin' || this.source === 'device') ? this.pin : null;
  }

  /** Asks the server who delivers to the spot (or the address): the storefront says so before checkout. */
  async check() {
    const seq = ++this.seq;
    const { street, postcode, city } = this.checkout;
    const query = whereQuery(pizzasIn(this.checkout.views), this.source !== 'geocoder' ? this.pin : null, { street, postcode, city });
    if (!query) return;
    // offline (no answer): the order still goes with the spot the page has
    const res = await api.get<WhereAnswer | null>(`/api/delivery/where?${query}`);
    if (seq !== this.seq || !res.ok) return;
    this.where = res.data;
    if (this.where?.at && this.source !== 'pin' && this.source !== 'device') {
      this.source = 'geocoder';
      this.pinnedAt = this.where.at;
      this.pin = this.where.at;
    }
  }

  /** A new address: the old pin no longer says where it is. */
  addressEdited() {
    if (this.source !== 'device') {
      this.pin = null;
      this.pinnedAt = null;
      this.source = null;
    }
    this.where = null;
  }

  /** An address filled in with its spot (a saved one's, an earlier order's; the phone's, shared on the first card): the pin goes there. */
  placeAt(at: LatLng, source: 'pin' | 'device' = 'pin') {
    if (source === 'device') this.devicePin = at;
    this.source = source;
    this.pinnedAt = at;
    this.pin = at;
  }

  /** The phone's own position, asked once: the pin goes there. */
  useMyPosition() {
    if (!navigator.geolocation) return;
    this.locating = true;
    navigator.geolocation.getCurrentPosition(
      (p) => {
        this.locating = false;
        const at = { lat: p.coords.latitude, lng: p.coords.longitude };
        this.devicePin = at;
        this.source = 'device';
        this.pinnedAt = at;
        this.pin = at;
        void this.check();
      },
      () => {
        this.locating = false;
        this.checkout.message = this.i18n.t('checkout.positionRefused');
      },
      { enableHighAccuracy: true, timeout: 10_000, maximumAge: 60_000 },
    );
  }
}
