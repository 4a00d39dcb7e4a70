// A day's sales per VAT rate, from the fiscal journal, as France's e-reporting of B2C transactions
// asks for them (article 290 of the tax code: sales to consumers are not e-invoiced, their data
// are reported, aggregated per day): for each day and rate, the total excluding VAT, the VAT, the
// total including VAT, and how many transactions. Read from the journal's entries, never from the
// orders: what is reported is what the auditor can verify, signature by signature.
//
// What counts: a sale (its lines per rate), a correction of a sale (the difference), a cancellation
// after payment (the sale taken back), a credit note (a manager's refund: the VAT it gives back). A
// payment, a payment's correction, a cash correction, money given back with the sale's cancellation
// change no sale and no VAT: left out. Amounts including VAT are the entries' own, summed per day
// and rate, so they add up to the journal entry by entry; the VAT is then taken out once per rate
// of the day's total, as the day's closing and the takings page take it (a sum of each receipt's
// rounded VAT could differ from them by a cent).
import type { Entry, SalesKind } from './fiscal-chain.ts';
import { vatBreakdown } from './vat.ts';

/** The entries of a shop's chain that change its sales and their VAT. */
export const REPORTED_KINDS = ['sale', 'sale_correction', 'cancellation', 'refund'] as const satisfies readonly SalesKind[];

/**
 * The category of the transactions in the e-reporting's terms: TLB1 deliveries of goods subject to
 * VAT (takeaway and delivered food), TPS1 services subject to VAT (food eaten on the premises). OC
 * Pizza sells for pickup and delivery only: TLB1. (Its accountant confirms it; a shop that serves
 * at tables would report TPS1 for those.)
 */
export const EREPORTING_CATEGORY = 'TLB1';
export const CURRENCY = 'EUR';

export interface VatDayRow {
  /** The day (Paris), YYYY-MM-DD. */
  day: string;
  /** The rate in basis points (5,5 % is 550). */
  rateBp: number;
  netCents: number;
  vatCents: number;
  grossCents: number;
  /** Entries that moved this rate that day (sales, corrections, cancellations, credit notes). */
  transactions: number;
}

export interface VatDay {
  day: string;
  rates: VatDayRow[];
  netCents: number;
  vatCents: number;
  grossCents: number;
  /** Sales (receipts), credit notes, cancellations after payment, corrections of a sale. */
  counts: { sales: number; creditNotes: number; cancellations: number; corrections: number };
  /** The entries read: the first and last numbers of the chain that day (what an auditor checks against). */
  firstSeq: number | null;
  lastSeq: number | null;
}

type VatLineOfEntry = { rateBp: number; netCents: number; vatCents: number; grossCents: number };

const PARIS_DAY = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Paris', year: 'numeric', month: '2-digit', day: '2-digit' });
/** The Paris day of an instant (YYYY-MM-DD). */
export const parisDay = (iso: string): string => PARIS_DAY.format(new Date(iso));

/**
 * The day an entry counts on, as the day's takings and closing count it: its order's business day
 * (the Paris date the order was placed on: a delivery after midnight belongs to the evening it was
 * ordered), or for an entry without an order the Paris date it happened.
 */
export const entryDay = (e: Pick<Entry, 'occurredAt' | 'body'>): string => {
  const day = (e.body.order as { businessDay?: unknown } | undefined)?.businessDay;
  return typeof day === 'string' ? day : parisDay(e.occurredAt);
};

/**
 * The days' totals per rate of a chain's entries (in any order), the days in order, the rates in
 * order; a day with no reported entry is left out. `dayOf` says which day an entry belongs to
 * (entryDay by default).
 */
