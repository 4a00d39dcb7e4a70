// The fiscal journal in Postgres: entries appended to a chain under its head's lock, numbered one
// after the other and signed (src/lib/domain/fiscal-chain.ts); read back a page at a time. Nothing
// here updates or deletes an entry: the database refuses it (db/migrations/0066_fiscal_journal.sql).
import { isoTime, JET_CHAIN, signedEntry, signedText, type ChainHead, type Entry, type EntryDraft, type Signer } from '../../domain/fiscal-chain.ts';
import type { TicketCounters } from '../../domain/fiscal-tickets.ts';
import type { Queryable, Tx } from '../kernel/db.ts';
import { takeTurns } from './turns.ts';

/**
 * The chains' heads, locked until the transaction ends (in the chains' order, so that two appenders
 * never wait for each other in a circle): appenders of the same chain take turns.
 */
export async function lockChains(tx: Tx, chains: readonly string[]): Promise<Map<string, ChainHead>> {
  const wanted = [...new Set(chains)].sort();
  // this process's turn first, then the database's lock (turns.ts)
  await takeTurns(tx, wanted);
  const lock = async () => (await tx.query<{ chain: string; last_seq: number; last_signature: string | null; tickets: TicketCounters }>({
    name: 'fiscal-lock-chains',
    text: 'SELECT chain, last_seq, last_signature, tickets FROM fiscal_chains WHERE chain = ANY($1) ORDER BY chain FOR UPDATE',
    values: [wanted],
  })).rows;
  let rows = await lock();
  if (rows.length < wanted.length) {
    // a chain's first entry: the chain is made (by one of two appenders at once; the other waits, then finds it)
    const missing = wanted.filter((c) => !rows.some((r) => r.chain === c));
    await tx.query(
      'INSERT INTO fiscal_chains (chain, pizzeria_id) SELECT c, CASE WHEN c = $2 THEN NULL ELSE split_part(c, \':\', 2)::int END FROM unnest($1::text[]) AS c ON CONFLICT (chain) DO NOTHING',
      [missing, JET_CHAIN],
    );
    rows = await lock();
  }
  return new Map(rows.map((r) => [r.chain, { lastSeq: r.last_seq, lastSignature: r.last_signature, tickets: r.tickets }]));
}

/** One chain's head, locked until the transaction ends. */
export async function lockChain(tx: Tx, chain: string): Promise<ChainHead> {
  return (await lockChains(tx, [chain])).get(chain)!;
}

/** What a draft becomes once the entries before it have their numbers (a reference to the sale it corrects). */
export type Resolve = (draft: EntryDraft, written: readonly Entry[]) => EntryDraft;

/**
 * The drafts as the entries that follow `head` in `chain`: each numbered, linked and signed; a draft
 * whose fact is already in the journal (its source key in `known`) left out.
 */
export function chainDrafts(chain: string, head: ChainHead, drafts: readonly EntryDraft[], signer: Signer, known: Set<string>, resolve?: Resolve) {
  const recordedAt = isoTime(Date.now());
  const entries: Entry[] = [];
  let at = head;
  for (const d of drafts) {
    if (known.has(d.sourceKey)) continue;
    known.add(d.sourceKey);
    const { entry, text, head: next } = signedEntry(chain, at, resolve ? resolve(d, entries) : d, signer, recordedAt);
    signedTexts.set(entry, text);
    entries.push(entry);
    at = next;
  }
  return { entries, head: at };
}

/** The text each entry chained here was signed over: what entriesParam sends, without writing it again. */
const signedTexts = new WeakMap<Entry, string>();

/**
 * Inserts entries given as $1 (entriesParam): of one chain or several, each chain's in number order
 * (the database checks each is the next of its chain).
 */
