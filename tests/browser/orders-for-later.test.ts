import { describe, expect, it } from 'vitest';
import { Client, createShop, driverOnShift, placeThroughApi, seededProduct } from '../helpers.ts';
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
    // "later": the free slots by day, as buttons; the place button waits for a choice. The fourth
    // free slot from now, on whichever day it falls (late in the evening, tomorrow's)
    const { body } = await new Client(app.base).get(`/api/pizzerias/${app.shop.id}/slots?fulfilment=pickup&pizzas=2`);
    const fourth = new Date((body as { slots: { start: string }[] }).slots[3].start);
    const paris = (o: Intl.DateTimeFormatOptions) => new Intl.DateTimeFormat('fr-FR', { timeZone: 'Europe/Paris', ...o }).format(fourth);
    const picked = paris({ hour: '2-digit', minute: '2-digit' });
    await customer.getByTestId('later').click();
    const times = customer.getByTestId('slot-times').getByRole('radio');
    await expect.poll(() => times.count()).toBeGreaterThan(0);
    expect(await customer.locator('button.place').isDisabled()).toBe(true);
    await customer.getByTestId('slot-day').selectOption(new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Paris' }).format(fourth));
    await times.filter({ hasText: picked }).click();
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
    const { id, number } = (await app.pool.query<{ id: string; number: number }>('SELECT id, number FROM orders WHERE pizzeria_id = $1 ORDER BY created_at DESC LIMIT 1', [app.shop.id])).rows[0];
    await expect.poll(() => kitchen.getByTestId('coming').textContent()).toMatch(new RegExp(`#${number} en cuisine à \\d\\d:\\d\\d · 2 pizzas`));
    // (by its id: an order for tomorrow is numbered among tomorrow's)
    expect(await kitchen.getByTestId('make-line').locator(`[data-order="${id}"]`).count()).toBe(0);
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

  it("the kitchen's wall tablet shows a delivery held for its far driver after the tickets to make now, and the cook can still start it", async () => {
    const manager = await new Client(app.base).login(app.shop.email('manager'));
    // a pickup taken before the rush, to make now
    const pickup = await placeThroughApi(app.base, { pizzeriaId: app.shop.id, productId: seededProduct('margherita'), fulfilment: 'pickup' });
    await manager.post(`/api/shops/${app.shop.id}/busy`, { minutes: 20 });
    const driver = await driverOnShift(app.base, app.shop.email('driver1'));
    try {
      // 6 km north of the shop, nothing to deliver: back in about 22 minutes
      await driver.at(6000);
      const delivery = await placeThroughApi(app.base, { pizzeriaId: app.shop.id, productId: seededProduct('reine'), quantity: 2 });

      const { page: kitchen } = await app.staffPage(app.shop.email('kitchen'), { width: 1280, height: 800 });
      await kitchen.goto(`${app.base}/kitchen`);
      await live(kitchen);
      const held = kitchen.locator(`[data-number="${delivery.number}"]`);
      await expect.poll(() => held.getByTestId('fire-at').textContent(), { timeout: 10_000 }).toMatch(/À lancer dans \d+ min · pour driver1 .*, de retour \d\d:\d\d/);
      // made now first, held after
      const order = await kitchen.getByTestId('make-line').locator('[data-number]').evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-number'))));
      expect(order.indexOf(pickup.number)).toBeLessThan(order.indexOf(delivery.number));
      await kitchen.screenshot({ path: `${SHOTS}/later-6-kitchen-held-for-driver.png` });
      expect(await seriousViolations(kitchen), 'the kitchen with a held ticket').toEqual([]);

      // the cook has the last word: started, it is in the oven and held no more
      await held.getByRole('button', { name: 'Commencer' }).click();
      await expect.poll(() => held.getAttribute('data-status')).toBe('preparing');
      expect(await held.getByTestId('fire-at').count()).toBe(0);
    } finally {
      await driver.leave();
      await manager.post(`/api/shops/${app.shop.id}/busy`, { minutes: 0 });
    }
  });

  it('a manager fires an order for later now from the live page; the kitchen gets it as a ticket at once', async () => {
    const { body } = await new Client(app.base).get(`/api/pizzerias/${app.shop.id}/slots?fulfilment=pickup&pizzas=1`);
    const slot = (body as { slots: { start: string }[] }).slots[8].start;
    const later = await placeThroughApi(app.base, { pizzeriaId: app.shop.id, productId: seededProduct('margherita'), fulfilment: 'pickup', slot });
    const { page: kitchen } = await app.staffPage(app.shop.email('kitchen'), { width: 1280, height: 800 });
    await kitchen.goto(`${app.base}/kitchen`);
    await live(kitchen);
    expect(await kitchen.getByTestId('make-line').locator(`[data-order="${later.id}"]`).count()).toBe(0);

    const { page: manager } = await app.staffPage(app.shop.email('manager'), { width: 1280, height: 900 });
    await manager.goto(`${app.base}/manager`);
    await live(manager);
    const row = manager.locator(`tr[data-order="${later.id}"]`);
    expect(await row.getByTestId('fire-time').textContent()).toMatch(/en cuisine à \d\d:\d\d/);
    await row.scrollIntoViewIfNeeded();
    await manager.screenshot({ path: `${SHOTS}/later-7-manager-fire-now.png` });
    expect(await seriousViolations(manager), 'the live page with an order for later').toEqual([]);
    await row.getByTestId('fire-now').click();
    await expect.poll(() => row.getByTestId('fire-now').count()).toBe(0);
    await expect.poll(() => kitchen.getByTestId('make-line').locator(`[data-order="${later.id}"]`).count(), { timeout: 10_000 }).toBe(1);
  });

  it("the customer's tracking page gives a window from the shop's plan, and says the order will be late before it is", async () => {
    // a shop of its own: what a server read of a shop's drivers is kept 15 s, and this file's shop had
    // its driver far a moment ago
    const shop = await createShop(app.pool, 'later-track');
    const driver = await driverOnShift(app.base, shop.email('driver1'));
    try {
      // promised with its driver at the shop; then the driver is 6 km out: the plan sees the delivery
      // late before the kitchen has started it
      const driverAt = driver.at;
      await driverAt(20);
      const placed = await placeThroughApi(app.base, { pizzeriaId: shop.id, productId: seededProduct('margherita') });
      await driverAt(6000);

      const ctx = await app.browser.newContext({ viewport: PHONE, isMobile: true, hasTouch: true });
      const customer = await ctx.newPage();
      await customer.goto(`${app.base}/track/${placed.trackingToken}`);
      await live(customer);
      // one time on the card, the plan's window, and beside it how late that is, in the words of the texts
      await expect.poll(() => customer.getByTestId('late').textContent(), { timeout: 10_000 }).toMatch(/^En retard d’environ \d+ min, toutes nos excuses\.$/);
      expect(await customer.getByTestId('eta').getAttribute('data-from')).toBe('plan');
      expect(await customer.getByTestId('window').textContent()).toMatch(/^Arrivée prévue entre \d\d:\d\d et \d\d:\d\d$/);
      expect((await customer.getByTestId('eta').textContent())!.match(/\d\d:\d\d/g)).toHaveLength(2);
      await customer.screenshot({ path: `${SHOTS}/later-8-tracking-late-forecast-phone.png` });
      expect(await seriousViolations(customer), 'the tracking page with a late forecast').toEqual([]);
      await ctx.close();
    } finally {
      await driver.leave();
    }
  });

  it('a storefront whose shop cannot promise soon tonight offers the neighbour that can, with both promises', async () => {
    // two shops on the same corner: the slow one's only driver 12 km out, the other's at the shop
    const [slow, near] = [await createShop(app.pool, 'later-slow'), await createShop(app.pool, 'later-near')];
    const drivers: Awaited<ReturnType<typeof driverOnShift>>[] = [];
    try {
      for (const [shop, metres] of [[slow, 12_000], [near, 20]] as const) {
        const driver = await driverOnShift(app.base, shop.email('driver1'));
        drivers.push(driver);
        await driver.at(metres);
      }
      const ctx = await app.browser.newContext({ viewport: PHONE, isMobile: true, hasTouch: true });
      const customer = await ctx.newPage();
      await customer.goto(`${app.base}/?shop=${slow.slug}`);
      await live(customer);
      await customer.locator('[data-product=margherita] button').first().click();
      await customer.fill('input[name=name]', 'Jade Roux');
      await customer.fill('input[name=phone]', '06 33 44 55 66');
      await customer.fill('input[name=street]', '5 rue Oberkampf');
      await customer.fill('input[name=postcode]', '75011');
      const offer = customer.getByTestId('faster-shop');
      // the near one, or another shop of the suite on the same corner that promises as soon (the rule's
      // 20 minutes for one pizza there: nobody can promise sooner)
      await expect.poll(() => offer.textContent(), { timeout: 15_000 }).toMatch(new RegExp(`Plus rapide ce soir\\s: OC Pizza t-[a-z0-9-]+ vous livre en environ 20 min, contre \\d+ min chez OC Pizza ${slow.slug}`));
      const [, other, mine] = /OC Pizza (t-[a-z0-9-]+) vous livre .* contre (\d+) min/.exec((await offer.textContent())!)!;
      expect(other).not.toBe(slow.slug);
      expect(Number(mine)).toBeGreaterThanOrEqual(45);
      expect(await customer.getByTestId('promise').textContent()).toContain(`${mine} min`);
      expect(await offer.getByRole('link').getAttribute('href')).toBe(`/?shop=${other}`);
      await offer.scrollIntoViewIfNeeded();
      await customer.screenshot({ path: `${SHOTS}/later-9-storefront-faster-neighbour-phone.png` });
      expect(await seriousViolations(customer), 'the storefront offering a neighbour').toEqual([]);
      await ctx.close();
    } finally {
      for (const d of drivers) await d.leave();
    }
  });
});

