import { onMount, tick, untrack } from 'svelte';
import { page } from '$app/state';
import { getI18n } from '../../i18n/context.ts';
import { api } from '../../shared/api-client.ts';
import type { Fulfilment } from '../../domain/order-states.ts';
import type { MenuCategory, MenuProduct, Pizzeria } from '../../server/shops/catalogue.ts';
import type { Caller, CallerOrder } from '../../server/customers/callers.ts';
import type { PlacedOrder } from '../../shared/staff-actions.ts';
import { Checkout } from '../../shared/checkout/checkout.svelte.ts';
import { linesWithDeclared, type BasketLine } from '../../shared/checkout/checkout.ts';
import { completeFrenchNumber, mayBeNumber, reorderLines } from '../../shared/checkout/counter-basket.ts';
import { CounterAddress } from './counter-address.svelte.ts';
import { addressIndexOf, fold, missingFields } from './counter-fields.ts';

/** What the counter's order taker is given by its page. */
export interface CounterProps {
  shop: Pizzeria;
  menu: MenuProduct[];
  categories: MenuCategory[];
  revision: number;
  onPlaced: (p: PlacedOrder) => void;
}

/** Inputs pressed rather than typed in: every other input keeps its own Enter (in the form, it sends it; the search adds what it found). */
const PRESSED = /^(checkbox|radio|button|submit|reset|image|range|color|file)$/;

/**
 * An order taken at the counter, in seconds: the caller found by their number (their last order,
 * addresses and notes), the basket (the Checkout's, shared with the storefront) with a digit before
 * a product for that many, the product search, where it goes (the CounterAddress), then placing it
 * through the staff taps, with Enter from anywhere on the page. The CounterTaker and its parts are
 * markup over it. Create it while the taker is created.
 */
export class CounterOrder {
  readonly checkout: Checkout;
  readonly address: CounterAddress;
  caller = $state.raw<Caller | null>(null);
  lookup = $state<'idle' | 'looking' | 'found' | 'new' | 'failed'>('idle');
  phoneInput = $state<HTMLInputElement>();
  /** What "same as last time" could not bring back (sold out, off the menu). */
  missing = $state<{ name: string; quantity: number }[]>([]);
  /** The line whose extras and "without" choices are open. */
  optionsOpen = $state<number | null>(null);
  /** The line whose second half is being chosen (a half-and-half: two taps on the line). */
  halvesOpen = $state<number | null>(null);
  /** A digit typed before a product (outside the text fields): that many of the next product tapped. */
  times = $state<number | null>(null);
  /** The product search: typing filters the grid, Enter adds the first product found. */
  search = $state('');
  placeButton = $state<HTMLButtonElement>();
  form = $state<HTMLFormElement>();
  basketEl = $state<HTMLElement>();
  /** How tall the basket may be: down to the bottom of the window, wherever it starts. */
  room = $state<string | undefined>();

  /** The menu's sections that have products, in head office's order. */
  readonly sections: (MenuCategory & { products: MenuProduct[] })[];
  readonly lastOrder: CallerOrder | null;
  readonly pizzasOnSale: MenuProduct[];
  /** The products the search finds (on sale now); null with nothing typed. */
  readonly matches: MenuProduct[] | null;

  private readonly props: CounterProps;
  private readonly i18n = getI18n();
  // pickup or delivery: the caller's usual one once they are found, unless the counter chose
  private fulfilmentChosen = false;
  private looked = '';
  private lookupSeq = 0;

  constructor(props: CounterProps) {
    this.props = props;
    const first = untrack(() => ({ ...props }));
    const checkout = new Checkout({
      shop: () => this.props.shop, menu: first.menu, categories: first.categories, revision: first.revision, staff: true, fulfilment: 'pickup', payment: 'on_delivery',
    });
    this.checkout = checkout;
    this.address = new CounterAddress(checkout, () => this.props.shop.id);
    this.sections = $derived(checkout.categories.map((c) => ({ ...c, products: checkout.menu.filter((p) => p.categoryId === c.id) })).filter((c) => c.products.length));
    this.lastOrder = $derived(this.caller?.orders.find((o) => o.status !== 'cancelled') ?? null);
    this.pizzasOnSale = $derived(checkout.menu.filter((p) => p.category === 'pizza' && this.isAvailable(p.id)));
    this.matches = $derived(this.search.trim() ? checkout.menu.filter((p) => fold(p.name).includes(fold(this.search.trim())) && this.isAvailable(p.id)) : null);
    onMount(() => {
      // a number received: the phone system (or a softphone) opens /counter?phone=… for a ringing call
      const received = page.url.searchParams.get('phone');
      if (received && mayBeNumber(received)) {
        checkout.phone = received.slice(0, 30);
        void this.findCaller(true);
      }
      this.phoneInput?.focus();
    });
    $effect(() => this.keepFootInView());
  }

