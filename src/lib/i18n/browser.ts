// A page's translator in the browser: only the visitor's messages (hashed JSON files: the shared
// words and each face's own, inlined in the first page by src/routes/+layout.ts), not both
// languages inside the JavaScript. The faces' files are found by their place, so a new face's texts
// load the day they are written (./catalogue.ts lists the same files for the server).
import enUrl from './en.json?url';
import frUrl from './fr.json?url';
import { buildI18n, LOCALES, type I18n, type Locale, type Messages } from './core.ts';

const facesFiles = import.meta.glob<string>('../faces/*/texts/*.json', { query: '?url', import: 'default', eager: true });

/** The URLs of a locale's message files: the shared words first, then each face's. */
export const MESSAGES_URLS: Record<Locale, string[]> = Object.fromEntries(
  LOCALES.map((l) => [
    l,
    [l === 'fr' ? frUrl : enUrl, ...Object.entries(facesFiles).filter(([path]) => path.endsWith(`/texts/${l}.json`)).map(([, url]) => url)],
  ]),
) as Record<Locale, string[]>;

/** A locale's files, fetched side by side and put together (a namespace lives in one file). */
export async function fetchMessages(locale: Locale, fetcher: typeof fetch = fetch): Promise<Messages> {
  const parts = await Promise.all(
    MESSAGES_URLS[locale].map(async (url) => {
      const res = await fetcher(url);
      if (!res.ok) throw new Error(`messages ${locale}: HTTP ${res.status} (${url})`);
      return (await res.json()) as Messages;
    }),
  );
  return Object.assign({}, ...parts);
}

const loaded = new Map<Locale, Promise<I18n>>();

export function loadI18n(locale: Locale, fetcher: typeof fetch = fetch): Promise<I18n> {
  let i18n = loaded.get(locale);
  if (!i18n) {
    i18n = fetchMessages(locale, fetcher).then((messages) => buildI18n(locale, { [locale]: messages }));
    // a failed download (offline) is tried again on the next navigation
    i18n.catch(() => loaded.delete(locale));
    loaded.set(locale, i18n);
  }
  return i18n;
}
