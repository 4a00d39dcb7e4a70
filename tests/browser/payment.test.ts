import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seriousViolations } from './axe.ts';
import { live, PHONE, SHOTS, ticketInView, useApp } from './harness.ts';
import { startTestSmtp, type TestSmtp } from '../services.ts';

// Paying online on a phone, on the demo payment page (no Stripe keys): a card the bank refuses, then
// one it accepts; the kitchen starts the order and the card is charged; another customer cancels
// and sees the hold let go; both read the emails that tell them so (an SMTP server in the test
// process). Screenshots on a phone.
let smtp: TestSmtp;
beforeAll(async () => {
  smtp = await startTestSmtp();
});
afterAll(async () => {
  await smtp?.close();
});
const app = useApp('payment', () => ({ PREP_TARGET_SECONDS: '900', SMTP_URL: smtp.url }));

const subjectsTo = (email: string) => smtp.inbox.filter((m) => (m.to as { text: string } | undefined)?.text === email).map((m) => m.subject ?? '');

async function phone() {
  const ctx = await app.browser.newContext({ viewport: PHONE, isMobile: true, hasTouch: true, locale: 'fr-FR' });
  return ctx.newPage();
}

async function typeCard(page: import('playwright-core').Page, number: string, expiry = '12/34') {
  await page.getByLabel('Numéro de carte').fill(number);
  await page.getByLabel('Expiration (MM/AA)').fill(expiry);
  await page.getByLabel('Code de sécurité').fill('123');
  await page.getByTestId('pay-submit').click();
}

const movementsOf = async (orderId: string) =>
  (await app.pool.query('SELECT kind, amount_cents FROM payment_movements WHERE order_id = $1 ORDER BY id', [orderId])).rows.map((r) => `${r.kind} ${r.amount_cents}`);

