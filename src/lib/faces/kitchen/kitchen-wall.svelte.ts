import { onMount, tick, untrack } from 'svelte';
import type { OrderView } from '../../shapes/views.ts';
import type { Spot } from './bump-keys.ts';
import { gridOf, readingOrder, type Room } from './ticket-places.ts';
import { Wall } from './wall.svelte.ts';
import { columnsFor, passSlotsFor } from './text-size.ts';
import type { KitchenScreen } from './kitchen-screen.svelte.ts';

const GAP = 6;
/** How many tickets waiting on another screen the make line's foot names (the newest). */
export const ARRIVALS_SHOWN = 2;

const byId = (orders: OrderView[]) => new Map(orders.map((o) => [o.id, o]));

/**
 * The tablet's wall: places held still under the fingers, a screen of columns at a time
 * (ticket-places.ts, wall.svelte.ts), for the make line and for the pass; the tickets measured
 * before they take their place, the wall settling when nobody touches it, a tap on a ticket that
 * has just moved held back. Created by the KitchenScreen.
 */
export class KitchenWall {
  readonly make = new Wall();
  readonly pass = new Wall();
  makeWidth = $state(0);
  makeHeight = $state(0);
  passWidth = $state(0);
  /** A phone: one column, and the page scrolls as a page. */
  narrow = $state(false);
  /** Heights of the tickets as last measured (px): a ticket gone keeps its place at its height. */
  heights = $state.raw<Record<string, number>>({});
  /** A tap on a ticket that has just moved is not taken: the cook aimed at what was there. */
  movedHint = $state<Record<string, boolean>>({});
  /** Every ticket's number once seen: a place held says whose it was. */
  private readonly numbers: Record<string, number> = {};
  private readonly passRoom: Room = { height: 1, gap: 0, heightOf: () => 1 };
  private readonly k: KitchenScreen;

  readonly perPage: number;
  readonly columnWidth: number;
  readonly passSlots: number;
  readonly byId: Map<string, OrderView>;
  readonly readyById: Map<string, OrderView>;
  /** The tickets not placed yet: drawn once out of sight to measure them, then placed. */
  readonly unplaced: OrderView[];
  /** The make line's tickets shown now, in reading order, and those of the pass. */
  readonly shownMake: OrderView[];
  readonly shownPass: OrderView[];
  /** Tickets to start on another screen, the newest last: each one tap away, the new ones marked. */
  readonly elsewhere: OrderView[];
  // the bump bar (or a keyboard): a ticket picked by its place on the screen, then bumped with a key
  readonly selectable: OrderView[];
  readonly spots: Spot[];

  constructor(k: KitchenScreen) {
    this.k = k;
    this.perPage = $derived(this.narrow ? 1 : columnsFor(this.makeWidth, k.size, GAP));
    this.columnWidth = $derived(this.narrow ? this.makeWidth : Math.max(0, (this.makeWidth - GAP * (this.perPage - 1)) / this.perPage));
    this.passSlots = $derived(passSlotsFor(this.passWidth, k.size, GAP));
    this.byId = $derived(byId(k.tickets));
    this.readyById = $derived(byId(k.ready));
    this.unplaced = $derived(k.tickets.filter((o) => !this.make.has(o.id)));
    this.shownMake = $derived(readingOrder(this.make.shown).map((id) => this.byId.get(id)).filter((o): o is OrderView => o !== undefined));
    this.shownPass = $derived(k.showsPass ? readingOrder(this.pass.shown).map((id) => this.readyById.get(id)).filter((o): o is OrderView => o !== undefined) : []);
    this.elsewhere = $derived(k.tickets.filter((o) => o.status === 'received' && this.make.has(o.id) && this.make.pageOf(o.id) !== null && this.make.pageOf(o.id) !== this.make.page));
    this.selectable = $derived([...this.shownMake, ...this.shownPass]);
    this.spots = $derived<Spot[]>([
      ...gridOf(this.make.shown).filter((s) => this.byId.has(s.id)).map((s) => ({ band: 0, col: s.col, row: s.row })),
      ...this.shownPass.map((_, i) => ({ band: 1, col: i, row: 0 })),
    ]);
    $effect(() => {
      for (const o of [...k.tickets, ...k.ready]) this.numbers[o.id] = o.number;
      void [k.tickets, k.ready, this.unplaced.length, this.makeHeight];
      untrack(() => void tick().then(() => this.place()));
    });
    // a new station, text size or screen width: everything afresh, in its order (the cook asked for it);
    // a banner taking some height keeps the places (a column cut at its foot moves on when the wall settles)
    let geometry = '';
    $effect(() => {
      const g = `${k.stationChoice}/${k.size}/${this.perPage}/${this.narrow}/${this.passSlots}`;
      untrack(() => {
        if (g === geometry) return;
        geometry = g;
        this.make.perPage = this.perPage;
        this.pass.perPage = this.passSlots;
        this.make.columns = [];
        this.pass.columns = [];
        this.heights = {};
        this.make.go(0);
        this.pass.go(0);
      });
    });
    onMount(() => {
      const phone = matchMedia('(max-width: 700px)');
      this.narrow = phone.matches;
      const onPhone = () => (this.narrow = phone.matches);
      phone.addEventListener('change', onPhone);
      return () => phone.removeEventListener('change', onPhone);
    });
  }

