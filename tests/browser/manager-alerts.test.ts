import { describe, expect, it } from 'vitest';
import { SHOTS, live, useApp } from './harness.ts';
import { Client } from '../helpers.ts';

// The manager's live page in the built app and Chromium: a ticket late in the oven, a delivery
// waiting for a driver, an order past its promise and a driver on shift with the app closed, listed
// most urgent first. A shop of the test's own.

// a ticket is late after a second in the oven; dispatch offers only to drivers present
const app = useApp('alerts', { PREP_TARGET_SECONDS: '1', DISPATCH_RETRY_MS: '300', DISPATCH_PRESENT_ONLY: 'true' }, { shop: 'alerts' });

async function place(fulfilment: 'delivery' | 'pickup') {
  const { rows } = await app.pool.query<{ id: number }>(`SELECT id FROM products WHERE slug = 'margherita'`);
  const r = await new Client(app.base).post('/api/orders', {
    pizzeriaId: app.shop.id,
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
    const kitchen = await new Client(app.base).login(app.shop.email('kitchen'));
    const driver = await new Client(app.base).login(app.shop.email('driver1'));
    // on shift, then the app closed: dispatch offers them nothing, the delivery waits
    await driver.post('/api/driver/shift', { onShift: true });
    const past = await place('pickup');
    await app.pool.query(`UPDATE orders SET promised_at = now() - interval '4 minutes', version = version + 1 WHERE id = $1`, [past.id]);
    const oven = await place('pickup');
    const waiting = await place('delivery');
    for (const [id, to] of [[oven.id, 'preparing'], [waiting.id, 'preparing'], [waiting.id, 'ready']]) {
      expect((await kitchen.post(`/api/orders/${id}/status`, { to })).status).toBe(200);
    }

    const { page } = await app.staffPage(app.shop.email('manager'));
    await page.goto(`${app.base}/manager`);
    await live(page);
    const kinds = () => page.locator('[data-testid=alerts] [data-alert]').evaluateAll((els) => els.map((e) => e.getAttribute('data-alert')));
    await expect.poll(kinds, { timeout: 20_000 }).toEqual(['waiting_driver', 'late_in_oven', 'late', 'app_closed']);
    const texts = await page.locator('[data-testid=alerts] [data-alert]').allTextContents();
    expect(texts[1]).toContain(`${oven.number}`);
    expect(texts[3]).toContain(`driver1`);
    await page.screenshot({ path: `${SHOTS}/manager-alerts.png` });
  }, 60_000);
});
