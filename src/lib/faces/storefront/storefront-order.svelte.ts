import { onMount, tick, untrack } from 'svelte';
import { afterNavigate } from '$app/navigation';
import type { CheckoutPrefill } from '../../server/customers/account.ts';
import type { ReorderDraft } from '../../server/flows/reorder.ts';
import type { MenuCategory, MenuProduct, Pizzeria } from '../../server/shops/catalogue.ts';
import type { CallerLine } from '../../server/customers/callers.ts';
import { getI18n } from '../../i18n/context.ts';
import { api } from '../../shared/api-client.ts';
import { savesCardFirst } from '../../domain/card-holds.ts';
import { isOpenAt, nextOpening } from '../../domain/opening-hours.ts';
import { neighbourOffer, type NeighbourReason } from '../../domain/neighbour-shop.ts';
import { Checkout } from '../../shared/checkout/checkout.svelte.ts';
import { linesWithDeclared, type LineView } from '../../shared/checkout/checkout.ts';
import { reorderLines } from '../../shared/checkout/counter-basket.ts';
import type { PlacedOrder } from '../../shared/staff-actions.ts';
import { HANDOFF, carriedLines, handOver, takeOver, type CarriedBasket, type HandedAddress } from './handoff.ts';
import { DeliverySpot, type ShopForSpot } from './delivery-spot.svelte.ts';
import { spotOf } from './spot.ts';

/** What the storefront's order taker is given by its page. */
export interface StorefrontProps {
  shop: Pizzeria;
  menu: MenuProduct[];
  categories: MenuCategory[];
  revision: number;
  onPlaced: (p: PlacedOrder) => void;
  /** Whether online payment is offered (Stripe, or the demo page); without it customers pay at the door or counter. */
  onlinePayment?: boolean;
  /** A signed-in customer's details and latest address, filled in at checkout. */
  known?: CheckoutPrefill | null;
  /** "The same again": an earlier order of theirs, back in the checkout for review (placed only when they confirm). */
  again?: ReorderDraft | null;
  /** The customer said they collect it (the storefront's first question): the checkout starts at "pickup". */
  pickup?: boolean;
}

type Missing = { name: string; quantity: number }[];
type SavedAddress = { street: string; postcode: string; city: string; doorCode?: string | null; floor?: string | null; instructions?: string | null };

/** A moment as the opening hours read it (a Date made and read at once, never kept). */
const instant = (ms: number) => new Date(ms);

/** This device's memory of the last address delivered to. */
const SAVED = 'ocp.address';

/**
 * A customer's order on the storefront: the menu and the basket (the Checkout's, shared with the
 * counter), the shop's live word (paused, busy, closed), where it goes and who delivers there (the
 * DeliverySpot), an earlier order or a neighbour's basket brought back for review, the promise of a
 * pickup, then placing it. The OrderTaker and its parts are markup over it. Create it while the
 * taker is created.
 */
export class StorefrontOrder {
  readonly checkout: Checkout;
  readonly spot: DeliverySpot;
  /** The shop right now, for a customer: online orders paused during a rush, or closed (and when it opens), live. */
  status: Pick<Pizzeria, 'onlinePaused' | 'busyMinutes' | 'openingHours' | 'phone'>;
  clock = $state(Date.now());
  /** The tip typed is not an amount. */
  tipInvalid = $state(false);
  /** The product whose options are being chosen. */
  choosing = $state<number | null>(null);
  /** The basket on screen: the phone's shortcut to it hides meanwhile. */
  basketEl = $state<HTMLElement>();
  basketVisible = $state(false);
  /** The earlier order under review, or the basket brought from another shop: said at the top of the basket. */
  review = $state<{ number: number; placedAt: string; missing: Missing } | null>(null);
  carried = $state<{ from: string; beforeCents: number; missing: Missing } | null>(null);
  reviewEl = $state<HTMLElement>();
  /** An order collected: what the shop would promise it now (a delivery's comes with the address). */
  pickupPromise = $state<{ minutes: number; range: { from: number; to: number } } | null>(null);
  /** The tab of the section being read (the last whose heading went above the middle of the screen). */
  currentTab = $state<number | null>(null);
  /** Allergens the customer filters out: the menu hides the products whose recipe contains one. */
  avoid = $state<string[]>([]);

  private readonly props: StorefrontProps;
  private readonly i18n = getI18n();
  // once the page has arrived (after the router's own scroll and focus), the review is what the customer sees first
  private reveal = false;
  private promiseSeq = 0;

