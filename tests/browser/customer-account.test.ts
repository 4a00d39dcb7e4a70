import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seriousViolations } from './axe.ts';
import { PHONE, SHOTS, live, useApp } from './harness.ts';
import { Client, addressFor, move, payOnDemoPage, placeThroughApi, seededProduct, waitUntil } from '../helpers.ts';
import { startTestSmsGateway, startTestSmtp, type TestSmsGateway, type TestSmtp } from '../services.ts';

// A regular on a phone, in the built app and Chromium: signs in with the code emailed to them (no
// password), finds the order they placed as a guest and confirms it with its number (a guest order
// joins an account only then), taps "order again" and lands on its review (the tiramisu sold out
// since said, the promise, now or later, points and a code; nothing placed until they confirm, and
// nothing left behind when they back out), confirms and pays it, finds their details filled in at
// the next checkout and their saved address offered first on the first card. Another, who made an
// account by email and another by phone, adds the phone from the first and enters the code texted
// to it: one account, points and orders together. Screenshots of each step.
let smtp: TestSmtp;
let gateway: TestSmsGateway;
beforeAll(async () => {
  smtp = await startTestSmtp();
  gateway = await startTestSmsGateway();
});
afterAll(async () => {
  await smtp?.close();
  await gateway?.close();
});
// the file's sign-ins all come from 127.0.0.1
const app = useApp('customer-account', () => ({ SMTP_URL: smtp.url, ...gateway.env, RATE_LIMIT_CUSTOMER_CODES: '100' }), { shop: 'regulars' });
const margherita = seededProduct('margherita');
const tiramisu = seededProduct('tiramisu');
const reine = seededProduct('reine');
// French colons and prices carry no-break spaces: read as plain ones
const text = async (l: { textContent(): Promise<string | null> }) => ((await l.textContent()) ?? '').replace(/[\s\u00a0\u202f]+/g, ' ').trim();

