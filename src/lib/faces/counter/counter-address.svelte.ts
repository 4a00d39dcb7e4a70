import { tick } from 'svelte';
import { api } from '../../shared/api-client.ts';
import type { Checkout } from '../../shared/checkout/checkout.svelte.ts';
import type { LatLng } from '../../domain/geo.ts';
import type { CallerAddress } from '../../server/customers/callers.ts';
import { whereQuery } from '../../shared/checkout/where-query.ts';
import { addressComplete } from './counter-fields.ts';

/** A shop as GET /api/delivery/where answers for an address: whether it delivers there, and its promise. */
interface ShopForSpot {
  id: number;
  name: string;
  delivers: boolean;
  promiseMinutes: number | null;
}
interface WhereAnswer {
  at: LatLng | null;
  unavailable: boolean;
  shops: ShopForSpot[];
}

/**
 * Where a counter delivery goes: one of the caller's known addresses (with its saved position: the
 * first an order to it had, a pin or the geocoder's) or one typed, where it is and whether this shop
 * delivers there (GET /api/delivery/where); an address the geocoder cannot find is placed by the
 * counter's tap on the map (kept with the address for next time), or goes with no spot on the
 * counter's say-so ("the driver will call"). The address itself is the Checkout's. Create it while
 * the taker is created.
 */
export class CounterAddress {
  /** The index of the known address chosen, 'new' for a typed one, null for none. */
  chosen = $state<number | 'new' | null>(null);
  /** A known address's fields shown to be changed (its door code moved, a new floor). */
  editing = $state(false);
  /** The spot a known address had; a typed one's is the geocoder's (`where.at`). */
  knownSpot = $state.raw<LatLng | null>(null);
  /** Where the known address's spot comes from: the order that first had it, and how it was placed. */
  knownFrom = $state.raw<CallerAddress['spot']>(null);
  /** The spot the counter tapped on the map, for an address the geocoder could not find. */
  pinned = $state.raw<LatLng | null>(null);
  where = $state.raw<WhereAnswer | null>(null);
  locating = $state(false);
  /** The counter ticked "the driver will call": the delivery may go with no spot. */
  noLocationOk = $state(false);

  readonly spot: LatLng | null;
  /** This shop's answer for the address. */
  readonly here: ShopForSpot | null;
  readonly complete: boolean;
  /** A delivery that would go with no spot: only with the counter's say-so. */
  readonly needsNoLocationOk: boolean;

  private readonly checkout: Checkout;
  private seq = 0;

  constructor(checkout: Checkout, shopId: () => number) {
    this.checkout = checkout;
    this.spot = $derived(this.knownSpot ?? this.pinned ?? this.where?.at ?? null);
    this.here = $derived(this.where?.shops.find((s) => s.id === shopId()) ?? null);
    this.complete = $derived(addressComplete(checkout));
    this.needsNoLocationOk = $derived(checkout.fulfilment === 'delivery' && this.complete && !this.spot && !this.locating);
  }

  /** A known address chosen: its fields and its spot, then whether this shop delivers there. */
  choose(i: number, a: CallerAddress) {
    const checkout = this.checkout;
    checkout.fulfilment = 'delivery';
    this.chosen = i;
    this.editing = false;
    ({ street: checkout.street, postcode: checkout.postcode, city: checkout.city } = a);
    checkout.doorCode = a.doorCode ?? '';
    checkout.floor = a.floor ?? '';
    checkout.instructions = a.instructions ?? '';
    this.knownSpot = a.lat !== null && a.lng !== null ? { lat: a.lat, lng: a.lng } : null;
    this.knownFrom = this.knownSpot ? a.spot : null;
    this.pinned = null;
    this.noLocationOk = false;
    void this.check();
  }

  /** A new address to type: its first field takes the focus. */
  async typeNew() {
    this.checkout.fulfilment = 'delivery';
    this.clear();
    this.chosen = 'new';
    await tick();
    document.querySelector<HTMLInputElement>('.counter-taker input[name=street]')?.focus();
  }

  clear() {
    this.chosen = null;
    Object.assign(this.checkout, { street: '', postcode: '', city: 'Paris', doorCode: '', floor: '', instructions: '' });
    this.knownSpot = null;
    this.knownFrom = null;
    this.pinned = null;
    this.where = null;
    this.noLocationOk = false;
  }

  /** A known address edited is a new one: its spot no longer says where it is. */
  edited() {
    if (this.chosen !== 'new') this.chosen = 'new';
    this.knownSpot = null;
    this.knownFrom = null;
    this.pinned = null;
    this.where = null;
    this.noLocationOk = false;
  }

  /** The counter placed the address on the map (the caller says where): this shop's answer for that spot. */
  pin(at: LatLng | null) {
    this.pinned = at;
    if (at) {
      this.noLocationOk = false;
      void this.check();
    }
  }

  /** The spot the order is placed with when the page has one (a typed address found by the geocoder is located again by the server). */
  get placedSpot(): { lat: number; lng: number; locatedBy: 'pin' } | null {
    const at = this.knownSpot ?? this.pinned;
    return at ? { lat: at.lat, lng: at.lng, locatedBy: 'pin' } : null;
  }

  /** Where the address is and whether this shop delivers there (GET /api/delivery/where). */
  async check() {
    const checkout = this.checkout;
    const seq = ++this.seq;
    // a known address's spot or the counter's pin, else the address once whole
    const at = this.knownSpot ?? this.pinned;
    const query = at || this.complete ? whereQuery(checkout.pizzas, at, checkout) : null;
    if (!query) return;
    this.locating = true;
    const r = await api.get<WhereAnswer | null>(`/api/delivery/where?${query}`);
    if (seq !== this.seq) return;
    this.locating = false;
    this.where = r.ok ? r.data : { at: null, unavailable: true, shops: [] };
    if (this.pinned && this.where) this.where = { ...this.where, at: this.pinned };
  }
}