  /** The checkout's tip: a delivery paid by card now (not a card saved for a slot far ahead). */
  readonly tipShown: boolean;
  readonly closedNow: boolean;
  readonly opensAt: Date | null;
  /** Paused or closed, with no slot for later chosen: nothing goes now. */
  readonly notTaking: boolean;
  /** This shop's answer for the spot, and the nearest shop's. */
  readonly here: ShopForSpot | null;
  readonly nearest: ShopForSpot | null;
  /**
   * The chain as one kitchen (domain/neighbour-shop.ts, as the first card offers it): this shop does
   * not deliver here, has paused its online orders or is closed (its live word, not the answer's), or
   * cannot promise it soon tonight while a neighbour that delivers here can do much better: the
   * neighbour is offered, and taking it carries the basket there.
   */
  readonly offer: { shop: ShopForSpot; reason: NeighbourReason } | null;
  /** The basket's lines; a product or an option withdrawn since goes from the basket. */
  readonly lines: (LineView & { product: MenuProduct })[];
  /** A signed-in customer's favourite products on this menu, in the order they chose them. */
  readonly favourites: MenuProduct[];
  /** The menu's sections that have something on the menu, as tabs in head office's order. */
  readonly tabs: MenuCategory[];
  /** The section a half-and-half is built in: the first with pizzas. */
  readonly halvesTab: number | null;
  /** The menu less what the customer filters out. */
  readonly shown: MenuProduct[];

  constructor(props: StorefrontProps) {
    this.props = props;
    const first = untrack(() => ({ ...props }));
    this.checkout = new Checkout({
      shop: () => this.props.shop, menu: first.menu, categories: first.categories, revision: first.revision, staff: false,
      fulfilment: first.pickup ? 'pickup' : 'delivery', payment: (first.onlinePayment ?? true) ? 'online' : 'on_delivery', loyalty: first.known?.loyalty,
    });
    this.status = $state({ onlinePaused: first.shop.onlinePaused, busyMinutes: first.shop.busyMinutes, openingHours: first.shop.openingHours, phone: first.shop.phone });
    onMount(() => this.checkout.live.onShopStatus((e) => {
      if (e.pizzeriaId !== this.shop.id) return;
      const promiseMoved = e.busyMinutes !== this.status.busyMinutes;
      this.status = { onlinePaused: e.onlinePaused, busyMinutes: e.busyMinutes, openingHours: e.openingHours, phone: e.phone };
      // the promise at checkout follows the shop's rush at once
      if (promiseMoved && this.spot.where) void this.spot.check();
    }));
    $effect(() => {
      if (!this.tipShown) untrack(() => (this.checkout.tipCents = 0));
    });
    onMount(() => {
      const timer = setInterval(() => (this.clock = Date.now()), 30_000);
      return () => clearInterval(timer);
    });
    // an order for later: a closed or paused shop still takes those
    $effect(() => {
      if (this.closedNow) untrack(() => (this.checkout.later = true));
    });
    // the phone's shortcut to the basket hides while the basket itself is on screen
    onMount(() => {
      const io = new IntersectionObserver(([entry]) => (this.basketVisible = entry.isIntersecting), { threshold: 0.05 });
      if (this.basketEl) io.observe(this.basketEl);
      return () => io.disconnect();
    });
    this.spot = new DeliverySpot(this.checkout);
    const checkout = this.checkout;
    this.tipShown = $derived(checkout.fulfilment === 'delivery' && checkout.payment === 'online' && !this.savesCard);
    this.closedNow = $derived(!!this.status.openingHours && !isOpenAt(this.status.openingHours, instant(this.clock)));
    this.opensAt = $derived(this.closedNow && this.status.openingHours ? nextOpening(this.status.openingHours, instant(this.clock)) : null);
    this.notTaking = $derived(!checkout.slot && (this.status.onlinePaused || this.closedNow));
    this.here = $derived(this.spot.where?.shops.find((s) => s.id === this.shop.id) ?? null);
    this.nearest = $derived(this.spot.where?.shops.slice().sort((a, b) => a.distanceM - b.distanceM)[0] ?? null);
    this.offer = $derived(this.spot.where ? neighbourOffer(this.spot.where.shops.map((s) => (s.id === this.shop.id ? { ...s, paused: this.status.onlinePaused, open: s.open && !this.closedNow } : s)), this.shop.id) : null);
    this.lines = $derived(checkout.views.filter((l): l is LineView & { product: MenuProduct } => !l.withdrawn));
    this.favourites = $derived((this.known?.favourites ?? []).map((id) => checkout.menu.find((p) => p.id === id)).filter((p): p is MenuProduct => !!p));
    this.tabs = $derived(checkout.categories.filter((cat) => checkout.menu.some((p) => p.categoryId === cat.id)));
    this.halvesTab = $derived(this.tabs.find((cat) => checkout.menu.some((p) => p.categoryId === cat.id && p.category === 'pizza'))?.id ?? null);
    this.shown = $derived(checkout.menu.filter((p) => !p.allergens.some((a) => this.avoid.includes(a))));
    afterNavigate(() => {
      if (!this.reveal) return;
      this.reveal = false;
      this.basketEl?.scrollIntoView({ block: 'start' });
      this.reviewEl?.focus({ preventScroll: true });
    });
    onMount(() => this.start());
    $effect(() => this.askPickupPromise());
    onMount(() => this.followTabs());
  }

