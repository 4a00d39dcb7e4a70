import { describe, expect, it } from 'vitest';
import { live, PHONE, SHOTS, useApp } from './harness.ts';

// A customer past a limit on unpaid orders is told, in their language, what to do about it: not
// "try again", which would only be refused again. The limit at its default (the harness raises it).
const app = useApp('limits', { UNPAID_ORDERS_PER_CLIENT: '2' });

describe('a customer past a limit on orders', () => {
  it('with two orders still waiting for payment, a third is refused with what to do: pay them, cancel them, or pay on delivery', async () => {
    // a client of its own (address and phone): the suite's other orders from this machine share its database
    const client = `2001:db8:${Math.floor(Math.random() * 0xffff).toString(16)}:${Math.floor(Math.random() * 0xffff).toString(16)}::7`;
    const phone = `07 ${String(Math.floor(Math.random() * 1e8)).padStart(8, '0').replace(/(\d\d)(?=\d)/g, '$1 ')}`;
    const shop = (await app.pool.query<{ id: number }>(`SELECT id FROM pizzerias WHERE slug = 'montparnasse'`)).rows[0].id;
    const margherita = (await app.pool.query<{ id: number }>(`SELECT id FROM products WHERE slug = 'margherita'`)).rows[0].id;
    for (let i = 0; i < 2; i++) {
      const res = await fetch(`${app.base}/api/orders`, {
        method: 'POST', headers: { 'content-type': 'application/json', 'x-forwarded-for': client },
        body: JSON.stringify({ pizzeriaId: shop, fulfilment: 'pickup', payment: 'online', customer: { name: 'Inès', phone }, items: [{ productId: margherita, quantity: 1 }] }),
      });
      expect(res.status).toBe(201);
    }
    const ctx = await app.browser.newContext({ viewport: PHONE, isMobile: true, hasTouch: true, locale: 'fr-FR', extraHTTPHeaders: { 'x-forwarded-for': client } });
    const page = await ctx.newPage();
    await page.goto(`${app.base}/?shop=montparnasse`);
    await live(page);
    await page.locator('[data-product=margherita] button').first().click();
    await page.getByRole('radiogroup').getByRole('button', { name: 'À emporter' }).click();
    await page.fill('input[name=name]', 'Inès');
    await page.fill('input[name=phone]', phone);
    await page.locator('button.place').click();
    await expect.poll(() => page.getByRole('alert').textContent()).toMatch(/déjà des commandes en attente de paiement.*paiement à la livraison/);
    await page.screenshot({ path: `${SHOTS}/limits-unpaid-phone.png`, fullPage: true });
    expect(page.url()).not.toMatch(/\/track\//);
    await ctx.close();
  });
});
