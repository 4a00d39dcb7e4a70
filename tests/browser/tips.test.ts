import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { seriousViolations } from './axe.ts';
import { pdfText } from '../pdf-text.ts';
import { live, PHONE, SHOTS, useApp } from './harness.ts';
import { Client, handOver, move, userId } from '../helpers.ts';

// Tips for the driver on a phone, in the built app and Chromium, with the demo payment page: a tip
// chosen at checkout rides on the order's card payment; once the order is delivered, the tracking
// page's "Remercier votre livreur" takes another tip, paid on its own payment page, then thanks the
// customer. Both reach the driver who delivered. Screenshots at phone size, axe on each page.
const app = useApp('tips', { DISPATCH_RETRY_MS: '500' });

async function typeCard(page: Page) {
  await page.getByLabel('Numéro de carte').fill('4242 4242 4242 4242');
  await page.getByLabel('Expiration (MM/AA)').fill('12/34');
  await page.getByLabel('Code de sécurité').fill('123');
}

describe('tips for the driver on a phone', () => {
  it('a tip at checkout and one after the delivery, both paid by card, both the driver\'s', async () => {
    const ctx = await app.browser.newContext({ viewport: PHONE, isMobile: true, hasTouch: true, locale: 'fr-FR' });
    const page = await ctx.newPage();
    await page.goto(`${app.base}/?shop=bastille`);
    await live(page);
    await page.locator('[data-product=margherita] button').first().click();
    await page.fill('input[name=name]', 'Camille Martin');
    await page.fill('input[name=phone]', '06 12 34 56 78');
    await page.fill('input[name=street]', '5 rue Oberkampf');
    await page.fill('input[name=postcode]', '75011');
    await page.getByLabel('Payer en ligne maintenant').check();
    const tip = page.getByTestId('checkout-tip');
    await tip.waitFor();
    await tip.getByText('2,00 €').click();
    await expect.poll(() => page.getByTestId('checkout-tip-line').textContent()).toMatch(/dont pourboire pour le livreur 2,00\s€/);
    const placeLabel = (await page.locator('button.place').textContent())!;
    await tip.scrollIntoViewIfNeeded();
    await page.screenshot({ path: `${SHOTS}/tips-1-phone-checkout.png` });
    expect(await seriousViolations(page), 'checkout with a tip').toEqual([]);

    // the payment page asks for the order and the tip together, and says how much is the tip
    await page.locator('button.place').click();
    await page.waitForURL(/\/track\/[^/]+\/pay$/);
    const token = page.url().split('/').at(-2)!;
    const order = (await app.pool.query('SELECT id, number, total_cents, pizzeria_id FROM orders WHERE tracking_token = $1', [token])).rows[0];
    const charged = ((order.total_cents + 200) / 100).toFixed(2).replace('.', ',');
    expect(placeLabel).toContain(charged);
    await page.getByTestId('pay-submit').waitFor();
    expect(await page.getByTestId('pay-amount').textContent()).toContain(charged);
    expect(await page.getByTestId('pay-tip').textContent()).toMatch(/2,00/);
    await typeCard(page);
    await page.getByTestId('pay-submit').click();
    await page.waitForURL(/\/track\/[^/]+$/);
    await live(page);
    // the tracking card adds up to what the card is charged: the order's total, then the tip apart
    const euros = (cents: number) => `${(cents / 100).toFixed(2).replace('.', ',')} €`;
    const said = async (id: string) => ((await page.getByTestId(id).textContent()) ?? '').replace(/\s+/g, ' ').trim();
    await expect.poll(() => page.getByTestId('track-tip').textContent()).toMatch(/Pourboire pour le livreur \(hors vente\)\s*2,00\s€/);
    expect(await said('track-total')).toBe(euros(order.total_cents));
    expect(await said('track-total-with-tip')).toBe(euros(order.total_cents + 200));
    expect(euros(order.total_cents + 200)).toBe(`${charged} €`);

    // the kitchen, then the driver, through the API; the tracking page follows live
    const shop = (await app.pool.query('SELECT slug FROM pizzerias WHERE id = $1', [order.pizzeria_id])).rows[0].slug as string;
    const [kitchen, manager, driver] = await Promise.all(
      ['kitchen', 'manager', 'driver1'].map((who) => new Client(app.base).login(`${who}.${shop}@ocpizza.test`)),
    );
    const driverId = await userId(app.pool, `driver1.${shop}@ocpizza.test`);
    await driver.post('/api/driver/shift', { onShift: true });
    await expect.poll(async () => (await app.pool.query('SELECT status FROM orders WHERE id = $1', [order.id])).rows[0].status, { timeout: 15_000 }).toBe('received');
    await move(kitchen, order.id, 'preparing');
    await move(kitchen, order.id, 'ready');
    await expect.poll(async () => {
      if ((await manager.post(`/api/orders/${order.id}/assign`, { driverId })).status === 200) return true;
      return (await manager.get(`/api/orders/${order.id}`)).body.driver?.id === driverId;
    }, { timeout: 15_000 }).toBe(true);
    await move(driver, order.id, 'out_for_delivery');
    await handOver(app.pool, driver, order.id);

    // delivered: "Remercier votre livreur"
    const thanks = page.getByTestId('tip-thanks');
    await thanks.waitFor({ timeout: 15_000 });
    await thanks.getByText('3,00 €').click();
    await expect.poll(() => thanks.getByTestId('tip-give').textContent()).toMatch(/Donner 3,00\s€/);
    await thanks.scrollIntoViewIfNeeded();
    await page.screenshot({ path: `${SHOTS}/tips-2-phone-thank-driver.png` });
    expect(await seriousViolations(page), 'tracking page, delivered, with the tip form').toEqual([]);
    await thanks.getByTestId('tip-give').click();

    // its own payment page: the tip alone, taken at once
    await page.waitForURL(/\/pay\?tip$/);
    await page.getByTestId('pay-submit').waitFor();
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toMatch(/Pourboire pour le livreur/);
    expect(await page.getByTestId('pay-amount').textContent()).toMatch(/3,00/);
    await typeCard(page);
    await page.screenshot({ path: `${SHOTS}/tips-3-phone-pay-tip.png`, fullPage: true });
    expect(await seriousViolations(page), 'the tip\'s payment page').toEqual([]);
    await page.getByTestId('pay-submit').click();
    await page.waitForURL(/\/track\/[^/?]+$/);
    await expect.poll(async () => {
      await page.reload();
      return page.getByTestId('tip-paid').textContent({ timeout: 2000 }).catch(() => null);
    }, { timeout: 15_000 }).toMatch(/Merci\s!\sVotre pourboire de 3,00\s€ a été versé au livreur/);
    await page.getByTestId('tip-thanks').scrollIntoViewIfNeeded();
    await page.screenshot({ path: `${SHOTS}/tips-4-phone-thanked.png` });
    expect(await seriousViolations(page), 'tracking page, tip paid').toEqual([]);

    // the receipt, as a page and as a PDF: the sale's total, the tips apart (2,00 + 3,00 €), and both together
    await page.goto(`${app.base}/track/${token}/receipt`);
    expect(await page.getByTestId('receipt-tip').textContent()).toMatch(/5,00\s€/);
    expect(await said('receipt-total-with-tip')).toBe(`Total avec pourboire ${euros(order.total_cents + 500)}`);
    await page.screenshot({ path: `${SHOTS}/tips-8-phone-receipt.png`, fullPage: true });
    // (a full run once read no text at all from it: its answer is said when it is not a PDF)
    const asked = await fetch(`${app.base}/api/track/${token}/receipt.pdf?lang=fr`);
    const body = Buffer.from(await asked.arrayBuffer());
    expect(`${asked.status} ${asked.headers.get('content-type')}`, body.toString('utf8', 0, 500)).toBe('200 application/pdf');
    const pdf = pdfText(body);
    // (each amount a text of its own there, its euro sign in the PDF's own encoding)
    const amount = (cents: number) => (cents / 100).toFixed(2).replace('.', ',');
    expect(pdf).toMatch(new RegExp(`Total TTC\\n${amount(order.total_cents)}\\W*\\nPourboire pour le livreur \\(hors vente\\)\\n5,00\\W*\\nTotal avec pourboire\\n${amount(order.total_cents + 500)}\\W*\\n`));

    // both tips are the driver's, and the order's sale is its own total
    await expect.poll(async () => (await app.pool.query(
      `SELECT s.amount_cents FROM tip_shares s JOIN tips t ON t.id = s.tip_id WHERE t.order_id = $1 AND s.driver_id = $2 ORDER BY s.amount_cents`, [order.id, driverId],
    )).rows.map((r) => r.amount_cents), { timeout: 15_000 }).toEqual([200, 300]);
    expect((await app.pool.query('SELECT paid_cents FROM orders WHERE id = $1', [order.id])).rows[0].paid_cents).toBe(order.total_cents);

    // the driver's phone shows the day's tips
    const { page: phone } = await app.staffPage(`driver1.${shop}@ocpizza.test`, PHONE);
    await phone.goto(`${app.base}/driver`);
    await live(phone);
    await expect.poll(() => phone.getByTestId('my-tips-today').textContent()).toMatch(/5,00\s€ par carte/);
    await phone.getByTestId('cash-tip').scrollIntoViewIfNeeded();
    await phone.getByTestId('cash-tip').locator('summary').click();
    await phone.screenshot({ path: `${SHOTS}/tips-5-phone-driver.png` });
    expect(await seriousViolations(phone), 'the driver\'s tips').toEqual([]);

    // the driver declares a cash tip of 1,50 € on their phone, for this delivery (the seeded shop's
    // driver made others in earlier files)
    const delivery = phone.getByTestId('cash-tip').locator(`li[data-order="${order.number}"]`);
    await delivery.getByLabel('Espèces reçues (€)').fill('1,50');
    await delivery.getByRole('button', { name: 'Déclarer' }).click();
    await expect.poll(() => phone.getByTestId('my-tips-today').textContent()).toMatch(/1,50\s€ en espèces/);

    // the manager's takings: the tips apart from the sales; the cash count: the cash tip beside what the shop expects
    const { page: office } = await app.staffPage(`manager.${shop}@ocpizza.test`, { width: 1440, height: 900 });
    await office.goto(`${app.base}/manager/takings`);
    const tips = office.getByTestId('tip-takings');
    await tips.waitFor();
    expect(await tips.getByTestId('tips-card').textContent()).toMatch(/5,00/);
    expect(await tips.getByTestId('tips-cash').textContent()).toMatch(/1,50/);
    await tips.scrollIntoViewIfNeeded();
    await office.screenshot({ path: `${SHOTS}/tips-6-desktop-takings.png` });
    expect(await seriousViolations(office), 'the takings with the tips').toEqual([]);
    await office.goto(`${app.base}/manager/cash`);
    await expect.poll(() => office.getByTestId('cash-tips').textContent()).toMatch(/1,50\s€ \(gardés par le livreur, hors caisse\)/);
    await office.screenshot({ path: `${SHOTS}/tips-7-desktop-cash.png` });
    expect(await seriousViolations(office), 'the cash count with a cash tip').toEqual([]);
  });
});
