import i18next, { type TFunction } from 'i18next';
import en from './en.json' with { type: 'json' };
import fr from './fr.json' with { type: 'json' };

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

const built = new Map<Locale, I18n>();

/**
 * One translator per locale, built synchronously from the bundled message files, once per process
 * (it never changes language: a page, a message or a receipt in another locale asks for that one;
 * building one costs more than the message it translates).
 */
export function createI18n(locale: Locale): I18n {
  let i18n = built.get(locale);
  if (!i18n) built.set(locale, (i18n = buildI18n(locale)));
  return i18n;
}

function buildI18n(locale: Locale): I18n {
  const inst = i18next.createInstance();
  inst.init({
    lng: locale,
    fallbackLng: DEFAULT_LOCALE,
    resources: { fr: { translation: fr }, en: { translation: en } },
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
