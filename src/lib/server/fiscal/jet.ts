// The technical events journal (JET): chained and signed like a shop's sales (its kinds:
// JET_KINDS). The first entry a key signs there says so and carries its public half, so a change of
// key is itself a journal event and a verifier learns every key from the journal.
import { isoTime, JET_CHAIN, type CanonicalValue, type Entry, type JetKind } from '../../domain/fiscal-chain.ts';
import { transaction, type Db, type Queryable, type Tx } from '../kernel/db.ts';
import { appendEntries, lockChain } from './journal.ts';
import type { FiscalKey } from './keys.ts';

/**
 * Writes a key change to the JET unless the last key it recorded is this one (at the workers' start,
 * before anything is signed). Returns the entry written, or null.
 */
export async function recordKeyInUse(db: Db, key: FiscalKey): Promise<Entry | null> {
  return transaction(db, async (tx) => {
    const head = await lockChain(tx, JET_CHAIN);
    const { rows } = await tx.query<{ key_id: string }>(
      `SELECT body->>'keyId' AS key_id FROM fiscal_entries WHERE chain = $1 AND kind = 'key_change' ORDER BY seq DESC LIMIT 1`,
      [JET_CHAIN],
    );
    const previous = rows[0]?.key_id ?? null;
    if (previous === key.keyId) return null;
    const now = isoTime(Date.now());
    const { entries } = await appendEntries(tx, JET_CHAIN, head, [{
      kind: 'key_change',
      // one entry per key taken into use after another (the same key back again is a new change)
      sourceKey: `key:${key.keyId}:after:${previous ?? 'none'}:${head.lastSeq}`,
      occurredAt: now,
      operator: 'system',
      orderId: null,
      body: { keyId: key.keyId, publicKey: key.publicKeyPem, previousKeyId: previous, algorithm: 'Ed25519' },
      salesCents: 0,
      vatCents: 0,
      moneyCents: 0,
    }], key);
    return entries[0] ?? null;
  });
}

/** Every key the JET recorded, with its public half: what a verifier checks signatures with. */
export async function recordedKeys(q: Queryable): Promise<{ keyId: string; publicKeyPem: string }[]> {
  const { rows } = await q.query<{ key_id: string; public_key: string }>(
    `SELECT DISTINCT ON (body->>'keyId') body->>'keyId' AS key_id, body->>'publicKey' AS public_key
     FROM fiscal_entries WHERE chain = $1 AND kind = 'key_change' ORDER BY body->>'keyId', seq`,
    [JET_CHAIN],
  );
  return rows.map((r) => ({ keyId: r.key_id, publicKeyPem: r.public_key }));
}

/** A technical event to write to the JET. */
export interface JetEvent {
  kind: JetKind;
  /** The event's own key: the same event written again is one entry (e.g. `closing:shop:3:day:2026-11-27`). */
  sourceKey: string;
  /** Who: a member of staff (role:id), or system. */
  operator: string;
  body: { [key: string]: CanonicalValue };
  /** When it happened (now unless given). */
  occurredAt?: string;
}

/**
 * Appends a technical event to the JET inside the caller's transaction (which then holds the JET's
 * head until it ends). Returns the entry, or null when the event is already there.
 */
export async function appendJetIn(tx: Tx, key: FiscalKey, event: JetEvent): Promise<Entry | null> {
  const head = await lockChain(tx, JET_CHAIN);
  const { entries } = await appendEntries(tx, JET_CHAIN, head, [{
    kind: event.kind,
    sourceKey: `jet:${event.sourceKey}`,
    occurredAt: event.occurredAt ?? isoTime(Date.now()),
    operator: event.operator,
    orderId: null,
    body: event.body,
    salesCents: 0,
    vatCents: 0,
    moneyCents: 0,
  }], key);
  return entries[0] ?? null;
}

/** Appends a technical event to the JET in a transaction of its own. */
export function appendJet(db: Db, key: FiscalKey, event: JetEvent): Promise<Entry | null> {
  return transaction(db, (tx) => appendJetIn(tx, key, event));
}
