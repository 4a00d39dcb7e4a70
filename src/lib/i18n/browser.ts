// A page's translator in the browser: only the visitor's messages (a hashed JSON file, inlined in
// the first page by src/routes/+layout.ts), not both languages inside the JavaScript.
import enUrl from './en.json?url';
import frUrl from './fr.json?url';
import { buildI18n, type I18n, type Locale } from './core.ts';

export const MESSAGES_URL: Record<Locale, string> = { fr: frUrl, en: enUrl };

const loaded = new Map<Locale, Promise<I18n>>();

export function loadI18n(locale: Locale, fetcher: typeof fetch = fetch): Promise<I18n> {
  let i18n = loaded.get(locale);
  if (!i18n) {
    i18n = fetcher(MESSAGES_URL[locale])
      .then((res) => {
        if (!res.ok) throw new Error(`messages ${locale}: HTTP ${res.status}`);
        return res.json();
      })
      .then((messages) => buildI18n(locale, { [locale]: messages }));
    // a failed download (offline) is tried again on the next navigation
    i18n.catch(() => loaded.delete(locale));
    loaded.set(locale, i18n);
  }
  return i18n;
}
