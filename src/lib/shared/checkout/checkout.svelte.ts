import { onDestroy, untrack } from 'svelte';
import { api } from '../api-client.ts';
import { getI18n } from '../../i18n/context.ts';
import { LiveConnection } from '../../realtime/live.svelte.ts';
import { StaffTaps } from '../staff-actions.svelte.ts';
import type { PlaceOrderBody, PlacedOrder } from '../staff-actions.ts';
import { deliveryFee, MAX_QUANTITY_PER_PRODUCT } from '../../domain/pricing.ts';
import { betterDiscount, judgeReward, type LoyaltyScheme } from '../../domain/loyalty.ts';
import type { Fulfilment } from '../../domain/order-states.ts';
import type { MenuCategory, MenuProduct, Pizzeria } from '../../server/shops/catalogue.ts';
import {
  FIELD_MESSAGES, IdempotencyKeys, fieldsSummary, addToBasket, availabilityOf, countOf, orderBody, pizzasIn, productsById, readRefusal, viewLine,
  type AppliedPromo, type Availability, type BasketLine, type OrderDraft, type Refusal,
} from './checkout.ts';

export interface CheckoutOptions {
  /** The shop, as the page has it now (a getter: the page may read it again). */
  shop: () => Pizzeria;
  menu: MenuProduct[];
  categories: MenuCategory[];
  revision: number;
  /** The counter's orders go through the staff taps (kept while offline, then sent once); a customer's through the pages' API client. */
  staff: boolean;
  fulfilment: Fulfilment;
  payment: 'online' | 'on_delivery';
  /** A signed-in customer's points and the scheme: the reward is offered when they have it. */
  loyalty?: { balance: number; scheme: LoyaltyScheme } | null;
}

export type PlaceOutcome = { placed: PlacedOrder } | { refused: Refusal } | null;

/**
 * An order being taken, live: the menu and what the shop can make of it (the hub's word), the basket
 * and its halves, the customer and where it goes, the slot, a promo code or the loyalty reward, then
 * the request and what its refusal says. The storefront's and the counter's order takers are markup
 * over it; the rules are checkout.ts's. Create it while the taker is created.
 */
export class Checkout {
  menu = $state.raw<MenuProduct[]>([]);
  categories = $state.raw<MenuCategory[]>([]);
  availability = $state<Record<number, Availability>>({});
  lines = $state<BasketLine[]>([]);
  fulfilment = $state<Fulfilment>('pickup');
  channel = $state<'phone' | 'counter'>('phone');
  payment = $state<'online' | 'on_delivery'>('on_delivery');
  name = $state('');
  phone = $state('');
  email = $state('');
  street = $state('');
  postcode = $state('');
  city = $state('Paris');
  doorCode = $state('');
  floor = $state('');
  instructions = $state('');
  /** An order for later: the slot chosen (null: as soon as possible). */
  slot = $state<string | null>(null);
  later = $state(false);
  /** Bumped when the slots must be read again (the one chosen filled up meanwhile). */
  slotsRead = $state(0);
  /** A promo code the server accepted for this basket: its discount off the items. */
  promo = $state<AppliedPromo | null>(null);
  useLoyalty = $state(false);
  /** The allergy note: allergens declared (annex II), a few words, and "order these lines anyway". */
  allergens = $state<string[]>([]);
  allergyNote = $state('');
  allergyConfirmed = $state(false);
  /** A signed-in customer keeps this note on their account for next time (their explicit consent, ticked). */
  allergyRemember = $state(false);
  /** A tip for the driver, in cents (a delivery paid online; src/lib/domain/tip-split.ts). */
  tipCents = $state(0);
  errors = $state<Record<string, string>>({});
  message = $state<string | null>(null);
  busy = $state(false);
  /** A failure worth trying again (the server or the network failed, not the order). */
  retryable = $state(false);

