import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { messagesOf } from '../../src/lib/i18n/catalogue.ts';
import { PHONE, live, useApp } from './harness.ts';

// What a phone downloads: its visitor's language only, pages compressed by the server itself (no
// Nginx in front, as on a PaaS), and the map library only when the customer reaches the map.
const app = useApp('page-weight');

type Tree = { [k: string]: string | Tree };
const values = (t: Tree): string[] => Object.values(t).flatMap((v) => (typeof v === 'string' ? [v] : values(v)));
const fr = values(messagesOf('fr') as Tree);
const en = values(messagesOf('en') as Tree);
// long messages found in one language only: a page that carries the other file carries them
const only = (mine: string[], other: string[]) => mine.filter((m) => m.length > 40 && !m.includes('{{') && !other.includes(m)).slice(0, 30);
const englishOnly = only(en, fr);
const frenchOnly = only(fr, en);

/** Every text the page downloaded (HTML, scripts, data), as the browser received it. */
async function downloaded(locale: 'fr' | 'en', path: string) {
  const ctx = await app.browser.newContext({ viewport: PHONE });
  await ctx.addCookies([{ name: 'ocp_lang', value: locale, url: app.base }]);
  const page = await ctx.newPage();
  const bodies: Promise<string>[] = [];
  page.on('response', (r) => {
    if (/javascript|json|html/.test(r.headers()['content-type'] ?? '')) bodies.push(r.text().catch(() => ''));
  });
  await page.goto(`${app.base}${path}`);
  await live(page);
  const texts = await Promise.all(bodies);
  return { ctx, page, texts };
}

describe('what a phone downloads', () => {
  it('a French storefront carries no English message, an English one no French message, and each speaks its language', async () => {
    expect(englishOnly.length).toBeGreaterThan(10);
    expect(frenchOnly.length).toBeGreaterThan(10);

    const french = await downloaded('fr', '/?shop=bastille');
    expect(await french.page.locator('html').getAttribute('lang')).toBe('fr');
    expect(await french.page.locator('body').innerText()).toMatch(/Votre panier|Commander/);
    for (const m of englishOnly) expect(french.texts.some((t) => t.includes(m)), m).toBe(false);
    expect(frenchOnly.some((m) => french.texts.some((t) => t.includes(m)))).toBe(true);
    await french.ctx.close();

    const english = await downloaded('en', '/?shop=bastille');
    expect(await english.page.locator('html').getAttribute('lang')).toBe('en');
    expect(await english.page.locator('body').innerText()).toMatch(/Your basket|Place order/);
    for (const m of frenchOnly) expect(english.texts.some((t) => t.includes(m)), m).toBe(false);
    expect(englishOnly.some((m) => english.texts.some((t) => t.includes(m)))).toBe(true);
    // a navigation inside the app keeps speaking English without downloading messages again
    await english.page.goto(`${app.base}/login`);
    expect(await english.page.locator('body').innerText()).toMatch(/Sign in|Log in|Staff/i);
    await english.ctx.close();
  });

  it('pages and their data arrive compressed from the server alone', async () => {
    for (const path of ['/', '/?shop=bastille', '/login']) {
      const res = await fetch(app.base + path, { headers: { 'accept-encoding': 'gzip, br' } });
      expect(res.status, path).toBe(200);
      expect(res.headers.get('content-encoding'), path).toMatch(/^(gzip|br)$/);
      expect(await res.text(), path).toContain('<html');
    }
  });

  it('a customer\'s phone fetches the storefront\'s own files, no more: no service worker fetching the whole app behind it', async () => {
    const ctx = await app.browser.newContext({ viewport: PHONE });
    const fetched: string[] = [];
    ctx.on('request', (r) => void fetched.push(new URL(r.url()).pathname));
    const page = await ctx.newPage();
    await page.goto(`${app.base}/?shop=bastille`);
    await live(page);
    // what a worker registered by the page would fetch at install comes within a second or two
    await page.waitForTimeout(2500);
    expect(await page.evaluate(async () => (await navigator.serviceWorker.getRegistrations()).length)).toBe(0);
    // the storefront's scripts and styles, not the kitchen's, the manager's or the driver's
    const files = fetched.filter((p) => p.startsWith('/_app/'));
    expect(files.length).toBeGreaterThan(5);
    expect(new Set(files).size, 'a file fetched twice').toBe(files.length);
    const pages = readdirSync('build/client/_app/immutable/nodes').filter((f) => f.endsWith('.js'));
    const pagesFetched = files.filter((p) => p.includes('/immutable/nodes/'));
    expect(pagesFetched.length).toBeLessThan(pages.length / 3);
    await ctx.close();
  });

  it('the checkout map loads its library only when the customer scrolls down to it', async () => {
    const ctx = await app.browser.newContext({ viewport: PHONE });
    const page = await ctx.newPage();
    await page.goto(`${app.base}/?shop=bastille`);
    await live(page);
    await page.waitForTimeout(500);
    // Leaflet puts itself on window when it loads
    expect(await page.evaluate(() => 'L' in window)).toBe(false);
    expect(await page.locator('.pinmap .leaflet-container').count()).toBe(0);
    await page.locator('.pinmap').scrollIntoViewIfNeeded();
    await page.locator('.pinmap .leaflet-container').waitFor({ timeout: 15_000 });
    expect(await page.evaluate(() => 'L' in window)).toBe(true);
    await ctx.close();
  });
});
