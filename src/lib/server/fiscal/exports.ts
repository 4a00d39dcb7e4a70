// The daily export of a shop's sales per VAT rate for France's e-reporting of B2C transactions
// (src/lib/domain/vat-report.ts), read from the shop's fiscal chain, as CSV or JSON: downloaded from
// the back office (/manager/fiscal/exports) or made by `npm run fiscal:export`. Each export is a
// technical event (JET `export`) with what it covered and the SHA-256 of the file given out, so the
// file an accountant sends can be matched with the journal later.
import { createHash, randomUUID } from 'node:crypto';
import { shopChain, type Entry } from '../../domain/fiscal-chain.ts';
import { can, may } from '../../domain/permissions.ts';
import { REPORTED_KINDS, vatDays, vatDaysCsv, vatDaysJson, type ReportShop, type VatDay } from '../../domain/vat-report.ts';
import type { Db, Queryable } from '../kernel/db.ts';
import { AppError, forbidden, notFound } from '../kernel/errors.ts';
import { canActOnShop, type StaffActor } from '../kernel/actors.ts';
import { appendJet } from './jet.ts';
import { entryOf } from './journal.ts';
import { signingKey } from './corrections.ts';

export const EXPORT_FORMATS = ['csv', 'json'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];
/** The longest period one export covers (a quarter and a bit: the e-reporting's periods are ten days or a month). */
export const MAX_EXPORT_DAYS = 93;

export interface VatReport {
  shop: ReportShop & { id: number };
  chain: string;
  from: string;
  to: string;
  days: VatDay[];
}

/**
 * The shop as the report names it. Its legal identifiers (SIRET, VAT number) are read when the shop
 * has them (columns siret and vat_number of pizzerias, when they exist), empty otherwise.
 */
async function reportShop(q: Queryable, shopId: number): Promise<VatReport['shop'] | null> {
  const { rows } = await q.query<{ id: number; slug: string; name: string; siret: string | null; vat_number: string | null }>(
    `SELECT p.id, p.slug, p.name, to_jsonb(p)->>'siret' AS siret, to_jsonb(p)->>'vat_number' AS vat_number FROM pizzerias p WHERE p.id = $1`,
    [shopId],
  );
  const r = rows[0];
  return r ? { id: r.id, slug: r.slug, name: r.name, siret: r.siret, vatNumber: r.vat_number } : null;
}

/** Days from `from` to `to` (Paris dates), both included. */
export function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000) + 1;
}

function checkPeriod(from: string, to: string) {
  const n = daysBetween(from, to);
  if (!(n >= 1)) throw new AppError(422, 'period_reversed', 'the period ends before it starts', { fields: { to: 'the period ends before it starts' } });
  if (n > MAX_EXPORT_DAYS) throw new AppError(422, 'period_too_long', `at most ${MAX_EXPORT_DAYS} days at a time`, { fields: { to: `at most ${MAX_EXPORT_DAYS} days` } });
}

/** The shop's sales per day and VAT rate from `from` to `to` (Paris dates, included), from its chain. */
export async function vatReport(q: Queryable, shopId: number, from: string, to: string): Promise<VatReport> {
  checkPeriod(from, to);
  const shop = await reportShop(q, shopId);
  if (!shop) throw notFound('shop');
  const chain = shopChain(shopId);
  const { rows } = await q.query(
    // the entry's day as entryDay says (its order's business day, else the Paris date it happened)
    `SELECT * FROM fiscal_entries WHERE chain = $1 AND kind = ANY($2)
       AND coalesce((body->'order'->>'businessDay')::date, (occurred_at AT TIME ZONE 'Europe/Paris')::date) BETWEEN $3::date AND $4::date
     ORDER BY seq`,
    [chain, [...REPORTED_KINDS], from, to],
  );
  return { shop, chain, from, to, days: vatDays(rows.map(entryOf)) };
}

export interface VatExport {
  filename: string;
  contentType: string;
  content: string;
  sha256: string;
  report: VatReport;
  /** The JET's `export` event. */
  event: Entry;
}

/** The report as a file: CSV (one row per day and rate) or JSON. */
export function vatExportFile(report: VatReport, format: ExportFormat): { filename: string; contentType: string; content: string } {
  const base = `ereporting-b2c-${report.shop.slug}-${report.from}${report.to === report.from ? '' : `_${report.to}`}`;
  return format === 'csv'
    ? { filename: `${base}.csv`, contentType: 'text/csv; charset=utf-8', content: vatDaysCsv(report.shop, report.days) }
    : { filename: `${base}.json`, contentType: 'application/json; charset=utf-8', content: `${JSON.stringify(vatDaysJson(report.shop, report.chain, report.from, report.to, report.days), null, 2)}\n` };
}

/**
 * Exports a shop's days for e-reporting: a shop's managers their shop, head office any (an actor),
 * or the command line (`system`). The JET gets an `export` event first; the file is given out after.
 */
export async function exportVat(db: Db, by: StaffActor | 'system', shopId: number, from: string, to: string, format: ExportFormat): Promise<VatExport> {
  if (by !== 'system' && (!may(by.role, can.runShop) || !canActOnShop(by, shopId))) throw forbidden('not your shop');
  const report = await vatReport(db, shopId, from, to);
  const file = vatExportFile(report, format);
  const sha256 = createHash('sha256').update(file.content, 'utf8').digest('hex');
  const key = await signingKey(db);
  const event = await appendJet(db, key, {
    kind: 'export',
    // every export is an event of its own, the same period exported twice too
    sourceKey: `export:ereporting-b2c:${report.chain}:${from}:${to}:${format}:${randomUUID()}`,
    operator: by === 'system' ? 'system' : `${by.role}:${by.id}`,
    body: {
      what: 'ereporting-b2c',
      chain: report.chain,
      shop: report.shop.slug,
      from,
      to,
      format,
      filename: file.filename,
      days: report.days.length,
      entries: report.days.reduce((n, d) => n + d.counts.sales + d.counts.creditNotes + d.counts.cancellations + d.counts.corrections, 0),
      grossCents: report.days.reduce((n, d) => n + d.grossCents, 0),
      vatCents: report.days.reduce((n, d) => n + d.vatCents, 0),
      sha256,
    },
  });
  if (!event) throw new Error('the export event was not written');
  return { ...file, sha256, report, event };
}
