import { describe, expect, it } from 'vitest';
import { seriousViolations } from './axe.ts';
import { SHOTS, PHONE, live, useApp } from './harness.ts';
import { Client, createShop, move } from '../helpers.ts';

// A customer on a phone types a promo code at checkout: refused with its reason while the basket is
// under the code's minimum, accepted once it reaches it (the discount and the new total shown), the
// order placed at that price and its receipt naming the code and the discount. Head office makes
// codes on its back-office page. Axe finds nothing serious on either.
const app = useApp('promo-checkout');
// prices and French colons have no-break spaces (narrow or not): read as plain spaces
const text = async (l: { textContent(): Promise<string | null> }) => (await l.textContent())?.replace(/[\s\u00a0\u202f]+/g, ' ').trim();

describe('a promo code at the storefront', () => {
  it('is refused with its reason, then applied, the order placed at the discounted price and the receipt showing it', async () => {
    const shop = await createShop(app.pool, 'promo-ui');
    const admin = await new Client(app.base).login('admin@ocpizza.test');
    const code = `SOIR${Date.now().toString(36).toUpperCase()}`;
    expect((await admin.post('/api/promos', { code, kind: 'percent', value: 10, minBasketCents: 2000 })).status).toBe(201);

    const ctx = await app.browser.newContext({ viewport: PHONE, isMobile: true, hasTouch: true });
    const phone = await ctx.newPage();
    await phone.goto(`${app.base}/?shop=${shop.slug}`);
    await live(phone);
    await phone.locator('[data-product=margherita] button').first().click();
    await phone.getByRole('button', { name: 'À emporter' }).click();
    await phone.fill('input[name=name]', 'Inès Moreau');
    await phone.fill('input[name=phone]', '06 11 22 33 45');

    // one margherita (10,50 €): under the code's minimum, which is said
    await phone.getByRole('button', { name: 'Code promo' }).click();
    await phone.getByLabel('Code promo').fill(code.toLowerCase());
    await phone.getByRole('button', { name: 'Appliquer' }).click();
    expect(await text(phone.getByTestId('promo-refusal'))).toBe(`Ce code vaut à partir de 20,00 € d’articles.`);
    await phone.getByTestId('promo-field').scrollIntoViewIfNeeded();
    await phone.screenshot({ path: `${SHOTS}/promo-1-refused-phone.png` });
    expect(await seriousViolations(phone), 'checkout with a refused code').toEqual([]);

    // a second one: 21,00 €, 10 % off
    await phone.locator('[data-product=margherita] button', { hasText: '+' }).click();
    await phone.getByRole('button', { name: 'Appliquer' }).click();
    expect(await text(phone.getByTestId('promo-applied'))).toContain(`Code ${code} appliqué : −2,10 €`);
    expect(await text(phone.getByTestId('basket-discount'))).toBe(`Remise (${code})−2,10 €`);
    expect(await text(phone.getByTestId('basket-total'))).toBe(`18,90 €`);
    // a guest is told loyalty points need an account, with the way to it
    expect(await phone.getByTestId('loyalty-guest').getByRole('link').getAttribute('href')).toBe('/me');
    await phone.getByLabel('Payer au retrait').check();
    await phone.locator('#basket').screenshot({ path: `${SHOTS}/promo-2-applied-phone.png` });
    expect(await seriousViolations(phone), 'checkout with a code applied').toEqual([]);
    expect(await text(phone.locator('button.place'))).toContain(`18,90 €`);
    await phone.locator('button.place').click();
    await phone.waitForURL(/\/track\/[^/]+$/);
    const token = phone.url().split('/track/')[1];
    const { rows } = await app.pool.query('SELECT id, total_cents, discount_cents FROM orders WHERE tracking_token = $1', [token]);
    expect(rows[0]).toMatchObject({ total_cents: 1890, discount_cents: 210 });

    // made, collected and paid at the counter: the receipt names the code and the discount, the VAT on what was paid
    const kitchen = await new Client(app.base).login(shop.email('kitchen'));
    const counter = await new Client(app.base).login(shop.email('counter'));
    await move(kitchen, rows[0].id, 'preparing');
    await move(kitchen, rows[0].id, 'ready');
    await move(counter, rows[0].id, 'collected');
    await phone.goto(`${app.base}/track/${token}/receipt`);
    expect(await text(phone.locator('tr.promo'))).toMatch(new RegExp(`^Code promo ${code} ?−2,10 €$`));
    expect(await text(phone.locator('tr.total'))).toContain(`18,90 €`);
    await phone.screenshot({ path: `${SHOTS}/promo-3-receipt-phone.png`, fullPage: true });
    expect(await seriousViolations(phone), 'receipt with a promo code').toEqual([]);
    await ctx.close();

    // the day's takings: the sales before the code, its discount, and the sales as paid
    const { page: office } = await app.staffPage(shop.email('manager'), { width: 1024, height: 768 });
    await office.goto(`${app.base}/manager/takings`);
    const card = office.locator(`section[data-shop="${shop.id}"]`);
    expect(await text(card.getByTestId('gross-sales'))).toBe('21,00 €');
    expect(await text(card.getByTestId('discounts'))).toBe('−2,10 €');
    await office.screenshot({ path: `${SHOTS}/promo-5-takings-1024x768.png` });
    expect(await seriousViolations(office), 'takings with a promo code').toEqual([]);
  });

  it('head office makes a code on its back-office page, sees it listed with its rules and uses, and deactivates it', async () => {
    const { page } = await app.staffPage('admin@ocpizza.test', { width: 1024, height: 768 });
    await page.goto(`${app.base}/manager`);
    // as a manager would: the board says it is live (the page is up and listening) before a tap
    await live(page);
    await page.getByRole('link', { name: 'Codes promo' }).click();
    await page.waitForURL(`${app.base}/manager/promos`);
    const create = page.getByTestId('promo-create');
    const code = `NOEL${Date.now().toString(36).toUpperCase()}`;
    await create.getByLabel('Code', { exact: true }).fill(code);
    await create.getByLabel('Type').selectOption('amount');
    await create.getByRole('textbox', { name: 'Montant (€)' }).fill('3,50');
    await create.getByLabel('Panier minimum (€)').fill('20');
    await create.getByLabel('Utilisations par client').fill('1');
    await create.getByRole('button', { name: 'Créer le code' }).click();
    await create.getByRole('status').waitFor();
    const row = page.locator(`tr[data-code="${code}"]`);
    const rules = await text(row.locator('td').first());
    expect(rules).toContain('−3,50 € · dès 20,00 € · Toutes');
    expect(rules).toContain('1 par client');
    expect(await text(row.locator('td').nth(1))).toBe('0');
    expect(await text(row.locator('td').nth(2))).toBe('Actif');
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: `${SHOTS}/promo-4-back-office-1024x768.png` });
    expect(await seriousViolations(page), 'promo codes page').toEqual([]);

    // a code taken already, whatever its case: said on the form
    await create.getByLabel('Code', { exact: true }).fill(code.toLowerCase());
    await create.getByLabel('Type').selectOption('amount');
    await create.getByRole('textbox', { name: 'Montant (€)' }).fill('2');
    await create.getByRole('button', { name: 'Créer le code' }).click();
    await create.locator('.field-error').first().waitFor();
    expect(await text(create.locator('.field-error').first())).toBeTruthy();

    await row.getByRole('button', { name: /Désactiver/ }).click();
    await expect.poll(() => text(row.locator('td').nth(2))).toBe('Inactif');
    expect((await app.pool.query('SELECT active FROM promo_codes WHERE code = $1', [code])).rows[0].active).toBe(false);
  });
});
