import { describe, expect, it } from 'vitest';
import { seriousViolations } from './axe.ts';
import { DESKTOP, PHONE, SHOTS, TABLET, live, useApp } from './harness.ts';
import { seededProduct, Client, addressFor, assignDriver, createShop, handOver, move, waitUntil } from '../helpers.ts';

// The end of a driver's shift in the built app and Chromium: the driver goes off shift on the
// phone and declares what they bring back; the manager sees what was expected and what was
// declared, counts the cash and closes the shift, the difference shown. Screenshots on a phone, a
// desktop and a tablet. A difference needs its reason and is a cash correction in the fiscal journal.
// dispatch assigns at once (no offer to answer): the test is about the cash, not the road
const app = useApp('cash', { OFFER_TIMEOUT_SECONDS: '0', BATCH_MAX_PER_TRIP: '1', DISPATCH_PRESENT_ONLY: 'false' });

/** The order's driver: the dispatch worker's, or the test's when the worker has not run yet (whichever comes first). */
const hasDriver = (orderId: string) =>
  waitUntil(async () => {
    const { rows } = await app.pool.query<{ driver_id: number | null }>('SELECT driver_id FROM orders WHERE id = $1', [orderId]);
    if (rows[0].driver_id) return true;
    await assignDriver(app.pool, orderId);
    return null;
  }, 20_000, 'a driver for the delivery');

describe("the drivers' cash", () => {
  it('a driver declares at the end of the shift on the phone; the manager counts and closes it, the difference shown', async () => {
    const shop = await createShop(app.pool, 'cash-ui');
    const driverApi = await new Client(app.base).login(shop.email('driver1'));
    const kitchen = await new Client(app.base).login(shop.email('kitchen'));
    await driverApi.post('/api/driver/shift', { onShift: true });
    const margherita = seededProduct('margherita');
    let expected = 0;
    for (const method of ['cash', 'cash', 'card'] as const) {
      const placed = await new Client(app.base).post('/api/orders', {
        pizzeriaId: shop.id, fulfilment: 'delivery', customer: { name: 'Lina', phone: '0611223355' }, address: addressFor(shop.id),
        items: [{ productId: margherita, quantity: 2 }], payment: 'on_delivery',
      });
      await move(kitchen, placed.body.id, 'preparing');
      await move(kitchen, placed.body.id, 'ready');
      await hasDriver(placed.body.id);
      await move(driverApi, placed.body.id, 'out_for_delivery');
      await handOver(app.pool, driverApi, placed.body.id, method);
      if (method === 'cash') expected += placed.body.total;
    }

    // the driver ends the shift on the phone and declares 2 € less cash than collected
    const { page: phone } = await app.staffPage(shop.email('driver1'), PHONE);
    await phone.goto(`${app.base}/driver`);
    await live(phone);
    await phone.getByTestId('shift').click();
    const form = phone.getByTestId('cash-declaration');
    await form.waitFor({ timeout: 10_000 });
    expect(await form.textContent()).toContain('3 livraisons encaissées');
    const declaredCash = ((expected - 200) / 100).toFixed(2).replace('.', ',');
    await form.locator('input').nth(0).fill(declaredCash);
    await form.locator('input').nth(1).fill('29,00');
    await form.getByRole('button', { name: 'Déclarer' }).click();
    await form.getByRole('status').waitFor();
    expect(await form.getByRole('status').textContent()).toContain(declaredCash);
    await phone.screenshot({ path: `${SHOTS}/cash-1-driver-declared-phone.png` });
    expect(await seriousViolations(phone), 'driver page').toEqual([]);

    // the manager closes it: counted as declared, 2 € short
    const { page: manager } = await app.staffPage(shop.email('manager'), DESKTOP);
    await manager.goto(`${app.base}/manager/cash`);
    const row = manager.locator('tr[data-shift]').first();
    expect(await row.textContent()).toContain(declaredCash);
    await manager.screenshot({ path: `${SHOTS}/cash-2-manager-before-desktop.png`, fullPage: true });
    // a difference needs its reason
    await row.getByRole('button', { name: 'Clôturer' }).click();
    await expect.poll(() => row.getByRole('alert').textContent().catch(() => ''), { timeout: 10_000 }).toContain('motif');
    await row.locator('input[name=note]').fill('Manque 2 €');
    await row.getByRole('button', { name: 'Clôturer' }).click();
    await expect.poll(() => row.getByTestId('cash-difference').textContent(), { timeout: 10_000 }).toContain('\u22122,00');
    // and is written to the shop's fiscal journal as a cash correction, its number shown
    expect(await row.getByTestId('cash-correction').textContent()).toMatch(/journal fiscal \(écriture n° \d+\)/);
    // the card slips the driver declared do not match the card payments: the gap is shown too
    expect(await row.textContent()).toContain('écart carte');
    await manager.screenshot({ path: `${SHOTS}/cash-3-manager-closed-desktop.png`, fullPage: true });
    expect(await seriousViolations(manager), 'cash page').toEqual([]);
    await manager.setViewportSize(TABLET);
    await manager.screenshot({ path: `${SHOTS}/cash-4-manager-closed-tablet.png`, fullPage: true });
    const stored = await app.pool.query('SELECT counted_cash_cents, difference_cents, note FROM driver_shifts WHERE driver_id = (SELECT id FROM users WHERE email = $1)', [shop.email('driver1')]);
    expect(stored.rows).toEqual([{ counted_cash_cents: expected - 200, difference_cents: -200, note: 'Manque 2 €' }]);
  });
});