  get shop(): Pizzeria {
    return this.props.shop;
  }
  get known(): CheckoutPrefill | null {
    return this.props.known ?? null;
  }
  get onlinePayment(): boolean {
    return this.props.onlinePayment ?? true;
  }
  /** A slot far ahead, paid online: the card is saved now and held the day before (src/lib/domain/card-holds.ts). */
  get savesCard(): boolean {
    return this.checkout.later && !!this.checkout.slot && savesCardFirst(Date.parse(this.checkout.slot), this.clock);
  }
  /** The total the place button says: the tip rides on it when offered. */
  get toPay(): number {
    return this.checkout.subtotal + this.checkout.fee - this.checkout.discount + (this.tipShown ? this.checkout.tipCents : 0);
  }

  /** How many of a product the basket holds, whatever their options. */
  inBasket(id: number): number {
    return this.lines.filter((l) => l.line.productId === id).reduce((n, l) => n + l.line.quantity, 0);
  }

  /** The checkout at first: an earlier order or a neighbour's basket to review, else the address and contact known. */
  private start() {
    const { known, again } = this.props;
    // a signed-in customer's allergies kept on their account (with their consent): this order's note starts with them
    if (known?.allergies) {
      this.checkout.allergens = [...known.allergies.allergens];
      this.checkout.allergyNote = known.allergies.note ?? '';
    }
    const basket = takeOver<CarriedBasket>(HANDOFF.basket);
    const handed = takeOver<HandedAddress>(HANDOFF.address);
    const reviewed = again ?? (basket?.to === this.shop.id ? basket : null);
    if (reviewed) {
      // an earlier order, or a basket from another shop: its lines, its way and its door, for the customer to check
      this.checkout.fulfilment = reviewed.fulfilment;
      if (again) {
        this.fillContact(again.customer);
        this.checkout.payment = again.payment === 'online' && this.onlinePayment ? 'online' : 'on_delivery';
        this.review = { number: again.number, placedAt: again.placedAt, missing: this.bringLines(again.lines).missing };
      } else if (basket) {
        this.fillContact(basket);
        this.carried = { from: basket.from, ...this.bringLines(basket.lines) };
      }
      this.reveal = true;
      const a = again ? again.address : (basket?.address ?? null);
      if (a) this.fillAddress(a, spotOf(a));
      return;
    }
    // the address the first card settled on, then a signed-in customer's latest, then this device's memory
    if (known) this.fillContact(known);
    if (handed) return this.fillAddress(handed, spotOf(handed), handed.from);
    if (known?.address) return this.fillAddress(known.address, spotOf(known.address));
    try {
      const s = JSON.parse(localStorage.getItem(SAVED) ?? 'null');
      if (!s || typeof s.street !== 'string') return;
      this.fillAddress(s, spotOf(s));
    } catch {
      /* nothing saved */
    }
  }

  /** An address (this device's memory, or a signed-in customer's latest) filled in, with its spot when it has one. */
  private fillAddress(a: SavedAddress | HandedAddress, at: ReturnType<typeof spotOf>, from?: HandedAddress['from']) {
    const checkout = this.checkout;
    ({ street: checkout.street, postcode: checkout.postcode, city: checkout.city } = a);
    checkout.doorCode = a.doorCode ?? '';
    checkout.floor = a.floor ?? '';
    checkout.instructions = a.instructions ?? '';
    if (at) this.spot.placeAt(at, from === 'device' ? 'device' : 'pin');
    void this.spot.check();
  }

  private fillContact(c: { name?: string | null; phone?: string | null; email?: string | null }) {
    this.checkout.name = c.name ?? '';
    this.checkout.phone = c.phone ?? '';
    this.checkout.email = c.email ?? '';
  }

  /**
   * Lines of an earlier order, or of the shop the basket comes from, on this menu now: what it cannot
   * make is named, and what the lines it takes cost before (to say so when this shop prices them otherwise).
   */
  private bringLines(from: CallerLine[]) {
    const checkout = this.checkout;
    const lines = [];
    const missing = [];
    let beforeCents = 0;
    for (const l of from) {
      const r = reorderLines([l], checkout.menu, (id) => checkout.availability[id], checkout.nextUid);
      lines.push(...r.lines);
      missing.push(...r.missing);
      if (r.lines.length) beforeCents += l.unitPriceCents * l.quantity;
    }
    checkout.lines = lines;
    return { missing, beforeCents };
  }

