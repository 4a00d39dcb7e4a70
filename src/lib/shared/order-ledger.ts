import type { OrderView } from '../shapes/views.ts';

/** Where a board keeps its orders: the page's reactive OrderBoard, or a plain OrderLedger. */
export interface OrderSource {
  readonly list: OrderView[];
  /** Keeps the snapshot if it is newer than the one held; true when the order was new. */
  apply(order: OrderView): boolean;
}

/** Orders by id, newest version kept: the same rule as the live OrderBoard, without reactivity. */
export class OrderLedger implements OrderSource {
  private readonly orders = new Map<string, OrderView>();

  constructor(initial: OrderView[] = []) {
    for (const o of initial) this.orders.set(o.id, o);
  }

  apply(order: OrderView): boolean {
    const current = this.orders.get(order.id);
    if (current && current.version >= order.version) return false;
    this.orders.set(order.id, order);
    return !current;
  }

  get list(): OrderView[] {
    return [...this.orders.values()];
  }
}
