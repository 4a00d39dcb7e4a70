import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type pg from 'pg';
import { seriousViolations } from './axe.ts';
import { DESKTOP, PHONE, SHOTS, TABLET, live, startApp, type App } from './harness.ts';
import { createShop } from '../helpers.ts';

// The back office in the built app and Chromium: a shop's manager records the delivery of an
// ingredient it had run out of, on the stock page's form, and an open storefront shows the pizza
// again without a reload; the rush switch pauses online orders on that storefront at once; head
// office's pages. Screenshots of each page on a desktop and a tablet.
let app: App;
let pool: pg.Pool;
let base: string;

beforeAll(async () => {
  app = await startApp('back-office');
  ({ pool, base } = app);
}, 60_000);
afterAll(async () => {
  await app?.stop();
});

describe('the back office', () => {
  it('a delivery recorded on the stock page puts a sold-out pizza back on an open storefront; the rush switch pauses it; every page looks right', async () => {
    const shop = await createShop(pool, 'bo');
    const { rows } = await pool.query<{ ingredient_id: number; name: string }>(
      `SELECT r.ingredient_id, i.name FROM recipe_ingredients r JOIN products p ON p.id = r.product_id JOIN ingredients i ON i.id = r.ingredient_id
       WHERE p.slug = 'burrata' AND i.slug = 'burrata'`,
    );
    const burrata = rows[0];
    await pool.query('UPDATE stock SET on_hand = 0 WHERE pizzeria_id = $1 AND ingredient_id = $2', [shop.id, burrata.ingredient_id]);

    // a customer has the shop's menu open on a phone: Burrata is sold out
    const shopperCtx = await app.browser.newContext({ viewport: PHONE });
    const shopper = await shopperCtx.newPage();
    await shopper.goto(`${base}/?shop=${shop.slug}`);
    await live(shopper);
    const card = shopper.locator('[data-product=burrata]');
    expect(await card.getAttribute('data-available')).toBe('false');
    expect(await shopper.locator('[data-product=margherita] [data-allergens]').getAttribute('data-allergens')).toBe('gluten milk');

    // the manager records this morning's delivery on the stock page
    const { page: manager } = await app.staffPage(shop.email('manager'), DESKTOP);
    await manager.goto(`${base}/manager/stock`);
    await live(manager);
    await expect.poll(() => manager.getByTestId('low-stock').textContent()).toContain(burrata.name);
    const form = manager.getByTestId('delivery-form');
    await form.locator('select[name=ingredientId]').selectOption(String(burrata.ingredient_id));
    await form.locator('input[name=quantity]').fill('6');
    await form.locator('input[name=supplier]').fill('Caseificio Pugliese');
    await form.getByRole('button').click();
    await form.getByRole('status').waitFor();
    // the storefront shows it again, without a reload
    await expect.poll(() => card.getAttribute('data-available'), { timeout: 10_000 }).toBe('true');
    await expect.poll(() => manager.getByTestId('movements').textContent()).toContain('Caseificio Pugliese');
    await manager.screenshot({ path: `${SHOTS}/bo-1-stock-desktop.png`, fullPage: true });
    expect(await seriousViolations(manager), 'stock page').toEqual([]);

    // a count below what is held is refused with the reason, in French
    const count = manager.getByTestId('count-form');
    await count.locator('select[name=ingredientId]').selectOption(String(burrata.ingredient_id));
    await count.locator('input[name=counted]').fill('abc');
    await count.getByRole('button').click();
    await expect.poll(() => count.locator('.field-error').first().textContent()).toBe('Saisissez un nombre');

    // rush: the manager pauses online orders; the storefront says so at once and will not take one
    await manager.goto(`${base}/manager/shops/${shop.id}`);
    await manager.getByTestId('online-switch').getByRole('button').click();
    await shopper.getByTestId('shop-paused').waitFor({ timeout: 10_000 });
    await shopper.screenshot({ path: `${SHOTS}/bo-2-storefront-paused-phone.png` });
    await manager.getByTestId('online-switch').getByRole('button').click();
    await expect.poll(() => shopper.getByTestId('shop-paused').count(), { timeout: 10_000 }).toBe(0);

    // head office's pages, on a desktop and a tablet
    for (const [name, viewport] of [['desktop', DESKTOP], ['tablet', TABLET]] as const) {
      const { page: hq } = await app.staffPage('admin@ocpizza.test', viewport);
      const reine = (await pool.query<{ id: number }>(`SELECT id FROM products WHERE slug = 'reine'`)).rows[0].id;
      for (const path of ['/manager/stock', '/manager/staff', '/manager/shops', `/manager/shops/${shop.id}`, '/manager/menu', `/manager/menu/${reine}`, '/manager/ingredients', '/manager/audit']) {
        await hq.goto(`${base}${path}`);
        await hq.locator('h1').waitFor();
        await hq.screenshot({ path: `${SHOTS}/bo-hq-${path.replace(String(shop.id), 'one').replace(`menu/${reine}`, 'menu/reine').replace(/\W+/g, '-').replace(/^-|-$/g, '')}-${name}.png`, fullPage: true });
        expect(await seriousViolations(hq), `${path} on a ${name}`).toEqual([]);
      }
      if (name === 'desktop') expect(await hq.getByTestId('audit').textContent()).toContain('stock.delivery');
    }
    await shopperCtx.close();
  }, 120_000);
});
