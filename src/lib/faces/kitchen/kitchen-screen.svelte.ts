import { onMount, untrack } from 'svelte';
import type { I18n } from '../../i18n/core.ts';
import { followOrders } from '../../realtime/follow-orders.svelte.ts';
import type { LiveConnection } from '../../realtime/live.svelte.ts';
import type { LowStockAlert, OrderView, PrinterStatus } from '../../shapes/views.ts';
import type { Pizzeria, RecipeCard } from '../../server/shops/catalogue.ts';
import type { Station } from '../../domain/stations.ts';
import { ApiClient } from '../../shared/api-client.ts';
import { StaffTaps } from '../../shared/staff-actions.svelte.ts';
import { platformName } from '../../shared/marketplace-badges.ts';
import { courierLine, courierMessage, courierUrgency } from '../../shared/platform-orders.ts';
import { KitchenBoard, type KitchenColumn, type KitchenNews } from './kitchen-board.svelte.ts';
import { Untouched } from './new-tickets.ts';
import { allDaySoon } from './all-day.ts';
import { linesShown, ticketsFor, viewOf, type StationChoice, type StationView } from './station-view.ts';
import { textSizeOf, type TextSize } from './text-size.ts';
import { cancelTune } from './platform-tickets.ts';
import { KitchenSound } from './kitchen-sound.svelte.ts';
import { passOrder } from './pass-order.ts';
import { KitchenWall } from './kitchen-wall.svelte.ts';
import { KitchenHands } from './kitchen-hands.svelte.ts';
import { BumpBar } from './bump-bar.svelte.ts';

/** What the kitchen's page loads for its screen (+page.server.ts). */
export interface KitchenData {
  shop: Pizzeria;
  pizzerias: Pizzeria[];
  orders: OrderView[];
  lastEventId: number;
  recipes: RecipeCard[];
  stations: Station[];
  hasPrinter: boolean;
  printer: PrinterStatus | null;
  remindSeconds: number;
  undoSeconds: number;
  prepTargetSeconds: number;
  low: LowStockAlert;
}

// the text size this tablet reads at, remembered by the tablet (text-size.ts)
const SIZE_KEY = 'ocp.kitchen.textSize';

const byProduct = (recipes: RecipeCard[]) => new Map(recipes.map((r) => [r.productId, r]));
const idSet = (orders: OrderView[]) => new Set(orders.map((o) => o.id));
const isoNow = () => new Date().toISOString();
const clockTime = (clock: Intl.DateTimeFormat, iso: string) => clock.format(new Date(iso));

/**
 * One kitchen tablet: the shop's live tickets (KitchenBoard), what this tablet shows (its station,
 * its text size), what the cook must hear and notice (new, changed, cancelled, held by the plan, the
 * drivers and couriers coming), the printer and the stock. Its wall (KitchenWall), the taps on the
 * tickets (KitchenHands) and the bump bar (BumpBar) hang from it; the page and the kitchen's
 * components are markup over it. Create it while the page is created.
 */
export class KitchenScreen {
  readonly t: I18n['t'];
  readonly locale: I18n['locale'];
  private readonly page: () => KitchenData;
  readonly board: KitchenBoard;
  readonly live: LiveConnection;
  readonly taps: StaffTaps;
  readonly sound = new KitchenSound();
  readonly wall: KitchenWall;
  readonly hands: KitchenHands;
  readonly keys: BumpBar;
  private readonly api = new ApiClient();
  private readonly stationKey: string;

  /** New tickets nobody has touched: marked, and chimed again every remindSeconds until someone taps or starts them. */
  private readonly untouched = new Untouched();
  fresh = $state<Record<string, boolean>>({});
  now = $state(Date.now());
  /**
   * The screen's beat, one a second: a ticket that calls (new, untouched) lights its ring on every
   * other beat. A CSS animation of the ring repainted the page 60 times a second for as long as a
   * ticket called (half a core of a browser for twelve tickets, measured headless); this way the page
   * changes once a second, with the times it shows anyway.
   */
  beat = $state(0);
  // when each of the shop's drivers is expected back (a delivery's ticket says when its driver comes)
  driversBack = $state<Record<number, string | null>>({});
  driverNames = $state<Record<number, string>>({});
  // the shop's printer: failing, it says so until a print goes through again
  printer = $state<PrinterStatus | null>(null);
  /** A reprint asked for: sent, or why not (never a silent tap). */
  printing = $state<Record<string, string>>({});
  // ingredients running low in this shop, live (a delivery or a count clears them)
  low = $state<LowStockAlert>({ pizzeriaId: 0, low: [] });
  // the shop's stations, as the manager last set them: a change reaches the tablet at once
  stations = $state<Station[]>([]);
  // the station this tablet shows, remembered by the tablet (a shop without stations: everything)
  stationChoice = $state<StationChoice>('all');
  size = $state<TextSize>('normal');
  /** The ticket picked by the bump bar (or a tap on a ticket elsewhere). */
  picked = $state<string | null>(null);
  /** The line whose recipe is open: `${orderId}-${line index}`. */
  openRecipe = $state<string | null>(null);