describe('a customer account on a phone', () => {
  it('signs in with a code, orders the same again with what is sold out said, pays, and is known at checkout', async () => {
    const shop = app.shop;
    const email = `regular-${Date.now()}@example.test`;
    // their order of last week, placed and paid as a guest
    const past = await placeThroughApi(app.base, {
      pizzeriaId: shop.id, productId: margherita, quantity: 2, payment: 'online',
      customer: { name: 'Camille Roux', phone: '06 21 43 65 87', email },
      address: { ...addressFor(shop.id), doorCode: '7A21', floor: '4e' },
      items: [{ productId: margherita, quantity: 2 }, { productId: tiramisu, quantity: 1 }],
    });
    expect((await payOnDemoPage(app.base, past.trackingToken)).accepted).toBe(true);
    // tonight the shop has no tiramisu left
    await app.pool.query(`UPDATE stock SET on_hand = reserved WHERE pizzeria_id = $1 AND ingredient_id = (SELECT id FROM ingredients WHERE slug = 'tiramisu')`, [shop.id]);

    const ctx = await app.browser.newContext({ viewport: PHONE, deviceScaleFactor: 2, isMobile: true, hasTouch: true, locale: 'fr-FR' });
    const page = await ctx.newPage();
    await page.goto(`${app.base}/`);
    await page.getByRole('link', { name: 'Se connecter' }).click();
    await page.waitForURL(/\/me$/);
    await page.getByLabel('Votre e-mail ou votre numéro de téléphone').fill(email);
    await page.getByRole('button', { name: 'Recevoir un code' }).click();
    await expect.poll(() => page.getByRole('status').first().textContent()).toContain(`envoyé à ${email}`);
    expect(await seriousViolations(page)).toEqual([]);
    await page.screenshot({ path: `${SHOTS}/account-1-phone-code.png`, fullPage: true });
    const mail = (await waitUntil(() => smtp.inbox.find((m) => JSON.stringify(m.to).includes(email) && /code/i.test(m.subject ?? '')), 10_000, 'the code email'))!;
    const code = /\b(\d{6})\b/.exec(mail.text ?? '')![1];
    await page.getByLabel('Code reçu').fill(code);
    await page.getByRole('button', { name: 'Se connecter' }).last().click();

    // their account: the guest order is offered to confirm with the day, the shop and the total only
    const claim = page.getByTestId('to-confirm').first();
    await claim.waitFor();
    const offered = (await claim.textContent()) ?? '';
    for (const secret of ['7A21', 'Camille', addressFor(shop.id).street, email]) expect(offered).not.toContain(secret);
    expect(await seriousViolations(page)).toEqual([]);
    await page.screenshot({ path: `${SHOTS}/account-1b-phone-confirm.png`, fullPage: true });
    // not theirs until confirmed: "the same again" of it opens no review (nothing of it shown)
    await page.goto(`${app.base}/?again=${past.id}`);
    await page.locator('.where-first').waitFor();
    expect(await page.getByTestId('reorder-review').count()).toBe(0);
    expect(await page.content()).not.toContain('7A21');
    await page.goto(`${app.base}/me`);
    await claim.waitFor();
    await claim.getByLabel('N° de commande').fill(String(past.number));
    await claim.getByRole('button', { name: "C'est la mienne" }).click();
    // confirmed: in their orders, with what it held
    const order = page.getByTestId('past-order').first();
    await order.waitFor();
    expect(await order.textContent()).toMatch(/2 × Margherita.*1 × Tiramisu/s);
    await expect.poll(() => page.getByRole('link', { name: 'Mon compte' }).count()).toBe(1);
    // its door is not saved from a guest order: only from orders placed signed in
    expect(await page.locator('section[aria-labelledby=addresses-title] li').count()).toBe(0);
    expect(await page.locator('h1').textContent()).toBe('Bonjour Camille Roux');
    // nothing wider than the phone
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(PHONE.width);
    expect(await seriousViolations(page)).toEqual([]);
    await page.screenshot({ path: `${SHOTS}/account-2-phone-orders.png`, fullPage: true });

    // "the same again": its shop's checkout filled with it for review, the tiramisu said to be out, the
    // promise, now or later, points and a code; nothing placed and nothing held until they confirm
    const held = async () => (await app.pool.query<{ orders: number; reserved: string }>(
      `SELECT (SELECT count(*)::int FROM orders WHERE pizzeria_id = $1) AS orders, (SELECT sum(reserved)::text FROM stock WHERE pizzeria_id = $1) AS reserved`,
      [shop.id],
    )).rows[0];
    const before = await held();
    await order.getByTestId('again').click();
    await page.waitForURL(`${app.base}/?again=${past.id}`);
    const review = page.getByTestId('reorder-review');
    await review.waitFor();
    await live(page);
    expect(await text(review.locator('h3'))).toMatch(new RegExp(`^Votre commande n°${past.number} du \\d{1,2} [a-zéû]+, à revoir$`));
    expect(await text(page.getByTestId('review-missing'))).toBe('Plus disponible aujourd’hui, donc pas repris : 1 × Tiramisu.');
    expect(await page.locator('[data-line]').evaluateAll((els) => els.map((e) => e.getAttribute('data-line')))).toEqual(['margherita']);
    // the line, with the allergens of what is in it
    expect(await text(page.locator('[data-line=margherita] .line-name'))).toBe('2 × Margherita Contient : gluten (blé), lait');
    expect(await page.inputValue('input[name=street]')).toBe(addressFor(shop.id).street);
    expect(await page.inputValue('input[name=doorCode]')).toBe('7A21');
    await expect.poll(() => text(page.getByTestId('promise')), { timeout: 15_000 }).toMatch(/^Chez vous dans environ \d+ min$/);
    // said at the top of the review too
    expect(await text(review.getByTestId('review-promise'))).toBe(await text(page.getByTestId('promise')));
    const when = page.getByTestId('when');
    expect(await when.getByRole('radio', { name: 'Dès que possible' }).getAttribute('aria-checked')).toBe('true');
    expect(await page.getByTestId('promo-field').count()).toBe(1);
    expect(await text(page.getByTestId('loyalty-use'))).toMatch(/^0 points fidélité : encore 60 pour une pizza offerte\.$/);
    expect(await page.getByLabel('Payer en ligne maintenant').isChecked()).toBe(true);
    // the review is what a phone shows first: the basket and its notice at the top of the screen
    expect((await review.boundingBox())!.y).toBeLessThan(PHONE.height / 2);
    expect(await seriousViolations(page)).toEqual([]);
    await page.screenshot({ path: `${SHOTS}/account-3-phone-review.png` });
    await when.getByTestId('later').click();
    await when.getByTestId('slot-times').getByRole('radio').first().waitFor();
    await when.scrollIntoViewIfNeeded();
    await page.screenshot({ path: `${SHOTS}/account-3b-phone-review-later.png` });
    await when.getByRole('radio', { name: 'Dès que possible' }).click();
    expect(await held()).toEqual(before);
    // backing out: back on their account, nothing placed, nothing held
    await page.goBack();
    await page.waitForURL(`${app.base}/me`);
    await page.getByTestId('past-order').first().waitFor();
    expect(await held()).toEqual(before);

    // again, and confirmed: placed as reviewed
    await page.getByTestId('past-order').first().getByTestId('again').click();
    await review.waitFor();
    await live(page);
    await page.locator('button.place').click();
    await page.waitForURL(/\/track\/[^/]+\/pay$/);
    expect((await held()).orders).toBe(before.orders + 1);
    const { rows } = await app.pool.query(
      `SELECT o.id, o.tracking_token, o.total_cents, o.address_street, o.door_code FROM customer_orders co JOIN orders o ON o.id = co.order_id
       WHERE o.id <> $1 ORDER BY o.created_at DESC LIMIT 1`,
      [past.id],
    );
    const again = rows[0];
    expect(again).toMatchObject({ address_street: addressFor(shop.id).street, door_code: '7A21' });
    expect((await app.pool.query('SELECT name, quantity FROM order_items WHERE order_id = $1', [again.id])).rows).toEqual([{ name: 'Margherita', quantity: 2 }]);

    // and pays it on the payment page
    await page.getByLabel('Numéro de carte').fill('4242 4242 4242 4242');
    await page.getByLabel('Expiration (MM/AA)').fill('12/34');
    await page.getByLabel('Code de sécurité').fill('123');
    await page.getByTestId('pay-submit').click();
    await page.waitForURL(/\/track\/[^/]+$/);
    await expect.poll(() => page.getByTestId('track-status').textContent(), { timeout: 15_000 }).toMatch(/reçue/i);
    await page.screenshot({ path: `${SHOTS}/account-4-phone-paid.png`, fullPage: true });

    // the next checkout knows them: name, phone, email and their address with its door code
    await page.goto(`${app.base}/?shop=${shop.slug}`);
    await expect.poll(() => page.inputValue('input[name=name]')).toBe('Camille Roux');
    expect(await page.inputValue('input[name=email]')).toBe(email);
    expect(await page.inputValue('input[name=street]')).toBe(addressFor(shop.id).street);

    // the first card offers their saved address first: one tap finds who delivers there, whose checkout has its door code
    await page.goto(`${app.base}/`);
    const saved = page.getByTestId('saved-addresses');
    await saved.waitFor();
    expect((await saved.boundingBox())!.y).toBeLessThan((await page.getByLabel('Adresse de livraison').boundingBox())!.y);
    expect(await text(saved.getByRole('button').first())).toBe(`${addressFor(shop.id).street} 75011 Paris · code 7A21`);
    expect(await seriousViolations(page)).toEqual([]);
    await page.screenshot({ path: `${SHOTS}/account-5-phone-saved-address-first.png` });
    await saved.getByRole('button').first().click();
    const answer = page.getByTestId('where-answer');
    await answer.waitFor();
    expect(await text(answer)).toMatch(/vous livre\. Livraison en \d+–\d+ min/);
    await page.screenshot({ path: `${SHOTS}/account-6-phone-saved-address-answer.png` });
    await answer.getByTestId('where-go').click();
    await page.waitForURL(/\/\?shop=/);
    await expect.poll(() => page.inputValue('input[name=street]')).toBe(addressFor(shop.id).street);
    expect(await page.inputValue('input[name=doorCode]')).toBe('7A21');
    await ctx.close();
  });

  it('adds the phone of their other account with the code texted to it, and finds one account with the points and orders of both', async () => {
    const shop = app.shop;
    const kitchen = await new Client(app.base).login(shop.email('kitchen'));
    const counter = await new Client(app.base).login(shop.email('counter'));
    const digits = String(Date.now() % 100_000_000).padStart(8, '0');
    const phone = { typed: `07${digits}`.replace(/(\d\d)(?=\d)/g, '$1 '), e164: `+337${digits}` };
    const email = `two-accounts-${Date.now()}@example.test`;
    const signIn = async (contact: { email: string } | { phone: string }, codeOf: () => string | undefined) => {
      const c = new Client(app.base);
      expect((await c.post('/api/customer/code', contact)).status).toBe(202);
      const code = (await waitUntil(codeOf, 10_000, 'the sign-in code'))!;
      expect((await c.post('/api/customer/session', { ...contact, code })).status).toBe(201);
      return c;
    };
    // the code's message, not an order's (those go to the same phone)
    const lastCode = (texts: string[]) => texts.map((t) => /code\D*(\d{6})\b/i.exec(t)?.[1]).filter(Boolean).at(-1);
    const textsTo = (to: string) => gateway.texts.filter((t) => t.to === to).map((t) => t.text);
    const collected = async (c: Client, items: { productId: number; quantity: number }[]) => {
      const o = await c.post('/api/orders', { pizzeriaId: shop.id, fulfilment: 'pickup', customer: { name: 'Samir Haddad', phone: phone.typed }, items, payment: 'on_delivery' });
      expect(o.status, JSON.stringify(o.body)).toBe(201);
      await move(kitchen, o.body.id, 'preparing');
      await move(kitchen, o.body.id, 'ready');
      await move(counter, o.body.id, 'collected');
    };
    // an account by email and another by phone, each with an order collected (10 points each)
    const byEmail = await signIn({ email }, () => lastCode(smtp.inbox.filter((m) => JSON.stringify(m.to).includes(email)).map((m) => m.text ?? '')));
    await collected(byEmail, [{ productId: margherita, quantity: 2 }]);
    const byPhone = await signIn({ phone: phone.typed }, () => lastCode(textsTo(phone.e164)));
    await collected(byPhone, [{ productId: reine, quantity: 2 }]);
    const textsBefore = textsTo(phone.e164).length;
    // the phone's account was made a while ago: past the minute between two codes to one number
    await app.pool.query(`UPDATE customer_codes SET created_at = created_at - interval '61 seconds' WHERE destination = $1`, [phone.e164]);

    // on their phone, signed in by email
    const ctx = await app.browser.newContext({ viewport: PHONE, deviceScaleFactor: 2, isMobile: true, hasTouch: true, locale: 'fr-FR' });
    const [name, value] = byEmail.cookie.split('=');
    await ctx.addCookies([{ name, value, url: app.base }]);
    const page = await ctx.newPage();
    await page.goto(`${app.base}/me`);
    const contacts = page.getByTestId('contacts');
    await contacts.waitFor();
    await expect.poll(() => page.getByTestId('loyalty-balance').textContent()).toBe('10 points');
    expect(await page.getByTestId('past-order').count()).toBe(1);
    await contacts.getByRole('button', { name: 'Ajouter mon numéro' }).click();
    await contacts.getByLabel('Votre numéro de téléphone').fill(phone.typed);
    await contacts.getByRole('button', { name: 'Recevoir un code' }).click();
    await expect.poll(() => contacts.getByRole('status').textContent()).toContain('envoyé par SMS');
    expect(await seriousViolations(page)).toEqual([]);
    await page.screenshot({ path: `${SHOTS}/account-5-phone-add-number.png`, fullPage: true });

    const code = (await waitUntil(() => lastCode(textsTo(phone.e164).slice(textsBefore)), 10_000, 'the code to add the phone'))!;
    await contacts.getByLabel('Code reçu').fill(code);
    await contacts.getByRole('button', { name: 'Vérifier et ajouter' }).click();
    // one account: both contacts, the points of both with the line that says so, the orders of both
    await expect.poll(() => contacts.getByTestId('contact-added').textContent()).toContain("n'en font plus qu'un");
    expect(await contacts.textContent()).toContain(phone.typed);
    await expect.poll(() => page.getByTestId('loyalty-balance').textContent()).toBe('20 points');
    expect(await page.getByTestId('loyalty').locator('li[data-reason=joined]').textContent()).toContain('Comptes réunis\u202f: 10 points apportés');
    expect(await page.getByTestId('past-order').count()).toBe(2);
    expect(await page.getByTestId('past-order').allTextContents()).toEqual(expect.arrayContaining([expect.stringMatching(/2 × Reine/), expect.stringMatching(/2 × Margherita/)]));
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(PHONE.width);
    expect(await seriousViolations(page)).toEqual([]);
    await page.screenshot({ path: `${SHOTS}/account-6-phone-one-account.png`, fullPage: true });
    // the phone's other session is over: signing in by the phone reaches this one
    expect((await byPhone.get('/api/customer/me')).status).toBe(401);
    await ctx.close();
  });
});
