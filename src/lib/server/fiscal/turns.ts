// Each chain's turn in this process. A transaction that will append to a shop's chain takes the
// chain's turn before it locks the chain in Postgres or signs after its head, and keeps it until its
// last statements and COMMIT are written to Postgres (or it ends otherwise): this process's other
// appenders of that chain wait here, holding no lock of the database's, and so never sign after the
// same head (the sale sealed at its commit signs after the head the one before left: seal.ts) nor
// wait in Postgres for a transaction that itself waits here. Handed on once the COMMIT is sent, not
// answered: the next sale's append then waits inside Postgres for that commit, a fraction of a
// millisecond, rather than for this process to read the answer, which a busy event loop delays by
// tens of milliseconds (and with it every sale of the shop queued behind). The turns of one
// transaction are taken in the chains' order, as the database locks are (journal.ts). Other processes (the workers, a second
// server) are kept apart by the database alone: an append after a head that moved is refused
// (migration 0095) and its transaction done again. Outside a transaction() (kernel/db.ts), a
// client used otherwise, there are no turns: only the database's locks.
import { runningTransaction, type CommitHook, type Queryable } from '../kernel/db.ts';

const turns = new Map<string, Promise<void>>();

/**
 * How long a transaction waits for a chain's turn at most. A turn is held for a commit's round trip
 * (or a correction's few statements); past this, something waits on something that waits on it, and
 * the transaction goes on under the database's locks alone (its append may then be refused and done
 * again, never written twice).
 */
const TURN_WAIT_MS = 2000;

const HELD = Symbol('fiscal chain turns');

/** The turns a transaction holds, handed on when it ends. */
class HeldTurns implements CommitHook {
  readonly handOns = new Map<string, () => void>();
  async lastStatements(): Promise<never[]> {
    return [];
  }
  sent(): void {
    this.ended();
  }
  ended(): void {
    for (const handOn of this.handOns.values()) handOn();
    this.handOns.clear();
  }
}

/** Waits for the turn of each of these chains the transaction on `tx` does not hold yet; held until it ends. */
export async function takeTurns(tx: Queryable, chains: readonly string[]): Promise<void> {
  const run = runningTransaction(tx);
  if (!run) return;
  let held = run.hooks.get(HELD) as HeldTurns | undefined;
  if (!held) run.hooks.set(HELD, (held = new HeldTurns()));
  for (const chain of [...new Set(chains)].sort()) {
    if (held.handOns.has(chain)) continue;
    const before = turns.get(chain);
    let handOn!: () => void;
    const mine = new Promise<void>((resolve) => (handOn = resolve));
    turns.set(chain, mine);
    held.handOns.set(chain, () => {
      handOn();
      if (turns.get(chain) === mine) turns.delete(chain);
    });
    // nobody's turn before: no wait (and no timer)
    if (before) await atMost(before, TURN_WAIT_MS);
  }
}

async function atMost(p: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([p, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}