export const INSERT_ENTRIES = `INSERT INTO fiscal_entries (chain, seq, kind, occurred_at, recorded_at, operator, order_id, source_key, body,
    sales_cents, vat_cents, money_cents, prev_signature, signature, key_id)
  SELECT e.chain, e.seq, e.kind, e."occurredAt", e."recordedAt", e.operator, e."orderId", e."sourceKey", e.body,
    e."salesCents", e."vatCents", e."moneyCents", e."prevSignature", e.signature, e."keyId"
  FROM jsonb_to_recordset($1::jsonb) AS e(chain text, seq bigint, kind text, "occurredAt" timestamptz, "recordedAt" timestamptz, operator text,
    "orderId" uuid, "sourceKey" text, body jsonb, "salesCents" bigint, "vatCents" bigint, "moneyCents" bigint, "prevSignature" text, signature text, "keyId" text)
  ORDER BY e.chain, e.seq`;

/** The entries as INSERT_ENTRIES takes them: each one's signed text (signedText) with its signature added. */
export const entriesParam = (entries: readonly Entry[]): string =>
  `[${entries.map((e) => `${(signedTexts.get(e) ?? signedText(e)).slice(0, -1)},"signature":${JSON.stringify(e.signature)}}`).join(',')}]`;

/**
 * Appends drafts to the chain whose head the transaction holds (lockChain), after `head`; a draft
 * whose fact is already in the journal (its source key: read here unless `known` says) is left out.
 * Returns the entries written and the new head.
 */
export async function appendEntries(
  tx: Tx,
  chain: string,
  head: ChainHead,
  drafts: readonly EntryDraft[],
  signer: Signer,
  opts: { resolve?: Resolve; known?: Set<string> } = {},
): Promise<{ entries: Entry[]; head: ChainHead }> {
  if (!drafts.length) return { entries: [], head };
  const known = opts.known ?? new Set((await tx.query<{ source_key: string }>(
    'SELECT source_key FROM fiscal_entries WHERE source_key = ANY($1)', [drafts.map((d) => d.sourceKey)],
  )).rows.map((r) => r.source_key));
  const chained = chainDrafts(chain, head, drafts, signer, known, opts.resolve);
  if (chained.entries.length) await tx.query({ name: 'fiscal-append', text: INSERT_ENTRIES, values: [entriesParam(chained.entries)] });
  return chained;
}

interface EntryRow {
  chain: string;
  seq: number;
  kind: string;
  occurred_at: Date;
  recorded_at: Date;
  operator: string;
  order_id: string | null;
  source_key: string;
  body: Entry['body'];
  sales_cents: number;
  vat_cents: number;
  money_cents: number;
  prev_signature: string | null;
  signature: string;
  key_id: string;
}

/** An entry as read back from its row. */
export const entryOf = (r: EntryRow): Entry => ({
  chain: r.chain, seq: r.seq, kind: r.kind, occurredAt: isoTime(r.occurred_at), recordedAt: isoTime(r.recorded_at), operator: r.operator,
  orderId: r.order_id, sourceKey: r.source_key, body: r.body, salesCents: r.sales_cents, vatCents: r.vat_cents, moneyCents: r.money_cents,
  prevSignature: r.prev_signature, signature: r.signature, keyId: r.key_id,
});

/** A page of a chain's entries, in the order kept (by number), after `afterSeq`. */
export async function chainPage(q: Queryable, chain: string, afterSeq: number, limit: number): Promise<Entry[]> {
  const { rows } = await q.query<EntryRow>(
    'SELECT * FROM fiscal_entries WHERE chain = $1 AND seq > $2 ORDER BY seq LIMIT $3',
    [chain, afterSeq, limit],
  );
  return rows.map(entryOf);
}

/** Every chain with its head and its shop (slug), the technical events journal first. */
export async function chainHeads(q: Queryable, shopSlug?: string): Promise<{ chain: string; shop: string | null; head: ChainHead }[]> {
  const { rows } = await q.query<{ chain: string; slug: string | null; last_seq: number; last_signature: string | null }>(
    `SELECT c.chain, p.slug, c.last_seq, c.last_signature FROM fiscal_chains c LEFT JOIN pizzerias p ON p.id = c.pizzeria_id
     WHERE $1::text IS NULL OR p.slug = $1 ORDER BY c.pizzeria_id NULLS FIRST`,
    [shopSlug ?? null],
  );
  return rows.map((r) => ({ chain: r.chain, shop: r.slug, head: { lastSeq: r.last_seq, lastSignature: r.last_signature } }));
}
