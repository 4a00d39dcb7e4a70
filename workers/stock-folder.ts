// The kitchen started an order: its reservation is folded into its shop's stock rows soon after,
// with other orders started about then (one transaction a hundred orders), by id. The sweep over
// every reservation (foldConsumedStock, once a minute) folds what no event brought: orders started
// while the workers were stopped, or a fold that failed.
import type { Logger } from 'pino';
import type { Db } from '../src/lib/server/kernel/db.ts';
import { FOLD_BATCH_ORDERS, foldStartedOrders } from '../src/lib/server/orders/lines.ts';

/** An order started is folded within this, or as soon as a batch of them is waiting. */
export const FOLD_SOON_MS = 2000;
/** Between two folding transactions: the moves of the moment go first. */
export const FOLD_PAUSE_MS = 20;

export function createStockFolder(opts: { db: Db; log: Logger; soonMs?: number; batch?: number; pauseMs?: number }) {
  const batch = opts.batch ?? FOLD_BATCH_ORDERS;
  const pending = new Set<string>();
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<void> | null = null;
  let closed = false;

  function run(): Promise<void> {
    if (timer) clearTimeout(timer);
    timer = null;
    running ??= (async () => {
      while (pending.size && !closed) {
        const ids = [...pending].slice(0, batch);
        for (const id of ids) pending.delete(id);
        try {
          await foldStartedOrders(opts.db, ids);
        } catch (err) {
          // left to the sweep: folding later changes nothing the shops see (free stock is the same)
          opts.log.warn({ err, orders: ids.length }, 'folding started orders failed; the sweep will fold them');
        }
        if (pending.size) await new Promise((resolve) => setTimeout(resolve, opts.pauseMs ?? FOLD_PAUSE_MS));
      }
    })().finally(() => {
      running = null;
      // started meanwhile: their own turn
      if (pending.size && !closed) schedule();
    });
    return running;
  }
  function schedule() {
    if (pending.size >= batch) void run();
    else timer ??= setTimeout(() => void run(), opts.soonMs ?? FOLD_SOON_MS);
  }

  return {
    /** The kitchen started this order (its event): its reservation is folded soon. */
    started(orderId: string) {
      if (closed) return;
      pending.add(orderId);
      if (!running) schedule();
    },
    /** Folds what is waiting, then takes no more. */
    async close() {
      await run();
      closed = true;
      if (timer) clearTimeout(timer);
    },
  };
}
