import { describe, expect, it } from 'vitest';
import { seriousViolations } from './axe.ts';
import { DESKTOP, PHONE, SHOTS, live, useApp } from './harness.ts';
import { Client, handOver, move, placeThroughApi, seededProduct, userId } from '../helpers.ts';

// Ratings in the built app and Chromium: a customer on a phone rates their delivered order on the
// tracking page (stars, a comment, a thank-you in place of the form, the rating shown again after a
// reload) and can call the shop; a low rating reaches the manager's live page as an alert; the
// manager reads the ratings per shop and driver on the back office's page. Screenshots of both.
const app = useApp('ratings', {}, { shop: 'ratings' });
const margherita = seededProduct('margherita');

describe('ratings', () => {
  it('a customer on a phone rates a delivered order, and the manager sees it with the low one that reached the live page', async () => {
    const shop = app.shop;
    await app.pool.query(`UPDATE pizzerias SET phone = '01 43 55 12 34' WHERE id = $1`, [shop.id]);
    const [kitchen, counter, manager, driver1, driver2] = await Promise.all(
      (['kitchen', 'counter', 'manager', 'driver1', 'driver2'] as const).map((who) => new Client(app.base).login(shop.email(who))),
    );
    for (const d of [driver1, driver2]) await d.post('/api/driver/shift', { onShift: true });
    const delivered = async (driver: Client, email: string) => {
      const placed = await placeThroughApi(app.base, { pizzeriaId: shop.id, productId: margherita, customer: { name: 'Camille Martin', phone: '06 12 34 56 78' } });
      await move(kitchen, placed.id, 'preparing');
      await move(kitchen, placed.id, 'ready');
      expect((await manager.post(`/api/orders/${placed.id}/assign`, { driverId: await userId(app.pool, email) })).status).toBe(200);
      await move(driver, placed.id, 'out_for_delivery');
      await handOver(app.pool, driver, placed.id);
      return placed;
    };
    const mine = await delivered(driver1, shop.email('driver1'));
    const cold = await delivered(driver2, shop.email('driver2'));
    const pickup = await placeThroughApi(app.base, { pizzeriaId: shop.id, productId: margherita, fulfilment: 'pickup' });
    await move(kitchen, pickup.id, 'preparing');
    await move(kitchen, pickup.id, 'ready');
    await move(counter, pickup.id, 'collected');
    expect((await new Client(app.base).post(`/api/track/${pickup.trackingToken}/rating`, { food: 5, comment: 'Prête à l’heure, merci !' })).status).toBe(201);

    // the manager's live page hears a low rating as it comes
    const { page: live1 } = await app.staffPage(shop.email('manager'), DESKTOP);
    await live1.goto(`${app.base}/manager`);
    await live(live1);
    expect((await new Client(app.base).post(`/api/track/${cold.trackingToken}/rating`, { food: 3, delivery: 1, comment: 'Livrée froide, 40 minutes de retard' })).status).toBe(201);
    const alert = live1.locator('[data-alert=low_rating]');
    await alert.waitFor({ timeout: 10_000 });
    expect(await alert.textContent()).toBe(`N° ${cold.number} (${shop.slug}) mal notée\u00a0: repas 3/5, livraison 1/5 — «\u00a0Livrée froide, 40 minutes de retard\u00a0»`);
    await alert.scrollIntoViewIfNeeded();
    await live1.screenshot({ path: `${SHOTS}/ratings-0-manager-live-alert.png` });

    // the customer's phone: the tracking page of the delivered order asks for a rating
    const ctx = await app.browser.newContext({ viewport: PHONE, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
    const page = await ctx.newPage();
    await page.goto(`${app.base}/track/${mine.trackingToken}`);
    await live(page);
    const form = page.getByTestId('rating');
    await form.waitFor();
    expect(await page.getByTestId('shop-phone').getAttribute('href')).toBe('tel:0143551234');
    // paid to the driver in cash: said so, not "paid online"
    expect((await page.locator('.pay').textContent())?.trim()).toBe('Payée (espèces).');
    await page.screenshot({ path: `${SHOTS}/ratings-1-tracking-form-phone.png`, fullPage: true });
    expect(await seriousViolations(page), 'tracking page with the rating form').toEqual([]);

    // sent without stars: told what is missing, nothing sent
    await page.getByTestId('rating-send').click();
    expect(await page.getByTestId('rating-problem').textContent()).toBe('Choisissez de 1 à 5 étoiles pour le repas.');
    // a tap on the fourth star of the food, the fifth of the delivery, and a comment
    await page.getByRole('group', { name: 'Le repas' }).locator('label', { hasText: '4 étoiles sur 5' }).tap();
    await page.getByRole('group', { name: 'La livraison' }).locator('label', { hasText: '5 étoiles sur 5' }).tap();
    expect(await page.getByRole('group', { name: 'Le repas' }).getByRole('radio', { name: '4 étoiles sur 5' }).isChecked()).toBe(true);
    await page.getByLabel('Un commentaire (facultatif)').fill('Très bonne, et le livreur était adorable.');
    await page.screenshot({ path: `${SHOTS}/ratings-2-tracking-filled-phone.png`, fullPage: true });
    await page.getByTestId('rating-send').tap();
    await page.getByTestId('rating-thanks').waitFor();
    expect(await page.getByTestId('rating-thanks').textContent()).toBe('Merci pour votre avis\u00a0!');
    expect(await page.locator('[data-testid=rating] form').count()).toBe(0);
    await page.screenshot({ path: `${SHOTS}/ratings-3-tracking-thanks-phone.png`, fullPage: true });
    expect(await seriousViolations(page), 'tracking page after the rating').toEqual([]);
    // a reload shows the rating given, not the form
    await page.reload();
    await page.getByTestId('rating-given').waitFor();
    expect(await page.locator('[data-testid=rating] form').count()).toBe(0);
    expect(await page.getByTestId('rating-given').textContent()).toContain('Très bonne, et le livreur était adorable.');
    const row = (await app.pool.query('SELECT food, delivery, comment FROM order_ratings WHERE order_id = $1', [mine.id])).rows[0];
    expect(row).toEqual({ food: 4, delivery: 5, comment: 'Très bonne, et le livreur était adorable.' });
    await ctx.close();

    // the manager's back office: the shop's and each driver's averages, and the comments
    await live1.getByRole('link', { name: 'Avis' }).click();
    await live1.waitForURL(`${app.base}/manager/ratings`);
    const shopRow = live1.locator(`[data-testid=by-shop] tr[data-shop="${shop.id}"]`);
    expect(await shopRow.locator('[data-count]').textContent()).toBe('3');
    expect(await shopRow.locator('[data-food] b').textContent()).toBe('4,0');
    expect(await shopRow.locator('[data-delivery] b').textContent()).toBe('3,0');
    expect(await shopRow.locator('[data-delivery] .sr-only').textContent()).toBe('3,0 sur 5');
    expect(await live1.locator('[data-testid=by-driver] tbody tr').count()).toBe(2);
    expect(await live1.locator('[data-testid=latest] li').count()).toBe(3);
    expect(await live1.locator(`[data-testid=latest] li[data-order="${cold.number}"]`).getAttribute('class')).toContain('low');
    await live1.screenshot({ path: `${SHOTS}/ratings-4-manager-desktop.png`, fullPage: true });
    expect(await seriousViolations(live1), 'ratings page').toEqual([]);
  });
});
