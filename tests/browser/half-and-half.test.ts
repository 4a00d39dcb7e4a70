import { describe, expect, it } from 'vitest';
import { seriousViolations } from './axe.ts';
import { live, PHONE, SHOTS, useApp } from './harness.ts';

// A half-and-half pizza as a customer orders one on a phone (a Reine on the left, a Quatre fromages
// on the right, priced as the dearer half, which the builder says), and as the kitchen's tablet
// shows it: one pizza, its two halves side by side, left and right, large enough for 2 m, each
// with its own recipe when asked. A shop of its own.
const KITCHEN_TABLET = { width: 1024, height: 768 };
const app = useApp('halves', { DISPATCH_PRESENT_ONLY: 'false' }, { shop: 'halves' });

const productId = async (slug: string): Promise<string> => String((await app.pool.query('SELECT id FROM products WHERE slug = $1', [slug])).rows[0].id);
const NBSP = '\u00a0';

describe('a half-and-half pizza', () => {
  it('is built on a phone from two pizzas of the menu, priced as its dearer half, and reaches the kitchen as two clear halves', async () => {
    const { page: kitchen } = await app.staffPage(app.shop.email('kitchen'), KITCHEN_TABLET);
    await kitchen.goto(`${app.base}/kitchen`);
    await live(kitchen);

    const ctx = await app.browser.newContext({ viewport: PHONE, isMobile: true, hasTouch: true });
    const phone = await ctx.newPage();
    await phone.goto(`${app.base}/?shop=${app.shop.slug}`);
    await live(phone);
    const builder = phone.getByTestId('half-and-half');
    await builder.scrollIntoViewIfNeeded();
    expect(await builder.getByTestId('half-rule').textContent()).toBe('Au prix de la moitié la plus chère');
    const add = builder.getByRole('button', { name: /Ajouter|Choisissez/ });
    expect(await add.isDisabled()).toBe(true);

    // the same pizza on both sides is a whole one: said, and not added
    await builder.getByLabel('Moitié gauche').selectOption(await productId('reine'));
    await builder.getByLabel('Moitié droite').selectOption(await productId('reine'));
    expect(await builder.locator('.field-error').textContent()).toMatch(/deux pizzas différentes/);
    expect(await add.isDisabled()).toBe(true);

    await builder.getByLabel('Moitié droite').selectOption(await productId('quatre-fromages'));
    expect(await builder.locator('.field-error').count()).toBe(0);
    expect(await add.textContent()).toContain(`13,90${NBSP}€`);
    await phone.screenshot({ path: `${SHOTS}/half-and-half-builder-phone.png` });
    expect(await seriousViolations(phone), 'storefront with the half-and-half builder').toEqual([]);
    await add.click();

    const line = phone.locator('[data-line="reine/quatre-fromages"]');
    expect((await line.textContent())!.replace(/\s+/g, ' ')).toContain('1 × ½ Reine / ½ Quatre fromages');

    // a pickup (no delivery fee), paid at the counter
    await phone.getByRole('button', { name: 'À emporter' }).click();
    expect(await phone.getByTestId('basket-total').textContent()).toContain(`13,90${NBSP}€`);
    await phone.fill('input[name=name]', 'Inès Moreau');
    await phone.fill('input[name=phone]', '06 11 22 33 44');
    await phone.getByLabel('Payer au retrait').check();
    await phone.locator('#basket').screenshot({ path: `${SHOTS}/half-and-half-basket-phone.png` });
    await phone.locator('button.place').click();
    await phone.waitForURL(/\/track\/[^/]+$/);
    await live(phone);
    expect(await phone.locator('.items li').first().textContent()).toContain('½ Reine / ½ Quatre fromages');
    await phone.screenshot({ path: `${SHOTS}/half-and-half-tracking-phone.png`, fullPage: true });
    expect(await seriousViolations(phone), 'tracking page of a half-and-half').toEqual([]);

    // the kitchen: one pizza, then its left and its right half, each named large
    const halves = kitchen.getByTestId('halves');
    await halves.waitFor();
    const ticket = kitchen.locator('article.ticket', { has: halves });
    expect((await ticket.locator('.line .name').first().textContent())!.trim()).toBe('Moitié-moitié');
    expect((await halves.locator('[data-half=left]').textContent())!.replace(/\s+/g, ' ')).toContain('Gauche ½ Reine');
    expect((await halves.locator('[data-half=right]').textContent())!.replace(/\s+/g, ' ')).toContain('Droite ½ Quatre fromages');
    const left = (await halves.locator('[data-half=left]').boundingBox())!;
    const right = (await halves.locator('[data-half=right]').boundingBox())!;
    expect(left.x + left.width).toBeLessThanOrEqual(right.x + 1);
    expect(await halves.locator('.half-name').first().evaluate((e) => parseFloat(getComputedStyle(e).fontSize))).toBeGreaterThanOrEqual(20);
    expect(await kitchen.getByTestId('recipe').count()).toBe(0);

    // each half's recipe, when asked: half of its own pizza's
    await ticket.getByRole('button', { name: /Recette/ }).click();
    await expect.poll(() => ticket.getByTestId('recipe').count()).toBe(2);
    const leftRecipe = (await ticket.locator('[data-testid=recipe][data-half=left] p').textContent())!;
    expect(leftRecipe).toMatch(/^Gauche ½ · Reine/);
    expect(leftRecipe).toMatch(/Jambon[^·]* 30 g/);
    expect(leftRecipe).not.toMatch(/Gorgonzola/);
    expect(await ticket.locator('[data-testid=recipe][data-half=right] p').textContent()).toMatch(/Gorgonzola[^·]* 20 g/);
    await kitchen.screenshot({ path: `${SHOTS}/half-and-half-kitchen-1024x768.png` });
    expect(await seriousViolations(kitchen), 'kitchen with a half-and-half ticket').toEqual([]);
    await ctx.close();
  });

  it("is priced by the rule head office chooses in the shop's settings, which the storefront then states", async () => {
    const { page: office } = await app.staffPage('admin@ocpizza.test', { width: 1024, height: 768 });
    await office.goto(`${app.base}/manager/shops/${app.shop.id}`);
    const settings = office.getByTestId('shop-settings');
    const rule = settings.getByLabel('Prix d’une pizza moitié-moitié');
    expect(await rule.inputValue()).toBe('dearer');
    await rule.selectOption('average');
    await rule.scrollIntoViewIfNeeded();
    await office.screenshot({ path: `${SHOTS}/half-and-half-shop-settings-1024x768.png` });
    expect(await seriousViolations(office), 'shop settings').toEqual([]);
    await settings.getByRole('button', { name: 'Enregistrer' }).click();
    await settings.getByRole('status').waitFor();
    expect((await app.pool.query('SELECT half_and_half_pricing AS r FROM pizzerias WHERE id = $1', [app.shop.id])).rows[0].r).toBe('average');

    const ctx = await app.browser.newContext({ viewport: PHONE, isMobile: true, hasTouch: true });
    const phone = await ctx.newPage();
    await phone.goto(`${app.base}/?shop=${app.shop.slug}`);
    await live(phone);
    const builder = phone.getByTestId('half-and-half');
    expect(await builder.getByTestId('half-rule').textContent()).toBe('Au prix moyen des deux moitiés, arrondi au centime supérieur');
    await builder.getByLabel('Moitié gauche').selectOption(await productId('reine'));
    await builder.getByLabel('Moitié droite').selectOption(await productId('quatre-fromages'));
    // (12,50 + 13,90) / 2
    expect(await builder.getByRole('button', { name: /Ajouter/ }).textContent()).toContain(`13,20${NBSP}€`);
    await ctx.close();
  });
});
