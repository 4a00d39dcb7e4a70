// The fiscal journal's chain: how an entry is written down to be signed, and how a chain of entries
// is checked. A French till keeps its sales in a journal nobody can edit unseen (article 286, I-3°
// bis of the tax code: inalterability): each entry has the next number of its chain (a shop's sales,
// or the technical events journal, "JET"), and a signature (Ed25519, by a key kept outside the
// database) over its canonical content, which includes the previous entry's signature. Changing an
// amount breaks its signature; removing an entry leaves a number missing, or the next one linked to
// an entry that is not before it; moving one puts it after an entry that names it as its own previous.
//
// The canonical content is JSON with its keys sorted at every level, amounts in integer cents (a
// fraction is refused: it could be written two ways), VAT rates in basis points (5,5 % is 550),
// times as ISO 8601 in UTC with milliseconds; no whitespace. The same entry read back from the
// database, or later from an archive file, gives the same bytes. Signing and checking a signature
// are handed in (node:crypto on the server), so what is here stays pure and runs on entries from
// anywhere.

import { numbered, ticketNoOf, ticketSeriesOf, type TicketCounters, type TicketSeries } from './fiscal-tickets.ts';

/** The technical events journal (JET_KINDS). */
export const JET_CHAIN = 'jet';

/** A shop's sales chain. */
export const shopChain = (pizzeriaId: number): string => `shop:${pizzeriaId}`;

/**
 * What a shop's sales chain records. Sales side: a sale (an order sold: its lines, its VAT per rate,
 * how it was paid so far), a correction of a sale (what it was sold for changed after: the
 * difference per rate), a cancellation after payment (the sale taken back). Money side: a payment
 * (money taken after the sale was recorded, by way), a refund (money given back; a manager's credit
 * note also gives back its VAT per rate), a correction of how a payment was taken (the way changed,
 * with its reason), a correction of a driver's or a till's cash. Then a closing (a day's, a month's,
 * a year's totals and the perpetual grand totals) and a receipt printed again (a duplicate).
 */
export const SALES_KINDS = ['sale', 'sale_correction', 'cancellation', 'payment', 'refund', 'payment_correction', 'cash_correction', 'closing', 'duplicate'] as const;

/**
 * What the technical events journal (JET) records: the signing key changed, the system started or
 * stopped, a closing, an archive made, an export, a verification that failed, a fiscal setting
 * changed, the clock gone backwards, a backup restored, a migration applied; a checkpoint (the heads
 * of the chains that moved since the last one: where each chain had reached, so a chain cut back
 * later is seen); an anomaly (an order's money changed outside the product after the journal
 * sealed it: named, never absorbed as a correction); a member of staff signed in or out (who, and
 * the session, not its secret); a customer's data erased (how many orders were anonymised).
 */
export const JET_KINDS = [
  'key_change', 'start', 'stop', 'closing', 'archive', 'export', 'verification_failed', 'setting_change', 'clock_backwards', 'restore', 'migration', 'checkpoint', 'anomaly',
  'sign_in', 'sign_out', 'erasure', 'training_sale', 'offline_period', 'manager_override',
] as const;

/** A member of staff's session, as the JET keeps its start and end. */
export const SESSION_KINDS = ['sign_in', 'sign_out'] as const satisfies readonly JetKind[];
export type SessionKind = (typeof SESSION_KINDS)[number];

/** The JET's entries that name a chain's head, anchoring it (src/lib/server/fiscal/anchors.ts): a checkpoint's heads, a closing's entry. */
export const ANCHORING_KINDS = ['checkpoint', 'closing'] as const satisfies readonly JetKind[];

export const ENTRY_KINDS = [...new Set([...SALES_KINDS, ...JET_KINDS])] as readonly (SalesKind | JetKind)[];
export type SalesKind = (typeof SALES_KINDS)[number];
export type JetKind = (typeof JET_KINDS)[number];
export type EntryKind = SalesKind | JetKind;

/** The version of the canonical form, signed with every entry: a later form is told apart from this one. */
export const ENTRY_FORMAT = 1;

export type CanonicalValue = null | boolean | number | string | CanonicalValue[] | { [key: string]: CanonicalValue };

