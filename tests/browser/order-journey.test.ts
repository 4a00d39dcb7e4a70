import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import pg from 'pg';

// The built app, as users run it: `node dist/server/index.js` and `node dist/workers/index.js`
// against this run's database, driven by Debian's Chromium.
const SHOTS = 'test-results/screenshots';
let server: ChildProcess;
let workers: ChildProcess;
let browser: Browser;
let base: string;
let pool: pg.Pool;
const logs: string[] = [];

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

function start(script: string, env: Record<string, string>): ChildProcess {
  const child = spawn(process.execPath, [script], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.on('data', (d) => logs.push(String(d)));
  child.stderr!.on('data', (d) => logs.push(String(d)));
  return child;
}

async function waitReady(url: string) {
  for (let i = 0; i < 100; i++) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      /* not listening yet */
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`server never became ready:\n${logs.join('')}`);
}

beforeAll(async () => {
  if (!existsSync('build/handler.js') || !existsSync('dist/server/index.js')) throw new Error('run `npm run build` first');
  mkdirSync(SHOTS, { recursive: true });
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  const env = {
    NODE_ENV: 'test',
    DATABASE_URL: inject('databaseUrl'),
    QUEUE_PREFIX: `${inject('queuePrefix')}_browser`,
    DEMO_PASSWORD: inject('demoPassword'),
    PORT: String(port),
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    DEV_PAYMENT_DELAY_MS: '800',
    // short enough to see a ticket turn late during the test, long enough for the journey's bumps
    PREP_TARGET_SECONDS: '8',
    DISPATCH_RETRY_MS: '500',
  };
  pool = new pg.Pool({ connectionString: inject('databaseUrl'), max: 2 });
  // only driver1 of Bastille will be on shift, so we know who gets the delivery
  await pool.query(`UPDATE users SET on_shift = false WHERE role = 'driver'`);
  server = start('dist/server/index.js', env);
  workers = start('dist/workers/index.js', env);
  await waitReady(`${base}/readyz`);
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  server?.kill('SIGTERM');
  workers?.kill('SIGTERM');
  await pool?.end();
});

async function staffPage(email: string, viewport = { width: 1280, height: 800 }): Promise<{ ctx: BrowserContext; page: Page }> {
  const ctx = await browser.newContext({ viewport });
  const page = await ctx.newPage();
  await page.goto(`${base}/login`);
  await page.fill('input[name=email]', email);
  await page.fill('input[name=password]', inject('demoPassword'));
  await page.click('button.btn');
  await page.waitForURL((u) => !u.pathname.startsWith('/login'));
  return { ctx, page };
}

const live = (page: Page) => page.locator('[data-live=live]').first().waitFor({ timeout: 15_000 });

