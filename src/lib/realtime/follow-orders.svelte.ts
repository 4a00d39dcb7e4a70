import { onDestroy } from 'svelte';
import { invalidateAll } from '$app/navigation';
import type { OrderUpdated, SubscribeRequest } from './contract.ts';
import type { OrderView } from '../shapes/views.ts';
import { LiveConnection, type OrderBoard } from './live.svelte.ts';

/**
 * Keeps a page's board of orders live: applies each event to it, and when the gap was too old to
 * replay, reloads the page's snapshot and starts again from it. Call it while the page is created.
 */
export function followOrders(opts: {
  board: OrderBoard;
  subscription: Omit<SubscribeRequest, 'lastEventId'>;
  /** The page's current snapshot (read again after a reload). */
  snapshot: () => { orders: OrderView[]; lastEventId: number };
  /** Instead of the plain apply, e.g. to chime on a new ticket. */
  onEvent?: (e: OrderUpdated) => void;
}): LiveConnection {
  const live = new LiveConnection({
    subscription: opts.subscription,
    lastEventId: opts.snapshot().lastEventId,
    onEvent: opts.onEvent ?? ((e) => opts.board.apply(e.order)),
    onResync: async () => {
      await invalidateAll();
      const fresh = opts.snapshot();
      opts.board.reset(fresh.orders);
      return fresh.lastEventId;
    },
  });
  onDestroy(() => live.close());
  return live;
}