/** A key as canonicalJson writes it before its value (`"key":`), kept once made: entries use a few dozen keys. */
const keyTexts = new Map<string, string>();
function keyText(k: string): string {
  let t = keyTexts.get(k);
  if (t === undefined) {
    t = `${JSON.stringify(k)}:`;
    if (keyTexts.size < 4096) keyTexts.set(k, t);
  }
  return t;
}

/** The JSON of a value with its keys sorted at every level and no whitespace; integers only; undefined keys left out. */
export function canonicalJson(value: unknown): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isSafeInteger(value)) throw new Error(`not an integer: ${value} (amounts in cents, rates in basis points)`);
      return String(value);
    case 'string':
      return JSON.stringify(value);
    case 'object': {
      if (Array.isArray(value)) {
        let text = '[';
        for (let i = 0; i < value.length; i++) {
          if (i) text += ',';
          // a hole is written as nothing, an undefined as null (as JSON.stringify of the array's map would)
          if (!(i in value)) continue;
          const v: unknown = value[i];
          text += v === undefined ? 'null' : canonicalJson(v);
        }
        return `${text}]`;
      }
      const proto = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) throw new Error('only plain objects, arrays, strings, integers, booleans and null (a time as its ISO string)');
      const keys = Object.keys(value).sort();
      let text = '{';
      for (const k of keys) {
        const v = (value as Record<string, unknown>)[k];
        if (v === undefined) continue;
        if (text.length > 1) text += ',';
        text += keyText(k) + canonicalJson(v);
      }
      return `${text}}`;
    }
    default:
      throw new Error(`cannot be written down: ${typeof value}`);
  }
}

/** A time as the journal writes it: ISO 8601, UTC, milliseconds. */
export const isoTime = (t: Date | string | number): string => new Date(t).toISOString();

/** A VAT rate in percent (5.5) as the journal writes it: basis points (550). */
export const rateBp = (ratePercent: number): number => Math.round(ratePercent * 100);

/** What an entry says, as signed (its signature aside). */
export interface EntryContent {
  chain: string;
  seq: number;
  kind: string;
  /** When the fact happened (an order handed over, a refund given). */
  occurredAt: string;
  /** When the journal wrote it down. */
  recordedAt: string;
  /** Who did it: a member of staff (`counter:12`), the customer, `online`, or `system`. */
  operator: string;
  orderId: string | null;
  /** The fact's own key: the same fact written twice is one entry. */
  sourceKey: string;
  body: { [key: string]: CanonicalValue };
  /** Its effect on the sales, taxes included, and on their VAT (signed). */
  salesCents: number;
  vatCents: number;
  /** Money taken (positive) or given back (negative). */
  moneyCents: number;
  prevSignature: string | null;
  /** The signing key's id (a fingerprint of its public half): a key change shows on every entry after it. */
  keyId: string;
}

export interface Entry extends EntryContent {
  /** Base64 Ed25519 signature of signedText(content). */
  signature: string;
}

/** The bytes an entry's signature covers (as UTF-8): its content and, through prevSignature, the chain before it. */
export function signedText(e: EntryContent): string {
  return canonicalJson({
    format: ENTRY_FORMAT,
    chain: e.chain,
    seq: e.seq,
    kind: e.kind,
    occurredAt: e.occurredAt,
    recordedAt: e.recordedAt,
    operator: e.operator,
    orderId: e.orderId,
    sourceKey: e.sourceKey,
    body: e.body,
    salesCents: e.salesCents,
    vatCents: e.vatCents,
    moneyCents: e.moneyCents,
    prevSignature: e.prevSignature,
    keyId: e.keyId,
  });
}

export interface Signer {
  keyId: string;
  /** The base64 signature of the text's UTF-8 bytes. */
  sign(text: string): string;
}

/** Whether `signature` is the key's over `text`; 'unknown_key' when the key is not known. */
export type SignatureCheck = (keyId: string, text: string, signature: string) => boolean | 'unknown_key';

export interface ChainHead {
  lastSeq: number;
  lastSignature: string | null;
  /** Each ticket series' last number in the chain (fiscal-tickets.ts): a shop's chain's head read from the database has them; without them nothing is numbered. */
  tickets?: TicketCounters;
}

