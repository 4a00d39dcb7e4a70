// The technical events journal (JET): chained and signed like a shop's sales. For now it records
// the signing keys: the first entry a key signs there says so and carries its public half, so a
// change of key is itself a journal event and a verifier learns every key from the journal.
import { isoTime, JET_CHAIN, type Entry } from '../../domain/fiscal-chain.ts';
import { transaction, type Db, type Queryable } from '../db.ts';
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