describe('a delivery order, live on every screen', () => {
  it('goes from the customer to the kitchen, the driver and back to the tracking page without a reload', async () => {
    const { page: kitchen } = await staffPage('kitchen.bastille@ocpizza.test');
    await kitchen.goto(`${base}/kitchen`);
    await live(kitchen);

    const { page: driver } = await staffPage('driver1.bastille@ocpizza.test', { width: 390, height: 844 });
    await driver.goto(`${base}/driver`);
    await live(driver);
    if ((await driver.getByTestId('shift').getAttribute('aria-pressed')) !== 'true') await driver.getByTestId('shift').click();
    await expect.poll(() => driver.getByTestId('shift').getAttribute('aria-pressed')).toBe('true');

    const { page: manager } = await staffPage('admin@ocpizza.test', { width: 1400, height: 900 });
    await manager.goto(`${base}/manager`);
    await live(manager);

    // the customer orders online and pays online
    const customerCtx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const customer = await customerCtx.newPage();
    await customer.goto(`${base}/?shop=bastille`);
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
    await customer.locator('button.place').click();
    await customer.waitForURL(/\/track\//);
    await live(customer);
    await customer.screenshot({ path: `${SHOTS}/2-tracking-placed.png`, fullPage: true });

    // payment confirmed by the worker: the ticket appears in the kitchen, nobody reloads
    const ticket = kitchen.locator('[data-column=received] article.ticket', { hasText: 'Reine' });
    await ticket.waitFor({ timeout: 15_000 });
    await expect.poll(() => customer.getByTestId('track-status').textContent()).toMatch(/reçue/i);
    const number = await ticket.getAttribute('data-number');
    await kitchen.screenshot({ path: `${SHOTS}/3-kitchen-new-ticket.png` });

    // the kitchen starts it: the customer can no longer change it
    await ticket.getByRole('button', { name: 'Commencer' }).click();
    const inOven = kitchen.locator(`[data-column=preparing] article[data-number="${number}"]`);
    await inOven.waitFor();
    await expect.poll(() => customer.getByTestId('track-status').textContent()).toMatch(/au four/);
    await expect.poll(() => customer.getByTestId('change-actions').count()).toBe(0);

    await inOven.getByRole('button', { name: /Prête/ }).click();
    await kitchen.locator(`[data-column=ready] article[data-number="${number}"]`).waitFor();
    await expect.poll(() => customer.getByTestId('track-status').textContent()).toMatch(/prête/);

    // the dispatcher gives it to the driver on shift
    const delivery = driver.locator('article.delivery', { hasText: `n°${number}` });
    await delivery.waitFor({ timeout: 15_000 });
    const card = await delivery.textContent();
    expect(card).toContain('5 rue Oberkampf');
    expect(card).toContain('06 12 34 56 78');
    expect(card).toContain('Déjà payée');
    await driver.screenshot({ path: `${SHOTS}/4-driver-assigned.png`, fullPage: true });
    await kitchen.screenshot({ path: `${SHOTS}/5-kitchen-ready.png` });
    await manager.screenshot({ path: `${SHOTS}/6-manager.png`, fullPage: true });

    await delivery.getByRole('button', { name: /Récupérée/ }).click();
    await expect.poll(() => customer.getByTestId('track-status').textContent()).toMatch(/livreur arrive/);
    await expect.poll(() => customer.locator('.banner.blue').textContent()).toContain('Livreur 1 Bastille');
    await customer.screenshot({ path: `${SHOTS}/7-tracking-on-the-way.png`, fullPage: true });

    await delivery.getByRole('button', { name: /Livrée/ }).click();
    await expect.poll(() => customer.getByTestId('track-status').textContent()).toMatch(/Livrée/);
    await expect.poll(() => customer.locator('[data-step=delivered].done').count()).toBe(1);
    await customer.screenshot({ path: `${SHOTS}/8-tracking-delivered.png`, fullPage: true });
    // the ticket left the kitchen's ready column
    await expect.poll(() => kitchen.locator(`[data-column=ready] article[data-number="${number}"]`).count()).toBe(0);
  });

  it('greys a pizza out on an open menu the moment the last portion is ordered elsewhere', async () => {
    const ctx = await browser.newContext();
    const menu = await ctx.newPage();
    await menu.goto(`${base}/?shop=montparnasse`);
    await live(menu);
    const truffe = menu.locator('[data-product=truffe]');
    expect(await truffe.getAttribute('data-available')).toBe('true');
    const { rows } = await pool.query(`SELECT id FROM products WHERE slug = 'truffe'`);
    const { rows: free } = await pool.query(
      `SELECT s.on_hand - s.reserved AS free FROM stock s JOIN ingredients i ON i.id = s.ingredient_id WHERE s.pizzeria_id = 4 AND i.slug = 'creme-truffe'`,
    );
    const portions = Math.floor(free[0].free / 30);
    expect(portions).toBeGreaterThan(0);
    const res = await fetch(`${base}/api/orders`, {
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
  });

  it('flags a ticket late on the kitchen screen and the tracking page when it stays in the oven past the target', async () => {
    const { page: kitchen } = await staffPage('kitchen.batignolles@ocpizza.test');
    await kitchen.goto(`${base}/kitchen`);
    await live(kitchen);
    const { rows } = await pool.query(`SELECT id FROM products WHERE slug = 'napolitaine'`);
    const res = await fetch(`${base}/api/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ pizzeriaId: 3, fulfilment: 'pickup', customer: { name: 'Léa', phone: '0611223344' }, items: [{ productId: rows[0].id, quantity: 1 }], payment: 'on_delivery' }),
    });
    const placed = await res.json();
    const trackCtx = await browser.newContext({ viewport: { width: 390, height: 844 } });
    const track = await trackCtx.newPage();
    await track.goto(`${base}/track/${placed.trackingToken}`);
    await live(track);
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
    await system.goto(`${base}/manager/system`);
    await live(system);
    const canal = system.locator('[data-shop=canal]');
    await canal.waitFor();
    const before = await canal.textContent();
    expect(before).toContain('0 écran cuisine');
    const { page: kitchen } = await staffPage('kitchen.canal@ocpizza.test');
    await kitchen.goto(`${base}/kitchen`);
    await live(kitchen);
    await expect.poll(() => canal.textContent(), { timeout: 10_000 }).toContain('1 écran cuisine');
    expect(await canal.textContent()).toContain('Cuisine Canal Saint-Martin');
    expect(await system.locator('[data-tile=relay]').textContent()).toContain("À l'écoute");
    await system.screenshot({ path: `${SHOTS}/10-system.png`, fullPage: true });
    await kitchen.close();
    await expect.poll(() => canal.textContent(), { timeout: 10_000 }).toContain('0 écran cuisine');
  });

  it('locks a staff email after repeated wrong passwords, on the login page and the API alike', async () => {
    // an account no other test logs in with; its failures are cleared at the end, the database is shared
    const email = 'counter.batignolles@ocpizza.test';
    const form = (password: string) =>
      fetch(`${base}/login`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html', origin: base },
        body: new URLSearchParams({ email, password }),
      });
    for (let i = 0; i < 10; i++) expect((await form(`wrong-${i}`)).status).toBe(401);
    const locked = await form(inject('demoPassword'));
    expect(locked.status).toBe(429);
    expect(locked.headers.get('set-cookie')).toBeNull();
    const api = await fetch(`${base}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password: inject('demoPassword') }),
    });
    expect(api.status).toBe(429);
    // what the person at the keyboard sees
    const page = await (await browser.newContext()).newPage();
    await page.goto(`${base}/login`);
    await page.fill('input[name=email]', email);
    await page.fill('input[name=password]', inject('demoPassword'));
    await page.click('button.btn');
    await page.getByText("Trop d'essais manqués").waitFor();
    expect(page.url()).toContain('/login');
    await pool.query('DELETE FROM login_failures WHERE email = $1', [email]);
  });

  it('speaks English one tap away', async () => {
    const ctx = await browser.newContext();
    const page = await ctx.newPage();
    await page.goto(`${base}/?shop=canal`);
    await page.getByRole('button', { name: 'Switch to English' }).click();
    await page.getByRole('heading', { name: 'Your basket' }).waitFor();
    expect(await page.locator('html').getAttribute('lang')).toBe('en');
    expect(await page.locator('[data-product=margherita]').textContent()).toContain('€10.50');
  });
});
