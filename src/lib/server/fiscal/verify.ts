// Checks the fiscal journal in the database, chain by chain, a page at a time, with the pure
// verifier (src/lib/domain/fiscal-chain.ts): the first entry of each chain that breaks it, with its
// number and why.
//
// What it proves: no entry was altered, removed, inserted or moved since it was signed, unless by
// someone holding a signing key. Which keys: given the operator's public keys (the key in use, read
// from the environment, and FISCAL_PUBLIC_KEYS_FILE: keys.ts operatorPublicKeys), only those; an
// entry signed by any other is reported, even one the technical events journal recorded (whoever
// could write the database could have recorded a key of their own). Without them, the keys the
// JET recorded (jet.ts), and the report says so.
//
// And that no chain was cut from its end: each must still reach every head it was anchored at
// (anchors.ts: the JET's checkpoints and closings, and the anchor file kept outside the database).
// And that no order's money was changed outside the product after the journal sealed it: an
// anomaly the JET recorded whose order is still so fails the verification (anomalies.ts).
import { chainVerifier, type ChainReport } from '../../domain/fiscal-chain.ts';
import type { PublicKeyRecord } from '../../domain/fiscal-archive.ts';
import type { Db, Queryable } from '../kernel/db.ts';
import { fileAnchors, jetAnchors, mergeAnchors } from './anchors.ts';
import { anomalies, type Anomaly } from './anomalies.ts';
import { chainHeads, chainPage } from './journal.ts';
import { recordedKeys, recordKeyInUse } from './jet.ts';
import { recordVerificationFailed } from './jet-events.ts';
import { signatureCheck, type FiscalKey } from './keys.ts';

export interface JournalReport {
  chains: (ChainReport & { shop: string | null })[];
  /** Every chain whole, and (with the operator's keys) no key recorded that the operator does not know. */
  ok: boolean;
  /** Whether signatures were checked with the operator's keys (or with those the journal recorded). */
  operatorKeys: boolean;
  /** The keys the JET recorded that the operator's do not include (empty without the operator's). */
  keysUnknownToOperator: string[];
  /** The heads the chains were checked against: how many the JET names, and the anchor file's (null: none given). */
  anchors: { jet: number; file: { path: string; lines: number; heads: number; unreadable: number; missing: boolean } | null };
  /** The anomalies the JET recorded whose orders' money is still not what the journal sealed (of the shops checked). */
  openAnomalies: Anomaly[];
}

const count = (a: Map<string, unknown[]>) => [...a.values()].reduce((n, l) => n + l.length, 0);

/** Checks every chain (or one shop's, by its slug), reading `pageSize` entries at a time. */
export async function verifyJournal(q: Queryable, opts: { shop?: string; pageSize?: number; operatorKeys?: readonly PublicKeyRecord[]; anchorFile?: string | null } = {}): Promise<JournalReport> {
  const recorded = await recordedKeys(q);
  const fromJet = await jetAnchors(q);
  const fromFile = opts.anchorFile ? await fileAnchors(opts.anchorFile) : null;
  const anchors = mergeAnchors(fromJet, fromFile?.anchors ?? new Map());
  const operator = opts.operatorKeys?.length ? opts.operatorKeys : null;
  const trusted = new Set((operator ?? []).map((k) => k.keyId));
  const check = signatureCheck(operator ?? recorded);
  const pageSize = opts.pageSize ?? 5000;
  const chains: JournalReport['chains'] = [];
  for (const { chain, shop, head } of await chainHeads(q, opts.shop)) {
    const v = chainVerifier(chain, check, undefined, anchors.get(chain) ?? []);
    for (let after = 0; ; ) {
      const page = await chainPage(q, chain, after, pageSize);
      if (v.add(page) || page.length < pageSize) break;
      after = page[page.length - 1].seq;
    }
    const r = { ...v.finish(head), shop };
    if (operator && r.broken?.kind === 'unknown_key') {
      const keyId = (await chainPage(q, chain, r.broken.seq - 1, 1))[0]?.keyId;
      const inJet = recorded.some((k) => k.keyId === keyId);
      r.broken = { ...r.broken, reason: `entry ${r.broken.seq} is signed by key ${keyId}, which is not among the operator's public keys${inJet ? ' (the journal recorded it: check where it comes from)' : ''}` };
    }
    chains.push(r);
  }
  const keysUnknownToOperator = operator ? recorded.map((k) => k.keyId).filter((id) => !trusted.has(id)).sort() : [];
  const file = fromFile && { path: opts.anchorFile!, lines: fromFile.lines, heads: count(fromFile.anchors), unreadable: fromFile.unreadable, missing: fromFile.missing };
  const shops = opts.shop ? chains.map((c) => Number(c.chain.split(':')[1])).filter(Number.isInteger) : undefined;
  const openAnomalies = await anomalies(q, { shops, openOnly: true });
  return {
    chains, ok: chains.every((c) => !c.broken) && !keysUnknownToOperator.length && !openAnomalies.length, operatorKeys: !!operator, keysUnknownToOperator,
    anchors: { jet: count(fromJet), file }, openAnomalies,
  };
}

/**
 * A verification run against the database by someone (the back office, fiscal:verify): a chain
 * found broken is written to the JET as `verification_failed`, signed by `key`.
 */
export async function verifyAndRecord(db: Db, key: FiscalKey, actor: string, opts: Parameters<typeof verifyJournal>[1] = {}): Promise<JournalReport> {
  const report = await verifyJournal(db, opts);
  if (!report.ok) {
    // the key that signs the event is in the JET before it (a process of its own may hold another)
    await recordKeyInUse(db, key);
    await recordVerificationFailed(db, key, report, actor);
  }
  return report;
}
