import { describe, expect, it, vi } from 'vitest';
import { seriousViolations } from './axe.ts';
import { DESKTOP, SHOTS, useApp } from './harness.ts';
import { createShop, seededProduct } from '../helpers.ts';
import { platformOrder } from '../marketplace-office-fixtures.ts';

// several pages and a browser on a machine the whole suite shares: more than the default 30 s under load
vi.setConfig({ testTimeout: 90_000 });

// The delivery platforms' back office in the built app and Chromium: a shop's manager connects the
// shop's Uber Eats store, sees a platform order waiting with its countdown to the platform's
// deadline, and maps an item the platform named to a pizza of ours; screenshots at desktop size.
const app = useApp('marketplace-office');

describe("the platforms' back office", () => {
  it('the manager connects the Uber Eats store, sees the waiting order count down, and maps an item', async () => {
    const shop = await createShop(app.pool, 'mkt-ui');
    const tag = shop.slug;
    const payload = {
      externalId: `ue-${tag}`, code: 'K7Q2P', storeId: `ue-store-${tag}`, customer: { name: 'Léa', phone: null, note: null },
      lines: [{ externalId: `ue-reine-${tag}`, name: 'Pizza Reine (Uber)', quantity: 2, unitPriceCents: 1290, options: [], note: null }], totalCents: 2580,
    };
    const { page } = await app.staffPage(shop.email('manager'), DESKTOP);
    await page.goto(`${app.base}/manager/marketplaces`);
    const store = page.locator(`[data-shop="${shop.id}"][data-platform=uber_eats]`);
    await store.locator('input[name=storeId]').fill(`ue-store-${tag}`);
    await store.locator('input[name=markupPct]').fill('12');
    await store.getByRole('button', { name: 'Connecter' }).click();
    await expect.poll(() => store.locator('.badge.ok').textContent()).toBe('Connectée');
    const row = (await app.pool.query('SELECT store_id, price_markup_pct::float AS markup FROM marketplace_stores WHERE pizzeria_id = $1 AND marketplace = $2', [shop.id, 'uber_eats'])).rows[0];
    expect(row).toEqual({ store_id: `ue-store-${tag}`, markup: 12 });

    // an order waiting for the manager: an item not mapped, 8 minutes left before Uber Eats cancels it
    await app.pool.query(`INSERT INTO marketplace_items (marketplace, external_id, name) VALUES ('uber_eats', $1, 'Pizza Reine (Uber)')`, [`ue-reine-${tag}`]);
    await app.pool.query(`INSERT INTO marketplace_item_shops (marketplace, external_id, pizzeria_id) VALUES ('uber_eats', $1, $2)`, [`ue-reine-${tag}`, shop.id]);
    await app.pool.query(
      `INSERT INTO marketplace_orders (marketplace, external_id, store_id, pizzeria_id, state, payload, accept_by, problems)
       VALUES ('uber_eats', $1, $2, $3, 'needs_mapping', $4, now() + interval '8 minutes', $5)`,
      [`ue-${tag}`, `ue-store-${tag}`, shop.id, JSON.stringify(payload), JSON.stringify([{ kind: 'unmapped', externalId: `ue-reine-${tag}`, name: 'Pizza Reine (Uber)' }])],
    );
    await page.reload();
    const waiting = page.locator('[data-testid=waiting] tr[data-waiting]');
    await expect.poll(() => waiting.count()).toBe(1);
    const countdown = waiting.locator('[data-testid=countdown]');
    const first = (await countdown.textContent())!.trim();
    expect(first).toMatch(/^[78]:\d\d$/);
    await expect.poll(async () => (await countdown.textContent())!.trim(), { timeout: 4000 }).not.toBe(first);
    expect(await waiting.textContent()).toContain('Pizza Reine (Uber)\u00a0» n’est associé à rien de la carte');
    await page.screenshot({ path: `${SHOTS}/marketplace-1-connections-desktop.png`, fullPage: true });
    expect(await seriousViolations(page), 'connections page').toEqual([]);

    await page.getByRole('link', { name: 'Correspondances' }).click();
    await page.waitForURL(`${app.base}/manager/marketplaces/mapping`);
    const item = page.locator(`tr[data-item="ue-reine-${tag}"]`);
    expect(await item.locator('td.num').textContent()).toBe('1');
    await page.screenshot({ path: `${SHOTS}/marketplace-2-mapping-desktop.png`, fullPage: true });
    expect(await seriousViolations(page), 'mapping page').toEqual([]);
    await item.locator('select[name=to]').selectOption(`p${seededProduct('margherita')}`);
    await item.getByRole('button', { name: 'Faire correspondre' }).click();
    await expect.poll(() => item.count()).toBe(0);
    // mapped for the manager's shop
    const mapped = (await app.pool.query('SELECT product_id FROM marketplace_item_shops WHERE external_id = $1 AND pizzeria_id = $2', [`ue-reine-${tag}`, shop.id])).rows[0];
    expect(mapped.product_id).toBe(seededProduct('margherita'));

    // the week's reconciliation: the shop's store, its report not fetched yet
    await page.getByRole('link', { name: 'Rapprochement' }).click();
    await page.waitForURL(/\/manager\/marketplaces\/reconcile/);
    const week = page.locator(`section[data-shop="${shop.id}"]`);
    expect(await week.textContent()).toContain('Pas encore récupéré');
    await page.screenshot({ path: `${SHOTS}/marketplace-3-reconcile-desktop.png`, fullPage: true });
    expect(await seriousViolations(page), 'reconciliation page').toEqual([]);

    // the day's takings: the Uber Eats order apart, paid to the platform, its commission and what is due
    await platformOrder(app.base, app.pool, { pizzeriaId: shop.id, marketplace: 'uber_eats', externalId: `ue-paid-${tag}`, commissionCents: 630, lines: [{ productId: seededProduct('margherita'), quantity: 2 }] });
    await page.goto(`${app.base}/manager/takings`);
    const uber = page.locator(`section[data-shop="${shop.id}"] table[data-platform=uber_eats]`);
    expect((await uber.locator('[data-testid=platform-due]').textContent())?.replace(/\s/g, ' ')).toBe('14,70 €');
    expect(await page.locator(`section[data-shop="${shop.id}"] tr[data-way=counter_cash] td`).textContent()).toMatch(/^0,00/);
    await page.screenshot({ path: `${SHOTS}/marketplace-4-takings-desktop.png`, fullPage: true });
  });
});
