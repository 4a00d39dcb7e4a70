import { randomInt } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { seriousViolations } from './axe.ts';
import { PHONE, SHOTS, live, useApp } from './harness.ts';
import { Client, deliveryOrder, seededProduct, waitUntil } from '../helpers.ts';
import { useMessages } from '../services.ts';

// The tracking card on a customer's phone (390×844), in the built app and Chromium: an order with a
// promo code and one paid partly with loyalty points list their lines, the delivery fee and the
// discount, which add up to the total shown, as on the receipt; the card gives one time, the window
// the order should arrive in; a late order gives its window and beside it how late, in the words the
// text message said; "Commande reçue !" only greets the first minutes, then the headline says where
// the order is. An order with a code or points offers no "Modifier" (the server refuses to change
// its lines): the card says why and how to get another basket, and cancelling stays; a plain order
// offers both. Axe finds nothing serious; screenshots of each.
const messages = useMessages();
const app = useApp('tracking-card', () => messages.env(), { shop: 'suivi' });
const text = async (l: { textContent(): Promise<string | null> }) => (await l.textContent())?.replace(/[\s\u00a0\u202f]+/g, ' ').trim() ?? '';
/** "12,50 €" or "−16,00 €" at the end of a line, in cents (a discount negative; a delivery "offerte", nothing). */
const centsAtEnd = (line: string) => {
  if (line.endsWith('offerte')) return 0;
  const m = /(−?)(\d+),(\d\d) €$/.exec(line);
  if (!m) throw new Error(`no amount at the end of "${line}"`);
  return (m[1] ? -1 : 1) * (Number(m[2]) * 100 + Number(m[3]));
};
const phoneNumber = () => `07${randomInt(10_000_000, 99_999_999)}`;

/** What the card offers the customer before the kitchen starts: its buttons, and the line under them. */
async function changeOffer(page: Page) {
  const actions = page.getByTestId('change-actions');
  return {
    buttons: await Promise.all((await actions.getByRole('button').all()).map(text)),
    fixed: (await page.getByTestId('lines-fixed').count()) ? await text(page.getByTestId('lines-fixed')) : null,
  };
}

async function trackingPage(token: string): Promise<Page> {
  const ctx = await app.browser.newContext({ viewport: PHONE, deviceScaleFactor: 2, isMobile: true, hasTouch: true, locale: 'fr-FR' });
  const page = await ctx.newPage();
  await page.goto(`${app.base}/track/${token}`);
  await live(page);
  return page;
}

/** The card's lines (items, fee, discount) and its total, read as the customer reads them. */
async function linesAndTotal(page: Page) {
  const lines = await Promise.all((await page.getByTestId('track-lines').locator('li').all()).map(text));
  return { lines, sum: lines.reduce((s, l) => s + centsAtEnd(l), 0), total: centsAtEnd(await text(page.getByTestId('track-total'))) };
}

/** The card's times: the one window, and no other estimate anywhere on the page. */
async function oneTime(page: Page) {
  const eta = page.getByTestId('eta');
  await eta.getByTestId('window').waitFor();
  expect(await eta.getByTestId('window').count()).toBe(1);
  const said = await text(eta);
  // the window's two ends, and nothing else with an hour in it
  expect(said.match(/\d\d:\d\d/g)).toHaveLength(2);
  const whole = await text(page.locator('body'));
  for (const other of ['dans environ', 'Promise pour', 'plutôt vers', 'Votre livreur est à']) expect(whole).not.toContain(other);
  return said;
}

