// Printing an order's label (when it is ready) or its whole ticket (on demand) on its shop's
// printer, once per copy: print_jobs keeps which copies went out, so a job run twice (BullMQ is at
// least once) prints once; a failure is kept on the shop's printer status, which raises an alert on
// its kitchen and the system page until a print goes through again. The order never waits on it.
// The customer's till receipt is a copy of the sale's receipt (src/lib/server/money/receipt-issues.ts):
// the first one given out is the original, each later one a duplicate counted in the fiscal journal;
// a job tried again prints the copy it was given, never a new one.
import type { OrderView, PrinterStatus } from '../../shapes/views.ts';
import type { Db, Queryable } from '../kernel/db.ts';
import { invalid } from '../kernel/errors.ts';
import { ORDER_VIEW } from '../kernel/order-view.ts';
import { checkPrinter, type PrinterPolicy } from './address.ts';
import { orderLabel, orderTicket, receiptTicket } from './escpos.ts';
import { issuedReceiptOf } from '../money/receipt-issues.ts';
import type { FiscalKey } from '../fiscal/keys.ts';
import { PrinterError, sendToPrinter } from './printer.ts';

/** The box's label, the kitchen's ticket, the customer's till receipt. */
export type PrintKind = 'label' | 'ticket' | 'receipt';
export interface PrintJob {
  orderId: string;
  kind: PrintKind;
  /** 1 for the label printed when the order is ready; a reprint is the next copy. */
  copy: number;
  /** Who asked (role:id), for a receipt's copy in the fiscal journal. */
  requestedBy?: string;
}

/** Why a till receipt's print job did not print: its sale is not in the journal (not the printer's fault). */
const NOT_SOLD = 'the sale is not in the fiscal journal';

/** A till receipt asked of the shop's printer, as the screen that asked follows it. */
export interface ReceiptPrint {
  /** The print job's copy (what POST /api/orders/:id/receipt/print answered). */
  copy: number;
  /** waiting: not taken by the workers yet; failed: the printer did not print it (tried again by itself); not_sold: no sale to print. */
  state: 'waiting' | 'printing' | 'printed' | 'failed' | 'not_sold';
  /** Why the printer failed, in the screens' terms (PrinterStatus.code). */
  problem: PrinterStatus['code'];
  /** Which copy of the receipt it is: 0 the original ("Ticket"), k "DUPLICATA n° k"; null until given out. */
  receiptCopy: number | null;
}

/**
 * An order's till receipts: how many copies were given out in any form (so a screen can say whether
 * the next print is the original or a duplicate), and its printed ones, oldest first.
 */
export async function receiptPrintsOf(q: Queryable, orderId: string): Promise<{ copiesGiven: number; prints: ReceiptPrint[] }> {
  const [{ rows: given }, { rows }] = await Promise.all([
    q.query<{ n: number }>('SELECT count(*)::int AS n FROM receipt_issues WHERE order_id = $1', [orderId]),
    q.query<{ copy: number; status: string; last_error: string | null; receipt_copy: number | null; printer_ok: boolean | null; code: PrinterStatus['code'] }>(
      `SELECT j.copy, j.status, j.last_error, r.copy AS receipt_copy, s.ok AS printer_ok, s.code
       FROM print_jobs j JOIN orders o ON o.id = j.order_id
       LEFT JOIN receipt_issues r ON r.print_job_id = j.id
       LEFT JOIN printer_status s ON s.pizzeria_id = o.pizzeria_id
       WHERE j.order_id = $1 AND j.kind = 'receipt' ORDER BY j.copy`,
      [orderId],
    ),
  ]);
  return {
    copiesGiven: given[0].n,
    prints: rows.map((r) => {
      const state = r.status === 'failed' && r.last_error === NOT_SOLD ? 'not_sold' : (r.status as ReceiptPrint['state']);
      return { copy: r.copy, state, problem: state === 'failed' ? (r.printer_ok === false && r.code) || 'unreachable' : null, receiptCopy: r.receipt_copy };
    }),
  };
}

