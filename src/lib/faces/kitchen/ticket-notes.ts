// What the kitchen must notice on a ticket: what the customer changed, and how long a cancelled
// ticket stays on the screen. Plain functions, used by the kitchen board.
import { lineKey, lineName } from '../../shapes/line-options.ts';
import type { OrderItemView, OrderView } from '../../shapes/views.ts';
import { KITCHEN_STATUSES, type KitchenStatus } from '../../domain/order-states.ts';

/** A changed ticket stays highlighted until the cook taps it, or this long. */
export const CHANGE_SHOWN_MS = 2 * 60_000;
/** A cancelled ticket stays on the screen, marked, this long (or until the cook removes it). */
export const CANCELLED_SHOWN_MS = 2 * 60_000;

export interface ItemChange {
  productId: number;
  name: string;
  /** Positive: more of it now; negative: fewer. */
  delta: number;
}

/**
 * Line by line (a product with its options), what the order has more or less of now than before
 * (additions first).
 */
export function itemChanges(before: OrderItemView[], after: OrderItemView[]): ItemChange[] {
  const count = new Map<string, { productId: number; name: string; n: number }>();
  const tally = (i: OrderItemView, sign: 1 | -1) => {
    const key = lineKey(i.productId, (i.options ?? []).map((o) => o.id), i.halves?.right.productId);
    const c = count.get(key) ?? { productId: i.productId, name: lineName(i), n: 0 };
    c.n += sign * i.quantity;
    if (sign > 0) c.name = lineName(i);
    count.set(key, c);
  };
  for (const i of before) tally(i, -1);
  for (const i of after) tally(i, 1);
  return [...count.values()]
    .filter((c) => c.n !== 0)
    .map((c) => ({ productId: c.productId, name: c.name, delta: c.n }))
    .sort((a, b) => Number(b.delta > 0) - Number(a.delta > 0) || a.name.localeCompare(b.name));
}

/** "+1 Margherita, −1 Reine" (a true minus sign, readable from afar). */
export function describeChanges(changes: ItemChange[]): string {
  return changes.map((c) => `${c.delta > 0 ? '+' : '\u2212'}${Math.abs(c.delta)} ${c.name}`).join(', ');
}

/** Whether a note made at `sinceMs` is still shown at `nowMs`. */
export function stillShown(sinceMs: number, nowMs: number, forMs: number): boolean {
  return nowMs - sinceMs < forMs;
}

export type KitchenColumn = KitchenStatus;
const COLUMNS: readonly string[] = KITCHEN_STATUSES;

/** What a newer version of a ticket means for the cook. */
export type Notice =
  | { kind: 'new' }
  | { kind: 'cancelled'; from: KitchenColumn }
  /** base: the lines as the cook last acknowledged them. */
  | { kind: 'changed'; base: OrderItemView[] }
  /** Changed back to what the cook saw: the highlight goes. */
  | { kind: 'unchanged' }
  | null;

/**
 * Compares a ticket as the screen showed it (`before`, absent when new to the screen) with its newer
 * version. `seen` is the lines the cook last acknowledged, while a change is still highlighted.
 */
export function noticeFor(before: OrderView | undefined, after: OrderView, seen?: OrderItemView[]): Notice {
  if (after.status === 'cancelled') {
    // only a ticket the kitchen had on its screen is kept, marked; an unpaid order it never saw is not
    return before && COLUMNS.includes(before.status) ? { kind: 'cancelled', from: before.status as KitchenColumn } : null;
  }
  // an order for later is news when it is fired into the make line, not when it is taken or changed before
  const coming = (o: OrderView) => o.status === 'received' && !!o.scheduled && !o.scheduled.fired;
  if (coming(after)) return null;
  if (before && coming(before)) return after.status === 'received' ? { kind: 'new' } : null;
  if (before && COLUMNS.includes(after.status) && itemChanges(before.items, after.items).length) {
    const base = seen ?? before.items;
    return itemChanges(base, after.items).length ? { kind: 'changed', base } : { kind: 'unchanged' };
  }
  if (after.status === 'received' && before?.status !== 'received') return { kind: 'new' };
  return null;
}
