// The journal's seal on the orders (src/lib/server/orders/seal.ts): when an order's event is
// recorded and its money is not what the journal sealed (a sale handed over, captured or paid at
// the counter, a payment, a refund, a cancellation of a paid order), what the journal lacks of it is
// appended to its shop's chain in that same transaction, signed, and its money noted. The shop's
// chain is locked from then until the transaction ends: sales of one shop take turns for the last
// few statements of their transactions, shops never wait for each other. Most events (the kitchen's
// moves, the drivers') change no money: the event's own statement says so, and nothing more is done.
// The workers' journal still follows the events behind (workers/fiscal-journal.ts): it finds the
// sealed orders noted and writes nothing; it is there for a process that runs without the seal
// (a script) and for money changed in the transaction after its event was recorded.
import { setSaleSeal, type SaleSeal } from '../orders/seal.ts';
import type { FiscalKey } from './keys.ts';
import { journalChangedIn, sealOneIn, UNSEALED, UNSEALED_TRAINING } from './order-facts.ts';
import { recordTrainingSale } from './till-events.ts';

/**
 * The seal of this key. The process records the key's use in the technical events journal at its
 * start (the server, the workers): not here, on another connection while the sale waits.
 */
export function saleSealOf(key: FiscalKey, opts: { sales: boolean } = { sales: true }): SaleSeal {
  return {
    // FISCAL_SEAL_SALES off: a training shop's sales alone (the workers journal the real ones)
    unsealed: opts.sales ? UNSEALED : UNSEALED_TRAINING,
    sales: opts.sales,
    async seal(tx, order, actor) {
      if (await sealOneIn(tx, key, order, actor)) return;
      // a training shop's sale: in the JET, never in a chain (till-events.ts)
      if (await recordTrainingSale(tx, key, order.id, actor)) return;
      await journalChangedIn(tx, key, [order], new Map([[order.id, actor]]));
    },
  };
}

/** Puts the seal of this key in place for the process: every order event recorded from now on seals the money it changed. */
export function installSaleSeal(key: FiscalKey, opts: { sales: boolean } = { sales: true }): void {
  setSaleSeal(saleSealOf(key, opts));
}
