// A shop's payroll for a period as a CSV file for a spreadsheet (src/lib/server/staff/driver-pay.ts): one
// row per driver with the period and the shop, so periods and shops exported one after the other
// stack into one table. Written as the takings' file is (src/lib/server/money/takings-csv.ts): `;`
// and a decimal comma in French, `,` and a decimal point in English, a byte order mark, CRLF, every
// text cell quoted and kept from running as a formula.
import type { Locale } from '../../i18n/index.ts';
import type { PayrollRow } from './driver-pay.ts';
import { csvEuros, csvFile, csvFormat, csvText } from '../money/takings-csv.ts';

type Translate = (key: string, vars?: Record<string, unknown>) => string;

export const PAYROLL_COLUMNS = ['from', 'to', 'shop', 'driver', 'hours', 'deliveries', 'km', 'cardTips', 'cashTips', 'pay', 'payAndTips'] as const;

export function payrollCsv(p: { shop: { name: string }; from: string; to: string; rows: readonly PayrollRow[] }, locale: Locale, t: Translate): string {
  const { separator, decimal } = csvFormat(locale);
  const number = (n: number) => n.toFixed(2).replace('.', decimal);
  const euros = (cents: number) => csvEuros(cents, decimal);
  const header = PAYROLL_COLUMNS.map((k) => csvText(t(`driverPay.csv.${k}`)));
  const rows = p.rows.map((r) => [
    p.from, p.to, csvText(p.shop.name), csvText(r.name),
    number(r.hours), String(r.deliveries), number(r.km),
    euros(r.cardTipsCents), euros(r.cashTipsCents), euros(r.payCents), euros(r.totalCents),
  ]);
  return csvFile([header, ...rows], separator);
}
