import { describe, expect, it } from 'vitest';
import { seededProduct } from '../helpers.ts';
import { live, PHONE, SHOTS, useApp } from './harness.ts';
import { seriousViolations } from './axe.ts';

// An order paid online for a slot a week ahead, on a phone, with the demo payments: the payment page
// asks to save the card and says nothing is charged today; once saved, the tracking page says when
// it will be held. A shop of the file's own (open at all hours), driven by Debian's Chromium.
const app = useApp('card-saved', {}, { shop: 'card-saved' });

describe('a card saved for an order days ahead', () => {
  it('the payment page saves the card, nothing charged today, and the tracking page says when it will be held', async () => {
    const quarter = 15 * 60_000;
    const slot = new Date(Math.ceil((Date.now() + 6.5 * 86_400_000) / quarter) * quarter).toISOString();
    const placed = await (await fetch(`${app.base}/api/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        pizzeriaId: app.shop.id, fulfilment: 'pickup', customer: { name: 'Inès Haddad', phone: '06 22 33 44 66' },
        items: [{ productId: seededProduct('margherita'), quantity: 1 }], payment: 'online', slot, lang: 'fr',
      }),
    })).json();
    expect(placed).toMatchObject({ status: 'pending_payment' });

    const ctx = await app.browser.newContext({ viewport: PHONE, isMobile: true, hasTouch: true, locale: 'fr-FR' });
    const page = await ctx.newPage();
    await page.goto(`${app.base}/track/${placed.trackingToken}/pay`);
    await expect.poll(() => page.getByTestId('save-note').textContent()).toMatch(/Votre carte est enregistrée maintenant et autorisée la veille de votre commande\u202f; rien n’est débité aujourd’hui\./);
    expect(await page.locator('h1').textContent()).toMatch(/Enregistrez votre carte/);
    await page.getByTestId('pay-submit').waitFor();
    expect(await page.getByTestId('pay-submit').textContent()).toMatch(/Enregistrer ma carte/);
    expect(await page.getByText(/Sans carte enregistrée avant \d\d:\d\d, la commande est annulée/).count()).toBe(1);
    await page.screenshot({ path: `${SHOTS}/card-saved-1-pay-phone.png`, fullPage: true });
    expect(await seriousViolations(page), 'the page that saves a card').toEqual([]);

    await page.getByLabel('Numéro de carte').fill('4242 4242 4242 4242');
    await page.getByLabel('Expiration (MM/AA)').fill('12/34');
    await page.getByLabel('Code de sécurité').fill('123');
    await page.getByTestId('pay-submit').click();
    await page.waitForURL(/\/track\/[^/]+$/);
    await live(page);
    await expect.poll(() => page.getByTestId('card-saved').textContent(), { timeout: 15_000 }).toMatch(/Carte enregistrée\u202f: elle est autorisée le .* Rien n’est débité aujourd’hui\./);
    await page.screenshot({ path: `${SHOTS}/card-saved-2-tracking-phone.png`, fullPage: true });
    const { rows } = await app.pool.query('SELECT status, payment_status, paid_cents FROM orders WHERE id = $1', [placed.id]);
    expect(rows[0]).toEqual({ status: 'received', payment_status: 'card_saved', paid_cents: 0 });
    await ctx.close();

    // in English, the same promise
    const enCtx = await app.browser.newContext({ viewport: PHONE, locale: 'en-GB' });
    await enCtx.addCookies([{ name: 'ocp_lang', value: 'en', url: app.base }]);
    const en = await enCtx.newPage();
    const other = await (await fetch(`${app.base}/api/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        pizzeriaId: app.shop.id, fulfilment: 'pickup', customer: { name: 'Ann Lee', phone: '06 22 33 44 77' },
        items: [{ productId: seededProduct('margherita'), quantity: 1 }], payment: 'online', slot, lang: 'en',
      }),
    })).json();
    await en.goto(`${app.base}/track/${other.trackingToken}/pay`);
    await expect.poll(() => en.getByTestId('save-note').textContent()).toMatch(/Your card is saved now and held the day before your order; nothing is charged today\./);
    await enCtx.close();
  });
});
