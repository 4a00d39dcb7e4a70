import { afterAll, describe, expect, it, vi } from 'vitest';
import { seriousViolations } from './axe.ts';
import { DESKTOP, live, PHONE, SHOTS, ticketInView, useApp } from './harness.ts';
import { addPestoPizza, removePestoPizza, type PestoPizza } from '../allergens-fixture.ts';

// several pages and a browser on a machine the whole suite shares: more than the default 30 s under load
vi.setConfig({ testTimeout: 90_000 });

// Allergens as a customer reads them on a phone: a pizza whose nut pesto extra brings "fruits à
// coque" says so as it is customised and on its basket line; a half-and-half says both halves';
// the menu's filter hides the pizzas that contain what the customer avoids. A shop of its own.
const app = useApp('allergens', { DISPATCH_PRESENT_ONLY: 'false' }, { shop: 'allergens' });
let pesto: PestoPizza | undefined;
afterAll(async () => removePestoPizza(app.pool, pesto));

const productId = async (slug: string): Promise<string> => String((await app.pool.query('SELECT id FROM products WHERE slug = $1', [slug])).rows[0].id);
const text = async (l: { textContent(): Promise<string | null> }) => ((await l.textContent()) ?? '').replace(/[ \t\n]+/g, ' ').trim();

describe('allergens on the storefront', () => {
  it('a nut pesto extra shows "fruits à coque" as the pizza is customised and on its basket line; a half-and-half shows both halves\'', async () => {
    pesto = await addPestoPizza(app.pool, 'browser');
    const ctx = await app.browser.newContext({ viewport: PHONE, isMobile: true, hasTouch: true });
    const phone = await ctx.newPage();
    await phone.goto(`${app.base}/?shop=${app.shop.slug}`);
    await live(phone);

    const card = phone.locator(`article.product[data-product="${pesto.slug}"]`);
    await card.scrollIntoViewIfNeeded();
    expect(await text(card.locator('.allergens'))).toBe('Allergènes\u00a0: gluten (blé), lait');
    await card.getByText('Personnaliser').click();
    const chooser = card.locator(`[data-chooser="${pesto.slug}"]`);
    expect(await text(chooser.getByTestId('chooser-allergens'))).toBe('Contient\u00a0: gluten (blé), lait');
    const extra = chooser.locator('label.choice', { hasText: pesto.pestoName }).locator('input');
    expect(await text(chooser.locator('label.choice', { hasText: pesto.pestoName }))).toContain('(lait, fruits à coque (noix))');
    await extra.check();
    expect(await text(chooser.getByTestId('chooser-allergens'))).toBe('Contient\u00a0: gluten (blé), lait, fruits à coque (noix)');
    await chooser.getByRole('button', { name: /Ajouter/ }).click();

    const line = phone.locator(`[data-line="${pesto.slug}"]`);
    expect(await line.getByTestId('line-allergens').getAttribute('data-allergens')).toBe('gluten milk nuts');
    expect(await text(line.getByTestId('line-allergens'))).toBe('Contient\u00a0: gluten (blé), lait, fruits à coque (noix)');

    // a half-and-half: a Reine (no egg) and a Calzone (an egg): both halves' in the builder and the basket
    const builder = phone.getByTestId('half-and-half');
    await builder.scrollIntoViewIfNeeded();
    await builder.getByLabel('Moitié gauche').selectOption(await productId('reine'));
    await builder.getByLabel('Moitié droite').selectOption(await productId('calzone'));
    expect(await text(builder.getByTestId('halves-allergens'))).toBe('Contient\u00a0: gluten (blé), œufs, lait');
    await builder.getByRole('button', { name: /Ajouter/ }).click();
    const halves = phone.locator('[data-line="reine/calzone"]');
    expect(await halves.getByTestId('line-allergens').getAttribute('data-allergens')).toBe('gluten eggs milk');
    await phone.locator('#basket').scrollIntoViewIfNeeded();
    await phone.locator('#basket').screenshot({ path: `${SHOTS}/allergens-basket-phone.png` });
    expect(await seriousViolations(phone), 'storefront with allergens in the basket').toEqual([]);
    await ctx.close();
  });

  it('the filter "sans œufs dans la recette" hides the pizzas with an egg and marks an extra that brings what is avoided; it says what a recipe cannot promise', async () => {
    const ctx = await app.browser.newContext({ viewport: PHONE, isMobile: true, hasTouch: true });
    const phone = await ctx.newPage();
    await phone.goto(`${app.base}/?shop=${app.shop.slug}`);
    await live(phone);
    await expect.poll(() => phone.locator('article.product[data-product="calzone"]').count()).toBe(1);
    const filter = phone.getByTestId('allergen-filter');
    await filter.locator('summary').click();
    // words a pizzeria may use: what the recipe holds, never a "sans gluten" claim (kept by law for under 20 mg/kg)
    expect(await filter.getByLabel('Sans gluten dans la recette', { exact: true }).count()).toBe(1);
    expect(await filter.getByText(/sans gluten(?! dans la recette)/i).count()).toBe(0);
    // and the chain's cross-contact statement before any order: one kitchen, one flour, one oven
    expect(await text(filter.getByTestId('cross-contact'))).toMatch(/Peut contenir des traces de tous les allergènes de la carte.*même farine \(blé\).*même four/);
    await filter.getByLabel('Sans œufs dans la recette').check();
    await expect.poll(() => phone.locator('article.product[data-product="calzone"]').count()).toBe(0);
    expect(await phone.locator('article.product[data-product="margherita"]').count()).toBe(1);
    expect(await text(phone.getByTestId('allergen-hidden'))).toMatch(/^\d+ produits? masqués?\u00a0: /);
    // the half-and-half builder offers no Calzone either
    expect(await phone.getByTestId('half-and-half').locator('option', { hasText: 'Calzone' }).count()).toBe(0);

    await filter.getByLabel('Sans fruits à coque dans la recette').check();
    const card = phone.locator(`article.product[data-product="${pesto!.slug}"]`);
    await card.getByText('Personnaliser').click();
    await expect.poll(() => card.locator('.brings.avoided').count()).toBe(1);
    await filter.scrollIntoViewIfNeeded();
    await phone.screenshot({ path: `${SHOTS}/allergens-filter-phone.png` });
    expect(await seriousViolations(phone), 'storefront with the allergen filter').toEqual([]);
    await filter.getByLabel('Sans œufs dans la recette').uncheck();
    await expect.poll(() => phone.locator('article.product[data-product="calzone"]').count()).toBe(1);
    await ctx.close();
  });
});

