// Where each chain ends, kept where the chain's own rows cannot move it back. A chain's last
// entries could be deleted by whoever can turn the triggers off, and its head moved back with them:
// the chain would still verify. So the heads are anchored twice:
// - in the JET, a signed `checkpoint` names the heads of the chains that moved since the last one
//   (the workers write one a minute while sales happen), and each closing names the closing entry
//   it appended to the shop's chain: a shop's chain cut back is then shorter than a head they name;
// - outside the database, each checkpoint is also a line of the anchor file (FISCAL_ANCHOR_FILE,
//   on the workers' machine: the JET's own head with the shops'), so a cut of the JET itself, its
//   checkpoints with it, is seen too.
// The verification (verify.ts) reads both and reports a chain that ends before any head it was
// seen to reach ('cut'), or whose entry at an anchored number is another ('anchor_mismatch').
import { appendFile, readFile } from 'node:fs/promises';
import { ANCHORING_KINDS, isoTime, JET_CHAIN, type Anchor, type Entry } from '../../domain/fiscal-chain.ts';
import { transaction, type Db, type Queryable, type Tx } from '../kernel/db.ts';
import { appendJetIn } from './jet.ts';
import type { FiscalKey } from './keys.ts';

/** A chain's head as a checkpoint names it. */
export interface AnchoredHead {
  chain: string;
  seq: number;
  signature: string;
}

/** How far before the last checkpoint a head that moved is still named again (ms: a commit that overlapped the last checkpoint's). */
export const CHECKPOINT_OVERLAP_MS = 5000;

/**
 * A checkpoint in the caller's transaction: the heads of the shops' chains that moved since the
 * last checkpoint (all of them, at the first), or those of `chains` (asked for: a test, a
 * script). Returns the entry, or null when no head moved.
 */
export async function appendCheckpointIn(tx: Tx, key: FiscalKey, opts: { reason: 'minute' | 'asked'; operator?: string; chains?: readonly string[]; overlapMs?: number } = { reason: 'minute' }): Promise<Entry | null> {
  const { rows } = await tx.query<{ chain: string; seq: string; signature: string }>(
    `SELECT c.chain, c.last_seq AS seq, c.last_signature AS signature FROM fiscal_chains c
     WHERE c.chain <> $1 AND c.last_seq > 0 AND ($2::text[] IS NULL OR c.chain = ANY($2))
       AND ($2::text[] IS NOT NULL OR c.updated_at >= coalesce(
         (SELECT e.recorded_at FROM fiscal_entries e WHERE e.chain = $1 AND e.kind = 'checkpoint' ORDER BY e.seq DESC LIMIT 1) - $3 * interval '1 millisecond', '-infinity'))
     ORDER BY c.chain`,
    [JET_CHAIN, opts.chains ?? null, opts.overlapMs ?? CHECKPOINT_OVERLAP_MS],
  );
  if (!rows.length) return null;
  const heads = rows.map((r) => ({ chain: r.chain, seq: Number(r.seq), signature: r.signature }));
  const at = isoTime(Date.now());
  return appendJetIn(tx, key, {
    kind: 'checkpoint',
    sourceKey: `checkpoint:${opts.reason}:${at}:${heads.map((h) => `${h.chain}@${h.seq}`).join(',')}`,
    operator: opts.operator ?? 'system',
    occurredAt: at,
    body: { reason: opts.reason, heads },
  });
}

/** A line of the anchor file: a checkpoint's heads, the JET's own (the checkpoint itself) first. */
export const anchorLine = (checkpoint: Entry): string =>
  `${JSON.stringify({ at: checkpoint.recordedAt, heads: [{ chain: checkpoint.chain, seq: checkpoint.seq, signature: checkpoint.signature }, ...(checkpoint.body.heads as unknown as AnchoredHead[])] })}\n`;

/** Appends a checkpoint's line to the anchor file (made if missing, readable by its owner only). */
export async function writeAnchorLine(file: string, checkpoint: Entry): Promise<void> {
  await appendFile(file, anchorLine(checkpoint), { mode: 0o600 });
}

/**
 * A checkpoint of the heads that moved (in a transaction of its own), written to the anchor file
 * too when one is given. Returns the entry, or null when nothing moved.
 */
export async function checkpoint(db: Db, key: FiscalKey, anchorFile?: string | null, overlapMs = CHECKPOINT_OVERLAP_MS): Promise<Entry | null> {
  const entry = await transaction(db, (tx) => appendCheckpointIn(tx, key, { reason: 'minute', overlapMs }));
  if (entry && anchorFile) await writeAnchorLine(anchorFile, entry);
  return entry;
}

/** Anchors by chain. */
export type Anchors = Map<string, Anchor[]>;

const add = (anchors: Anchors, chain: string, a: Anchor) => {
  const list = anchors.get(chain);
  if (list) list.push(a);
  else anchors.set(chain, [a]);
};

/**
 * The heads the JET names, by chain: its checkpoints', and each closing's (the closing entry it
 * appended to the shop's chain, with its number and signature). The JET's own entries are checked
 * with it; its own head is anchored by the file.
 */
export async function jetAnchors(q: Queryable): Promise<Anchors> {
  const { rows } = await q.query<{ seq: string; kind: string; chain: string; head_seq: string; signature: string }>(
    `SELECT e.seq, e.kind, h->>'chain' AS chain, h->>'seq' AS head_seq, h->>'signature' AS signature
     FROM fiscal_entries e CROSS JOIN LATERAL jsonb_array_elements(CASE WHEN e.kind = 'checkpoint' THEN e.body->'heads' ELSE jsonb_build_array(e.body) END) h
     WHERE e.chain = $1 AND e.kind = ANY($2) AND h ? 'signature' ORDER BY e.seq`,
    [JET_CHAIN, [...ANCHORING_KINDS]],
  );
  const anchors: Anchors = new Map();
  for (const r of rows) add(anchors, r.chain, { seq: Number(r.head_seq), signature: r.signature, where: `${r.kind} in the JET, entry ${r.seq}` });
  return anchors;
}

/**
 * The heads the anchor file names, by chain; a missing file is no anchor (and says so). A line that
 * is not a checkpoint's is counted, not trusted.
 */
export async function fileAnchors(file: string): Promise<{ anchors: Anchors; lines: number; unreadable: number; missing: boolean }> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { anchors: new Map(), lines: 0, unreadable: 0, missing: true };
    throw err;
  }
  const anchors: Anchors = new Map();
  let lines = 0;
  let unreadable = 0;
  for (const [i, line] of text.split('\n').entries()) {
    if (!line.trim()) continue;
    lines += 1;
    try {
      const { heads } = JSON.parse(line) as { heads: AnchoredHead[] };
      for (const h of heads) {
        if (typeof h.chain !== 'string' || !Number.isSafeInteger(h.seq) || typeof h.signature !== 'string') throw new Error('not a head');
        add(anchors, h.chain, { seq: h.seq, signature: h.signature, where: `${file}, line ${i + 1}` });
      }
    } catch {
      unreadable += 1;
    }
  }
  return { anchors, lines, unreadable, missing: false };
}

/** Both sets of anchors together. */
export function mergeAnchors(...sets: Anchors[]): Anchors {
  const all: Anchors = new Map();
  for (const set of sets) for (const [chain, list] of set) for (const a of list) add(all, chain, a);
  return all;
}
