// The allergies a customer declared, against real Postgres, Redis and the API. On the receipt of the
// order (its page's data, its PDF in French and English, the ticket the counter prints) as a line of
// its own, never a sale line, and the sale's signed entry in the fiscal journal the same as without
// it. On a regular's account: kept only with their explicit consent (422 without, nothing kept), at
// checkout filled into their next order, kept from a checkout where they ticked the same consent,
// erased at once on request and with the account, and in the data they download.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, countOf, createShop, move, seededProduct, userId, waitUntil } from '../helpers.ts';
import { useMessages, useStack } from '../services.ts';
import { FakePrinter } from '../fake-printer.ts';
import { pdfText } from '../pdf-text.ts';
import { recordKeyInUse } from '../../src/lib/server/fiscal/jet.ts';
import { receiptKey } from '../../src/lib/server/money/receipt-issues.ts';
import { printOrder } from '../../src/lib/server/printing/index.ts';
import { policyOf } from '../../src/lib/server/printing/address.ts';
import { shortSignature } from '../../src/lib/domain/receipt-mentions.ts';
import { checkoutPrefill } from '../../src/lib/server/customers/account.ts';
import { allergiesOf, moveAllergies } from '../../src/lib/server/customers/customer-allergies.ts';

const ORIGIN = 'https://commande.ocpizza.example';
const messages = useMessages();
const stack = useStack({ env: () => ({ ...messages.env(), LOG_LEVEL: 'error', PUBLIC_ORIGIN: ORIGIN, PRINTER_TIMEOUT_MS: '1500', PRINTER_ALLOW_LOOPBACK: 'true' }) });
const reine = seededProduct('reine');
const printer = new FakePrinter();
beforeAll(async () => {
  await recordKeyInUse(stack.pool, receiptKey(stack.config));
  await printer.start();
});
afterAll(() => printer.stop());

let seq = 0;
const freshEmail = (tag: string) => `${tag}-${Date.now()}-${++seq}@example.fr`;
async function signedIn(email: string): Promise<Client> {
  const c = new Client(stack.base);
  expect((await c.post('/api/customer/code', { email })).status).toBe(202);
  const mail = (await waitUntil(() => [...messages.smtp.inbox].reverse().find((m) => JSON.stringify(m.to ?? '').includes(email)), 10_000, `an email to ${email}`))!;
  const r = await c.post('/api/customer/session', { email, code: /\b(\d{6})\b/.exec(mail.text ?? '')![1] });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return c;
}

const pickup = (pizzeriaId: number, allergy?: Record<string, unknown>) => ({
  pizzeriaId, fulfilment: 'pickup', customer: { name: 'Léa Petit', phone: '06 11 22 33 55' }, items: [{ productId: reine, quantity: 1 }], payment: 'on_delivery', ...(allergy ? { allergy } : {}),
});