  readonly live: LiveConnection;
  private readonly taps: StaffTaps | null;
  private readonly keys = new IdempotencyKeys();
  private readonly i18n = getI18n();
  private readonly shop: () => Pizzeria;
  /** What the shop says of cross-contact, as head office worded it (null: the chain's words): shown beside the allergy note. */
  get crossContact(): Pizzeria['crossContact'] {
    return this.shop().crossContact;
  }
  private readonly loyalty: CheckoutOptions['loyalty'];
  private revision: number;
  private reading: Promise<void> | null = null;
  private uid = 0;
  readonly nextUid = () => ++this.uid;

  byId = $derived(productsById(this.menu));
  /** Every line with its product, price and state; a line withdrawn from the menu is not shown. */
  views = $derived(this.lines.map((l) => viewLine(l, this.byId, this.availability, this.shop().halfAndHalfPricing)));
  /** What goes with the order: a line sold out since is listed, not ordered nor counted. */
  orderable = $derived(this.views.filter((l) => !l.withdrawn && !l.soldOut));
  subtotal = $derived(this.orderable.reduce((s, l) => s + l.unitCents * l.line.quantity, 0));
  fee = $derived(this.orderable.length ? deliveryFee(this.subtotal, this.fulfilment) : 0);
  pizzas = $derived(pizzasIn(this.orderable));
  itemCount = $derived(this.orderable.reduce((s, l) => s + l.line.quantity, 0));
  /** The loyalty reward: a pizza of the basket free, judged as the server judges it, whatever code is applied (one offer an order: the customer chooses). */
  reward = $derived.by(() => {
    const lines = this.orderable.map((l) => ({ category: l.product!.category, unitPriceCents: l.unitCents, quantity: l.line.quantity, vatRate: 0 }));
    return this.loyalty ? judgeReward(this.loyalty.scheme, this.loyalty.balance, lines) : null;
  });
  /** The points are spent on this order (then a code the server accepted is set aside, not sent). */
  spending = $derived(this.useLoyalty && this.reward?.ok === true);
  /** A code accepted and the points both apply: what each takes off, and the better (domain/loyalty.ts). */
  offers = $derived(this.orderable.length ? betterDiscount(this.promo?.discountCents ?? null, this.reward) : null);
  discount = $derived(
    this.spending && this.reward?.ok ? this.reward.discountCents : this.promo && this.orderable.length ? this.promo.discountCents : 0,
  );
  /** An order the counter placed while the network was down, waiting to go. */
  waiting = $derived.by(() => Object.values(this.taps?.entries ?? {}).some((e) => e.action.kind === 'place' && e.state === 'waiting'));

  constructor(opts: CheckoutOptions) {
    this.shop = opts.shop;
    this.menu = opts.menu;
    this.categories = opts.categories;
    this.revision = opts.revision;
    this.availability = Object.fromEntries(opts.menu.map((p) => [p.id, availabilityOf(p)]));
    this.fulfilment = opts.fulfilment;
    this.payment = opts.payment;
    this.loyalty = opts.loyalty ?? null;
    const shopId = opts.shop().id;
    // the menu as the page loaded it, its availability live; read again when head office changes it (a newer revision)
    this.live = new LiveConnection({
      subscription: { scope: 'menu', pizzeriaId: shopId },
      lastEventId: 0,
      onMenu: (m) => {
        if (m.pizzeriaId !== shopId) return;
        for (const p of m.products) this.availability[p.id] = { available: p.available, portions: p.portions, unavailableOptions: p.unavailableOptions ?? [] };
        if (m.revision > this.revision && !this.reading) this.reading = this.readMenu(m.revision).catch(() => {}).finally(() => (this.reading = null));
      },
    });
    onDestroy(() => this.live.close());
    this.taps = opts.staff ? new StaffTaps(this.live) : null;
    // a code newly accepted while the points could pay too: the better of the two is chosen for the
    // customer (they may take the other); a code taken off leaves the points as they were
    let judged: string | null = null;
    $effect(() => {
      const code = this.promo?.code ?? null;
      if (code === judged) return;
      judged = code;
      const offers = untrack(() => this.offers);
      if (code && offers) this.useLoyalty = offers.better === 'points';
    });
  }

