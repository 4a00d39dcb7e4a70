// How the storefront writes a few things for its customer: a quantity kept on the line of its unit,
// and days and times in Paris time, as the shops' hours are.
import type { Locale } from '../../i18n/core.ts';

/** A quantity stays on the line of its unit ("50 cl", never "50" then "cl" below). */
export const keepUnits = (text: string): string => text.replace(/(\d) (cl|ml|g)\b/g, '$1\u00a0$2');

const tag = (locale: Locale) => (locale === 'fr' ? 'fr-FR' : 'en-GB');

/** "mardi 11:30": when a closed shop opens, in Paris time. */
export const opensWhen = (locale: Locale, d: Date): string =>
  new Intl.DateTimeFormat(tag(locale), { timeZone: 'Europe/Paris', weekday: 'long', hour: '2-digit', minute: '2-digit' }).format(d);

/** "11 mars": the day an earlier order was placed, in Paris time. */
export const dayOf = (locale: Locale, iso: string): string =>
  new Intl.DateTimeFormat(tag(locale), { timeZone: 'Europe/Paris', day: 'numeric', month: 'long' }).format(new Date(iso));