export function vatDays(entries: readonly Pick<Entry, 'seq' | 'kind' | 'occurredAt' | 'body'>[], dayOf: (e: Pick<Entry, 'occurredAt' | 'body'>) => string = entryDay): VatDay[] {
  const days = new Map<string, VatDay>();
  const rates = new Map<string, VatDayRow>();
  for (const e of entries) {
    if (!(REPORTED_KINDS as readonly string[]).includes(e.kind)) continue;
    const lines = ((e.body.vat ?? []) as VatLineOfEntry[]).filter((v) => v.grossCents || v.vatCents || v.netCents);
    if (!lines.length) continue;
    const day = dayOf(e);
    let d = days.get(day);
    if (!d) days.set(day, (d = { day, rates: [], netCents: 0, vatCents: 0, grossCents: 0, counts: { sales: 0, creditNotes: 0, cancellations: 0, corrections: 0 }, firstSeq: null, lastSeq: null }));
    if (e.kind === 'sale') d.counts.sales += 1;
    else if (e.kind === 'refund') d.counts.creditNotes += 1;
    else if (e.kind === 'cancellation') d.counts.cancellations += 1;
    else d.counts.corrections += 1;
    d.firstSeq = d.firstSeq === null ? e.seq : Math.min(d.firstSeq, e.seq);
    d.lastSeq = d.lastSeq === null ? e.seq : Math.max(d.lastSeq, e.seq);
    for (const v of lines) {
      const k = `${day}|${v.rateBp}`;
      let r = rates.get(k);
      if (!r) {
        rates.set(k, (r = { day, rateBp: v.rateBp, netCents: 0, vatCents: 0, grossCents: 0, transactions: 0 }));
        d.rates.push(r);
      }
      r.netCents += v.netCents;
      r.vatCents += v.vatCents;
      r.grossCents += v.grossCents;
      r.transactions += 1;
      d.netCents += v.netCents;
      d.vatCents += v.vatCents;
      d.grossCents += v.grossCents;
    }
  }
  const out = [...days.values()].sort((a, b) => a.day.localeCompare(b.day));
  for (const d of out) {
    d.rates.sort((a, b) => a.rateBp - b.rateBp);
    // VAT taken out once per rate of the day's sales, as the day's closing and the takings page do
    // (src/lib/domain/vat.ts): the three give the same VAT to the cent
    d.netCents = 0;
    d.vatCents = 0;
    for (const r of d.rates) {
      const [line] = vatBreakdown([{ rate: r.rateBp / 100, grossCents: r.grossCents }]);
      r.vatCents = line?.vatCents ?? 0;
      r.netCents = r.grossCents - r.vatCents;
      d.netCents += r.netCents;
      d.vatCents += r.vatCents;
    }
  }
  return out;
}

/** The shop as the report names it: its legal identifiers when it has them. */
export interface ReportShop {
  slug: string;
  name: string;
  siret?: string | null;
  vatNumber?: string | null;
}

/** The CSV's columns, in the e-reporting's terms (French), one row per shop, day and rate. */
export const VAT_CSV_COLUMNS = [
  'date', 'siret', 'boutique', 'devise', 'categorie_operations', 'taux_tva', 'montant_ht', 'montant_tva', 'montant_ttc', 'nombre_transactions',
] as const;

const euros = (cents: number) => (cents < 0 ? '-' : '') + (Math.abs(cents) / 100).toFixed(2);
const rateText = (bp: number) => (bp / 100).toFixed(2);
/** A text cell: quoted, and kept from running as a formula in a spreadsheet. */
const text = (s: string) => `"${(/^[\s"']*[=+\-@\t\r]/.test(s) ? `'${s}` : s).replace(/"/g, '""')}"`;

/**
 * The report as CSV: `;` between fields, a decimal point, amounts in euros with two decimals, rates
 * in percent with two decimals (5.50), UTF-8, CRLF (RFC 4180): a file a program reads the same
 * anywhere; one row per day and rate.
 */
export function vatDaysCsv(shop: ReportShop, days: readonly VatDay[]): string {
  const rows = [VAT_CSV_COLUMNS.join(';')];
  for (const d of days) {
    for (const r of d.rates) {
      rows.push([
        d.day, text(shop.siret ?? ''), text(shop.slug), CURRENCY, EREPORTING_CATEGORY, rateText(r.rateBp),
        euros(r.netCents), euros(r.vatCents), euros(r.grossCents), String(r.transactions),
      ].join(';'));
    }
  }
  return `${rows.join('\r\n')}\r\n`;
}

/** The report as JSON: per day, its rates and its counts, amounts in cents. */
export function vatDaysJson(shop: ReportShop, chain: string, from: string, to: string, days: readonly VatDay[]) {
  return {
    format: 'ocpizza-ereporting-b2c/1',
    shop: { slug: shop.slug, name: shop.name, siret: shop.siret ?? null, vatNumber: shop.vatNumber ?? null },
    chain,
    from,
    to,
    currency: CURRENCY,
    category: EREPORTING_CATEGORY,
    days: days.map((d) => ({
      date: d.day,
      transactions: d.counts.sales + d.counts.creditNotes + d.counts.cancellations + d.counts.corrections,
      counts: d.counts,
      entries: { firstSeq: d.firstSeq, lastSeq: d.lastSeq },
      netCents: d.netCents,
      vatCents: d.vatCents,
      grossCents: d.grossCents,
      rates: d.rates.map((r) => ({ rateBp: r.rateBp, netCents: r.netCents, vatCents: r.vatCents, grossCents: r.grossCents, transactions: r.transactions })),
    })),
  };
}