  get data(): KitchenData {
    return this.page();
  }

  readonly view: StationView;
  /** The tickets of this tablet's make line: a make station's own, or every order (lit ones first on the pass). */
  readonly tickets: OrderView[];
  /** A make station hands its orders on: the pass strip is for the pass and the all-in-one screen. */
  readonly showsPass: boolean;
  readonly ready: OrderView[];
  /** The ready orders in the pass's order: whoever is coming for them first, first (pass-order.ts). */
  readonly passQueue: OrderView[];
  readonly recipes: Map<number, RecipeCard>;
  readonly undoMs: number;
  /** Orders for later not fired yet, and those of the next two hours (the all-day strip's). */
  readonly coming: OrderView[];
  readonly comingSoon: OrderView[];
  /** What the make line has to make, all day (all-day.ts). */
  readonly todo: ReturnType<typeof allDaySoon>;
  private readonly clock: Intl.DateTimeFormat;

  constructor(page: () => KitchenData, i18n: I18n) {
    this.page = page;
    this.t = i18n.t;
    this.locale = i18n.locale;
    this.clock = new Intl.DateTimeFormat(this.locale, { hour: '2-digit', minute: '2-digit', timeZone: 'Europe/Paris' });
    const first = untrack(page);
    this.board = new KitchenBoard(first.orders);
    this.view = $derived(viewOf(this.stationChoice, this.stations));
    this.tickets = $derived(ticketsFor(this.board.makeLine, this.view, this.stations, (o) => Boolean(this.board.cancelled[o.id])));
    this.showsPass = $derived(this.view.kind !== 'make');
    this.ready = $derived(this.board.column('ready'));
    this.passQueue = $derived(passOrder(this.ready, this.now, (id) => this.driversBack[id]));
    this.recipes = $derived(byProduct(this.data.recipes));
    this.undoMs = $derived(this.data.undoSeconds * 1000);
    // orders for later not fired yet: the next two hours as a strip, those firing within 15 minutes in the counts
    this.coming = $derived(this.board.coming.filter((o) => o.status !== 'cancelled'));
    this.comingSoon = $derived(this.coming.filter((o) => Date.parse(o.scheduled!.fireAt) <= this.now + 2 * 3600_000));
    const firingNext = $derived(this.coming.filter((o) => Date.parse(o.scheduled!.fireAt) <= this.now + 15 * 60_000));
    // held by the plan past the next 15 minutes: not in the counts yet
    const toMakeSoon = $derived(this.tickets.filter((o) => (this.board.heldUntil(o, this.now) ?? 0) <= this.now + 15 * 60_000));
    // what the make line has to make, all day: pizzas by product and size, started and to start in the
    // next 15 minutes, and the dough balls they take
    this.todo = $derived(
      allDaySoon(
        [...toMakeSoon, ...firingNext].map((o) => ({ ...o, items: linesShown(o, this.view, this.stations).map((l) => l.item) })),
        (id, name) => this.recipes.get(id)?.name ?? name,
        this.locale,
        this.view.kind === 'make',
      ),
    );
    this.printer = first.printer;
    this.low = first.low;
    this.stations = first.stations;
    this.stationKey = `ocp.kitchen.station.${first.shop.id}`;

    this.live = followOrders({
      board: this.board,
      subscription: { scope: 'kitchen', pizzeriaId: first.shop.id },
      snapshot: page,
      onEvent: (e) => this.announce(e.order.id, this.board.receive(e)),
    });
    $effect(() => this.live.onKitchenDrivers((e) => {
      if (e.pizzeriaId !== this.data.shop.id) return;
      this.driversBack = Object.fromEntries(e.drivers.map((d) => [d.id, d.backAt]));
      this.driverNames = Object.fromEntries(e.drivers.map((d) => [d.id, d.name]));
      this.board.setPlan(e.plan);
    }));
    $effect(() => this.live.onPrinterStatus((e) => {
      if (e.pizzeriaId === this.data.shop.id) this.printer = e;
    }));
    $effect(() => this.live.onStockLow((e) => {
      if (e.pizzeriaId === this.data.shop.id) this.low = e;
    }));
    // a bump answered moves the ticket at once; a stale one shows the ticket as it is now
    this.taps = new StaffTaps(this.live, (_entry, outcome) => {
      const order = outcome.ok ? (outcome.result as OrderView) : outcome.error.order;
      if (order?.id) this.announce(order.id, this.board.receive({ eventId: 0, type: 'order.status', at: isoNow(), order }));
    });
    $effect(() => this.live.onShopStatus(async (e) => {
      if (e.pizzeriaId !== this.data.shop.id) return;
      const r = await this.api.get<{ stations: Station[] }>(`/api/shops/${this.data.shop.id}/stations`);
      if (r.ok) this.stations = r.data.stations;
    }));
    onMount(() => {
      const kept = localStorage.getItem(this.stationKey);
      if (kept && kept !== 'all' && this.stations.some((s) => s.id === Number(kept))) this.stationChoice = Number(kept);
      this.size = textSizeOf(localStorage.getItem(SIZE_KEY));
    });

    this.wall = new KitchenWall(this);
    this.hands = new KitchenHands(this);
    this.keys = new BumpBar(this);
    onMount(() => {
      this.sound.recall();
      const timer = setInterval(() => this.everySecond(), 1000);
      return () => clearInterval(timer);
    });
  }

