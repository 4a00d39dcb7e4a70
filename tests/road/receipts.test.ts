// Receipts of paid orders, against real Postgres: the lines with their options, the delivery fee,
// VAT per rate as it was charged, how it was paid; as data and as a PDF, in French and English;
// none before the order is paid, none for a stranger's token, none when the card was only held.
import { describe, expect, it } from 'vitest';
import { seededProduct, Client, addressFor, assignDriver, createShop, handOver, move, payAndWaitReceived, waitUntil } from '../helpers.ts';
import { useStack } from '../services.ts';

// the workers too: a card hold let go on a cancel is their doing; deliveries assigned at once (no
// offer to answer), as the test's own dispatch does
const stack = useStack({ env: { OFFER_TIMEOUT_SECONDS: '0' }, workers: true });

describe('receipts', () => {
  it('gives a delivered order its receipt: lines and options, delivery fee, VAT per rate, paid in cash at the door; in French and English, and as a PDF', async () => {
    const shop = await createShop(stack.pool, 'receipt');
    const [reine, peroni] = [seededProduct('reine'), seededProduct('peroni')];
    const large = (await stack.pool.query<{ id: number }>(`SELECT id FROM product_options WHERE product_id = $1 AND kind = 'size' LIMIT 1`, [reine])).rows[0].id;
    const placed = await new Client(stack.base).post('/api/orders', {
      pizzeriaId: shop.id, fulfilment: 'delivery', customer: { name: 'Yann', phone: '0611223300' }, address: addressFor(shop.id),
      items: [{ productId: reine, quantity: 1, options: [large] }, { productId: peroni, quantity: 1 }], payment: 'on_delivery',
    });
    expect(placed.status, JSON.stringify(placed.body)).toBe(201);
    const token = placed.body.trackingToken as string;
    // not paid yet: no receipt
    const early = await new Client(stack.base).get(`/api/track/${token}/receipt`);
    expect(early.status).toBe(409);
    expect(early.body.error.code).toBe('not_paid');

    const kitchen = await new Client(stack.base).login(shop.email('kitchen'));
    const driver = await new Client(stack.base).login(shop.email('driver1'));
    await driver.post('/api/driver/shift', { onShift: true });
    await move(kitchen, placed.body.id, 'preparing');
    await move(kitchen, placed.body.id, 'ready');
    // the workers' dispatch may give it to the driver on shift first: either way, it is theirs
    const assigned = async () => (await stack.pool.query('SELECT driver_id FROM orders WHERE id = $1', [placed.body.id])).rows[0].driver_id !== null;
    await waitUntil(async () => (await assigned()) || (await assignDriver(stack.pool, placed.body.id)).assigned, 20_000, 'a driver for the delivery');
    await move(driver, placed.body.id, 'out_for_delivery');
    await handOver(stack.pool, driver, placed.body.id, 'cash');

    const fr = (await new Client(stack.base).get(`/api/track/${token}/receipt?lang=fr`)).body;
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
    const en = (await new Client(stack.base).get(`/api/track/${token}/receipt?lang=en`)).body;
    expect(en.lines.map((l: { name: string; options: string }) => [l.name, l.options])).toEqual([['Regina', 'Large (40 cm)'], ['Peroni beer 33 cl', '']]);

    const pdf = await fetch(`${stack.base}/api/track/${token}/receipt.pdf?lang=en`);
    expect(pdf.status).toBe(200);
    expect(pdf.headers.get('content-type')).toBe('application/pdf');
    expect(pdf.headers.get('content-disposition')).toMatch(/^inline; filename="ocpizza-\d{4}-\d{2}-\d{2}-\d+\.pdf"$/);
    const bytes = Buffer.from(await pdf.arrayBuffer());
    expect(bytes.subarray(0, 5).toString()).toBe('%PDF-');
    expect(bytes.subarray(-8).toString()).toContain('%%EOF');
    expect(bytes.length).toBeGreaterThan(1500);

    expect((await new Client(stack.base).get(`/api/track/${'x'.repeat(32)}/receipt`)).status).toBe(404);
  });

  it('gives none for a card only held and let go when the customer cancelled: nothing was taken, so no "paid online" receipt', async () => {
    const shop = await createShop(stack.pool, 'receipt-held');
    const placed = await new Client(stack.base).post('/api/orders', {
      pizzeriaId: shop.id, fulfilment: 'pickup', customer: { name: 'Lou', phone: '0611223301', email: 'lou@example.test' },
      items: [{ productId: seededProduct('margherita'), quantity: 1 }], payment: 'online',
    });
    expect(placed.status, JSON.stringify(placed.body)).toBe(201);
    const token = placed.body.trackingToken as string;
    await payAndWaitReceived(stack.base, token);
    expect((await new Client(stack.base).post(`/api/track/${token}/cancel`)).status).toBe(200);
    // the workers let the hold go: the order reads "refunded", yet no money was ever taken
    const track = await waitUntil(async () => {
      const t = (await new Client(stack.base).get(`/api/track/${token}`)).body;
      return t.payment.status === 'refunded' && t;
    }, 20_000, 'the hold let go');
    expect(track.payment).toMatchObject({ paidWith: 'online', captured: false });

    const data = await new Client(stack.base).get(`/api/track/${token}/receipt`);
    expect(data.status).toBe(404);
    expect(data.body.error.code).toBe('nothing_charged');
    const pdf = await fetch(`${stack.base}/api/track/${token}/receipt.pdf`);
    expect(pdf.status).toBe(404);
    expect(pdf.headers.get('content-type')).toMatch(/json/);
    expect((await pdf.json()).error.code).toBe('nothing_charged');
  }, 60_000);
});
