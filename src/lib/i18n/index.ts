// The server's translators: every message file bundled (mails, texts, receipts and pages in either
// language; ./catalogue.ts lists them). Pages in the browser load only their visitor's files (./browser.ts).
import { messagesOf } from './catalogue.ts';
import { buildI18n, type I18n, type Locale } from './core.ts';

export { DEFAULT_LOCALE, LOCALES, LOCALE_COOKIE, pickLocale, type I18n, type Locale } from './core.ts';

const built = new Map<Locale, I18n>();

/**
 * One translator per locale, built synchronously from the bundled message files, once per process
 * (it never changes language: a page, a message or a receipt in another locale asks for that one;
 * building one costs more than the message it translates).
 */
export function createI18n(locale: Locale): I18n {
  let i18n = built.get(locale);
  if (!i18n) built.set(locale, (i18n = buildI18n(locale, { fr: messagesOf('fr'), en: messagesOf('en') })));
  return i18n;
}
