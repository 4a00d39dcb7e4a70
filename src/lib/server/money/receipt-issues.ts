// Receipts as the fiscal journal knows them. A receipt is a fiscal ticket only once its sale is an
// entry of the shop's chain: its number is the sale entry's number there, its date the sale's, and
// it prints 4 characters of the entry's signature (receipt-mentions.ts). Before that, what the
// customer sees is a summary of the order, never a ticket.
//
// One original per sale, whatever its form: the first copy given out (the ticket printed at the
// counter, or the first time the receipt page or its PDF is shown). Every copy after it is a
// duplicate, "DUPLICATA n° k", k counting that sale's duplicates in every form, and each one is an
// entry of kind `duplicate` in the shop's chain, numbered in the same transaction as k (the chain's
// head locked). A screen's copy shown again to the same person within SAME_SCREEN_COPY_MINUTES is
// the same copy (a refresh, the PDF of the page just read): not counted again, so reloading a page
// cannot fill the journal. A printed ticket is paper: each copy after the first is a duplicate.
import pkg from '../../../../package.json' with { type: 'json' };
import { isoTime, shopChain, type Entry } from '../../domain/fiscal-chain.ts';
import { sqlList } from '../../domain/order-states.ts';
import { checkLegalMentions, SAME_SCREEN_COPY_MINUTES, SCREEN_FORMS, shortSignature, type LegalMentions, type ReceiptForm, type ReceiptStamp, type Software } from '../../domain/receipt-mentions.ts';
import type { Locale } from '../../i18n/index.ts';
import { audit } from '../kernel/audit.ts';
import { config, type Config } from '../kernel/config.ts';
import { transaction, type Db, type Queryable } from '../kernel/db.ts';
import { forbidden, invalid, notFound } from '../kernel/errors.ts';
import type { StaffActor } from '../kernel/actors.ts';
import { receiptOf, type NoReceipt, type Receipt } from './receipts.ts';
import { appendJetIn } from '../fiscal/jet.ts';
import { appendEntries, lockChain } from '../fiscal/journal.ts';
import { fiscalKey, type FiscalKey } from '../fiscal/keys.ts';
import { journalOrders } from '../fiscal/order-facts.ts';
import { runsChain } from '../../domain/permissions.ts';

/** The software every receipt names (package.json). */
export const SOFTWARE: Software = { name: pkg.name, version: pkg.version };

let serverKey: FiscalKey | null = null;
/** The install's fiscal key, read once per process (the same one the workers sign with). */
export function receiptKey(settings: Pick<Config, 'NODE_ENV' | 'FISCAL_SIGNING_KEY' | 'FISCAL_KEY_FILE'> = config()): FiscalKey {
  return (serverKey ??= fiscalKey(settings));
}

/** Who asked for a copy: a member of staff (role:id) or the customer (the holder of the tracking link). */
export const requesterOf = (user: { id: number; role: string } | null | undefined): string => (user ? `${user.role}:${user.id}` : 'customer');

interface SaleRow {
  chain: string;
  seq: number;
  /** Its number among the shop's sales tickets (fiscal-tickets.ts; its place in the chain for a sale written before). */
  ticket: number;
  signature: string;
  occurred_at: Date;
}

/** The sale entry of an order (its first), if the journal has it. */
async function saleEntryOf(q: Queryable, orderId: string): Promise<SaleRow | null> {
  const { rows } = await q.query<SaleRow>(
    `SELECT chain, seq, coalesce((body->'numbered'->>'no')::bigint, seq) AS ticket, signature, occurred_at FROM fiscal_entries WHERE order_id = $1 AND kind = 'sale' ORDER BY seq LIMIT 1`,
    [orderId],
  );
  return rows[0] ?? null;
}

export interface IssueRequest {
  form: ReceiptForm;
  /** requesterOf(user). */
  requestedBy: string;
  /** The print job the copy is printed by: a job tried again gives out the same copy. */
  printJobId?: number;
}

/**
 * Gives out a copy of an order's receipt: the original the first time, else the next duplicate,
 * counted in the journal; the same copy again when it is a screen's copy shown again soon after to
 * the same person, or the same print job tried again. Null when the sale is not in the journal.
 */