/** The storefront on a phone in `locale` (its language chosen, as the EN/FR switch keeps it), its allergen filter opened. */
async function filterIn(locale: 'en-GB' | 'fr-FR') {
  const ctx = await app.browser.newContext({ viewport: PHONE, isMobile: true, hasTouch: true, locale });
  await ctx.addCookies([{ name: 'ocp_lang', value: locale.slice(0, 2), url: app.base }]);
  const phone = await ctx.newPage();
  await phone.goto(`${app.base}/?shop=${app.shop.slug}`);
  await live(phone);
  const filter = phone.getByTestId('allergen-filter');
  await filter.locator('summary').click();
  return { ctx, phone, filter };
}

describe("a shop's cross-contact statement", () => {
  it("head office words it for the shop in French and in English: the storefront and the checkout say it in the customer's language, the chain's words otherwise", async () => {
    const fr = 'Peut contenir\u00a0: sésame, fruits à coque (noix, amandes) et gluten (blé, seigle) : un seul four, une seule farine.';
    const en = 'May contain: sesame, nuts (walnuts, almonds) and gluten (wheat, rye): one oven, one flour.';
    for (const locale of ['en-GB', 'fr-FR'] as const) {
      const { ctx, filter } = await filterIn(locale);
      expect(await text(filter.getByTestId('cross-contact'))).toMatch(locale === 'en-GB' ? /^⚠ May contain traces of every allergen on the menu/ : /^⚠ Peut contenir des traces de tous les allergènes/);
      if (locale === 'en-GB') expect(await filter.getByLabel('No gluten in the recipe', { exact: true }).count()).toBe(1);
      await ctx.close();
    }
    await app.pool.query('UPDATE pizzerias SET cross_contact_fr = $2, cross_contact_en = $3 WHERE id = $1', [app.shop.id, fr, en]);
    try {
      for (const [locale, words] of [['en-GB', en], ['fr-FR', fr]] as const) {
        const { ctx, phone, filter } = await filterIn(locale);
        expect(await text(filter.getByTestId('cross-contact'))).toBe(`⚠ ${words}`);
        // the checkout's allergy note says it too, before the order goes
        await phone.locator('article.product[data-product="margherita"]').getByRole('button', { name: /Ajouter|Add/ }).first().click();
        const fields = phone.getByTestId('allergy-fields');
        await fields.scrollIntoViewIfNeeded();
        await fields.locator('summary').click();
        expect(await text(fields.getByTestId('cross-contact'))).toBe(`⚠ ${words}`);
        if (locale === 'fr-FR') {
          await fields.scrollIntoViewIfNeeded();
          await phone.screenshot({ path: `${SHOTS}/allergens-cross-contact-phone.png` });
          expect(await seriousViolations(phone), 'checkout with the cross-contact statement').toEqual([]);
        }
        await ctx.close();
      }
    } finally {
      await app.pool.query('UPDATE pizzerias SET cross_contact_fr = NULL, cross_contact_en = NULL WHERE id = $1', [app.shop.id]);
    }
  });
});

