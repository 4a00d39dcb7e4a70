import { describe, expect, it } from 'vitest';
import type { Locator, Page } from 'playwright-core';
import { seriousViolations } from './axe.ts';
import { PHONE, SHOTS, live, useApp } from './harness.ts';
import { Client, seededProduct } from '../helpers.ts';

// The counter in seconds, in the built app and Chromium on the counter's tablet (1024×768): a
// returning caller's number typed, their card appears (name, last order, addresses with the door's
// details), and a 4-item order goes in with the taps and key presses this test counts itself, every
// click and every key it sends after the number: "same as last time" then Enter, and an order built
// from the button grid (a size on the line) to their usual address. The orders placed are checked in
// the database and on the kitchen's screen. A delivery whose address cannot be found goes only once
// the counter ticks "no location, the driver will call". Screenshots of each step, axe on the page.
const app = useApp('counter-caller', {}, { shop: 'caller' });
const COUNTER = { width: 1024, height: 768 };
const margherita = seededProduct('margherita');
const reine = seededProduct('reine');
const coca = seededProduct('coca-cola');
const tiramisu = seededProduct('tiramisu');

/** Every click and key press the test sends to the page after the caller's number. */
class Counted {
  taps = 0;
  keys = 0;
  constructor(private readonly page: Page) {}
  async tap(target: Locator) {
    this.taps++;
    await target.click();
  }
  async press(key: string) {
    this.keys++;
    await this.page.keyboard.press(key);
  }
  async type(text: string) {
    this.keys += text.length;
    await this.page.keyboard.type(text);
  }
}

async function largeSize(): Promise<number> {
  const { rows } = await app.pool.query(`SELECT id FROM product_options WHERE product_id = $1 AND kind = 'size' ORDER BY position, id LIMIT 1`, [margherita]);
  return rows[0].id;
}

/** The lines of an order as the kitchen gets them: product, quantity, option ids, sorted. */
async function linesOf(orderId: string) {
  const { rows } = await app.pool.query(
    `SELECT product_id, quantity, (SELECT coalesce(array_agg((x->>'id')::int ORDER BY (x->>'id')::int), '{}') FROM jsonb_array_elements(options) x) AS options
     FROM order_items WHERE order_id = $1 ORDER BY product_id, quantity`,
    [orderId],
  );
  return rows;
}
const sorted = (l: { product_id: number; quantity: number; options: number[] }[]) => [...l].sort((a, b) => a.product_id - b.product_id || a.quantity - b.quantity);

/** The newest order of a number, as the database has it. */
async function newestOrder(phoneKey: string) {
  const { rows } = await app.pool.query(
    `SELECT id, number, status, channel, fulfilment, customer_name, address_street, address_postcode, door_code, floor, delivery_instructions,
            address_lat, address_lng, location_source, payment_method
     FROM orders WHERE phone_key = $1 ORDER BY created_at DESC LIMIT 1`,
    [phoneKey],
  );
  return rows[0];
}

async function counterPage(viewport = COUNTER) {
  const { page } = await app.staffPage(app.shop.email('counter'), viewport);
  await page.goto(`${app.base}/counter`);
  await live(page);
  return page;
}

/** The caller's number, typed where the page put the cursor (the phone field, first): not counted. */
async function typeNumber(page: Page, phone: string) {
  expect(await page.evaluate(() => document.activeElement?.getAttribute('name'))).toBe('phone');
  await page.keyboard.type(phone);
  await page.getByTestId('caller-card').waitFor({ timeout: 10_000 });
}

