import { readFileSync } from 'node:fs';
import { describe, expect, inject, it } from 'vitest';
import { seriousViolations } from './axe.ts';
import { DESKTOP, SHOTS, useApp } from './harness.ts';
import { Client, createShop, move, seededProduct, waitUntil } from '../helpers.ts';

// Corrections and the e-reporting export in the built app and Chromium: the counter opens "Corriger
// un paiement" from its screen, corrects a pickup handed over "espèces" that was paid by card, with
// its reason, and sees the correction's number in the fiscal journal; the manager opens the daily
// export of sales per VAT rate and downloads it as CSV; the same sale corrected back needs a manager,
// who confirms at the counter with their password, and the cash page lists both. Screenshots.
const app = useApp('fiscal-fixes');

describe('corrections and the e-reporting export', () => {
  it('the counter corrects how a pickup was paid; the manager downloads the day per VAT rate', async () => {
    const shop = await createShop(app.pool, 'fixes-ui');
    const counterApi = await new Client(app.base).login(shop.email('counter'));
    const kitchen = await new Client(app.base).login(shop.email('kitchen'));
    const placed = await counterApi.post('/api/orders', {
      pizzeriaId: shop.id, channel: 'counter', fulfilment: 'pickup', customer: { name: 'Lina', phone: '0611223356' },
      items: [{ productId: seededProduct('margherita'), quantity: 2 }, { productId: seededProduct('peroni'), quantity: 1 }], payment: 'on_delivery',
    });
    expect(placed.status, JSON.stringify(placed.body)).toBe(201);
    const id = placed.body.id as string;
    await move(kitchen, id, 'preparing');
    await move(kitchen, id, 'ready');
    await move(counterApi, id, 'collected');
    // the workers' journal writes the sale (a second or so)
    await waitUntil(async () => (await app.pool.query(`SELECT 1 FROM fiscal_entries WHERE order_id = $1 AND kind = 'sale'`, [id])).rowCount || null, 20_000, 'the sale in the journal');

    const { page } = await app.staffPage(shop.email('counter'), DESKTOP);
    await page.goto(`${app.base}/counter`);
    await page.getByRole('link', { name: 'Corriger un paiement' }).click();
    await page.waitForURL(/\/counter\/payments/);
    const row = page.locator(`tr[data-order="${placed.body.number}"]`);
    expect(await row.textContent()).toContain('Espèces au comptoir');
    await row.locator('select[name=to]').selectOption('card');
    // without a reason the browser asks for one; with a reason the journal gets the correction
    await row.locator('input[name=reason]').fill('Payé par carte, touche espèces par erreur');
    await row.getByRole('button', { name: 'Corriger' }).click();
    await expect.poll(() => row.getByTestId('correction').first().textContent().catch(() => ''), { timeout: 10_000 }).toContain('écriture n°');
    const text = (await row.textContent())!;
    expect(text).toMatch(/Corrigé\s: Espèces au comptoir → Carte au comptoir/);
    expect(text).toContain('Payé par carte, touche espèces par erreur');
    await page.screenshot({ path: `${SHOTS}/fiscal-correction-1-counter-desktop.png`, fullPage: true });
    expect(await seriousViolations(page), 'payments page').toEqual([]);
    const { rows } = await app.pool.query(`SELECT kind, body FROM fiscal_entries WHERE order_id = $1 ORDER BY seq`, [id]);
    expect(rows.map((r) => r.kind)).toEqual(['sale', 'payment_correction']);
    expect(rows[1].body).toMatchObject({ reason: 'Payé par carte, touche espèces par erreur', from: { way: 'counter_cash' }, to: { way: 'counter_card' } });

    // the same sale back to cash: a second correction of one sale needs a manager, who confirms at the counter
    await row.locator('select[name=to]').selectOption('cash');
    await row.locator('input[name=reason]').fill('Finalement en espèces, le client a changé d\'avis');
    await row.getByRole('button', { name: 'Corriger' }).click();
    const confirm = row.getByTestId('manager-confirmation');
    await confirm.waitFor();
    expect(await confirm.textContent()).toMatch(/un responsable la confirme avec son mot de passe/);
    // the reason typed is kept; the manager types their own email and password
    expect(await row.locator('input[name=reason]').inputValue()).toBe('Finalement en espèces, le client a changé d\'avis');
    await page.screenshot({ path: `${SHOTS}/fiscal-correction-2-manager-asked-desktop.png`, fullPage: true });
    expect(await seriousViolations(page), 'payments page, a manager asked').toEqual([]);
    await confirm.locator('input[name=managerEmail]').fill(shop.email('manager'));
    await confirm.locator('input[name=managerPassword]').fill(inject('demoPassword'));
    await row.getByRole('button', { name: 'Corriger avec le responsable' }).click();
    await expect.poll(() => row.getByTestId('correction').count(), { timeout: 10_000 }).toBe(2);
    const managerName = (await app.pool.query('SELECT name FROM users WHERE email = $1', [shop.email('manager')])).rows[0].name;
    const confirmed = await app.pool.query(`SELECT body FROM fiscal_entries WHERE order_id = $1 AND kind = 'payment_correction' ORDER BY seq`, [id]);
    expect(confirmed.rows.map((r) => r.body.confirmedBy ?? null)).toEqual([null, expect.stringMatching(/^manager:\d+$/)]);

    // the cash page lists both, with who confirmed the second
    const { page: cash } = await app.staffPage(shop.email('manager'), DESKTOP);
    await cash.goto(`${app.base}/manager/cash`);
    const listed = cash.getByTestId('corrections');
    await listed.waitFor();
    expect(await listed.locator('li').count()).toBe(2);
    expect(await listed.textContent()).toContain(`confirmé par ${managerName}`);
    await cash.screenshot({ path: `${SHOTS}/fiscal-correction-3-cash-page-desktop.png`, fullPage: true });
    expect(await seriousViolations(cash), 'cash page with corrections').toEqual([]);

    const { page: manager } = await app.staffPage(shop.email('manager'), DESKTOP);
    const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Paris' }).format(new Date());
    await manager.goto(`${app.base}/manager/fiscal/exports?from=${today}&to=${today}`);
    const table = manager.getByTestId('vat-days');
    await table.waitFor();
    // 2 margheritas at 10 %, a beer at 20 %
    expect(await manager.locator('tr[data-rate="1000"]').textContent()).toContain('21,00');
    expect(await manager.locator('tr[data-rate="2000"]').textContent()).toContain('4,00');
    expect(await table.textContent()).toMatch(/ventes\s: 1, avoirs\s: 0/);
    await manager.screenshot({ path: `${SHOTS}/fiscal-export-1-manager-desktop.png`, fullPage: true });
    expect(await seriousViolations(manager), 'export page').toEqual([]);
    const [download] = await Promise.all([manager.waitForEvent('download'), manager.getByRole('button', { name: 'Télécharger (CSV)' }).click()]);
    expect(download.suggestedFilename()).toBe(`ereporting-b2c-${shop.slug}-${today}.csv`);
    const csv = readFileSync((await download.path())!, 'utf8').split('\r\n');
    expect(csv[0]).toBe('date;siret;boutique;devise;categorie_operations;taux_tva;montant_ht;montant_tva;montant_ttc;nombre_transactions');
    expect(csv[1]).toBe(`${today};"";"${shop.slug}";EUR;TLB1;10.00;19.09;1.91;21.00;1`);
    expect(csv[2]).toBe(`${today};"";"${shop.slug}";EUR;TLB1;20.00;3.33;0.67;4.00;1`);
    const jet = await app.pool.query(`SELECT operator, body FROM fiscal_entries WHERE chain = 'jet' AND kind = 'export' AND body->>'shop' = $1`, [shop.slug]);
    expect(jet.rows).toEqual([{ operator: expect.stringMatching(/^manager:\d+$/), body: expect.objectContaining({ format: 'csv', from: today, to: today }) }]);
  });
});
