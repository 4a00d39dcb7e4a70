// Paying at the door by QR code, on the driver's phone (390×844) in the built app and Chromium, with
// the demo's payment page (no Stripe account): the driver shows the code for what the order owes;
// the customer opens it on their own phone (a second browser) and pays; the driver's screen turns
// "Payé" live, without a reload. A second order's customer is refused: the driver's screen says so,
// and the driver takes cash and hands it over with the PIN.
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { PHONE, SHOTS, live, useApp } from './harness.ts';
import { Client, addressFor, assignDriver, createShop, move, seededProduct } from '../helpers.ts';
import { seriousViolations } from './axe.ts';

const app = useApp('door-qr');

describe('paying at the door by QR code', () => {
  it("the customer pays the driver's code on their own phone, and the driver's screen turns 'Payé' live", async () => {
    const shop = await createShop(app.pool, 'door-qr-ui');
    const driver = await new Client(app.base).login(shop.email('driver1'));
    const kitchen = await new Client(app.base).login(shop.email('kitchen'));
    expect((await driver.post('/api/driver/shift', { onShift: true })).status).toBe(200);
    const onTheWay = async (name: string, quantity: number) => {
      const placed = await new Client(app.base).post('/api/orders', {
        pizzeriaId: shop.id, fulfilment: 'delivery', customer: { name, phone: `06${String(Math.floor(Math.random() * 1e8)).padStart(8, '0')}` },
        address: addressFor(shop.id), items: [{ productId: seededProduct('margherita'), quantity }], payment: 'on_delivery',
      });
      expect(placed.status, JSON.stringify(placed.body)).toBe(201);
      await move(kitchen, placed.body.id, 'preparing');
      await move(kitchen, placed.body.id, 'ready');
      expect((await assignDriver(app.pool, placed.body.id)).assigned).toBe(true);
      await move(driver, placed.body.id, 'out_for_delivery');
      return { id: placed.body.id as string, number: placed.body.number as number, total: placed.body.total as number };
    };
    const euros = (cents: number) => `${(cents / 100).toFixed(2).replace('.', ',')}\u00a0€`;
    const paid = await onTheWay('Zoé', 2);
    const refused = await onTheWay('Hugo', 1);

    const { page: phone } = await app.staffPage(shop.email('driver1'), PHONE);
    await phone.goto(`${app.base}/driver`);
    await live(phone);
    // the page is never reloaded: what it shows next comes through its socket
    await phone.evaluate(() => ((window as unknown as { stillTheSamePage: boolean }).stillTheSamePage = true));
    const card = phone.locator(`article[data-order="${paid.id}"]`);
    await card.getByRole('button', { name: 'Je suis à la porte' }).click();
    await card.getByTestId('door-qr-show').click();
    const code = card.getByTestId('door-qr');
    await code.waitFor();
    expect(await code.textContent()).toContain(euros(paid.total));
    const image = code.locator('img.qr-code');
    await expect.poll(() => image.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0)).toBe(true);
    // big enough to scan from a doorstep: at least 280 px wide on a 390 px screen
    expect((await image.boundingBox())!.width).toBeGreaterThanOrEqual(280);
    const link = await card.getByTestId('door-qr-link').getAttribute('href');
    expect(link).toMatch(/\/pay\/door\/cs_demo_[0-9a-f]{32}$/);
    await code.scrollIntoViewIfNeeded();
    await phone.screenshot({ path: `${SHOTS}/driver-qr-1-code.png` });
    expect(await seriousViolations(phone), 'driver with the QR code shown').toEqual([]);

    // the customer, on their own phone
    const customer = await (await app.browser.newContext({ viewport: PHONE })).newPage();
    await customer.goto(link!);
    expect(await customer.getByTestId('door-pay-amount').textContent()).toBe(euros(paid.total));
    await customer.screenshot({ path: `${SHOTS}/driver-qr-2-customer.png` });
    await customer.getByTestId('door-pay').click();
    await customer.getByTestId('door-pay-done').waitFor();

    await card.getByTestId('door-qr-paid').waitFor();
    expect(await card.getByTestId('door-qr-paid').textContent()).toContain(euros(paid.total));
    expect(await card.getByTestId('door-qr').count()).toBe(0);
    expect(await card.locator('fieldset.collected').count()).toBe(0);
    expect(await phone.evaluate(() => (window as unknown as { stillTheSamePage?: boolean }).stillTheSamePage)).toBe(true);
    await card.getByTestId('door-qr-paid').scrollIntoViewIfNeeded();
    await phone.screenshot({ path: `${SHOTS}/driver-qr-3-paid.png` });
    expect((await driver.get(`/api/orders/${paid.id}`)).body).toMatchObject({ amountDueCents: 0, delivery: { collected: { method: 'qr', cents: paid.total } } });

    // the second customer's card is refused: the driver is told, and takes cash
    const { rows: [{ delivery_pin: pin }] } = await app.pool.query<{ delivery_pin: string }>('SELECT delivery_pin FROM orders WHERE id = $1', [refused.id]);
    await handOverWithCash(phone, refused.id, pin, async (qrLink) => {
      const other = await (await app.browser.newContext({ viewport: PHONE })).newPage();
      await other.goto(qrLink);
      await other.getByTestId('door-pay-refused').click();
      await other.getByTestId('door-pay-failed').waitFor();
    });
    expect((await driver.get(`/api/orders/${refused.id}`)).body).toMatchObject({ status: 'delivered', delivery: { collected: { method: 'cash', cents: refused.total } } });

    // the takings: the QR code at the door its own way, reconciled with the payment pages' records
    const { page: office } = await app.staffPage(shop.email('manager'), { width: 1440, height: 900 });
    await office.goto(`${app.base}/manager/takings`);
    const takings = office.locator(`section[data-shop="${shop.id}"]`);
    const text = async (selector: string) => (await takings.locator(selector).first().textContent())?.replace(/\s/g, ' ').trim();
    expect(await text('tr[data-way=door_qr] th')).toContain('QR code à la livraison');
    expect(await text('tr[data-way=door_qr] td')).toBe(euros(paid.total).replace('\u00a0', ' '));
    expect(await text('tr[data-way=door_cash] td')).toBe(euros(refused.total).replace('\u00a0', ' '));
    expect(await text('[data-testid=door-qr-recorded]')).toBe(euros(paid.total).replace('\u00a0', ' '));
    expect(await text('[data-testid=door-qr-provider]')).toBe(euros(paid.total).replace('\u00a0', ' '));
    expect(await text('[data-testid=door-qr-check]')).toContain('Rapproché au centime');
    await takings.getByTestId('door-qr-check').scrollIntoViewIfNeeded();
    await office.screenshot({ path: `${SHOTS}/driver-qr-5-takings.png` });
  });
});