  private async readMenu(to: number) {
    const { locale } = this.i18n;
    const [products, tabs] = await Promise.all([
      api.get<MenuProduct[]>(`/api/pizzerias/${this.shop().id}/menu?lang=${locale}`).then((r) => (r.ok ? r.data : null)),
      api.get<MenuCategory[]>(`/api/categories?lang=${locale}`).then((r) => (r.ok ? r.data : null)),
    ]);
    if (!products || !tabs) return;
    this.menu = products;
    this.categories = tabs;
    this.revision = to;
    for (const p of products) this.availability[p.id] = availabilityOf(p);
  }

  isAvailable(productId: number): boolean {
    return (this.availability[productId] ?? { available: false }).available;
  }

  /** How many of a product the basket holds, whatever their options. */
  countOf(productId: number): number {
    return countOf(this.lines, productId);
  }

  /** The line of a product with these options (or these halves), if the basket has it. */
  lineOf(key: string): BasketLine | undefined {
    return this.views.find((v) => v.key === key)?.line;
  }

  /** Adds `want` of a product (with options, or as a half-and-half) while the shop can make it; how many went in. */
  add(productId: number, want = 1, options: readonly number[] = [], secondHalfId?: number): number {
    if (!this.isAvailable(productId)) return 0;
    return addToBasket(this.lines, productId, want, this.nextUid, options, secondHalfId);
  }

  more(line: BasketLine) {
    if (this.countOf(line.productId) < MAX_QUANTITY_PER_PRODUCT) line.quantity++;
  }

  less(line: BasketLine) {
    if (line.quantity > 1) line.quantity--;
    else this.drop(line);
  }

  drop(line: BasketLine) {
    this.lines = this.lines.filter((l) => l.uid !== line.uid);
  }

  /** One size at most: the regular one is no size option at all. */
  setSize(line: BasketLine, size: number | null) {
    const sizes = this.byId.get(line.productId)?.options.filter((o) => o.kind === 'size').map((o) => o.id) ?? [];
    line.options = [...line.options.filter((o) => !sizes.includes(o)), ...(size === null ? [] : [size])].sort((a, b) => a - b);
  }

  toggleOption(line: BasketLine, id: number) {
    line.options = (line.options.includes(id) ? line.options.filter((o) => o !== id) : [...line.options, id]).sort((a, b) => a - b);
  }

  /** A pizza of the line made half-and-half with another (one of them, if the line holds several), or whole again. */
  setHalf(line: BasketLine, right: number | null) {
    if (right === null) {
      delete line.secondHalfId;
    } else if (line.quantity > 1 && line.secondHalfId === undefined) {
      line.quantity--;
      this.lines.push({ uid: this.nextUid(), productId: line.productId, options: [...line.options], quantity: 1, secondHalfId: right });
    } else {
      line.secondHalfId = right;
    }
  }

  /** A field's message in the user's language (the server names the field, in English). */
  fieldError(key: string): string | null {
    return this.errors[key] ? this.i18n.t(FIELD_MESSAGES[key] ?? '', { defaultValue: this.errors[key] }) : null;
  }

  /** A field's error goes as soon as the user edits it; the summary goes with the last one. */
  edited(...keys: string[]) {
    if (!keys.some((k) => k in this.errors)) return;
    for (const k of keys) delete this.errors[k];
    if (!Object.keys(this.errors).length) this.message = null;
  }

  /** The order as it would go now. */
  body(spot: OrderDraft['spot']): PlaceOrderBody {
    return orderBody({
      pizzeriaId: this.shop().id,
      channel: this.taps ? this.channel : 'online',
      fulfilment: this.fulfilment,
      name: this.name,
      phone: this.phone,
      email: this.email,
      address: { street: this.street, postcode: this.postcode, city: this.city, doorCode: this.doorCode, floor: this.floor, instructions: this.instructions },
      spot,
      lines: this.orderable,
      payment: this.payment,
      slot: this.later ? this.slot : null,
      lang: this.i18n.locale,
      promoCode: this.spending ? null : (this.promo?.code ?? null),
      useLoyalty: this.spending,
      allergy: { allergens: this.allergens, note: this.allergyNote, confirmed: this.allergyConfirmed, remember: this.allergyRemember },
      tipCents: this.tipCents,
    });
  }

