import { onMount, tick, untrack } from 'svelte';
import type { OrderView } from '../../shapes/views.ts';
import type { Spot } from './bump-keys.ts';
import { gridOf, readingOrder, type Room, type Shape } from './ticket-places.ts';
import { QUIET_MS, Wall } from './wall.svelte.ts';
import { columnsFor, passRowsFor, passSlotsFor } from './text-size.ts';
import type { KitchenScreen } from './kitchen-screen.svelte.ts';

const GAP = 6;
/** How many tickets waiting on another screen the make line's foot names (the newest). */
export const ARRIVALS_SHOWN = 2;

const byId = (orders: OrderView[]) => new Map(orders.map((o) => [o.id, o]));
const NO_SHAPE: Shape = { head: 0, lines: [], foot: 0 };

/**
 * A ticket as measured on the screen (px): its head, each of its lines, its foot. Drawn whole out of
 * sight (a new ticket), or laid out in the make line's columns, maybe in parts: each line is measured
 * in its part, the head in the first, the foot in the last.
 */
function shapeOf(el: HTMLElement): Shape {
  const parts = [...el.getClientRects()].filter((r) => r.height > 0);
  if (!parts.length) return NO_SHAPE;
  const lines = [...el.querySelectorAll<HTMLElement>('li[data-line]')].filter((li) => li.closest('[data-measure]') === el);
  if (!lines.length) return { head: Math.round(parts.reduce((h, r) => h + r.height, 0)), lines: [], foot: 0 };
  const at = lines.map((li) => li.getBoundingClientRect());
  const gap = lines.length > 1 ? parseFloat(getComputedStyle(lines[1]).marginTop) || 0 : 0;
  const sameColumn = (a: DOMRect, b: DOMRect) => Math.abs(a.left - b.left) < 2 && b.top >= a.bottom - 1;
  const last = at.at(-1)!;
  const lastPart = parts.find((p) => p.left <= last.left + 1 && p.right >= last.right - 1 && p.top <= last.top + 1 && p.bottom >= last.bottom - 1) ?? parts.at(-1)!;
  // whole pixels: a fraction measured one way or the other never moves the wall
  return {
    head: Math.round(at[0].top - parts[0].top),
    lines: at.map((b, i) => Math.round(at[i + 1] && sameColumn(b, at[i + 1]) ? at[i + 1].top - b.top : b.height + gap)),
    foot: Math.round(lastPart.bottom - last.bottom),
  };
}

