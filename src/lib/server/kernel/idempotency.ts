import { createHash } from 'node:crypto';
import type { Queryable, Tx } from './db.ts';

/** What a client may send as `Idempotency-Key`: a UUID, a ULID or any random token of this shape. */
export const IDEMPOTENCY_KEY_PATTERN = /^[A-Za-z0-9_-]{8,100}$/;
/** How long a key is remembered; housekeeping deletes older ones. */
export const IDEMPOTENCY_KEY_TTL_HOURS = 24;
// second half of the advisory lock id, beside the dispatch lock (7242002)
const KEY_LOCK = 7242005;

export interface IdempotencyRequest {
  key: string;
  /** A digest of everything that makes the request what it is (who asks, and the parsed body). */
  requestHash: string;
}

/** A stable digest of a JSON value: object keys sorted, so the same body hashes the same in any key order. */
export function requestHash(value: unknown): string {
  const canonical = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(canonical);
    if (v && typeof v === 'object') {
      return Object.fromEntries(
        Object.keys(v as object)
          .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
          .sort()
          .map((k) => [k, canonical((v as Record<string, unknown>)[k])]),
      );
    }
    return v;
  };
  return createHash('sha256').update(JSON.stringify(canonical(value))).digest('hex');
}

/**
 * Takes the key for this transaction (a second request with the same key waits here until the
 * first commits or rolls back) and returns what an earlier, committed request stored under it.
 */
export async function claimIdempotencyKey(tx: Tx, key: string): Promise<{ requestHash: string; orderId: string } | null> {
  await tx.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [KEY_LOCK, key]);
  // an expired key that housekeeping has not deleted yet is free again
  await tx.query(`DELETE FROM idempotency_keys WHERE key = $1 AND created_at < now() - make_interval(hours => $2)`, [
    key,
    IDEMPOTENCY_KEY_TTL_HOURS,
  ]);
  const { rows } = await tx.query<{ request_hash: string; order_id: string }>(
    'SELECT request_hash, order_id FROM idempotency_keys WHERE key = $1',
    [key],
  );
  return rows[0] ? { requestHash: rows[0].request_hash, orderId: rows[0].order_id } : null;
}

export async function saveIdempotencyKey(tx: Tx, req: IdempotencyRequest, orderId: string): Promise<void> {
  await tx.query('INSERT INTO idempotency_keys (key, request_hash, order_id) VALUES ($1, $2, $3)', [req.key, req.requestHash, orderId]);
}

/** Housekeeping: forgets keys older than `olderThanHours` (a day by default). Returns how many went. */
export async function deleteExpiredIdempotencyKeys(q: Queryable, olderThanHours = IDEMPOTENCY_KEY_TTL_HOURS): Promise<number> {
  const r = await q.query(`DELETE FROM idempotency_keys WHERE created_at < now() - make_interval(hours => $1)`, [olderThanHours]);
  return r.rowCount ?? 0;
}
