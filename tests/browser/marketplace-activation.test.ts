import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { seriousViolations } from './axe.ts';
import { DESKTOP, SHOTS, useApp } from './harness.ts';
import { createShop } from '../helpers.ts';
import { FakeUberEats } from '../uber-eats-server.ts';
import { FakeDeliveroo } from '../deliveroo-server.ts';

// several pages, Uber's consent page and a browser on a machine the whole suite shares
vi.setConfig({ testTimeout: 90_000 });

// Head office activates a shop's Uber Eats store as Uber documents it, in the built app and Chromium:
// from /manager/marketplaces to Uber's consent page (the local Uber of tests/uber-eats-server.ts,
// where the merchant's user allows the chain), back with the stores that user holds, one given to
// its shop and activated (we become its order manager); the store then shows "Activée", while a
// store connected by its id alone shows "À activer" and why. Screenshots at desktop size.
const fake = new FakeUberEats();
// Deliveroo's sites are linked through its API as the manager saves one (tests/deliveroo-server.ts)
const roo = new FakeDeliveroo();
beforeAll(async () => {
  await fake.start();
  await roo.start();
}, 30_000);
afterAll(async () => {
  await fake.stop();
  await roo.stop();
});
const app = useApp('marketplace-activation', () => ({
  ...fake.env(), LOG_LEVEL: 'error',
  DELIVEROO_CLIENT_ID: roo.clientId, DELIVEROO_CLIENT_SECRET: roo.clientSecret, DELIVEROO_WEBHOOK_SECRET: roo.webhookSecret,
  DELIVEROO_BRAND_ID: roo.brandId, DELIVEROO_API_URL: roo.url, DELIVEROO_AUTH_URL: roo.authUrl,
}));