/** What an entry says before its place in the chain is known. */
export type EntryDraft = Omit<EntryContent, 'chain' | 'seq' | 'prevSignature' | 'keyId' | 'recordedAt'>;

/** The entry that follows `head` in `chain`, signed, with the text its signature covers (signedText). */
export function signedEntry(chain: string, head: ChainHead, draft: EntryDraft, signer: Signer, recordedAt: string): { entry: Entry; text: string; head: ChainHead } {
  // a ticket (a sale, a credit note, a duplicate, a closing) takes the next number of its series,
  // when the head says where each series stands (a shop's chain's head, as the database keeps it)
  const { body, counters } = chain === JET_CHAIN || !head.tickets ? { body: draft.body, counters: head.tickets } : numbered(draft.kind, draft.body, head.tickets);
  const content: EntryContent = {
    chain, seq: head.lastSeq + 1, kind: draft.kind, occurredAt: draft.occurredAt, recordedAt, operator: draft.operator, orderId: draft.orderId,
    sourceKey: draft.sourceKey, body, salesCents: draft.salesCents, vatCents: draft.vatCents, moneyCents: draft.moneyCents,
    prevSignature: head.lastSignature, keyId: signer.keyId,
  };
  const text = signedText(content);
  const entry = { ...content, signature: signer.sign(text) };
  return { entry, text, head: { lastSeq: entry.seq, lastSignature: entry.signature, ...(counters ? { tickets: counters } : {}) } };
}

/** The entry that follows `head` in `chain`, signed. */
export function chainEntry(chain: string, head: ChainHead, draft: EntryDraft, signer: Signer, recordedAt: string): Entry {
  return signedEntry(chain, head, draft, signer, recordedAt).entry;
}

export type BreakKind = 'wrong_chain' | 'gap' | 'reordered' | 'wrong_previous' | 'unknown_key' | 'bad_signature' | 'missing_tail' | 'cut' | 'anchor_mismatch' | 'ticket_gap';

/**
 * A head a chain was seen to reach, kept where the chain's own rows cannot move it back (a signed
 * checkpoint in the JET, a line of the anchor file): the chain must still reach it, through an
 * entry with that signature. `where` names it in a report.
 */
export interface Anchor {
  seq: number;
  signature: string;
  where: string;
}

/** The first entry that breaks a chain: its number, what is wrong, in words. */
export interface ChainBreak {
  chain: string;
  seq: number;
  kind: BreakKind;
  reason: string;
}

export interface ChainReport {
  chain: string;
  /** Entries checked (up to the break, if any). */
  entries: number;
  lastSeq: number;
  /** The keys that signed the entries checked. */
  keyIds: string[];
  broken: ChainBreak | null;
}

/**
 * A chain checked entry after entry, in pages (a chain of years is read a page at a time): the first
 * break is kept and nothing after it is looked at. A reordering is told apart from a missing number
 * or a broken link by looking ahead within the page given. A part of a chain (an archive's period)
 * is checked from `from`, the entry before its first: its number and signature.
 */
