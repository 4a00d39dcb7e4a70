// The sale sealed in the transaction that makes it. An order's money changes in a dozen places
// (a handover, a capture, a payment at the counter, a refund), each of which records the order's
// event in its own transaction (record.ts); that is where the fiscal journal writes what the change
// says, so that no sale, payment or refund is ever committed without its signed entry. The journal
// lies a floor above the orders (src/lib/server/fiscal/seal.ts): it puts its seal here when a
// process starts (the server, the workers, the pages), and the orders call it without knowing it.
// One seal per process, whatever copies of this module the process holds (the pages' bundle has
// its own): it is kept on the process's global object.
import type { Tx } from '../kernel/db.ts';

export interface SaleSeal {
  /**
   * A condition on the order `o` (a row of orders, or an UPDATE's new row in its RETURNING): true
   * when the order's money is not sealed as it now stands.
   */
  unsealed: string;
  /**
   * Whether it seals every sale (FISCAL_SEAL_SALES); false: a training shop's alone, which are no
   * sales, so a move may commit first and have its training sale recorded just after.
   */
  sales: boolean;
  /**
   * An expression on the order `o` (an UPDATE's new row, in its RETURNING) giving what sealing the
   * order needs, read by the statement that changed it so that the seal need not read it again; null:
   * the seal reads it itself. What it gives is the seal's own: the orders hand it back unread.
   */
  read: string | null;
  /** Seals the order's money as it now stands, in the transaction (its shop's chain locked until it ends). */
  seal(tx: Tx, order: { id: string; shop: number; read?: unknown }, actor: string): Promise<void>;
}

const SLOT = Symbol.for('ocpizza.sale-seal');
const slot = globalThis as { [SLOT]?: SaleSeal | null };

/** Puts the journal's seal in place for this process (null: none, the workers' journal follows the events alone). */
export function setSaleSeal(seal: SaleSeal | null): void {
  slot[SLOT] = seal;
}

/** The seal in place, if any. */
export function saleSeal(): SaleSeal | null {
  return slot[SLOT] ?? null;
}