describe('the tracking card', () => {
  it('an order with a promo code and one with points list lines, fee and discount that add up to the total, and one time', async () => {
    const shop = app.shop;
    const admin = await new Client(app.base).login('admin@ocpizza.test');
    const code = `SUIVI${Date.now().toString(36).toUpperCase()}`;
    expect((await admin.post('/api/promos', { code, kind: 'amount', value: 500 })).status).toBe(201);

    // a delivery of two lines (under the free delivery's 25 €) with the code: lines + fee − code = total
    const promoOrder = await new Client(app.base).post('/api/orders', deliveryOrder(shop.id,
      [{ productId: seededProduct('reine'), quantity: 1 }, { productId: seededProduct('tiramisu'), quantity: 1 }],
      { customer: { name: 'Léna Promo', phone: phoneNumber() }, promoCode: code }));
    expect(promoOrder.status, JSON.stringify(promoOrder.body)).toBe(201);
    const page = await trackingPage(promoOrder.body.trackingToken);
    const promo = await linesAndTotal(page);
    // (the name and the amount are two cells of a line: read together, nothing between them)
    expect(promo.lines).toEqual([
      '1 × Reine12,50 €', '1 × Tiramisu5,50 €', expect.stringMatching(/^Livraison[1-9]\d*,\d\d €$/), `Code promo ${code}−5,00 €`,
    ]);
    expect(promo.sum).toBe(promo.total);
    expect(promo.total).toBe(promoOrder.body.total);
    expect(await text(page.getByTestId('track-status'))).toBe('Commande reçue !');
    expect(await oneTime(page)).toMatch(/^Arrivée prévue entre \d\d:\d\d et \d\d:\d\d$/);
    // its lines are kept (the code was judged on them): no "Modifier", the reason and the way out instead
    expect(await changeOffer(page)).toEqual({
      buttons: ['Annuler la commande'],
      fixed: `Commande passée avec le code ${code} : elle ne peut pas être modifiée, la remise a été calculée sur ce panier. Pour changer de panier, annulez-la avant que la cuisine commence et commandez à nouveau : le code redevient utilisable tant qu’il est valable.`,
    });
    await page.screenshot({ path: `${SHOTS}/tracking-card-1-promo-phone.png`, fullPage: true });
    expect(await seriousViolations(page), 'the tracking card with a promo code').toEqual([]);

    // sixteen minutes on, still waiting for the kitchen: no more greeting, the status's own words
    await app.pool.query(`UPDATE orders SET version = version + 1, received_at = now() - interval '16 minutes' WHERE id = $1`, [promoOrder.body.id]);
    await page.reload();
    await live(page);
    expect(await text(page.getByTestId('track-status'))).toBe('Votre commande attend son tour en cuisine');

    // a regular signed in spends 60 points on a pickup: lines − points = total
    const email = `suivi-${Date.now()}@example.test`;
    const me = new Client(app.base);
    expect((await me.post('/api/customer/code', { email })).status).toBe(202);
    const mail = await waitUntil(() => [...messages.smtp.inbox].reverse().find((m) => JSON.stringify(m.to ?? '').includes(email)), 10_000, 'the code email');
    expect((await me.post('/api/customer/session', { email, code: /\b(\d{6})\b/.exec(mail!.text ?? '')![1] })).status).toBe(201);
    await app.pool.query(`INSERT INTO loyalty_ledger (customer_id, points, reason) SELECT id, 60, 'earned' FROM customers WHERE email = $1`, [email]);
    const pointsOrder = await me.post('/api/orders', {
      pizzeriaId: shop.id, fulfilment: 'pickup', payment: 'on_delivery', customer: { name: 'Paul Fidèle', phone: phoneNumber(), email }, useLoyalty: true,
      items: [{ productId: seededProduct('reine'), quantity: 1 }, { productId: seededProduct('margherita'), quantity: 1 }, { productId: seededProduct('peroni'), quantity: 1 }],
    });
    expect(pointsOrder.status, JSON.stringify(pointsOrder.body)).toBe(201);
    const points = await trackingPage(pointsOrder.body.trackingToken);
    const loyalty = await linesAndTotal(points);
    expect(loyalty.lines).toEqual(['1 × Reine12,50 €', '1 × Margherita10,50 €', '1 × Bière Peroni 33 cl4,00 €', 'Fidélité : pizza offerte (60 points)−12,50 €']);
    expect(loyalty).toMatchObject({ sum: 1450, total: 1450 });
    expect(await oneTime(points)).toMatch(/^Prête entre \d\d:\d\d et \d\d:\d\d$/);
    expect(await changeOffer(points)).toEqual({
      buttons: ['Annuler la commande'],
      fixed: 'Commande passée avec vos 60 points fidélité : elle ne peut pas être modifiée, la pizza offerte a été choisie dans ce panier. Pour changer de panier, annulez-la avant que la cuisine commence et commandez à nouveau : vos points vous sont rendus.',
    });
    await points.screenshot({ path: `${SHOTS}/tracking-card-2-points-phone.png`, fullPage: true });
    expect(await seriousViolations(points), 'the tracking card with points').toEqual([]);
  });

  it('a late order shows its window and, beside it, how late in the words of the text it was sent', async () => {
    const phone = phoneNumber();
    const placed = await new Client(app.base).post('/api/orders', deliveryOrder(app.shop.id, [{ productId: seededProduct('margherita'), quantity: 2 }], { customer: { name: 'Hugo Attente', phone } }));
    expect(placed.status, JSON.stringify(placed.body)).toBe(201);
    // promised for a minute from now, which the kitchen and the road cannot keep
    await app.pool.query(`UPDATE orders SET version = version + 1, promised_at = now() + interval '1 minute' WHERE id = $1`, [placed.body.id]);
    const page = await trackingPage(placed.body.trackingToken);
    const late = page.getByTestId('late');
    await late.waitFor();
    expect(await oneTime(page)).toMatch(/^Arrivée prévue entre \d\d:\d\d et \d\d:\d\d En retard d’environ \d+ min, toutes nos excuses\.$/);
    const cardSays = Number(/environ (\d+) min/.exec(await text(late))![1]);
    expect(cardSays).toBeGreaterThanOrEqual(10);
    // an order without a discount: changed or cancelled until the kitchen starts
    expect(await changeOffer(page)).toEqual({ buttons: ['Modifier', 'Annuler la commande'], fixed: null });
    await page.screenshot({ path: `${SHOTS}/tracking-card-3-late-phone.png`, fullPage: true });
    expect(await seriousViolations(page), 'the tracking card of a late order').toEqual([]);
    // the workers' look at late orders (once a minute) texts the customer: the card says what the text says
    const sms = await waitUntil(() => messages.gateway.texts.find((t) => t.to === `+33${phone.slice(1)}` && /retard/.test(t.text)), 75_000, 'the late text');
    const textSays = Number(/en retard d’environ (\d+) min/.exec(sms!.text)![1]);
    // both from the shop's plan (the card's once its word has come), counted a few seconds apart
    await expect.poll(() => page.getByTestId('eta').getAttribute('data-from'), { timeout: 10_000 }).toBe('plan');
    const planSays = Number(/environ (\d+) min/.exec(await text(late))![1]);
    expect(planSays).toBeGreaterThanOrEqual(textSays - 1);
    expect(planSays).toBeLessThanOrEqual(textSays + 2);
  });
});