describe('paying online on a phone', () => {
  it('a refused card says so and another pays; the card is charged when the kitchen starts', async () => {
    const page = await phone();
    await page.goto(`${app.base}/?shop=montparnasse`);
    await live(page);
    await page.locator('[data-product=margherita] button').first().click();
    await page.getByRole('radiogroup').getByRole('button', { name: 'À emporter' }).click();
    await page.fill('input[name=name]', 'Jeanne Petit');
    await page.fill('input[name=phone]', '06 98 76 54 32');
    await page.fill('input[name=email]', 'jeanne.petit@example.test');
    await page.locator('button.place').click();
    await page.waitForURL(/\/track\/[^/]+\/pay$/);
    const token = page.url().split('/').at(-2)!;
    const orderId = (await app.pool.query('SELECT id, total_cents FROM orders WHERE tracking_token = $1', [token])).rows[0].id as string;
    await expect.poll(() => page.getByTestId('demo-banner').textContent()).toMatch(/aucune carte n’est débitée/);
    await page.getByTestId('pay-submit').waitFor();
    await page.screenshot({ path: `${SHOTS}/pay-1-phone-form.png`, fullPage: true });
    expect(await seriousViolations(page)).toEqual([]);

    // a typo first: the field says what is wrong
    await typeCard(page, '4242 4242 4242 4241');
    await expect.poll(() => page.locator('.field-error').first().textContent()).toMatch(/Numéro de carte invalide/);
    // a card past its date, typed as the phone's numeric keypad gives it (no "/"): said as expired
    await typeCard(page, '4242 4242 4242 4242', '0120');
    await expect.poll(() => page.locator('.field-error').first().textContent()).toBe('Cette carte a expiré\u00a0: vérifiez la date ou essayez une autre carte.');
    expect(await page.getByLabel('Expiration (MM/AA)').getAttribute('aria-invalid')).toBe('true');
    await page.screenshot({ path: `${SHOTS}/pay-1b-phone-expired.png`, fullPage: true });
    // then the bank refuses the card: nothing charged, another card can be tried
    await typeCard(page, '4000 0000 0000 0002');
    await expect.poll(() => page.getByTestId('pay-refused').textContent()).toMatch(/Carte refusée/);
    await page.screenshot({ path: `${SHOTS}/pay-2-phone-refused.png`, fullPage: true });
    await expect.poll(() => movementsOf(orderId)).toEqual(['failed 0']);

    // the "/" goes in as the month is typed, key by key as on a phone's keypad
    const expiryField = page.getByLabel('Expiration (MM/AA)');
    await expiryField.fill('');
    await expiryField.pressSequentially('12');
    expect(await expiryField.inputValue()).toBe('12/');
    await expiryField.pressSequentially('34');
    expect(await expiryField.inputValue()).toBe('12/34');
    await expiryField.press('Backspace');
    await expiryField.press('Backspace');
    await expiryField.press('Backspace');
    expect(await expiryField.inputValue()).toBe('12');
    // "1234" from the keypad pays as "12/34" would
    await typeCard(page, '4242 4242 4242 4242', '1234');
    await page.waitForURL(/\/track\/[^/]+$/);
    await live(page);
    await expect.poll(() => page.getByTestId('track-status').textContent(), { timeout: 15_000 }).toMatch(/reçue/i);
    await expect.poll(() => page.locator('.pay').textContent()).toMatch(/Carte autorisée/);
    await page.screenshot({ path: `${SHOTS}/pay-3-phone-authorised.png`, fullPage: true });

    // the kitchen starts it: the card is charged, the page says paid, live
    const { page: kitchen } = await app.staffPage('kitchen.montparnasse@ocpizza.test', { width: 1180, height: 820 });
    await kitchen.goto(`${app.base}/kitchen`);
    await live(kitchen);
    const number = (await app.pool.query('SELECT number FROM orders WHERE id = $1', [orderId])).rows[0].number;
    await ticketInView(kitchen, orderId);
    await kitchen.locator(`[data-column=received] article[data-number="${number}"]`).getByRole('button', { name: 'Commencer' }).click();
    await expect.poll(() => page.getByTestId('track-status').textContent(), { timeout: 15_000 }).toMatch(/au four/);
    await expect.poll(() => page.locator('.pay').textContent(), { timeout: 15_000 }).toMatch(/Payée en ligne/);
    const total = (await app.pool.query('SELECT total_cents FROM orders WHERE id = $1', [orderId])).rows[0].total_cents;
    expect(await movementsOf(orderId)).toEqual(['failed 0', `authorised ${total}`, `captured ${total}`]);
    await page.screenshot({ path: `${SHOTS}/pay-4-phone-charged.png`, fullPage: true });
    // the email the customer got when the kitchen received it (one, in French)
    await expect.poll(() => subjectsTo('jeanne.petit@example.test'), { timeout: 15_000 }).toEqual([`Commande n°${number} reçue · OC Pizza Montparnasse`]);
  });

  it('a customer who cancels after paying sees the hold let go, and nothing is charged', async () => {
    const { rows } = await app.pool.query(`SELECT id FROM products WHERE slug = 'margherita'`);
    const placed = await (await fetch(`${app.base}/api/orders`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ pizzeriaId: (await app.pool.query(`SELECT id FROM pizzerias WHERE slug = 'montparnasse'`)).rows[0].id, fulfilment: 'pickup', customer: { name: 'Paul', phone: '0611223344', email: 'paul@example.test' }, items: [{ productId: rows[0].id, quantity: 2 }], payment: 'online' }),
    })).json();
    const page = await phone();
    await page.goto(`${app.base}/track/${placed.trackingToken}`);
    await live(page);
    // the tracking page offers to pay
    await page.getByTestId('pay-now').click();
    await page.waitForURL(/\/pay$/);
    await page.getByTestId('pay-submit').waitFor({ timeout: 15_000 });
    await typeCard(page, '4242 4242 4242 4242');
    await page.waitForURL(/\/track\/[^/]+$/);
    await live(page);
    await expect.poll(() => page.getByTestId('track-status').textContent(), { timeout: 15_000 }).toMatch(/reçue/i);

    page.on('dialog', (d) => void d.accept());
    await page.getByRole('button', { name: 'Annuler la commande' }).click();
    await expect.poll(() => page.getByTestId('track-status').textContent()).toMatch(/annulée/i);
    await expect.poll(() => page.getByTestId('refunded').textContent(), { timeout: 15_000 }).toMatch(/autorisation de 21,00\s€ sur votre carte est levée\s: rien n’a été débité/);
    expect(await page.getByTestId('receipt-link').count()).toBe(0);
    await page.screenshot({ path: `${SHOTS}/pay-5-phone-cancelled-released.png`, fullPage: true });
    // the page says so as soon as the order is cancelled; the workers let the hold go a moment later
    await expect.poll(() => movementsOf(placed.id), { timeout: 15_000 }).toEqual(['authorised 2100', 'released 2100']);
    // and the email says so
    await expect.poll(() => smtp.inbox.filter((m) => (m.to as { text: string } | undefined)?.text === 'paul@example.test').map((m) => m.text ?? '').join('\n'), { timeout: 15_000 })
      .toMatch(/annulée[\s\S]*L’autorisation de 21,00\s€ sur votre carte est levée/);
    // the payment page is over for it: back to the tracking page
    await page.goto(`${app.base}/track/${placed.trackingToken}/pay`);
    await page.waitForURL(/\/track\/[^/]+$/);
    // and no receipt for money never taken, even asked for by its address
    await page.goto(`${app.base}/track/${placed.trackingToken}/receipt`);
    expect(await page.getByTestId('no-receipt').textContent()).toMatch(/Pas de reçu pour cette commande[\s\S]*Rien n’a été débité/);
    expect(await page.getByTestId('receipt').count()).toBe(0);
    await page.screenshot({ path: `${SHOTS}/pay-6-phone-no-receipt.png`, fullPage: true });
  });
});
