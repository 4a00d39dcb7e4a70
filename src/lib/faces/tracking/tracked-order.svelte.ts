import { onDestroy, untrack } from 'svelte';
import { invalidateAll } from '$app/navigation';
import { getI18n } from '../../i18n/context.ts';
import { LiveConnection } from '../../realtime/live.svelte.ts';
import { customerCanChange, discountFixesLines, isIn, MAKING_STATUSES, NOT_STARTED_STATUSES, timelineFor, type OrderStatus } from '../../domain/order-states.ts';
import type { OrderForecast, OrderView, TrackedDriverPosition } from '../../shapes/views.ts';
import { liveEta, type EtaSettings, type TravelMode } from '../../domain/eta.ts';
import { distanceM, type LatLng } from '../../domain/geo.ts';
import { POSITION_STALE_MS } from '../../domain/dispatch-by-distance.ts';
import { totalParts, type OrderDiscount } from '../../domain/total-parts.ts';
import { headlineKey, lateIsNews, paidHow } from './track-card.ts';

/** What the tracking page loads for its card (its `+page.server.ts`). */
export interface TrackingData {
  order: OrderView;
  lastEventId: number;
  token: string;
  itemsAhead: number;
  shop: { lat: number; lng: number };
  travelMode: TravelMode;
  eta: EtaSettings;
  spreadMinutes: number;
  discount: OrderDiscount | null;
}

/** A moment as the clock reads it. */
const isoAt = (ms: number) => new Date(ms).toISOString();

// paid at the shop or the door (cash, card, by phone), not online: said as it was paid
const PAID_AT_SHOP = { cash: 'counter.paidCash', card: 'counter.paidCard', terminal: 'counter.paidCard', qr: 'counter.paidCard', phone: 'counter.paidPhone' } as const;

/**
 * An order as its customer follows it, live: its status and timeline, its driver while they carry
 * it, the shop's plan for it, and the ONE time on the card (the window it should arrive in, and how
 * late that is against the promise). The tracking page and its parts are markup over it. Create it
 * while the page is created.
 */
export class TrackedOrder {
  order: OrderView;
  readonly live: LiveConnection;
  now = $state(Date.now());
  /** The driver, live, only while they carry this order (the hub sends nothing else). */
  driverAt = $state<TrackedDriverPosition | null>(null);
  /** The shop's plan for this order, live (it knows the oven's queue and when the drivers come back). */
  forecast = $state<OrderForecast | null>(null);
  readonly parisDay: Intl.DateTimeFormat;

  readonly onTheWay: boolean;
  /** Paid at the shop or the door: how, in the customer's words. */
  readonly paidAtShop: string | null;
  readonly freshDriver: TrackedDriverPosition | null;
  readonly home: LatLng | null;
  readonly eta: ReturnType<typeof liveEta>;
  /** An order for later, not fired yet: its slot, not a countdown. */
  readonly waitingForSlot: boolean;
  readonly showEta: boolean;
  /** The plan's word while the order is in the shop; the driver's own road after that. */
  readonly planned: OrderForecast | null;
  readonly etaFrom: 'plan' | 'driver' | 'estimate';
  /** The window the customer reads: either side of the expected time, as wide as the shop's past promises say it keeps (5 min at least). */
  readonly expectedWindow: { from: string; to: string };
  /** Minutes later than the promise: the plan's own count (the one the late text gives), else the estimate's. */
  readonly lateMinutes: number;
  readonly lateNotice: boolean;
  readonly nearDoor: boolean;
  readonly headline: string;
  /** What the total is made of, as on the receipt: lines, delivery fee, less a promo code or points. */
  readonly parts: ReturnType<typeof totalParts>;
  readonly steps: readonly OrderStatus[];
  readonly reached: number;
  /** The last step reached is a success, not a step in progress. */
  readonly finished: boolean;
  readonly changeable: boolean;
  /**
   * An order placed with a promo code or points keeps its lines (the server refuses a change): the
   * customer is told so, and how to get another basket, instead of a button that fails.
   */
  readonly linesFixed: boolean;
  readonly fixedNote: string;

