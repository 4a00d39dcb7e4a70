import { randomInt } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { seriousViolations } from './axe.ts';
import { SHOTS, live, useApp } from './harness.ts';
import { Client, createShop, handOver, move, placeThroughApi, seededProduct, userId } from '../helpers.ts';
import { flagExpectedLate } from '../../src/lib/server/orders/index.ts';

// The manager's live page in the built app and Chromium: a ticket late in the oven, a delivery
// waiting for a driver, an order past its promise, a titre-restaurant its issuer refused and a driver on shift with the app closed, listed
// most urgent first. A shop of the test's own. Then head office at its desk (1440×900): the alerts
// first on the page, an order the plan expects late arriving live, and each alert (and a rating)
// opening its order, whose page shows its lines, its rating and the customer's contact beside the
// refund form.

// a ticket is late after a second in the oven; dispatch offers only to drivers present; the plans'
// own alerts and notices are off: this file raises the one it shows (tests/road/late-messages.test.ts
// has the workers raise it before the customer's text)
const app = useApp(
  'alerts',
  { PREP_TARGET_SECONDS: '1', DISPATCH_RETRY_MS: '300', DISPATCH_PRESENT_ONLY: 'true', LATE_ALERTS: 'false', LATE_NOTICES: 'false' },
  { shop: 'alerts' },
);
const DESK = { width: 1440, height: 900 };

async function place(fulfilment: 'delivery' | 'pickup') {
  const { rows } = await app.pool.query<{ id: number }>(`SELECT id FROM products WHERE slug = 'margherita'`);
  const r = await new Client(app.base).post('/api/orders', {
    pizzeriaId: app.shop.id,
    fulfilment,
    customer: { name: 'Camille', phone: '06 11 22 33 44' },
    ...(fulfilment === 'delivery' ? { address: { street: '5 rue Oberkampf', postcode: '75011', city: 'Paris', lat: 48.8643, lng: 2.3736, locatedBy: 'pin' } } : {}),
    items: [{ productId: rows[0].id, quantity: 1 }],
    payment: 'on_delivery',
  });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body as { id: string; number: number };
}

describe("the manager's alerts", () => {
  it('list what needs action first: a delivery without a driver, a ticket late in the oven, an order past its promise, a driver on shift with the app closed', async () => {
    const kitchen = await new Client(app.base).login(app.shop.email('kitchen'));
    const driver = await new Client(app.base).login(app.shop.email('driver1'));
    // on shift, then the app closed: dispatch offers them nothing, the delivery waits
    await driver.post('/api/driver/shift', { onShift: true });
    const past = await place('pickup');
    await app.pool.query(`UPDATE orders SET promised_at = now() - interval '4 minutes', version = version + 1 WHERE id = $1`, [past.id]);
    const oven = await place('pickup');
    const waiting = await place('delivery');
    for (const [id, to] of [[oven.id, 'preparing'], [waiting.id, 'preparing'], [waiting.id, 'ready']]) {
      expect((await kitchen.post(`/api/orders/${id}/status`, { to })).status).toBe(200);
    }

    const { page } = await app.staffPage(app.shop.email('manager'));
    await page.goto(`${app.base}/manager`);
    await live(page);
    // the page open: an online titre-restaurant its issuer refused when it was to be taken, recorded
    // and notified as the payments worker does (recordVoucherCaptureRefused), arrives live
    await app.pool.query(
      `WITH refused AS (
         INSERT INTO meal_voucher_payments (order_id, pizzeria_id, issuer, channel, amount_cents, state, reason, paris_day, settled_at)
         VALUES ($1, $2, 'pluxee', 'online', 1050, 'refused', 'capture refused: the hold lapsed', current_date, now()) RETURNING order_id
       ) SELECT pg_notify('voucher_refused', order_id::text) FROM refused`,
      [waiting.id, app.shop.id],
    );
    const kinds = () => page.locator('[data-testid=alerts] [data-alert]').evaluateAll((els) => els.map((e) => e.getAttribute('data-alert')));
    await expect.poll(kinds, { timeout: 20_000 }).toEqual(['waiting_driver', 'late_in_oven', 'late', 'voucher_refused', 'app_closed']);
    const texts = (await page.locator('[data-testid=alerts] [data-alert]').allTextContents()).map((t) => t.replace(/\s+/g, ' '));
    expect(texts[1]).toContain(`${oven.number}`);
    expect(texts[3]).toContain(`N° ${waiting.number}`);
    expect(texts[3]).toContain('Titre-restaurant Pluxee refusé par son émetteur');
    expect(texts[3]).toContain('10,50 € à encaisser à la remise');
    expect(texts[4]).toContain(`driver1`);
    await page.screenshot({ path: `${SHOTS}/manager-alerts.png` });
  });
});