  get shop(): Pizzeria {
    return this.props.shop;
  }

  isAvailable(id: number): boolean {
    return this.checkout.isAvailable(id);
  }

  // ---------- the caller ----------
  async findCaller(force = false) {
    const checkout = this.checkout;
    const typed = checkout.phone.trim();
    if (!(force ? mayBeNumber(typed) : completeFrenchNumber(typed))) {
      if (this.caller && typed !== this.looked) this.forget();
      return;
    }
    if (typed === this.looked && this.lookup !== 'failed') return;
    this.looked = typed;
    const seq = ++this.lookupSeq;
    this.lookup = 'looking';
    const r = await api.get<{ caller: Caller | null }>(`/api/counter/callers?phone=${encodeURIComponent(typed)}`);
    if (seq !== this.lookupSeq) return;
    if (!r.ok) {
      this.lookup = r.status === 422 ? 'idle' : 'failed';
      return;
    }
    if (this.caller && checkout.name === this.caller.name) checkout.name = '';
    const caller = r.data.caller;
    this.caller = caller;
    this.lookup = caller ? 'found' : 'new';
    if (!caller) return;
    // no name when the caller only ordered from other shops: the counter asks it
    if (!checkout.name.trim() && caller.name) checkout.name = caller.name;
    // the caller's usual way, unless the counter already started the order
    if (!checkout.lines.length && !this.fulfilmentChosen && this.lastOrder) {
      checkout.fulfilment = this.lastOrder.fulfilment;
      if (checkout.fulfilment === 'delivery' && caller.addresses.length) this.chooseAddress(0);
    }
  }

  private forget() {
    if (this.caller && this.checkout.name === this.caller.name) this.checkout.name = '';
    this.caller = null;
    this.lookup = 'idle';
    this.looked = '';
    if (this.address.chosen !== null && this.address.chosen !== 'new') this.address.clear();
  }

  // ---------- the basket ----------
  add(id: number) {
    const added = this.checkout.add(id, this.times ?? 1);
    this.times = null;
    if (added) this.checkout.message = null;
  }

  /** The page's keys: Enter places the order; a digit outside the text fields is that many of the next product; Escape forgets it. */
  keys(e: KeyboardEvent) {
    if (this.enterPlaces(e)) return;
    const el = e.target as HTMLElement | null;
    if (e.ctrlKey || e.metaKey || e.altKey || (el && el.closest('input, textarea, select'))) return;
    if (/^[1-9]$/.test(e.key)) {
      this.times = Number(e.key);
      e.preventDefault();
    } else if (e.key === 'Escape') this.times = null;
  }

  less(l: BasketLine) {
    if (l.quantity > 1) l.quantity--;
    else this.drop(l);
  }

  drop(l: BasketLine) {
    this.checkout.drop(l);
    if (this.optionsOpen === l.uid) this.optionsOpen = null;
  }

  setHalf(l: BasketLine, right: number | null) {
    this.halvesOpen = null;
    this.checkout.setHalf(l, right);
  }

  /** The caller's last order, back in the basket on tonight's menu, with its way and its address. */
  sameAsLast() {
    const { caller, lastOrder, checkout } = this;
    if (!caller || !lastOrder) return;
    const r = reorderLines(lastOrder.lines, checkout.menu, (id) => checkout.availability[id], checkout.nextUid);
    checkout.lines = r.lines;
    this.missing = r.missing;
    this.optionsOpen = null;
    checkout.fulfilment = lastOrder.fulfilment;
    this.fulfilmentChosen = true;
    if (checkout.fulfilment === 'delivery') {
      const i = addressIndexOf(caller.addresses, lastOrder.address);
      if (i >= 0) this.chooseAddress(i);
      else if (caller.addresses.length) this.chooseAddress(0);
    }
    checkout.message = null;
    // the order is whole: Enter now places it
    void tick().then(() => this.placeButton?.focus());
  }

  searchKey(e: KeyboardEvent) {
    if (e.key !== 'Enter' || !this.search.trim()) return;
    e.preventDefault();
    if (this.matches?.length) {
      this.add(this.matches[0].id);
      this.search = '';
    }
  }

  // ---------- where it goes ----------
  setFulfilment(f: Fulfilment) {
    this.checkout.fulfilment = f;
    this.fulfilmentChosen = true;
    if (f === 'delivery' && this.address.chosen === null && this.caller?.addresses.length) this.chooseAddress(0);
  }

  chooseAddress(i: number) {
    const a = this.caller?.addresses[i];
    if (a) this.address.choose(i, a);
  }