  constructor(data: () => TrackingData) {
    const { t, time, locale } = getI18n();
    this.order = $state(untrack(() => data().order));
    this.live = new LiveConnection({
      subscription: { scope: 'order' },
      trackingToken: untrack(() => data().token),
      lastEventId: untrack(() => data().lastEventId),
      onEvent: (e) => {
        if (e.order.id === this.order.id && e.order.version > this.order.version) this.order = e.order;
      },
      onResync: async () => {
        await invalidateAll();
        this.order = data().order;
        return data().lastEventId;
      },
    });
    onDestroy(() => this.live.close());
    onDestroy(this.live.onPosition((p) => {
      if (this.order.status === 'out_for_delivery' && (!this.driverAt || p.at > this.driverAt.at)) this.driverAt = p;
    }));
    const tick = setInterval(() => (this.now = Date.now()), 15_000);
    onDestroy(() => clearInterval(tick));
    onDestroy(this.live.onForecast((f) => {
      if (f.orderId === this.order.id) this.forecast = f;
    }));
    this.parisDay = new Intl.DateTimeFormat(locale === 'fr' ? 'fr-FR' : 'en-GB', { timeZone: 'Europe/Paris', weekday: 'long', day: 'numeric', month: 'long' });

    const order = () => this.order;
    this.onTheWay = $derived(order().status === 'out_for_delivery');
    this.paidAtShop = $derived.by(() => {
      const how = paidHow(order());
      return how ? t(PAID_AT_SHOP[how]) : order().payment.method !== 'online' ? t('track.paidPlainHow') : null;
    });
    this.freshDriver = $derived(this.onTheWay && this.driverAt && this.now - Date.parse(this.driverAt.at) < POSITION_STALE_MS ? this.driverAt : null);
    this.home = $derived.by(() => {
      const a = order().address;
      return a?.lat != null && a.lng != null ? { lat: a.lat, lng: a.lng } : null;
    });
    this.eta = $derived(this.estimate(data()));
    this.waitingForSlot = $derived.by(() => {
      const { scheduled, status } = order();
      return !!scheduled && !scheduled.fired && isIn(NOT_STARTED_STATUSES, status);
    });
    this.showEta = $derived(this.eta.stage !== 'done' && order().status !== 'pending_payment' && !order().delivery.awaitingDecision && !this.waitingForSlot);
    // the shop's plan speaks of this order until it leaves the shop
    const plannable = $derived(!this.waitingForSlot && (isIn(MAKING_STATUSES, order().status) || (order().status === 'ready' && order().fulfilment === 'delivery')));
    this.planned = $derived(this.forecast && plannable ? this.forecast : null);
    // ONE time on the card: the window when the order should reach the customer (be ready, for a pickup),
    // from the shop's plan while it is in the shop, from the driver's own road once on the way, else the
    // kitchen's estimate; beside it, how late that is against the promise, in the words of the texts
    this.etaFrom = $derived(this.planned ? 'plan' : this.freshDriver && this.home ? 'driver' : 'estimate');
    const expectedAt = $derived(this.planned ? Date.parse(this.planned.expectedAt) : this.now + this.eta.minutes * 60_000);
    const spread = $derived(data().spreadMinutes * 60_000);
    this.expectedWindow = $derived({ from: time(isoAt(expectedAt - spread)), to: time(isoAt(expectedAt + spread)) });
    this.lateMinutes = $derived(this.planned ? this.planned.lateMinutes : Math.max(0, this.eta.lateByMinutes ?? 0));
    this.lateNotice = $derived(lateIsNews(order().promisedAt, this.lateMinutes));
    this.nearDoor = $derived(this.freshDriver && this.home ? distanceM(this.freshDriver, this.home) < 150 : false);
    this.headline = $derived(headlineKey(order(), this.now, this.waitingForSlot));
    this.parts = $derived(totalParts(order().totalCents, order().items.map((i) => i.unitPriceCents * i.quantity), data().discount));
    this.steps = $derived(timelineFor(order().fulfilment));
    this.reached = $derived(this.steps.indexOf(order().status));
    this.finished = $derived(this.reached === this.steps.length - 1);
    this.changeable = $derived(customerCanChange(order().status));
    this.linesFixed = $derived(discountFixesLines(data().discount?.discountCents ?? 0));
    this.fixedNote = $derived.by(() => {
      const discount = data().discount;
      return discount?.kind === 'loyalty' ? t('track.fixedPoints', { points: discount.points ?? 0 }) : t('track.fixedPromo', { code: discount?.code ?? '' });
    });
  }

  /** The kitchen's and the road's estimate, from where the order is now. */
  private estimate(data: TrackingData) {
    const order = this.order;
    return liveEta(
      {
        status: order.status,
        items: order.items.reduce((n, i) => n + (i.category === 'pizza' ? i.quantity : 0), 0),
        itemsAhead: data.itemsAhead,
        preparingAt: order.timestamps.preparing ? Date.parse(order.timestamps.preparing) : undefined,
        promisedAt: order.promisedAt ? Date.parse(order.promisedAt) : undefined,
        delivery: order.fulfilment === 'delivery' && this.home ? { to: this.home, from: { lat: data.shop.lat, lng: data.shop.lng }, mode: data.travelMode, driverAt: this.freshDriver } : null,
      },
      this.now,
      data.eta,
    );
  }
}