describe('an allergy note, from the checkout to the kitchen', () => {
  it('a line with a declared allergen is refused until confirmed; the note shows in red on the ticket, which the kitchen reads before starting', async () => {
    pesto ??= await addPestoPizza(app.pool, 'note');
    await app.pool.query('UPDATE pizzerias SET allergy_read_first = true WHERE id = $1', [app.shop.id]);
    const { page: kitchen } = await app.staffPage(app.shop.email('kitchen'), { width: 1024, height: 768 });
    await kitchen.goto(`${app.base}/kitchen`);
    await live(kitchen);

    const ctx = await app.browser.newContext({ viewport: PHONE, isMobile: true, hasTouch: true });
    const phone = await ctx.newPage();
    await phone.goto(`${app.base}/?shop=${app.shop.slug}`);
    await live(phone);
    const card = phone.locator(`article.product[data-product="${pesto.slug}"]`);
    await card.getByText('Personnaliser').click();
    await card.locator('label.choice', { hasText: pesto.pestoName }).locator('input').check();
    await card.locator('[data-chooser]').getByRole('button', { name: /Ajouter/ }).click();
    await phone.locator('article.product[data-product="margherita"]').getByRole('button', { name: 'Ajouter' }).click();

    await phone.getByRole('button', { name: 'À emporter' }).click();
    await phone.fill('input[name=name]', 'Léa Petit');
    await phone.fill('input[name=phone]', '06 11 22 33 44');
    const fields = phone.getByTestId('allergy-fields');
    await fields.locator('summary').click();
    await fields.getByLabel('fruits à coque').check();
    await fields.getByLabel('Un mot pour la cuisine').fill('Allergie sévère');
    const warning = phone.getByTestId('allergen-warning');
    expect(await text(warning.locator('p'))).toBe(`⚠ Attention\u00a0: ${pesto.name} contient fruits à coque (noix), que vous avez déclaré.`);
    await phone.getByLabel('Payer au retrait').check();
    const orders = async () => Number((await app.pool.query('SELECT count(*) AS n FROM orders WHERE pizzeria_id = $1', [app.shop.id])).rows[0].n);
    const before = await orders();
    await phone.locator('button.place').click();
    await expect.poll(() => phone.locator('#basket .field-error[role=alert]').textContent()).toMatch(/contient un allergène déclaré/);
    expect(await orders()).toBe(before);
    await warning.scrollIntoViewIfNeeded();
    await phone.screenshot({ path: `${SHOTS}/allergens-checkout-warning-phone.png` });
    expect(await seriousViolations(phone), 'checkout with an allergen warning').toEqual([]);

    await warning.getByTestId('allergen-confirm').check();
    await phone.locator('button.place').click();
    await phone.waitForURL(/\/track\/[^/]+$/);
    await live(phone);
    const tracked = phone.getByTestId('allergy-note');
    expect(await text(tracked)).toContain('fruits à coque');
    expect(await text(tracked)).toContain('Allergie sévère');
    const { rows: [o] } = await app.pool.query('SELECT id, allergy_allergens FROM orders WHERE pizzeria_id = $1 ORDER BY created_at DESC LIMIT 1', [app.shop.id]);
    expect(o.allergy_allergens).toEqual(['nuts']);

    // the kitchen: in red on the ticket, and "Allergie lue" to tap before it may start
    await ticketInView(kitchen, o.id);
    const ticket = kitchen.locator(`article[data-order="${o.id}"]`);
    const note = ticket.getByTestId('allergy-note');
    expect(await text(note)).toMatch(/Allergie fruits à coque « Allergie sévère »/i);
    expect(await note.evaluate((e) => getComputedStyle(e).borderTopColor)).toBe('rgb(179, 38, 30)');
    const tap = ticket.getByTestId('allergy-read-tap');
    expect(await tap.textContent()).toBe('Allergie lue');
    await kitchen.screenshot({ path: `${SHOTS}/allergens-kitchen-ticket-1024x768.png` });
    expect(await seriousViolations(kitchen), 'kitchen with an allergy note').toEqual([]);
    const started = await kitchen.evaluate(async (id) => (await fetch(`/api/orders/${id}/status`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ to: 'preparing' }) })).status, o.id);
    expect(started).toBe(409);
    await tap.click();
    await expect.poll(() => ticket.getByTestId('allergy-read').count()).toBe(1);
    expect((await app.pool.query('SELECT allergy_read_at FROM orders WHERE id = $1', [o.id])).rows[0].allergy_read_at).not.toBeNull();

    // the receipt page (a summary until it is paid) says the allergies declared, apart from the lines
    await phone.goto(`${phone.url()}/receipt`);
    const declared = phone.getByTestId('receipt-allergy');
    expect(await text(declared)).toBe('⚠ Allergies déclarées\u00a0: fruits à coque — Allergie sévère');
    expect(await phone.locator('table.lines').textContent()).not.toMatch(/Allergie/);
    await phone.screenshot({ path: `${SHOTS}/allergens-receipt-phone.png` });
    expect(await seriousViolations(phone), 'receipt with the allergies declared').toEqual([]);
    await ctx.close();
  });
});