export async function issueReceipt(db: Db, key: FiscalKey, orderId: string, req: IssueRequest): Promise<ReceiptStamp | null> {
  return transaction(db, async (tx) => {
    const sale = await saleEntryOf(tx, orderId);
    if (!sale) return null;
    // the chain's head first: two copies asked at once are numbered one after the other
    const head = await lockChain(tx, sale.chain);
    const stamp = (copy: number, issuedAt: Date | string, duplicateSeq: number | null): ReceiptStamp => ({
      chain: sale.chain, ticket: Number(sale.ticket), soldAt: isoTime(sale.occurred_at), shortSignature: shortSignature(sale.signature),
      copy, issuedAt: isoTime(issuedAt), duplicateSeq: duplicateSeq === null ? null : Number(duplicateSeq),
    });
    type IssueRow = { copy: number; issued_at: Date; duplicate_seq: number | null };
    if (req.printJobId !== undefined) {
      const { rows } = await tx.query<IssueRow>('SELECT copy, issued_at, duplicate_seq FROM receipt_issues WHERE print_job_id = $1', [req.printJobId]);
      if (rows[0]) return stamp(rows[0].copy, rows[0].issued_at, rows[0].duplicate_seq);
    }
    if (req.form !== 'printed') {
      const { rows } = await tx.query<IssueRow>(
        `SELECT copy, issued_at, duplicate_seq FROM receipt_issues
         WHERE order_id = $1 AND requested_by = $2 AND form IN (${sqlList(SCREEN_FORMS)}) AND issued_at > now() - make_interval(mins => $3)
         ORDER BY copy DESC LIMIT 1`,
        [orderId, req.requestedBy, SAME_SCREEN_COPY_MINUTES],
      );
      if (rows[0]) return stamp(rows[0].copy, rows[0].issued_at, rows[0].duplicate_seq);
    }
    const { rows: last } = await tx.query<{ n: number | null }>('SELECT max(copy) AS n FROM receipt_issues WHERE order_id = $1', [orderId]);
    const copy = last[0].n === null ? 0 : last[0].n + 1;
    const now = new Date();
    let entry: Entry | null = null;
    if (copy > 0) {
      ({ entries: [entry] } = await appendEntries(tx, sale.chain, head, [{
        kind: 'duplicate',
        sourceKey: `duplicate:${orderId}:${copy}`,
        occurredAt: isoTime(now),
        operator: req.requestedBy,
        orderId,
        body: { ref: { chain: sale.chain, seq: Number(sale.seq) }, ticket: Number(sale.ticket), copy, form: req.form, requestedBy: req.requestedBy },
        salesCents: 0,
        vatCents: 0,
        moneyCents: 0,
      }], key));
    }
    await tx.query(
      'INSERT INTO receipt_issues (order_id, copy, form, requested_by, print_job_id, duplicate_seq, issued_at) VALUES ($1, $2, $3, $4, $5, $6, $7)',
      [orderId, copy, req.form, req.requestedBy, req.printJobId ?? null, entry?.seq ?? null, now],
    );
    return stamp(copy, now, entry?.seq ?? null);
  });
}

/**
 * Writes into the journal what the order's money says and the journal lacks (the workers do it
 * from the order's events; a receipt asked for before they did must not wait for them), with the
 * actor of its last event as the operator, as the workers would.
 */
async function journalOrderNow(db: Db, key: FiscalKey, orderId: string): Promise<void> {
  const { rows } = await db.query<{ actor: string | null }>('SELECT actor FROM order_events WHERE order_id = $1 ORDER BY id DESC LIMIT 1', [orderId]);
  const actor = rows[0]?.actor;
  await journalOrders(db, key, [orderId], actor ? new Map([[orderId, actor]]) : new Map());
}

export type IssuedReceipt =
  /** A fiscal receipt: the sale is in the journal; `receipt.stamp` says which copy. */
  | { kind: 'ticket'; receipt: Receipt & { stamp: ReceiptStamp } }
  /** Not (yet) a ticket: what the order is, as a summary. */
  | { kind: 'summary'; receipt: Receipt; why: NoReceipt | 'training' }
  /** Cancelled with nothing ever taken: nothing to show but that. */
  | { kind: 'none'; why: NoReceipt };