describe("an Uber Eats store activated from the back office", () => {
  it("head office goes through Uber's consent, gives the store to its shop and activates it; a store typed in by its id is shown to activate", async () => {
    const shop = await createShop(app.pool, 'act-ui');
    const other = await createShop(app.pool, 'act-typed');
    const storeId = `uber-store-${shop.slug}`;
    await app.pool.query(`INSERT INTO marketplace_stores (marketplace, store_id, pizzeria_id) VALUES ('uber_eats', $1, $2)`, [`typed-${other.slug}`, other.id]);
    fake.merchants.set('merchant-user-1', [
      { store_id: storeId, name: 'OC Pizza Oberkampf (Uber Eats)', location: { address: '112 rue Oberkampf', city: 'Paris', postal_code: '75011' } },
    ]);

    const { page } = await app.staffPage('admin@ocpizza.test', DESKTOP);
    await page.goto(`${app.base}/manager/marketplaces`);
    const typed = page.locator(`[data-shop="${other.id}"][data-platform=uber_eats]`);
    expect((await typed.locator('[data-testid=activation]').textContent())!.trim()).toBe('À activer');
    expect(await typed.textContent()).toContain('Uber Eats refuse nos acceptations tant que la boutique n’est pas activée');
    await typed.screenshot({ path: `${SHOTS}/marketplace-activation-0-store-to-activate-desktop.png` });

    await page.getByRole('link', { name: 'Activer via Uber Eats' }).first().click();
    // Uber's consent page sent the merchant back with a code: the page shows the stores of that user
    await page.waitForURL(/\/manager\/marketplaces\/activate\/uber_eats\?authorization=/);
    expect(new URL(page.url()).searchParams.has('code')).toBe(false);
    const authorize = fake.calls.find((c) => c.path === '/oauth/v2/authorize');
    expect(authorize?.status).toBe(302);
    const card = page.locator(`[data-store="${storeId}"]`);
    expect(await card.textContent()).toContain('OC Pizza Oberkampf (Uber Eats)');
    expect(await card.textContent()).toContain('112 rue Oberkampf 75011 Paris');
    await page.screenshot({ path: `${SHOTS}/marketplace-activation-1-stores-desktop.png`, fullPage: true });
    expect(await seriousViolations(page), 'the authorized stores').toEqual([]);

    await card.locator('select[name=shop]').selectOption(String(shop.id));
    await card.getByRole('button', { name: 'Activer' }).click();
    await expect.poll(async () => card.locator('[role=status]').textContent()).toContain('Activée');
    expect(fake.integrations.get(storeId)).toMatchObject({ is_order_manager: true, integrator_store_id: shop.slug });
    const row = (await app.pool.query('SELECT store_id, order_manager, activated_at IS NOT NULL AS activated FROM marketplace_stores WHERE pizzeria_id = $1', [shop.id])).rows[0];
    expect(row).toEqual({ store_id: storeId, order_manager: true, activated: true });
    const audited = (await app.pool.query("SELECT after FROM audit_log WHERE action = 'marketplace.activate' AND pizzeria_id = $1", [shop.id])).rows;
    expect(audited).toHaveLength(1);

    await page.getByRole('link', { name: 'Retour aux plateformes' }).click();
    await page.waitForURL(`${app.base}/manager/marketplaces`);
    const mine = page.locator(`[data-shop="${shop.id}"][data-platform=uber_eats]`);
    expect((await mine.locator('[data-testid=activation]').textContent())!.trim()).toBe('Activée');
    await mine.screenshot({ path: `${SHOTS}/marketplace-activation-2-store-activated-desktop.png` });
    expect(await seriousViolations(page), 'the connections').toEqual([]);
  });

  it('a return from Uber that this browser did not start, or a consent the merchant declined, activates nothing and says so', async () => {
    const { page } = await app.staffPage('admin@ocpizza.test', DESKTOP);
    await page.goto(`${app.base}/manager/marketplaces/activate/uber_eats?code=forged&state=not-mine`);
    expect(await page.getByTestId('activation-problem').textContent()).toContain('ne correspond pas à une demande faite depuis ce navigateur');
    fake.consent = { user: 'merchant-user-1', allow: false };
    try {
      await page.goto(`${app.base}/manager/marketplaces/activate/uber_eats?start=1`);
      expect(await page.getByTestId('activation-problem').textContent()).toContain('n’a pas autorisé OC Pizza');
      await page.screenshot({ path: `${SHOTS}/marketplace-activation-3-declined-desktop.png` });
    } finally {
      fake.consent = { user: 'merchant-user-1', allow: true };
    }
    expect((await app.pool.query('SELECT count(*)::int AS n FROM marketplace_authorizations')).rows[0].n).toBeLessThanOrEqual(1);
  });

  it("a shop's manager links its Deliveroo site by saving its id: Deliveroo is told, and the card turns from « À relier » to « Reliée »", async () => {
    const shop = await createShop(app.pool, 'roo-link-ui');
    const siteId = `site-${shop.slug}`;
    roo.addSite(siteId, { linked: false });
    // a site saved while the chain's Deliveroo was not linked yet: shown to link, and why
    await app.pool.query(`INSERT INTO marketplace_stores (marketplace, store_id, pizzeria_id) VALUES ('deliveroo', $1, $2)`, [siteId, shop.id]);
    const { page } = await app.staffPage(shop.email('manager'), DESKTOP);
    await page.goto(`${app.base}/manager/marketplaces`);
    const card = page.locator(`[data-shop="${shop.id}"][data-platform=deliveroo]`);
    expect((await card.getByTestId('link').textContent())!.trim()).toBe('À relier');
    expect(await card.textContent()).toContain('Deliveroo n’envoie pas encore les commandes de ce site à OC Pizza');
    await card.screenshot({ path: `${SHOTS}/marketplace-activation-4-deliveroo-to-link-desktop.png` });

    await card.getByRole('button', { name: 'Enregistrer' }).click();
    await expect.poll(async () => (await card.getByTestId('link').textContent())?.trim()).toBe('Reliée');
    expect(roo.sites.get(siteId)!.webhookType).toBe('ORDER_EVENTS');
    expect(roo.orderEventsUrl).toMatch(/\/api\/marketplaces\/deliveroo\/webhook$/);
    expect(await card.textContent()).not.toContain('n’envoie pas encore');
    await card.screenshot({ path: `${SHOTS}/marketplace-activation-5-deliveroo-linked-desktop.png` });
    expect(await seriousViolations(page), 'a linked site').toEqual([]);
  });

  it("a shop's manager may not start an activation: the chain's accounts are head office's", async () => {
    const shop = await createShop(app.pool, 'act-mgr');
    const { page } = await app.staffPage(shop.email('manager'), DESKTOP);
    await page.goto(`${app.base}/manager/marketplaces`);
    expect(await page.getByRole('link', { name: 'Activer via Uber Eats' }).count()).toBe(0);
    const res = await page.goto(`${app.base}/manager/marketplaces/activate/uber_eats?start=1`);
    expect(res?.status()).toBe(403);
    expect(fake.calls.filter((c) => c.path === '/oauth/v2/authorize')).toHaveLength(2);
  });
});