  /**
   * Places the order: placed (the basket, slot and offers start again), refused (said in `message`
   * and `errors`; the taker may say more), or null when the counter gave up an order waiting for the
   * network, or no answer came (a retry is offered).
   */
  async place(spot: OrderDraft['spot']): Promise<PlaceOutcome> {
    this.errors = {};
    this.message = null;
    this.retryable = false;
    this.busy = true;
    try {
      const payload = JSON.stringify(this.body(spot));
      const res = await this.send(payload, this.keys.for(payload));
      if (!res) return null;
      if (res.status === 201) {
        this.keys.placed();
        this.lines = [];
        this.promo = null;
        this.useLoyalty = false;
        // the next order (the counter's next caller) starts with no allergy note
        this.allergens = [];
        this.allergyNote = '';
        this.allergyConfirmed = false;
        this.allergyRemember = false;
        this.tipCents = 0;
        this.slot = null;
        this.later = false;
        return { placed: res.body };
      }
      const refusal = readRefusal(res.status, res.body);
      this.say(refusal);
      return { refused: refusal };
    } catch {
      this.retryable = true;
      this.message = this.i18n.t('order.failed');
      return null;
    } finally {
      this.busy = false;
    }
  }

  /** The orders waiting for the network are given up. */
  giveUp() {
    for (const e of Object.values(this.taps?.entries ?? {})) if (e.state === 'waiting') this.taps?.client.dismiss(e.key);
  }

  /**
   * Sends the order: the server's answer (its status and body), the same whether a customer placed
   * it (the pages' API client) or the counter (the staff taps); null when the counter gave up an
   * order waiting for the network. No answer at all from the storefront throws.
   */
  private async send(payload: string, key: string): Promise<{ status: number; body: any } | null> {
    if (!this.taps) {
      const r = await api.post<PlacedOrder>('/api/orders', JSON.parse(payload), { 'idempotency-key': key });
      if (r.ok) return { status: r.status, body: r.data };
      if (r.status === null) throw new Error('no answer');
      return { status: r.status, body: r.body ?? {} };
    }
    const outcome = await this.taps.submit({ kind: 'place', body: JSON.parse(payload) as PlaceOrderBody, idempotencyKey: key });
    if (outcome.ok) return { status: 201, body: outcome.result };
    const { code, message, status, details } = outcome.error;
    return status === null ? null : { status, body: { error: { ...details, code, message } } };
  }

  private say(r: Refusal) {
    const { t } = this.i18n;
    switch (r.kind) {
      case 'slot':
        this.message = t(r.key);
        this.slotsRead++;
        break;
      case 'loyalty':
        this.useLoyalty = false;
        this.message = t(r.key);
        break;
      case 'promo':
        this.promo = null;
        this.message = t(r.key, { min: '' });
        break;
      case 'amount':
      case 'limit':
      case 'allergen':
        this.message = t(r.key);
        break;
      case 'where':
        this.errors = { whereAddress: r.code };
        this.message = t(r.code === 'shop_closed' ? 'checkout.closed' : 'order.fixFields');
        break;
      case 'fields': {
        this.errors = r.fields;
        const summary = fieldsSummary(r.fields);
        this.message = summary.key === 'order.fixFields' ? t(summary.key) : t(summary.key, { what: summary.what });
        break;
      }
      case 'unavailable':
        this.message = t('order.unavailable', { items: r.items.map((i) => i.name).join(', ') });
        break;
      case 'failed':
        this.retryable = r.retryable;
        this.message = r.retryable ? t('order.failed') : (r.message ?? t('order.failed'));
        break;
    }
  }
}
