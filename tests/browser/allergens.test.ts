import { afterAll, describe, expect, it } from 'vitest';
import { seriousViolations } from './axe.ts';
import { live, PHONE, SHOTS, useApp } from './harness.ts';
import { addPestoPizza, removePestoPizza, type PestoPizza } from '../allergens-fixture.ts';

// Allergens as a customer reads them on a phone: a pizza whose nut pesto extra brings "fruits à
// coque" says so as it is customised and on its basket line; a half-and-half says both halves';
// the menu's filter hides the pizzas that contain what the customer avoids. A shop of its own.
const app = useApp('allergens', { DISPATCH_PRESENT_ONLY: 'false' }, { shop: 'allergens' });
let pesto: PestoPizza | undefined;
afterAll(async () => removePestoPizza(app.pool, pesto));

const productId = async (slug: string): Promise<string> => String((await app.pool.query('SELECT id FROM products WHERE slug = $1', [slug])).rows[0].id);
const text = async (l: { textContent(): Promise<string | null> }) => ((await l.textContent()) ?? '').replace(/[ \t\n]+/g, ' ').trim();

describe('allergens on the storefront', () => {
  it('a nut pesto extra shows "fruits à coque" as the pizza is customised and on its basket line; a half-and-half shows both halves\'', async () => {
    pesto = await addPestoPizza(app.pool, 'browser');
    const ctx = await app.browser.newContext({ viewport: PHONE, isMobile: true, hasTouch: true });
    const phone = await ctx.newPage();
    await phone.goto(`${app.base}/?shop=${app.shop.slug}`);
    await live(phone);

    const card = phone.locator(`article.product[data-product="${pesto.slug}"]`);
    await card.scrollIntoViewIfNeeded();
    expect(await text(card.locator('.allergens'))).toBe('Allergènes\u00a0: gluten, lait');
    await card.getByText('Personnaliser').click();
    const chooser = card.locator(`[data-chooser="${pesto.slug}"]`);
    expect(await text(chooser.getByTestId('chooser-allergens'))).toBe('Contient\u00a0: gluten, lait');
    const extra = chooser.locator('label.choice', { hasText: pesto.pestoName }).locator('input');
    expect(await text(chooser.locator('label.choice', { hasText: pesto.pestoName }))).toContain('(lait, fruits à coque)');
    await extra.check();
    expect(await text(chooser.getByTestId('chooser-allergens'))).toBe('Contient\u00a0: gluten, lait, fruits à coque');
    await chooser.getByRole('button', { name: /Ajouter/ }).click();

    const line = phone.locator(`[data-line="${pesto.slug}"]`);
    expect(await line.getByTestId('line-allergens').getAttribute('data-allergens')).toBe('gluten milk nuts');
    expect(await text(line.getByTestId('line-allergens'))).toBe('Contient\u00a0: gluten, lait, fruits à coque');

    // a half-and-half: a Reine (no egg) and a Calzone (an egg): both halves' in the builder and the basket
    const builder = phone.getByTestId('half-and-half');
    await builder.scrollIntoViewIfNeeded();
    await builder.getByLabel('Moitié gauche').selectOption(await productId('reine'));
    await builder.getByLabel('Moitié droite').selectOption(await productId('calzone'));
    expect(await text(builder.getByTestId('halves-allergens'))).toBe('Contient\u00a0: gluten, œufs, lait');
    await builder.getByRole('button', { name: /Ajouter/ }).click();
    const halves = phone.locator('[data-line="reine/calzone"]');
    expect(await halves.getByTestId('line-allergens').getAttribute('data-allergens')).toBe('gluten eggs milk');
    await phone.locator('#basket').scrollIntoViewIfNeeded();
    await phone.locator('#basket').screenshot({ path: `${SHOTS}/allergens-basket-phone.png` });
    expect(await seriousViolations(phone), 'storefront with allergens in the basket').toEqual([]);
    await ctx.close();
  });

  it('the filter "sans œufs" hides the pizzas with an egg and marks an extra that brings what is avoided', async () => {
    const ctx = await app.browser.newContext({ viewport: PHONE, isMobile: true, hasTouch: true });
    const phone = await ctx.newPage();
    await phone.goto(`${app.base}/?shop=${app.shop.slug}`);
    await live(phone);
    expect(await phone.locator('article.product[data-product="calzone"]').count()).toBe(1);
    const filter = phone.getByTestId('allergen-filter');
    await filter.locator('summary').click();
    await filter.getByLabel('Sans œufs').check();
    await expect.poll(() => phone.locator('article.product[data-product="calzone"]').count()).toBe(0);
    expect(await phone.locator('article.product[data-product="margherita"]').count()).toBe(1);
    expect(await text(phone.getByTestId('allergen-hidden'))).toMatch(/^\d+ produits? masqués?\u00a0: /);
    // the half-and-half builder offers no Calzone either
    expect(await phone.getByTestId('half-and-half').locator('option', { hasText: 'Calzone' }).count()).toBe(0);

    await filter.getByLabel('Sans fruits à coque').check();
    const card = phone.locator(`article.product[data-product="${pesto!.slug}"]`);
    await card.getByText('Personnaliser').click();
    expect(await card.locator('.brings.avoided').count()).toBe(1);
    await filter.scrollIntoViewIfNeeded();
    await phone.screenshot({ path: `${SHOTS}/allergens-filter-phone.png` });
    expect(await seriousViolations(phone), 'storefront with the allergen filter').toEqual([]);
    await filter.getByLabel('Sans œufs').uncheck();
    await expect.poll(() => phone.locator('article.product[data-product="calzone"]').count()).toBe(1);
    await ctx.close();
  });
});
