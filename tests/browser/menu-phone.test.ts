import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { PHONE, SHOTS, live, useApp } from './harness.ts';

// The storefront's menu on a 390×844 phone, as a customer holds it: the first product (its name, price
// and add button) is on the first screen without scrolling; every add button says which product it
// adds (a screen reader does not hear "Ajouter, Ajouter…"); every tap target is at least 44×44 px. In
// French and in English; the desktop's screenshot kept beside the phone's.
const app = useApp('menu-phone', {}, { shop: 'menuphone' });

async function menuPage(lang: 'fr' | 'en', viewport: { width: number; height: number }) {
  const phone = viewport.width < 500;
  const ctx = await app.browser.newContext({ viewport, isMobile: phone, hasTouch: phone });
  await ctx.addCookies([{ name: 'ocp_lang', value: lang, url: app.base }]);
  const page = await ctx.newPage();
  await page.goto(`${app.base}/?shop=${app.shop.slug}`);
  await live(page);
  return { ctx, page };
}

/** The interactive elements under 44 px in either dimension, each named (inline links inside a sentence excepted). */
function smallTargets(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const found: string[] = [];
    const all = document.querySelectorAll<HTMLElement>('a[href], button, input:not([type=hidden]), select, textarea, summary, [role=button], [tabindex]:not([tabindex="-1"])');
    for (const el of all) {
      const style = getComputedStyle(el);
      if (style.visibility === 'hidden' || style.display === 'none' || el.closest('[hidden], [inert], .sr-only')) continue;
      let box = el.getBoundingClientRect();
      if (box.width === 0 && box.height === 0) continue;
      // a checkbox or a radio is tapped through its label: the label's box is the target
      const label = el instanceof HTMLInputElement && ['checkbox', 'radio'].includes(el.type) ? el.closest('label') : null;
      if (label) box = label.getBoundingClientRect();
      // a link inside a sentence (a paragraph's text around it) is exempt (WCAG 2.5.8's inline exception)
      const p = el.tagName === 'A' ? el.closest('p, li') : null;
      if (p && (p.textContent ?? '').trim().length > (el.textContent ?? '').trim().length + 10 && style.display === 'inline') continue;
      if (box.width < 44 || box.height < 44) {
        const name = el.getAttribute('aria-label') || (el.textContent ?? '').trim().replace(/\s+/g, ' ').slice(0, 40) || el.getAttribute('name') || el.tagName;
        found.push(`${el.tagName.toLowerCase()} "${name}" ${Math.round(box.width)}×${Math.round(box.height)}`);
      }
    }
    return found;
  });
}

/** Each product card's name and its add (or +) button's accessible name. */
function addButtonNames(page: Page): Promise<{ product: string; button: string }[]> {
  return page.locator('article.product').evaluateAll((cards: Element[]) => cards.flatMap((card) => {
    const product = (card.querySelector('[data-name]')?.textContent ?? '').replace(/\s+/g, ' ').trim();
    const button = card.querySelector<HTMLButtonElement>('button[data-add]');
    if (!button) return [];
    const label = button.getAttribute('aria-label') ?? button.textContent ?? '';
    return [{ product, button: label.replace(/\s+/g, ' ').trim() }];
  }));
}

describe('the menu on a phone', () => {
  for (const lang of ['fr', 'en'] as const) {
    it(`(${lang}) shows the first product on the first screen, names each product on its add button, and has no tap target under 44 px`, async () => {
      const { ctx, page } = await menuPage(lang, PHONE);
      const first = page.locator('article.product').first();
      const card = await first.boundingBox();
      const add = await first.locator('button[data-add]').boundingBox();
      expect(card, 'the first product card').toBeTruthy();
      expect(add, 'its add button').toBeTruthy();
      expect(card!.y, 'the first card starts on the first screen').toBeGreaterThanOrEqual(0);
      expect(card!.y, 'the first card starts on the first screen').toBeLessThan(PHONE.height);
      expect(add!.y + add!.height, 'its add button is whole on the first screen').toBeLessThanOrEqual(PHONE.height);
      expect(await first.locator('.price').boundingBox().then((b) => b!.y + b!.height)).toBeLessThanOrEqual(PHONE.height);

      const names = await addButtonNames(page);
      expect(names.length).toBeGreaterThan(5);
      const unnamed = names.filter((n) => !n.product || !n.button.includes(n.product));
      expect(unnamed, 'add buttons that do not name their product').toEqual([]);
      expect((await page.getByRole('button', { name: lang === 'fr' ? 'Ajouter Margherita' : 'Add Margherita', exact: true }).count())).toBe(1);

      await page.screenshot({ path: `${SHOTS}/menu-phone-${lang}.png` });
      const small = await smallTargets(page);
      expect(small, `tap targets under 44 px:\n${small.join('\n')}`).toEqual([]);
      // the filter open (its chips are targets too)
      await page.getByTestId('allergen-filter').locator('summary').click();
      const smallOpen = await smallTargets(page);
      await page.screenshot({ path: `${SHOTS}/menu-phone-${lang}-filter.png` });
      expect(smallOpen, `tap targets under 44 px, the filter open:\n${smallOpen.join('\n')}`).toEqual([]);
      // a pizza's options open (sizes, extras, "without"): their labels and buttons too; its add button names it
      await page.getByTestId('allergen-filter').locator('summary').click();
      await first.locator('summary').click();
      const chooser = first.locator('[data-chooser]');
      await chooser.waitFor();
      const firstName = ((await first.locator('[data-name]').textContent()) ?? '').trim();
      expect(await chooser.getByRole('button', { name: new RegExp(`${lang === 'fr' ? 'Ajouter' : 'Add'} ${firstName}`) }).count()).toBe(1);
      await first.screenshot({ path: `${SHOTS}/menu-phone-${lang}-options.png` });
      const smallChooser = await smallTargets(page);
      expect(smallChooser, `tap targets under 44 px, a pizza's options open:\n${smallChooser.join('\n')}`).toEqual([]);
      // scrolled, the sections' chips stay in reach just under the header
      await page.locator('[data-category]').nth(1).scrollIntoViewIfNeeded();
      const header = await page.locator('header.top').boundingBox();
      const tabs = await page.locator('nav.tabs').boundingBox();
      expect(tabs!.y).toBeGreaterThanOrEqual(header!.y + header!.height - 2);
      expect(tabs!.y).toBeLessThan(header!.y + header!.height + 4);
      await ctx.close();
    });
  }

  it('at desktop size the menu keeps its grid of cards beside the basket', async () => {
    const { ctx, page } = await menuPage('fr', { width: 1280, height: 800 });
    const first = await page.locator('article.product').first().boundingBox();
    const basket = await page.locator('#basket').boundingBox();
    expect(first!.y).toBeLessThan(800);
    expect(basket!.x).toBeGreaterThan(first!.x + first!.width);
    await page.screenshot({ path: `${SHOTS}/menu-desktop-fr.png` });
    await ctx.close();
  });
});