describe('the counter in seconds', () => {
  it("takes a returning caller's 4-item order in at most 6 taps and 12 keys after their number, twice, and the kitchen gets them", async () => {
    const shop = app.shop;
    const phone = '06 31 41 59 26';
    const key = '+33631415926';
    const large = await largeSize();
    // the caller's history: Charonne weeks ago, then Oberkampf with its door code and notes for the driver
    const staff = await new Client(app.base).login(shop.email('counter'));
    const placed = async (body: Record<string, unknown>) => {
      const r = await staff.post('/api/orders', { pizzeriaId: shop.id, channel: 'phone', payment: 'on_delivery', fulfilment: 'delivery', customer: { name: 'Inès Moreau', phone }, ...body });
      expect(r.status, JSON.stringify(r.body)).toBe(201);
      return r.body;
    };
    await placed({ address: { street: '8 rue de Charonne', postcode: '75011', city: 'Paris', doorCode: '4512B' }, items: [{ productId: reine, quantity: 1 }] });
    const last = [
      { productId: margherita, quantity: 2, options: [large] },
      { productId: reine, quantity: 1 },
      { productId: coca, quantity: 2 },
      { productId: tiramisu, quantity: 1 },
    ];
    await placed({ address: { street: '5 rue Oberkampf', postcode: '75011', city: 'Paris', doorCode: '2024A', floor: '5e gauche', instructions: 'Cour au fond' }, items: last });

    const kitchen = (await app.staffPage(shop.email('kitchen'), COUNTER)).page;
    await kitchen.goto(`${app.base}/kitchen`);
    await live(kitchen);

    const page = await counterPage();
    await page.screenshot({ path: `${SHOTS}/counter-caller-0-empty-1024.png` });
    expect(await seriousViolations(page), 'the counter, empty').toEqual([]);

    // 1. "same as last time": one tap, then Enter
    await typeNumber(page, phone);
    const card = page.getByTestId('caller-card');
    expect(await card.locator('h2').textContent()).toBe('Inès Moreau');
    expect(await card.textContent()).toContain('2 commandes');
    const addresses = card.locator('button[data-address]');
    expect(await addresses.allTextContents()).toEqual([
      expect.stringMatching(/^5 rue Oberkampf, 75011 Paris\s*code 2024A · 5e gauche · Cour au fond/),
      expect.stringMatching(/^8 rue de Charonne, 75011 Paris\s*code 4512B/),
    ]);
    // their usual way already chosen: a delivery to the latest address, the name filled in
    expect(await addresses.first().getAttribute('aria-pressed')).toBe('true');
    expect(await page.inputValue('input[name=name]')).toBe('Inès Moreau');
    await page.screenshot({ path: `${SHOTS}/counter-caller-1-card-1024.png` });
    expect(await seriousViolations(page), 'the caller card').toEqual([]);

    const first = new Counted(page);
    await first.tap(page.getByTestId('same-as-last'));
    await page.locator('.counter-taker [data-testid=located]').waitFor();
    await page.screenshot({ path: `${SHOTS}/counter-caller-2-same-as-last-1024.png` });
    await first.press('Enter');
    await page.locator('.confirm').waitFor({ timeout: 15_000 });
    const one = await newestOrder(key);
    expect(one).toMatchObject({
      status: 'received', channel: 'phone', fulfilment: 'delivery', customer_name: 'Inès Moreau', payment_method: 'on_delivery',
      address_street: '5 rue Oberkampf', address_postcode: '75011', door_code: '2024A', floor: '5e gauche', delivery_instructions: 'Cour au fond',
      address_lat: 48.8643, address_lng: 2.3736,
    });
    expect(await linesOf(one.id)).toEqual(sorted(last.map((l) => ({ product_id: l.productId, quantity: l.quantity, options: l.options ?? [] }))));
    expect(await page.locator('.confirm').textContent()).toContain(`Commande n°${one.number} enregistrée`);
    expect(first).toMatchObject({ taps: 1, keys: 1 });

    // 2. another 4-item order from the grid, a size on its line, to the usual address: taps only
    await typeNumber(page, phone);
    const second = new Counted(page);
    await second.tap(page.locator('[data-product=margherita] button'));
    await second.tap(page.locator('[data-line=margherita]').getByRole('button', { name: /^Grande/ }));
    await second.tap(page.locator('[data-product=reine] button'));
    await second.tap(page.locator('[data-product=orangina] button'));
    await second.tap(page.locator('[data-product=panna-cotta] button'));
    await page.locator('.counter-taker [data-testid=located]').waitFor();
    await page.screenshot({ path: `${SHOTS}/counter-caller-3-grid-1024.png` });
    expect(await seriousViolations(page), 'an order built from the grid').toEqual([]);
    await second.tap(page.locator('button.place'));
    await page.locator('.confirm', { hasText: `n°${one.number + 1}` }).waitFor({ timeout: 15_000 });
    const two = await newestOrder(key);
    expect(two).toMatchObject({ status: 'received', fulfilment: 'delivery', address_street: '5 rue Oberkampf', door_code: '2024A', address_lat: 48.8643, address_lng: 2.3736 });
    expect(await linesOf(two.id)).toEqual(sorted([
      { product_id: margherita, quantity: 1, options: [large] },
      { product_id: reine, quantity: 1, options: [] },
      { product_id: seededProduct('orangina'), quantity: 1, options: [] },
      { product_id: seededProduct('panna-cotta'), quantity: 1, options: [] },
    ]));
    expect(second.taps).toBeLessThanOrEqual(6);
    expect(second.keys).toBeLessThanOrEqual(12);
    expect(second).toMatchObject({ taps: 6, keys: 0 });

    // both on the kitchen's screen, with their lines
    for (const o of [one, two]) {
      const ticket = kitchen.locator(`article[data-order="${o.id}"]`);
      await ticket.waitFor({ timeout: 15_000 });
      expect(await ticket.textContent()).toContain('Margherita');
    }
    expect(await kitchen.locator(`article[data-order="${two.id}"]`).textContent()).toMatch(/Panna cotta/);
    await kitchen.screenshot({ path: `${SHOTS}/counter-caller-4-kitchen-1024.png` });
  });

  it('sends a delivery whose address cannot be found only once the counter says the driver will call', async () => {
    const page = await counterPage();
    await page.keyboard.type('06 27 18 28 18');
    await page.locator('#phone-state', { hasText: 'Nouveau client' }).waitFor();
    await page.fill('input[name=name]', 'Hugo Sanspin');
    await page.locator('[data-product=calzone] button').click();
    await page.locator('[data-fulfilment=delivery]').click();
    await page.fill('input[name=street]', 'rue vague du Nord');
    await page.fill('input[name=postcode]', '75011');
    await page.locator('input[name=postcode]').press('Tab');
    const warning = page.getByTestId('no-location');
    await warning.waitFor({ timeout: 10_000 });
    expect(await warning.textContent()).toContain('Adresse introuvable sur la carte.');
    // Enter does not send it silently: the counter is told what to do
    await page.locator('input[name=street]').press('Enter');
    const alert = page.locator('.counter-taker [role=alert]');
    await alert.waitFor();
    expect(await alert.textContent()).toBe('Cette livraison n\'a pas de position\u202f: corrigez l\'adresse, placez-la sur la carte, ou cochez «\u202fSans position\u202f» pour qu\'elle parte quand même.');
    await page.screenshot({ path: `${SHOTS}/counter-caller-5-no-location-1024.png` });
    expect(await seriousViolations(page), 'an address not found').toEqual([]);
    const count = async () => Number((await app.pool.query(`SELECT count(*) AS n FROM orders WHERE phone_key = '+33627182818'`)).rows[0].n);
    expect(await count()).toBe(0);
    await warning.getByLabel('Sans position').check();
    await page.locator('button.place').click();
    await page.locator('.confirm').waitFor({ timeout: 15_000 });
    const o = await newestOrder('+33627182818');
    expect(o).toMatchObject({ fulfilment: 'delivery', address_street: 'rue vague du Nord', address_lat: null, address_lng: null, location_source: 'staff' });
    expect(await count()).toBe(1);
  });

  it('says which lines of the last order are not available tonight, and brings back the rest', async () => {
    const shop = app.shop;
    const staff = await new Client(app.base).login(shop.email('counter'));
    const phone = '07 11 22 33 44';
    const r = await staff.post('/api/orders', {
      pizzeriaId: shop.id, channel: 'counter', payment: 'on_delivery', fulfilment: 'pickup', customer: { name: 'Zoé Retour', phone },
      items: [{ productId: reine, quantity: 1 }, { productId: seededProduct('fondant'), quantity: 2 }],
    });
    expect(r.status).toBe(201);
    // the manager took the fondants off tonight since
    const manager = await new Client(app.base).login(shop.email('manager'));
    const off = await manager.post(`/api/shops/${shop.id}/tonight`, { productId: seededProduct('fondant'), available: false });
    expect(off.status, JSON.stringify(off.body)).toBe(200);
    const page = await counterPage({ width: 1024, height: 768 });
    await typeNumber(page, phone);
    await page.getByTestId('same-as-last').click();
    const missing = page.getByTestId('reorder-missing');
    await missing.waitFor();
    expect(await missing.textContent()).toBe('Plus disponible ce soir, non ajouté\u202f: 2 × Fondant au chocolat.');
    expect(await page.locator('.counter-taker [data-line]').evaluateAll((ls) => ls.map((l) => l.getAttribute('data-line')))).toEqual(['reine']);
    expect(await page.locator('[data-fulfilment=pickup]').getAttribute('aria-pressed')).toBe('true');
    // a digit then a product: that many of it (the digit is not typed into any field)
    await page.keyboard.press('3');
    expect(await page.getByTestId('times').textContent()).toBe('×3\u202f: touchez un produit');
    await page.locator('[data-product=coca-cola] button').click();
    expect(await page.locator('[data-line=coca-cola] [data-testid=quantity]').textContent()).toBe('3');
    expect(await page.getByTestId('times').count()).toBe(0);
    await page.screenshot({ path: `${SHOTS}/counter-caller-6-unavailable-1024.png` });
    await page.locator('button.place').click();
    await page.locator('.confirm').waitFor({ timeout: 15_000 });
    const o = await newestOrder('+33711223344');
    expect(await linesOf(o.id)).toEqual([{ product_id: reine, quantity: 1, options: [] }, { product_id: coca, quantity: 3, options: [] }]);
  });

  it('makes one of the pizzas half-and-half in two taps on its line, and the kitchen gets both halves', async () => {
    const page = await counterPage();
    await page.keyboard.type('06 27 38 49 50');
    await page.locator('#phone-state', { hasText: 'Nouveau client' }).waitFor();
    await page.fill('input[name=name]', 'Léo Moitié');
    await page.locator('[data-product=margherita] button').click();
    await page.locator('[data-product=margherita] button').click();
    const line = page.locator('.counter-taker [data-line=margherita]');
    // two margheritas: one of them becomes ½ Margherita / ½ Reine, the other stays whole
    await line.getByTestId('halves').click();
    await page.getByTestId('second-halves').getByRole('button', { name: '½ Reine' }).click();
    expect(await page.locator('.counter-taker .line-name').allTextContents()).toEqual(['Margherita', '½ Margherita / ½ Reine']);
    await page.screenshot({ path: `${SHOTS}/counter-caller-8-half-and-half-1024.png` });
    expect(await seriousViolations(page), 'a half-and-half at the counter').toEqual([]);
    await page.locator('button.place').click();
    await page.locator('.confirm').waitFor({ timeout: 15_000 });
    const o = await newestOrder('+33627384950');
    const { rows } = await app.pool.query(
      `SELECT name, quantity, (halves->'right'->>'productId')::int AS right_id FROM order_items WHERE order_id = $1 ORDER BY name`, [o.id]);
    expect(rows).toEqual([
      { name: 'Margherita', quantity: 1, right_id: null },
      { name: '½ Margherita / ½ Reine', quantity: 1, right_id: reine },
    ]);
  });

  it('places on Enter from the product just tapped (Space adds, Enter never does), the total and the place button in view with four lines and a typed address', async () => {
    const page = await counterPage();
    await page.keyboard.type('07 41 52 63 74');
    await page.locator('#phone-state', { hasText: 'Nouveau client' }).waitFor();
    await page.fill('input[name=name]', 'Nora Entrée');
    // a delivery to an address typed in full: the basket's longest
    await page.locator('[data-fulfilment=delivery]').click();
    await page.fill('input[name=street]', '5 rue Oberkampf');
    await page.fill('input[name=postcode]', '75011');
    await page.fill('input[name=doorCode]', '1984B');
    await page.fill('input[name=floor]', '4e droite');
    await page.fill('input[name=instructions]', 'Sonner deux fois, interphone en panne');
    await page.locator('.counter-taker [data-testid=located]').waitFor({ timeout: 10_000 });
    // four lines from the grid; Space on the button in focus adds a second Coca
    for (const slug of ['margherita', 'reine', 'tiramisu', 'coca-cola']) await page.locator(`[data-product=${slug}] button`).click();
    await page.keyboard.press('Space');
    expect(await page.locator('[data-line=coca-cola] [data-testid=quantity]').textContent()).toBe('2');
    expect(await page.locator('.counter-taker [data-line]').count()).toBe(4);

    // the total and the place button within the 1024×768 window, where the grid's taps left the page and at its top
    const inView = async (selector: string) => {
      const box = (await page.locator(selector).boundingBox())!;
      return box.y >= 0 && box.y + box.height <= COUNTER.height && box.x >= 0 && box.x + box.width <= COUNTER.width;
    };
    for (const at of ['after the taps', 'at the top']) {
      if (at === 'at the top') await page.evaluate(() => window.scrollTo(0, 0));
      await expect.poll(() => inView('button.place'), { message: `the place button, ${at}` }).toBe(true);
      expect(await inView('[data-testid=basket-total]'), `the total, ${at}`).toBe(true);
    }
    await page.screenshot({ path: `${SHOTS}/counter-caller-9-enter-four-lines-address-1024.png` });
    expect(await seriousViolations(page), 'four lines and a typed address').toEqual([]);

    // Enter, the Coca's button still in focus: the order goes, with no third Coca
    expect(await page.evaluate(() => document.activeElement?.closest('[data-product]')?.getAttribute('data-product'))).toBe('coca-cola');
    await page.keyboard.press('Enter');
    await page.locator('.confirm').waitFor({ timeout: 15_000 });
    const orders = (await app.pool.query(`SELECT id FROM orders WHERE phone_key = '+33741526374'`)).rows;
    expect(orders).toHaveLength(1);
    expect(await newestOrder('+33741526374')).toMatchObject({ fulfilment: 'delivery', address_street: '5 rue Oberkampf', door_code: '1984B', floor: '4e droite' });
    expect(await linesOf(orders[0].id)).toEqual(sorted([
      { product_id: margherita, quantity: 1, options: [] },
      { product_id: reine, quantity: 1, options: [] },
      { product_id: tiramisu, quantity: 1, options: [] },
      { product_id: coca, quantity: 2, options: [] },
    ]));
  });

  it('opens on a ringing call with the number the phone system gives, on a phone too', async () => {
    const page = await counterPage(PHONE);
    await page.screenshot({ path: `${SHOTS}/counter-caller-7-phone.png`, fullPage: true });
    expect(await seriousViolations(page), 'the counter on a phone').toEqual([]);
    // the phone system (or a softphone) opens the counter with the caller's number
    await page.goto(`${app.base}/counter?phone=${encodeURIComponent('+33 6 31 41 59 26')}`);
    await live(page);
    const card = page.getByTestId('caller-card');
    await card.waitFor({ timeout: 10_000 });
    expect(await card.locator('h2').textContent()).toBe('Inès Moreau');
    expect(await page.inputValue('input[name=phone]')).toBe('+33 6 31 41 59 26');
    await page.screenshot({ path: `${SHOTS}/counter-caller-8-phone-card.png`, fullPage: true });
    expect(await seriousViolations(page), 'the caller card on a phone').toEqual([]);
  });
});
