import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { seriousViolations } from './axe.ts';
import { PHONE, SHOTS, live, useApp } from './harness.ts';
import { Client, waitUntil } from '../helpers.ts';
import { startTestSmtp, type TestSmtp } from '../services.ts';

// several pages and a browser on a machine the whole suite shares: more than the default 30 s under load
vi.setConfig({ testTimeout: 90_000 });

// A regular's allergies on their phone: "Mes allergies" on their account page, saved only once they
// tick their consent (refused and said without it), then filled into the allergy note of their next
// checkout, still theirs to change for that order; erased at once by a button. A shop of its own.
let smtp: TestSmtp;
beforeAll(async () => {
  smtp = await startTestSmtp();
});
afterAll(async () => {
  await smtp?.close();
});
const app = useApp('my-allergies', () => ({ SMTP_URL: smtp.url, RATE_LIMIT_CUSTOMER_CODES: '100' }), { shop: 'my-allergies' });
const text = async (l: { textContent(): Promise<string | null> }) => ((await l.textContent()) ?? '').replace(/[\s\u00a0\u202f]+/g, ' ').trim();

describe('my allergies, kept on my account', () => {
  it('saved only with consent, filled into the next checkout, erased at once', async () => {
    const email = `allergic-${Date.now()}@example.test`;
    const c = new Client(app.base);
    expect((await c.post('/api/customer/code', { email })).status).toBe(202);
    const code = await waitUntil(() => smtp.inbox.filter((m) => JSON.stringify(m.to).includes(email)).map((m) => /\b(\d{6})\b/.exec(m.text ?? '')?.[1]).filter(Boolean).at(-1), 10_000, 'the code');
    expect((await c.post('/api/customer/session', { email, code })).status).toBe(201);
    const { rows: [me] } = await app.pool.query('SELECT id FROM customers WHERE email = $1', [email]);
    const kept = async () => (await app.pool.query('SELECT allergens, note FROM customer_allergies WHERE customer_id = $1', [me.id])).rows[0] ?? null;

    const ctx = await app.browser.newContext({ viewport: PHONE, deviceScaleFactor: 2, isMobile: true, hasTouch: true, locale: 'fr-FR' });
    const [name, value] = c.cookie.split('=');
    await ctx.addCookies([{ name, value, url: app.base }]);
    const page = await ctx.newPage();
    await page.goto(`${app.base}/me`);
    const mine = page.getByTestId('my-allergies');
    await mine.waitFor();
    await mine.getByLabel('fruits à coque').check();
    await mine.getByLabel('lait').check();
    await mine.getByLabel('Un mot pour la cuisine').fill('Même les traces');
    // without the consent ticked: refused, said, nothing kept
    await mine.getByRole('button', { name: 'Enregistrer mes allergies' }).click();
    await expect.poll(() => mine.getByRole('alert').textContent().catch(() => '')).toContain('sans lui, OC Pizza n’enregistre rien');
    expect(await kept()).toBeNull();

    await mine.getByLabel('J’accepte qu’OC Pizza conserve mes allergies pour pré-remplir mes commandes').check();
    await mine.getByRole('button', { name: 'Enregistrer mes allergies' }).click();
    await expect.poll(() => mine.getByRole('status').textContent().catch(() => '')).toContain('Vos allergies sont enregistrées');
    expect(await kept()).toEqual({ allergens: ['milk', 'nuts'], note: 'Même les traces' });
    await expect.poll(() => mine.getByTestId('allergies-since').count()).toBe(1);
    // the section whole on a phone's width
    const box = (await mine.boundingBox())!;
    expect(box.x + box.width).toBeLessThanOrEqual(PHONE.width);
    await page.locator('#allergies-title').evaluate((e) => e.scrollIntoView({ block: 'center' }));
    await page.screenshot({ path: `${SHOTS}/my-allergies-1-account-phone.png` });
    await mine.screenshot({ path: `${SHOTS}/my-allergies-2-section-phone.png` });
    expect(await seriousViolations(page), 'account page with my allergies').toEqual([]);

    // the next checkout starts with them, still to change for this order
    await page.goto(`${app.base}/?shop=${app.shop.slug}`);
    await live(page);
    await page.locator('article.product[data-product="margherita"]').getByRole('button', { name: 'Ajouter' }).click();
    await page.getByRole('button', { name: 'À emporter' }).click();
    const fields = page.getByTestId('allergy-fields');
    await expect.poll(() => fields.getAttribute('open')).not.toBeNull();
    expect(await fields.getByLabel('fruits à coque').isChecked()).toBe(true);
    expect(await fields.getByLabel('lait').isChecked()).toBe(true);
    expect(await fields.getByLabel('Un mot pour la cuisine').inputValue()).toBe('Même les traces');
    expect(await text(fields.getByTestId('allergy-prefilled'))).toBe('Pré-rempli depuis votre compte : modifiable pour cette commande.');
    // a margherita has milk: the checkout warns, as for any declared allergen
    await expect.poll(() => page.getByTestId('allergen-warning').count()).toBe(1);
    await fields.getByLabel('lait').uncheck();
    await expect.poll(() => page.getByTestId('allergen-warning').count()).toBe(0);
    await fields.scrollIntoViewIfNeeded();
    await page.screenshot({ path: `${SHOTS}/my-allergies-3-checkout-prefilled-phone.png` });
    expect(await seriousViolations(page), 'checkout with the allergies filled in').toEqual([]);
    // changed for this order only: the account keeps what it had
    expect(await kept()).toEqual({ allergens: ['milk', 'nuts'], note: 'Même les traces' });

    // erased at once
    await page.goto(`${app.base}/me`);
    await mine.getByRole('button', { name: 'Effacer mes allergies' }).click();
    await expect.poll(() => mine.getByRole('status').textContent().catch(() => '')).toContain('Vos allergies sont effacées');
    expect(await kept()).toBeNull();
    expect(await mine.getByLabel('fruits à coque').isChecked()).toBe(false);
    await ctx.close();
  });
});
