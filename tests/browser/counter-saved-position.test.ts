import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { seriousViolations } from './axe.ts';
import { SHOTS, live, useApp } from './harness.ts';
import { Client, seededProduct } from '../helpers.ts';

// The counter remembers where a regular's address is, in the built app and Chromium on the counter's
// tablet (1024×768): a caller whose street the map service cannot find (their earlier order went
// "without position") calls again; the counter taps the map where the caller says the door is, and
// the order goes with that spot. The next call, the address comes with its saved position, said so
// ("Position enregistrée"): nothing to tap or tick, and the order has the saved coordinates.
const app = useApp('counter-saved-position', {}, { shop: 'position' });
const COUNTER = { width: 1024, height: 768 };
const PHONE_NUMBER = '06 44 55 66 77';
const KEY = '+33644556677';

async function newestOrder() {
  const { rows } = await app.pool.query(
    `SELECT id, number, address_street, address_lat, address_lng, location_source FROM orders WHERE phone_key = $1 ORDER BY created_at DESC LIMIT 1`,
    [KEY],
  );
  return rows[0];
}

async function callerTyped(page: Page) {
  expect(await page.evaluate(() => document.activeElement?.getAttribute('name'))).toBe('phone');
  await page.keyboard.type(PHONE_NUMBER);
  await page.getByTestId('caller-card').waitFor({ timeout: 10_000 });
  // their usual way: a delivery to their latest address
  expect(await page.getByTestId('caller-card').locator('button[data-address]').first().getAttribute('aria-pressed')).toBe('true');
}

describe('the counter and a saved address\'s position', () => {
  it('places a regular\'s address on the map once; the next order comes with its saved position, nothing to tick', async () => {
    const shop = app.shop;
    const staff = await new Client(app.base).login(shop.email('counter'));
    // their first order: a street the map service does not know, sent "without position"
    const first = await staff.post('/api/orders', {
      pizzeriaId: shop.id, channel: 'phone', payment: 'on_delivery', fulfilment: 'delivery', customer: { name: 'Lina Vague', phone: PHONE_NUMBER },
      address: { street: 'rue vague des Acacias', postcode: '75011', city: 'Paris', doorCode: '17B' }, items: [{ productId: seededProduct('reine'), quantity: 1 }],
    });
    expect(first.status, JSON.stringify(first.body)).toBe(201);
    expect(await newestOrder()).toMatchObject({ address_lat: null, location_source: 'staff' });

    const { page } = await app.staffPage(shop.email('counter'), COUNTER);
    await page.goto(`${app.base}/counter`);
    await live(page);

    // 1. the address has no position yet: the counter taps the map where the caller says it is
    await callerTyped(page);
    const noLocation = page.getByTestId('no-location');
    await noLocation.waitFor({ timeout: 10_000 });
    expect(await noLocation.textContent()).toContain('Touchez la carte à l’endroit de l’adresse');
    await page.locator('[data-product=margherita] button').click();
    const map = page.getByTestId('counter-map');
    // below the address, in the basket's column: brought into view as a cashier would scroll to it
    await map.scrollIntoViewIfNeeded();
    await map.locator('.leaflet-container').waitFor({ timeout: 10_000 });
    const box = (await map.boundingBox())!;
    await page.mouse.click(box.x + box.width / 2 + 60, box.y + box.height / 2 - 40);
    const located = page.locator('.counter-taker [data-testid=located]');
    await located.waitFor();
    expect(await located.getAttribute('data-from')).toBe('pinned');
    expect(await located.textContent()).toContain('Position placée sur la carte');
    expect(await noLocation.count()).toBe(0);
    await map.scrollIntoViewIfNeeded();
    await page.screenshot({ path: `${SHOTS}/counter-position-1-pinned-1024.png` });
    expect(await seriousViolations(page), 'the address placed on the map').toEqual([]);
    await page.locator('button.place').click();
    await page.locator('.confirm').waitFor({ timeout: 15_000 });
    const pinned = await newestOrder();
    expect(pinned).toMatchObject({ address_street: 'rue vague des Acacias', location_source: 'pin' });
    expect(pinned.address_lat).not.toBeNull();
    expect(pinned.address_lng).not.toBeNull();

    // 2. the next call: the saved position, said so; no map, no tick
    await callerTyped(page);
    await located.waitFor({ timeout: 10_000 });
    expect(await located.getAttribute('data-from')).toBe('saved');
    expect(await located.textContent()).toMatch(/Position enregistrée \(placée sur la carte, commande du \d+ \S+\)/);
    await page.locator('[data-product=reine] button').click();
    expect(await page.getByTestId('no-location').count()).toBe(0);
    expect(await page.getByTestId('counter-map').count()).toBe(0);
    await located.scrollIntoViewIfNeeded();
    await page.screenshot({ path: `${SHOTS}/counter-position-2-saved-1024.png` });
    expect(await seriousViolations(page), 'the saved position').toEqual([]);
    await page.locator('button.place').click();
    await page.locator('.confirm', { hasText: `n°${pinned.number + 1}` }).waitFor({ timeout: 15_000 });
    const again = await newestOrder();
    expect(again).toMatchObject({ address_street: 'rue vague des Acacias', address_lat: pinned.address_lat, address_lng: pinned.address_lng, location_source: 'pin' });
  });
});
