import { describe, expect, it } from 'vitest';
import { seriousViolations } from './axe.ts';
import { PHONE, SHOTS, live, useApp } from './harness.ts';

// The storefront asks where first, on a phone, in the built app and Chromium: an address typed finds
// the shop that delivers there with its promise, before any menu; its menu then opens with the address
// already at the checkout, compact (a row per product, several per screen); an address no shop reaches
// says so and offers pickup; pickup lists the shops and starts the checkout at "pickup".
const app = useApp('where-first');

async function phonePage() {
  const ctx = await app.browser.newContext({ viewport: PHONE, deviceScaleFactor: 2, isMobile: true, hasTouch: true, locale: 'fr-FR' });
  return { ctx, page: await ctx.newPage() };
}

describe('the storefront asks where first', () => {
  it('finds the shop that delivers to an address with its promise, then opens its compact menu with the address at the checkout', async () => {
    const { ctx, page } = await phonePage();
    await page.goto(`${app.base}/`);
    // no menu before the question is answered
    expect(await page.locator('[data-product]').count()).toBe(0);
    await page.getByLabel('Adresse de livraison').fill('5 rue Oberkampf');
    await page.getByLabel('Code postal').fill('75011');
    expect(await seriousViolations(page)).toEqual([]);
    await page.screenshot({ path: `${SHOTS}/where-1-phone-question.png`, fullPage: true });
    await page.getByRole('button', { name: 'Trouver ma pizzeria' }).click();
    const answer = page.getByTestId('where-answer');
    await answer.waitFor();
    const text = (await answer.textContent()) ?? '';
    // the nearest open shop whose zone holds the address (Bastille's, Canal Saint-Martin's, or one another
    // test file made there: the shops are the run's)
    const shop = /^\s*(OC Pizza .+?)\s+vous livre\./.exec(text)?.[1];
    expect(shop, text).toBeTruthy();
    const { rows } = await app.pool.query<{ slug: string }>('SELECT slug FROM pizzerias WHERE name = $1', [shop]);
    expect(rows).toHaveLength(1);
    expect(text).toMatch(/Livraison en \d+–\d+ min|Fermée en ce moment/);
    await page.screenshot({ path: `${SHOTS}/where-2-phone-answer.png`, fullPage: true });

    await page.getByTestId('where-go').click();
    await page.waitForURL(`${app.base}/?shop=${rows[0].slug}`);
    await live(page);
    expect(await page.inputValue('input[name=street]')).toBe('5 rue Oberkampf');
    expect(await page.inputValue('input[name=postcode]')).toBe('75011');
    // compact: the first screen under the tabs shows several products, and the whole menu is a few screens
    const firstRows = await page.locator('[data-category=pizzas] [data-product]').evaluateAll((els) => els.slice(0, 4).map((e) => e.getBoundingClientRect().height));
    for (const h of firstRows) expect(h).toBeLessThan(200);
    const menuHeight = await page.locator('section.menu').evaluate((e) => e.getBoundingClientRect().height);
    expect(menuHeight).toBeLessThan(6000);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(PHONE.width);
    expect(await seriousViolations(page)).toEqual([]);
    await page.screenshot({ path: `${SHOTS}/where-3-phone-compact-menu.png` });
    console.log(`storefront menu on a ${PHONE.width}px phone: ${Math.round(menuHeight)} px tall`);
    await ctx.close();
  });

  it('says when no shop delivers to an address and offers pickup, which starts the checkout at pickup', async () => {
    const { ctx, page } = await phonePage();
    await page.goto(`${app.base}/`);
    await page.getByLabel('Adresse de livraison').fill('1 avenue de Paris');
    await page.getByLabel('Code postal').fill('78000');
    await page.getByLabel('Ville').fill('Versailles');
    await page.getByRole('button', { name: 'Trouver ma pizzeria' }).click();
    const answer = page.getByTestId('where-answer');
    await answer.waitFor();
    expect(await answer.textContent()).toMatch(/Aucune pizzeria ne livre à cette adresse/);
    await page.screenshot({ path: `${SHOTS}/where-4-phone-none-delivers.png`, fullPage: true });
    await answer.getByRole('button', { name: 'À emporter' }).click();
    await page.getByRole('link', { name: /Montmartre/ }).click();
    await page.waitForURL(/\?shop=montmartre&pickup=1$/);
    await live(page);
    expect(await page.getByRole('radiogroup').getByRole('button', { name: 'À emporter' }).getAttribute('class')).toMatch(/\bon\b/);
    await ctx.close();
  });
});
