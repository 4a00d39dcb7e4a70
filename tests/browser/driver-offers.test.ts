import { describe, expect, it } from 'vitest';
import { PHONE, SHOTS, useApp } from './harness.ts';
import { Client, addressFor, createShop, move, seededProduct, userId } from '../helpers.ts';
import { dispatchOrder } from '../../src/lib/server/delivery/dispatch.ts';
import { DEFAULT_ETA_SETTINGS } from '../../src/lib/domain/eta.ts';


// Offers on the driver's phone (390×844) in the built app and Chromium: two deliveries offered a
// moment apart are two trips, each with its own countdown; one tap accepts them all.
const app = useApp('driver-offers');

describe("the driver's offers", () => {
  it('two offers a moment apart: one "Accepter les 2 livraisons" takes both', async () => {
    const shop = await createShop(app.pool, 'offers');
    const driverId = await userId(app.pool, shop.email('driver1'));
    const driver = await new Client(app.base).login(shop.email('driver1'));
    const kitchen = await new Client(app.base).login(shop.email('kitchen'));
    expect((await driver.post('/api/driver/shift', { onShift: true })).status).toBe(200);
    const { page: phone } = await app.staffPage(shop.email('driver1'), PHONE);
    await phone.goto(`${app.base}/driver`);
    await phone.getByTestId('shift').waitFor();

    const offered: { id: string; number: number }[] = [];
    for (const name of ['Lucie', 'Marc']) {
      const placed = await new Client(app.base).post('/api/orders', {
        pizzeriaId: shop.id, fulfilment: 'delivery', customer: { name, phone: '0611224455' }, address: addressFor(shop.id),
        items: [{ productId: seededProduct('margherita'), quantity: 1 }], payment: 'on_delivery',
      });
      expect(placed.status).toBe(201);
      await move(kitchen, placed.body.id, 'preparing');
      await move(kitchen, placed.body.id, 'ready');
      // each dispatched on its own, a second apart: a trip each, its own countdown
      const r = await dispatchOrder(app.pool, null, placed.body.id, { offerTimeoutMs: 90_000, maxPerTrip: 1, mode: 'scooter', eta: DEFAULT_ETA_SETTINGS });
      expect(r).toMatchObject({ state: 'offered', driverId });
      offered.push({ id: placed.body.id, number: placed.body.number });
      await new Promise((r) => setTimeout(r, 1100));
    }
    await expect.poll(() => phone.getByTestId('offer').count(), { timeout: 10_000 }).toBe(2);
    const all = phone.getByTestId('accept-all');
    expect((await all.innerText()).replace(/\s+/g, ' ').trim()).toBe('Accepter les 2 livraisons');
    await phone.screenshot({ path: `${SHOTS}/driver-offers-1-two.png` });
    await all.click();
    for (const o of offered) await phone.locator(`article.delivery[data-order="${o.id}"]`).waitFor({ timeout: 10_000 });
    expect(await phone.getByTestId('offer').count()).toBe(0);
    expect(await phone.getByTestId('accept-all').count()).toBe(0);
    const { rows } = await app.pool.query<{ driver_id: number | null }>('SELECT driver_id FROM orders WHERE id = ANY($1)', [offered.map((o) => o.id)]);
    expect(rows.map((r) => r.driver_id)).toEqual([driverId, driverId]);
    await phone.screenshot({ path: `${SHOTS}/driver-offers-2-accepted.png` });
  });
});
