import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { seriousViolations } from './axe.ts';
import { SHOTS, live, useApp } from './harness.ts';
import { seededProduct, Client, createShop, move } from '../helpers.ts';

// The day's takings in the built app and Chromium: a shop's day (a pickup paid in cash at the
// counter, one by card), the manager's page shows each way, the net and the VAT, and the CSV
// downloads; screenshots on a desktop and a tablet held landscape.
const app = useApp('takings');

describe("the day's takings", () => {
  it('the manager sees what the counter took by cash and card, the net and the VAT, and downloads the CSV', async () => {
    const shop = await createShop(app.pool, 'takings-ui');
    const counter = await new Client(app.base).login(shop.email('counter'));
    const kitchen = await new Client(app.base).login(shop.email('kitchen'));
    const [margherita, peroni] = [seededProduct('margherita'), seededProduct('peroni')];
    for (const [items, paymentMethod] of [[[{ productId: margherita, quantity: 2 }], 'cash'], [[{ productId: margherita, quantity: 1 }, { productId: peroni, quantity: 1 }], 'card']] as const) {
      const placed = await counter.post('/api/orders', {
        pizzeriaId: shop.id, channel: 'counter', fulfilment: 'pickup', customer: { name: 'Noé', phone: '0611223366' }, items, payment: 'on_delivery',
      });
      await move(kitchen, placed.body.id, 'preparing');
      await move(kitchen, placed.body.id, 'ready');
      expect((await counter.post(`/api/orders/${placed.body.id}/status`, { to: 'collected', paymentMethod })).status).toBe(200);
    }

    const { page } = await app.staffPage(shop.email('manager'), { width: 1280, height: 800 });
    await page.goto(`${app.base}/manager`);
    await live(page);
    await page.getByRole('link', { name: 'Recette' }).click();
    await page.waitForURL(`${app.base}/manager/takings`);
    const card = page.locator(`section[data-shop="${shop.id}"]`);
    const amount = async (selector: string) => (await card.locator(selector).textContent())?.replace(/\s/g, ' ').trim();
    expect(await amount('tr[data-way=counter_cash] td')).toBe('21,00 €');
    expect(await amount('tr[data-way=counter_card] td')).toBe('14,50 €');
    expect(await amount('[data-testid=net]')).toBe('35,50 €');
    expect(await amount('[data-testid=paid]')).toBe('2');
    expect(await amount('tr[data-rate="20"] td:nth-of-type(2)')).toBe('0,67 €');
    await page.screenshot({ path: `${SHOTS}/takings-1-manager-desktop.png`, fullPage: true });
    expect(await seriousViolations(page), 'takings page').toEqual([]);
    await page.setViewportSize({ width: 1180, height: 820 });
    await page.screenshot({ path: `${SHOTS}/takings-2-manager-tablet.png`, fullPage: true });

    const [download] = await Promise.all([page.waitForEvent('download'), card.getByRole('link', { name: 'Télécharger le CSV' }).click()]);
    expect(download.suggestedFilename()).toMatch(new RegExp(`^takings-${shop.slug}-\\d{4}-\\d{2}-\\d{2}\\.csv$`));
    const csv = await readFile((await download.path())!, 'utf8');
    const [header, row] = csv.replace(/^\uFEFF/, '').trim().split('\r\n').map((l) => l.split(';').map((c) => c.replace(/^"|"$/g, '')));
    expect(row[header.indexOf('Espèces au comptoir')]).toBe('21,00');
    expect(row[header.indexOf('Net')]).toBe('35,50');

    // an earlier day, chosen in the form (no script needed: a GET form), had nothing
    await page.locator('input[name=date]').fill('2020-01-15');
    await page.getByRole('button', { name: 'Afficher' }).click();
    await page.waitForURL(/date=2020-01-15/);
    expect(await amount('[data-testid=net]')).toBe('0,00 €');
  });
});
