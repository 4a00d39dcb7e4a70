import { describe, expect, it } from 'vitest';
import { seriousViolations } from './axe.ts';
import { DESKTOP, PHONE, SHOTS, live, useApp } from './harness.ts';
import { Client, createShop, handOver, move, payAndWaitReceived, seededProduct, userId, waitUntil } from '../helpers.ts';

// A manager gives back a driver's tip from the order's page, in the built app and Chromium, at a
// desktop's size: a delivery paid online with a 3,00 € tip (the demo provider), delivered; the
// manager taps "Rembourser le pourboire", confirms, and reads it refunded once the workers have the
// provider's answer. Meanwhile the driver's phone, open on its page, sees its card tips go down
// without a reload, and the customer's tracking card says the tip was refunded and what the card was
// charged in the end. Screenshots of each, axe on the manager's page.
const app = useApp('tip-refunds', { DISPATCH_RETRY_MS: '500' });
const margherita = seededProduct('margherita');
const said = async (l: { innerText(): Promise<string> }) => (await l.innerText()).replace(/\s+/g, ' ').trim();

describe('a tip refunded by the manager', () => {
  it('the manager taps it once, it reads refunded; the driver\'s phone and the customer\'s tracking card follow', async () => {
    const shop = await createShop(app.pool, 'tip-refund-ui');
    const [kitchen, manager, driver] = await Promise.all(['kitchen', 'manager', 'driver1'].map((who) => new Client(app.base).login(shop.email(who as 'kitchen'))));
    const driverId = await userId(app.pool, shop.email('driver1'));
    await driver.post('/api/driver/shift', { onShift: true });

    const placed = await new Client(app.base).post('/api/orders', {
      pizzeriaId: shop.id, fulfilment: 'delivery', customer: { name: 'Inès Martin', phone: '0611224455' },
      address: { street: '5 rue Oberkampf', postcode: '75011', city: 'Paris', lat: 48.8643, lng: 2.3736 },
      items: [{ productId: margherita, quantity: 1 }], payment: 'online', tipCents: 300,
    });
    expect(placed.status, JSON.stringify(placed.body)).toBe(201);
    const { id, trackingToken: token, number, total } = placed.body as { id: string; trackingToken: string; number: number; total: number };
    await payAndWaitReceived(app.base, token);
    await move(kitchen, id, 'preparing');
    await waitUntil(async () => (await new Client(app.base).get(`/api/track/${token}`)).body.payment.status === 'paid', 20_000, 'the capture');
    await move(kitchen, id, 'ready');
    await waitUntil(async () => {
      if ((await manager.post(`/api/orders/${id}/assign`, { driverId })).status === 200) return true;
      return (await manager.get(`/api/orders/${id}`)).body.driver?.id === driverId;
    }, 20_000, 'the delivery given to the driver');
    await move(driver, id, 'out_for_delivery');
    await handOver(app.pool, driver, id);
    await waitUntil(async () => (await app.pool.query('SELECT 1 FROM tip_shares s JOIN tips t ON t.id = s.tip_id WHERE t.order_id = $1', [id])).rowCount, 20_000, 'the tip shared');

    // the driver's phone, open: its card tips tonight
    const { page: phone } = await app.staffPage(shop.email('driver1'), PHONE);
    await phone.goto(`${app.base}/driver`);
    const tonight = phone.getByTestId('earnings-tonight');
    await tonight.waitFor({ timeout: 10_000 });
    await expect.poll(() => said(tonight), { timeout: 8_000 }).toContain('Pourboires carte 3,00 €');
    let reloads = 0;
    phone.on('framenavigated', (f) => f === phone.mainFrame() && reloads++);

    // the manager's page of the order, at a desktop's size
    const { page } = await app.staffPage(shop.email('manager'), DESKTOP);
    await page.goto(`${app.base}/manager/orders/${id}`);
    await page.getByRole('heading', { name: `Commande n°${number}` }).waitFor();
    const tips = page.getByTestId('order-tips');
    expect(await said(tips.locator('li').first())).toMatch(/^Par carte, avec la commande 3,00 € Versé au livreur Rembourser le pourboire \(3,00 €\)…$/);
    await page.getByTestId('tip-refund').click();
    const confirm = page.getByTestId('tip-confirm');
    expect(await said(confirm)).toContain('Rembourser le pourboire de 3,00 € sur la carte du client ? La part du livreur lui sera retirée.');
    await tips.scrollIntoViewIfNeeded();
    await page.screenshot({ path: `${SHOTS}/tip-refund-1-confirm-desktop.png` });
    expect(await seriousViolations(page), 'the tip refund confirmed').toEqual([]);
    // a double tap on "Confirmer": one refund
    await confirm.getByRole('button', { name: 'Confirmer' }).dblclick();
    await expect.poll(() => page.getByTestId('tip-outcome').getAttribute('data-kind'), { timeout: 20_000 }).toBe('done');
    expect(await said(page.getByTestId('tip-outcome'))).toBe('Pourboire de 3,00 € remboursé sur la carte du client.');
    expect(await said(tips.getByTestId('tip-state'))).toMatch(/^Remboursé le .+ par manager t-tip-refund-ui-\w+ \(manager\)$/);
    expect(await tips.getByTestId('tip-refund').count()).toBe(0);
    await page.screenshot({ path: `${SHOTS}/tip-refund-2-done-desktop.png` });
    expect(await seriousViolations(page), 'the tip refunded').toEqual([]);
    const rows = (await app.pool.query(`SELECT status, refund_state, refund_reference FROM tips WHERE order_id = $1`, [id])).rows;
    expect(rows).toEqual([{ status: 'refunded', refund_state: 'done', refund_reference: expect.stringMatching(/^re_demo_/) }]);

    // the driver's phone: the share taken back, without a reload
    await expect.poll(() => said(tonight), { timeout: 8_000, interval: 100 }).toContain('Pourboires carte 0,00 €');
    await expect.poll(() => phone.getByTestId('my-tips-today').innerText(), { timeout: 8_000 }).toMatch(/0,00\s€ par carte/);
    expect(reloads).toBe(0);

    // the customer's tracking card: the tip, its refund, and what the card was charged in the end
    const ctx = await app.browser.newContext({ viewport: PHONE, isMobile: true, hasTouch: true, locale: 'fr-FR' });
    const customer = await ctx.newPage();
    await customer.goto(`${app.base}/track/${token}`);
    await live(customer);
    const euros = (cents: number) => `${(cents / 100).toFixed(2).replace('.', ',')} €`;
    await expect.poll(() => said(customer.getByTestId('track-tip-refunded'))).toBe('Pourboire remboursé −3,00 €');
    expect(await said(customer.locator('.total.with-tip'))).toBe(`Total payé ${euros(total)}`);
    await customer.getByTestId('track-tip-refunded').scrollIntoViewIfNeeded();
    await customer.screenshot({ path: `${SHOTS}/tip-refund-3-tracking-phone.png` });
    await ctx.close();
  });
});
