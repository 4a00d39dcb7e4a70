import { describe, expect, it } from 'vitest';
import { seriousViolations } from './axe.ts';
import { SHOTS, PHONE, live, useApp } from './harness.ts';
import { Client, createShop, move, payAndWaitReceived, seededProduct, waitUntil } from '../helpers.ts';

// A manager refunds from the order's page in the built app and Chromium, on a tablet: a coke missing
// from an order paid online (its line, back to the card through the demo provider, the answer shown
// once the workers have it), then part of an order paid cash at the counter (an amount, given back at
// once). The day's takings and the customer's receipt (on a phone) show them; axe finds nothing serious.
const app = useApp('manager-refunds');
const TABLET_LANDSCAPE = { width: 1024, height: 768 };
const [margherita, coke, reine, truffe] = [seededProduct('margherita'), seededProduct('coca-cola'), seededProduct('reine'), seededProduct('truffe')];
const DESKTOP_WIDE = { width: 1440, height: 900 };
const text = async (l: { textContent(): Promise<string | null> }) => (await l.textContent())?.replace(/\s+/g, ' ').trim();

describe('refunds by the manager', () => {
  it('the manager refunds a missing coke to the card and part of a cash order, and sees each result; the takings and the receipt show them', async () => {
    const shop = await createShop(app.pool, 'refunds-ui');
    const kitchen = await new Client(app.base).login(shop.email('kitchen'));
    const counter = await new Client(app.base).login(shop.email('counter'));

    // paid online (the demo page), started by the kitchen (the hold captured), collected
    const online = await new Client(app.base).post('/api/orders', {
      pizzeriaId: shop.id, fulfilment: 'pickup', customer: { name: 'Inès Martin', phone: '0611223344', email: 'ines@example.test' },
      items: [{ productId: margherita, quantity: 2 }, { productId: coke, quantity: 1 }], payment: 'online',
    });
    expect(online.status, JSON.stringify(online.body)).toBe(201);
    await payAndWaitReceived(app.base, online.body.trackingToken);
    await move(kitchen, online.body.id, 'preparing');
    await waitUntil(async () => (await new Client(app.base).get(`/api/track/${online.body.trackingToken}`)).body.payment.status === 'paid', 20_000, 'the capture');
    await move(kitchen, online.body.id, 'ready');
    await move(counter, online.body.id, 'collected');

    // paid cash at the counter
    const cash = await counter.post('/api/orders', {
      pizzeriaId: shop.id, channel: 'counter', fulfilment: 'pickup', customer: { name: 'Marc', phone: '0622334455' },
      items: [{ productId: margherita, quantity: 1 }], payment: 'on_delivery',
    });
    await move(kitchen, cash.body.id, 'preparing');
    await move(kitchen, cash.body.id, 'ready');
    expect((await counter.post(`/api/orders/${cash.body.id}/status`, { to: 'collected', paymentMethod: 'cash' })).status).toBe(200);

    const { page } = await app.staffPage(shop.email('manager'), TABLET_LANDSCAPE);
    // the orders of the day, from the menu; the online one opened by its number
    await page.goto(`${app.base}/manager`);
    await live(page);
    await page.getByRole('link', { name: 'Commandes', exact: true }).click();
    await page.waitForURL(`${app.base}/manager/orders`);
    await page.getByLabel('Numéro de commande').fill(String(online.body.number));
    await page.getByRole('button', { name: 'Chercher' }).click();
    await page.waitForURL(/number=/);
    expect(await page.locator('[data-testid=orders-of-day] tbody tr').count()).toBe(1);
    await page.screenshot({ path: `${SHOTS}/refunds-1-orders-tablet.png`, fullPage: true });
    expect(await seriousViolations(page), 'orders of the day').toEqual([]);
    await page.getByRole('link', { name: `n°${online.body.number}`, exact: true }).click();
    await page.waitForURL(`${app.base}/manager/orders/${online.body.id}`);
    await page.getByRole('heading', { name: `Commande n°${online.body.number}` }).waitFor();

    // the coke's line: one, for a missing item
    const form = page.getByTestId('refund-form');
    await form.getByLabel('Des lignes').check();
    await form.getByLabel('Combien de Coca-Cola 33 cl rembourser').fill('1');
    await form.getByTestId('refund-reason').selectOption('missing_item');
    await form.getByLabel('Note (facultative)').fill('Oubliée dans le sac');
    await form.getByTestId('refund-review').click();
    const confirm = form.getByTestId('refund-confirm');
    expect(await text(confirm.locator('p'))).toBe('Rembourser 3,00 € sur la carte, par le prestataire de paiement, motif : article manquant ?');
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: `${SHOTS}/refunds-2-confirm-tablet.png`, fullPage: true });
    expect(await seriousViolations(page), 'order page, confirming').toEqual([]);
    await confirm.getByRole('button', { name: 'Confirmer le remboursement' }).click();
    const outcome = form.getByTestId('refund-outcome');
    await page.waitForSelector('[data-testid=refund-outcome][data-kind=done]', { timeout: 30_000 });
    expect(await text(outcome)).toBe('Remboursement de 3,00 € fait (sur la carte, par le prestataire de paiement). Le client est prévenu.');
    expect(await text(page.getByTestId('refunded'))).toBe('−3,00 €');
    expect(await page.locator('[data-testid=refund-history] tr[data-status=done]').count()).toBe(1);
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: `${SHOTS}/refunds-3-done-tablet.png`, fullPage: true });
    expect(await seriousViolations(page), 'order page, refunded').toEqual([]);

    // in English too
    await page.context().addCookies([{ name: 'ocp_lang', value: 'en', url: app.base }]);
    await page.reload();
    await page.getByRole('heading', { name: `Order n°${online.body.number}` }).waitFor();
    expect(await text(page.locator('[data-testid=refund-history] tr[data-status=done] td').nth(3))).toBe('to the card, through the payment provider');
    await page.screenshot({ path: `${SHOTS}/refunds-3b-done-tablet-en.png`, fullPage: true });
    expect(await seriousViolations(page), 'order page in English').toEqual([]);
    await page.context().addCookies([{ name: 'ocp_lang', value: 'fr', url: app.base }]);
    await page.reload();
    await page.getByRole('heading', { name: `Commande n°${online.body.number}` }).waitFor();

    // more than is left: refused, said so, nothing sent
    await form.getByLabel('Un montant').check();
    await form.getByTestId('refund-amount').fill('100');
    await form.getByTestId('refund-reason').selectOption('quality');
    await form.getByTestId('refund-review').click();
    expect(await text(form.getByRole('alert'))).toMatch(/^au plus 21,00 € peut encore être remboursé/);

    // the cash order: 2,50 € given back
    await page.goto(`${app.base}/manager/orders/${cash.body.id}`);
    await page.getByRole('heading', { name: `Commande n°${cash.body.number}` }).waitFor();
    await form.getByLabel('Un montant').check();
    await form.getByTestId('refund-amount').fill('2,50');
    await form.getByTestId('refund-reason').selectOption('late');
    await form.getByTestId('refund-review').click();
    await form.getByRole('button', { name: 'Confirmer le remboursement' }).click();
    await page.waitForSelector('[data-testid=refund-outcome][data-kind=done]', { timeout: 15_000 });
    expect(await text(outcome)).toBe('Remboursement de 2,50 € fait (rendu en espèces). Le client est prévenu.');
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: `${SHOTS}/refunds-4-cash-tablet.png`, fullPage: true });
    // its customer's tracking page says it was given back in cash, not to a card
    const tracking = await page.context().newPage();
    await tracking.goto(`${app.base}/track/${cash.body.trackingToken}`);
    expect(await text(tracking.getByTestId('refunded'))).toMatch(/^2,50 € rendu en espèces/);
    await tracking.close();

    // the day's takings: refunded online and given back at the shop, by reason, and the net sales
    await page.goto(`${app.base}/manager/takings`);
    const card = page.locator(`section[data-shop="${shop.id}"]`);
    const granted = card.getByTestId('granted');
    expect(await text(granted.locator('caption'))).toBe('2 remboursements accordés');
    expect(await text(granted.locator('tr[data-reason=missing_item] td'))).toBe('−3,00 €');
    expect(await text(granted.locator('tr[data-reason=late] td'))).toBe('−2,50 €');
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: `${SHOTS}/refunds-5-takings-tablet.png`, fullPage: true });
    expect(await seriousViolations(page), 'takings').toEqual([]);

    // the customer's receipt, on a phone: the refund with its date and reason, and the net paid
    const phone = await app.browser.newContext({ viewport: PHONE });
    const receipt = await phone.newPage();
    await receipt.goto(`${app.base}/track/${online.body.trackingToken}/receipt`);
    const refundRow = receipt.getByTestId('receipt-refund');
    expect(await text(refundRow)).toMatch(/^Remboursement .* · article manquant ?−3,00 €$/);
    expect(await text(receipt.getByTestId('receipt-net'))).toBe(`Net payé${((online.body.total - 300) / 100).toFixed(2).replace('.', ',')} €`);
    await receipt.screenshot({ path: `${SHOTS}/refunds-6-receipt-phone.png`, fullPage: true });
    expect(await seriousViolations(receipt), 'receipt').toEqual([]);
    await phone.close();
  }, 180_000);

  it('an order paid in two ways shows its two parts, and a whole refund gives back each the way it came: 12,50 € to the card, 18,90 € in cash', async () => {
    const shop = await createShop(app.pool, 'refunds-mixed-ui');
    const kitchen = await new Client(app.base).login(shop.email('kitchen'));
    const counter = await new Client(app.base).login(shop.email('counter'));
    // a Reine paid online (the demo page), a Truffe added before the kitchen starts: 18,90 € due, collected in cash at the counter
    const placed = await new Client(app.base).post('/api/orders', {
      pizzeriaId: shop.id, fulfilment: 'pickup', customer: { name: 'Nina Roux', phone: '0611223371', email: 'nina@example.test' },
      items: [{ productId: reine, quantity: 1 }], payment: 'online',
    });
    expect(placed.status, JSON.stringify(placed.body)).toBe(201);
    await payAndWaitReceived(app.base, placed.body.trackingToken);
    const grown = await new Client(app.base).patch(`/api/track/${placed.body.trackingToken}`, { items: [{ productId: reine, quantity: 1 }, { productId: truffe, quantity: 1 }] });
    expect(grown.body).toMatchObject({ totalCents: 3140, paidCents: 1250, amountDueCents: 1890 });
    await move(kitchen, placed.body.id, 'preparing');
    await waitUntil(async () => (await new Client(app.base).get(`/api/track/${placed.body.trackingToken}`)).body.payment.status === 'paid', 20_000, 'the capture');
    await move(kitchen, placed.body.id, 'ready');
    expect((await counter.post(`/api/orders/${placed.body.id}/status`, { to: 'collected', paymentMethod: 'cash' })).status).toBe(200);

    const { page } = await app.staffPage(shop.email('manager'), DESKTOP_WIDE);
    await page.goto(`${app.base}/manager/orders/${placed.body.id}`);
    await page.getByRole('heading', { name: `Commande n°${placed.body.number}` }).waitFor();
    // the two parts, each with what is left of it
    expect(await text(page.getByTestId('part-provider'))).toBe('12,50 € · reste 12,50 €');
    expect(await text(page.getByTestId('part-cash'))).toBe('18,90 € · reste 18,90 €');
    expect(await text(page.getByTestId('money').locator('dt.part').first())).toBe('En ligne (carte)');
    expect(await text(page.getByTestId('money').locator('dt.part').nth(1))).toBe('Espèces au comptoir');
    expect(await text(page.getByTestId('parts-help'))).toMatch(/^Payée de deux façons/);
    await page.screenshot({ path: `${SHOTS}/refunds-7-mixed-desktop.png`, fullPage: true });
    expect(await seriousViolations(page), 'order paid in two ways').toEqual([]);

    // a part of an amount: the manager chooses which way; more than that way has left is refused
    const form = page.getByTestId('refund-form');
    await form.getByLabel('Un montant').check();
    await form.getByTestId('refund-way').getByLabel('Espèces au comptoir').check();
    await form.getByTestId('refund-amount').fill('20');
    await form.getByTestId('refund-reason').selectOption('late');
    await form.getByTestId('refund-review').click();
    expect(await text(form.getByRole('alert'))).toBe('Au plus 18,90 € reste à rembourser sur cette part.');
    await form.getByTestId('refund-way').getByLabel('En ligne (carte)').check();
    await form.getByTestId('refund-amount').fill('13');
    await form.getByTestId('refund-review').click();
    expect(await text(form.getByRole('alert'))).toBe('Au plus 12,50 € reste à rembourser sur cette part.');
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: `${SHOTS}/refunds-7b-mixed-way-desktop.png`, fullPage: true });
    expect(await seriousViolations(page), 'choosing the way of a part').toEqual([]);

    // the whole order: each part its own way, said before it is confirmed
    await form.getByLabel('Toute la commande (31,40 €)').check();
    await form.getByTestId('refund-review').click();
    const confirm = form.getByTestId('refund-confirm');
    expect(await text(confirm.locator('p'))).toBe('Rembourser 31,40 € : 12,50 € sur la carte, par le prestataire de paiement et 18,90 € rendu en espèces, motif : retard ?');
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: `${SHOTS}/refunds-8-mixed-confirm-desktop.png`, fullPage: true });
    await confirm.getByRole('button', { name: 'Confirmer le remboursement' }).click();
    await page.waitForSelector('[data-testid=refund-outcome][data-kind=done]', { timeout: 30_000 });
    expect(await text(form.getByTestId('refund-outcome'))).toBe(
      'Remboursement de 31,40 € fait (12,50 € sur la carte, par le prestataire de paiement et 18,90 € rendu en espèces). Le client est prévenu.',
    );
    expect(await text(page.getByTestId('refunded'))).toBe('−31,40 €');
    expect(await text(page.getByTestId('part-provider'))).toBe('12,50 € · reste 0,00 €');
    expect(await text(page.getByTestId('part-cash'))).toBe('18,90 € · reste 0,00 €');
    const rows = page.locator('[data-testid=refund-history] tr[data-status=done]');
    expect(await rows.count()).toBe(2);
    expect(await text(rows.nth(0).locator('td').nth(3))).toBe('sur la carte, par le prestataire de paiement');
    expect(await text(rows.nth(1).locator('td').nth(3))).toBe('rendu en espèces');
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: `${SHOTS}/refunds-9-mixed-done-desktop.png`, fullPage: true });
    expect(await seriousViolations(page), 'order paid in two ways, refunded').toEqual([]);
    // the takings: 12,50 € refunded online, 18,90 € given back at the shop
    const takings = (await (await new Client(app.base).login(shop.email('manager'))).get(`/api/shops/${shop.id}/takings`)).body.shops[0];
    expect(takings.refunds).toEqual({ onlineCents: 1250, shopCents: 1890 });
  }, 180_000);
});