export function chainVerifier(chain: string, check: SignatureCheck, from?: ChainHead, anchors: readonly Anchor[] = []) {
  const anchoredAt = new Map(anchors.map((a) => [a.seq, a]));
  // each ticket series counted from the chain's start (entries before numbering count too); a part
  // of a chain (from) takes its first number of each series as it finds it
  const series = new Map<TicketSeries, number>();
  let expected = (from?.lastSeq ?? 0) + 1;
  let prev: string | null = from?.lastSignature ?? null;
  let count = 0;
  let broken: ChainBreak | null = null;
  const keyIds = new Set<string>();
  const fail = (seq: number, kind: BreakKind, reason: string) => (broken = { chain, seq, kind, reason });

  function checkOne(page: readonly Entry[], i: number): ChainBreak | null {
    const e = page[i];
    const later = (match: (x: Entry) => boolean) => page.slice(i + 1).find(match);
    if (e.chain !== chain) return fail(e.seq, 'wrong_chain', `entry ${e.seq} belongs to chain ${e.chain}`);
    if (e.seq !== expected) {
      if (e.seq < expected) return fail(e.seq, 'reordered', `entry ${e.seq} comes again after entry ${expected - 1}: entries out of order`);
      if (later((x) => x.seq === expected)) return fail(expected, 'reordered', `entry ${expected} comes after entry ${e.seq}: entries out of order`);
      return fail(expected, 'gap', e.seq === expected + 1 ? `entry ${expected} is missing` : `entries ${expected} to ${e.seq - 1} are missing`);
    }
    if (e.prevSignature !== prev) {
      const ahead = e.prevSignature !== null && later((x) => x.signature === e.prevSignature);
      if (ahead) return fail(e.seq, 'reordered', `entry ${e.seq} follows the entry numbered ${ahead.seq} now: entries were swapped`);
      return fail(e.seq, 'wrong_previous', `entry ${e.seq} is not linked to entry ${e.seq - 1}: an entry before it was removed, replaced or inserted`);
    }
    const ok = check(e.keyId, signedText(e), e.signature);
    if (ok === 'unknown_key') return fail(e.seq, 'unknown_key', `entry ${e.seq} is signed by a key the journal does not know (${e.keyId})`);
    if (!ok) return fail(e.seq, 'bad_signature', `entry ${e.seq} does not match its signature: its content was altered`);
    const kind = ticketSeriesOf(e.kind, e.body);
    if (kind && e.chain !== JET_CHAIN) {
      const n = ticketNoOf(e.body);
      const next = (series.get(kind) ?? (from && n ? n.no - 1 : 0)) + 1;
      if (n && n.no !== next) return fail(e.seq, 'ticket_gap', `entry ${e.seq} is ${kind.replace('_', ' ')} no. ${n.no}, after no. ${next - 1}: ${n.no > next ? `${n.no === next + 1 ? `number ${next} is missing` : `numbers ${next} to ${n.no - 1} are missing`}` : 'a number came twice'}`);
      series.set(kind, next);
    }
    const anchor = anchoredAt.get(e.seq);
    if (anchor && anchor.signature !== e.signature) {
      return fail(e.seq, 'anchor_mismatch', `entry ${e.seq} is not the one anchored at that number (${anchor.where}): the chain was cut back and written again from there`);
    }
    keyIds.add(e.keyId);
    prev = e.signature;
    expected = e.seq + 1;
    count += 1;
    return null;
  }

  return {
    /** Checks the next entries, in the order given; returns the first break (this page's or an earlier one), or null. */
    add(entries: readonly Entry[]): ChainBreak | null {
      for (let i = 0; i < entries.length && !broken; i++) checkOne(entries, i);
      return broken;
    },
    /**
     * The report; with the chain's head as kept beside it, entries missing at the end are found too,
     * and with anchors, a chain that ends (head and all) before the furthest head it was seen to reach.
     */
    finish(head?: ChainHead): ChainReport {
      const furthest = anchors.reduce<Anchor | null>((a, b) => (a && a.seq >= b.seq ? a : b), null);
      if (!broken && head && head.lastSeq > expected - 1) {
        fail(expected, 'missing_tail', head.lastSeq === expected ? `entry ${expected}, the last one, is missing` : `entries ${expected} to ${head.lastSeq}, the last ones, are missing`);
      } else if (!broken && head && head.lastSeq === expected - 1 && head.lastSignature !== prev) {
        fail(expected - 1, 'bad_signature', `entry ${expected - 1}, the last one, is not the one the chain ended with: it was replaced`);
      }
      if (!broken && furthest && furthest.seq > expected - 1) {
        const missing = furthest.seq === expected ? `entry ${expected} is missing` : `entries ${expected} to ${furthest.seq} are missing`;
        fail(expected, 'cut', `the chain ends at ${expected - 1}, before the head it was seen to reach, ${furthest.seq} (${furthest.where}): ${missing}, cut from its end`);
      }
      return { chain, entries: count, lastSeq: expected - 1, keyIds: [...keyIds].sort(), broken };
    },
  };
}

/** A whole chain (or its part after `from`) checked at once (entries in the order kept). */
export function verifyChain(chain: string, entries: readonly Entry[], check: SignatureCheck, head?: ChainHead, from?: ChainHead, anchors: readonly Anchor[] = []): ChainReport {
  const v = chainVerifier(chain, check, from, anchors);
  v.add(entries);
  return v.finish(head);
}
