import { describe, expect, it } from 'vitest';
import { seriousViolations } from './axe.ts';
import { DESKTOP, PHONE, SHOTS, TABLET, live, useApp } from './harness.ts';
import { createShop } from '../helpers.ts';
import sharp from 'sharp';

// The back office in the built app and Chromium: a shop's manager records the delivery of an
// ingredient it had run out of, on the stock page's form, and an open storefront shows the pizza
// again without a reload; the rush switch pauses online orders on that storefront at once; head
// office's pages. Screenshots of each page on a desktop and a tablet.
const app = useApp('back-office');

describe('the back office', () => {
  it('a delivery recorded on the stock page puts a sold-out pizza back on an open storefront; the rush switch pauses it; every page looks right', async () => {
    const shop = await createShop(app.pool, 'bo');
    const { rows } = await app.pool.query<{ ingredient_id: number; name: string }>(
      `SELECT r.ingredient_id, i.name FROM recipe_ingredients r JOIN products p ON p.id = r.product_id JOIN ingredients i ON i.id = r.ingredient_id
       WHERE p.slug = 'burrata' AND i.slug = 'burrata'`,
    );
    const burrata = rows[0];
    await app.pool.query('UPDATE stock SET on_hand = 0 WHERE pizzeria_id = $1 AND ingredient_id = $2', [shop.id, burrata.ingredient_id]);

    // a customer has the shop's menu open on a phone: Burrata is sold out
    const shopperCtx = await app.browser.newContext({ viewport: PHONE });
    const shopper = await shopperCtx.newPage();
    await shopper.goto(`${app.base}/?shop=${shop.slug}`);
    await live(shopper);
    const card = shopper.locator('[data-product=burrata]');
    expect(await card.getAttribute('data-available')).toBe('false');
    expect(await shopper.locator('[data-product=margherita] [data-allergens]').getAttribute('data-allergens')).toBe('gluten milk');

    // the manager records this morning's delivery on the stock page
    const { page: manager } = await app.staffPage(shop.email('manager'), DESKTOP);
    await manager.goto(`${app.base}/manager/stock`);
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
    await manager.goto(`${app.base}/manager/shops/${shop.id}`);
    await manager.getByTestId('online-switch').getByRole('button').click();
    await shopper.getByTestId('shop-paused').waitFor({ timeout: 10_000 });
    await shopper.screenshot({ path: `${SHOTS}/bo-2-storefront-paused-phone.png` });
    await manager.getByTestId('online-switch').getByRole('button').click();
    await expect.poll(() => shopper.getByTestId('shop-paused').count(), { timeout: 10_000 }).toBe(0);

    // head office sees the delivery in the audit log
    const { page: hq } = await app.staffPage('admin@ocpizza.test', DESKTOP);
    await hq.goto(`${app.base}/manager/audit`);
    await expect.poll(() => hq.getByTestId('audit').textContent()).toContain('stock.delivery');
    await shopperCtx.close();
  });

  // head office's pages, on a desktop and on a tablet: a test each, so a loaded machine's slow page
  // is timed against one screen's tour, not both
  for (const [name, viewport] of [['desktop', DESKTOP], ['tablet', TABLET]] as const) {
    it(`head office's back-office pages look right and pass axe-core on a ${name}`, async () => {
      const shop = await createShop(app.pool, `bo-hq-${name}`);
      const { page: hq } = await app.staffPage('admin@ocpizza.test', viewport);
      const reine = (await app.pool.query<{ id: number }>(`SELECT id FROM products WHERE slug = 'reine'`)).rows[0].id;
      for (const path of ['/manager/stock', '/manager/staff', '/manager/shops', `/manager/shops/${shop.id}`, '/manager/menu', `/manager/menu/${reine}`, '/manager/ingredients', '/manager/audit']) {
        await hq.goto(`${app.base}${path}`);
        await hq.locator('h1').waitFor();
        await hq.screenshot({ path: `${SHOTS}/bo-hq-${path.replace(String(shop.id), 'one').replace(`menu/${reine}`, 'menu/reine').replace(/\W+/g, '-').replace(/^-|-$/g, '')}-${name}.png`, fullPage: true });
        expect(await seriousViolations(hq), `${path} on a ${name}`).toEqual([]);
      }
    });
  }

  it('head office adds a pizza with a photo and an option; the shop receives its missing ingredient; an open storefront shows the new pizza, then sells it with the option, without a reload', async () => {
    const shop = await createShop(app.pool, 'bo-new');
    const tag = Math.random().toString(36).slice(2, 7);
    const shopperCtx = await app.browser.newContext({ viewport: PHONE, isMobile: true, hasTouch: true });
    const shopper = await shopperCtx.newPage();
    await shopper.goto(`${app.base}/?shop=${shop.slug}`);
    await live(shopper);

    // head office: a new ingredient (no shop has any yet), then the pizza on the menu page
    const { page: hq } = await app.staffPage('admin@ocpizza.test', DESKTOP);
    await hq.goto(`${app.base}/manager/ingredients`);
    const ingredientForm = hq.getByTestId('ingredient-create');
    await ingredientForm.locator('input[name=slug]').fill(`stracciatella-${tag}`);
    await ingredientForm.locator('input[name=name]').fill(`Stracciatella ${tag}`);
    await ingredientForm.locator('input[name=allergens][value=milk]').check();
    await ingredientForm.getByRole('button').click();
    await ingredientForm.getByRole('status').waitFor();
    const ingredientId = (await app.pool.query<{ id: number }>('SELECT id FROM ingredients WHERE slug = $1', [`stracciatella-${tag}`])).rows[0].id;
    const [pate, mozzarella] = (await app.pool.query<{ id: number }>(`SELECT id FROM ingredients WHERE slug IN ('pate', 'mozzarella') ORDER BY slug = 'mozzarella'`)).rows.map((r) => r.id);

    await hq.goto(`${app.base}/manager/menu`);
    await hq.getByRole('button', { name: 'Ajouter un produit' }).click();
    const create = hq.getByTestId('product-create');
    await create.locator('input[name=slug]').fill(`pugliese-${tag}`);
    await create.locator('input[name=name]').fill(`Pugliese ${tag}`);
    await create.locator('textarea[name=description]').fill('Mozzarella, stracciatella, huile d’olive');
    await create.locator('input[name=price]').fill('15,50');
    await create.locator(`input[name=q_${pate}]`).fill('1');
    await create.locator(`input[name=q_${mozzarella}]`).fill('80');
    await create.locator(`input[name=q_${ingredientId}]`).fill('40');
    await create.getByRole('button', { name: 'Ajouter un produit' }).click();
    await create.getByRole('status').waitFor();
    const productId = (await app.pool.query<{ id: number }>('SELECT id FROM products WHERE slug = $1', [`pugliese-${tag}`])).rows[0].id;

    // the open storefront shows it at once, not sold yet (no stracciatella in the shop), allergens from its recipe
    const card = shopper.locator(`[data-product=pugliese-${tag}]`);
    await card.waitFor({ timeout: 10_000 });
    expect(await card.getAttribute('data-available')).toBe('false');
    expect(await card.locator('[data-allergens]').getAttribute('data-allergens')).toBe('gluten milk');

    // its photo and an extra, on the product's page
    await hq.goto(`${app.base}/manager/menu/${productId}`);
    const png = await sharp({ create: { width: 1200, height: 900, channels: 3, background: { r: 240, g: 235, b: 220 } } })
      .composite([{ input: Buffer.from('<svg width="1200" height="900"><circle cx="600" cy="450" r="380" fill="#c8502a"/><circle cx="600" cy="450" r="300" fill="#f7f2e6"/></svg>') }])
      .png()
      .toBuffer();
    const photo = hq.getByTestId('product-photo');
    await photo.locator('input[type=file]').setInputFiles({ name: 'pugliese.png', mimeType: 'image/png', buffer: png });
    await photo.getByRole('button', { name: 'Envoyer la photo' }).click();
    await photo.getByRole('status').waitFor();
    await expect.poll(() => card.locator('img.photo').getAttribute('src'), { timeout: 10_000 }).toMatch(/^\/media\/products\/pugliese-[a-z0-9-]+\.webp$/);
    const options = hq.getByTestId('product-options');
    await options.getByRole('button', { name: 'Ajouter une option' }).click();
    const optionForm = hq.getByTestId('option-create');
    await optionForm.locator('select[name=kind]').selectOption('extra');
    await optionForm.locator('input[name=name]').fill('Double stracciatella');
    await optionForm.locator('input[name=price]').fill('2,50');
    await optionForm.locator('select[name=add_0]').selectOption(String(ingredientId));
    await optionForm.locator('input[name=addq_0]').fill('30');
    await optionForm.getByRole('button', { name: 'Ajouter une option' }).click();
    await expect.poll(() => options.locator('tr[data-option="Double stracciatella"]').count()).toBe(1);
    expect(await options.locator('tr[data-option="Double stracciatella"]').textContent()).toContain(`+30 g Stracciatella ${tag}`);
    for (const [name, viewport] of [['desktop', DESKTOP], ['tablet', TABLET]] as const) {
      await hq.setViewportSize(viewport);
      await hq.screenshot({ path: `${SHOTS}/bo-hq-product-options-${name}.png`, fullPage: true });
      expect(await seriousViolations(hq), `product page on a ${name}`).toEqual([]);
    }

    // the shop receives the stracciatella: the storefront sells the pizza, and the extra
    const { page: manager } = await app.staffPage(shop.email('manager'), DESKTOP);
    await manager.goto(`${app.base}/manager/stock`);
    const delivery = manager.getByTestId('delivery-form');
    await delivery.locator('select[name=ingredientId]').selectOption(String(ingredientId));
    await delivery.locator('input[name=quantity]').fill('500');
    await delivery.getByRole('button').click();
    await delivery.getByRole('status').waitFor();
    await expect.poll(() => card.getAttribute('data-available'), { timeout: 10_000 }).toBe('true');
    await card.locator('summary').click();
    await card.locator('label', { hasText: 'Double stracciatella' }).click();
    await card.getByRole('button', { name: /^Ajouter .+ · 18,00/ }).click();
    const line = shopper.locator(`#basket [data-line=pugliese-${tag}]`);
    expect(await line.textContent()).toContain('Double stracciatella');
    expect(await line.textContent()).toContain('18,00');
    await card.scrollIntoViewIfNeeded();
    await shopper.screenshot({ path: `${SHOTS}/bo-3-storefront-new-pizza-phone.png` });
    await shopperCtx.close();
  });
});
