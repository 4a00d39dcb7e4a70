import { describe, expect, it } from 'vitest';
import { seriousViolations } from './axe.ts';
import { DESKTOP, SHOTS, useApp } from './harness.ts';

// Head office sets a product's VAT rate for each way it is sold, on the product's page in the built
// app and Chromium (desktop): the sealed can shows 5,5 % taken away and delivered; the accountant
// puts it at 10 % taken away (poured into a cup), it is saved, audited, and the menu's list says both
// rates; a rate the law does not set, slipped into the form, is refused in French and changes nothing.
const app = useApp('vat-rates');

const rates = async (slug: string) =>
  (await app.pool.query<{ pickup: number; delivery: number }>('SELECT vat_rate_pickup::float8 AS pickup, vat_rate_delivery::float8 AS delivery FROM products WHERE slug = $1', [slug])).rows[0];

describe('VAT rates per way of consumption in the back office', () => {
  it('head office sets a can at 10 % taken away and 5,5 % delivered; a rate the law does not set is refused, nothing changed', async () => {
    const { rows } = await app.pool.query<{ id: number }>(`SELECT id FROM products WHERE slug = 'coca-cola'`);
    const { page: hq } = await app.staffPage('admin@ocpizza.test', DESKTOP);
    await hq.goto(`${app.base}/manager/menu/${rows[0].id}`);
    const vat = hq.getByTestId('product-vat');
    const pickup = vat.getByLabel('TVA à emporter');
    const delivery = vat.getByLabel('TVA en livraison');
    expect(await pickup.inputValue()).toBe('5.5');
    expect(await delivery.inputValue()).toBe('5.5');
    expect(await vat.textContent()).toContain('expert-comptable');

    await pickup.selectOption('10');
    const form = hq.getByTestId('product-edit');
    await form.getByRole('button', { name: 'Enregistrer' }).click();
    await form.getByRole('status').waitFor();
    expect(await rates('coca-cola')).toEqual({ pickup: 10, delivery: 5.5 });
    expect(await pickup.inputValue()).toBe('10');
    await vat.scrollIntoViewIfNeeded();
    await hq.screenshot({ path: `${SHOTS}/vat-1-product-desktop.png` });
    expect(await seriousViolations(hq), 'product page').toEqual([]);
    const audit = await app.pool.query(`SELECT after->'vatRates' AS rates FROM audit_log WHERE action = 'menu.product_update' AND entity_id = $1`, [String(rows[0].id)]);
    expect(audit.rows).toEqual([{ rates: { pickup: 10, delivery: 5.5 } }]);

    // the menu's list: one rate for a pizza, both for the can
    await hq.goto(`${app.base}/manager/menu`);
    expect((await hq.locator('[data-product=coca-cola] td.num').nth(1).textContent())?.replace(/\s/g, ' ')).toBe('10 % à emporter · 5,5 % livré');
    expect((await hq.locator('[data-product=margherita] td.num').nth(1).textContent())?.replace(/\s/g, ' ')).toBe('10 %');
    await hq.locator('[data-product=coca-cola]').scrollIntoViewIfNeeded();
    await hq.screenshot({ path: `${SHOTS}/vat-2-menu-desktop.png` });

    // 7 % slipped into the form (no such choice): refused with the reason, nothing changed
    await hq.goto(`${app.base}/manager/menu/${rows[0].id}`);
    await hq.locator('select[name=vatDelivery]').evaluate((s: HTMLSelectElement) => s.add(new Option('7 %', '7')));
    await hq.locator('select[name=vatDelivery]').selectOption('7');
    await hq.getByTestId('product-edit').getByRole('button', { name: 'Enregistrer' }).click();
    await expect.poll(() => hq.getByTestId('product-vat').locator('.field-error').textContent()).toBe('Un taux légal\u00a0: 5,5, 10 ou 20\u00a0%');
    expect(await rates('coca-cola')).toEqual({ pickup: 10, delivery: 5.5 });
    // only the refused rate is marked
    expect(await hq.locator('select[name=vatDelivery]').getAttribute('aria-invalid')).toBe('true');
    expect(await hq.locator('select[name=vatPickup]').getAttribute('aria-invalid')).toBe('false');
    await hq.getByTestId('product-vat').scrollIntoViewIfNeeded();
    await hq.screenshot({ path: `${SHOTS}/vat-3-refused-desktop.png` });
    expect((await app.pool.query(`SELECT count(*)::int AS n FROM audit_log WHERE action = 'menu.product_update' AND entity_id = $1`, [String(rows[0].id)])).rows[0].n).toBe(1);
  });
});
