// Titres-restaurant online, on a phone (390×844), on the demo payment page (no Stripe keys): a 40 €
// pickup (of which a beer, 4 €) paid 20 € by a meal-voucher card and the rest by bank card; the page
// says first what a voucher may pay (36 € of food, 25 € a day per card, not the beer); the same
// voucher card on a second order, asked 10 € with 5 € left today, is refused when it is presented, the
// page saying why and that the whole is now the bank card's.
import { describe, expect, it } from 'vitest';
import { PHONE, SHOTS, useApp } from './harness.ts';
import { seededProduct, Client, createShop } from '../helpers.ts';
import { seriousViolations } from './axe.ts';

const app = useApp('meal-vouchers-online');
const LIVE = { timeout: 15_000 };
const text = async (l: import('playwright-core').Locator) => (await l.textContent())?.replace(/\s/g, ' ') ?? '';

describe('titres-restaurant at online checkout', () => {
  it('20 € by meal voucher and the rest by card; the same card refused over its 25 € a day', async () => {
    const shop = await createShop(app.pool, 'voucher-online');
    // a shop that accepts vouchers every day, so the test reads the same on a Sunday (the Sunday rule: tests/road/meal-vouchers-online.test.ts)
    const manager = await new Client(app.base).login(shop.email('manager'));
    expect((await manager.put(`/api/shops/${shop.id}/meal-vouchers`, { onClosedDays: true })).status).toBe(200);
    const place = async (name: string) => {
      const r = await new Client(app.base).post('/api/orders', {
        pizzeriaId: shop.id, fulfilment: 'pickup', customer: { name, phone: `06${String(Math.floor(Math.random() * 1e8)).padStart(8, '0')}`, email: 'ines@example.test' },
        items: [{ productId: seededProduct('chevre-miel'), quantity: 2 }, { productId: seededProduct('glace-vanille'), quantity: 2 }, { productId: seededProduct('peroni'), quantity: 1 }],
        payment: 'online',
      });
      expect(r.status, JSON.stringify(r.body)).toBe(201);
      return { id: r.body.id as string, token: r.body.trackingToken as string };
    };
    const first = await place('Inès');
    const ctx = await app.browser.newContext({ viewport: PHONE, isMobile: true, hasTouch: true, locale: 'fr-FR' });
    const page = await ctx.newPage();
    await page.goto(`${app.base}/track/${first.token}/pay`);
    const voucher = page.getByTestId('voucher');
    await page.getByTestId('voucher-open').click();
    expect(await text(page.getByTestId('voucher-rules'))).toContain('36,00 €');
    expect(await text(page.getByTestId('voucher-rules'))).toContain('25,00 € au plus par jour et par carte');
    expect(await page.getByTestId('voucher-amount').inputValue()).toBe('25,00');
    await voucher.getByLabel('Pluxee').check();
    await page.getByTestId('voucher-amount').fill('20,00');
    await voucher.evaluate((el) => el.scrollIntoView({ block: 'start' }));
    await page.screenshot({ path: `${SHOTS}/voucher-online-1-offer.png` });
    expect(await seriousViolations(page), 'the voucher offer').toEqual([]);

    await page.getByTestId('voucher-choose').click();
    // two payments now: 20 € on the voucher card, 20 € by bank card
    await expect.poll(() => text(page.getByTestId('voucher-part')), LIVE).toContain('Titre-restaurant Pluxee : 20,00 €');
    await expect.poll(() => text(page.getByTestId('pay-amount')), LIVE).toBe('20,00 €');
    expect(await text(page.getByTestId('pay-voucher-line'))).toContain('20,00 €');
    await page.getByTestId('voucher-pay').waitFor(LIVE);
    const voucherCard = `5555 5555 5555 4444`;
    await page.getByLabel('Numéro de la carte titre-restaurant').fill(voucherCard);
    await voucher.getByLabel('Expiration (MM/AA)').fill('12/34');
    await voucher.getByLabel('Code de sécurité').fill('123');
    await page.screenshot({ path: `${SHOTS}/voucher-online-2-two-parts.png`, fullPage: true });
    await page.getByTestId('voucher-pay').click();
    await expect.poll(() => text(page.getByTestId('voucher-held')), LIVE).toContain('Titre-restaurant Pluxee autorisé : 20,00 €');
    // the order waits for its card part
    expect((await app.pool.query('SELECT status FROM orders WHERE id = $1', [first.id])).rows[0].status).toBe('pending_payment');
    await page.screenshot({ path: `${SHOTS}/voucher-online-3-voucher-held.png`, fullPage: true });
    const card = page.locator('form.card.form');
    await card.getByLabel('Numéro de carte').fill('4242 4242 4242 4242');
    await card.getByLabel('Expiration (MM/AA)').fill('12/34');
    await card.getByLabel('Code de sécurité').fill('123');
    await page.getByTestId('pay-submit').click();
    await page.waitForURL(new RegExp(`/track/${first.token}$`), LIVE);
    await expect.poll(async () => (await app.pool.query('SELECT status, paid_cents, meal_voucher_cents, meal_voucher_issuer FROM orders WHERE id = $1', [first.id])).rows[0], LIVE)
      .toEqual({ status: 'received', paid_cents: 4000, meal_voucher_cents: 2000, meal_voucher_issuer: 'pluxee' });

    // the same voucher card the same day on another order: 10 € asked, 5 € left
    const second = await place('Inès');
    await page.goto(`${app.base}/track/${second.token}/pay`);
    await page.getByTestId('voucher-open').click();
    await page.getByTestId('voucher-amount').fill('10,00');
    await page.getByTestId('voucher-choose').click();
    await page.getByTestId('voucher-pay').waitFor(LIVE);
    await page.getByLabel('Numéro de la carte titre-restaurant').fill(voucherCard);
    await voucher.getByLabel('Expiration (MM/AA)').fill('12/34');
    await voucher.getByLabel('Code de sécurité').fill('123');
    await page.getByTestId('voucher-pay').click();
    await expect.poll(() => text(page.getByTestId('voucher-refused')), LIVE).toContain('ne peut plus payer que 5,00 € en titre-restaurant aujourd’hui');
    expect(await text(page.getByTestId('voucher-refused'))).toContain('le total est à payer par carte bancaire');
    await expect.poll(() => text(page.getByTestId('pay-amount')), LIVE).toBe('40,00 €');
    await page.getByTestId('voucher').evaluate((el) => el.scrollIntoView({ block: 'start' }));
    await page.screenshot({ path: `${SHOTS}/voucher-online-4-refused.png` });
    expect(await seriousViolations(page), 'the voucher refused').toEqual([]);
    await ctx.close();
  });

  it('a part chosen while the workers are held back: the page says it is preparing, then offers the voucher card by itself once they made its payment', async () => {
    const shop = await createShop(app.pool, 'voucher-later');
    const manager = await new Client(app.base).login(shop.email('manager'));
    expect((await manager.put(`/api/shops/${shop.id}/meal-vouchers`, { onClosedDays: true })).status).toBe(200);
    const r = await new Client(app.base).post('/api/orders', {
      pizzeriaId: shop.id, fulfilment: 'pickup', customer: { name: 'Malo', phone: `06${String(Math.floor(Math.random() * 1e8)).padStart(8, '0')}` },
      items: [{ productId: seededProduct('chevre-miel'), quantity: 2 }], payment: 'online',
    });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    const ctx = await app.browser.newContext({ viewport: PHONE, isMobile: true, hasTouch: true, locale: 'fr-FR' });
    const page = await ctx.newPage();
    await page.goto(`${app.base}/track/${r.body.trackingToken}/pay`);
    // the card's payment is there; choosing a part starts the payment again (the part's, then the card's)
    await page.getByTestId('pay-submit').waitFor(LIVE);
    const letGo = app.holdWorkers();
    try {
      await page.getByTestId('voucher-open').click();
      await page.getByTestId('voucher').getByLabel('Pluxee').check();
      await page.getByTestId('voucher-amount').fill('10,00');
      await page.getByTestId('voucher-choose').click();
      await expect.poll(() => text(page.getByTestId('voucher')), LIVE).toContain('Titre-restaurant Pluxee : 10,00 €');
      expect(await page.getByTestId('voucher-pay').count(), 'no voucher card form before its payment exists').toBe(0);
      await page.waitForTimeout(2000);
    } finally {
      letGo();
    }
    await page.getByTestId('voucher-pay').waitFor(LIVE);
    await ctx.close();
  });
});