/** Where a ticket going on in the next column says so: "suite →" under its first part, its number over the rest. */
export interface Continued {
  id: string;
  number: number;
  part: 'goes-on' | 'goes-on-from';
  x: number;
  y: number;
}

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
  passHeight = $state(0);
  /** A phone: one column, and the page scrolls as a page. */
  narrow = $state(false);
  /** The tickets' shapes as last measured (px): a ticket gone keeps its place at its height. */
  heights = $state.raw<Record<string, Shape>>({});
  /** The height the make line's columns were laid out for (px): kept while hands are on the screen. */
  flowHeight = $state(0);
  /** What a ticket going on in the next column costs (its edges drawn again, px). */
  breakCost = $state(0);
  /** The tickets that go on in the next column, and where the screen says so. */
  continued = $state.raw<Continued[]>([]);
  /** A tap on a ticket that has just moved is not taken: the cook aimed at what was there. */
  movedHint = $state<Record<string, boolean>>({});
  /** Every ticket's number once seen: a place held says whose it was. */
  private readonly numbers: Record<string, number> = {};
  private readonly passRoom: Room;
  private readonly k: KitchenScreen;

  readonly perPage: number;
  readonly columnWidth: number;
  /** The pass's places side by side, its rows (more than one on the pass's own tablet), and so its places per screen. */
  readonly passColumns: number;
  readonly passRows: number;
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
    this.passColumns = $derived(passSlotsFor(this.passWidth, k.size, GAP));
    this.passRows = $derived(k.view.kind === 'pass' && !this.narrow ? passRowsFor(this.passHeight, k.size, GAP) : 1);
    this.passSlots = $derived(this.passColumns * this.passRows);
    this.byId = $derived(byId(k.tickets));
    this.readyById = $derived(byId(k.passQueue));
    this.unplaced = $derived(k.tickets.filter((o) => !this.make.has(o.id)));
    this.passRoom = { height: 1, columns: 1, gap: 0, breakCost: 0, shapeOf: () => ({ head: 1, lines: [], foot: 0 }) };
    this.shownMake = $derived(readingOrder([this.make.shown]).map((id) => this.byId.get(id)).filter((o): o is OrderView => o !== undefined));
    this.shownPass = $derived(k.showsPass ? readingOrder([this.pass.shown]).map((id) => this.readyById.get(id)).filter((o): o is OrderView => o !== undefined) : []);
    this.elsewhere = $derived(k.tickets.filter((o) => o.status === 'received' && this.make.has(o.id) && this.make.pageOf(o.id) !== null && this.make.pageOf(o.id) !== this.make.page));
    this.selectable = $derived([...this.shownMake, ...this.shownPass]);
    this.spots = $derived<Spot[]>([
      ...gridOf(this.make.shown, this.roomOf(this.heights)).filter((s) => this.byId.has(s.id)).map((s) => ({ band: 0, col: s.col, row: s.row })),
      ...this.shownPass.map((_, i) => ({ band: 1, col: i, row: 0 })),
    ]);
    $effect(() => {
      for (const o of [...k.tickets, ...k.passQueue]) this.numbers[o.id] = o.number;
      void [k.tickets, k.passQueue.length, this.unplaced.length, this.makeHeight, this.columnWidth];
      untrack(() => void tick().then(() => this.place()));
    });
    // where a ticket goes on in the next column, said on the screen once it is laid out
    $effect(() => {
      void [this.make.shown, this.heights, this.flowHeight, this.perPage, k.size];
      untrack(() => void tick().then(() => this.markContinued()));
    });
    // a new station, text size or screen width: everything afresh, in its order (the cook asked for it);
    // a banner taking some height keeps the places (a column cut at its foot moves on when the wall settles)
    let geometry = '';
    $effect(() => {
      const g = `${k.stationChoice}/${k.size}/${this.perPage}/${this.narrow}/${this.passSlots}`;
      untrack(() => {
        if (g === geometry) return;
        geometry = g;
        this.make.pages = [];
        this.pass.pages = [];
        this.heights = {};
        this.flowHeight = this.narrow ? Infinity : this.makeHeight;
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

  private roomOf(h: Record<string, Shape>): Room {
    return { height: this.narrow ? Infinity : this.flowHeight, columns: this.narrow ? 1 : this.perPage, gap: GAP, breakCost: this.breakCost, shapeOf: (id) => h[id] ?? NO_SHAPE };
  }

  private passRoomNow(): Room {
    return { ...this.passRoom, columns: this.passSlots };
  }

  /** Reads the tickets' shapes from their copies drawn whole out of sight. */
  private measure(): Record<string, Shape> {
    const h = { ...this.heights };
    const drawn = document.querySelectorAll<HTMLElement>('.board [data-measure]');
    for (const el of drawn) h[el.dataset.measure!] = shapeOf(el);
    const first = document.querySelector<HTMLElement>('.board [data-measure]');
    if (first) {
      const css = getComputedStyle(first);
      this.breakCost = parseFloat(css.borderTopWidth) + parseFloat(css.paddingTop) + parseFloat(css.paddingBottom);
    }
    if (JSON.stringify(h) !== JSON.stringify(this.heights)) this.heights = h;
    return h;
  }

  /** The make line's tickets that have a place or are measured. */
  private placeable(h: Record<string, Shape>): string[] {
    return this.k.tickets.map((o) => o.id).filter((id) => this.make.has(id) || h[id] !== undefined);
  }

  /** The wall after its tickets changed: nothing moves; a new ticket takes its place once measured. */
  private place() {
    if (!this.makeHeight && !this.narrow) return;
    if (!this.flowHeight) this.flowHeight = this.narrow ? Infinity : this.makeHeight;
    const h = this.measure();
    this.make.update(this.placeable(h), this.roomOf(h), Date.now());
    this.pass.update(this.k.passQueue.map((o) => o.id), this.passRoomNow(), Date.now());
  }

  /** Nobody's hands on the screen: the wall settles (to the make line's height now), and left long on another screen, comes home. */
  settle(now: number) {
    const h = this.measure();
    this.settleAnimated(() => {
      const quiet = now - this.make.lastInput >= QUIET_MS;
      const resized = quiet && !this.narrow && this.makeHeight > 0 && this.flowHeight !== this.makeHeight;
      if (resized) this.flowHeight = this.makeHeight;
      const make = resized ? this.make.settle(this.placeable(h), this.roomOf(h)) : this.make.settleIfQuiet(this.placeable(h), this.roomOf(h), now);
      const pass = this.pass.settleIfQuiet(this.k.passQueue.map((o) => o.id), this.passRoomNow(), now);
      return make || pass || resized ? [...(make ?? []), ...(pass ?? [])] : null;
    });
    this.make.comeHomeIfIdle(now);
    this.pass.comeHomeIfIdle(now);
  }

  /** The tickets laid out in two columns or more: "suite →" at the foot of each part but the last, the number over the next. */
  private markContinued() {
    const area = document.querySelector<HTMLElement>('[data-testid=make-line]');
    if (!area || this.narrow) {
      if (this.continued.length) this.continued = [];
      return;
    }
    const box = area.getBoundingClientRect();
    const marks: Continued[] = [];
    for (const el of area.querySelectorAll<HTMLElement>('article[data-order]')) {
      const parts = [...el.getClientRects()].filter((r) => r.height > 1);
      parts.forEach((r, i) => {
        const base = { id: el.dataset.order!, number: Number(el.dataset.number) };
        if (i < parts.length - 1) marks.push({ ...base, part: 'goes-on', x: r.right - box.left, y: r.bottom - box.top });
        if (i > 0) marks.push({ ...base, part: 'goes-on-from', x: r.left - box.left, y: r.top - box.top });
      });
    }
    if (JSON.stringify(marks) !== JSON.stringify(this.continued)) this.continued = marks;
  }

  /** Moves the wall's tickets as it settles, each sliding from where it was (a tap just after is held: wall.svelte.ts). */
  private settleAnimated(change: () => string[] | null) {
    const before: Record<string, DOMRect> = {};
    const at = (el: HTMLElement) => el.getClientRects()[0] ?? el.getBoundingClientRect();
    for (const el of document.querySelectorAll<HTMLElement>('.board article[data-order]')) before[el.dataset.order!] = at(el);
    const moved = change();
    if (!moved) return;
    const still = matchMedia('(prefers-reduced-motion: reduce)').matches;
    void tick().then(() => {
      if (still) return;
      for (const el of document.querySelectorAll<HTMLElement>('.board article[data-order]')) {
        const was = before[el.dataset.order!];
        const now = at(el);
        if (!was) el.animate([{ opacity: 0 }, { opacity: 1 }], { duration: 250, easing: 'ease-out' });
        else if (Math.abs(was.left - now.left) + Math.abs(was.top - now.top) > 1)
          el.animate([{ transform: `translate(${was.left - now.left}px, ${was.top - now.top}px)` }, { transform: 'none' }], { duration: 280, easing: 'cubic-bezier(0.2, 0, 0.2, 1)' });
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