describe('the allergies declared, on the receipt', () => {
  it('the page, the PDF (French and English) and the printed ticket say them apart from the lines; the sale signed in the journal is the same', async () => {
    const shop = await createShop(stack.pool, 'receipt-allergy');
    const admin = await new Client(stack.base).login('admin@ocpizza.test');
    expect((await admin.put(`/api/shops/${shop.id}/legal`, { legalName: 'OC Pizza SAS', siret: '852 741 966 00018', vatNumber: 'FR96852741966' })).status).toBe(200);
    const [kitchen, counter, manager] = await Promise.all(['kitchen', 'counter', 'manager'].map((w) => new Client(stack.base).login(shop.email(w as 'kitchen'))));
    const placed = await new Client(stack.base).post('/api/orders', pickup(shop.id, { allergens: ['nuts', 'milk'], note: 'Allergie sévère', confirmed: true }));
    expect(placed.status, JSON.stringify(placed.body)).toBe(201);
    const plain = await new Client(stack.base).post('/api/orders', pickup(shop.id));
    for (const o of [placed.body, plain.body]) {
      await move(kitchen, o.id, 'preparing');
      await move(kitchen, o.id, 'ready');
      await move(counter, o.id, 'collected');
    }

    const fr = await new Client(stack.base).get(`/api/track/${placed.body.trackingToken}/receipt?lang=fr`);
    expect(fr.status, JSON.stringify(fr.body)).toBe(200);
    expect(fr.body.allergy).toEqual({ allergens: ['milk', 'nuts'], note: 'Allergie sévère' });
    // not a sale line: the lines and the total are the order's alone
    expect(fr.body.lines).toHaveLength(1);
    expect(fr.body.totalCents).toBe(placed.body.total);
    expect((await new Client(stack.base).get(`/api/track/${plain.body.trackingToken}/receipt`)).body.allergy).toBeNull();

    const pdfFr = pdfText(Buffer.from(await (await fetch(`${stack.base}/api/track/${placed.body.trackingToken}/receipt.pdf?lang=fr`)).arrayBuffer()));
    expect(pdfFr).toContain('Allergies déclarées : lait, fruits à coque');
    expect(pdfFr).toContain('Allergie sévère');
    const pdfEn = pdfText(Buffer.from(await (await fetch(`${stack.base}/api/track/${placed.body.trackingToken}/receipt.pdf?lang=en`)).arrayBuffer()));
    expect(pdfEn).toContain('Declared allergies: milk, nuts');
    expect(pdfText(Buffer.from(await (await fetch(`${stack.base}/api/track/${plain.body.trackingToken}/receipt.pdf`)).arrayBuffer()))).not.toContain('Allergies');

    // the counter's printed ticket: the line in bold under the order's number, the signature the sale's
    expect((await manager.put(`/api/shops/${shop.id}/printer`, { host: printer.host, port: printer.port })).status).toBe(200);
    const counterId = await userId(stack.pool, shop.email('counter'));
    const opts = { origin: ORIGIN, timeoutMs: 1500, policy: policyOf(stack.config), key: receiptKey(stack.config) };
    expect(await printOrder(stack.pool, { orderId: placed.body.id, kind: 'receipt', copy: 1, requestedBy: `counter:${counterId}` }, opts)).toBe('printed');
    const doc = printer.printed.filter((d) => d.lines.includes(`Commande no ${placed.body.number} - a emporter`)).at(-1)!;
    expect(doc, 'the receipt reached the printer').toBeTruthy();
    const at = doc.lines.indexOf(`Commande no ${placed.body.number} - a emporter`);
    expect(doc.lines.slice(at + 1, at + 3)).toEqual(['Allergies declarees : lait,', 'fruits a coque - Allergie severe']);
    expect(doc.lines.filter((l) => /Allergie/i.test(l))).toHaveLength(2);

    // the sale's entry, signed, knows nothing of the note: the same fields as an order without one
    const sale = async (id: string) => (await stack.pool.query(`SELECT body, signature FROM fiscal_entries WHERE order_id = $1 AND kind = 'sale'`, [id])).rows[0];
    const [withNote, without] = [await sale(placed.body.id), await sale(plain.body.id)];
    expect(JSON.stringify(withNote.body)).not.toMatch(/allerg|nuts|sévère/i);
    expect(Object.keys(withNote.body).sort()).toEqual(Object.keys(without.body).sort());
    expect(doc.lines).toContain(`Signature ${shortSignature(withNote.signature)}`);
  });
});