/** An order's receipt in one of its forms, given out as a copy (issueReceipt) once its sale is in the journal. */
export async function issuedReceiptOf(db: Db, key: FiscalKey, orderId: string, locale: Locale, req: IssueRequest): Promise<IssuedReceipt | null> {
  await journalOrderNow(db, key, orderId);
  const found = await receiptOf(db, orderId, locale, { summary: true });
  if (!found) return null;
  if (!found.receipt) return { kind: 'none', why: found.none };
  // a training shop's: FACTICE, never a fiscal ticket, never a copy counted in the journal
  if (found.receipt.training) return { kind: 'summary', receipt: found.receipt, why: 'training' };
  const stamp = found.paid ? await issueReceipt(db, key, orderId, req) : null;
  if (!stamp) return { kind: 'summary', receipt: found.receipt, why: 'not_paid' };
  return { kind: 'ticket', receipt: { ...found.receipt, stamp, software: SOFTWARE } };
}

/** The copies of an order's receipt given out so far, oldest first (what a manager or an auditor asks). */
export async function receiptCopies(q: Queryable, orderId: string): Promise<{ copy: number; form: ReceiptForm; requestedBy: string; duplicateSeq: number | null; issuedAt: string }[]> {
  const { rows } = await q.query('SELECT copy, form, requested_by, duplicate_seq, issued_at FROM receipt_issues WHERE order_id = $1 ORDER BY copy', [orderId]);
  return rows.map((r) => ({ copy: r.copy, form: r.form, requestedBy: r.requested_by, duplicateSeq: r.duplicate_seq === null ? null : Number(r.duplicate_seq), issuedAt: isoTime(r.issued_at) }));
}

/** A shop's legal mentions as its receipts print them (null fields: not set yet). */
export async function legalMentionsOf(q: Queryable, pizzeriaId: number): Promise<{ legalName: string | null; siret: string | null; vatNumber: string | null } | null> {
  const { rows } = await q.query('SELECT legal_name, siret, vat_number FROM pizzerias WHERE id = $1', [pizzeriaId]);
  return rows[0] ? { legalName: rows[0].legal_name, siret: rows[0].siret, vatNumber: rows[0].vat_number } : null;
}

/**
 * Head office sets a shop's legal mentions; each field checked (the SIRET's key, the VAT number the
 * SIREN's), audited, and a change written to the technical events journal (a fiscal setting changed).
 */
export async function setLegalMentions(db: Db, key: FiscalKey, actor: StaffActor, pizzeriaId: number, raw: LegalMentions): Promise<LegalMentions> {
  if (!runsChain(actor)) throw forbidden("head office keeps the shops' legal mentions");
  const checked = checkLegalMentions(raw);
  if (!checked.ok) throw invalid(checked.problems as Record<string, string>, 'these legal mentions are not valid');
  return transaction(db, async (tx) => {
    const before = await legalMentionsOf(tx, pizzeriaId);
    if (!before) throw notFound('pizzeria');
    const v = checked.value;
    await tx.query('UPDATE pizzerias SET legal_name = $2, siret = $3, vat_number = $4 WHERE id = $1', [pizzeriaId, v.legalName, v.siret, v.vatNumber]);
    await audit(tx, actor, { action: 'shop.legal', entity: 'shop', entityId: pizzeriaId, pizzeriaId, before, after: v });
    if (before.legalName !== v.legalName || before.siret !== v.siret || before.vatNumber !== v.vatNumber) {
      const at = isoTime(Date.now());
      await appendJetIn(tx, key, {
        kind: 'setting_change',
        sourceKey: `setting:shop:${pizzeriaId}:legal:${at}`,
        operator: `${actor.role}:${actor.id}`,
        occurredAt: at,
        body: { setting: 'shop.legal', chain: shopChain(pizzeriaId), before, after: { ...v } },
      });
    }
    return v;
  });
}

