import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type pg from 'pg';
import { SHOTS, live, startApp, type App } from './harness.ts';
import { Client, createShop } from '../helpers.ts';

// The manager's live page in the built app and Chromium: a ticket late in the oven, a delivery
// waiting for a driver, an order past its promise and a driver on shift with the app closed, listed
// most urgent first. A shop of the test's own.

let app: App;
let pool: pg.Pool;
let base: string;
let shop: Awaited<ReturnType<typeof createShop>>;

beforeAll(async () => {
  // a ticket is late after a second in the oven; dispatch offers only to drivers present
  app = await startApp('alerts', { PREP_TARGET_SECONDS: '1', DISPATCH_RETRY_MS: '300', DISPATCH_PRESENT_ONLY: 'true' });
  ({ pool, base } = app);
  shop = await createShop(pool, 'alerts');
}, 60_000);

afterAll(async () => {
  await app?.stop();
});

async function place(fulfilment: 'delivery' | 'pickup') {
  const { rows } = await pool.query<{ id: number }>(`SELECT id FROM products WHERE slug = 'margherita'`);
  const r = await new Client(base).post('/api/orders', {
    pizzeriaId: shop.id,
    fulfilment,
    customer: { name: 'Camille', phone: '06 11 22 33 44' },
    ...(fulfilment === 'delivery' ? { address: { street: '5 rue Oberkampf', postcode: '75011', city: 'Paris', lat: 48.8643, lng: 2.3736, locatedBy: 'pin' } } : {}),
    items: [{ productId: rows[0].id, quantity: 1 }],
    payment: 'on_delivery',
  });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body as { id: string; number: number };
}

describe("the manager's alerts", () => {
  it('list what needs action first: a delivery without a driver, a ticket late in the oven, an order past its promise, a driver on shift with the app closed', async () => {
    const kitchen = await new Client(base).login(shop.email('kitchen'));
    const driver = await new Client(base).login(shop.email('driver1'));
    // on shift, then the app closed: dispatch offers them nothing, the delivery waits
    await driver.post('/api/driver/shift', { onShift: true });
    const past = await place('pickup');
    await pool.query(`UPDATE orders SET promised_at = now() - interval '4 minutes', version = version + 1 WHERE id = $1`, [past.id]);
    const oven = await place('pickup');
    const waiting = await place('delivery');
    for (const [id, to] of [[oven.id, 'preparing'], [waiting.id, 'preparing'], [waiting.id, 'ready']]) {
      expect((await kitchen.post(`/api/orders/${id}/status`, { to })).status).toBe(200);
    }

    const { page } = await app.staffPage(shop.email('manager'));
    await page.goto(`${base}/manager`);
    await live(page);
    const kinds = () => page.locator('[data-testid=alerts] [data-alert]').evaluateAll((els) => els.map((e) => e.getAttribute('data-alert')));
    await expect.poll(kinds, { timeout: 20_000 }).toEqual(['waiting_driver', 'late_in_oven', 'late', 'app_closed']);
    const texts = await page.locator('[data-testid=alerts] [data-alert]').allTextContents();
    expect(texts[1]).toContain(`${oven.number}`);
    expect(texts[3]).toContain(`driver1`);
    await page.screenshot({ path: `${SHOTS}/manager-alerts.png` });
  }, 60_000);
});
