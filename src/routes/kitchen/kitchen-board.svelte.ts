import { OrderBoard } from '$lib/realtime/live.svelte.ts';
import type { OrderView } from '$lib/realtime/contract.ts';

/** The kitchen's live tickets: what is received, in the oven and waiting to leave. */
export class KitchenBoard extends OrderBoard {
  column(status: 'received' | 'preparing' | 'ready'): OrderView[] {
    const since = (o: OrderView) => Date.parse(o.timestamps[status] ?? o.timestamps.created ?? '') || 0;
    return this.list.filter((o) => o.status === status).sort((a, b) => since(a) - since(b));
  }
}