  private roomOf(h: Record<string, number>): Room {
    return { height: this.narrow ? Infinity : this.makeHeight, gap: GAP, heightOf: (id) => h[id] ?? 0 };
  }

  /** Reads the tickets' heights from the screen (the placed ones and those being measured). */
  private measure(): Record<string, number> {
    const h = { ...this.heights };
    for (const el of document.querySelectorAll<HTMLElement>('.board [data-measure]')) h[el.dataset.measure!] = el.offsetHeight;
    if (JSON.stringify(h) !== JSON.stringify(this.heights)) this.heights = h;
    return h;
  }

  /** The make line's tickets that have a place or are measured. */
  private placeable(h: Record<string, number>): string[] {
    return this.k.tickets.map((o) => o.id).filter((id) => this.make.has(id) || h[id] !== undefined);
  }

  /** The wall after its tickets changed: nothing moves; a new ticket takes its place once measured. */
  private place() {
    if (!this.makeHeight && !this.narrow) return;
    const h = this.measure();
    this.make.update(this.placeable(h), this.roomOf(h), Date.now());
    this.pass.update(this.k.ready.map((o) => o.id), this.passRoom, Date.now());
  }

  /** Nobody's hands on the screen: the wall settles, and left long on another screen, comes home. */
  settle(now: number) {
    const h = this.measure();
    this.settleAnimated(() => {
      const make = this.make.settleIfQuiet(this.placeable(h), this.roomOf(h), now);
      const pass = this.pass.settleIfQuiet(this.k.ready.map((o) => o.id), this.passRoom, now);
      return make || pass ? [...(make ?? []), ...(pass ?? [])] : null;
    });
    this.make.comeHomeIfIdle(now);
    this.pass.comeHomeIfIdle(now);
  }

  /** Moves the wall's tickets as it settles, each sliding from where it was (a tap just after is held: wall.svelte.ts). */
  private settleAnimated(change: () => string[] | null) {
    const before: Record<string, DOMRect> = {};
    for (const el of document.querySelectorAll<HTMLElement>('.board article[data-order]')) before[el.dataset.order!] = el.getBoundingClientRect();
    const moved = change();
    if (!moved) return;
    const still = matchMedia('(prefers-reduced-motion: reduce)').matches;
    void tick().then(() => {
      if (still) return;
      for (const el of document.querySelectorAll<HTMLElement>('.board article[data-order]')) {
        const was = before[el.dataset.order!];
        const at = el.getBoundingClientRect();
        if (!was) el.animate([{ opacity: 0 }, { opacity: 1 }], { duration: 250, easing: 'ease-out' });
        else if (Math.abs(was.left - at.left) + Math.abs(was.top - at.top) > 1)
          el.animate([{ transform: `translate(${was.left - at.left}px, ${was.top - at.top}px)` }, { transform: 'none' }], { duration: 280, easing: 'cubic-bezier(0.2, 0, 0.2, 1)' });
      }
    });
  }

  /** A touch or a key anywhere: the wall holds still for a moment; a touch on a ticket stops its calling. */
  handsOn(e?: Event) {
    this.make.touched(Date.now());
    this.pass.touched(Date.now());
    const id = (e?.target as HTMLElement | null)?.closest?.<HTMLElement>('[data-testid=make-line] article[data-order]')?.dataset.order;
    if (id) this.k.touch(id);
  }

  /** A tap on a ticket that has just moved is held back, and the ticket says why. */
  guardTap(e: MouseEvent) {
    const el = (e.target as HTMLElement | null)?.closest<HTMLElement>('.board article[data-order]');
    if (!el) return;
    const id = el.dataset.order!;
    if (!(el.classList.contains('pass-ticket') ? this.pass : this.make).guarded(id)) return;
    e.stopPropagation();
    e.preventDefault();
    this.movedHint[id] = true;
    setTimeout(() => delete this.movedHint[id], 1500);
  }

  goTo(w: Wall, page: number) {
    w.go(page);
    this.k.picked = null;
  }

  /** A ticket on another screen, brought into view and picked. */
  show(o: OrderView) {
    const p = this.make.pageOf(o.id);
    if (p !== null) this.make.go(p);
    this.k.touch(o.id);
    this.k.picked = o.id;
  }

  /** Where a ticket whose place is held went: "n°12 → Ready". */
  wentTo(id: string): string {
    const { t, view } = this.k;
    const o = this.k.board.orders[id];
    const where = !o ? '' : view.kind === 'make' && o.status === 'preparing' ? t('kitchen.doneHereShort') : t(`status.${o.status}`);
    return this.numbers[id] ? t('kitchen.gone', { number: this.numbers[id], where }) : '';
  }
}