/** A shop's printer as last found: null while it has never printed (or has no printer). */
export async function printerStatusOf(q: Queryable, pizzeriaId: number): Promise<PrinterStatus | null> {
  const { rows } = await q.query(
    `SELECT s.pizzeria_id, s.ok, s.code, s.error, s.since FROM printer_status s JOIN pizzerias p ON p.id = s.pizzeria_id
     WHERE s.pizzeria_id = $1 AND p.printer_host IS NOT NULL`,
    [pizzeriaId],
  );
  const r = rows[0];
  return r ? { pizzeriaId: r.pizzeria_id, ok: r.ok, code: r.code, error: r.error, since: new Date(r.since).toISOString() } : null;
}

/** The shops whose printer failed last time (the system page lists them). */
export async function failingPrinters(q: Queryable): Promise<(PrinterStatus & { name: string })[]> {
  const { rows } = await q.query(
    `SELECT s.pizzeria_id, p.name, s.code, s.error, s.since FROM printer_status s JOIN pizzerias p ON p.id = s.pizzeria_id
     WHERE NOT s.ok AND p.printer_host IS NOT NULL ORDER BY s.since`,
  );
  return rows.map((r) => ({ pizzeriaId: r.pizzeria_id, name: r.name, ok: false, code: r.code, error: r.error, since: new Date(r.since).toISOString() }));
}

/** Keeps the shop's printer status; a change (working again, failing, another reason) tells its screens. */
async function setStatus(db: Db, pizzeriaId: number, ok: boolean, error: string | null, code: string | null = null) {
  await db.query(
    `WITH before AS (SELECT ok, error FROM printer_status WHERE pizzeria_id = $1),
          kept AS (
            INSERT INTO printer_status (pizzeria_id, ok, error, code) VALUES ($1, $2, $3, $4)
            ON CONFLICT (pizzeria_id) DO UPDATE SET ok = EXCLUDED.ok, error = EXCLUDED.error, code = EXCLUDED.code, updated_at = now(),
              since = CASE WHEN printer_status.ok = EXCLUDED.ok THEN printer_status.since ELSE now() END
            RETURNING 1)
     SELECT pg_notify('printer_changed', $1::text) FROM kept
     WHERE NOT EXISTS (SELECT 1 FROM before WHERE before.ok = $2 AND before.error IS NOT DISTINCT FROM $3)`,
    [pizzeriaId, ok, error, code],
  );
}

/**
 * Prints one copy. 'no_printer': the shop has none (nothing to do); 'already': this copy went out
 * before. A printer that fails throws (the job tries again later) after recording why.
 */
export async function printOrder(
  db: Db,
  job: PrintJob,
  opts: { origin: string; timeoutMs: number; policy?: PrinterPolicy; key?: FiscalKey },
): Promise<'printed' | 'no_printer' | 'already' | 'not_sold'> {
  // most shops have no printer: asked first, in one light read, before the order is built
  const { rows: shop } = await db.query({
    name: 'print-shop-has-printer',
    text: 'SELECT 1 FROM orders o JOIN pizzerias p ON p.id = o.pizzeria_id WHERE o.id = $1 AND p.printer_host IS NOT NULL',
    values: [job.orderId],
  });
  if (!shop.length) return 'no_printer';
  const { rows } = await db.query<{ view: OrderView; token: string; host: string | null; port: number; cross_contact: string | null }>(
    `SELECT ${ORDER_VIEW} AS view, o.tracking_token AS token, p.printer_host AS host, p.printer_port AS port, p.cross_contact_fr AS cross_contact
     FROM orders o JOIN pizzerias p ON p.id = o.pizzeria_id WHERE o.id = $1`,
    [job.orderId],
  );
  const found = rows[0];
  if (!found?.host) return 'no_printer';
  const { rows: claimed } = await db.query(
    `INSERT INTO print_jobs (order_id, kind, copy) VALUES ($1, $2, $3)
     ON CONFLICT (order_id, kind, copy) DO UPDATE SET attempts = print_jobs.attempts + 1, status = 'printing'
       WHERE print_jobs.status <> 'printed'
     RETURNING id`,
    [job.orderId, job.kind, job.copy],
  );
  if (!claimed.length) return 'already';
  let doc: Buffer;
  if (job.kind === 'receipt') {
    if (!opts.key) throw new Error('printing a receipt needs the fiscal key');
    const issued = await issuedReceiptOf(db, opts.key, job.orderId, 'fr', { form: 'printed', requestedBy: job.requestedBy ?? 'system', printJobId: claimed[0].id });
    if (issued?.kind === 'summary' && issued.receipt.training) doc = receiptTicket({ ...issued.receipt, training: true });
    else if (issued?.kind !== 'ticket') {
      // not sold (yet): no till receipt to print, and nothing wrong with the printer
      await db.query(`UPDATE print_jobs SET status = 'failed', last_error = $2 WHERE id = $1`, [claimed[0].id, NOT_SOLD]);
      return 'not_sold';
    } else doc = receiptTicket(issued.receipt);
  } else doc = job.kind === 'label' ? orderLabel(found.view, `${opts.origin}/track/${found.token}`, found.cross_contact) : orderTicket(found.view);
  try {
    await sendToPrinter(found.host, found.port, doc, opts.timeoutMs, { policy: opts.policy });
  } catch (err) {
    const reason = (err as Error).message;
    await db.query(`UPDATE print_jobs SET status = 'failed', last_error = $2 WHERE id = $1`, [claimed[0].id, reason]);
    await setStatus(db, found.view.pizzeriaId, false, reason, err instanceof PrinterError ? err.code : 'unreachable');
    throw err;
  }
  await db.query(`UPDATE print_jobs SET status = 'printed', printed_at = now(), last_error = NULL WHERE id = $1`, [claimed[0].id]);
  await setStatus(db, found.view.pizzeriaId, true, null);
  return 'printed';
}