  /** The tablet's station: its tickets afresh, remembered by the tablet. */
  chooseStation(c: StationChoice) {
    this.stationChoice = c;
    this.picked = null;
    localStorage.setItem(this.stationKey, String(c));
  }

  chooseSize(s: TextSize) {
    this.size = s;
    localStorage.setItem(SIZE_KEY, s);
  }

  stationName = (c: StationChoice) => (c === 'all' ? this.t('kitchen.everything') : (this.stations.find((s) => s.id === c)?.name ?? ''));
  timeOf = (iso: string | null) => (iso ? clockTime(this.clock, iso) : null);
  pizzasOf = (o: OrderView) => o.items.reduce((n, i) => n + (i.category === 'pizza' ? i.quantity : 0), 0);
  /** Open tickets of a column (a cancelled one still shown there is not counted). */
  count = (status: KitchenColumn) => this.board.column(status).filter((o) => o.status !== 'cancelled').length;
  /** The column a ticket is shown in: its status, or for a cancelled one the column it was cancelled from. */
  columnOf = (o: OrderView): KitchenColumn => (o.status === 'cancelled' ? (this.board.cancelled[o.id]?.from ?? 'received') : (o.status as KitchenColumn));

  /** A ticket the plan holds: "Fire in 4 min", and for whom (the driver coming back). */
  held(o: OrderView): { label: string; why: string | null; title: string } | null {
    const { t, now } = this;
    const until = this.board.heldUntil(o, now);
    if (until === null) return null;
    const f = this.board.plan[o.id];
    const time = this.timeOf(f.fireAt) ?? '';
    const why = f.reason === 'driver' && f.driverId !== null && f.driverAt ? t('kitchen.fireForDriver', { name: this.driverNames[f.driverId] ?? '', time: this.timeOf(f.driverAt) ?? '' })
      : f.reason === 'courier' ? t('kitchen.fireForCourier', { time: this.timeOf(f.readyAt) ?? '' })
      : null;
    return { label: t('kitchen.fireIn', { minutes: Math.max(1, Math.ceil((until - now) / 60_000)) }), why, title: t('kitchen.heldTitle', { time }) };
  }

  /** "back at 21:42", "at the shop", or nothing when nobody can tell. */
  driverExpected(o: OrderView): string | null {
    if (o.fulfilment !== 'delivery' || !o.driver || o.status === 'out_for_delivery') return null;
    const back = this.driversBack[o.driver.id];
    if (!back) return null;
    return Date.parse(back) <= this.now + 60_000 ? this.t('kitchen.driverHere', { name: o.driver.name }) : this.t('kitchen.driverBackAt', { name: o.driver.name, time: this.timeOf(back) ?? '' });
  }

  /** Where the platform's courier is, in words, and how pressing it is (null: no courier collects it). */
  courierFor(o: OrderView): { text: string; urgency: string } | null {
    const line = o.status === 'cancelled' ? null : courierLine(o, this.now);
    if (!line) return null;
    const m = courierMessage(line, platformName(o.marketplace!.id));
    return { text: this.t(m.key, m.params), urgency: courierUrgency(line) };
  }

  /** Someone touched the ticket: it stops calling. */
  touch(id: string) {
    this.untouched.touch(id);
    delete this.fresh[id];
  }

  announce(id: string, news: KitchenNews) {
    if (news === 'new') {
      this.fresh[id] = true;
      this.untouched.add(id, Date.now());
      this.sound.chime();
    } else if (news === 'changed') this.sound.changeTone();
    else if (news === 'cancelled') (this.board.orders[id] && cancelTune(this.board.orders[id]) === 'platform' ? this.sound.platformCancelTone : this.sound.cancelTone)();
  }

  async print(o: OrderView, kind: 'label' | 'ticket') {
    this.touch(o.id);
    this.printing[o.id] = this.t('kitchen.printSending');
    const r = await this.api.post<{ copy: number }>(`/api/orders/${o.id}/print`, { kind });
    this.printing[o.id] = r.ok ? this.t(kind === 'label' ? 'kitchen.labelSent' : 'kitchen.ticketSent') : (r.message ?? this.t('kitchen.printFailed'));
    setTimeout(() => delete this.printing[o.id], 4000);
  }

  private everySecond() {
    this.now = Date.now();
    this.beat++;
    const now = this.now;
    this.board.prune(now);
    // a ticket started (here or elsewhere), cancelled or held by the plan stops calling
    this.untouched.keepOnly(idSet(this.board.column('received').filter((o) => o.status === 'received' && this.board.heldUntil(o, now) === null)));
    for (const id of Object.keys(this.fresh)) if (!this.untouched.has(id)) delete this.fresh[id];
    if (this.untouched.due(now, this.data.remindSeconds * 1000)) this.sound.chime();
    // nobody's hands on the screen: the wall settles (held places close, urgent and lit tickets come first)
    this.wall.settle(now);
  }
}