describe('the cereal and the nut named (annex II)', () => {
  it('a customer reads "gluten (blé)" on the Margherita, in French and in English; the filter says which kinds each group takes in', async () => {
    for (const [lang, words, help] of [['fr', 'Allergènes\u00a0: gluten (blé), lait', /Le gluten vient du blé, du seigle/], ['en', 'Allergens: gluten (wheat), milk', /Gluten comes from wheat, rye/]] as const) {
      const ctx = await app.browser.newContext({ viewport: PHONE, isMobile: true, hasTouch: true });
      await ctx.addCookies([{ name: 'ocp_lang', value: lang, url: app.base }]);
      const phone = await ctx.newPage();
      await phone.goto(`${app.base}/?shop=${app.shop.slug}`);
      await live(phone);
      const card = phone.locator('article.product[data-product="margherita"]');
      expect(await text(card.locator('.allergens'))).toBe(words);
      // the filter still takes the whole group: its help names what each group holds
      const filter = phone.getByTestId('allergen-filter');
      await filter.locator('summary').click();
      expect(await text(filter.getByTestId('allergen-kinds-help'))).toMatch(help);
      if (lang === 'fr') await card.screenshot({ path: `${SHOTS}/allergens-kinds-card-phone.png` });
      await ctx.close();
    }
  });

  it('head office names the nut of an ingredient; a cereal on an ingredient without gluten is refused and changes nothing', async () => {
    const slug = `noisette-${Date.now().toString(36)}`;
    const { rows: [ing] } = await app.pool.query<{ id: number }>(
      `INSERT INTO ingredients (slug, name, name_en, unit, allergens) VALUES ($1, 'Crème de noisette', 'Hazelnut cream', 'g', '{nuts,milk}') RETURNING id`, [slug],
    );
    const { ctx, page: hq } = await app.staffPage('admin@ocpizza.test', DESKTOP);
    await hq.goto(`${app.base}/manager/ingredients`);
    const row = hq.locator(`li[data-ingredient="${slug}"]`);
    await row.locator('button.row').click();
    const kinds = row.getByTestId('allergen-kinds');
    await kinds.getByLabel('blé', { exact: true }).check();
    await row.getByRole('button', { name: 'Enregistrer' }).click();
    await row.getByRole('alert').filter({ hasText: /gluten/ }).waitFor();
    expect((await app.pool.query('SELECT allergen_kinds FROM ingredients WHERE id = $1', [ing.id])).rows[0].allergen_kinds).toEqual([]);

    await kinds.getByLabel('blé', { exact: true }).uncheck();
    await kinds.getByLabel('noisettes', { exact: true }).check();
    await row.getByRole('button', { name: 'Enregistrer' }).click();
    await row.getByRole('status').waitFor();
    expect((await app.pool.query('SELECT allergen_kinds FROM ingredients WHERE id = $1', [ing.id])).rows[0].allergen_kinds).toEqual(['hazelnuts']);
    // the list shows the kind beside its group
    await hq.reload();
    expect(await text(row.locator('button.row .badge').filter({ hasText: 'fruits à coque' }))).toBe('fruits à coque (noisettes)');
    await row.locator('button.row').click();
    await row.screenshot({ path: `${SHOTS}/allergens-kinds-office.png` });
    await ctx.close();
  });
});