/**
 * Sets (or removes, with a null host) a shop's printer; its old status goes with the old printer. An
 * address the workers would refuse to reach (address.ts) is refused here, field by field, and nothing changes.
 */
export async function setPrinter(
  db: Db,
  pizzeriaId: number,
  printer: { host: string | null; port: number },
  policy: PrinterPolicy,
): Promise<{ host: string | null; port: number }> {
  if (printer.host !== null) {
    const checked = await checkPrinter(printer.host, printer.port, policy);
    if (!checked.ok) throw invalid(checked.refusal as Record<string, string>, 'this printer address is not allowed');
  }
  const { rows } = await db.query<{ host: string | null; port: number; changed: boolean }>(
    `WITH old AS (SELECT printer_host, printer_port FROM pizzerias WHERE id = $1)
     UPDATE pizzerias p SET printer_host = $2, printer_port = $3 FROM old WHERE p.id = $1
     RETURNING p.printer_host AS host, p.printer_port AS port,
       (old.printer_host IS DISTINCT FROM $2 OR old.printer_port <> $3) AS changed`,
    [pizzeriaId, printer.host, printer.port],
  );
  if (rows[0]?.changed) await db.query('DELETE FROM printer_status WHERE pizzeria_id = $1', [pizzeriaId]);
  return { host: rows[0]?.host ?? null, port: rows[0]?.port ?? printer.port };
}

/** A shop's printer, if it has one. */
export async function printerOf(q: Queryable, pizzeriaId: number): Promise<{ host: string; port: number } | null> {
  const { rows } = await q.query<{ host: string | null; port: number }>('SELECT printer_host AS host, printer_port AS port FROM pizzerias WHERE id = $1', [pizzeriaId]);
  return rows[0]?.host ? { host: rows[0].host, port: rows[0].port } : null;
}

/** The next copy of an order's label or ticket, for a reprint (at most 20 of each). */
export async function nextCopy(q: Queryable, orderId: string, kind: PrintKind): Promise<number> {
  const { rows } = await q.query<{ n: number }>('SELECT coalesce(max(copy), 0)::int + 1 AS n FROM print_jobs WHERE order_id = $1 AND kind = $2', [orderId, kind]);
  return rows[0].n;
}

/** The shops with a printer (most have none). */
export async function shopsWithPrinters(q: Queryable): Promise<Set<number>> {
  const { rows } = await q.query<{ id: number }>({ name: 'shops-with-printers', text: 'SELECT id FROM pizzerias WHERE printer_host IS NOT NULL' });
  return new Set(rows.map((r) => r.id));
}
