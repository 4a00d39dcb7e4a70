// A day's speed of service as a CSV file for a spreadsheet: one row per group (the shop, each hour,
// each station, each product) and stage, with the number of orders, the median, the 90th percentile
// and the target in minutes, and how many orders took longer than the target. The same format as
// the takings' file (src/lib/server/money/takings-csv.ts): `;` and a decimal comma in French, `,` and a
// point in English, every text cell quoted and kept from running as a formula.
import { SERVICE_STAGES, type StageFigures } from '../../domain/speed-of-service.ts';
import type { Locale } from '../../i18n/index.ts';
import { csvFormat, csvText } from '../money/takings-csv.ts';
import type { DaySpeed } from './speed.ts';

type Translate = (key: string, vars?: Record<string, unknown>) => string;

export function speedCsv(day: DaySpeed, locale: Locale, t: Translate): string {
  const { separator, decimal } = csvFormat(locale);
  const minutes = (s: number | null) => (s === null ? '' : (s / 60).toFixed(1).replace('.', decimal));
  const header = ['date', 'shop', 'group', 'name', 'stage', 'orders', 'median', 'p90', 'target', 'over'].map((k) => csvText(t(`speed.csv.${k}`)));
  const rows: string[][] = [];
  const add = (group: string, name: string, figures: StageFigures) => {
    for (const stage of SERVICE_STAGES) {
      const f = figures[stage];
      rows.push([day.date, csvText(day.shop.name), csvText(t(`speed.${group}`)), csvText(name), csvText(t(`speed.stage.${stage}`)), String(f.count), minutes(f.median), minutes(f.p90), minutes(f.target), String(f.over)]);
    }
  };
  add('overall', day.shop.name, day.overall);
  for (const h of day.byHour) add('byHour', t('speed.hour', { hour: h.hour }), h.figures);
  for (const s of day.byStation) add('byStation', s.name, s.figures);
  for (const p of day.byProduct) add('byProduct', p.name, p.figures);
  return '\uFEFF' + [header, ...rows].map((r) => r.join(separator)).join('\r\n') + '\r\n';
}
