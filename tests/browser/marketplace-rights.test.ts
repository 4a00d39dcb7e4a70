import { describe, expect, it, vi } from 'vitest';
import { seriousViolations } from './axe.ts';
import { DESKTOP, SHOTS, useApp } from './harness.ts';
import { createShop, seededProduct } from '../helpers.ts';

// several pages and a browser on a machine the whole suite shares: more than the default 30 s under load
vi.setConfig({ testTimeout: 90_000 });

// A platform order waiting for the manager because of its money says why in French on the
// platforms' page (a price far from ours, a total at zero); head office maps a platform's item for
// one shop or every shop, a shop's manager for their own.
const app = useApp('marketplace-rights');

describe("the platforms' page in the manager's words", () => {
  it('shows why a platform order waits: its price against ours, a total at zero', async () => {
    const shop = await createShop(app.pool, 'mkt-money-ui');
    const tag = shop.slug;
    const payload = {
      externalId: `ue-${tag}`, code: 'M0N3Y', storeId: `ue-store-${tag}`, customer: { name: 'Léa', phone: null, note: null },
      lines: [{ externalId: `p${seededProduct('margherita')}`, name: 'Margherita', quantity: 1, unitPriceCents: 1, options: [], note: null }], totalCents: 0,
    };
    const problems = [{ kind: 'price', name: 'Margherita', paidCents: 1, expectedCents: 1050 }, { kind: 'amount', name: null, cents: 0 }];
    await app.pool.query(
      `INSERT INTO marketplace_orders (marketplace, external_id, store_id, pizzeria_id, state, payload, accept_by, problems)
       VALUES ('uber_eats', $1, $2, $3, 'awaiting_manager', $4, now() + interval '8 minutes', $5)`,
      [`ue-${tag}`, `ue-store-${tag}`, shop.id, JSON.stringify(payload), JSON.stringify(problems)],
    );
    const { page } = await app.staffPage(shop.email('manager'), DESKTOP);
    await page.goto(`${app.base}/manager/marketplaces`);
    const waiting = page.locator('[data-testid=waiting] tr[data-waiting]');
    await expect.poll(() => waiting.count()).toBe(1);
    const text = (await waiting.textContent())!.replace(/\s+/g, ' ');
    expect(text).toContain('« Margherita » payé 0,01 € sur la plateforme, 10,50 € chez nous : plus de 30 % d’écart'.replace(/ /g, ' '));
    expect(text).toContain('le total est à 0,00 € : un montant nul ou négatif n’est jamais encaissé tel quel'.replace(/ /g, ' '));
    await page.screenshot({ path: `${SHOTS}/marketplace-4-money-waiting-desktop.png`, fullPage: true });
    expect(await seriousViolations(page), 'platforms page').toEqual([]);
  });

  it('lets head office map an item for one shop, and shows each item with the shops that named it', async () => {
    const shop = await createShop(app.pool, 'mkt-map-hq');
    const item = `ue-hq-${shop.slug}`;
    await app.pool.query(`INSERT INTO marketplace_items (marketplace, external_id, name) VALUES ('uber_eats', $1, 'Calzone (Uber)')`, [item]);
    await app.pool.query(`INSERT INTO marketplace_item_shops (marketplace, external_id, pizzeria_id) VALUES ('uber_eats', $1, $2)`, [item, shop.id]);
    const { page } = await app.staffPage('admin@ocpizza.test', DESKTOP);
    await page.goto(`${app.base}/manager/marketplaces/mapping`);
    const row = page.locator(`tr[data-item="${item}"]`);
    expect(await row.locator('[data-testid=shops]').textContent()).toContain(`OC Pizza ${shop.slug}`);
    await row.locator('select[name=to]').selectOption(`p${seededProduct('margherita')}`);
    await row.locator('select[name=shop]').selectOption(String(shop.id));
    await page.screenshot({ path: `${SHOTS}/marketplace-5-mapping-head-office-desktop.png`, fullPage: true });
    expect(await seriousViolations(page), 'mapping page').toEqual([]);
    await row.getByRole('button', { name: 'Faire correspondre' }).click();
    await expect.poll(() => row.count()).toBe(0);
    // for that shop only: the chain's mapping is left as it was
    const mapped = await app.pool.query(
      `SELECT s.product_id AS shop, i.product_id AS chain FROM marketplace_item_shops s JOIN marketplace_items i USING (marketplace, external_id) WHERE s.external_id = $1 AND s.pizzeria_id = $2`,
      [item, shop.id],
    );
    expect(mapped.rows).toEqual([{ shop: seededProduct('margherita'), chain: null }]);
  });
});
