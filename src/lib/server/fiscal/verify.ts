// Checks the fiscal journal in the database, chain by chain, a page at a time, with the pure
// verifier (src/lib/domain/fiscal-chain.ts) and the public keys the technical events journal
// recorded (jet.ts): the first entry of each chain that breaks it, with its number and why.
//
// What it proves: no entry was altered, removed, inserted or moved since it was signed, unless by
// someone holding a signing key. The keys it checks with come from the journal itself; a verifier
// that must not trust the database compares the key ids it reports with the public keys the
// operator keeps (published with each archive, in a later slice).
import { chainVerifier, type ChainReport } from '../../domain/fiscal-chain.ts';
import type { Queryable } from '../db.ts';
import { chainHeads, chainPage } from './journal.ts';
import { recordedKeys } from './jet.ts';
import { signatureCheck } from './keys.ts';

export interface JournalReport {
  chains: (ChainReport & { shop: string | null })[];
  /** Every chain whole. */
  ok: boolean;
}

/** Checks every chain (or one shop's, by its slug), reading `pageSize` entries at a time. */
export async function verifyJournal(q: Queryable, opts: { shop?: string; pageSize?: number } = {}): Promise<JournalReport> {
  const check = signatureCheck(await recordedKeys(q));
  const pageSize = opts.pageSize ?? 5000;
  const chains: JournalReport['chains'] = [];
  for (const { chain, shop, head } of await chainHeads(q, opts.shop)) {
    const v = chainVerifier(chain, check);
    for (let after = 0; ; ) {
      const page = await chainPage(q, chain, after, pageSize);
      if (v.add(page) || page.length < pageSize) break;
      after = page[page.length - 1].seq;
    }
    chains.push({ ...v.finish(head), shop });
  }
  return { chains, ok: chains.every((c) => !c.broken) };
}
