import { OrderBoard } from '../../realtime/live.svelte.ts';
import type { FirePlan, OrderItemView, OrderView, PlannedFireView } from '../../shapes/views.ts';
import type { OrderUpdated } from '../../realtime/contract.ts';
import { CANCELLED_SHOWN_MS, CHANGE_SHOWN_MS, itemChanges, noticeFor, stillShown, type ItemChange, type KitchenColumn } from './ticket-notes.ts';

export type { KitchenColumn } from './ticket-notes.ts';

/** What the screen announces for an event: a new ticket, a changed one, a cancelled one. */
export type KitchenNews = 'new' | 'changed' | 'cancelled' | null;

/**
 * The kitchen's live tickets: what is received, in the oven and waiting to leave, plus what the cook
 * must notice: a ticket the customer changed (until the cook has seen it) and a cancelled one (for a while).
 */
export class KitchenBoard extends OrderBoard {
  /** Order id → the items as the cook last saw them, and when the latest change came. */
  changed = $state<Record<string, { base: OrderItemView[]; at: number }>>({});
  /** Order id → the column a cancelled ticket was in, and when it was cancelled. */
  cancelled = $state<Record<string, { from: KitchenColumn; at: number }>>({});
  /** Order id → when the shop's plan fires it (pushed with the drivers, `kitchen:drivers`). */
  plan = $state<Record<string, PlannedFireView>>({});

  /** The shop's plan, as the hub last pushed it. */
  setPlan(p: FirePlan) {
    this.plan = Object.fromEntries(p.fires.map((f) => [f.orderId, f]));
  }

  /** Until when the plan holds a ticket not started yet (to leave the oven as its driver walks in), or null: make it now. */
  heldUntil(o: OrderView, nowMs = Date.now()): number | null {
    const f = this.plan[o.id];
    if (o.status !== 'received' || !f || f.reason === 'now' || waitingToFire(o)) return null;
    const at = Date.parse(f.fireAt);
    return at > nowMs + 30_000 ? at : null;
  }

  /** When a ticket reaches the make line: received (an order for later: fired), or later when the plan holds it. */
  private due(o: OrderView): number {
    const from = Date.parse(madeFrom(o) ?? o.timestamps.created ?? '') || 0;
    const f = o.status === 'received' ? this.plan[o.id] : undefined;
    return f && f.reason !== 'now' ? Math.max(from, Date.parse(f.fireAt) || 0) : from;
  }

  /** Applies a live event and says what, if anything, the screen should announce. */
  receive(e: OrderUpdated, nowMs = Date.now()): KitchenNews {
    const before = this.orders[e.order.id];
    if (before && before.version >= e.order.version) return null;
    this.apply(e.order);
    const id = e.order.id;
    const notice = noticeFor(before, e.order, this.changed[id]?.base);
    switch (notice?.kind) {
      case 'cancelled':
        this.cancelled[id] = { from: notice.from, at: nowMs };
        delete this.changed[id];
        return 'cancelled';
      case 'changed':
        this.changed[id] = { base: notice.base, at: nowMs };
        return 'changed';
      case 'unchanged':
        delete this.changed[id];
        return null;
      case 'new':
        return 'new';
      default:
        return null;
    }
  }

  /** What changed on a ticket the cook has not acknowledged yet. */
  changesOf(o: OrderView): ItemChange[] {
    const c = this.changed[o.id];
    return c ? itemChanges(c.base, o.items) : [];
  }

  /** The cook saw the change, or removes a cancelled ticket. */
  acknowledge(id: string) {
    delete this.changed[id];
    if (this.cancelled[id]) {
      delete this.cancelled[id];
      if (this.orders[id]?.status === 'cancelled') delete this.orders[id];
    }
  }

  /** Forgets notes past their time. */
  prune(nowMs = Date.now()) {
    for (const [id, c] of Object.entries(this.changed)) if (!stillShown(c.at, nowMs, CHANGE_SHOWN_MS)) delete this.changed[id];
    for (const [id, c] of Object.entries(this.cancelled)) if (!stillShown(c.at, nowMs, CANCELLED_SHOWN_MS)) this.acknowledge(id);
  }

  /**
   * The column's tickets, urgent ones first, then oldest first, with the cancelled ones it held still
   * in place; an order for later only once it is fired (until then it is coming); a ticket the plan
   * holds comes after those to make now, by its fire time.
   */
  column(status: KitchenColumn): OrderView[] {
    const since = (o: OrderView) => (status === 'received' ? this.due(o) : Date.parse(o.timestamps[status] ?? o.timestamps.received ?? o.timestamps.created ?? '') || 0);
    return this.list
      .filter((o) => (o.status === status && !waitingToFire(o)) || (o.status === 'cancelled' && this.cancelled[o.id]?.from === status && !neverFired(o)))
      .sort((a, b) => (b.urgent ? 1 : 0) - (a.urgent ? 1 : 0) || since(a) - since(b));
  }

  /**
   * The make line: what is to start and what is in the oven, one flowing list, urgent orders first,
   * then oldest first (by when it reached the kitchen, or is to be fired), with the cancelled ones still in place for a while.
   */
  get makeLine(): OrderView[] {
    const since = (o: OrderView) => this.due(o);
    return [...this.column('received'), ...this.column('preparing')].sort((a, b) => (b.urgent ? 1 : 0) - (a.urgent ? 1 : 0) || since(a) - since(b));
  }

  /** Orders for later not fired yet, the next to fire first (and the ones cancelled a moment ago, still shown). */
  get coming(): OrderView[] {
    return this.list
      .filter((o) => waitingToFire(o) || (o.status === 'cancelled' && !!this.cancelled[o.id] && neverFired(o)))
      .sort((a, b) => Date.parse(a.scheduled!.fireAt) - Date.parse(b.scheduled!.fireAt));
  }
}

/** An order for later cancelled before it was fired: it leaves "coming", never the make line. */
const neverFired = (o: OrderView) => !!o.scheduled && !o.scheduled.fired;
/** An order for later the kitchen does not make yet: taken, not fired. */
export const waitingToFire = (o: OrderView) => o.status === 'received' && !!o.scheduled && !o.scheduled.fired;
/** When a ticket reached the make line: when received, or an order for later when fired. */
const madeFrom = (o: OrderView): string | undefined =>
  o.scheduled && o.timestamps.received && Date.parse(o.scheduled.fireAt) > Date.parse(o.timestamps.received) ? o.scheduled.fireAt : o.timestamps.received;
