import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seriousViolations } from './axe.ts';
import { PHONE, SHOTS, live, useApp } from './harness.ts';
import { Client, move, waitUntil } from '../helpers.ts';
import { startTestSmtp, type TestSmtp } from '../services.ts';

// A regular with 60 points, on a phone, in the built app and Chromium: signs in with an emailed
// code, ticks "use 60 points" at checkout and sees the dearest pizza taken off; typing a promo code
// beside them, is told which of the two saves more (both amounts) with the better chosen for them,
// keeps the points, places the order at that price, finds the receipt naming the points and their
// account showing them spent. Head office states the scheme on its back-office page. Axe finds nothing serious; screenshots of each step.
let smtp: TestSmtp;
beforeAll(async () => {
  smtp = await startTestSmtp();
});
afterAll(async () => {
  await smtp?.close();
});
const app = useApp('loyalty-checkout', () => ({ SMTP_URL: smtp.url }), { shop: 'fidelite' });
const text = async (l: { textContent(): Promise<string | null> }) => (await l.textContent())?.replace(/[\s\u00a0\u202f]+/g, ' ').trim();

describe('loyalty points at the storefront', () => {
  it('a signed-in regular spends 60 points on a pizza at checkout, and the receipt and their account show it', async () => {
    const shop = app.shop;
    const email = `fidele-${Date.now()}@example.test`;
    const ctx = await app.browser.newContext({ viewport: PHONE, deviceScaleFactor: 2, isMobile: true, hasTouch: true, locale: 'fr-FR' });
    const page = await ctx.newPage();
    await page.goto(`${app.base}/me`);
    await page.getByLabel('Votre e-mail ou votre numéro de téléphone').fill(email);
    await page.getByRole('button', { name: 'Recevoir un code' }).click();
    const mail = (await waitUntil(() => smtp.inbox.find((m) => JSON.stringify(m.to).includes(email) && /code/i.test(m.subject ?? '')), 10_000, 'the code email'))!;
    await page.getByLabel('Code reçu').fill(/\b(\d{6})\b/.exec(mail.text ?? '')![1]);
    await page.getByRole('button', { name: 'Se connecter' }).last().click();
    await expect.poll(() => page.getByRole('link', { name: 'Mon compte' }).count()).toBe(1);
    // the points of six earlier orders
    const { rows } = await app.pool.query<{ id: string }>('SELECT id FROM customers WHERE email = $1', [email]);
    await app.pool.query(`INSERT INTO loyalty_ledger (customer_id, points, reason) VALUES ($1, 60, 'earned')`, [rows[0].id]);
    await page.reload();
    await expect.poll(() => text(page.getByTestId('loyalty-balance'))).toBe('60 points');
    expect(await text(page.getByTestId('loyalty-progress'))).toContain('Vous avez de quoi vous offrir une pizza');

    // their favourite, the Reine, is first on the menu: one tap adds it
    await app.pool.query(`INSERT INTO customer_favourites (customer_id, product_id) SELECT $1, id FROM products WHERE slug = 'reine'`, [rows[0].id]);
    // a Reine (12,50 €), a Margherita (10,50 €) and a beer (4,00 €), to collect
    await page.goto(`${app.base}/?shop=${shop.slug}`);
    await live(page);
    const favourites = page.getByTestId('favourites');
    expect(await text(favourites)).toBe('Vos favorites ♥ Reine 12,50 € Ajouter');
    await page.screenshot({ path: `${SHOTS}/loyalty-0-favourites-phone.png` });
    await favourites.getByRole('button', { name: /Reine/ }).click();
    await expect.poll(() => page.locator('[data-line=reine]').count()).toBe(1);
    await page.locator('[data-product=margherita] button').first().click();
    await page.locator('[data-product=peroni] button').first().click();
    await page.getByRole('button', { name: 'À emporter' }).click();
    await page.fill('input[name=name]', 'Camille Fidèle');
    await page.fill('input[name=phone]', '06 31 42 53 64');
    // collected: what the shop promises it now
    await expect.poll(() => text(page.getByTestId('pickup-promise'))).toMatch(/^Prête à emporter dans environ \d+ min entre \d+ et \d+ min$/);
    const use = page.getByTestId('loyalty-use');
    expect(await text(use)).toContain('Utiliser 60 points : votre pizza la plus chère offerte (−12,50 €) Vous avez 60 points.');
    await use.getByRole('checkbox').check();
    expect(await text(page.getByTestId('basket-discount'))).toBe('Points fidélité (60 points)−12,50 €');
    expect(await text(page.getByTestId('basket-total'))).toBe('14,50 €');
    // one offer an order, the better one suggested: a code of 10 % (2,70 €) beside the points (12,50 €) leaves the points chosen,
    // both amounts said
    const admin = await new Client(app.base).login('admin@ocpizza.test');
    const tenPercent = `FID${Date.now().toString(36).toUpperCase()}`;
    const fifteenOff = `${tenPercent}X`;
    expect((await admin.post('/api/promos', { code: tenPercent, kind: 'percent', value: 10 })).status).toBe(201);
    expect((await admin.post('/api/promos', { code: fifteenOff, kind: 'amount', value: 1500 })).status).toBe(201);
    await page.getByRole('button', { name: 'Code promo' }).click();
    await page.getByLabel('Code promo').fill(tenPercent);
    await page.getByRole('button', { name: 'Appliquer' }).click();
    const offers = page.getByTestId('better-offer');
    await offers.waitFor();
    expect(await text(page.getByTestId('better-offer-why'))).toBe('Vos points font économiser 9,80 € de plus que le code.');
    expect(await text(offers.locator('label').nth(0))).toBe('Mes 60 points : −12,50 € le plus avantageux');
    expect(await text(offers.locator('label').nth(1))).toBe(`Le code ${tenPercent} : −2,70 €`);
    expect(await page.getByTestId('offer-points').isChecked()).toBe(true);
    expect(await text(page.getByTestId('promo-applied'))).toBe(`Code ${tenPercent} valable (−2,70 €), mis de côté pour vos points. Retirer`);
    expect(await text(page.getByTestId('basket-discount'))).toBe('Points fidélité (60 points)−12,50 €');
    await offers.scrollIntoViewIfNeeded();
    await page.screenshot({ path: `${SHOTS}/loyalty-1a-points-better-phone.png` });
    expect(await seriousViolations(page), 'checkout suggesting the points').toEqual([]);
    // a code of 15 € instead: it saves more, and is chosen for them
    await page.getByRole('button', { name: 'Retirer', exact: true }).click();
    await page.getByLabel('Code promo').fill(fifteenOff);
    await page.getByRole('button', { name: 'Appliquer' }).click();
    await expect.poll(() => text(page.getByTestId('better-offer-why'))).toBe(`Le code ${fifteenOff} fait économiser 2,50 € de plus que vos points, qui restent pour une prochaine commande.`);
    expect(await page.getByTestId('offer-promo').isChecked()).toBe(true);
    expect(await text(page.getByTestId('basket-discount'))).toBe(`Remise (${fifteenOff})−15,00 €`);
    expect(await text(page.getByTestId('basket-total'))).toBe('12,00 €');
    await offers.scrollIntoViewIfNeeded();
    await page.screenshot({ path: `${SHOTS}/loyalty-1b-code-better-phone.png` });
    expect(await seriousViolations(page), 'checkout suggesting the code').toEqual([]);
    // their choice all the same: the points' pizza, the code set aside (not sent)
    await page.getByTestId('offer-points').check();
    expect(await text(page.getByTestId('basket-discount'))).toBe('Points fidélité (60 points)−12,50 €');
    expect(await text(page.getByTestId('basket-total'))).toBe('14,50 €');
    await page.getByLabel('Payer au retrait').check();
    await offers.scrollIntoViewIfNeeded();
    await page.screenshot({ path: `${SHOTS}/loyalty-1-checkout-phone.png` });
    expect(await seriousViolations(page), 'checkout with points used').toEqual([]);
    expect(await text(page.locator('button.place'))).toContain('14,50 €');
    await page.locator('button.place').click();
    await page.waitForURL(/\/track\/[^/]+$/);
    const token = page.url().split('/track/')[1];
    const order = (await app.pool.query('SELECT id, number, total_cents, discount_cents FROM orders WHERE tracking_token = $1', [token])).rows[0];
    expect(order).toMatchObject({ total_cents: 1450, discount_cents: 1250 });
    // the code set aside was not used
    expect((await app.pool.query('SELECT count(*)::int AS n FROM promo_redemptions WHERE order_id = $1', [order.id])).rows[0].n).toBe(0);

    // made and collected: the receipt names the points and what they took off
    const kitchen = await new Client(app.base).login(shop.email('kitchen'));
    const counter = await new Client(app.base).login(shop.email('counter'));
    await move(kitchen, order.id, 'preparing');
    await move(kitchen, order.id, 'ready');
    await move(counter, order.id, 'collected');
    await page.goto(`${app.base}/track/${token}/receipt`);
    expect(await text(page.getByTestId('receipt-loyalty'))).toMatch(/^Fidélité : pizza offerte \(60 points\) ?−12,50 €$/);
    await page.screenshot({ path: `${SHOTS}/loyalty-2-receipt-phone.png`, fullPage: true });
    expect(await seriousViolations(page), 'receipt with points').toEqual([]);

    // their account: 60 spent, 10 earned by this order (14,50 € paid)
    await page.goto(`${app.base}/me`);
    await expect.poll(() => text(page.getByTestId('loyalty-balance'))).toBe('10 points');
    expect(await text(page.getByTestId('loyalty-progress'))).toBe('Encore 50 points pour une pizza offerte.');
    expect(await text(page.getByTestId('loyalty'))).toContain(`Pizza offerte, commande n°${order.number}`);
    await page.getByTestId('loyalty').scrollIntoViewIfNeeded();
    await page.screenshot({ path: `${SHOTS}/loyalty-3-account-phone.png` });
    expect(await seriousViolations(page), 'account with points spent').toEqual([]);
    await ctx.close();
  });

  it('head office states the scheme on its back-office page', async () => {
    const admin = await new Client(app.base).login('admin@ocpizza.test');
    const before = (await admin.get('/api/loyalty/scheme')).body.scheme;
    try {
      const { page } = await app.staffPage('admin@ocpizza.test', { width: 1024, height: 768 });
      await page.goto(`${app.base}/manager/promos`);
      const form = page.getByTestId('loyalty-scheme');
      expect(await text(form.getByTestId('loyalty-scheme-stated'))).toBe(
        '10 points pour chaque commande d’au moins 10,00 € passée connecté, gagnés à la remise de la commande. À 60 points, une pizza offerte (jusqu’à 15,00 €).',
      );
      await form.getByLabel('Points pour une pizza offerte').fill('80');
      await form.getByLabel('Prix maximum de la pizza offerte (€)').fill('12,50');
      await form.getByRole('button', { name: 'Enregistrer le programme' }).click();
      await form.getByRole('status').waitFor();
      expect(await text(form.getByTestId('loyalty-scheme-stated'))).toContain('À 80 points, une pizza offerte (jusqu’à 12,50 €).');
      expect((await admin.get('/api/loyalty/scheme')).body.scheme).toMatchObject({ rewardPoints: 80, rewardMaxCents: 1250 });
      // the form keeps what is saved (a second save changes nothing it was not told to)
      expect(await form.getByLabel('Programme actif').isChecked()).toBe(true);
      expect(await form.getByLabel('Dès (payé, €)').inputValue()).toBe('10');
      await page.screenshot({ path: `${SHOTS}/loyalty-4-back-office-1024x768.png` });
      expect(await seriousViolations(page), 'the scheme on the back office').toEqual([]);

      // a point count that is not one: said on the field, nothing changed
      await form.getByLabel('Points par commande').fill('0');
      await form.getByRole('button', { name: 'Enregistrer le programme' }).click();
      await form.locator('.field-error').first().waitFor();
      expect((await admin.get('/api/loyalty/scheme')).body.scheme.pointsPerOrder).toBe(10);
    } finally {
      expect((await admin.put('/api/loyalty/scheme', before)).status).toBe(200);
    }
  });
});
