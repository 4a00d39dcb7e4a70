// The day's takings as a CSV file for a spreadsheet: one row per shop (and a last row with the
// chain's total when every shop is asked), one column per figure, so days exported one after the
// other stack into one table an accountant sums and pivots. In French (the default): `;` between
// fields and a decimal comma, as a French spreadsheet reads them; in English: `,` and a decimal
// point. UTF-8 with a byte order mark (so Excel reads the accents), CRLF line ends (RFC 4180),
// every text cell quoted (so neither `;` nor `,` in a name splits it, in either spreadsheet), and a
// text that starts like a formula (= + - @ tab CR, even behind spaces or quotes) prefixed with an
// apostrophe, so a spreadsheet does not run it.
import { PAYMENT_WAYS } from '../../domain/payment-split.ts';
import type { Locale } from '../../i18n/index.ts';
import type { DayTakings, TakingsFigures } from './takings.ts';

/** The rates order lines may carry (db/migrations/0023): one pair of columns each. */
export const VAT_RATES = [5.5, 10, 20] as const;

/** What a spreadsheet may run as a formula, also behind leading spaces or quotes. */
const FORMULA_START = /^[\s"']*[=+\-@\t\r]/;

type Translate = (key: string, vars?: Record<string, unknown>) => string;

/**
 * A text cell: always quoted, whatever the separator (a file saved in one language may be opened by
 * a spreadsheet set for the other, which splits on the other separator outside quotes), and kept
 * from running as a formula.
 */
export function csvText(s: string): string {
  const safe = FORMULA_START.test(s) ? `'${s}` : s;
  return `"${safe.replace(/"/g, '""')}"`;
}

export function csvFormat(locale: Locale) {
  return locale === 'fr' ? { separator: ';', decimal: ',' } : { separator: ',', decimal: '.' };
}

/** Cents as euros with two decimals and the locale's decimal mark, no thousands separator. */
export const csvEuros = (cents: number, decimal: string) => (cents < 0 ? '-' : '') + (Math.abs(cents) / 100).toFixed(2).replace('.', decimal);

/** The file: a byte order mark, then the rows (cells already written) joined by the separator, CRLF after each. */
export const csvFile = (rows: readonly (readonly string[])[], separator: string) => '\uFEFF' + rows.map((r) => r.join(separator)).join('\r\n') + '\r\n';

/**
 * `platforms`: the delivery platforms (id, label), each with its columns (its orders' sales, its
 * commission, what it owes the shop), so days stack; by default those the day had orders from.
 */
export function takingsCsv(day: DayTakings, locale: Locale, t: Translate, platforms?: readonly { id: string; label: string }[]): string {
  const mkts = platforms ?? day.total.platforms.map((p) => ({ id: p.marketplace, label: p.marketplace }));
  const { separator, decimal } = csvFormat(locale);
  const euros = (cents: number) => csvEuros(cents, decimal);
  const rate = (r: number) => String(r).replace('.', decimal);
  const text = csvText;
  const header = [
    t('takings.csv.date'),
    t('takings.csv.shop'),
    ...PAYMENT_WAYS.map((w) => t(`takings.way.${w}`)),
    t('takings.totalTaken'),
    t('takings.onlineRefunds'),
    t('takings.shopRefunds'),
    t('takings.net'),
    t('takings.held'),
    t('takings.csv.paidOrders'),
    t('takings.csv.cancelledOrders'),
    t('takings.averageTicket'),
    t('takings.sales'),
    t('takings.deliveryFees'),
    ...VAT_RATES.flatMap((r) => [t('takings.csv.net', { rate: rate(r) }), t('takings.csv.vat', { rate: rate(r) })]),
    // the managers' refunds granted on the day's orders, the sales they leave, and the VAT they give back per rate
    t('takings.csv.granted'),
    t('takings.csv.netSales'),
    ...VAT_RATES.map((r) => t('takings.csv.refundVat', { rate: rate(r) })),
    // promo codes: the sales before their discounts, the discounts, the orders that had one (the sales above are net of them)
    t('promo.takings.grossSales'),
    t('promo.takings.discounts'),
    t('promo.takings.discountedOrders'),
    ...mkts.flatMap((m) => ['sales', 'commission', 'due'].map((k) => t(`platforms.takings.csv.${k}`, { platform: m.label }))),
    // the drivers' tips, apart (never in the sales above): by card, collected for them; in cash, declared
    t('tips.takings.card'),
    t('tips.takings.cash'),
  ];
  const row = (shop: string, f: TakingsFigures & Pick<DayTakings['total'], 'platforms'> & { tips?: DayTakings['total']['tips'] }) => [
    day.date,
    text(shop),
    ...PAYMENT_WAYS.map((w) => euros(f.takenCents[w])),
    euros(f.totalTakenCents),
    euros(f.refunds.onlineCents),
    euros(f.refunds.shopCents),
    euros(f.netCents),
    euros(f.heldCents),
    String(f.orders.paid),
    String(f.orders.cancelled),
    euros(f.averageTicketCents),
    euros(f.salesCents),
    euros(f.deliveryFeesCents),
    ...VAT_RATES.flatMap((r) => {
      const line = f.vat.find((v) => v.rate === r);
      return [euros(line?.netCents ?? 0), euros(line?.vatCents ?? 0)];
    }),
    euros(f.granted.cents),
    euros(f.netSalesCents),
    ...VAT_RATES.map((r) => euros(f.granted.vat.find((v) => v.rate === r)?.vatCents ?? 0)),
    euros(f.discounts.grossSalesCents),
    euros(f.discounts.cents),
    String(f.discounts.count),
    ...mkts.flatMap((m) => {
      const p = f.platforms.find((x) => x.marketplace === m.id);
      return [euros(p?.salesCents ?? 0), euros(p?.commissionCents ?? 0), euros(p?.dueCents ?? 0)];
    }),
    euros(f.tips?.cardCents ?? 0),
    euros(f.tips?.cashCents ?? 0),
  ];
  const rows = [header.map(text), ...day.shops.map((s) => row(s.shop.name, s))];
  if (day.shops.length > 1) rows.push(row(t('takings.chainTotal'), day.total));
  return csvFile(rows, separator);
}
