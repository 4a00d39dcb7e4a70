// Receipts of paid orders, against real Postgres: the lines with their options, the delivery fee,
// VAT per rate as it was charged, how it was paid; as data and as a PDF, in French and English;
// none before the order is paid, none for a stranger's token.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type pg from 'pg';
import { Client, addressFor, assignDriver, createShop, handOver, move, productId, startTestApp, testPool } from './helpers.ts';
import type { App } from '../server/app.ts';

let app: App;
let base: string;
let pool: pg.Pool;

beforeAll(async () => {
  pool = testPool();
  ({ app, base } = await startTestApp());
});
afterAll(async () => {
  await app?.close();
  await pool?.end();
});

describe('receipts', () => {
  it('gives a delivered order its receipt: lines and options, delivery fee, VAT per rate, paid in cash at the door; in French and English, and as a PDF', async () => {
    const shop = await createShop(pool, 'receipt');
    const [reine, peroni] = [await productId(pool, 'reine'), await productId(pool, 'peroni')];
    const large = (await pool.query<{ id: number }>(`SELECT id FROM product_options WHERE product_id = $1 AND kind = 'size' LIMIT 1`, [reine])).rows[0].id;
    const placed = await new Client(base).post('/api/orders', {
      pizzeriaId: shop.id, fulfilment: 'delivery', customer: { name: 'Yann', phone: '0611223300' }, address: addressFor(shop.id),
      items: [{ productId: reine, quantity: 1, options: [large] }, { productId: peroni, quantity: 1 }], payment: 'on_delivery',
    });
    expect(placed.status, JSON.stringify(placed.body)).toBe(201);
    const token = placed.body.trackingToken as string;
    // not paid yet: no receipt
    const early = await new Client(base).get(`/api/track/${token}/receipt`);
    expect(early.status).toBe(409);
    expect(early.body.error.code).toBe('not_paid');

    const kitchen = await new Client(base).login(shop.email('kitchen'));
    const driver = await new Client(base).login(shop.email('driver1'));
    await driver.post('/api/driver/shift', { onShift: true });
    await move(kitchen, placed.body.id, 'preparing');
    await move(kitchen, placed.body.id, 'ready');
    expect((await assignDriver(pool, placed.body.id)).assigned).toBe(true);
    await move(driver, placed.body.id, 'out_for_delivery');
    await handOver(pool, driver, placed.body.id, 'cash');

    const fr = (await new Client(base).get(`/api/track/${token}/receipt?lang=fr`)).body;
    // Reine 12,50 + Grande 4,00; Peroni 4,00 (20 %); delivery 2,50 below 25 €
    expect(fr.lines).toEqual([
      { name: 'Reine', options: 'Grande (40 cm)', quantity: 1, unitCents: 1650, totalCents: 1650, vatRate: 10 },
      { name: 'Bière Peroni 33 cl', options: '', quantity: 1, unitCents: 400, totalCents: 400, vatRate: 20 },
    ]);
    expect(fr).toMatchObject({ number: placed.body.number, deliveryFeeCents: 250, totalCents: 2300, payments: [{ method: 'cash', amountCents: 2300 }], cancelled: false });
    expect(fr.vat).toEqual([
      { rate: 10, netCents: 1727, vatCents: 173, grossCents: 1900 },
      { rate: 20, netCents: 333, vatCents: 67, grossCents: 400 },
    ]);
    const en = (await new Client(base).get(`/api/track/${token}/receipt?lang=en`)).body;
    expect(en.lines.map((l: { name: string; options: string }) => [l.name, l.options])).toEqual([['Regina', 'Large (40 cm)'], ['Peroni beer 33 cl', '']]);

    const pdf = await fetch(`${base}/api/track/${token}/receipt.pdf?lang=en`);
    expect(pdf.status).toBe(200);
    expect(pdf.headers.get('content-type')).toBe('application/pdf');
    expect(pdf.headers.get('content-disposition')).toMatch(/^inline; filename="ocpizza-\d{4}-\d{2}-\d{2}-\d+\.pdf"$/);
    const bytes = Buffer.from(await pdf.arrayBuffer());
    expect(bytes.subarray(0, 5).toString()).toBe('%PDF-');
    expect(bytes.subarray(-8).toString()).toContain('%%EOF');
    expect(bytes.length).toBeGreaterThan(1500);

    expect((await new Client(base).get(`/api/track/${'x'.repeat(32)}/receipt`)).status).toBe(404);
  });
});
