import i18next, { type TFunction } from 'i18next';

export const LOCALES = ['fr', 'en'] as const;
export type Locale = (typeof LOCALES)[number];
export const DEFAULT_LOCALE: Locale = 'fr';
export const LOCALE_COOKIE = 'ocp_lang';

export function pickLocale(value: string | null | undefined): Locale {
  return (LOCALES as readonly string[]).includes(value ?? '') ? (value as Locale) : DEFAULT_LOCALE;
}

const intlLocale = (l: Locale) => (l === 'fr' ? 'fr-FR' : 'en-GB');

export interface I18n {
  locale: Locale;
  t: TFunction;
  price: (cents: number) => string;
  time: (iso: string | Date) => string;
  dateTime: (iso: string | Date) => string;
}

export type Messages = Record<string, unknown>;

/**
 * A translator for one locale from the messages at hand: the server has both files (French is the
 * fallback for a key English lacks), a page only its visitor's.
 */
export function buildI18n(locale: Locale, messages: Partial<Record<Locale, Messages>>): I18n {
  const inst = i18next.createInstance();
  inst.init({
    lng: locale,
    fallbackLng: DEFAULT_LOCALE,
    resources: Object.fromEntries(Object.entries(messages).map(([l, m]) => [l, { translation: m }])),
    initAsync: false,
    interpolation: { escapeValue: false },
    returnNull: false,
  });
  const money = new Intl.NumberFormat(intlLocale(locale), { style: 'currency', currency: 'EUR' });
  const clock = new Intl.DateTimeFormat(intlLocale(locale), { hour: '2-digit', minute: '2-digit', timeZone: 'Europe/Paris' });
  const full = new Intl.DateTimeFormat(intlLocale(locale), { dateStyle: 'medium', timeStyle: 'short', timeZone: 'Europe/Paris' });
  return {
    locale,
    t: inst.t.bind(inst) as TFunction,
    price: (cents) => money.format(cents / 100),
    time: (iso) => clock.format(new Date(iso)),
    dateTime: (iso) => full.format(new Date(iso)),
  };
}