  async newAddress() {
    this.fulfilmentChosen = true;
    await this.address.typeNew();
  }

  // ---------- placing ----------
  /**
   * The basket reaches down to the bottom of the window, wherever it starts (below the page's head at
   * first, at the top once scrolled): its foot, the total and the place button, is always in view.
   */
  private keepFootInView() {
    const el = this.basketEl;
    if (!el) return;
    let frame = 0;
    const measure = () => {
      frame = 0;
      this.room = `${Math.floor(window.innerHeight - Math.max(0, el.getBoundingClientRect().top) - 12)}px`;
    };
    const soon = () => (frame ||= requestAnimationFrame(measure));
    measure();
    // what is above it may grow (the confirmation of the last order) and move it down
    const above = new ResizeObserver(soon);
    above.observe(document.body);
    window.addEventListener('scroll', soon, { passive: true });
    window.addEventListener('resize', soon);
    return () => {
      cancelAnimationFrame(frame);
      above.disconnect();
      window.removeEventListener('scroll', soon);
      window.removeEventListener('resize', soon);
    };
  }

  /**
   * Enter places the order from anywhere on the page: a product, a chip or a + tapped keeps the focus,
   * and its Enter would add it again (Space and a tap still press a button). A text field keeps its
   * own Enter, a link opens; a button outside the order (handing over a pickup) keeps its own while
   * there is nothing to place. Answers whether the key was taken.
   */
  private enterPlaces(e: KeyboardEvent): boolean {
    if (e.key !== 'Enter' || e.defaultPrevented || e.isComposing || e.ctrlKey || e.metaKey || e.altKey || e.shiftKey) return false;
    const el = e.target instanceof HTMLElement ? e.target : null;
    if (el?.closest('textarea, select, a[href], [contenteditable]:not([contenteditable=false])')) return false;
    if (el instanceof HTMLInputElement && !PRESSED.test(el.type)) return false;
    if (!el?.closest('.counter-taker') && !this.checkout.orderable.length) return false;
    e.preventDefault();
    // held down, or a slot still to choose: nothing more
    if (!e.repeat && !this.placeButton?.disabled) this.form?.requestSubmit();
    return true;
  }

  /** The next caller starts from nothing. */
  private reset() {
    const checkout = this.checkout;
    this.missing = [];
    this.optionsOpen = null;
    checkout.phone = '';
    checkout.name = '';
    checkout.allergens = [];
    checkout.allergyNote = '';
    checkout.allergyConfirmed = false;
    this.caller = null;
    this.lookup = 'idle';
    this.looked = '';
    checkout.fulfilment = 'pickup';
    this.fulfilmentChosen = false;
    checkout.channel = 'phone';
    this.address.clear();
    this.search = '';
  }

  async submit(e: SubmitEvent) {
    e.preventDefault();
    const { checkout, address } = this;
    const { t } = this.i18n;
    if (checkout.busy || checkout.waiting) return;
    checkout.message = null;
    checkout.errors = {};
    const local = missingFields(checkout);
    if (!checkout.orderable.length) {
      checkout.message = t('caller.emptyBasket');
      return;
    }
    if (Object.keys(local).length) {
      checkout.errors = local;
      checkout.message = t('order.fixFields');
      await tick();
      document.querySelector<HTMLElement>(`.counter-taker [aria-invalid='true']`)?.focus();
      return;
    }
    // a line with an allergen the caller declared goes only once they confirm it (the server checks too)
    if (linesWithDeclared(checkout.views, checkout.allergens).length && !checkout.allergyConfirmed) {
      checkout.message = t('allergyNote.refused');
      document.querySelector<HTMLElement>('.counter-taker [data-testid=allergen-warning]')?.focus();
      return;
    }
    if (address.needsNoLocationOk && !address.noLocationOk) {
      checkout.message = t('caller.noLocationNeeded');
      document.querySelector<HTMLElement>('.counter-taker input[name=noLocation]')?.focus();
      return;
    }
    // a known address's saved spot, or the counter's pin on the map; a typed one is located by the server
    const outcome = await checkout.place(address.placedSpot);
    if (!outcome) return; // given up while waiting for the network
    if ('placed' in outcome) {
      this.reset();
      this.props.onPlaced(outcome.placed);
      await tick();
      this.phoneInput?.focus();
      return;
    }
    // the counter's own words where they differ from a customer's
    const r = outcome.refused;
    if (r.kind === 'where') {
      checkout.errors = {};
      checkout.message = t('caller.notDelivered', { shop: this.shop.name });
    } else if (r.kind === 'failed') checkout.message = r.message || t('order.failed');
  }
}