  /** The promise of a pickup, asked again as the basket, the way or the shop's rush change. */
  private askPickupPromise() {
    const checkout = this.checkout;
    const wanted = checkout.fulfilment === 'pickup' && !checkout.later && checkout.pizzas > 0;
    const pizzas = Math.min(50, checkout.pizzas);
    void this.status.busyMinutes;
    const seq = ++this.promiseSeq;
    if (!wanted) return void (this.pickupPromise = null);
    void api.get<{ minutes: number; range: { from: number; to: number } }>(`/api/pizzerias/${this.shop.id}/promise?pizzas=${pizzas}`).then((r) => {
      if (seq === this.promiseSeq && r.ok) this.pickupPromise = r.data;
    });
  }

  /** Which section is being read, for its tab. */
  private followTabs() {
    const seen: Record<number, boolean> = {};
    const io = new IntersectionObserver(
      (entries) => {
        for (const e of entries) seen[Number((e.target as HTMLElement).dataset.tab)] = e.boundingClientRect.top < window.innerHeight / 2;
        const above = this.tabs.filter((cat) => seen[cat.id]);
        this.currentTab = (above.at(-1) ?? this.tabs[0])?.id ?? null;
      },
      { rootMargin: '0px 0px -50% 0px', threshold: [0, 1] },
    );
    for (const h of document.querySelectorAll<HTMLElement>(`.taker h3[data-tab]`)) io.observe(h);
    return () => io.disconnect();
  }

  /** The basket as it stands goes with the customer to the neighbour they take (its page reads it once). */
  carryTo(to: { id: number }) {
    const checkout = this.checkout;
    const located = this.spot.located;
    const address: HandedAddress | null = checkout.street.trim()
      ? { street: checkout.street, postcode: checkout.postcode, city: checkout.city, doorCode: checkout.doorCode, floor: checkout.floor, instructions: checkout.instructions, ...(located ? { lat: located.lat, lng: located.lng } : {}) }
      : null;
    const lines = carriedLines(checkout.views);
    // an empty basket: only the address goes
    if (!lines.length) {
      if (address) handOver(HANDOFF.address, address);
      return;
    }
    const basket: CarriedBasket = {
      to: to.id, from: this.shop.name, lines,
      fulfilment: checkout.fulfilment, name: checkout.name, phone: checkout.phone, email: checkout.email, address,
    };
    handOver(HANDOFF.basket, basket);
  }

  add(id: number, options: number[] = [], secondHalfId?: number) {
    this.checkout.add(id, 1, options, secondHalfId);
    this.choosing = null;
    this.checkout.message = null;
    this.checkout.edited('items');
  }

  remove(key: string) {
    const line = this.checkout.lineOf(key);
    if (!line) return;
    this.checkout.less(line);
    this.checkout.edited('items');
  }

  removeLine(key: string) {
    const line = this.checkout.lineOf(key);
    if (line) this.checkout.drop(line);
    this.checkout.message = null;
    this.checkout.edited('items');
  }

  async submit(e: SubmitEvent) {
    e.preventDefault();
    const checkout = this.checkout;
    // a line with a declared allergen goes only once the customer confirms it (the server checks too)
    if (linesWithDeclared(this.lines, checkout.allergens).length && !checkout.allergyConfirmed) {
      checkout.message = this.i18n.t('allergyNote.refused');
      document.querySelector<HTMLElement>('[data-testid=allergen-warning]')?.focus();
      return;
    }
    const fulfilment = checkout.fulfilment;
    const located = this.spot.located;
    const spot = located ? { lat: located.lat, lng: located.lng, locatedBy: this.spot.source as 'pin' | 'device' } : null;
    const outcome = await checkout.place(spot);
    if (!outcome) return;
    if ('placed' in outcome) {
      if (fulfilment === 'delivery') this.remember();
      this.props.onPlaced(outcome.placed);
      return;
    }
    const r = outcome.refused;
    // said in the customer's words, with the shop that can help
    if (r.kind === 'where') void this.spot.check();
    if (r.kind === 'fields') {
      // take the customer to the first field in red
      await tick();
      document.querySelector<HTMLElement>(`#basket [aria-invalid='true']`)?.focus();
    }
    if (r.kind === 'unavailable') {
      // the hub's next word says exactly what is left (an option's ingredient may be what ran out)
      for (const i of r.items) if (!this.lines.some((l) => l.line.productId === i.productId && l.chosen.length)) checkout.availability[i.productId] = { available: false, portions: 0, unavailableOptions: [] };
    }
  }

  /** The next order starts from this address and its spot (with no network to a geocoder, it still has one). */
  private remember() {
    const { street, postcode, city, doorCode, floor, instructions } = this.checkout;
    const pin = this.spot.pin;
    try { localStorage.setItem(SAVED, JSON.stringify({ street, postcode, city, doorCode, floor, instructions, ...(pin ? { lat: pin.lat, lng: pin.lng } : {}) })); } catch { /* private mode */ }
  }
}
