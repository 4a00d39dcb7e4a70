import type { OrderStatus } from '../../domain/order-states.ts';
import type { HandoverMethod } from '../../domain/payment-split.ts';
import type { OrderItemView, OrderView } from '../../shapes/views.ts';
import { lastBump, type LastBump } from './recall-last.ts';
import { openLines } from './station-view.ts';
import type { KitchenScreen } from './kitchen-screen.svelte.ts';

// the kitchen's button for each next step; sending a delivery out is the driver's move
export const BUMP: Partial<Record<OrderStatus, { label: string; tone: string }>> = {
  preparing: { label: 'kitchen.start', tone: '' },
  ready: { label: 'kitchen.ready', tone: 'green' },
  collected: { label: 'kitchen.handedOver', tone: 'green' },
};

/** A line just crossed off, undone with one tap for a few seconds ("Annuler"). */
export interface UndoCross {
  orderId: string;
  number: number;
  lineIds: number[];
  names: string;
  until: number;
}
const UNDO_SHOWN_MS = 8000;

/**
 * What the cook's fingers do to the tickets, through the staff taps: bump a ticket on, take a ready
 * one back to the oven, cross its lines off (a ticket not started yet starts first), and undo the
 * last of it in one press. Created by the KitchenScreen.
 */
export class KitchenHands {
  undo = $state<UndoCross | null>(null);
  private readonly k: KitchenScreen;
  /** The last ticket bumped here, brought back in one press (recall-last.ts). */
  readonly last: LastBump | null;

  constructor(k: KitchenScreen) {
    this.k = k;
    this.last = $derived(lastBump(k.board.list, k.view, k.stations, k.now, k.undoMs));
  }

  // handing over a pickup that still owes money says how it was paid (cash or card)
  bump(o: OrderView, to: OrderStatus, paymentMethod?: HandoverMethod) {
    void this.k.taps.submit({ kind: 'advance', orderId: o.id, number: o.number, to, version: o.version, ...(paymentMethod ? { paymentMethod } : {}) });
  }

  recall(o: OrderView) {
    this.k.touch(o.id);
    void this.k.taps.submit({ kind: 'recall', orderId: o.id, number: o.number, version: o.version });
  }

  async recallLast() {
    const { board, view, stations, undoMs } = this.k;
    const l = lastBump(board.list, view, stations, Date.now(), undoMs);
    if (!l) return;
    await this.bringBack(l.order, l.recall, l.lineIds);
  }

  /** Back to the oven when it left it, then its lines un-crossed. */
  private async bringBack(o: OrderView, toOven: boolean, lineIds: number[]) {
    const { taps } = this.k;
    this.k.touch(o.id);
    if (toOven) {
      const back = await taps.submit({ kind: 'recall', orderId: o.id, number: o.number, version: o.version });
      if (!back.ok) return;
    }
    for (const lineId of lineIds) void taps.submit({ kind: 'line', orderId: o.id, number: o.number, lineId, done: false });
    if (this.undo?.orderId === o.id) this.undo = null;
  }

  private offerUndo(o: OrderView, items: OrderItemView[]) {
    const { t, recipes } = this.k;
    const same = this.undo?.orderId === o.id && this.undo.until > Date.now();
    const lineIds = [...(same ? this.undo!.lineIds : []), ...items.map((i) => i.id)];
    const names = o.items.filter((i) => lineIds.includes(i.id)).map((i) => (i.halves ? t('halfAndHalf.kitchenName') : (recipes.get(i.productId)?.name ?? i.name))).join(', ');
    this.undo = { orderId: o.id, number: o.number, lineIds, names, until: Date.now() + UNDO_SHOWN_MS };
  }

  undoCross() {
    if (!this.undo) return;
    const o = this.k.board.orders[this.undo.orderId];
    const lineIds = this.undo.lineIds;
    this.undo = null;
    if (o) void this.bringBack(o, o.status === 'ready', lineIds);
  }

  /** A line crossed off as made, or un-crossed; on a ticket not started yet, the tap starts it first. */
  async crossLine(o: OrderView, item: OrderItemView, done = item.doneAt === null) {
    const { taps } = this.k;
    this.k.touch(o.id);
    if (o.status === 'received' && done) {
      const started = await taps.submit({ kind: 'advance', orderId: o.id, number: o.number, to: 'preparing', version: o.version });
      if (!started.ok) return;
    } else if (o.status !== 'preparing') return;
    if (done) this.offerUndo(o, [item]);
    void taps.submit({ kind: 'line', orderId: o.id, number: o.number, lineId: item.id, done });
  }

  /** "Done here": every line of this station still to make on the ticket, crossed off. */
  doneHere(o: OrderView) {
    for (const l of openLines(o, this.k.view, this.k.stations)) void this.crossLine(o, l.item, true);
  }

  lineTap = (item: OrderItemView, o: OrderView) => this.k.taps.entries[`line:${o.id}:${item.id}`];
  failedLine = (o: OrderView) => o.items.map((i) => this.lineTap(i, o)).find((e) => e?.state === 'failed' || e?.state === 'waiting');
}
