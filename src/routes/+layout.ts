import { fetchMessages, loadI18n } from '$lib/i18n/browser.ts';
import type { I18n } from '$lib/i18n/core.ts';
import type { LayoutLoad } from './$types';

// The page's translator. The browser gets only its visitor's message files, never the other
// language: on the first page, inside the page itself (the server reads the files through the load's
// `fetch`, which SvelteKit inlines in the HTML, so hydration waits for no request and a form typed
// into early is not reset); afterwards from memory.
export const load: LayoutLoad = async ({ data, fetch }) => {
  let i18n: I18n;
  if (import.meta.env.SSR) {
    await fetchMessages(data.locale, fetch);
    i18n = (await import('$lib/i18n/index.ts')).createI18n(data.locale);
  } else {
    i18n = await loadI18n(data.locale, fetch);
  }
  return { ...data, i18n };
};
