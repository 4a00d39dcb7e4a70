import { describe, expect, it } from 'vitest';
import { seriousViolations } from './axe.ts';
import { DESKTOP, PHONE, SHOTS, TABLET, useApp } from './harness.ts';
import { seededProduct, Client, createShop, move } from '../helpers.ts';

// A till receipt in the built app and Chromium: head office fills in a shop's legal mentions on
// its page (a wrong SIRET said in words); before the order is handed over its receipt link shows a
// summary that says it is no till receipt; once collected and paid, the receipt shows the legal
// mentions, the ticket number, VAT per line and per rate, the software and the short signature;
// opened again later, it says "DUPLICATA n° 1". Screenshots at phone size and on a desktop.
const app = useApp('fiscal-receipt');

describe('a till receipt', () => {
  it('carries the shop’s legal mentions, its ticket number and signature, and a later view is a counted duplicate', async () => {
    const shop = await createShop(app.pool, 'receipt-ui');

    // head office fills in the mentions: a SIRET whose key is wrong is refused in words, then the right one
    const { page: hq, ctx: hqCtx } = await app.staffPage('admin@ocpizza.test', DESKTOP);
    await hq.goto(`${app.base}/manager/shops/${shop.id}`);
    const legal = hq.getByTestId('shop-legal');
    await expect(legal.getByRole('alert').textContent()).resolves.toContain('Mentions légales à compléter');
    await legal.getByLabel('Raison sociale').fill('OC Pizza SAS');
    await legal.getByLabel('SIRET (14 chiffres)').fill('852 741 966 00019');
    await legal.getByLabel('N° de TVA intracommunautaire').fill('FR96852741966');
    await legal.getByRole('button', { name: 'Enregistrer les mentions' }).click();
    await legal.getByText('Ce SIRET n’est pas valide (sa clé ne correspond pas).').waitFor();
    await legal.getByLabel('SIRET (14 chiffres)').fill('852 741 966 00018');
    await legal.getByRole('button', { name: 'Enregistrer les mentions' }).click();
    await legal.getByText('Mentions légales enregistrées.').waitFor();
    // the form in view below the sticky navigation, as head office sees it after saving
    await legal.evaluate((el) => window.scrollTo(0, el.getBoundingClientRect().top + window.scrollY - 160));
    await hq.screenshot({ path: `${SHOTS}/receipt-0-legal-mentions-desktop.png` });
    await hqCtx.close();

    const counter = await new Client(app.base).login(shop.email('counter'));
    const kitchen = await new Client(app.base).login(shop.email('kitchen'));
    const placed = await counter.post('/api/orders', {
      pizzeriaId: shop.id, channel: 'counter', fulfilment: 'pickup', customer: { name: 'Noé Lambert', phone: '0611223366' }, payment: 'on_delivery',
      items: [{ productId: seededProduct('reine'), quantity: 2 }, { productId: seededProduct('peroni'), quantity: 1 }],
    });
    expect(placed.status).toBe(201);
    const token = placed.body.trackingToken as string;

    // before it is paid: a summary, said not to be a till receipt
    const phone = await app.browser.newContext({ viewport: PHONE });
    const customer = await phone.newPage();
    await customer.goto(`${app.base}/track/${token}/receipt`);
    const summary = customer.getByTestId('receipt-summary');
    await expect(summary.getByRole('note').textContent()).resolves.toContain('Récapitulatif de commande — pas un ticket de caisse');
    expect(await customer.getByTestId('receipt-ticket').count()).toBe(0);
    await customer.screenshot({ path: `${SHOTS}/receipt-1-summary-phone.png`, fullPage: true });

    await move(kitchen, placed.body.id, 'preparing');
    await move(kitchen, placed.body.id, 'ready');
    expect((await counter.post(`/api/orders/${placed.body.id}/status`, { to: 'collected', paymentMethod: 'cash' })).status).toBe(200);

    // collected and paid: the original
    await customer.goto(`${app.base}/track/${token}/receipt`);
    const receipt = customer.getByTestId('receipt');
    await receipt.waitFor();
    const { rows: [sale] } = await app.pool.query(`SELECT seq, signature FROM fiscal_entries WHERE order_id = $1 AND kind = 'sale'`, [placed.body.id]);
    const ticket = `Ticket n° ${String(sale.seq).padStart(6, '0')}`;
    const short = [3, 7, 13, 19].map((p) => sale.signature[p - 1]).join('');
    const text = (s: string | null) => (s ?? '').replace(/\s+/g, ' ').trim();
    expect(text(await customer.getByTestId('receipt-legal').innerText())).toBe('OC Pizza SAS SIRET 852 741 966 00018 N° TVA intracommunautaire FR96852741966');
    expect(text(await customer.getByTestId('receipt-ticket').textContent())).toBe(ticket);
    expect(text(await customer.getByTestId('receipt-signature').innerText())).toBe(`Signature ${short} · ${ticket}`);
    expect(text(await customer.getByTestId('receipt-software').textContent())).toMatch(/^Logiciel oc-pizza-live version \d+\.\d+\.\d+$/);
    expect(text(await customer.getByTestId('receipt-vat-table').innerText())).toMatch(/Taux TVA HT TVA TTC 10 % .* 20 % .* Total/);
    expect(await customer.getByTestId('receipt-duplicate').count()).toBe(0);
    await customer.screenshot({ path: `${SHOTS}/receipt-2-original-phone.png`, fullPage: true });
    expect(await seriousViolations(customer), 'receipt page').toEqual([]);
    // a refresh is the same copy (here on a wider screen)
    await customer.setViewportSize(DESKTOP);
    await customer.reload();
    await receipt.waitFor();
    expect(await customer.getByTestId('receipt-duplicate').count()).toBe(0);
    await customer.screenshot({ path: `${SHOTS}/receipt-2-original-desktop.png`, fullPage: true });
    await customer.setViewportSize(PHONE);

    // the same customer, later: a duplicate, counted in the journal
    await app.pool.query(`UPDATE receipt_issues SET issued_at = issued_at - interval '20 minutes' WHERE order_id = $1`, [placed.body.id]);
    await customer.reload();
    await expect(customer.getByTestId('receipt-duplicate').textContent()).resolves.toContain('DUPLICATA n° 1');
    expect(text(await customer.getByTestId('receipt-ticket').textContent())).toBe(ticket);
    await customer.screenshot({ path: `${SHOTS}/receipt-3-duplicate-phone.png`, fullPage: true });
    const desktop = await app.browser.newContext({ viewport: DESKTOP });
    const wide = await desktop.newPage();
    await wide.goto(`${app.base}/track/${token}/receipt`);
    // the same customer on another screen, within minutes of the duplicate: the same copy
    await expect(wide.getByTestId('receipt-duplicate').textContent()).resolves.toContain('DUPLICATA n° 1');
    await wide.screenshot({ path: `${SHOTS}/receipt-4-duplicate-desktop.png`, fullPage: true });
    const { rows: dups } = await app.pool.query(`SELECT body FROM fiscal_entries WHERE order_id = $1 AND kind = 'duplicate' ORDER BY seq`, [placed.body.id]);
    expect(dups.map((d) => [d.body.copy, d.body.ticket, d.body.form])).toEqual([[1, Number(sale.seq), 'page']]);
    await phone.close();
    await desktop.close();
  });

  it('a training shop\'s counter says so, and its ticket says FACTICE in large letters and is no till receipt', async () => {
    const slug = `t-training-ui-${Math.random().toString(36).slice(2, 8)}`;
    const { rows } = await app.pool.query<{ id: number }>(
      `INSERT INTO pizzerias (slug, name, address, lat, lng, training) VALUES ($1, 'OC Pizza Formation', '1 rue de Test, 75011 Paris', 48.86, 2.37, true) RETURNING id`, [slug],
    );
    const id = rows[0].id;
    await app.pool.query('INSERT INTO stock (pizzeria_id, ingredient_id, on_hand) SELECT $1, id, 1000000 FROM ingredients', [id]);
    for (const role of ['counter', 'kitchen']) {
      await app.pool.query(`INSERT INTO users (email, password_hash, name, role, pizzeria_id) SELECT $1, password_hash, $2, $3, $4 FROM users WHERE email = 'admin@ocpizza.test'`,
        [`${role}.${slug}@ocpizza.test`, role === 'counter' ? 'Élève Caisse' : 'Élève Cuisine', role, id]);
    }
    const { page: till, ctx: tillCtx } = await app.staffPage(`counter.${slug}@ocpizza.test`, TABLET);
    await till.goto(`${app.base}/counter`);
    await expect(till.getByTestId('counter-training').textContent()).resolves.toContain('MODE FORMATION');
    await till.screenshot({ path: `${SHOTS}/receipt-5-training-counter-tablet.png` });
    await tillCtx.close();

    const counter = await new Client(app.base).login(`counter.${slug}@ocpizza.test`);
    const kitchen = await new Client(app.base).login(`kitchen.${slug}@ocpizza.test`);
    const placed = await counter.post('/api/orders', {
      pizzeriaId: id, channel: 'counter', fulfilment: 'pickup', customer: { name: 'Jeanne Essai', phone: '0611223377' }, payment: 'on_delivery',
      items: [{ productId: seededProduct('margherita'), quantity: 2 }, { productId: seededProduct('reine'), quantity: 1 }, { productId: seededProduct('peroni'), quantity: 1 }],
    });
    expect(placed.status).toBe(201);
    for (const to of ['preparing', 'ready']) await move(kitchen, placed.body.id, to);
    expect((await counter.post(`/api/orders/${placed.body.id}/status`, { to: 'collected', paymentMethod: 'cash' })).status).toBe(200);

    const phone = await app.browser.newContext({ viewport: PHONE });
    const customer = await phone.newPage();
    await customer.goto(`${app.base}/track/${placed.body.trackingToken}/receipt`);
    const mark = customer.getByTestId('receipt-training');
    await expect(mark.textContent()).resolves.toContain('FACTICE');
    expect(await customer.getByTestId('receipt-ticket').count()).toBe(0);
    // FACTICE is read first, large: bigger than the shop's name
    const size = async (sel: string) => Number.parseFloat(await customer.locator(sel).first().evaluate((el) => getComputedStyle(el).fontSize));
    expect(await size('[data-testid=receipt-training] strong')).toBeGreaterThan(await size('header h1'));
    expect(await seriousViolations(customer)).toEqual([]);
    await customer.screenshot({ path: `${SHOTS}/receipt-6-training-phone.png`, fullPage: true });
    await phone.close();
  });
});