/** Whether the element is wholly within the first screen of a page not scrolled. */
async function aboveTheFold(page: Page, selector: string): Promise<{ top: number; bottom: number; scrolled: number }> {
  return page.locator(selector).first().evaluate((el) => {
    const r = el.getBoundingClientRect();
    return { top: r.top, bottom: r.bottom, scrolled: window.scrollY };
  });
}

describe('head office at its desk', () => {
  it('sees the alerts first, an order expected late among them live; an alert and a rating each open their order, with its lines, rating and contact beside the refund form', async () => {
    const shop = await createShop(app.pool, 'desk');
    const n = randomInt(10_000_000, 99_999_999);
    const late = { name: 'Lina Morel', phone: `07 ${String(n).replace(/(\d\d)(?=\d)/g, '$1 ')}`, email: `lina${n}@example.test` };
    const [margherita, coke] = [seededProduct('margherita'), seededProduct('coca-cola')];
    const { rows: sizes } = await app.pool.query<{ id: number; name: string }>(`SELECT id, name FROM product_options WHERE product_id = $1 AND kind = 'size' ORDER BY position, id LIMIT 1`, [margherita]);
    // the order the plan will expect late: two large Margheritas and a coke
    const expected = await placeThroughApi(app.base, {
      pizzeriaId: shop.id, productId: margherita, customer: late,
      items: [{ productId: margherita, quantity: 2, options: [sizes[0].id] }, { productId: coke, quantity: 1 }],
    });
    // a delivered order its customer rates low
    const kitchen = await new Client(app.base).login(shop.email('kitchen'));
    const manager = await new Client(app.base).login(shop.email('manager'));
    const driver = await new Client(app.base).login(shop.email('driver2'));
    await driver.post('/api/driver/shift', { onShift: true });
    const rated = await placeThroughApi(app.base, { pizzeriaId: shop.id, productId: margherita, customer: { name: 'Marc Petit', phone: `07${randomInt(10_000_000, 99_999_999)}` } });
    await move(kitchen, rated.id, 'preparing');
    await move(kitchen, rated.id, 'ready');
    expect((await manager.post(`/api/orders/${rated.id}/assign`, { driverId: await userId(app.pool, shop.email('driver2')) })).status).toBe(200);
    await move(driver, rated.id, 'out_for_delivery');
    await handOver(app.pool, driver, rated.id);
    await driver.post('/api/driver/shift', { onShift: false });
    expect((await new Client(app.base).post(`/api/track/${rated.trackingToken}/rating`, { food: 2, delivery: 1, comment: 'Froide et en retard' })).status).toBe(201);

    // head office's live page at its desk: the alerts before anything else
    const { page } = await app.staffPage('admin@ocpizza.test', DESK);
    await page.goto(`${app.base}/manager`);
    await live(page);
    const rating = page.locator(`[data-alert=low_rating][data-order="${rated.id}"]`);
    await rating.waitFor({ timeout: 15_000 });
    // the plan expects the order 12 minutes late: its alert arrives live (the order's event)
    expect(await flagExpectedLate(app.pool, expected.id, 12)).toBe(true);
    const lateAlert = page.locator(`[data-alert=late][data-order="${expected.id}"]`);
    await lateAlert.waitFor({ timeout: 15_000 });
    const promised = (await app.pool.query<{ at: string }>(`SELECT to_char(promised_at AT TIME ZONE 'Europe/Paris', 'HH24:MI') AS at FROM orders WHERE id = $1`, [expected.id])).rows[0].at;
    expect(await lateAlert.textContent()).toBe(`N° ${expected.number} (${shop.slug}) prévue avec 12 min de retard (promise pour ${promised})`);
    // the heading and the whole list (it scrolls in place past a few rows) within the first screen
    const heading = await aboveTheFold(page, '#alerts-title');
    const list = await aboveTheFold(page, '[data-testid=alerts] ul');
    expect(heading.scrolled).toBe(0);
    expect(heading.top).toBeGreaterThanOrEqual(0);
    expect(list.bottom).toBeLessThanOrEqual(DESK.height);
    await page.screenshot({ path: `${SHOTS}/manager-alerts-hq-desk.png` });
    expect(await seriousViolations(page), 'head office live page').toEqual([]);

    // the late alert opens its order: its lines, the customer's contact, no rating yet, and the refund form beside them
    await lateAlert.locator('a').click();
    await page.waitForURL(`${app.base}/manager/orders/${expected.id}`);
    const lines = page.getByTestId('order-lines');
    await lines.waitFor();
    expect(await lines.locator('tbody tr td:first-child').allTextContents()).toEqual([`2\u00a0× Margherita (${sizes[0].name})`, '1\u00a0× Coca-Cola 33 cl']);
    expect(await page.getByTestId('fee-line').count()).toBe(0);
    expect(await page.getByTestId('promised').textContent()).toBe(`Promise pour ${promised}\u00a0· prévue avec 12 min de retard`);
    const contact = page.getByTestId('contact');
    expect(await contact.getByTestId('contact-phone').textContent()).toBe(late.phone);
    expect(await contact.getByTestId('contact-phone').getAttribute('href')).toBe(`tel:07${n}`);
    expect(await contact.getByTestId('contact-email').textContent()).toBe(late.email);
    expect(await page.getByTestId('order-rating').textContent()).toContain('Pas d’avis pour l’instant.');
    const [linesBox, formBox] = [await lines.boundingBox(), await page.getByTestId('refund-form').boundingBox()];
    expect(formBox!.x).toBeGreaterThanOrEqual(linesBox!.x + linesBox!.width);
    expect(Math.abs(formBox!.y - linesBox!.y)).toBeLessThan(2);
    await page.screenshot({ path: `${SHOTS}/manager-order-expected-late-desk.png`, fullPage: true });
    expect(await seriousViolations(page), 'order page of the late order').toEqual([]);

    // back on the live page, the low rating opens its order: the stars and the comment, and the contact
    await page.goBack();
    await live(page);
    await rating.locator('a').click();
    await page.waitForURL(`${app.base}/manager/orders/${rated.id}`);
    const stars = page.getByTestId('order-rating');
    await stars.waitFor();
    expect(await stars.locator('.sr-only').allTextContents()).toEqual(['2 étoiles sur 5', '1 étoile sur 5']);
    expect(await stars.getByTestId('rating-comment').textContent()).toBe('Froide et en retard');
    expect(await page.getByTestId('contact').getByTestId('contact-phone').count()).toBe(1);
    // its one line and the delivery fee add up to its total
    expect(await page.locator('[data-testid=order-lines] tbody tr[data-item]').count()).toBe(1);
    expect((await page.getByTestId('fee-line').textContent())?.replace(/\s/g, ' ')).toBe('Livraison2,50 €');
    await page.screenshot({ path: `${SHOTS}/manager-order-rated-low-desk.png`, fullPage: true });
    expect(await seriousViolations(page), 'order page of the low rating').toEqual([]);

    // the ratings page: the rating opens its order too
    await page.goto(`${app.base}/manager/ratings?shop=${shop.id}`);
    expect(await seriousViolations(page), 'ratings page').toEqual([]);
    await page.locator(`[data-testid=latest] li[data-order="${rated.number}"] [data-testid=rating-order]`).click();
    await page.waitForURL(`${app.base}/manager/orders/${rated.id}`);
    await page.getByTestId('order-rating').waitFor();
    // each look at a customer's contact is in the audit log, the contact masked
    const { rows: looks } = await app.pool.query<{ entity_id: string; after: { phone: string | null; email: string | null } }>(
      `SELECT entity_id, after FROM audit_log WHERE action = 'order.contact_viewed' AND entity_id = ANY($1) ORDER BY id`, [[expected.id, rated.id]],
    );
    expect(looks.map((l) => l.entity_id)).toEqual([expected.id, rated.id, rated.id]);
    expect(looks[0].after).toEqual({ number: expected.number, phone: `+33 7 •• •• •• ${String(n).slice(-2)}`, email: `l•••@example.test` });

    // the shop's own manager at the same desk: the alerts first too
    const { page: shopPage } = await app.staffPage(shop.email('manager'), DESK);
    await shopPage.goto(`${app.base}/manager`);
    await live(shopPage);
    await shopPage.locator(`[data-alert=late][data-order="${expected.id}"]`).waitFor();
    expect((await aboveTheFold(shopPage, `[data-alert=low_rating][data-order="${rated.id}"]`)).bottom).toBeLessThanOrEqual(DESK.height);
    expect((await aboveTheFold(shopPage, `[data-alert=late][data-order="${expected.id}"]`)).bottom).toBeLessThanOrEqual(DESK.height);
    await shopPage.screenshot({ path: `${SHOTS}/manager-alerts-shop-desk.png` });
    expect(await seriousViolations(shopPage), 'shop live page').toEqual([]);

    // cancelled, the order is no alert any more, live
    expect((await manager.post(`/api/orders/${expected.id}/status`, { to: 'cancelled' })).status).toBe(200);
    await shopPage.locator(`[data-alert=late][data-order="${expected.id}"]`).waitFor({ state: 'detached', timeout: 15_000 });
  });
});