describe("a regular's allergies kept on their account", () => {
  it('without their consent: refused (422) and nothing kept; with it: kept with when, filled into their checkout; erased at once', async () => {
    const c = await signedIn(freshEmail('allergies'));
    const me = (await c.get('/api/customer/me')).body.customer;
    const refused = await c.put('/api/customer/allergies', { allergens: ['nuts'], note: 'Même les traces', consent: false });
    expect(refused.status).toBe(422);
    expect(refused.body.error.code).toBe('consent_required');
    expect(await countOf(stack.pool, 'SELECT count(*) AS n FROM customer_allergies WHERE customer_id = $1', [me.id])).toBe(0);
    // an allergen that is not one of the 14: refused, nothing kept
    expect((await c.put('/api/customer/allergies', { allergens: ['strawberries'], consent: true })).status).toBe(422);
    expect((await new Client(stack.base).put('/api/customer/allergies', { allergens: ['nuts'], consent: true })).status).toBe(401);

    const saved = await c.put('/api/customer/allergies', { allergens: ['nuts', 'gluten'], note: 'Même les traces', consent: true });
    expect(saved.status, JSON.stringify(saved.body)).toBe(200);
    expect(saved.body.allergies).toMatchObject({ allergens: ['gluten', 'nuts'], note: 'Même les traces' });
    expect(Date.now() - Date.parse(saved.body.allergies.consentedAt)).toBeLessThan(60_000);
    expect((await c.get('/api/customer/allergies')).body.allergies).toEqual(saved.body.allergies);
    // a refusal later changes nothing kept
    expect((await c.put('/api/customer/allergies', { allergens: ['eggs'], consent: false })).status).toBe(422);
    expect((await c.get('/api/customer/allergies')).body.allergies.allergens).toEqual(['gluten', 'nuts']);
    // nothing of their health in the audit log
    expect(await countOf(stack.pool, `SELECT count(*) AS n FROM audit_log WHERE before::text LIKE '%traces%' OR after::text LIKE '%traces%'`)).toBe(0);

    // the storefront's checkout starts with them (what its page is given for a signed-in customer)
    expect((await checkoutPrefill(stack.pool, me)).allergies).toMatchObject({ allergens: ['gluten', 'nuts'], note: 'Même les traces' });

    expect((await c.delete('/api/customer/allergies')).status).toBe(204);
    expect((await c.get('/api/customer/allergies')).body.allergies).toBeNull();
    expect(await countOf(stack.pool, 'SELECT count(*) AS n FROM customer_allergies WHERE customer_id = $1', [me.id])).toBe(0);
    expect((await checkoutPrefill(stack.pool, me)).allergies).toBeNull();
  });

  it('"remember for next time" at checkout keeps the order\'s note; the export has them; erasing the account erases them and the orders\' notes', async () => {
    const shop = await createShop(stack.pool, 'allergies-kept');
    const email = freshEmail('remember');
    const c = await signedIn(email);
    const me = (await c.get('/api/customer/me')).body.customer;
    const placed = await c.post('/api/orders', { ...pickup(shop.id, { allergens: ['sesame'], note: 'Allergie sévère', remember: true }), customer: { name: 'Léa Petit', phone: '06 11 22 33 55', email } });
    expect(placed.status, JSON.stringify(placed.body)).toBe(201);
    expect((await c.get('/api/customer/allergies')).body.allergies).toMatchObject({ allergens: ['sesame'], note: 'Allergie sévère' });
    // a guest's tick keeps nothing: there is no account to keep it on
    const before = await countOf(stack.pool, 'SELECT count(*) AS n FROM customer_allergies');
    expect((await new Client(stack.base).post('/api/orders', pickup(shop.id, { allergens: ['eggs'], remember: true }))).status).toBe(201);
    expect(await countOf(stack.pool, 'SELECT count(*) AS n FROM customer_allergies')).toBe(before);

    const data = (await c.get('/api/customer/export')).body;
    expect(data.allergies).toMatchObject({ allergens: ['sesame'], note: 'Allergie sévère' });
    expect(data.orders[0].allergy).toEqual({ allergens: ['sesame'], note: 'Allergie sévère' });

    expect((await c.post(`/api/track/${placed.body.trackingToken}/cancel`)).status).toBe(200);
    const erased = await c.delete('/api/customer/me');
    expect(erased.status).toBe(200);
    // the erasure is in the technical events journal: how many orders it anonymised, never who
    const { rows: jet } = await stack.pool.query(`SELECT operator, body FROM fiscal_entries WHERE chain = 'jet' AND kind = 'erasure' ORDER BY seq DESC LIMIT 1`);
    expect(jet[0]).toMatchObject({ operator: 'customer', body: { what: 'customer_account', ordersAnonymised: erased.body.ordersAnonymised } });
    expect(JSON.stringify(jet[0].body)).not.toContain(me.id);
    expect(await countOf(stack.pool, 'SELECT count(*) AS n FROM customer_allergies WHERE customer_id = $1', [me.id])).toBe(0);
    const { rows } = await stack.pool.query('SELECT allergy_allergens, allergy_note FROM orders WHERE id = $1', [placed.body.id]);
    expect(rows[0]).toEqual({ allergy_allergens: [], allergy_note: null });
    expect(await countOf(stack.pool, `SELECT count(*) AS n FROM order_events WHERE order_id = $1 AND payload::text LIKE '%sévère%'`, [placed.body.id])).toBe(0);
  });

  it('two accounts joined: the kept account keeps its own allergies, else takes the other\'s with its consent time', async () => {
    const made = async (tag: string) => String((await stack.pool.query('INSERT INTO customers (email) VALUES ($1) RETURNING id', [freshEmail(tag)])).rows[0].id);
    const [kept, gone, other] = [await made('kept'), await made('gone'), await made('other')];
    const consented = '2026-01-05T18:00:00.000Z';
    await stack.pool.query(`INSERT INTO customer_allergies (customer_id, allergens, note, consented_at) VALUES ($1, '{eggs}', NULL, $3), ($2, '{fish}', 'Pas de poisson', $3)`, [gone, other, consented]);
    await moveAllergies(stack.pool, kept, gone);
    expect(await allergiesOf(stack.pool, kept)).toEqual({ allergens: ['eggs'], note: null, consentedAt: consented });
    await moveAllergies(stack.pool, kept, other);
    expect((await allergiesOf(stack.pool, kept))!.allergens).toEqual(['eggs']);
  });
});
