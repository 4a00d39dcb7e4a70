// The journal's seal on the orders (src/lib/server/orders/seal.ts): when an order's event is
// recorded and its money is not what the journal sealed (a sale handed over, captured or paid at
// the counter, a payment, a refund, a cancellation of a paid order), what the journal lacks of it is
// appended to its shop's chain in that same transaction, signed, and its money noted: the
// transaction commits with its signed entries or not at all. Most events (the kitchen's moves, the
// drivers') change no money: the event's own statement says so, and nothing more is done.
//
// In a transaction() (src/lib/server/kernel/db.ts) the entries are appended at its commit, by a
// last statement sent with the COMMIT in one round trip: the shop's chain is locked by that
// statement alone, inside Postgres, from its append to the commit, and never while this process
// does something else (a sale of the shop waiting on it waits a fraction of a millisecond). What
// the entries say is read by the statement that changed the order (a move's RETURNING: SaleSeal's
// `read`), or at the commit; the last statement checks the money is still what was read. Sales of
// one shop in this process take turns from their signing to the sending of their commit (turns.ts),
// each after the head the one before left (its append waiting in Postgres for that commit); another
// process's sale in between makes the database refuse the append (migration 0095), and the
// transaction is done again: its second attempt reads at its commit, its
// third and later lock the chain first (sealOneIn). Outside a transaction() (a caller's own client),
// the chain is locked from the append to the end of the caller's transaction.
//
// The workers' journal still follows the events behind (workers/fiscal-journal.ts): it finds the
// sealed orders noted and writes nothing; it is there for a process that runs without the seal
// (a script) and for money changed in the transaction after its seal.
import { setSaleSeal, type SaleSeal } from '../orders/seal.ts';
import type { FiscalKey } from './keys.ts';
import { shopChain, type ChainHead } from '../../domain/fiscal-chain.ts';
import type { QueryConfig } from 'pg';
import { runningTransaction, type CommitHook, type RunningTransaction, type Tx } from '../kernel/db.ts';
import { journalChangedIn, sealedAtCommit, sealOneIn, SNAPSHOT_OF_ORDER, UNSEALED, UNSEALED_TRAINING } from './order-facts.ts';
import { recordTrainingSale } from './till-events.ts';
import { takeTurns } from './turns.ts';

const AT_COMMIT = Symbol('fiscal seal at commit');

/** The orders a transaction sealed, journaled when it commits (sealedAtCommit), the rest the long way. */
class SealAtCommit implements CommitHook {
  private readonly orders = new Map<string, { shop: number; actor: string; read?: unknown }>();
  private heads = new Map<string, ChainHead>();
  /** `reads`: whether to take what the changes' statements read (the first attempt; the second reads at its commit). */
  constructor(private readonly key: FiscalKey, private readonly reads: boolean, private readonly knownHeads: Map<string, ChainHead>) {}

  add(order: { id: string; shop: number; read?: unknown }, actor: string): void {
    // the same order twice in one transaction: what the last change read of it
    this.orders.set(order.id, { shop: order.shop, actor, read: this.reads ? order.read : undefined });
  }

  async lastStatements(tx: Tx): Promise<QueryConfig[]> {
    await takeTurns(tx, [...this.orders.values()].map((o) => shopChain(o.shop)));
    const { last, left, heads } = await sealedAtCommit(tx, this.key, this.orders, this.knownHeads);
    this.heads = heads;
    for (const id of left) {
      const { shop, actor } = this.orders.get(id)!;
      if (await recordTrainingSale(tx, this.key, id, actor)) continue;
      await journalChangedIn(tx, this.key, [{ shop, id }], new Map([[id, actor]]));
    }
    return last;
  }

  sent(): void {
    // the next sale of the shop in this process signs after these heads (its turn comes now): if
    // this commit fails, that sale's append is refused by the database and done again
    for (const [chain, head] of this.heads) this.knownHeads.set(chain, head);
  }

  ended(committed: boolean): void {
    if (committed) return;
    for (const chain of this.heads.keys()) this.knownHeads.delete(chain);
  }
}

function sealAtCommit(run: RunningTransaction, key: FiscalKey, knownHeads: Map<string, ChainHead>): SealAtCommit {
  let hook = run.hooks.get(AT_COMMIT) as SealAtCommit | undefined;
  if (!hook) run.hooks.set(AT_COMMIT, (hook = new SealAtCommit(key, run.attempt === 1, knownHeads)));
  return hook;
}

/**
 * The seal of this key. The process records the key's use in the technical events journal at its
 * start (the server, the workers): not here, on another connection while the sale waits.
 */
export function saleSealOf(key: FiscalKey, opts: { sales: boolean } = { sales: true }): SaleSeal {
  /**
   * The heads the seal's sales left their chains at, once their COMMIT is sent: the next sale of
   * the shop, read before that commit, is signed after it (its append waits in Postgres for that
   * commit). That commit failing, or another process's sale in between: the append is refused, the
   * head forgotten, and the sale done again. The seal's own (one per process, put in
   * place with its database: a test file's seal never meets another's chains).
   */
  const knownHeads = new Map<string, ChainHead>();
  return {
    // FISCAL_SEAL_SALES off: a training shop's sales alone (the workers journal the real ones)
    unsealed: opts.sales ? UNSEALED : UNSEALED_TRAINING,
    sales: opts.sales,
    read: opts.sales ? SNAPSHOT_OF_ORDER : null,
    async seal(tx, order, actor) {
      // in a transaction() (its first attempts: then the chain locked first): at its commit, with it
      const run = opts.sales ? runningTransaction(tx) : undefined;
      if (run && run.attempt <= 2) return sealAtCommit(run, key, knownHeads).add(order, actor);
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