/** The driver shows the order's code, the customer's payment is refused, the driver takes cash with the PIN. */
async function handOverWithCash(phone: Page, orderId: string, pin: string, customerRefuses: (link: string) => Promise<void>) {
  const card = phone.locator(`article[data-order="${orderId}"]`);
  await card.getByRole('button', { name: 'Je suis à la porte' }).click();
  await card.getByTestId('door-qr-show').click();
  await card.getByTestId('door-qr').waitFor();
  // while the code is shown, no cash or card to tick
  expect(await card.locator('fieldset.collected').count()).toBe(0);
  await customerRefuses((await card.getByTestId('door-qr-link').getAttribute('href'))!);
  await card.getByTestId('door-qr-failed').waitFor({ timeout: 10_000 });
  expect(await card.getByTestId('door-qr-failed').textContent()).toContain('Paiement refusé');
  const cash = card.locator('fieldset.collected');
  await cash.waitFor();
  expect(await cash.locator('input[value=cash]').isChecked()).toBe(true);
  await card.getByTestId('door-qr-failed').scrollIntoViewIfNeeded();
  await phone.screenshot({ path: `${SHOTS}/driver-qr-4-refused.png` });
  await card.locator('input[name=pin]').fill(pin);
  await card.getByRole('button', { name: 'Livrée ✓' }).click();
  await card.waitFor({ state: 'detached' });
}
