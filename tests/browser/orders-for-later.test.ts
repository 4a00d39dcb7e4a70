import { describe, expect, it } from 'vitest';
import { live, PHONE, SHOTS, useApp } from './harness.ts';
import { seriousViolations } from './axe.ts';

// An order for later, as a customer on a phone makes it, and as the kitchen's wall tablet shows it
// until it is fired. A shop of the file's own (open at all hours), driven by Debian's Chromium.
const app = useApp('later', {}, { shop: 'later' });

describe('an order for later', () => {
  it('the customer picks a day and a time among the free slots; the tracking page says when; the kitchen shows it as coming', async () => {
    const { page: kitchen } = await app.staffPage(app.shop.email('kitchen'), { width: 1280, height: 800 });
    await kitchen.goto(`${app.base}/kitchen`);
    await live(kitchen);

    const ctx = await app.browser.newContext({ viewport: PHONE, isMobile: true, hasTouch: true });
    const customer = await ctx.newPage();
    await customer.goto(`${app.base}/?shop=${app.shop.slug}`);
    await live(customer);
    await customer.locator('[data-product=margherita] button').first().click();
    await customer.locator('[data-product=margherita] button', { hasText: '+' }).click();
    await customer.getByRole('button', { name: 'À emporter' }).click();
    await customer.fill('input[name=name]', 'Inès Haddad');
    await customer.fill('input[name=phone]', '06 22 33 44 55');
    // "later": today's free slots, as buttons; the place button waits for a choice
    await customer.getByTestId('later').click();
    const times = customer.getByTestId('slot-times').getByRole('radio');
    await expect.poll(() => times.count()).toBeGreaterThan(3);
    expect(await customer.locator('button.place').isDisabled()).toBe(true);
    const picked = (await times.nth(3).textContent())!.trim();
    await times.nth(3).click();
    await expect.poll(() => customer.getByTestId('slot-chosen').textContent()).toContain(picked);
    await customer.getByLabel('Payer au retrait').check();
    await customer.getByTestId('when').scrollIntoViewIfNeeded();
    await customer.screenshot({ path: `${SHOTS}/later-1-checkout-phone.png` });
    expect(await seriousViolations(customer), 'checkout with slots').toEqual([]);

    await customer.locator('button.place').click();
    await customer.waitForURL(/\/track\/[^/]+$/);
    await live(customer);
    const scheduled = customer.getByTestId('scheduled');
    await expect.poll(() => scheduled.textContent()).toMatch(new RegExp(`Commande programmée pour .* entre ${picked}`));
    expect(await scheduled.textContent()).toMatch(/modifier ou l’annuler jusqu’à \d\d:\d\d/);
    // no countdown for an order that is not in the kitchen yet
    expect(await customer.getByTestId('eta').count()).toBe(0);
    await customer.screenshot({ path: `${SHOTS}/later-2-tracking-phone.png` });

    // the kitchen: coming, with its fire time, not a ticket to start
    const number = (await app.pool.query<{ number: number }>('SELECT number FROM orders WHERE pizzeria_id = $1 ORDER BY created_at DESC LIMIT 1', [app.shop.id])).rows[0].number;
    await expect.poll(() => kitchen.getByTestId('coming').textContent()).toMatch(new RegExp(`#${number} en cuisine à \\d\\d:\\d\\d · 2 pizzas`));
    expect(await kitchen.getByTestId('make-line').locator(`[data-number="${number}"]`).count()).toBe(0);
    await kitchen.screenshot({ path: `${SHOTS}/later-3-kitchen-coming.png` });
    await ctx.close();
  });

  it("the manager's +20 shows at once on an open storefront, with its effect said on the live page; back to normal, the notice goes", async () => {
    const ctx = await app.browser.newContext({ viewport: PHONE, isMobile: true, hasTouch: true });
    const customer = await ctx.newPage();
    await customer.goto(`${app.base}/?shop=${app.shop.slug}`);
    await live(customer);
    expect(await customer.getByTestId('shop-busy').count()).toBe(0);

    const { page: manager } = await app.staffPage(app.shop.email('manager'), { width: 1280, height: 900 });
    await manager.goto(`${app.base}/manager`);
    await live(manager);
    const levers = manager.locator(`[data-levers="${app.shop.slug}"]`);
    await levers.locator('[data-busy="20"]').click();
    await expect.poll(() => levers.locator('[data-busy="20"]').getAttribute('aria-pressed')).toBe('true');
    expect(await levers.getByTestId('rush-effect').textContent()).toMatch(/promise 20 min plus tard/);
    await expect.poll(() => customer.getByTestId('shop-busy').textContent(), { timeout: 10_000 }).toMatch(/comptez 20 min de plus/);
    await manager.getByTestId('rush').scrollIntoViewIfNeeded();
    await manager.screenshot({ path: `${SHOTS}/later-4-manager-levers.png` });
    await customer.screenshot({ path: `${SHOTS}/later-5-storefront-busy-phone.png` });
    expect(await seriousViolations(manager), 'the live page with its levers').toEqual([]);

    await levers.locator('[data-busy="0"]').click();
    await expect.poll(() => customer.getByTestId('shop-busy').count(), { timeout: 10_000 }).toBe(0);
    await ctx.close();
  });
});
