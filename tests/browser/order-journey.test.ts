import { beforeAll, describe, expect, inject, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { seriousViolations } from './axe.ts';
import { live, PHONE, SHOTS, ticketInView, useApp } from './harness.ts';
import { seededProduct } from '../helpers.ts';

// The built app, as users run it, driven by Debian's Chromium (see harness.ts).
const app = useApp('browser', {
  // short enough to see a ticket turn late during the test, long enough for the journey's bumps
  PREP_TARGET_SECONDS: '8',
  DISPATCH_RETRY_MS: '500',
});

beforeAll(async () => {
  // only driver1 of Bastille will be on shift, so we know who gets the delivery (no order is ready yet);
  // other shops' drivers are other tests' business
  await app.pool.query(`UPDATE users SET on_shift = false WHERE role = 'driver' AND pizzeria_id = (SELECT id FROM pizzerias WHERE slug = 'bastille')`);
});

const staffPage = (email: string, viewport?: { width: number; height: number }): Promise<{ ctx: BrowserContext; page: Page }> =>
  app.staffPage(email, viewport);

/** axe-core finds no serious or critical violation on the page as it stands. */
async function accessible(page: Page, what: string) {
  expect(await seriousViolations(page), what).toEqual([]);
}

describe('a delivery order, live on every screen', () => {
  it('goes from the customer to the kitchen, the driver and back to the tracking page without a reload', async () => {
    const { page: kitchen } = await staffPage('kitchen.bastille@ocpizza.test');
    await kitchen.goto(`${app.base}/kitchen`);
    await live(kitchen);

    // the driver's phone, its GPS at the shop's door: dispatch offers only to a phone that is there
    const { ctx: driverCtx, page: driver } = await staffPage('driver1.bastille@ocpizza.test', { width: 390, height: 844 });
    const bastille = (await app.pool.query<{ lat: number; lng: number }>(`SELECT lat, lng FROM pizzerias WHERE slug = 'bastille'`)).rows[0];
    await driverCtx.grantPermissions(['geolocation'], { origin: app.base });
    await driverCtx.setGeolocation({ latitude: bastille.lat + 0.0002, longitude: bastille.lng, accuracy: 8 });
    await driver.goto(`${app.base}/driver`);
    await live(driver);
    if ((await driver.getByTestId('shift').getAttribute('aria-pressed')) !== 'true') await driver.getByTestId('shift').click();
    await expect.poll(() => driver.getByTestId('shift').getAttribute('aria-pressed')).toBe('true');
    await expect.poll(() => driver.getByTestId('gps').getAttribute('data-gps'), { timeout: 15_000 }).toBe('on');

    const { page: manager } = await staffPage('admin@ocpizza.test', { width: 1400, height: 900 });
    await manager.goto(`${app.base}/manager`);
    await live(manager);

    // the customer orders online and pays online
    const customerCtx = await app.browser.newContext({ viewport: { width: 1280, height: 900 } });
    const customer = await customerCtx.newPage();
    await customer.goto(`${app.base}/?shop=bastille`);
    await live(customer);
    await customer.locator('[data-product=reine] button').click();
    await customer.locator('[data-product=coca-cola] button').click();
    await customer.locator('[data-product=coca-cola] button', { hasText: '+' }).click();
    await expect.poll(() => customer.getByTestId('basket-total').textContent()).toMatch(/21,00/); // 12,50 + 2 × 3,00 + 2,50 delivery
    await customer.fill('input[name=name]', 'Camille Martin');
    await customer.fill('input[name=phone]', '06 12 34 56 78');
    await customer.fill('input[name=street]', '5 rue Oberkampf');
    await customer.fill('input[name=postcode]', '75011');
    await customer.screenshot({ path: `${SHOTS}/1-storefront.png`, fullPage: true });
    await accessible(customer, 'storefront with a basket');
    await customer.locator('button.place').click();
    // the payment page: the demo's, clearly labelled, with the amount to pay
    await customer.waitForURL(/\/track\/[^/]+\/pay$/);
    await expect.poll(() => customer.getByTestId('demo-banner').textContent()).toMatch(/démonstration/);
    expect(await customer.getByTestId('pay-amount').textContent()).toMatch(/21,00/);
    await customer.getByLabel('Numéro de carte').fill('4242 4242 4242 4242');
    await customer.getByLabel('Expiration (MM/AA)').fill('12/34');
    await customer.getByLabel('Code de sécurité').fill('123');
    await customer.screenshot({ path: `${SHOTS}/2a-pay-demo.png`, fullPage: true });
    await accessible(customer, 'payment page');
    await customer.getByTestId('pay-submit').click();
    await customer.waitForURL(/\/track\/[^/]+$/);
    await live(customer);
    await customer.screenshot({ path: `${SHOTS}/2-tracking-placed.png`, fullPage: true });
    await accessible(customer, 'tracking page');

    // the card held, the workers take the order to the kitchen: the ticket appears, nobody reloads
    const token = new URL(customer.url()).pathname.split('/')[2];
    const placedId = (await app.pool.query('SELECT id FROM orders WHERE tracking_token = $1', [token])).rows[0].id as string;
    await ticketInView(kitchen, placedId);
    const ticket = kitchen.locator('[data-column=received] article.ticket', { hasText: 'Reine' });
    await ticket.waitFor({ timeout: 15_000 });
    await expect.poll(() => customer.getByTestId('track-status').textContent()).toMatch(/reçue/i);
    const number = await ticket.getAttribute('data-number');
    await kitchen.screenshot({ path: `${SHOTS}/3-kitchen-new-ticket.png` });
    await accessible(kitchen, 'kitchen with a new ticket');

    // the kitchen starts it: the customer can no longer change it
    await ticket.getByRole('button', { name: 'Commencer' }).click();
    const inOven = kitchen.locator(`[data-column=preparing] article[data-number="${number}"]`);
    await inOven.waitFor();
    await expect.poll(() => customer.getByTestId('track-status').textContent()).toMatch(/au four/);
    await expect.poll(() => customer.getByTestId('change-actions').count()).toBe(0);

    await inOven.getByRole('button', { name: /Prête/ }).click();
    await kitchen.locator(`[data-column=ready] article[data-number="${number}"]`).waitFor();
    await expect.poll(() => customer.getByTestId('track-status').textContent()).toMatch(/prête/);

    // the dispatcher offers it to the driver on shift, who accepts it
    const offer = driver.getByTestId('offer').filter({ hasText: `n°${number}` });
    await offer.waitFor({ timeout: 15_000 });
    expect(await offer.getByTestId('countdown').textContent()).toMatch(/\d+ s pour répondre/);
    await offer.getByRole('button', { name: 'Accepter' }).click();
    const delivery = driver.locator('article.delivery', { hasText: `n°${number}` });
    await delivery.waitFor({ timeout: 15_000 });
    const card = await delivery.textContent();
    expect(card).toContain('5 rue Oberkampf');
    expect(card).toContain('06 12 34 56 78');
    expect(card).toContain('Déjà payée');
    await driver.screenshot({ path: `${SHOTS}/4-driver-assigned.png`, fullPage: true });
    await kitchen.screenshot({ path: `${SHOTS}/5-kitchen-ready.png` });
    await manager.screenshot({ path: `${SHOTS}/6-manager.png`, fullPage: true });
    await accessible(driver, 'driver with a delivery');
    await accessible(kitchen, 'kitchen with a ready ticket');
    await accessible(manager, 'manager overview');

    await delivery.getByRole('button', { name: /Récupérée/ }).click();
    await expect.poll(() => customer.getByTestId('track-status').textContent()).toMatch(/livreur arrive/);
    await expect.poll(() => customer.locator('.banner.blue').textContent()).toContain('Livreur 1 Bastille');
    await customer.screenshot({ path: `${SHOTS}/7-tracking-on-the-way.png`, fullPage: true });

    // at the door: the customer reads the PIN from the tracking page, the driver types it
    const pin = (await customer.getByTestId('delivery-pin').textContent())!.replace(/\D/g, '');
    expect(pin).toMatch(/^\d{4}$/);
    await delivery.getByRole('button', { name: /porte/ }).click();
    await delivery.getByLabel('Code PIN du client').fill(pin);
    await driver.screenshot({ path: `${SHOTS}/7b-driver-at-the-door.png`, fullPage: true });
    await delivery.getByRole('button', { name: /^Livrée/ }).click();
    await expect.poll(() => customer.getByTestId('track-status').textContent()).toMatch(/Livrée/);
    await expect.poll(() => customer.locator('[data-step=delivered].done').count()).toBe(1);
    // delivered reads as a success: a green tick, not the red of a step in progress
    const dot = customer.locator('[data-step=delivered] .dot');
    expect(await dot.textContent()).toBe('✓');
    expect(await dot.evaluate((el) => getComputedStyle(el).backgroundColor)).toBe('rgb(27, 112, 64)');
    await customer.screenshot({ path: `${SHOTS}/8-tracking-delivered.png`, fullPage: true });
    await accessible(customer, 'tracking page, delivered');
    // the ticket left the kitchen's ready column
    await expect.poll(() => kitchen.locator(`[data-column=ready] article[data-number="${number}"]`).count()).toBe(0);
  }); // four screens and a whole delivery: its steps wait on their own limits, the whole on the tier's timeout

  it('greys a pizza out on an open menu the moment the last portion is ordered elsewhere', async () => {
    const ctx = await app.browser.newContext();
    const menu = await ctx.newPage();
    await menu.goto(`${app.base}/?shop=montparnasse`);
    await live(menu);
    const truffe = menu.locator('[data-product=truffe]');
    expect(await truffe.getAttribute('data-available')).toBe('true');
    const { rows } = await app.pool.query(`SELECT id FROM products WHERE slug = 'truffe'`);
    const { rows: free } = await app.pool.query(
      `SELECT s.on_hand - s.reserved AS free FROM stock s JOIN ingredients i ON i.id = s.ingredient_id WHERE s.pizzeria_id = 4 AND i.slug = 'creme-truffe'`,
    );
    const portions = Math.floor(free[0].free / 30);
    expect(portions).toBeGreaterThan(0);
    const res = await fetch(`${app.base}/api/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        pizzeriaId: 4,
        fulfilment: 'pickup',
        customer: { name: 'Sam', phone: '0611223344' },
        items: [{ productId: rows[0].id, quantity: portions }],
        payment: 'on_delivery',
      }),
    });
    expect(res.status).toBe(201);
    await expect.poll(() => truffe.getAttribute('data-available'), { timeout: 10_000 }).toBe('false');
    expect(await truffe.textContent()).toContain('Épuisée');
    await menu.screenshot({ path: `${SHOTS}/9-menu-sold-out.png`, fullPage: true });
    await accessible(menu, 'menu with a sold-out pizza');
  });

  it('flags a ticket late on the kitchen screen and the tracking page when it stays in the oven past the target', async () => {
    const { page: kitchen } = await staffPage('kitchen.batignolles@ocpizza.test');
    await kitchen.goto(`${app.base}/kitchen`);
    await live(kitchen);
    const { rows } = await app.pool.query(`SELECT id FROM products WHERE slug = 'napolitaine'`);
    const res = await fetch(`${app.base}/api/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ pizzeriaId: 3, fulfilment: 'pickup', customer: { name: 'Léa', phone: '0611223344' }, items: [{ productId: rows[0].id, quantity: 1 }], payment: 'on_delivery' }),
    });
    const placed = await res.json();
    const trackCtx = await app.browser.newContext({ viewport: { width: 390, height: 844 } });
    const track = await trackCtx.newPage();
    await track.goto(`${app.base}/track/${placed.trackingToken}`);
    await live(track);
    await ticketInView(kitchen, placed.id);
    const ticket = kitchen.locator(`article.ticket[data-order="${placed.id}"]`);
    await ticket.getByRole('button', { name: 'Commencer' }).click();
    await kitchen.locator(`[data-column=preparing] article[data-order="${placed.id}"]`).waitFor();
    expect(await ticket.getAttribute('class')).not.toContain('late');
    await expect.poll(() => ticket.getAttribute('class'), { timeout: 20_000 }).toContain('late');
    expect(await ticket.textContent()).toContain('En retard');
    await expect.poll(() => track.locator('.banner.amber').count()).toBe(1);
    await kitchen.screenshot({ path: `${SHOTS}/11-kitchen-late.png` });
  });

  it('shows operations which kitchen screens are connected, live, with the last backup', async () => {
    const { page: system } = await staffPage('admin@ocpizza.test', { width: 1400, height: 900 });
    await system.goto(`${app.base}/manager/system`);
    await live(system);
    const canal = system.locator('[data-shop=canal]');
    await canal.waitFor();
    const before = await canal.textContent();
    expect(before).toContain('0 écran cuisine');
    const { page: kitchen } = await staffPage('kitchen.canal@ocpizza.test');
    await kitchen.goto(`${app.base}/kitchen`);
    await live(kitchen);
    await expect.poll(() => canal.textContent(), { timeout: 10_000 }).toContain('1 écran cuisine');
    expect(await canal.textContent()).toContain('Cuisine Canal Saint-Martin');
    expect(await system.locator('[data-tile=relay]').textContent()).toContain("À l'écoute");
    await system.screenshot({ path: `${SHOTS}/10-system.png`, fullPage: true });
    await accessible(system, 'system page');
    await kitchen.close();
    await expect.poll(() => canal.textContent(), { timeout: 10_000 }).toContain('0 écran cuisine');
    // two logins, two pages, an accessibility audit and two live waits: on a loaded machine more than 30 s
  });

  it('locks a staff email after repeated wrong passwords, on the login page and the API alike', async () => {
    // an account no other test logs in with; its failures are cleared at the end, the database is shared
    const email = 'counter.batignolles@ocpizza.test';
    const form = (password: string) =>
      fetch(`${app.base}/login`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html', origin: app.base },
        body: new URLSearchParams({ email, password }),
      });
    for (let i = 0; i < 10; i++) expect((await form(`wrong-${i}`)).status).toBe(401);
    const locked = await form(inject('demoPassword'));
    expect(locked.status).toBe(429);
    expect(locked.headers.get('set-cookie')).toBeNull();
    const api = await fetch(`${app.base}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password: inject('demoPassword') }),
    });
    expect(api.status).toBe(429);
    // what the person at the keyboard sees
    const page = await (await app.browser.newContext()).newPage();
    await page.goto(`${app.base}/login`);
    await page.fill('input[name=email]', email);
    await page.fill('input[name=password]', inject('demoPassword'));
    await page.click('button.btn');
    await page.getByText("Trop d'essais manqués").waitFor();
    expect(page.url()).toContain('/login');
    await accessible(page, 'login page, locked');
    await app.pool.query('DELETE FROM login_failures WHERE email = $1', [email]);
  });

  it('keeps an email typed while the page was still loading its scripts, and signs in with it', async () => {
    // a busy tablet: the page is drawn, its scripts arrive a moment later, the person has already typed
    const ctx = await app.browser.newContext();
    let release!: () => void;
    const scriptsHeld = new Promise<void>((resolve) => (release = resolve));
    await ctx.route(/\/_app\/immutable\/.*\.js$/, async (route) => {
      await scriptsHeld;
      await route.continue();
    });
    const page = await ctx.newPage();
    await page.goto(`${app.base}/login`, { waitUntil: 'commit' });
    await page.fill('input[name=email]', 'manager.canal@ocpizza.test');
    await page.fill('input[name=password]', inject('demoPassword'));
    release();
    await page.waitForLoadState('networkidle');
    // once the page has come to life, what was typed is still there
    await expect.poll(() => page.inputValue('input[name=email]')).toBe('manager.canal@ocpizza.test');
    await page.click('button.btn');
    await page.waitForURL((u) => !u.pathname.startsWith('/login'));
    await ctx.close();
  });

  it('speaks English one tap away', async () => {
    const ctx = await app.browser.newContext();
    const page = await ctx.newPage();
    await page.goto(`${app.base}/?shop=canal`);
    await page.getByRole('button', { name: 'Switch to English' }).click();
    await page.getByRole('heading', { name: 'Your basket' }).waitFor();
    expect(await page.locator('html').getAttribute('lang')).toBe('en');
    expect(await page.locator('[data-product=margherita]').textContent()).toContain('€10.50');
    // the catalogue too: names and descriptions in English
    expect(await page.locator('[data-product=margherita]').textContent()).toContain('Tomato, mozzarella, fresh basil, olive oil');
    expect(await page.locator('[data-product=quatre-fromages]').textContent()).toContain('Four cheeses');
    expect(await page.locator('meta[name=description]').getAttribute('content')).toMatch(/^Menu of OC Pizza Canal Saint-Martin/);
    await ctx.close();
  });

  it('switches language with a tap made before any script has run, and back to the same page', async () => {
    const ctx = await app.browser.newContext({ javaScriptEnabled: false });
    const page = await ctx.newPage();
    await page.goto(`${app.base}/?shop=canal`);
    await page.getByRole('button', { name: 'Switch to English' }).click();
    await page.getByRole('heading', { name: 'Your basket' }).waitFor();
    expect(new URL(page.url()).search).toBe('?shop=canal');
    await page.getByRole('button', { name: 'Passer en français' }).click();
    await page.getByRole('heading', { name: 'Votre panier' }).waitFor();
    await ctx.close();
    // a made-up language, or a way out to another site, changes nothing
    const bad = await fetch(`${app.base}/lang`, { method: 'POST', headers: { origin: app.base }, body: new URLSearchParams({ to: 'xx', back: '/' }), redirect: 'manual' });
    expect(bad.status).toBe(400);
    const away = await fetch(`${app.base}/lang`, { method: 'POST', headers: { origin: app.base }, body: new URLSearchParams({ to: 'en', back: '//evil.example/' }), redirect: 'manual' });
    expect(away.status).toBe(303);
    expect(away.headers.get('location')).toBe('/');
  });

  it('gives the kitchen its tickets and recipe reminders in English when the screen is set to English', async () => {
    const { ctx, page: kitchen } = await staffPage('kitchen.montparnasse@ocpizza.test');
    await ctx.addCookies([{ name: 'ocp_lang', value: 'en', url: app.base }]);
    await kitchen.goto(`${app.base}/kitchen`);
    await live(kitchen);
    // the truffle pizzas ordered earlier in this file (as "Truffe") wait in the received column, named in English
    const item = kitchen.locator('article.ticket li', { hasText: 'Truffle' }).first();
    // the recipe is there when asked: the line's own ingredients, then the steps
    expect(await item.getByTestId('recipe').count()).toBe(0);
    await item.getByRole('button', { name: 'Recipe: Truffle' }).click();
    expect(await item.getByTestId('recipe').locator('p').textContent()).toContain('Black truffle cream 30 g');
    expect(await item.locator('.steps').textContent()).toContain('Stretch the dough ball into a 30 cm disc');
    await ctx.close();
  });

  it('shows a product that has no English text yet in French to an English reader', async () => {
    const { rows } = await app.pool.query(`SELECT description_en AS was FROM products WHERE slug = 'orientale'`);
    await app.pool.query(`UPDATE products SET description_en = NULL WHERE slug = 'orientale'`);
    try {
      const ctx = await app.browser.newContext();
      await ctx.addCookies([{ name: 'ocp_lang', value: 'en', url: app.base }]);
      const page = await ctx.newPage();
      await page.goto(`${app.base}/?shop=canal`);
      const card = page.locator('[data-product=orientale]');
      expect(await card.textContent()).toContain('Tomate, mozzarella, merguez, poivrons, oignons');
      expect(await card.textContent()).toContain('Add');
      await ctx.close();
    } finally {
      await app.pool.query(`UPDATE products SET description_en = $1 WHERE slug = 'orientale'`, [rows[0].was]);
    }
  });
});

async function placeByApi(body: object): Promise<{ id: string; trackingToken: string }> {
  const res = await fetch(`${app.base}/api/orders`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  expect(res.status).toBe(201);
  return res.json();
}

describe('what the pages say, on a phone', () => {
  it('outlines the checkout fields in red, tied to their message, and clears each one as soon as it is edited', async () => {
    const page = await (await app.browser.newContext({ viewport: PHONE })).newPage();
    await page.goto(`${app.base}/?shop=batignolles`);
    await live(page);
    await page.locator('[data-product=margherita] button').click();
    await page.locator('button.place').click();
    const name = page.locator('input[name=name]');
    const phone = page.locator('input[name=phone]');
    await expect.poll(() => name.getAttribute('aria-invalid')).toBe('true');
    expect(await phone.getAttribute('aria-invalid')).toBe('true');
    expect(await page.locator('input[name=street]').getAttribute('aria-invalid')).toBe('true');
    // the message is read with the field, and the first field in red has the focus
    const described = await name.getAttribute('aria-describedby');
    expect(await page.locator(`#${described}`).textContent()).toMatch(/nom/);
    expect(await name.evaluate((el) => el === document.activeElement)).toBe(true);
    expect(await name.evaluate((el) => getComputedStyle(el).borderTopColor)).toBe('rgb(179, 38, 30)');
    await page.locator('[role=alert]', { hasText: 'en rouge' }).waitFor();
    await page.screenshot({ path: `${SHOTS}/12-checkout-errors.png`, fullPage: true });
    await accessible(page, 'checkout with errors');

    await name.fill('Camille');
    expect(await name.getAttribute('aria-invalid')).toBeNull();
    expect(await name.getAttribute('aria-describedby')).toBeNull();
    expect(await page.locator(`#${described}`).count()).toBe(0);
    // the others stay red until they are edited too, and the summary goes with the last one
    expect(await phone.getAttribute('aria-invalid')).toBe('true');
    await phone.fill('06 12 34 56 78');
    await page.locator('input[name=street]').fill('3 rue des Dames');
    expect(await page.locator('input[name=street]').getAttribute('aria-invalid')).toBeNull();
    expect(await page.locator('input[name=postcode]').getAttribute('aria-invalid')).toBe('true');
    // choosing pickup takes the address fields away, and their errors with them
    await page.getByRole('button', { name: 'À emporter' }).click();
    expect(await page.locator('input[name=postcode]').count()).toBe(0);
    expect(await page.locator('[aria-invalid=true]').count()).toBe(0);
    expect(await page.locator('[role=alert]').count()).toBe(0);
    await page.context().close();
  });

  it('marks a pizza that sells out in the basket as sold out, leaves it out of the total and lets the customer remove it there', async () => {
    const page = await (await app.browser.newContext({ viewport: PHONE })).newPage();
    await page.goto(`${app.base}/?shop=canal`);
    await live(page);
    await page.locator('[data-product=burrata] button').click();
    await page.locator('[data-product=tiramisu] button').click();
    await expect.poll(() => page.getByTestId('basket-total').textContent()).toMatch(/24,90/); // 16,90 + 5,50 + 2,50 delivery
    // someone else takes the last burratas
    const { rows } = await app.pool.query(
      `SELECT s.on_hand - s.reserved AS free FROM stock s JOIN ingredients i ON i.id = s.ingredient_id
       WHERE s.pizzeria_id = 5 AND i.slug = 'burrata'`,
    );
    await placeByApi({
      pizzeriaId: 5,
      fulfilment: 'pickup',
      customer: { name: 'Noé', phone: '0611223344' },
      items: [{ productId: seededProduct('burrata'), quantity: rows[0].free }],
      payment: 'on_delivery',
    });
    const line = page.locator('[data-line=burrata]');
    await expect.poll(() => line.textContent(), { timeout: 10_000 }).toMatch(/épuisée/);
    expect(await page.getByTestId('basket-total').textContent()).toMatch(/8,00/); // 5,50 + 2,50
    expect(await page.locator('button.place').textContent()).toMatch(/8,00/);
    await page.getByText('non comptée dans le total').waitFor();
    await line.scrollIntoViewIfNeeded();
    await page.screenshot({ path: `${SHOTS}/13-basket-sold-out.png`, fullPage: true });
    await accessible(page, 'basket with a sold-out pizza');
    await line.getByRole('button', { name: 'Retirer Burrata du panier' }).click();
    expect(await line.count()).toBe(0);
    expect(await page.getByText('non comptée dans le total').count()).toBe(0);
    expect(await page.getByTestId('basket-total').textContent()).toMatch(/8,00/);
    await page.context().close();
  });

  it('sends one Idempotency-Key per checkout: the same on a retry, a new one for the next order', async () => {
    const page = await (await app.browser.newContext({ viewport: PHONE })).newPage();
    const keys: (string | undefined)[] = [];
    let dropNext = true;
    await page.route('**/api/orders', async (route) => {
      keys.push(route.request().headers()['idempotency-key']);
      // the first attempt is lost on the way, as on a train going into a tunnel
      if (dropNext) {
        dropNext = false;
        await route.abort('internetdisconnected');
      } else await route.continue();
    });
    await page.goto(`${app.base}/?shop=batignolles`);
    await live(page);
    const checkout = async () => {
      await page.locator('[data-product=reine] button').click();
      await page.fill('input[name=name]', 'Camille Martin');
      await page.fill('input[name=phone]', '06 12 34 56 78');
      await page.fill('input[name=street]', '3 rue des Dames');
      await page.fill('input[name=postcode]', '75017');
      await page.locator('button.place').click();
    };
    await checkout();
    await page.locator('[role=alert]').waitFor();
    await page.locator('button.place').click(); // the customer tries again
    await page.waitForURL(/\/track\//);
    expect(keys).toHaveLength(2);
    expect(keys[0]).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(keys[1]).toBe(keys[0]);

    await page.goto(`${app.base}/?shop=batignolles`);
    await live(page);
    await checkout();
    await page.waitForURL(/\/track\//);
    expect(keys).toHaveLength(3);
    expect(keys[2]).toMatch(/^[0-9a-f-]{36}$/);
    expect(keys[2]).not.toBe(keys[0]);
    await page.context().close();

    // the counter stays on its page between callers: each order gets its own key
    const { page: counter } = await staffPage('counter.montparnasse@ocpizza.test', { width: 820, height: 1180 });
    const counterKeys: string[] = [];
    counter.on('request', (r) => {
      if (r.method() === 'POST' && r.url().endsWith('/api/orders')) counterKeys.push(r.headers()['idempotency-key']);
    });
    await counter.goto(`${app.base}/counter`);
    await live(counter);
    for (const caller of ['Jules', 'Maël']) {
      await counter.locator('[data-product=margherita] button').click();
      await counter.fill('input[name=name]', caller);
      await counter.fill('input[name=phone]', '06 98 76 54 32');
      await counter.locator('button.place').click();
      await expect.poll(() => counterKeys.length).toBe(caller === 'Jules' ? 1 : 2);
      await counter.getByText(/Commande n°\d+ enregistrée/).waitFor();
    }
    expect(counterKeys[0]).toMatch(/^[0-9a-f-]{36}$/);
    expect(counterKeys[1]).toMatch(/^[0-9a-f-]{36}$/);
    expect(counterKeys[1]).not.toBe(counterKeys[0]);
  });

  it('tells a customer whose order was cancelled only what is true: nothing to pay', async () => {
    const placed = await placeByApi({
      pizzeriaId: 3,
      fulfilment: 'delivery',
      customer: { name: 'Léa', phone: '0611223344' },
      address: { street: '3 rue des Dames', postcode: '75017', city: 'Paris' },
      items: [{ productId: seededProduct('savoyarde'), quantity: 3 }],
      payment: 'on_delivery',
    });
    expect((await fetch(`${app.base}/api/track/${placed.trackingToken}/cancel`, { method: 'POST' })).status).toBe(200);
    const page = await (await app.browser.newContext({ viewport: PHONE })).newPage();
    await page.goto(`${app.base}/track/${placed.trackingToken}`);
    await live(page);
    expect(await page.getByTestId('cancelled-note').textContent()).toMatch(/Rien ne vous sera facturé/);
    const text = await page.locator('main').innerText();
    expect(text).not.toMatch(/À régler/);
    expect(text).not.toMatch(/rembours/);
    await page.screenshot({ path: `${SHOTS}/14-tracking-cancelled.png`, fullPage: true });
    await accessible(page, 'cancelled order');
    await page.context().close();
  });
});
